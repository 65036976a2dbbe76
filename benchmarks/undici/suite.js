'use strict'
// npm run bench -- undici: requests/s and latency of an undici client against the same
// node:http server, over kernel loopback (undici.Agent) vs the stack over memif
// (GazelleAgent). Three loads: one connection (latency-bound), 16 connections through
// undici.request(), and 16 connections through the leaner Dispatcher API.
const { measure, ratioTable } = require('../harness')

const PORT = 7200
const REQUESTS = 30000
const LOADS = [
  { key: 'c1', label: '1 connection, request()', args: [1, 1, 'request'] },
  { key: 'c16', label: '16 connections, request()', args: [1, 16, 'request'] },
  { key: 'c16d', label: '16 connections, dispatch()', args: [1, 16, 'dispatch'] }
]

async function run ({ rounds, log }) {
  const samples = { kernel: [], stack: [] }
  for (let r = 1; r <= rounds; r++) {
    for (const transport of ['kernel', 'stack']) {
      const sample = {}
      for (const load of LOADS) {
        const res = await measure('undici', transport, PORT, [REQUESTS, ...load.args])
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
    `Medians of ${rounds} alternating rounds; ${REQUESTS} GET requests per run after a warm-up, ` +
      'no pipelining; loads: ' + LOADS.map((l) => l.label).join('; ') + '.',
    '',
    ratioTable(samples, rows)
  ].join('\n')
}

module.exports = { run }
