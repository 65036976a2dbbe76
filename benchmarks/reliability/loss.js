'use strict'
// npm run bench -- reliability/loss [--rounds N] [--write]
// 16 MiB bulk transfers over a lossy wire (fault-relay: loss + 1% duplication + 5%
// reordering, both directions), Linux to Linux against the stack to Linux, Linux to the
// stack and stack to stack, over the same wire in the same run, rounds alternating.
// Prints each transfer's time and goodput, each side's CPU, medians and the
// stack/Linux goodput ratio. Every transfer is checked (sha256); a failed one fails the run.
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { median } = require('../harness')
const wire = require('./wire')
const { Namespaces } = require('./namespaces')

const PEER = path.join(__dirname, 'peer.js')
const BYTES = 16 * 1024 * 1024
const PORT = 7300
const TIMEOUT_MS = 120_000
const PROFILES = [
  { name: '1% loss', faults: ['--loss', '1%', '--dup', '1%', '--reorder', '5%'] },
  { name: '3% loss', faults: ['--loss', '3%', '--dup', '1%', '--reorder', '5%'] }
]
// [label, client (a), server (b), direction]: who sends is in the label
const CASES = [
  ['Linux -> Linux', 'kernel', 'kernel', 'up'],
  ['Linux -> Linux (server sends)', 'kernel', 'kernel', 'down'],
  ['Linux -> stack', 'kernel', 'stack', 'up'],
  ['stack -> Linux', 'kernel', 'stack', 'down'],
  ['stack -> stack', 'stack', 'stack', 'up']
]

function peerArgs (kind, side, extra) {
  const cfg = { transport: kind, ...extra }
  if (kind === 'stack') cfg.stack = { ...wire.stackOptions(side), poll: 'adaptive' }
  return [PEER, JSON.stringify(cfg)]
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

function startServer (ns, kind) {
  if (kind === 'kernel') wire.kernelEnd(ns.b, 'b')
  const child = spawn('ip', ['netns', 'exec', ns.b, process.execPath, ...peerArgs(kind, 'b', { role: 'server', port: PORT })], { stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start')), 60_000)
    lines(child, (l) => {
      if (l.includes('"listening"')) {
        clearTimeout(timer)
        resolve(child)
      }
    })
    child.once('exit', (code) => reject(new Error(`server exited (${code})`)))
  })
}

function runClient (ns, kind, direction, serverPid) {
  const cfg = { role: 'client', host: wire.ENDS.b.ip, port: PORT, bytes: BYTES, direction, timeoutMs: TIMEOUT_MS }
  const serverCpu0 = cpuSeconds(serverPid)
  const child = spawn('ip', ['netns', 'exec', ns.a, process.execPath, ...peerArgs(kind, 'a', cfg)], { stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    let result = null
    lines(child, (l) => {
      if (l.startsWith('{')) result = JSON.parse(l)
    })
    child.once('exit', () => {
      if (!result) return reject(new Error('client printed no result'))
      result.clientCpu = result.cpuSeconds / (result.ms / 1000)
      result.serverCpu = (cpuSeconds(serverPid) - serverCpu0) / (result.ms / 1000)
      resolve(result)
    })
  })
}

async function stop (child) {
  if (!child || child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

async function run ({ rounds, log }) {
  if (!fs.existsSync(wire.RELAY)) throw new Error(`${wire.RELAY} is missing: run npm run build`)
  const samples = new Map() // `${profile}|${case}` -> [result]
  for (let r = 1; r <= rounds; r++) {
    for (const [label, client, server, direction] of CASES) {
      const ns = new Namespaces(`gzl${process.pid}`)
      let srv = null
      try {
        const names = ns.make(['w', 'a', 'b'])
        wire.buildWire(names)
        if (client === 'kernel') wire.kernelEnd(names.a, 'a')
        srv = await startServer(names, server)
        for (const p of PROFILES) {
          const relay = wire.startRelay(names.w, p.faults)
          try {
            const res = await runClient(names, client, direction, srv.pid)
            const [a2b, b2a] = await wire.relayCounters(relay)
            if (!res.ok) throw new Error(`${label}, ${p.name}: transfer failed: ${res.error || 'sha256 mismatch'}`)
            const key = `${p.name}|${label}`
            if (!samples.has(key)) samples.set(key, [])
            samples.get(key).push(res)
            log(`round ${r} ${p.name} ${label}: ${(res.ms / 1000).toFixed(2)} s, ${res.mbps.toFixed(1)} Mbit/s, ` +
              `CPU client ${res.clientCpu.toFixed(2)} server ${res.serverCpu.toFixed(2)}; ` +
              `dropped ${a2b.dropped}+${b2a.dropped} of ${a2b.received + b2a.received} frames` +
              (res.tcp ? `; stack client recoveries ${res.tcp.recoveries} timeouts ${res.tcp.timeouts}` : ''))
          } finally {
            await stop(relay)
          }
        }
      } finally {
        await stop(srv)
        ns.removeAll()
      }
    }
  }
  return table(samples, rounds)
}

function table (samples, rounds) {
  const out = [
    `16 MiB per transfer over fault-relay (loss as named, plus 1% duplication and 5% reordering, ` +
    `each direction); client and server are the same Node program (benchmarks/reliability/peer.js) on ` +
    `node:net or on a stack (af_packet on a veth); CPU in cores over the transfer. Medians of ${rounds} alternating rounds; spread is min-max; ` +
    'ratio = stack goodput / the median of both Linux -> Linux rows (target: >= 0.33, "within 3x").',
    '',
    '| wire | sender -> receiver | time (s) | goodput (Mbit/s) | spread (Mbit/s) | CPU client / server | vs Linux |',
    '|---|---|---:|---:|---:|---:|---:|'
  ]
  for (const p of PROFILES) {
    const linux = [...(samples.get(`${p.name}|Linux -> Linux`) ?? []), ...(samples.get(`${p.name}|Linux -> Linux (server sends)`) ?? [])]
    const base = median(linux.map((s) => s.mbps))
    for (const [label] of CASES) {
      const s = samples.get(`${p.name}|${label}`) ?? []
      if (!s.length) continue
      const mbps = median(s.map((x) => x.mbps))
      const lo = Math.min(...s.map((x) => x.mbps))
      const hi = Math.max(...s.map((x) => x.mbps))
      const cpu = `${median(s.map((x) => x.clientCpu)).toFixed(2)} / ${median(s.map((x) => x.serverCpu)).toFixed(2)}`
      const ratio = label.startsWith('Linux -> Linux') ? '-' : (mbps / base).toFixed(2)
      out.push(`| ${p.name} | ${label} | ${median(s.map((x) => x.ms / 1000)).toFixed(2)} | ${mbps.toFixed(1)} | ${lo.toFixed(1)}-${hi.toFixed(1)} | ${cpu} | ${ratio} |`)
    }
  }
  return out.join('\n')
}

module.exports = { run }
