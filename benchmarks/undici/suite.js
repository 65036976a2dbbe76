'use strict'
// npm run bench -- undici: requests/s and latency of an undici client against the same
// node:http server, over kernel loopback (undici.Agent) vs the stack over memif
// (GazelleAgent). Three loads: one connection (latency-bound), 16 connections through
// undici.request(), and 16 connections through the leaner Dispatcher API.
const { runLoads } = require('../loads')

const PORT = 7200
const REQUESTS = 30000
const LOADS = [
  { key: 'c1', label: '1 connection, request()', args: [1, 1, 'request'] },
  { key: 'c16', label: '16 connections, request()', args: [1, 16, 'request'] },
  { key: 'c16d', label: '16 connections, dispatch()', args: [1, 16, 'dispatch'] }
]

async function run ({ rounds, log }) {
  const { table, footer } = await runLoads({ suite: 'undici', port: PORT, requests: REQUESTS, loads: LOADS, rounds, log })
  return [
    `${rounds} alternating rounds; ${REQUESTS} GET requests per run after a warm-up, ` +
      'no pipelining; loads: ' + LOADS.map((l) => l.label).join('; ') + '. ' + footer,
    '',
    table
  ].join('\n')
}

module.exports = { run }
