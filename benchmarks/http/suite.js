'use strict'
// npm run bench -- http: Fastify hello world measured the way its users measure it,
// with C load generators in another network namespace over one veth pair:
//   - at saturation (wrk): requests/s and latency p50/p99
//   - at a fixed offered rate (h2load --rps): latency p50/p99 and CPU per request
// for each server kind (kinds.js): the kernel serving on its veth end with the offloads
// it runs with, and the stack on the same veth end (af_packet). Each measurement starts
// a fresh server, warms it up, and takes every process's CPU and run-queue wait over
// the same window; kinds alternate (the order flips every round).
const { start, once, stop, ratioTable, starvedReport, getMaxWait, fmt, BOUND } = require('../harness')
const usage = require('../usage')
const { vethPair } = require('../netns')
const { wrk, h2load } = require('./loadgen')
const { kinds, serverLaunch } = require('./kinds')

const PORT = 8080
const DEFAULT_KINDS = ['kernel', 'af_packet', 'af_xdp']
const WARMUP_SECONDS = 2

const options = {
  kinds: { hint: `${Object.keys(kinds).join(',')} (default ${DEFAULT_KINDS.join(',')})` },
  seconds: { hint: 'N (each measured run; default 10)' },
  connections: { hint: 'N (default 32 for wrk, 16 for h2load)' },
  threads: { hint: 'N (wrk threads, default 1)' },
  rate: { hint: 'REQ/S (fixed offered rate; default half the slowest kind\'s saturated rate)' }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function positive (values, name, fallback) {
  if (values[name] === undefined) return fallback
  const n = Number(values[name])
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${values[name]}`)
  return n
}

// Starts the kind's server on the server end of the veth (after putting the link in
// the kind's state), runs fn(server), stops it.
async function withServer (net, name, fn) {
  const kind = kinds[name]
  kind.prepare(net)
  const { args, nodeArgs, env } = serverLaunch(kind, net, PORT)
  const server = start('http/server.js', args, net.serverNs, { nodeArgs, env })
  try {
    const ready = await once(server, `${name} server start`)
    if (!ready.ready) throw new Error(`${name} server: ${JSON.stringify(ready)}`)
    return await fn(server)
  } finally {
    await stop(server)
  }
}

// Runs a load generator; over its middle (from `skip` s for `window` s) takes the
// server's, the generator's and the machine's usage.
async function windowed (server, gen, skipSeconds, windowSeconds) {
  await sleep(skipSeconds * 1000)
  const c0 = usage.snapshot(gen.child.pid)
  const m0 = usage.machineSnapshot()
  server.send('cpu-start')
  await sleep(windowSeconds * 1000)
  const client = usage.since(c0)
  const machine = usage.machineSince(m0)
  server.send('cpu-stop')
  const srv = await once(server, 'server cpu')
  const result = await gen.done
  if (result.errors) throw new Error(`the load generator saw ${result.errors} errors (failed connections or responses)`)
  return {
    ...result,
    clientCpu: client.cpu,
    clientWait: client.threadWait,
    serverCpu: srv.cpu,
    serverWait: srv.wait,
    served: srv.served / srv.seconds,
    serverUsPerReq: srv.served ? (srv.cpu * srv.seconds * 1e6) / srv.served : NaN,
    clientUsPerReq: srv.served ? (client.cpu * srv.seconds * 1e6) / srv.served : NaN,
    machineUsPerReq: srv.served ? (machine.busy * srv.seconds * 1e6) / srv.served : NaN,
    machineCpu: machine.busy,
    steal: machine.steal
  }
}

function saturation (net, name, url, o) {
  return withServer(net, name, async (server) => {
    await wrk(net, url, { ...o, seconds: WARMUP_SECONDS }).done
    const res = await windowed(server, wrk(net, url, o), 1, o.seconds - 2)
    res.starved = usage.starvation({ server: res.serverWait, wrk: res.clientWait }, getMaxWait())
    return res
  })
}

function fixedRate (net, name, url, o, rate) {
  return withServer(net, name, async (server) => {
    await wrk(net, url, { ...o, connections: o.h2Connections, seconds: WARMUP_SECONDS }).done
    const gen = h2load(net, url, { seconds: o.seconds, connections: o.h2Connections, rate, warmupSeconds: 1 })
    const res = await windowed(server, gen, 2, o.seconds - 2)
    res.offered = rate
    res.starved = usage.starvation({ server: res.serverWait, h2load: res.clientWait }, getMaxWait())
    if (!res.starved && res.served < 0.95 * rate) {
      res.starved = `served ${res.served.toFixed(0)} req/s of the ${rate} offered`
    }
    return res
  })
}

function cpuLine (m) {
  const side = (who, cpu, wait) => `${who} ${fmt(cpu, 2)} cores (waited ${fmt(wait * 100, 0)}%)`
  const text = `[${side('server', m.serverCpu, m.serverWait)}, ${side('client', m.clientCpu, m.clientWait)}, ` +
    `machine ${fmt(m.machineCpu, 2)} cores busy, ${fmt(m.steal, 2)} stolen]`
  return m.starved ? `${text} STARVED: ${m.starved}` : text
}

async function run ({ rounds, log, options: values }) {
  const names = values.kinds ? values.kinds.split(',') : DEFAULT_KINDS
  for (const n of names) if (!kinds[n]) throw new Error(`--kinds: unknown server kind ${n} (known: ${Object.keys(kinds).join(', ')})`)
  if (names.length < 2) throw new Error('--kinds: name at least two kinds; the first is the baseline')
  const seconds = positive(values, 'seconds', 10)
  if (seconds < 5) throw new Error('--seconds must be at least 5')
  const o = {
    seconds,
    connections: positive(values, 'connections', 32),
    h2Connections: positive(values, 'connections', 16),
    threads: positive(values, 'threads', 1)
  }
  const net = vethPair()
  const url = `http://${net.serverIp}:${PORT}/`
  const samples = Object.fromEntries(names.map((n) => [n, Array.from({ length: rounds }, () => ({}))]))
  const order = (r) => (r % 2 === 0 ? names : [...names].reverse())
  let rate
  try {
    for (let r = 0; r < rounds; r++) {
      for (const name of order(r)) {
        const m = await saturation(net, name, url, o)
        samples[name][r].sat = m
        log(`round ${r + 1} ${name} saturation: ${m.rps.toFixed(0)} req/s, p50 ${m.p50us.toFixed(0)} us, p99 ${m.p99us.toFixed(0)} us ${cpuLine(m)}`)
      }
    }
    rate = positive(values, 'rate', 0)
    if (!rate) {
      const valid = (n) => samples[n].map((s) => s.sat).filter((m) => !m.starved).map((m) => m.rps)
      const medians = names.map((n) => valid(n)).filter((v) => v.length).map((v) => v.sort((a, b) => a - b)[v.length >> 1])
      const slowest = medians.length ? Math.min(...medians) : Math.min(...names.flatMap((n) => samples[n].map((s) => s.sat.rps)))
      rate = Math.max(1000, Math.round(slowest / 2 / 1000) * 1000)
    }
    rate = Math.round(rate / o.h2Connections) * o.h2Connections
    for (let r = 0; r < rounds; r++) {
      for (const name of order(r)) {
        const m = await fixedRate(net, name, url, o, rate)
        samples[name][r].fixed = m
        log(`round ${r + 1} ${name} at ${rate} req/s: p50 ${m.p50us.toFixed(0)} us, p99 ${m.p99us.toFixed(0)} us, ` +
          `server ${m.serverUsPerReq.toFixed(1)} us CPU per request ${cpuLine(m)}`)
      }
    }
  } finally {
    net.close()
  }
  const sides = names.map((n) => ({ key: n, label: kinds[n].label }))
  const footer = starvedReport(samples, ['sat', 'fixed'], names)
  return [
    `${rounds} rounds, kinds alternating; Fastify hello world in one network namespace, the load generator in ` +
      `another, one veth pair between them. Saturation: wrk -t${o.threads} -c${o.connections}, ${seconds} s. ` +
      `Fixed rate: h2load --h1 -c${o.h2Connections} at ${rate} req/s in all, ${seconds} s. CPU and run-queue wait are ` +
      `taken over the middle ${seconds - 2} s of each run; "machine" counts every CPU on the host (kernel ` +
      `network work included), so it means something only on an otherwise idle machine. ${footer}`,
    '',
    ratioTable(samples, [
      ['Requests/s at saturation (wrk)', 'sat.rps', 0, BOUND],
      ['Latency p50 at saturation (us)', 'sat.p50us', 0, BOUND],
      ['Latency p99 at saturation (us)', 'sat.p99us', 0, BOUND],
      ['Server CPU at saturation (cores)', 'sat.serverCpu', 2],
      ['wrk CPU at saturation (cores)', 'sat.clientCpu', 2],
      [`Latency p50 at ${rate} req/s (us)`, 'fixed.p50us', 0, BOUND],
      [`Latency p99 at ${rate} req/s (us)`, 'fixed.p99us', 0, BOUND],
      [`Server CPU per request at ${rate} req/s (us)`, 'fixed.serverUsPerReq', 1],
      [`h2load CPU per request at ${rate} req/s (us)`, 'fixed.clientUsPerReq', 1],
      [`Machine CPU per request at ${rate} req/s (us)`, 'fixed.machineUsPerReq', 1]
    ], undefined, sides)
  ].join('\n')
}

module.exports = { run, options }
