'use strict'
// npm run bench -- udp: 64-byte UDP request/response, node:dgram over kernel loopback
// vs @gazelle/stack over memif, alternating: round-trip time with one request in
// flight, and request/response pairs per second with 32 in flight.
const { measure, ratioTable, starvedReport, cpuText, BOUND } = require('../harness')

const PORT = 7300
const RTT_MESSAGES = 50000
const PPS_MESSAGES = 200000
const WINDOW = 32

function lost (results) {
  return results.reduce((n, s) => n + s.rtt.lost + s.pps.lost, 0)
}

async function run ({ rounds, log }) {
  const samples = { kernel: [], stack: [] }
  for (let r = 1; r <= rounds; r++) {
    for (const transport of ['kernel', 'stack']) {
      const rtt = await measure('udp', transport, PORT, [RTT_MESSAGES, 1])
      const pps = await measure('udp', transport, PORT, [PPS_MESSAGES, WINDOW])
      samples[transport].push({ rtt, pps })
      log(`round ${r} ${transport}: rtt p50 ${rtt.p50us.toFixed(1)} us p99 ${rtt.p99us.toFixed(1)} us ${cpuText(rtt)}; ` +
        `${pps.pps.toFixed(0)} req/resp per s (window ${WINDOW}) ${cpuText(pps)}, lost ${rtt.lost + pps.lost}`)
    }
  }
  const footer = starvedReport(samples, ['rtt', 'pps'])
  return [
    `${rounds} alternating rounds; 64-byte datagrams; RTT over ${RTT_MESSAGES} ping-pongs, ` +
      `throughput over ${PPS_MESSAGES} request/response pairs with ${WINDOW} in flight (each pair is two datagrams). ${footer}`,
    '',
    ratioTable(samples, [
      ['RTT p50 (us, 64 B)', 'rtt.p50us', 1, BOUND],
      ['RTT p99 (us, 64 B)', 'rtt.p99us', 1, BOUND],
      ['Request/response pairs per s (window 32)', 'pps.pps', 0, BOUND],
      ['Throughput client CPU (cores)', 'pps.clientCpu', 2],
      ['Throughput server CPU (cores)', 'pps.serverCpu', 2]
    ], 'node:dgram, loopback'),
    '',
    `Requests lost and sent again, all rounds: kernel ${lost(samples.kernel)}, stack ${lost(samples.stack)}.`
  ].join('\n')
}

module.exports = { run }
