// Fastify in a test child (stack-child.mjs's 'fastify' command calls these by name):
// an app served on the child's stack through @gazelle/fastify, and raw HTTP/1.1
// clients (on the child's stack, or node:net in a kernel child) for what curl cannot do:
// pipelining, a slow client, counting connections.
import crypto from 'node:crypto'
import http from 'node:http'
import net from 'node:net'
import tls from 'node:tls'
import { once } from 'node:events'

let app = null
let inFlight = 0
let completed = 0
let drops = 0

const sha = (b) => crypto.createHash('sha256').update(b).digest('hex')
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

function routes(fastify) {
  fastify.addContentTypeParser('application/octet-stream', (req, payload, done) => done(null, payload))
  fastify.addHook('onRequest', async () => { inFlight++ })
  fastify.addHook('onResponse', async () => { inFlight--; completed++ })
  fastify.get('/hello', async (request) => ({
    hello: 'world', ip: request.ip, port: request.socket.remotePort,
    local: `${request.socket.localAddress}:${request.socket.localPort}`, version: request.raw.httpVersion,
  }))
  fastify.get('/seq/:n', async (request) => `seq ${request.params.n}\n`)
  fastify.get('/slow', async (request) => {
    await sleep(Number(request.query.ms ?? 1000))
    return { slept: Number(request.query.ms ?? 1000) }
  })
  // The body is hashed as it streams in (never held whole).
  fastify.post('/upload', async (request) => {
    const h = crypto.createHash('sha256')
    let bytes = 0
    for await (const chunk of request.body) {
      h.update(chunk)
      bytes += chunk.length
    }
    return { bytes, sha256: h.digest('hex') }
  })
  fastify.get('/download', async (request, reply) => {
    const body = crypto.randomBytes(Number(request.query.bytes ?? 1024))
    reply.header('x-sha256', sha(body)).type('application/octet-stream')
    return body
  })
  fastify.get('/connections', async () => ({ connections: await connections() }))
}

function connections() {
  return new Promise((resolve, reject) => app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))))
}

/** Starts a Fastify app on the child's stack. form: 'plugin' | 'factory';
 * fastifyOptions: Fastify's own (timeouts, https, http2, forceCloseConnections...). */
export async function start({ stack, form = 'plugin', mode = 'replace', port = 0, fastifyOptions = {}, listenHost, maxConnections }) {
  if (app) throw new Error('a Fastify app is running already')
  const { default: Fastify } = await import('fastify')
  const gz = await import('@gazelle/fastify')
  const plugin = { stack, mode }
  const f = Fastify({ ...fastifyOptions, ...(form === 'factory' ? { serverFactory: gz.serverFactory(plugin) } : {}) })
  if (form === 'plugin') await f.register(gz.gazelle, plugin)
  routes(f)
  inFlight = 0
  completed = 0
  drops = 0
  let url
  const listenOptions = { port, ...(listenHost ? { host: listenHost } : {}) }
  const given = JSON.stringify(listenOptions)
  try {
    url = await f.listen(listenOptions)
  } catch (err) {
    await f.close()
    throw err
  }
  app = f
  if (maxConnections) {
    f.server.maxConnections = maxConnections
    f.server.on('drop', () => drops++)
  }
  const binding = gz.bindingOf(f.server)
  return {
    url, stack: binding.address(), kernel: mode === 'both' ? f.server.address() : null,
    // listen() must leave the caller's options object as it was
    listenOptionsAfter: JSON.stringify(listenOptions) === given ? 'unchanged' : JSON.stringify(listenOptions),
  }
}

/** app.close(), timed; says how many requests were in flight when it began. */
export async function close({ timeoutMs = 20_000 }) {
  if (!app) return null
  const a = app
  app = null
  const before = { inFlight, completed }
  const t0 = Date.now()
  let timer
  await Promise.race([
    a.close(),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`app.close() took over ${timeoutMs} ms`)), timeoutMs) }),
  ]).finally(() => clearTimeout(timer))
  return { ms: Date.now() - t0, before, after: { inFlight, completed } }
}

export async function state() {
  return { inFlight, completed, drops, connections: app ? await connections() : null }
}

function transport(stack) {
  return stack ?? net
}

