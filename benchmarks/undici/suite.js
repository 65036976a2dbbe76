'use strict'
// npm run bench -- undici: requests/s and latency of an undici client (16
// connections, no pipelining) against the same node:http server, over
// kernel loopback (undici.Agent) vs the stack over memif (GazelleAgent).
const { measure, ratioTable } = require('../harness')

const PORT = 7200
const REQUESTS = 30000

async function run ({ rounds, log }) {
  const samples = { kernel: [], stack: [] }
  for (let r = 1; r <= rounds; r++) {
    for (const transport of ['kernel', 'stack']) {
      const res = await measure('undici', transport, PORT, [REQUESTS])
      samples[transport].push(res)
      log(`round ${r} ${transport}: ${res.rps.toFixed(0)} req/s, p50 ${res.p50us.toFixed(0)} us, p99 ${res.p99us.toFixed(0)} us`)
    }
  }
  return [
    `Medians of ${rounds} alternating rounds; ${REQUESTS} GET requests, 16 connections, no pipelining.`,
    '',
    ratioTable(samples, [
      ['Requests/s', (s) => s.rps, 0],
      ['Latency p50 (us)', (s) => s.p50us, 0],
      ['Latency p99 (us)', (s) => s.p99us, 0],
      ['Client CPU (cores)', (s) => s.clientCpu, 2],
      ['Server CPU (cores)', (s) => s.serverCpu, 2]
    ])
  ].join('\n')
}

module.exports = { run }
