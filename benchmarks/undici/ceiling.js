'use strict'
// How many requests per second the benchmark's undici client can make on its own core
// when the transport and the server cost nothing: the same client code as client.js, but
// each connection is an in-process Duplex that answers every request with the bytes the
// node:http benchmark server sends, one turn of the event loop later (as a socket's
// answer arrives in a later poll; all that are due in one turn, as a poll delivers a
// batch). No stack, no kernel socket, no server process.
//
// The undici and Fastify-over-memif suites are bound by this client (it saturates its core
// first with either transport), so this is about the most a transport that hands undici a
// JS Duplex (as the stack does) can give them: ceiling / kernel req/s in the suite is the
// highest ratio such a transport reaches. Run it alone on an idle machine.
//
//   node benchmarks/undici/ceiling.js [--rounds 3] [--requests 30000] [--connections 16]
//        [--api request|dispatch] [--node-args "--single-threaded-gc"]
// Each round is a fresh process with the suites' warm-up (2000 requests), as their clients are.
const { execFileSync } = require('node:child_process')
const { Duplex } = require('node:stream')
const { parseArgs } = require('node:util')
const usage = require('../usage')
const { median, fmt } = require('../harness')

const { undici, runRequests } = require('./requests')

const WARMUP = 2000
const BODY = JSON.stringify({ hello: 'world' })
// What node:http answers the benchmark server's handler with (keep-alive, 60 s).
const RESPONSE = Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n' +
  `Date: ${new Date().toUTCString()}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=60\r\n` +
  `Content-Length: ${Buffer.byteLength(BODY)}\r\n\r\n${BODY}`)
const END_OF_HEAD = Buffer.from('\r\n\r\n')
const EMPTY = Buffer.alloc(0)

// Every socket with answers due is answered in one later turn, as one poll of a stack
// delivers a batch of frames.
const due = new Set()
function answerLater (socket) {
  if (due.size === 0) setImmediate(answerDue)
  due.add(socket)
}
function answerDue () {
  const sockets = [...due]
  due.clear()
  for (const socket of sockets) socket.answer()
}

// A connection whose peer answers each GET (a head ending in an empty line; the client
// sends no bodies) one event-loop turn after it arrives.
class AnsweringSocket extends Duplex {
  constructor () {
    super()
    this.pending = 0
    this.tail = EMPTY   // a head split across writes
  }

  _write (chunk, encoding, callback) {
    let data = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk
    let at
    while ((at = data.indexOf(END_OF_HEAD)) !== -1) {
      this.pending++
      data = data.subarray(at + END_OF_HEAD.length)
    }
    this.tail = data.length ? Buffer.from(data) : EMPTY
    if (this.pending) answerLater(this)
    callback()
  }

  answer () {
    while (this.pending > 0) {
      this.pending--
      this.push(Buffer.from(RESPONSE)) // a chunk of its own, as every transport's read gives
    }
  }

  _read () {}
  setNoDelay () { return this }
  setKeepAlive () { return this }
  setTimeout () { return this }
  ref () { return this }
  unref () { return this }
}

// Connected a turn later, as a socket is (undici does not expect its callback inside the call).
function connect (options, callback) {
  setImmediate(callback, null, new AnsweringSocket())
}

async function round (requests, connections, api) {
  const dispatcher = new undici.Agent({ connections, connect })
  const origin = 'http://ceiling.invalid:80'
  // client.js's loop, its per-request latency stamps included
  const run = (count, times) => runRequests({ dispatcher, origin, api, workers: connections, count, times })
  await run(WARMUP)
  const u0 = usage.snapshot()
  await run(requests, new Float64Array(requests))
  const u = usage.since(u0)
  await dispatcher.close()
  return { rps: requests / u.seconds, cores: u.cpu, waited: u.wait }
}

// One round in this process (a fresh one per round, as the suites start a client per
// measurement: how warm V8's compiled code is weighs as much as the transport), its
// result as JSON on stdout.
async function child (values) {
  // No socket holds the event loop open while undici compiles llhttp or waits on an
  // answer's setImmediate: a timer does.
  const keepOpen = setInterval(() => {}, 1000)
  const res = await round(Number(values.requests), Number(values.connections), values.api)
  clearInterval(keepOpen)
  process.stdout.write(JSON.stringify(res))
}

async function main () {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      requests: { type: 'string', default: '30000' },
      connections: { type: 'string', default: '16' },
      api: { type: 'string', default: 'request' },
      'node-args': { type: 'string', default: '' },
      child: { type: 'boolean', default: false }
    }
  })
  if (!['request', 'dispatch'].includes(values.api)) throw new TypeError(`--api must be request or dispatch, not ${values.api}`)
  if (values.child) return child(values)
  const nodeArgs = values['node-args'].split(/\s+/).filter(Boolean)
  const args = ['--requests', values.requests, '--connections', values.connections, '--api', values.api, '--child']
  const results = []
  for (let r = 1; r <= Number(values.rounds); r++) {
    const out = execFileSync(process.execPath, [...nodeArgs, __filename, ...args], { encoding: 'utf8', timeout: 120_000 })
    const res = JSON.parse(out)
    results.push(res.rps)
    console.log(`round ${r}: ${res.rps.toFixed(0)} req/s, ${(res.rps / res.cores).toFixed(0)} per core of CPU ` +
      `[client ${fmt(res.cores, 2)} cores (waited ${fmt(res.waited * 100, 0)}%)]`)
  }
  const flags = nodeArgs.length ? ` (node ${nodeArgs.join(' ')})` : ''
  console.log(`in-memory ceiling, ${values.connections} connections, ${values.api}()${flags}: ` +
    `${median(results).toFixed(0)} req/s (${Math.min(...results).toFixed(0)}-${Math.max(...results).toFixed(0)})`)
}

main().catch((err) => { console.error(err); process.exit(1) })
