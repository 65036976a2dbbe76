'use strict'
// npm run bench -- reliability/loss [--profiles none,1%,3%] [--polls adaptive,interrupt] [--rounds N] [--write]
// 16 MiB bulk transfers over a lossy wire (fault-relay: loss + 1% duplication + 5%
// reordering, both directions), Linux to Linux against the stack to Linux, Linux to the
// stack and stack to stack, over the same wire in the same run, rounds alternating.
// Profile "none" is the same relay without faults: the path's ceiling, before any loss
// recovery. Stack rows run once per poll mode in --polls (every stack in the row in that
// mode). Prints each transfer's time and goodput, each side's CPU and the relay's,
// medians and the stack/Linux goodput ratio. Every transfer is checked (sha256); a
// failed one fails the run.
const fs = require('node:fs')
const { median } = require('../harness')
const wire = require('./wire')
const { Namespaces } = require('./namespaces')
const { lines, peer, startServer, cpuSeconds, stop } = require('./procs')
const BYTES = 16 * 1024 * 1024
const WARMUP_BYTES = 1024 * 1024
const PORT = 7300
const TIMEOUT_MS = 120_000
const FAULTS = ['--dup', '1%', '--reorder', '5%']
const POLL_MODES = ['adaptive', 'interrupt', 'busy']
// [label, client (a), server (b), direction]: who sends is in the label
const BASE_CASES = [
  ['Linux -> Linux', 'kernel', 'kernel', 'up'],
  ['Linux -> Linux (server sends)', 'kernel', 'kernel', 'down'],
  ['Linux -> stack', 'kernel', 'stack', 'up'],
  ['stack -> Linux', 'kernel', 'stack', 'down'],
  ['stack -> stack', 'stack', 'stack', 'up']
]

function profiles (list) {
  return list.split(',').map((p) => {
    if (p === 'none') return { name: 'no faults', faults: [] }
    if (!/^\d+(\.\d+)?%$/.test(p)) throw new Error(`--profiles takes none or loss percentages like 1%, got ${p}`)
    return { name: `${p} loss`, faults: ['--loss', p, ...FAULTS] }
  })
}

/** The cases, stack rows once per poll mode: [label, client, server, direction, poll]. */
function cases (polls) {
  for (const m of polls) if (!POLL_MODES.includes(m)) throw new Error(`--polls takes ${POLL_MODES.join(', ')}; got ${m}`)
  const out = []
  for (const [label, a, b, dir] of BASE_CASES) {
    if (a === 'kernel' && b === 'kernel') out.push([label, a, b, dir, null])
    else for (const m of polls) out.push([m === 'adaptive' ? label : `${label}, poll ${m}`, a, b, dir, m])
  }
  return out
}

function endCfg (kind, side, poll, extra) {
  const cfg = { transport: kind, ...extra }
  if (kind === 'stack') cfg.stack = { ...wire.stackOptions(side), poll }
  return cfg
}

function runClient (ns, kind, direction, poll, serverPid, relayPid, bytes = BYTES) {
  const cfg = endCfg(kind, 'a', poll, { role: 'client', host: wire.ENDS.b.ip, port: PORT, bytes, direction, timeoutMs: TIMEOUT_MS })
  const serverCpu0 = cpuSeconds(serverPid)
  const relayCpu0 = cpuSeconds(relayPid)
  const child = peer(ns, cfg)
  return new Promise((resolve, reject) => {
    let result = null
    lines(child, (l) => {
      if (l.startsWith('{')) result = JSON.parse(l)
    })
    child.once('exit', () => {
      if (!result) return reject(new Error('client printed no result'))
      result.clientCpu = result.cpuSeconds / (result.ms / 1000)
      result.serverCpu = (cpuSeconds(serverPid) - serverCpu0) / (result.ms / 1000)
      result.relayCpu = (cpuSeconds(relayPid) - relayCpu0) / (result.ms / 1000)
      resolve(result)
    })
  })
}

