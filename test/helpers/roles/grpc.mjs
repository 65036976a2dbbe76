// gRPC commands for stack-child.mjs (sp.use('grpc')): a grpc-js server on the stack
// (serveOnStack) or the kernel (bindAsync), and grpc-js clients whose channel goes through
// the stack (stackChannelOptions) or the kernel. GAZELLE_GRPC_JS names another grpc-js
// copy (the ends of the declared range, installed as aliases like grpc-js-1-11).
import crypto from 'node:crypto'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const here = path.dirname(fileURLToPath(import.meta.url))
const PROTO = path.join(here, '..', '..', 'fixtures', 'grpc-test.proto')
const MAX = 16 * 1024 * 1024
const sizeOptions = { 'grpc.max_receive_message_length': MAX, 'grpc.max_send_message_length': MAX }

const sha = (b) => crypto.createHash('sha256').update(b).digest('hex')

export default function grpcRole(ctx) {
  const { cfg } = ctx
  const grpc = require(process.env.GAZELLE_GRPC_JS || '@grpc/grpc-js')
  const protoLoader = require('@grpc/proto-loader')
  const def = protoLoader.loadSync(PROTO, { keepCase: true, longs: Number, defaults: true })
  const { TestService } = grpc.loadPackageDefinition(def).gazelle.test
  let gz = null
  const gazelle = () => (gz ??= require('@gazelle/grpc'))

  let server = null
  let serving = null
  const seen = { peers: [], calls: 0, finished: 0, cancelled: 0, streamed: 0 }
  const failures = new Map() // x-test value -> attempts failed so far (Echo fail_first)
  let client = null
  const inflight = []

  ctx.beforeClose(async () => {
    client?.close()
    client = null
    server?.forceShutdown()
    server = null
  })

  const wait = (ms, call) =>
    new Promise((resolve) => {
      if (!ms) return resolve(true)
      const timer = setTimeout(() => resolve(true), ms)
      call?.on('cancelled', () => {
        clearTimeout(timer)
        seen.cancelled++
        resolve(false)
      })
    })

  const note = (call) => {
    seen.calls++
    seen.peers.push(call.getPeer())
  }
  const metaOf = (call) => String(call.metadata.get('x-test')[0] ?? '')

  const impl = {
    async Echo(call, cb) {
      note(call)
      const failed = failures.get(metaOf(call)) ?? 0
      if (failed < call.request.fail_first) {
        failures.set(metaOf(call), failed + 1)
        return cb({ code: grpc.status.UNAVAILABLE, details: `failing attempt ${failed + 1} on purpose` })
      }
      if (!(await wait(call.request.delay_ms, call))) return
      const data = call.request.data
      const md = new grpc.Metadata()
      md.set('x-reply', `re:${metaOf(call)}`)
      call.sendMetadata(md)
      seen.finished++
      cb(null, { data, sha: sha(data), peer: call.getPeer(), meta: metaOf(call) })
    },
    async Stream(call) {
      note(call)
      const { count, size, delay_ms: delay } = call.request
      for (let i = 0; i < count && !call.cancelled; i++) {
        if (!(await wait(delay, call))) return
        const data = crypto.randomBytes(size)
        call.write({ data, sha: sha(data), index: i, peer: call.getPeer() })
        seen.streamed++
      }
      seen.finished++
      call.end()
    },
    Collect(call, cb) {
      note(call)
      const h = crypto.createHash('sha256')
      let total = 0
      call.on('data', (r) => {
        h.update(r.data)
        total += r.data.length
      })
      call.on('end', () => {
        seen.finished++
        cb(null, { sha: h.digest('hex'), total, peer: call.getPeer(), meta: metaOf(call) })
      })
    },
    Chat(call) {
      note(call)
      let i = 0
      call.on('data', (r) => call.write({ data: r.data, sha: sha(r.data), index: i++ }))
      call.on('end', () => {
        seen.finished++
        call.end()
      })
    },
  }

  async function grpcServe({ port = 0, host, tls = null, options = {} }) {
    if (server) throw new Error('a grpc server is already running in this process')
    server = new grpc.Server({ ...sizeOptions, ...options })
    server.addService(TestService.service, impl)
    const credentials = tls
      ? grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(tls.key), cert_chain: Buffer.from(tls.cert) }], false)
      : grpc.ServerCredentials.createInsecure()
    if (cfg.kernel) {
      const bound = await new Promise((resolve, reject) =>
        server.bindAsync(`${host ?? '0.0.0.0'}:${port}`, credentials, (err, p) => (err ? reject(err) : resolve(p))),
      )
      return { port: bound }
    }
    serving = await gazelle().serveOnStack(server, ctx.stack(), { port, host, credentials })
    return { port: serving.port, address: serving.address, peerSupported: gazelle().peerAddressSupported() }
  }

  async function grpcShutdown({ mode = 'try', timeoutMs = 20000 }) {
    if (!server) return null
    const s = server
    server = null
    serving = null
    const t0 = Date.now()
    if (mode === 'force') {
      s.forceShutdown()
      return { ms: Date.now() - t0 }
    }
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tryShutdown did not finish within ${timeoutMs} ms`)), timeoutMs)
      s.tryShutdown((err) => {
        clearTimeout(timer)
        err ? reject(err) : resolve()
      })
    })
    return { ms: Date.now() - t0 }
  }

  function grpcServerSeen({ reset = false } = {}) {
    const out = { ...seen, peers: [...seen.peers] }
    if (reset) Object.assign(seen, { peers: [], calls: 0, finished: 0, cancelled: 0, streamed: 0 })
    return out
  }

  // ---- client ----

  function grpcClient({ target, stack: viaStack = true, tls = null, options = {}, mode }) {
    client?.close()
    const creds = tls
      ? grpc.credentials.createSsl(Buffer.from(tls.ca))
      : grpc.credentials.createInsecure()
    const stackOpts = viaStack ? gazelle().stackChannelOptions(ctx.stack(), { grpc, ...(mode && { mode }) }) : {}
    client = new TestService(target, creds, { ...sizeOptions, ...options, ...stackOpts })
    return { mode: viaStack ? gazelle().channelMode(stackOpts) : 'kernel', grpcVersion: require(`${process.env.GAZELLE_GRPC_JS || '@grpc/grpc-js'}/package.json`).version }
  }

  const md = (meta) => {
    const m = new grpc.Metadata()
    if (meta) m.set('x-test', meta)
    return m
  }
  const opts = (deadlineMs) => (deadlineMs ? { deadline: Date.now() + deadlineMs } : {})
  const fail = (err, t0) => ({ ok: false, code: err.code, details: err.details ?? err.message, ms: Date.now() - t0 })

  function unary({ bytes = 16, delayMs = 0, failFirst = 0, meta, deadlineMs, cancelAfterMs }) {
    const t0 = Date.now()
    const data = crypto.randomBytes(bytes)
    return new Promise((resolve) => {
      let replyMeta = null
      const call = client.Echo({ data, delay_ms: delayMs, fail_first: failFirst }, md(meta), opts(deadlineMs), (err, res) => {
        if (err) return resolve(fail(err, t0))
        resolve({
          ok: true, ms: Date.now() - t0, sent: sha(data), serverSha: res.sha, echoed: sha(res.data),
          peer: res.peer, meta: res.meta, replyMeta, clientPeer: call.getPeer(),
        })
      })
      call.on('metadata', (m) => (replyMeta = String(m.get('x-reply')[0] ?? '')))
      if (cancelAfterMs !== undefined) setTimeout(() => call.cancel(), cancelAfterMs)
    })
  }

  function serverStream({ count = 4, size = 1024, delayMs = 0, deadlineMs, cancelAfterMs }) {
    const t0 = Date.now()
    return new Promise((resolve) => {
      const call = client.Stream({ count, size, delay_ms: delayMs }, md(), opts(deadlineMs))
      const got = []
      call.on('data', (r) => got.push({ ok: sha(r.data) === r.sha, index: r.index, bytes: r.data.length }))
      call.on('error', (err) => resolve({ ...fail(err, t0), received: got.length }))
      call.on('end', () => resolve({ ok: true, ms: Date.now() - t0, received: got.length, allIntact: got.every((g) => g.ok), indexes: got.map((g) => g.index) }))
      if (cancelAfterMs !== undefined) setTimeout(() => call.cancel(), cancelAfterMs)
    })
  }

  function clientStream({ count = 4, size = 1024, meta }) {
    const t0 = Date.now()
    const h = crypto.createHash('sha256')
    return new Promise((resolve) => {
      const call = client.Collect(md(meta), (err, res) => {
        if (err) return resolve(fail(err, t0))
        resolve({ ok: true, ms: Date.now() - t0, sent: h.digest('hex'), serverSha: res.sha, total: res.total, meta: res.meta, peer: res.peer })
      })
      for (let i = 0; i < count; i++) {
        const data = crypto.randomBytes(size)
        h.update(data)
        call.write({ data })
      }
      call.end()
    })
  }

  function bidi({ count = 8, size = 1024 }) {
    const t0 = Date.now()
    return new Promise((resolve) => {
      const call = client.Chat(md())
      const sent = []
      const got = []
      let i = 0
      const next = () => {
        if (i === count) return call.end()
        const data = crypto.randomBytes(size)
        sent.push(sha(data))
        i++
        call.write({ data })
      }
      // Ping-pong: each reply triggers the next message, so both directions interleave.
      call.on('data', (r) => {
        got.push(sha(r.data))
        next()
      })
      call.on('error', (err) => resolve({ ...fail(err, t0), received: got.length }))
      call.on('end', () => resolve({ ok: true, ms: Date.now() - t0, received: got.length, match: got.join() === sent.join() }))
      next()
    })
  }

  const kinds = { unary, serverStream, clientStream, bidi }

  function grpcCall({ kind = 'unary', ...args }) {
    if (!client) throw new Error('no grpc client: call grpcClient first')
    return kinds[kind](args)
  }

  // Starts calls and returns at once; grpcCollect waits for their results.
  function grpcStart({ kind = 'unary', n = 1, ...args }) {
    for (let i = 0; i < n; i++) inflight.push(grpcCall({ kind, ...args }))
    return inflight.length
  }

  async function grpcCollect() {
    return Promise.all(inflight.splice(0))
  }

  function grpcClose() {
    client?.close()
    client = null
    return true
  }

  return { grpcServe, grpcShutdown, grpcServerSeen, grpcClient, grpcCall, grpcStart, grpcCollect, grpcClose }
}
