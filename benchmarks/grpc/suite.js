'use strict'
// npm run bench -- grpc: unary calls/s and latency of a grpc-js client (32 calls in
// flight on one channel) against the same grpc-js server, over kernel loopback vs the
// stack over memif (serveOnStack + stackChannelOptions).
const { measure, ratioTable, starvedReport, cpuText, BOUND } = require('../harness')

const PORT = 7300
const CALLS = 20000

async function run ({ rounds, log }) {
  const samples = { kernel: [], stack: [] }
  for (let r = 1; r <= rounds; r++) {
    for (const transport of ['kernel', 'stack']) {
      const res = await measure('grpc', transport, PORT, [CALLS])
      samples[transport].push(res)
      log(`round ${r} ${transport}: ${res.cps.toFixed(0)} calls/s, p50 ${res.p50us.toFixed(0)} us, p99 ${res.p99us.toFixed(0)} us ${cpuText(res)}`)
    }
  }
  const footer = starvedReport(samples, [''])
  return [
    `${rounds} alternating rounds; ${CALLS} unary SayHello calls, 32 in flight on one channel. ${footer}`,
    '',
    ratioTable(samples, [
      ['Calls/s', 'cps', 0, BOUND],
      ['Latency p50 (us)', 'p50us', 0, BOUND],
      ['Latency p99 (us)', 'p99us', 0, BOUND],
      ['Client CPU (cores)', 'clientCpu', 2],
      ['Server CPU (cores)', 'serverCpu', 2]
    ])
  ].join('\n')
}

module.exports = { run }
