// A second Node process for the integration tests (one stack per process).
// Started by harness.ts with an IPC channel. It runs either on a gazelle stack
// (command 'createStack') or, with {"kernel": true}, on node:net: the same scenarios
// then run against the kernel, which is both the reference behaviour and the
// "kernel side" of the tap tests.
//
// Protocol: parent -> {id, cmd, args}; child -> {id, ok: true, result} |
// {id, ok: false, error: {code, message, name}}. The child says {type: 'hello'} once up.
// It exits when the parent goes away (IPC 'disconnect') and after maxLifeMs in any case.
import crypto from 'node:crypto'
import http from 'node:http'
import net from 'node:net'

const cfg = JSON.parse(process.argv[2] ?? '{}')
const log = (...a) => {
  if (cfg.verbose) console.error(`[child ${process.pid}]`, ...a)
}

let gazelle = null
let stack = null
const servers = new Map() // port -> { server, reports: [], waiters: [] , http? }

function transport() {
  if (cfg.kernel) return net
  if (!stack) throw Object.assign(new Error('no stack in this process: call createStack first'), { code: 'ERR_TEST_NO_STACK' })
  return stack
}

async function loadGazelle() {
  if (!gazelle) {
    const mod = await import('@gazelle/stack')
    gazelle = mod.createStack ? mod : mod.default
  }
  return gazelle
}

function errInfo(e) {
  return { code: e?.code, message: String(e?.message ?? e), name: e?.name, stack: e?.stack }
}

function sha() {
  return crypto.createHash('sha256')
}

function withTimeout(promise, ms, what, onTimeout) {
  let timer
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => {
        let extra = ''
        try {
          extra = onTimeout ? ` (${onTimeout()})` : ''
        } catch {}
        reject(Object.assign(new Error(`${what}: timed out after ${ms} ms${extra}`), { code: 'ERR_TEST_TIMEOUT' }))
      }, ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

// ---------- server side ----------

function report(port, r) {
  const s = servers.get(port)
  if (!s) return
  s.reports.push(r)
  for (const w of s.waiters.splice(0)) w()
}

const serverModes = {
  // Echo everything; report bytes and hash of what came in.
  echo(sock, port) {
    const h = sha()
    const remotePort = sock.remotePort
    let bytes = 0
    let error = null
    sock.on('data', (d) => {
      h.update(d)
      bytes += d.length
    })
    sock.on('error', (e) => (error = e.code ?? e.message))
    sock.on('close', () => report(port, { mode: 'echo', bytes, sha: h.digest('hex'), error, remotePort }))
    sock.pipe(sock)
  },
  // allowHalfOpen: after the client's FIN, still send a reply, then end.
  halfCloseReply(sock, port) {
    const chunks = []
    const events = []
    let error = null
    sock.on('data', (d) => chunks.push(d))
    sock.on('end', () => {
      events.push('end')
      const text = Buffer.concat(chunks).toString()
      const ok = sock.write(`reply-after-end:${text}`)
      events.push(`write:${ok}`)
      setTimeout(() => sock.end(), 50)
    })
    sock.on('error', (e) => (error = e.code ?? e.message))
    sock.on('close', () => report(port, { mode: 'halfCloseReply', received: Buffer.concat(chunks).toString(), events, error }))
  },
  // Server ends first; keeps reading what the client sends after that.
  endFirst(sock, port) {
    const chunks = []
    const events = []
    let error = null
    sock.write('bye-from-server')
    sock.end()
    events.push('ended')
    sock.on('data', (d) => chunks.push(d))
    sock.on('end', () => events.push('end'))
    sock.on('error', (e) => (error = e.code ?? e.message))
    sock.on('close', () => report(port, { mode: 'endFirst', received: Buffer.concat(chunks).toString(), events, error }))
  },
  // Record what happens to the connection (used to see the peer's destroy()).
  record(sock, port) {
    let bytes = 0
    let gotEnd = false
    let error = null
    sock.on('data', (d) => (bytes += d.length))
    sock.on('end', () => (gotEnd = true))
    sock.on('error', (e) => (error = e.code ?? e.message))
    sock.on('close', (hadError) => report(port, { mode: 'record', bytes, gotEnd, error, hadError }))
  },
  // Reset the connection as soon as data arrives.
  destroyOnData(sock, port) {
    sock.once('data', () => {
      sock.resetAndDestroy()
      report(port, { mode: 'destroyOnData', destroyed: true })
    })
    sock.on('error', () => {})
  },
  // Slow reader: paused for pauseMs, then reads at most rate bytes/s. Samples RSS.
  sink(sock, port, opts) {
    const pauseMs = opts.pauseMs ?? 3000
    let readStartEpoch = 0
    const rate = opts.rate ?? 64 * 1024 * 1024
    const h = sha()
    let bytes = 0
    let error = null
    const t0 = Date.now()
    const rssBase = opts.rssBase ?? process.memoryUsage().rss
    let rssMax = process.memoryUsage().rss
    const sampler = setInterval(() => {
      rssMax = Math.max(rssMax, process.memoryUsage().rss)
    }, 50)
    sock.pause()
    let readStart = 0
    setTimeout(() => {
      readStart = Date.now()
      readStartEpoch = readStart
      sock.on('data', (d) => {
        h.update(d)
        bytes += d.length
        const due = readStart + (bytes / rate) * 1000
        const wait = due - Date.now()
        if (wait > 1) {
          sock.pause()
          setTimeout(() => sock.resume(), wait)
        }
      })
      sock.resume()
    }, pauseMs)
    sock.on('end', () => sock.end())
    sock.on('error', (e) => (error = e.code ?? e.message))
    sock.on('close', () => {
      clearInterval(sampler)
      rssMax = Math.max(rssMax, process.memoryUsage().rss)
      report(port, { mode: 'sink', bytes, sha: h.digest('hex'), error, rssBase, rssMax, ms: Date.now() - t0, readStartEpoch })
    })
  },
}

async function listen({ port = 0, host, mode = 'echo', allowHalfOpen, opts = {} }) {
  const T = transport()
  const handler = serverModes[mode]
  if (!handler) throw new Error(`unknown server mode ${mode}`)
  const half = allowHalfOpen ?? ['echo', 'halfCloseReply', 'endFirst', 'sink'].includes(mode)
  const rssBase = process.memoryUsage().rss
  let actualPort = port
  const server = T.createServer({ allowHalfOpen: half }, (sock) => handler(sock, actualPort, { ...opts, rssBase }))
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    const done = () => {
      server.off('error', reject)
      resolve()
    }
    if (host) server.listen(port, host, done)
    else server.listen(port, done)
  })
  actualPort = server.address().port
  servers.set(actualPort, { server, reports: [], waiters: [] })
  log('listening', actualPort, mode)
  return { port: actualPort, address: server.address() }
}

