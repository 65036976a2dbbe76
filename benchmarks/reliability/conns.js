'use strict'
// npm run bench -- reliability/conns [--count N] [--rounds N] [--write]
// Connection scale: one client opens --count connections (default 100,000) in bursts of
// 500 to a server over a veth pair (spread over 4 server ports: one client address has
// 28,232 ephemeral ports per destination), each echoing 32 bytes; holds them all; then
// closes them all. Linux (node:net over a veth pair) and two stacks (over memif, as
// stack-to-stack services connect) alternate.
// Linux's side opens at most what its open-files limit allows (each end holds one file
// per connection; the hard limit cannot be raised in every container): the table says.
// Bounded: a side that does not finish in 300 s is a failed round.
const { median } = require('../harness')
const wire = require('./wire')
const { Namespaces } = require('./namespaces')
const { startServer, runClient, cpuSeconds, stop } = require('./procs')

const PORTS = [7000, 7001, 7002, 7003]

async function once (kind, count) {
  const ns = new Namespaces(`gzc${process.pid}`)
  let srv = null
  try {
    const names = wire.directPair(ns, kind)
    const socket = `/tmp/gzc-${process.pid}.memif`
    const side = (s) => (kind === 'stack'
      ? { stack: { device: { type: 'memif', role: s === 'b' ? 'server' : 'client', socket }, ip: `${wire.ENDS[s].ip}/24` } }
      : {})
    srv = await startServer(names.b, { transport: kind, serve: 'echo', port: PORTS[0], ports: PORTS, ...side('b') })
    const cpu0 = cpuSeconds(srv.pid)
    const { lines, pid } = await runClient(names.a, {
      transport: kind, role: 'conns', host: wire.ENDS.b.ip, port: PORTS[0], ports: PORTS, count, burst: 500, bytes: 32, ...side('a')
    }, 300_000)
    const open = lines.find((l) => l.phase === 'open')
    const closed = lines.find((l) => l.phase === 'closed')
    return {
      ok: open.ok,
      failed: open.failed,
      codes: open.codes,
      openS: open.ms / 1000,
      closeS: closed.ms / 1000,
      perConnKiB: open.rssDelta / count / 1024,
      serverCpu: cpuSeconds(srv.pid) - cpu0,
      client: pid,
      tcp: closed.tcp
    }
  } finally {
    await stop(srv)
    ns.removeAll()
    require('node:fs').rmSync(`/tmp/gzc-${process.pid}.memif`, { force: true })
  }
}

/** Connections a kernel process can hold: its open-files limit, less some for node. */
function kernelMax () {
  const line = require('node:fs').readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))
  return Math.floor((Number(line.split(/\s+/)[4]) - 500) / 500) * 500
}

async function run ({ rounds, log, options }) {
  const count = Number(options.count || 100_000)
  const counts = { kernel: Math.min(count, kernelMax()), stack: count }
  const samples = { kernel: [], stack: [] }
  for (let r = 1; r <= rounds; r++) {
    for (const kind of ['kernel', 'stack']) {
      let s
      try {
        s = await once(kind, counts[kind])
      } catch (e) {
        s = { ok: 0, failed: counts[kind], codes: { [e.message]: 1 }, openS: NaN, closeS: NaN, perConnKiB: NaN, serverCpu: NaN }
      }
      samples[kind].push(s)
      log(`round ${r} ${kind}: ${s.ok}/${counts[kind]} connected and echoed (${JSON.stringify(s.codes)}), open ${s.openS.toFixed(1)} s, ` +
        `close ${s.closeS.toFixed(1)} s, client RSS ${s.perConnKiB.toFixed(2)} KiB/connection, server CPU ${s.serverCpu.toFixed(1)} s` +
        (s.tcp ? `; client tcp after close: pcbs ${s.tcp.pcbs} timeWait ${s.tcp.timeWait} sockets ${s.tcp.sockets}` : ''))
    }
  }
  const row = (label, pick, fmt = (v) => String(v)) =>
    `| ${label} | ${fmt(median(samples.kernel.map(pick)))} | ${fmt(median(samples.stack.map(pick)))} |`
  const range = (k) => `${Math.min(...samples[k].map((s) => s.ok))}-${Math.max(...samples[k].map((s) => s.ok))}`
  const capped = counts.kernel < count ? ` (Linux: ${counts.kernel}, its open-files limit here)` : ''
  return [
    `${count} connections${capped} in bursts of 500 (4 server ports), each echoing 32 bytes, held, then closed. ` +
    `Medians of ${rounds} alternating rounds (connected: Linux ${range('kernel')}, stack ${range('stack')}).`,
    '',
    '| metric | Linux (node:net, veth) | stacks (memif) |',
    '|---|---:|---:|',
    row('connections', () => NaN).replace(/NaN \| NaN/, `${counts.kernel} | ${counts.stack}`),
    row('connected and echoed', (s) => s.ok),
    row('open time (s)', (s) => s.openS, (v) => v.toFixed(1)),
    row('close time (s)', (s) => s.closeS, (v) => v.toFixed(1)),
    row('client RSS per open connection (KiB)', (s) => s.perConnKiB, (v) => v.toFixed(2)),
    row('server CPU, whole run (s)', (s) => s.serverCpu, (v) => v.toFixed(1))
  ].join('\n')
}

module.exports = { run, options: { count: { hint: 'N' } } }
