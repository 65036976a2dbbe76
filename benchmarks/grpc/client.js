'use strict'
// Benchmark gRPC client: grpc-js Greeter calls, CONCURRENCY unary calls in flight on one
// channel, over kernel loopback (a plain channel) or the stack over memif (the channel
// options from stackChannelOptions). The first calls warm the connection up.
const { open } = require('../transport')
const { runMain } = require('../serve')
const { measuring, finish } = require('../harness')
const { grpc, Greeter } = require('../../examples/grpc-greeter/greeter')

const CONCURRENCY = 32
const WARMUP = 500

async function main () {
  const [transport, port, socketPath, calls] = process.argv.slice(2)
  const total = Number(calls)
  const t = await open(transport, 'client', socketPath)
  const options = t.stack ? require('@gazelle/grpc').stackChannelOptions(t.stack) : {}
  const client = new Greeter(`${t.host}:${port}`, grpc.credentials.createInsecure(), options)
  const call = () => new Promise((resolve, reject) =>
    client.sayHello({ name: 'bench' }, (err, res) => (err ? reject(err) : resolve(res))))
  for (let i = 0; i < WARMUP; i += CONCURRENCY) await Promise.all(Array.from({ length: CONCURRENCY }, call))

  const times = new Float64Array(total)
  let next = 0
  const u0 = measuring()
  async function worker () {
    while (next < total) {
      const i = next++
      const start = process.hrtime.bigint()
      await call()
      times[i] = Number(process.hrtime.bigint() - start) / 1000
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const result = finish(u0, times)
  process.send({ cps: total / result.seconds, ...result })   // first: the server's window ends with this
  client.close()
  await t.close()
  process.disconnect()
}

runMain(main)
