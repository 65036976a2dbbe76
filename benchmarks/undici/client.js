'use strict'
// Benchmark client: undici over the kernel (its own Agent) or over the stack
// (@gazelle/undici's GazelleAgent), the same requests, CONNECTIONS at a time, or
// CONNECTIONS x PIPELINING with an optional 5th argument (requests pipelined per connection).
const path = require('node:path')
const { open } = require('../transport')
const { runMain } = require('../serve')

const undici = require(require.resolve('undici', { paths: [path.dirname(require.resolve('@gazelle/undici'))] }))

const CONNECTIONS = 16

async function main () {
  const [transport, port, socketPath, requests, pipelining = '1'] = process.argv.slice(2)
  const total = Number(requests)
  const depth = Number(pipelining)
  // undici holds a GET back until the one before it is answered unless it is non-blocking.
  const requestOptions = depth > 1 ? { blocking: false } : {}
  let dispatcher
  let t
  if (transport === 'kernel') {
    t = await open('kernel', 'client', socketPath)
    dispatcher = new undici.Agent({ connections: CONNECTIONS, pipelining: depth })
  } else {
    const { createStack } = require('@gazelle/stack')
    const { GazelleAgent } = require('@gazelle/undici')
    const stack = await createStack({
      device: { type: 'memif', role: 'client', socket: socketPath },
      ip: '10.10.0.2/24',
      poll: process.env.GAZELLE_POLL || 'adaptive'
    })
    t = { host: '10.10.0.1', close: () => stack.close() }
    dispatcher = new GazelleAgent({ stack, connections: CONNECTIONS, pipelining: depth })
  }
  const origin = `http://${t.host}:${port}`
  const times = new Float64Array(total)
  let next = 0
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  async function worker () {
    while (next < total) {
      const i = next++
      const start = process.hrtime.bigint()
      const res = await undici.request(origin, { dispatcher, ...requestOptions })
      await res.body.text()
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`)
      times[i] = Number(process.hrtime.bigint() - start) / 1000
    }
  }
  await Promise.all(Array.from({ length: CONNECTIONS * depth }, worker))
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  const cpu = process.cpuUsage(cpu0)
  await dispatcher.close()
  await t.close()
  const sorted = Array.from(times).sort((a, b) => a - b)
  process.send({
    rps: total / seconds,
    p50us: sorted[Math.floor(total * 0.5)],
    p99us: sorted[Math.floor(total * 0.99)],
    seconds,
    clientCpu: (cpu.user + cpu.system) / 1e6 / seconds
  })
  process.disconnect()
}

runMain(main)