/** Opens a connection (TLS, trusting ca, when ca is given), writes `send` (strings,
 * with pauses of pauseMs between them), and collects everything until the peer closes
 * or timeoutMs. */
export async function rawExchange({ stack, host, port, send, ca, pauseMs = 0, timeoutMs = 15_000 }) {
  const raw = transport(stack).connect({ host, port })
  const sock = ca ? tls.connect({ socket: raw, host, ca }) : raw
  const t0 = Date.now()
  const chunks = []
  let error = null
  let endMs = null
  sock.on('data', (d) => chunks.push(d))
  sock.on('error', (e) => (error = e.code ?? e.message))
  sock.on('end', () => (endMs = Date.now() - t0))
  const closed = new Promise((resolve) => sock.once('close', resolve))
  await once(sock, ca ? 'secureConnect' : 'connect')
  for (const [i, part] of send.entries()) {
    if (i > 0 && pauseMs) await sleep(pauseMs)
    if (!sock.destroyed) sock.write(part)
  }
  let timer
  const timedOut = await Promise.race([
    closed.then(() => false),
    new Promise((r) => { timer = setTimeout(() => r(true), timeoutMs) }),
  ])
  clearTimeout(timer)
  if (timedOut) sock.destroy()
  return { text: Buffer.concat(chunks).toString('latin1'), error, endMs, closeMs: Date.now() - t0, timedOut }
}

/** Sends n GETs of /seq/i in one write (pipelined), then reads n responses. */
export async function pipeline({ stack, host, port, n = 10, timeoutMs = 15_000 }) {
  const reqs = Array.from({ length: n }, (_, i) => `GET /seq/${i} HTTP/1.1\r\nHost: ${host}\r\n${i === n - 1 ? 'Connection: close\r\n' : ''}\r\n`)
  return rawExchange({ stack, host, port, send: [reqs.join('')], timeoutMs })
}

/** node:http requests with a keep-alive agent (a kernel client when run in a kernel child). */
export async function httpRequests({ host, port, paths, timeoutMs = 15_000 }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const results = []
  try {
    for (const path of paths) {
      const res = await new Promise((resolve, reject) => {
        const req = http.get({ host, port, path, agent, timeout: timeoutMs }, resolve)
        req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)))
        req.on('error', reject)
      })
      const localPort = res.socket.localPort
      const chunks = []
      for await (const c of res) chunks.push(c)
      results.push({ status: res.statusCode, body: Buffer.concat(chunks).toString(), localPort })
    }
  } finally {
    agent.destroy()
  }
  return results
}

/** Requests through a GazelleAgent on this child's stack (all at once: with
 * agentOptions.pipelining they share connections in order). Bodies are hashed. */
export async function undiciRequests({ stack, origin, requests, agentOptions = {} }) {
  const { GazelleAgent } = await import('@gazelle/undici')
  const agent = new GazelleAgent({ stack, ...agentOptions })
  let connects = 0
  agent.on('connect', () => connects++)
  try {
    const results = await Promise.all(requests.map(async (r) => {
      const body = r.bodyBytes ? crypto.randomBytes(r.bodyBytes) : undefined
      const res = await agent.request({ origin, path: r.path, method: r.method ?? 'GET', body, headers: r.headers, blocking: false })
      const buf = Buffer.from(await res.body.arrayBuffer())
      return { status: res.statusCode, headers: res.headers, text: buf.length <= 4096 ? buf.toString() : null, bytes: buf.length, sha256: sha(buf), sent: body ? sha(body) : null }
    }))
    return { results, connects }
  } finally {
    await agent.close()
  }
}

/** A Fastify app whose plugin creates its own stack from stackOptions, with Fastify's
 * logger at `level` writing JSON lines here; listens, closes, and returns the lines. */
export async function ownStackLogs({ stackOptions, level = 'info', port = 7300 }) {
  const { default: Fastify } = await import('fastify')
  const gz = await import('@gazelle/fastify')
  const lines = []
  const f = Fastify({ logger: { level, stream: { write: (l) => lines.push(JSON.parse(l)) } } })
  await f.register(gz.gazelle, { stack: stackOptions })
  await f.listen({ port })
  await f.close()
  return lines
}