async function serverReports({ port, count = 1, timeoutMs = 30000 }) {
  const s = servers.get(port)
  if (!s) throw new Error(`no server on ${port}`)
  await withTimeout(
    new Promise((resolve) => {
      const check = () => (s.reports.length >= count ? resolve() : s.waiters.push(check))
      check()
    }),
    timeoutMs,
    `waiting for ${count} connection report(s) on port ${port}`,
    () => `have ${s.reports.length}`,
  )
  return s.reports.slice(0, count)
}

async function closeServer({ port, timeoutMs = 10000 }) {
  const s = servers.get(port)
  if (!s) return false
  servers.delete(port)
  if (s.http) s.http.closeAllConnections?.()
  await withTimeout(new Promise((resolve) => s.server.close(() => resolve())), timeoutMs, `closing server ${port}`)
  return true
}

// node:http server whose connections come from the transport (the README's pattern).
// With peer: true, each response also says which connection it came on (x-peer header).
async function httpServer({ port = 0, host, peer = false }) {
  const T = transport()
  const hs = http.createServer((req, res) => {
    if (peer) res.setHeader('x-peer', `${req.socket.remoteAddress}:${req.socket.remotePort}`)
    const body = []
    req.on('data', (d) => body.push(d))
    req.on('end', () => {
      res.setHeader('content-type', 'text/plain')
      const b = Buffer.concat(body)
      res.end(`hello from gazelle ${req.method} ${req.url} ${b.length} ${crypto.createHash('sha256').update(b).digest('hex')}\n`)
    })
  })
  const server = T.createServer((sock) => hs.emit('connection', sock))
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    const done = () => resolve()
    if (host) server.listen(port, host, done)
    else server.listen(port, done)
  })
  hs.emit('listening')
  const p = server.address().port
  servers.set(p, { server, http: hs, reports: [], waiters: [] })
  return { port: p }
}

// ---------- client side ----------

function connect(T, opts) {
  return T.connect(opts)
}

