'use strict'
// Child processes of the reliability benchmarks: peer.js inside a network namespace,
// its JSON output lines, its CPU time, and a bounded stop.
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const PEER = path.join(__dirname, 'peer.js')

/** Calls onLine for each line the child prints. */
function lines (child, onLine) {
  let buf = ''
  child.stdout.on('data', (d) => {
    buf += d.toString()
    let i
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i))
      buf = buf.slice(i + 1)
    }
  })
}

/** peer.js with cfg in namespace ns (stdout piped, stderr inherited). */
function peer (ns, cfg) {
  return spawn('ip', ['netns', 'exec', ns, process.execPath, PEER, JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'inherit'] })
}

/** A peer.js server; resolves once it listens. */
function startServer (ns, cfg) {
  const child = peer(ns, { ...cfg, role: 'server' })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start in 60 s')), 60_000)
    lines(child, (l) => {
      if (l.includes('"listening"')) {
        clearTimeout(timer)
        resolve(child)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited (${code})`))
    })
  })
}

/** A peer.js client; resolves with the JSON lines it
 * printed, once it exits, or rejects after timeoutMs (it is killed). onChild gets the
 * child process as soon as it is spawned (to stop it from outside). */
function runClient (ns, cfg, timeoutMs, onLine = () => {}, onChild = () => {}) {
  const child = peer(ns, cfg)
  onChild(child)
  const out = []
  lines(child, (l) => {
    if (!l.startsWith('{')) return
    const r = JSON.parse(l)
    out.push(r)
    onLine(r)
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`client did not finish in ${timeoutMs / 1000} s (${JSON.stringify(out[out.length - 1] || null)})`))
    }, timeoutMs)
    child.once('exit', (code) => {
      clearTimeout(timer)
      if (code === 0) resolve({ lines: out, pid: child.pid })
      else reject(new Error(`client exited with ${code}`))
    })
  })
}

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds (pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(f[11]) + Number(f[12])) / 100
  } catch {
    return NaN
  }
}

/** SIGTERM, then SIGKILL after 5 s; resolves when it exited. */
async function stop (child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

module.exports = { lines, peer, startServer, runClient, cpuSeconds, stop }