async function run ({ rounds, log, options = {} }) {
  if (!fs.existsSync(wire.RELAY)) throw new Error(`${wire.RELAY} is missing: run npm run build`)
  const PROFILES = profiles(options.profiles || 'none,1%,3%')
  const CASES = cases((options.polls || 'adaptive,interrupt').split(','))
  const samples = new Map() // `${profile}|${case}` -> [result]
  for (let r = 1; r <= rounds; r++) {
    for (const [label, client, server, direction, poll] of CASES) {
      const ns = new Namespaces(`gzl${process.pid}`)
      let srv = null
      try {
        const names = ns.make(['w', 'a', 'b'])
        wire.buildWire(names)
        if (client === 'kernel') wire.kernelEnd(names.a, 'a')
        if (server === 'kernel') wire.kernelEnd(names.b, 'b')
        srv = await startServer(names.b, endCfg(server, 'b', poll, { port: PORT }))
        // One unmeasured transfer first, as a service has served before: a fresh server
        // compiles its code during its first transfer, which was charged to whichever
        // profile came first.
        const warm = wire.startRelay(names.w, [])
        try {
          const res = await runClient(names.a, client, direction, poll, srv.pid, warm.pid, WARMUP_BYTES)
          if (!res.ok) throw new Error(`${label}, warm-up: transfer failed: ${res.error || 'sha256 mismatch'}`)
        } finally {
          await stop(warm)
        }
        for (const p of PROFILES) {
          const relay = wire.startRelay(names.w, p.faults)
          try {
            const res = await runClient(names.a, client, direction, poll, srv.pid, relay.pid)
            const [a2b, b2a] = await wire.relayCounters(relay)
            if (!res.ok) throw new Error(`${label}, ${p.name}: transfer failed: ${res.error || 'sha256 mismatch'}`)
            const key = `${p.name}|${label}`
            if (!samples.has(key)) samples.set(key, [])
            samples.get(key).push(res)
            log(`round ${r} ${p.name} ${label}: ${(res.ms / 1000).toFixed(2)} s, ${res.mbps.toFixed(1)} Mbit/s ` +
              `(connected at ${res.connectMs.toFixed(1)} ms, first byte back at ${res.firstMs.toFixed(1)} ms), ` +
              `CPU client ${res.clientCpu.toFixed(2)} server ${res.serverCpu.toFixed(2)} relay ${res.relayCpu.toFixed(2)}; ` +
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
  return table(samples, rounds, PROFILES, CASES)
}

function table (samples, rounds, PROFILES, CASES) {
  const out = [
    `16 MiB per transfer over fault-relay (loss as named, plus 1% duplication and 5% reordering, ` +
    `each direction; "no faults": the same relay passing every frame, the path's ceiling); client and server are the same Node program (benchmarks/reliability/peer.js) on ` +
    `node:net or on a stack (af_packet on a veth; poll 'adaptive', the default, unless the row names another); CPU in cores over the transfer, the relay's too; each server has made a 1 MiB transfer before. Medians of ${rounds} alternating rounds; spread is min-max; ` +
    'ratio = stack goodput / the median of both Linux -> Linux rows (target with loss: >= 0.33, "within 3x").',
    '',
    '| wire | sender -> receiver | time (s) | goodput (Mbit/s) | spread (Mbit/s) | CPU client / server / relay | vs Linux |',
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
      const cpu = ['clientCpu', 'serverCpu', 'relayCpu'].map((k) => median(s.map((x) => x[k])).toFixed(2)).join(' / ')
      const ratio = label.startsWith('Linux -> Linux') ? '-' : (mbps / base).toFixed(2)
      out.push(`| ${p.name} | ${label} | ${median(s.map((x) => x.ms / 1000)).toFixed(2)} | ${mbps.toFixed(1)} | ${lo.toFixed(1)}-${hi.toFixed(1)} | ${cpu} | ${ratio} |`)
    }
  }
  return out.join('\n')
}

module.exports = { run, options: { profiles: { hint: 'none,1%,3%' }, polls: { hint: 'adaptive,interrupt' } } }