function echoOne(T, { host, port, bytes, chunk }, states) {
  return new Promise((resolve, reject) => {
    const sent = sha()
    const got = sha()
    let written = 0
    let received = 0
    let gotEnd = false
    const sock = connect(T, { host, port })
    const state = () => `written ${written} received ${received} end ${gotEnd}`
    sock.on('connect', () => pump())
    function pump() {
      while (written < bytes) {
        const n = Math.min(chunk, bytes - written)
        const b = crypto.randomBytes(n)
        sent.update(b)
        written += n
        if (!sock.write(b)) {
          sock.once('drain', pump)
          return
        }
      }
      sock.end()
    }
    sock.on('data', (d) => {
      got.update(d)
      received += d.length
    })
    sock.on('end', () => (gotEnd = true))
    sock.on('error', (e) => reject(Object.assign(new Error(`echo connection: ${e.message} (${state()})`), { code: e.code })))
    sock.on('close', () => resolve({ written, received, gotEnd, sent: sent.digest('hex'), got: got.digest('hex') }))
    states.push(() => (received < bytes || !gotEnd ? state() : null))
  })
}

async function echoClients({ host, port, conns = 1, bytesPerConn = 1 << 20, chunk = 64 * 1024, timeoutMs = 120000 }) {
  const T = transport()
  const t0 = process.hrtime.bigint()
  const all = []
  const states = []
  for (let i = 0; i < conns; i++) all.push(echoOne(T, { host, port, bytes: bytesPerConn, chunk }, states))
  const results = await withTimeout(Promise.all(all), timeoutMs, `${conns} echo connections of ${bytesPerConn} bytes`, () => {
    const open = states.map((f) => f()).filter(Boolean)
    return `${open.length} unfinished: ${open.slice(0, 4).join('; ')}`
  })
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  return { results, ms }
}

// Client writes, then end(); keeps reading until the server's reply and FIN.
function halfCloseClient({ host, port, timeoutMs = 15000 }) {
  const T = transport()
  const events = []
  const chunks = []
  let sock
  const p = new Promise((resolve) => {
    sock = connect(T, { host, port })
    sock.on('connect', () => {
      sock.write('ping')
      sock.end()
      events.push('ended')
    })
    sock.on('data', (d) => chunks.push(d))
    sock.on('end', () => events.push('end'))
    sock.on('error', (e) => events.push(`error:${e.code}`))
    sock.on('close', () => {
      events.push('close')
      resolve({ received: Buffer.concat(chunks).toString(), events })
    })
  })
  return withTimeout(p, timeoutMs, 'half-close client', () => events.join(','))
}

// Client with allowHalfOpen: the server ends first; the client still sends, then ends.
function endFirstClient({ host, port, timeoutMs = 15000 }) {
  const T = transport()
  const events = []
  const chunks = []
  const p = new Promise((resolve) => {
    const sock = connect(T, { host, port, allowHalfOpen: true })
    sock.on('data', (d) => chunks.push(d))
    sock.on('end', () => {
      events.push('end')
      const ok = sock.write(`after-end:${Buffer.concat(chunks).toString()}`)
      events.push(`write:${ok}`)
      setTimeout(() => {
        sock.end()
        events.push('ended')
      }, 50)
    })
    sock.on('error', (e) => events.push(`error:${e.code}`))
    sock.on('close', () => {
      events.push('close')
      resolve({ received: Buffer.concat(chunks).toString(), events })
    })
  })
  return withTimeout(p, timeoutMs, 'end-first client', () => events.join(','))
}

// Connects, sends a little, waits, then resetAndDestroy() (the peer sees ECONNRESET)
// or, with reset: false, destroy() (closes like node:net's: FIN).
function destroyClient({ host, port, reset = true, delayMs = 300, timeoutMs = 15000 }) {
  const T = transport()
  const p = new Promise((resolve, reject) => {
    const sock = connect(T, { host, port })
    sock.on('error', reject)
    sock.on('connect', () => {
      sock.write('about to reset')
      setTimeout(() => {
        if (reset) sock.resetAndDestroy()
        else sock.destroy()
        resolve({ destroyed: sock.destroyed })
      }, delayMs)
    })
  })
  return withTimeout(p, timeoutMs, 'destroy client')
}

// Sends data and expects the connection to be reset by the peer.
function expectErrorClient({ host, port, send = 'x', timeoutMs = 15000 }) {
  const T = transport()
  const events = []
  const p = new Promise((resolve) => {
    const sock = connect(T, { host, port })
    sock.on('connect', () => {
      events.push('connect')
      if (send) sock.write(send)
    })
    sock.on('error', (e) => {
      events.push(`error:${e.code}`)
      resolve({ code: e.code, syscall: e.syscall, message: e.message, events })
    })
    sock.on('end', () => events.push('end'))
    sock.on('close', () => {
      events.push('close')
      // Give 'error' a chance to come first; resolves with no code otherwise.
      setTimeout(() => resolve({ code: null, events }), 20)
    })
  })
  return withTimeout(p, timeoutMs, 'waiting for a connection error', () => events.join(','))
}

