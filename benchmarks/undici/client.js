'use strict'
// Benchmark client: undici over the kernel (its own Agent) or over the stack
// (@gazelle/undici's GazelleAgent), the same requests from the same code.
// Arguments after the transport's: requests [pipelining=1] [connections=16] [api=request]
//   pipelining: requests in flight per connection (non-blocking GETs when > 1)
//   api: 'request' (undici.request(), the body read as text) or 'dispatch' (the
//        Dispatcher API with a minimal handler: less of undici's own JS per request)
// A warm-up of WARMUP requests (connections opened, code compiled) is not measured.
const { open } = require('../transport')
const { runMain } = require('../serve')
const { measuring, finish } = require('../harness')

const { GazelleAgent } = require('@gazelle/undici')
const { undici, runRequests } = require('./requests')

const WARMUP = 2000

async function main () {
  const [transport, port, socketPath, requests, pipelining = '1', conns = '16', api = 'request'] = process.argv.slice(2)
  const total = Number(requests)
  const depth = Number(pipelining)
  const connections = Number(conns)
  // undici holds a GET back until the one before it is answered unless it is non-blocking.
  const options = depth > 1 ? { blocking: false } : {}
  const t = await open(transport, 'client', socketPath)
  const agentOptions = { connections, pipelining: depth }
  const dispatcher = t.stack ? new GazelleAgent({ stack: t.stack, ...agentOptions }) : new undici.Agent(agentOptions)
  const origin = `http://${t.host}:${port}`
  const run = (count, times) => runRequests({ dispatcher, origin, api, options, workers: connections * depth, count, times })
  await run(WARMUP)
  const times = new Float64Array(total)
  const u0 = measuring()
  await run(total, times)
  const result = finish(u0, times)
  process.send({ rps: total / result.seconds, ...result })   // first: the server's window ends with this
  await dispatcher.close()
  await t.close()
  process.disconnect()
}

runMain(main)
