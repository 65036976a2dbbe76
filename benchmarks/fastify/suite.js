'use strict'
// npm run bench -- fastify: requests/s, latency and CPU of the same hello-world Fastify
// app under the same undici load (16 connections; pipelining off, then 10 per
// connection; through undici.request(), then through the leaner Dispatcher API, which
// leaves more of the client's core to load the server), over kernel loopback vs the
// stack over memif (@gazelle/fastify + GazelleAgent).
const { measure, ratioTable } = require('../harness')

const PORT = 7300
const REQUESTS = 30000
const LOADS = [
  { key: 'r1', label: 'request(), no pipelining', args: [1, 16, 'request'] },
  { key: 'r10', label: 'request(), pipelining 10', args: [10, 16, 'request'] },
  { key: 'd1', label: 'dispatch(), no pipelining', args: [1, 16, 'dispatch'] },
  { key: 'd10', label: 'dispatch(), pipelining 10', args: [10, 16, 'dispatch'] }
]

async function run ({ rounds, log }) {
  const samples = { kernel: [], stack: [] }
  for (let r = 1; r <= rounds; r++) {
    for (const transport of ['kernel', 'stack']) {
      const sample = {}
      for (const load of LOADS) {
        const res = await measure('fastify', transport, PORT, [REQUESTS, ...load.args])
        sample[load.key] = res
        log(`round ${r} ${transport} ${load.label}: ${res.rps.toFixed(0)} req/s, p50 ${res.p50us.toFixed(0)} us, p99 ${res.p99us.toFixed(0)} us`)
      }
      samples[transport].push(sample)
    }
  }
  const rows = LOADS.flatMap(({ key, label }) => [
    [`Requests/s (${label})`, (s) => s[key].rps, 0],
    [`Latency p50 (us, ${label})`, (s) => s[key].p50us, 0],
    [`Latency p99 (us, ${label})`, (s) => s[key].p99us, 0],
    [`Client CPU (cores, ${label})`, (s) => s[key].clientCpu, 2],
    [`Server CPU (cores, ${label})`, (s) => s[key].serverCpu, 2]
  ])
  return [
    `Medians of ${rounds} alternating rounds; ${REQUESTS} GET requests per run after a warm-up, 16 connections, ` +
      'Fastify hello world; loads: ' + LOADS.map((l) => l.label).join('; ') + '.',
    '',
    ratioTable(samples, rows)
  ].join('\n')
}

module.exports = { run }
