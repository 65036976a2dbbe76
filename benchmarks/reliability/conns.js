'use strict'
// npm run bench -- reliability/conns [--count N] [--device memif|af_packet] [--kinds kernel,stack] [--rounds N] [--write]
// Connection scale: one client opens --count connections (default 100,000) in bursts of
// 500 to a server over a veth pair (spread over 4 server ports: one client address has
// 28,232 ephemeral ports per destination), each echoing 32 bytes; holds them all; then
// closes them all. Linux (node:net over a veth pair) and two stacks (over memif, as
// stack-to-stack services connect; --device af_packet: both stacks on the veth pair)
// alternate.
// Linux's side opens at most what its open-files limit allows (each end holds one file
// per connection; the hard limit cannot be raised in every container): the table says.
// Bounded: a side that does not finish in 300 s is a failed round.
const { median } = require('../harness')
const wire = require('./wire')
const { Namespaces } = require('./namespaces')
const { startServer, runClient, cpuSeconds, stop, lines } = require('./procs')

const PORTS = [7000, 7001, 7002, 7003]

async function once (kind, count, device) {
  const ns = new Namespaces(`gzc${process.pid}`)
  let srv = null
  try {
    const names = wire.directPair(ns, kind)
    const socket = `/tmp/gzc-${process.pid}.memif`
    const stackSide = (s) => device === 'af_packet'
      ? wire.stackOptions(s)
      : { device: { type: 'memif', role: s === 'b' ? 'server' : 'client', socket }, ip: `${wire.ENDS[s].ip}/24` }
    const side = (s) => (kind === 'stack' ? { stack: stackSide(s) } : {})
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
      tcp: closed.tcp,
      openTcp: open.tcp,
      port: closed.port,
      server: await serverStats(srv)
    }
  } finally {
    await stop(srv)
    ns.removeAll()
    require('node:fs').rmSync(`/tmp/gzc-${process.pid}.memif`, { force: true })
  }
}

/** The server stack's TCP and port counters (peer.js answers SIGUSR2 with a line), or null. */
function serverStats (srv) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), 5000)
    lines(srv, (l) => {
      if (!l.includes('"connections"')) return
      clearTimeout(timer)
      const { stats } = JSON.parse(l)
      resolve(stats ? { tcp: stats.tcp, port: stats.port } : null)
    })
    srv.kill('SIGUSR2')
  })
}

/** Connections a kernel process can hold: its open-files limit, less some for node. */
function kernelMax () {
  const line = require('node:fs').readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))
  return Math.floor((Number(line.split(/\s+/)[4]) - 500) / 500) * 500
}

async function run ({ rounds, log, options }) {
  const count = Number(options.count || 100_000)
  const device = options.device || 'memif'
  if (!['memif', 'af_packet'].includes(device)) throw new Error(`--device: memif or af_packet, not ${device}`)
  const kinds = (options.kinds || 'kernel,stack').split(',')
  const counts = { kernel: Math.min(count, kernelMax()), stack: count }
  const samples = { kernel: [], stack: [] }
  for (let r = 1; r <= rounds; r++) {
    for (const kind of kinds) {
      let s
      try {
        s = await once(kind, counts[kind], device)
      } catch (e) {
        s = { ok: 0, failed: counts[kind], codes: { [e.message]: 1 }, openS: NaN, closeS: NaN, perConnKiB: NaN, serverCpu: NaN }
      }
      samples[kind].push(s)
      log(`round ${r} ${kind}: ${s.ok}/${counts[kind]} connected and echoed (${JSON.stringify(s.codes)}), open ${s.openS.toFixed(1)} s, ` +
        `close ${s.closeS.toFixed(1)} s, client RSS ${s.perConnKiB.toFixed(2)} KiB/connection, server CPU ${s.serverCpu.toFixed(1)} s` +
        (s.tcp ? `; client tcp after close: pcbs ${s.tcp.pcbs} timeWait ${s.tcp.timeWait} sockets ${s.tcp.sockets} ` +
          `timeouts ${s.tcp.timeouts} (opening ${s.openTcp.timeouts}) loss probes ${s.tcp.lossProbes}, rx missed ${s.port.rxMissed}` : '') +
        (s.server ? `; server: timeouts ${s.server.tcp.timeouts} loss probes ${s.server.tcp.lossProbes}, rx missed ${s.server.port.rxMissed}` : ''))
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
    `| metric | Linux (node:net, veth) | stacks (${device}) |`,
    '|---|---:|---:|',
    row('connections', () => NaN).replace(/NaN \| NaN/, `${counts.kernel} | ${counts.stack}`),
    row('connected and echoed', (s) => s.ok),
    row('open time (s)', (s) => s.openS, (v) => v.toFixed(1)),
    row('close time (s)', (s) => s.closeS, (v) => v.toFixed(1)),
    row('client RSS per open connection (KiB)', (s) => s.perConnKiB, (v) => v.toFixed(2)),
    row('server CPU, whole run (s)', (s) => s.serverCpu, (v) => v.toFixed(1))
  ].join('\n')
}

module.exports = { run, options: { count: { hint: 'N' }, device: { hint: 'memif|af_packet' }, kinds: { hint: 'kernel,stack' } } }
