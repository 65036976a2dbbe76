'use strict'
// V8 young-generation collections (scavenges) per request of the http benchmark's server:
// with the semi-space fixed at 4 MiB, their count is proportional to the bytes the
// server's JavaScript allocates, and repeatable on a loaded machine (a GC-free path is
// the goal of the socket's hot path; node:http and Fastify allocate the rest).
//   node benchmarks/http/allocations.js [--kind af_packet] [--requests 100000]
// h2load sends 30000 requests (warm-up), then --requests over 16 connections; the
// server runs with --trace-gc and its collections during the second run are counted.
const { spawn } = require('node:child_process')
const path = require('node:path')
const { parseArgs } = require('node:util')
const { vethPair } = require('../netns')
const { kinds, serverLaunch, stopServer } = require('./kinds')
const { once } = require('../harness')
const { runMain } = require('../serve')

const PORT = 8080
const SEMI_SPACE_MB = 4

async function main () {
  const { values } = parseArgs({
    options: { kind: { type: 'string', default: 'af_packet' }, requests: { type: 'string', default: '100000' } }
  })
  const kind = kinds[values.kind]
  if (!kind) throw new Error(`--kind: one of ${Object.keys(kinds).join(', ')}`)
  const requests = Number(values.requests)
  const net = vethPair()
  let server
  try {
    kind.prepare(net)
    const { args, nodeArgs, env } = serverLaunch(kind, net, PORT)
    const v8Args = ['--trace-gc', `--min-semi-space-size=${SEMI_SPACE_MB}`, `--max-semi-space-size=${SEMI_SPACE_MB}`]
    server = spawn('ip', ['netns', 'exec', net.serverNs, process.execPath, ...v8Args, ...nodeArgs,
      path.join(__dirname, 'server.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: { ...process.env, ...env } })
    let gcs = []
    server.stdout.on('data', (d) => gcs.push(...String(d).split('\n').filter((l) => /Scavenge|Mark-Compact/.test(l))))
    const ready = await once(server, 'server', 120_000)
    if (!ready.ready) throw new Error(JSON.stringify(ready))
    const url = `http://${net.serverIp}:${PORT}/`
    const h2load = (n) => {
      const out = net.exec(net.clientNs, 'h2load', ['--h1', '-n', String(n), '-c', '16', url], 600_000)
      if (!new RegExp(`${n} succeeded`).test(out)) throw new Error(`h2load:\n${out}`)
    }
    h2load(30000)
    await new Promise((resolve) => setTimeout(resolve, 300))
    gcs = []
    h2load(requests)
    await new Promise((resolve) => setTimeout(resolve, 300))
    const scavenges = gcs.filter((l) => /Scavenge/.test(l)).length
    console.log(`${values.kind}: ${requests} requests, ${scavenges} scavenges (${SEMI_SPACE_MB} MiB semi-space), ` +
      `${gcs.length - scavenges} mark-compacts; ${(requests / Math.max(1, scavenges)).toFixed(0)} requests per scavenge`)
  } finally {
    await stopServer(server)
    net.close()
  }
}

runMain(main)
