'use strict'
// npm run bench -- fastify: requests/s, latency and CPU of the same hello-world Fastify
// app under the same undici load (16 connections; pipelining off, then 10 per
// connection), over kernel loopback vs the stack over memif (@gazelle/fastify +
// GazelleAgent).
const { measure, ratioTable } = require('../harness')

const PORT = 7300
const REQUESTS = 30000
const DEPTHS = [1, 10]

async function run ({ rounds, log }) {
  const samples = { kernel: [], stack: [] }
  for (let r = 1; r <= rounds; r++) {
    for (const transport of ['kernel', 'stack']) {
      const sample = {}
      for (const depth of DEPTHS) {
        const res = await measure('fastify', transport, PORT, [REQUESTS, depth])
        sample[depth] = res
        log(`round ${r} ${transport} pipelining ${depth}: ${res.rps.toFixed(0)} req/s, p50 ${res.p50us.toFixed(0)} us, p99 ${res.p99us.toFixed(0)} us`)
      }
      samples[transport].push(sample)
    }
  }
  const rows = DEPTHS.flatMap((depth) => {
    const tag = depth === 1 ? 'no pipelining' : `pipelining ${depth}`
    return [
      [`Requests/s (${tag})`, (s) => s[depth].rps, 0],
      [`Latency p50 (us, ${tag})`, (s) => s[depth].p50us, 0],
      [`Latency p99 (us, ${tag})`, (s) => s[depth].p99us, 0],
      [`Client CPU (cores, ${tag})`, (s) => s[depth].clientCpu, 2],
      [`Server CPU (cores, ${tag})`, (s) => s[depth].serverCpu, 2]
    ]
  })
  return [
    `Medians of ${rounds} alternating rounds; ${REQUESTS} GET requests per run, 16 connections, ` +
      `Fastify hello world (${DEPTHS.map((d) => (d === 1 ? 'no pipelining' : `pipelining ${d}`)).join(', then ')}).`,
    '',
    ratioTable(samples, rows)
  ].join('\n')
}

module.exports = { run }
