'use strict'
// Starts benchmark programs as child processes (one stack per process) and
// collects what they report over IPC, with a time limit on every step.
const { fork } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const TIMEOUT_MS = 60_000

function once (child, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer in ${TIMEOUT_MS} ms`)), TIMEOUT_MS)
    const onExit = (code) => { clearTimeout(timer); reject(new Error(`${what}: exited with ${code}`)) }
    child.once('exit', onExit)
    child.once('message', (msg) => {
      clearTimeout(timer)
      child.off('exit', onExit)
      resolve(msg)
    })
  })
}

function start (script, args) {
  return fork(path.join(__dirname, script), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
}

function socketPath (tag) {
  fs.mkdirSync('/run/gazelle', { recursive: true })
  return `/run/gazelle/bench-${tag}-${process.pid}.sock`
}

function median (values) {
  const s = [...values].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

async function stop (child) {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.send('exit')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

module.exports = { once, start, socketPath, median, stop }
