'use strict'
// npm run bench -- tcp-veth [--kinds kernel,af_packet,af_xdp] [--rounds N]: the tcp
// suite's ping-pong RTT (64-byte messages) and one-connection bulk (client -> server)
// against a kernel peer: node:net in one network namespace, and on the other end of one
// veth pair the server kinds of the http suite (benchmarks/http/kinds.js): the kernel,
// a stack on af_packet, a stack on af_xdp sharing the kernel's address. Kinds alternate;
// the first is the baseline.
const { measure, ratioTable, starvedReport, cpuText } = require('../harness')
const { vethPair } = require('../netns')
const { kinds } = require('../http/kinds')
const { ROWS } = require('./suite')

const PORT = 7100
const MESSAGES = 20000
const BULK_BYTES = 256 * 1024 * 1024
const DEFAULT_KINDS = ['kernel', 'af_packet', 'af_xdp']

const options = {
  kinds: { hint: `${Object.keys(kinds).filter((k) => !kinds[k].register).join(',')} (default ${DEFAULT_KINDS.join(',')})` }
}

async function run ({ rounds, log, options: values }) {
  const names = values.kinds ? values.kinds.split(',') : DEFAULT_KINDS
  for (const n of names) {
    if (!kinds[n] || kinds[n].register) throw new Error(`--kinds: unknown server kind ${n}`)
  }
  if (names.length < 2) throw new Error('--kinds: name at least two kinds; the first is the baseline')
  const net = vethPair('10.41.0')
  const samples = Object.fromEntries(names.map((n) => [n, []]))
  try {
    for (let r = 1; r <= rounds; r++) {
      for (const name of r % 2 ? names : [...names].reverse()) {
        const kind = kinds[name]
        const env = {
          GAZELLE_BENCH_VETH: JSON.stringify({
            host: net.serverIp,
            cidr: `${net.serverIp}/${net.prefix}`,
            stack: kind.stack ? kind.stack(net) : null
          })
        }
        const where = { serverNs: net.serverNs, clientNs: net.clientNs, env }
        kind.prepare(net)
        const rtt = await measure('tcp', 'veth', PORT, ['rtt', MESSAGES], where)
        kind.prepare(net)
        const bulk = await measure('tcp', 'veth', PORT, ['bulk', BULK_BYTES], where)
        samples[name].push({ rtt, bulk })
        log(`round ${r} ${name}: rtt p50 ${rtt.p50us.toFixed(1)} us p99 ${rtt.p99us.toFixed(1)} us ${cpuText(rtt)}; ` +
          `bulk ${bulk.gbps.toFixed(2)} Gbit/s ${cpuText(bulk)}`)
      }
    }
  } finally {
    net.close()
  }
  const sides = names.map((n) => ({ key: n, label: kinds[n].label }))
  const footer = starvedReport(samples, ['rtt', 'bulk'], names)
  return [
    `${rounds} alternating rounds; node:net client in another network namespace over a veth pair; ` +
      `${MESSAGES} ping-pongs, ${BULK_BYTES / 1048576} MiB bulk to the server. ${footer}`,
    '',
    ratioTable(samples, ROWS, undefined, sides)
  ].join('\n')
}

module.exports = { run, options }
