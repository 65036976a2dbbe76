'use strict'
// npm run bench -- tcp: ping-pong RTT of 64-byte messages and one-connection bulk
// throughput, node:net/kernel loopback vs @gazelle/stack/memif, alternating.
const { once, start, socketPath, median, stop } = require('../harness')

const PORT = 7100
const MESSAGES = 20000
const BULK_BYTES = 512 * 1024 * 1024

async function measure (transport, mode, amount) {
  const sock = socketPath('tcp')
  const server = start('tcp/server.js', [transport, String(PORT), sock])
  try {
    await once(server, `${transport} server start`)
    server.send('cpu-start')
    const client = start('tcp/client.js', [transport, String(PORT), sock, mode, String(amount)])
    const result = await once(client, `${transport} ${mode} client`)
    server.send('cpu-stop')
    const { cpuMicros } = await once(server, `${transport} server cpu`)
    result.serverCpu = cpuMicros / 1e6 / result.seconds
    return result
  } finally {
    await stop(server)
  }
}

function fmt (n, digits = 1) {
  return n.toFixed(digits)
}

async function run ({ rounds, log }) {
  const samples = { kernel: { rtt: [], bulk: [] }, stack: { rtt: [], bulk: [] } }
  for (let r = 1; r <= rounds; r++) {
    for (const transport of ['kernel', 'stack']) {
      const rtt = await measure(transport, 'rtt', MESSAGES)
      const bulk = await measure(transport, 'bulk', BULK_BYTES)
      samples[transport].rtt.push(rtt)
      samples[transport].bulk.push(bulk)
      log(`round ${r} ${transport}: rtt p50 ${fmt(rtt.p50us)} us p99 ${fmt(rtt.p99us)} us, bulk ${fmt(bulk.gbps, 2)} Gbit/s`)
    }
  }
  const med = (t, kind, key) => median(samples[t][kind].map((s) => s[key]))
  const rows = [
    ['RTT p50 (us, 64 B)', 'rtt', 'p50us', 1, 'lower'],
    ['RTT p99 (us, 64 B)', 'rtt', 'p99us', 1, 'lower'],
    ['RTT client CPU (cores)', 'rtt', 'clientCpu', 2, 'lower'],
    ['RTT server CPU (cores)', 'rtt', 'serverCpu', 2, 'lower'],
    ['Bulk (Gbit/s, 1 conn)', 'bulk', 'gbps', 2, 'higher'],
    ['Bulk client CPU (cores)', 'bulk', 'clientCpu', 2, 'lower'],
    ['Bulk server CPU (cores)', 'bulk', 'serverCpu', 2, 'lower']
  ]
  const lines = [
    `Medians of ${rounds} alternating rounds; ${MESSAGES} ping-pongs, ${BULK_BYTES / 1048576} MiB bulk.`,
    '',
    '| metric | kernel (node:net, loopback) | stack (memif) | stack / kernel |',
    '|---|---:|---:|---:|'
  ]
  for (const [label, kind, key, digits] of rows) {
    const k = med('kernel', kind, key)
    const s = med('stack', kind, key)
    lines.push(`| ${label} | ${fmt(k, digits)} | ${fmt(s, digits)} | ${fmt(s / k, 2)} |`)
  }
  return lines.join('\n')
}

module.exports = { run }
