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

// One measurement: a fresh server (SUITE/server.js), one client run
// (SUITE/client.js with clientArgs), the server's CPU over the client's run.
async function measure (suite, transport, port, clientArgs) {
  const sock = socketPath(suite)
  const server = start(`${suite}/server.js`, [transport, String(port), sock])
  try {
    await once(server, `${transport} server start`)
    server.send('cpu-start')
    const client = start(`${suite}/client.js`, [transport, String(port), sock, ...clientArgs.map(String)])
    const result = await once(client, `${transport} ${suite} client`)
    server.send('cpu-stop')
    const { cpuMicros } = await once(server, `${transport} server cpu`)
    result.serverCpu = cpuMicros / 1e6 / result.seconds
    return result
  } finally {
    await stop(server)
  }
}

// A markdown table of medians per transport and their ratio; rows are
// [label, key, digits] over samples = { kernel: [result], stack: [result] };
// kernelLabel names the kernel side's API.
function ratioTable (samples, rows, kernelLabel = 'node:net, loopback') {
  const fmt = (n, digits) => n.toFixed(digits)
  const lines = [
    `| metric | kernel (${kernelLabel}) | stack (memif) | stack / kernel |`,
    '|---|---:|---:|---:|'
  ]
  for (const [label, pick, digits] of rows) {
    const k = median(samples.kernel.map(pick))
    const s = median(samples.stack.map(pick))
    lines.push(`| ${label} | ${fmt(k, digits)} | ${fmt(s, digits)} | ${fmt(s / k, 2)} |`)
  }
  return lines.join('\n')
}

function percentile (sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : 0
}

// What a client reports: per-request times (us) of a run of `seconds`, and the
// process.cpuUsage() delta over it.
function latencySummary (times, seconds, cpu) {
  const sorted = Array.from(times).sort((a, b) => a - b)
  return {
    p50us: percentile(sorted, 0.5),
    p99us: percentile(sorted, 0.99),
    seconds,
    clientCpu: (cpu.user + cpu.system) / 1e6 / seconds
  }
}

module.exports = { once, start, socketPath, median, stop, measure, ratioTable, latencySummary }