// Listens twice on one port: the second must fail with EADDRINUSE.
async function listenTwice({ port = 0, host }) {
  const T = transport()
  const first = T.createServer(() => {})
  await new Promise((resolve, reject) => {
    first.once('error', reject)
    host ? first.listen(port, host, resolve) : first.listen(port, resolve)
  })
  const p = first.address().port
  const second = T.createServer(() => {})
  let outcome
  try {
    outcome = await withTimeout(
      new Promise((resolve) => {
        second.once('error', (e) => resolve({ code: e.code, message: e.message, how: 'error event' }))
        const ok = () => resolve({ code: null, how: 'listening' })
        host ? second.listen(p, host, ok) : second.listen(p, ok)
      }),
      5000,
      'second listen',
    )
  } catch (e) {
    outcome = { code: e.code, message: e.message, how: 'thrown' }
  }
  await new Promise((r) => first.close(() => r()))
  if (outcome.code === null) await new Promise((r) => second.close(() => r()))
  return { port: p, ...outcome }
}

// Fast writer: writes `bytes` in `chunk`-sized random buffers honouring backpressure.
function flood({ host, port, bytes = 256 << 20, chunk = 64 * 1024, timeoutMs = 120000 }) {
  const T = transport()
  const h = sha()
  let written = 0
  let falseCount = 0
  let drainCount = 0
  let firstFalseMs = -1
  let firstDrainMs = -1
  let maxWritableLength = 0
  const t0 = Date.now()
  const rssBase = process.memoryUsage().rss
  let rssMax = rssBase
  const timeline = [] // [epoch ms, bytes written so far], every 50 ms
  const sampler = setInterval(() => timeline.push([Date.now(), written]), 50)
  const p = new Promise((resolve, reject) => {
    const sock = connect(T, { host, port })
    sock.on('error', (e) => reject(Object.assign(new Error(`flood: ${e.message} after ${written} bytes`), { code: e.code })))
    sock.on('connect', pump)
    sock.on('drain', () => {
      drainCount++
      if (firstDrainMs < 0) firstDrainMs = Date.now() - t0
    })
    function pump() {
      while (written < bytes) {
        const n = Math.min(chunk, bytes - written)
        const b = crypto.randomBytes(n)
        h.update(b)
        written += n
        const ok = sock.write(b)
        maxWritableLength = Math.max(maxWritableLength, sock.writableLength)
        if (!ok) {
          falseCount++
          if (firstFalseMs < 0) firstFalseMs = Date.now() - t0
          rssMax = Math.max(rssMax, process.memoryUsage().rss)
          sock.once('drain', pump)
          return
        }
      }
      sock.end()
    }
    sock.resume() // the sink ends after our FIN; read its FIN
    sock.on('close', () =>
      resolve({ written, sha: h.digest('hex'), falseCount, drainCount, firstFalseMs, firstDrainMs, maxWritableLength, rssBase, rssMax, ms: Date.now() - t0, timeline }),
    )
  })
  return withTimeout(p, timeoutMs, 'flood', () => `written ${written}, false ${falseCount}, drain ${drainCount}`).finally(() =>
    clearInterval(sampler),
  )
}

// Writes bytes, ends, and closes the whole stack at once, without waiting for anything:
// what was written and the FIN must still reach the peer.
async function sendThenCloseStack({ host, port, bytes = 1 << 20 }) {
  const sock = connect(transport(), { host, port })
  await withTimeout(new Promise((resolve, reject) => {
    sock.once('connect', resolve)
    sock.once('error', reject)
  }), 10000, 'connect')
  sock.on('error', () => {})
  sock.end(crypto.randomBytes(bytes))
  const t0 = Date.now()
  await closeStack()
  return { closeMs: Date.now() - t0 }
}

// connect() with these options: did it throw, or emit 'error' (later), or connect?
async function connectOutcome({ options, timeoutMs = 10000 }) {
  let sock
  try {
    sock = transport().connect(options)
  } catch (e) {
    return { threw: true, ...errInfo(e) }
  }
  return withTimeout(new Promise((resolve) => {
    sock.once('error', (e) => resolve({ threw: false, ...errInfo(e) }))
    sock.once('connect', () => {
      sock.destroy()
      resolve({ threw: false, connected: true })
    })
  }), timeoutMs, 'connectOutcome')
}

// ---------- stack lifecycle ----------

async function createStack({ options }) {
  if (stack) throw new Error('this process already has a stack')
  const { createStack } = await loadGazelle()
  stack = await createStack(options)
  return { pid: process.pid }
}

