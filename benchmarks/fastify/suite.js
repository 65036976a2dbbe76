'use strict'
// npm run bench -- fastify: requests/s, latency and CPU of the same hello-world Fastify
// app under the same undici load (16 connections; pipelining off, then 10 per
// connection; through undici.request(), then through the leaner Dispatcher API, which
// leaves more of the client's core to load the server), over kernel loopback vs the
// stack over memif (@gazelle/fastify + GazelleAgent).
const { runLoads } = require('../loads')

const PORT = 7300
const REQUESTS = 30000
const LOADS = [
  { key: 'r1', label: 'request(), no pipelining', args: [1, 16, 'request'] },
  { key: 'r10', label: 'request(), pipelining 10', args: [10, 16, 'request'] },
  { key: 'd1', label: 'dispatch(), no pipelining', args: [1, 16, 'dispatch'] },
  { key: 'd10', label: 'dispatch(), pipelining 10', args: [10, 16, 'dispatch'] }
]

async function run ({ rounds, log }) {
  const { table, footer } = await runLoads({ suite: 'fastify', port: PORT, requests: REQUESTS, loads: LOADS, rounds, log })
  return [
    `${rounds} alternating rounds; ${REQUESTS} GET requests per run after a warm-up, 16 connections, ` +
      'Fastify hello world; loads: ' + LOADS.map((l) => l.label).join('; ') + '. ' + footer,
    '',
    table
  ].join('\n')
}

module.exports = { run }
