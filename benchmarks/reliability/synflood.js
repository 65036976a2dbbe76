'use strict'
// npm run bench -- reliability/synflood [--rounds N] [--write]
// An 8 s SYN flood from spoofed sources (hping3 --flood --rand-source) at a node:http
// server on Linux and on a stack (af_packet on the same veth), while a client requests
// every 133 ms (curl, 6 s bound: its SYN retries fit); then 10 requests after the flood.
// Rounds alternate Linux and the stack. Linux answers a full SYN queue with cookies
// (net.ipv4.tcp_syncookies=1, the default); the stack with its own (LwIP patch 0003).
const { execFile } = require('node:child_process')
const { median } = require('../harness')
const wire = require('./wire')
const { Namespaces } = require('./namespaces')
const { startServer, cpuSeconds, stop } = require('./procs')

const FLOOD_S = 8
const REQUESTS = 60
const PORT = 7000

function inNs (ns, cmd, args, timeoutMs) {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', ns, cmd, ...args], { timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) =>
      resolve({ ok: !err, stdout: String(stdout), stderr: String(stderr) }))
  })
}

async function get (ns) {
  const t0 = Date.now()
  const r = await inNs(ns, 'curl', ['-s', '--noproxy', '*', '--max-time', '6', '-o', '/dev/null', '-w', '%{http_code}', `http://${wire.ENDS.b.ip}:${PORT}/`], 10_000)
  return { ok: r.stdout === '200', ms: Date.now() - t0 }
}

async function once (kind) {
  const ns = new Namespaces(`gzf${process.pid}`)
  let srv = null
  try {
    const names = ns.make(['a', 'b'])
    wire.directWire(names)
    wire.kernelEnd(names.a, 'a')
    if (kind === 'kernel') wire.kernelEnd(names.b, 'b')
    const cfg = { transport: kind, serve: 'http', port: PORT }
    if (kind === 'stack') cfg.stack = wire.stackOptions('b')
    srv = await startServer(names.b, cfg)
    if (!(await get(names.a)).ok) throw new Error(`${kind}: not served before the flood`)
    const cpu0 = cpuSeconds(srv.pid)
    const flood = inNs(names.a, 'timeout', [String(FLOOD_S), 'hping3', '--flood', '--rand-source', '-S', '-p', String(PORT), wire.ENDS.b.ip], (FLOOD_S + 10) * 1000)
    const t0 = Date.now()
    const during = []
    for (let i = 0; i < REQUESTS; i++) {
      const at = t0 + (i * FLOOD_S * 1000) / REQUESTS
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())))
      during.push(get(names.a))
    }
    const results = await Promise.all(during)
    const hp = await flood
    const serverCpu = (cpuSeconds(srv.pid) - cpu0) / ((Date.now() - t0) / 1000)
    const sent = Number((/(\d+) packets transmitted/.exec(hp.stdout + hp.stderr) || [])[1] || NaN)
    let after = 0
    for (let i = 0; i < 10; i++) if ((await get(names.a)).ok) after++
    const ok = results.filter((r) => r.ok)
    return { served: ok.length, after, p50: median(ok.map((r) => r.ms)), max: Math.max(...ok.map((r) => r.ms)), sent, serverCpu }
  } finally {
    await stop(srv)
    ns.removeAll()
  }
}

async function run ({ rounds, log }) {
  const samples = { kernel: [], stack: [] }
  for (let r = 1; r <= rounds; r++) {
    for (const kind of ['kernel', 'stack']) {
      const s = await once(kind)
      samples[kind].push(s)
      log(`round ${r} ${kind}: ${s.served}/${REQUESTS} served during the flood (p50 ${s.p50} ms, max ${s.max} ms), ` +
        `${s.after}/10 after; ${s.sent} SYNs sent; server CPU ${s.serverCpu.toFixed(2)}`)
    }
  }
  const row = (label, pick, fmt = (v) => String(v)) =>
    `| ${label} | ${fmt(median(samples.kernel.map(pick)))} | ${fmt(median(samples.stack.map(pick)))} |`
  return [
    `An ${FLOOD_S} s hping3 --flood --rand-source SYN flood over a veth pair; ${REQUESTS} curl requests spread over it, ` +
    `10 after it. Medians of ${rounds} alternating rounds (min-max of served: Linux ` +
    `${Math.min(...samples.kernel.map((s) => s.served))}-${Math.max(...samples.kernel.map((s) => s.served))}, stack ` +
    `${Math.min(...samples.stack.map((s) => s.served))}-${Math.max(...samples.stack.map((s) => s.served))}). Target: >= 57 served, none lost after.`,
    '',
    '| metric | Linux (node:http) | stack (af_packet) |',
    '|---|---:|---:|',
    row(`served during the flood (of ${REQUESTS})`, (s) => s.served),
    row('served after it (of 10)', (s) => s.after),
    row('request time p50 (ms)', (s) => s.p50),
    row('request time max (ms)', (s) => s.max),
    row('SYNs hping3 sent', (s) => s.sent),
    row('server CPU during the flood (cores)', (s) => s.serverCpu, (v) => v.toFixed(2))
  ].join('\n')
}

module.exports = { run }