// Tries options; returns the error (code, message) or ok after closing the stack again.
async function tryCreateStack({ options }) {
  const { createStack } = await loadGazelle()
  let s
  try {
    s = await createStack(options)
  } catch (e) {
    return { ok: false, ...errInfo(e), isError: e instanceof Error }
  }
  await s.close()
  return { ok: true }
}

async function closeStack() {
  if (!stack) return false
  for (const fn of beforeClose.splice(0)) await fn().catch(() => {})
  for (const port of [...servers.keys()]) await closeServer({ port }).catch(() => {})
  const s = stack
  stack = null
  await s.close()
  return true
}

// ---------- role modules ----------

// More commands live in test/helpers/roles/<name>.mjs, loaded on demand with
// {cmd: 'use', args: {role}}: each default-exports (ctx) => ({ command: async fn }).
const beforeClose = []
const roleContext = {
  cfg,
  log,
  errInfo,
  sha,
  withTimeout,
  transport,
  connect,
  createStack,
  servers,
  /** The stack of this process, or null. */
  currentStack: () => stack,
  /** The stack of this process (throws if there is none). */
  stack() {
    if (!stack) throw Object.assign(new Error('no stack in this process'), { code: 'ERR_TEST_NO_STACK' })
    return stack
  },
  /** Runs fn (async) before the stack closes: a role's clients and servers go first. */
  beforeClose(fn) {
    beforeClose.push(fn)
  },
}
const usedRoles = new Set()

async function use({ role }) {
  if (!/^[a-z][a-z0-9-]*$/.test(String(role))) throw new Error(`bad role name ${role}`)
  if (usedRoles.has(role)) return false
  const mod = await import(new URL(`./roles/${role}.mjs`, import.meta.url))
  Object.assign(commands, mod.default(roleContext))
  usedRoles.add(role)
  return true
}

const commands = {
  ping: async () => ({ pid: process.pid, kernel: !!cfg.kernel }),
  createStack,
  tryCreateStack,
  closeStack,
  connectOutcome,
  stats: async () => {
    if (!stack) throw Object.assign(new Error('no stack in this process'), { code: 'ERR_TEST_NO_STACK' })
    return stack.stats()
  },
  listen,
  serverReports,
  closeServer,
  httpServer,
  echoClients,
  halfCloseClient,
  endFirstClient,
  destroyClient,
  expectErrorClient,
  listenTwice,
  sendThenCloseStack,
  flood,
  use,
  rss: async () => process.memoryUsage().rss,
  // Keeps the event loop busy for ms (JS work that holds the stack's polls off), once
  // `marker` (a file) says it has begun.
  blockLoop: async ({ ms, marker }) => {
    const fs = await import('node:fs')
    fs.writeFileSync(marker, String(process.pid))
    const end = Date.now() + ms
    while (Date.now() < end);
    return true
  },
  exit: async ({ code = 0 } = {}) => {
    setTimeout(() => shutdown(code), 10)
    return true
  },
}

// ---------- shutdown: the parent went away, a signal, or the exit command ----------

let shuttingDown = false
async function shutdown(code) {
  if (shuttingDown) return
  shuttingDown = true
  const hard = setTimeout(() => process.exit(code || 70), 5000)
  hard.unref()
  try {
    await closeStack()
  } catch (e) {
    console.error(`[child ${process.pid}] closeStack failed:`, e)
  }
  process.exit(code)
}

process.on('message', async (msg) => {
  if (!msg || typeof msg.cmd !== 'string') return
  const fn = commands[msg.cmd]
  try {
    if (!fn) throw new Error(`unknown command ${msg.cmd}`)
    const result = await fn(msg.args ?? {})
    process.send?.({ id: msg.id, ok: true, result })
  } catch (e) {
    process.send?.({ id: msg.id, ok: false, error: errInfo(e) })
  }
})
process.on('disconnect', () => shutdown(0))
process.on('SIGTERM', () => shutdown(0))
process.on('SIGINT', () => shutdown(0))
process.on('uncaughtException', (e) => {
  console.error(`[child ${process.pid}] uncaught exception:`, e)
  process.exitCode = 71
  shutdown(71)
})
process.on('unhandledRejection', (e) => {
  console.error(`[child ${process.pid}] unhandled rejection:`, e)
})
const life = setTimeout(() => {
  console.error(`[child ${process.pid}] lifetime of ${cfg.maxLifeMs ?? 600000} ms exceeded, exiting`)
  shutdown(72)
}, cfg.maxLifeMs ?? 600000)
life.unref()
if (!process.send) {
  console.error('stack-child.mjs must be started with an IPC channel (see harness.ts)')
  process.exit(2)
}
process.send({ type: 'hello', pid: process.pid })
