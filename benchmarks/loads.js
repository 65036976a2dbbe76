'use strict'
// Suites that run several client loads against the same server (undici, fastify): each
// round measures every load on the kernel, then on the stack; the table has requests/s,
// latency and CPU rows per load.
const { measure, ratioTable, starvedReport, cpuText, BOUND } = require('./harness')

// loads: [{ key, label, args }] with args the client's arguments after the request count.
async function runLoads ({ suite, port, requests, loads, rounds, log }) {
  const samples = { kernel: [], stack: [] }
  for (let r = 1; r <= rounds; r++) {
    for (const transport of ['kernel', 'stack']) {
      const sample = {}
      for (const load of loads) {
        const res = await measure(suite, transport, port, [requests, ...load.args])
        sample[load.key] = res
        log(`round ${r} ${transport} ${load.label}: ${res.rps.toFixed(0)} req/s, p50 ${res.p50us.toFixed(0)} us, p99 ${res.p99us.toFixed(0)} us ${cpuText(res)}`)
      }
      samples[transport].push(sample)
    }
  }
  const rows = loads.flatMap(({ key, label }) => [
    [`Requests/s (${label})`, `${key}.rps`, 0, BOUND],
    [`Latency p50 (us, ${label})`, `${key}.p50us`, 0, BOUND],
    [`Latency p99 (us, ${label})`, `${key}.p99us`, 0, BOUND],
    [`Client CPU (cores, ${label})`, `${key}.clientCpu`, 2],
    [`Server CPU (cores, ${label})`, `${key}.serverCpu`, 2]
  ])
  const footer = starvedReport(samples, loads.map((l) => l.key))
  return { table: ratioTable(samples, rows), footer }
}

module.exports = { runLoads }
