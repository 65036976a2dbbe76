'use strict'
// npm run bench -- tcp: ping-pong RTT of 64-byte messages and one-connection bulk
// throughput, node:net/kernel loopback vs @gazelle/stack/memif, alternating. Bulk also
// runs on memif set up the way loopback is (stack-jumbo: 64 KiB frames, no checksums),
// the like-for-like comparison for a one-host link.
const { measure, ratioTable, starvedReport, cpuText, BOUND } = require('../harness')

const PORT = 7100
const MESSAGES = 50000
const BULK_BYTES = 512 * 1024 * 1024
// The table's rows (tcp-veth prints the same): [label, measurement.key, digits, kind]
const ROWS = [
  ['RTT p50 (us, 64 B)', 'rtt.p50us', 1, BOUND],
  ['RTT p99 (us, 64 B)', 'rtt.p99us', 1, BOUND],
  ['RTT client CPU (cores)', 'rtt.clientCpu', 2],
  ['RTT server CPU (cores)', 'rtt.serverCpu', 2],
  ['Bulk (Gbit/s, 1 conn)', 'bulk.gbps', 2, BOUND],
  ['Bulk client CPU (cores)', 'bulk.clientCpu', 2],
  ['Bulk server CPU (cores)', 'bulk.serverCpu', 2]
]

async function run ({ rounds, log }) {
  const samples = { kernel: [], stack: [], 'stack-jumbo': [] }
  for (let r = 1; r <= rounds; r++) {
    for (const transport of ['kernel', 'stack']) {
      const rtt = await measure('tcp', transport, PORT, ['rtt', MESSAGES])
      const bulk = await measure('tcp', transport, PORT, ['bulk', BULK_BYTES])
      samples[transport].push({ rtt, bulk })
      log(`round ${r} ${transport}: rtt p50 ${rtt.p50us.toFixed(1)} us p99 ${rtt.p99us.toFixed(1)} us ${cpuText(rtt)}; ` +
        `bulk ${bulk.gbps.toFixed(2)} Gbit/s ${cpuText(bulk)}`)
    }
    const bulk = await measure('tcp', 'stack-jumbo', PORT, ['bulk', BULK_BYTES])
    samples['stack-jumbo'].push({ bulk })
    log(`round ${r} stack-jumbo: bulk ${bulk.gbps.toFixed(2)} Gbit/s ${cpuText(bulk)}`)
  }
  const footer = starvedReport(samples, ['rtt', 'bulk'], Object.keys(samples))
  return [
    `${rounds} alternating rounds; ${MESSAGES} ping-pongs, ${BULK_BYTES / 1048576} MiB bulk. ${footer}`,
    '',
    ratioTable(samples, ROWS, undefined, [
      { key: 'kernel', label: 'kernel (node:net, loopback)' },
      { key: 'stack', label: 'stack (memif)' },
      { key: 'stack-jumbo', label: 'stack (memif, MTU 65000, no checksums)' }
    ])
  ].join('\n')
}

module.exports = { run, ROWS }
