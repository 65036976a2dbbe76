'use strict'
// npm run bench -- reliability/churn [--seconds S] [--rate R] [--rounds N] [--write]
//   [--kinds kernel,stack] [--pcap DIR (tcpdump of both ends, headers only)]
// Connection churn: 64 connections at a time, each echoing 64 KiB, new ones at --rate
// per second (default 300) to one server port, for --seconds (default 240: past the
// 60 s TIME-WAIT and the 28,232 ephemeral ports of one destination, where the stack used
// to fail every connect). Linux (node:net) and stacks (af_packet on both ends) over a
// veth pair, alternating. Reports connections, failures, and the client's connection
// table and RSS at the start and the end.
const { median } = require('../harness')
const wire = require('./wire')
const { Namespaces } = require('./namespaces')
const { spawn } = require('node:child_process')
const { startServer, runClient, cpuSeconds, stop } = require('./procs')

const PORT = 7000

async function once (kind, seconds, rate, log, pcap) {
  const ns = new Namespaces(`gzh${process.pid}`)
  let srv = null
  let dump = null
  try {
    const names = wire.directPair(ns, kind)
    if (pcap) dump = ['a', 'b'].map((side) => capture(names[side], wire.ENDS[side].dev, `${pcap}/churn-${kind}-${Date.now()}-${side}.pcap`, log))
    const side = (s) => (kind === 'stack' ? { stack: wire.stackOptions(s) } : {})
    srv = await startServer(names.b, { transport: kind, serve: 'echo', port: PORT, ...side('b') })
    const cpu0 = cpuSeconds(srv.pid)
    const { lines } = await runClient(names.a, {
      transport: kind, role: 'churn', host: wire.ENDS.b.ip, port: PORT, seconds, rate, parallel: 64, bytes: 65536, ...side('a')
    }, (seconds + 120) * 1000, (l) => (l.phase === 'churn' || l.phase === 'stuck') && log(`  ${kind} ${JSON.stringify(l)}`))
    const end = lines.find((l) => l.phase === 'end')
    const first = lines.find((l) => l.phase === 'churn') || end
    return { ...end, first, serverCpu: cpuSeconds(srv.pid) - cpu0 }
  } finally {
    await stop(srv)
    if (dump) await Promise.all(dump.map(stop))
    ns.removeAll()
  }
}

/** --pcap DIR: the headers of the frames each veth end receives (tcpdump; a stack's
 * own af_packet frames bypass the capture on its end), to find the connections
 * reported stuck ({"phase":"stuck","localPort":...}). */
function capture (nsName, dev, file, log) {
  log(`  capturing headers to ${file}`)
  return spawn('ip', ['netns', 'exec', nsName, 'tcpdump', '-i', dev, '-s', '80', '-B', '65536', '-w', file, 'tcp'],
    { stdio: 'ignore' })
}

async function run ({ rounds, log, options }) {
  const seconds = Number(options.seconds || 240)
  const rate = Number(options.rate || 300)
  const samples = { kernel: [], stack: [] }
  for (let r = 1; r <= rounds; r++) {
    for (const kind of (options.kinds || 'kernel,stack').split(',')) {
      let s
      try {
        s = await once(kind, seconds, rate, log, options.pcap)
      } catch (e) {
        s = { done: 0, failed: NaN, codes: { [e.message]: 1 }, perSecond: 0, rss: NaN, rssStart: NaN, serverCpu: NaN, first: {} }
      }
      samples[kind].push(s)
      log(`round ${r} ${kind}: ${s.done} connections in ${seconds} s (${s.perSecond.toFixed(0)}/s), ${s.failed} failed ` +
        `${JSON.stringify(s.codes)}; client RSS ${(s.rssStart / 2 ** 20).toFixed(0)} -> ${(s.rss / 2 ** 20).toFixed(0)} MiB` +
        (s.pcbs !== undefined ? `; client table at 10 s: ${s.first.pcbs} pcbs (${s.first.timeWait} TIME-WAIT), at the end: ${s.pcbs} (${s.timeWait}); mbufs in use ${s.mempoolInUse}` : '') +
        `; server CPU ${s.serverCpu.toFixed(1)} s`)
    }
  }
  const row = (label, pick, fmt = (v) => String(v)) =>
    `| ${label} | ${fmt(median(samples.kernel.map(pick)))} | ${fmt(median(samples.stack.map(pick)))} |`
  return [
    `Connection churn over a veth pair: 64 at a time, 64 KiB echoed each, new connections at up to ${rate}/s to one ` +
    `server port for ${seconds} s. Medians of ${rounds} alternating rounds. Target: 0 failed, table and memory flat.`,
    '',
    '| metric | Linux (node:net) | stack (af_packet, both ends) |',
    '|---|---:|---:|',
    row('connections completed', (s) => s.done),
    row('failed', (s) => s.failed),
    row('connections per second', (s) => s.perSecond, (v) => v.toFixed(0)),
    row('client RSS at the end (MiB)', (s) => s.rss / 2 ** 20, (v) => v.toFixed(0)),
    row('server CPU (s)', (s) => s.serverCpu, (v) => v.toFixed(1))
  ].join('\n')
}

module.exports = { run, options: { seconds: { hint: 'S' }, rate: { hint: 'R' }, kinds: { hint: 'kernel,stack' }, pcap: { hint: 'DIR' } } }
