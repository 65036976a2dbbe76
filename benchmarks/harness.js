'use strict'
// Starts benchmark programs as child processes (one stack per process) and
// collects what they report over IPC, with a time limit on every step.
//
// The protocol: a server says { ready } once listening; a client says { measuring } when
// its measured part starts and sends its result when it ends. The server's CPU is taken
// over exactly that window ('cpu-start' .. 'cpu-stop'), so warm-ups and start-up are
// not billed to it. Each side reports how long its main thread waited for a CPU: a side
// that waited more than maxWait of the run did not get its CPU, and the measurement is
// marked starved. What a table does with it (ratioTable, starvedReport): the baseline
// (the first side) counts only measurements that got their CPU, and a run where it has
// none fails, since a starved baseline inflates every ratio. On the other sides a
// starved measurement can only understate throughput and overstate latency, so in those
// rows ('bound' rows) it is kept as a bound and its cell marked *; in CPU rows it is left
// out, since a starved spinning stack spins less, which flatters its CPU.
const { fork, spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const usage = require('./usage')
const threads = require('./threads')

const TIMEOUT_MS = 60_000

function once (child, what, timeoutMs = TIMEOUT_MS) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { cleanup(); reject(new Error(`${what}: no answer in ${timeoutMs} ms`)) }, timeoutMs)
    const onExit = (code) => { cleanup(); reject(new Error(`${what}: exited with ${code}`)) }
    const onMessage = (msg) => { cleanup(); resolve(msg) }
    const cleanup = () => {
      clearTimeout(timer)
      child.off('exit', onExit)
      child.off('message', onMessage)
    }
    child.once('exit', onExit)
    child.once('message', onMessage)
  })
}

const children = new Set()

// Node/V8 flags every benchmark process gets, on both sides (run.js --node-args).
let benchNodeArgs = []
function setNodeArgs (args) {
  benchNodeArgs = args
}

// run.js --pin: each process of a measurement, all its threads, on a core of its own
// (client on the first, server on the last), the same for every side. On 2 cores two
// spinning stacks otherwise share cores with each other's helper threads as the
// scheduler places them.
let pinned = false
let pinnedAny = false   // a process was pinned (suites that start theirs without a role are not)
function setPin (on) {
  pinned = on
}
function cpuFor (role) {
  if (!pinned || !role) return null
  pinnedAny = true
  return role === 'server' ? String(os.availableParallelism() - 1) : '0'
}

// A benchmark program (path relative to benchmarks/), in network namespace `netns` if given.
// opts: nodeArgs (before the script, e.g. --import @gazelle/register), env (added),
// role ('client' or 'server': the core it is pinned to under --pin).
function start (script, args, netns, opts = {}) {
  const file = path.join(__dirname, script)
  const nodeArgs = [...benchNodeArgs, ...(opts.nodeArgs || [])]
  const env = { ...process.env, ...opts.env }
  const stdio = ['ignore', 'inherit', 'inherit', 'ipc']
  const cpu = cpuFor(opts.role)
  const command = [...(netns ? ['ip', 'netns', 'exec', netns] : []), ...(cpu ? ['taskset', '-c', cpu] : [])]
  const child = command.length
    ? spawn(command[0], [...command.slice(1), process.execPath, ...nodeArgs, file, ...args], { stdio, env })
    : fork(file, args, { stdio, execArgv: nodeArgs, env })
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

// No benchmark process outlives the run, however it ends.
function killChildren () {
  for (const child of children) child.kill('SIGKILL')
}
process.once('exit', killChildren)

function socketPath (tag) {
  fs.mkdirSync('/run/gazelle', { recursive: true })
  return `/run/gazelle/bench-${tag}-${process.pid}.sock`
}

function median (values) {
  const s = [...values].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

// Waits (at most 5 s, then kills) for a child to exit; asks a server to ('exit').
async function stop (child, ask = true) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  if (ask && child.connected) child.send('exit', () => {})   // a channel closing meanwhile is no error
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

// The server's usage over a window: { cpu (cores), wait (share), seconds, served }.
async function serverWindow (server, what, during) {
  server.send('cpu-start')
  const result = await during()
  server.send('cpu-stop')
  const window = await once(server, `${what} server cpu`)
  return { result, window }
}

let maxWait = usage.DEFAULT_MAX_WAIT

// One measurement: a fresh server (SUITE/server.js), one client run
// (SUITE/client.js with clientArgs), the server's CPU over the client's measured part.
// where: { serverNs, clientNs, env } to run them in network namespaces (tcp-veth).
async function measure (suite, transport, port, clientArgs, where = {}) {
  const sock = socketPath(suite)
  const server = start(`${suite}/server.js`, [transport, String(port), sock], where.serverNs, { env: where.env, role: 'server' })
  let client = null
  try {
    await once(server, `${transport} server start`)
    client = start(`${suite}/client.js`, [transport, String(port), sock, ...clientArgs.map(String)], where.clientNs, { env: where.env, role: 'client' })
    const first = await once(client, `${transport} ${suite} client`)
    if (!first.measuring) throw new Error(`${transport} ${suite} client: expected { measuring }, got ${JSON.stringify(first)}`)
    const m0 = usage.machineSnapshot()
    const t0 = process.env.GAZELLE_BENCH_THREADS === '1' ? threads.snapshotAll() : null
    const { result, window } = await serverWindow(server, transport, () => once(client, `${transport} ${suite} client result`))
    result.machineBusy = usage.machineSince(m0).busy
    if (t0) {
      const names = { [server.pid]: 'server', [client.pid]: 'client', [process.pid]: 'harness' }
      console.error(`${suite} ${transport} ${clientArgs[0]}: ` + threads.format(threads.busiest(t0, threads.snapshotAll(), names)))
    }
    result.serverCpu = window.cpu
    result.serverWait = window.wait
    result.starved = usage.starvation({ client: result.clientWait, server: window.wait }, maxWait)
    return result
  } finally {
    // The client closes its stack after sending its result (outside the server's window);
    // the next measurement starts when both are gone.
    await Promise.all([stop(server), client && stop(client, false)])
    fs.rmSync(sock, { force: true })   // a killed memif server leaves its socket file
  }
}

// Client side of the protocol: call when the measured part starts; returns the usage
// snapshot to hand to finish().
function measuring () {
  process.send({ measuring: true })
  return usage.snapshot()
}

function percentile (sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : 0
}

// What a client reports for a run that began at snapshot u0: its CPU (cores) and
// run-queue wait, and, given per-request times (us), their percentiles.
function finish (u0, times = []) {
  const u = usage.since(u0)
  const sorted = Array.from(times).sort((a, b) => a - b)
  return {
    p50us: percentile(sorted, 0.5),
    p99us: percentile(sorted, 0.99),
    seconds: u.seconds,
    clientCpu: u.cpu,
    clientWait: u.wait
  }
}

function fmt (n, digits) {
  return Number.isFinite(n) ? n.toFixed(digits) : '-'
}

// The measurement at `path` of a round's sample ('rtt'; '' for the sample itself).
function measurementAt (sample, path) {
  let m = sample
  for (const p of path ? path.split('.') : []) m = m?.[p]
  return m
}

// The value at `key` ('rtt.p50us') of a round's sample, and the measurement that holds it.
function pick (sample, key) {
  const at = key.lastIndexOf('.')
  const measurement = measurementAt(sample, at < 0 ? '' : key.slice(0, at))
  return { value: measurement?.[key.slice(at + 1)], measurement }
}

// A row's kind (the 4th element of a rows entry): 'bound' for throughput and latency,
// where a starved measurement of a side other than the baseline is a bound (a lower one
// of its throughput, an upper one of its latency); any other row is strict.
const BOUND = 'bound'

// The values of `key` that count on a side: a starved measurement is left out, except
// on a side other than the baseline in a 'bound' row, where it is kept and marked.
function counted (samples, side, key, { baseline, bound }) {
  const picked = (samples[side] || []).map((s) => pick(s, key)).filter((p) => p.measurement)
  const kept = picked.filter((p) => !p.measurement.starved || (bound && !baseline))
  return { values: kept.map((p) => p.value), starved: kept.filter((p) => p.measurement.starved).map((p) => p.measurement) }
}

// The longest run-queue wait of a measurement's processes (share of the run), or 0.
function longestWait (m) {
  return Math.max(0, ...[m.clientWait, m.serverWait].filter((w) => typeof w === 'number'))
}

// A markdown table: per side, the median of the counted rounds and their spread
// (min-max), and each side's ratio to the first. samples = { side: [round sample] };
// rows = [label, key, digits, kind] (kind BOUND for throughput and latency rows, see
// counted()); sides = [{ key, label }] (default kernel and stack), the first the
// baseline. A row where a side has nothing counted shows '-'; a cell that includes
// starved measurements is marked *, explained under the table.
function ratioTable (samples, rows, kernelLabel = 'node:net, loopback', sides) {
  sides = sides || [{ key: 'kernel', label: `kernel (${kernelLabel})` }, { key: 'stack', label: 'stack (memif)' }]
  const base = sides[0]
  const header = ['metric', ...sides.map((s) => s.label), ...sides.slice(1).map((s) => `${s.key} / ${base.key}`)]
  const lines = [`| ${header.join(' | ')} |`, `|---|${header.slice(1).map(() => '---:').join('|')}|`]
  const marked = new Map()   // side -> starved measurements kept in its cells
  for (const [label, key, digits, kind] of rows) {
    const medians = sides.map(({ key: side }, i) => {
      const { values, starved } = counted(samples, side, key, { baseline: i === 0, bound: kind === BOUND })
      if (!values.length) return { text: '-', median: NaN }
      if (starved.length) marked.set(side, [...(marked.get(side) || []), ...starved])
      const m = median(values)
      const spread = values.length > 1 ? ` (${fmt(Math.min(...values), digits)}-${fmt(Math.max(...values), digits)})` : ''
      return { text: fmt(m, digits) + (starved.length ? '*' : '') + spread, median: m }
    })
    const ratios = medians.slice(1).map((m) => fmt(m.median / medians[0].median, 2))
    lines.push(`| ${label} | ${medians.map((m) => m.text).join(' | ')} | ${ratios.join(' | ')} |`)
  }
  if (marked.size) lines.push('')
  for (const [side, starved] of marked) {
    const wait = Math.max(...starved.map(longestWait))
    const why = wait > maxWait ? `a process waited up to ${fmt(wait * 100, 0)}% of the run for one; ` : ''
    lines.push(`\\* ${side}: includes measurements that did not get their CPU (${why}the round lines say which): ` +
      'a lower bound of its throughput and an upper bound of its latency. Its CPU rows leave them out.')
  }
  return lines.join('\n')
}

// How many measurements of each side were starved, and why, for the table's footer.
// `sides` names the sides, the baseline first: it throws if no key of the baseline has a
// measurement that got its CPU (a comparison with a starved baseline is a failed run);
// a key whose baseline has none while others do is named as failed, and its rows show no
// baseline and no ratio (ratioTable). Other sides' starved measurements are kept as
// bounds.
function starvedReport (samples, keys, sides = ['kernel', 'stack']) {
  const lines = []
  for (const [i, side] of sides.entries()) {
    let total = 0
    const reasons = []
    const valid = new Set()
    const measured = new Set()   // a side may run only some of the measurements
    for (const sample of samples[side] || []) {
      for (const key of keys) {
        const measurement = measurementAt(sample, key)
        if (!measurement) continue
        total++
        measured.add(key)
        if (measurement.starved) reasons.push(`${key ? key + ': ' : ''}${measurement.starved}`)
        else valid.add(key)
      }
    }
    const what = i === 0 ? 'left out' : 'starved, kept as bounds in the throughput and latency rows (marked *), left out of the CPU rows'
    if (reasons.length) lines.push(`- ${side}: ${reasons.length} of ${total} measurements ${what} (${reasons.join('; ')})`)
    const missing = keys.filter((k) => measured.has(k) && !valid.has(k))
    if (i === 0 && missing.length && !valid.size) {
      const named = missing.filter(Boolean)
      const err = new Error(`failed run: no measurement${named.length ? ` of ${named.join(', ')}` : ''} on the ${side} side (the baseline) ` +
        `got its CPU (run-queue wait above ${(maxWait * 100).toFixed(0)}%): the machine is too busy for this comparison`)
      err.report = lines.join('\n')
      throw err
    }
    // Some loads have a valid baseline and some do not: the others' rows still compare
    // like with like, so the table is written and these loads' rows say they failed.
    if (i === 0 && missing.length) {
      lines.push(`- failed: no measurement of ${missing.join(', ')} on the ${side} side (the baseline) got its CPU, so ` +
        'its rows show no baseline and no ratio (a failed measurement, not a win)')
    }
  }
  const rule = `${conditions()}A measurement whose processes waited more than ${(maxWait * 100).toFixed(0)}% of the run for a CPU ` +
    `(/proc schedstat) did not get its CPU. The baseline (${sides[0]}) counts only measurements that got it. On the other ` +
    'sides such a measurement can only understate throughput and overstate latency: those rows keep it, marked *, as a ' +
    'bound; the CPU rows leave it out (a starved spinning stack spins less, which flatters its CPU). Medians, with the ' +
    'spread (min-max) in brackets.'
  return lines.length ? `${rule} Starved:\n${lines.join('\n')}` : `${rule} None starved.`
}

// How the processes ran, when not as Node starts them by default (--pin, --node-args).
function conditions () {
  const parts = []
  if (pinnedAny) parts.push(`Every side's client pinned to CPU 0 and server to CPU ${os.availableParallelism() - 1} (all threads; --pin).`)
  if (benchNodeArgs.length) parts.push(`Every process (both sides) ran with \`${benchNodeArgs.join(' ')}\`.`)
  return parts.length ? parts.join(' ') + ' ' : ''
}

// Each side's CPU and run-queue wait, for a round's log line, and the whole machine's busy
// cores over the run: well above client + server, other work took the waited time; about
// equal, the benchmark's own threads did.
function cpuText (m) {
  const side = (name, cpu, wait) => `${name} ${fmt(cpu, 2)} cores (waited ${fmt(wait * 100, 0)}%)`
  const machine = m.machineBusy === undefined ? '' : `, machine ${fmt(m.machineBusy, 2)} cores busy`
  const text = `[${side('client', m.clientCpu, m.clientWait)}, ${side('server', m.serverCpu, m.serverWait)}${machine}]`
  return m.starved ? `${text} STARVED: ${m.starved}` : text
}

function setMaxWait (share) {
  maxWait = share
}

function getMaxWait () {
  return maxWait
}

module.exports = {
  once, start, socketPath, median, stop, measure, measuring, finish, serverWindow,
  ratioTable, starvedReport, cpuText, setMaxWait, getMaxWait, setNodeArgs, setPin, fmt, BOUND
}
