// Commands for a GazelleAgent on this process's stack (the client side of the undici tests).
import crypto from 'node:crypto'
import { createRequire } from 'node:module'

export default function undiciRole(ctx) {
  const require = createRequire(import.meta.url)
  // The undici that @gazelle/undici is built on: setGlobalDispatcher must come from it.
  const undici = require(createRequire(require.resolve('@gazelle/undici')).resolve('undici'))
  let agent = null
  let connects = 0
  // Why connections ended (undici's 'disconnect' events): failure messages say it.
  let disconnects = []

  ctx.beforeClose(async () => {
    if (agent) await agent.destroy()
    agent = null
  })

  function needAgent() {
    if (!agent) throw new Error('no agent: call undiciAgent first')
    return agent
  }

  async function reply(res, sent, t0) {
    const text = await res.body.text()
    return { ok: true, status: res.statusCode, headers: res.headers, text, sent, connects, disconnects, ms: Date.now() - t0 }
  }

  function failure(e, t0) {
    return { ok: false, error: { ...ctx.errInfo(e), causeCode: e?.cause?.code }, connects, ms: Date.now() - t0 }
  }

  function body(bytes) {
    const b = bytes > 0 ? crypto.randomBytes(bytes) : undefined
    return { body: b, sent: b ? ctx.sha().update(b).digest('hex') : null }
  }

  return {
    /** A new GazelleAgent (the old one is closed); options as GazelleAgentOptions. */
    async undiciAgent({ options = {}, global = false } = {}) {
      if (agent) await agent.close()
      const { GazelleAgent } = await import('@gazelle/undici')
      agent = new GazelleAgent({ stack: ctx.stack(), ...options })
      connects = 0
      disconnects = []
      agent.on('connect', () => connects++)
      agent.on('disconnect', (origin, targets, err) => disconnects.push(`${origin}: ${err?.code ?? ''} ${err?.message ?? ''}`))
      if (global) undici.setGlobalDispatcher(agent)
      return true
    },

    /** One request; the request body (bodyBytes random bytes) is hashed here. */
    async undiciRequest({ origin, path = '/', method = 'GET', bodyBytes = 0, headersTimeout, timeoutMs = 30000 }) {
      const a = needAgent()
      const { body: b, sent } = body(bodyBytes)
      const t0 = Date.now()
      try {
        const res = await ctx.withTimeout(a.request({ origin, path, method, body: b, headersTimeout }), timeoutMs, `${method} ${origin}${path}`)
        return await reply(res, sent, t0)
      } catch (e) {
        return failure(e, t0)
      }
    },

    /** count requests at once with blocking: false (pipelined on one connection when the
     * agent has connections: 1, pipelining > 1); results in request order. */
    async undiciBurst({ origin, paths, timeoutMs = 30000 }) {
      const a = needAgent()
      const t0 = Date.now()
      const one = (path) =>
        a.request({ origin, path, method: 'GET', blocking: false }).then(
          (res) => reply(res, null, t0),
          (e) => failure(e, t0),
        )
      return ctx.withTimeout(Promise.all(paths.map(one)), timeoutMs, 'burst')
    },

    /** fetch() through the global dispatcher: Node's own global fetch, or undici's. */
    async globalFetch({ url, which = 'node', method = 'GET', bodyBytes = 0, timeoutMs = 30000 }) {
      const f = which === 'node' ? globalThis.fetch : undici.fetch
      const { body: b, sent } = body(bodyBytes)
      const t0 = Date.now()
      try {
        const res = await ctx.withTimeout(f(url, { method, body: b }), timeoutMs, `fetch ${url}`)
        const text = await res.text()
        return { ok: true, status: res.status, headers: Object.fromEntries(res.headers), text, sent, connects, ms: Date.now() - t0 }
      } catch (e) {
        return failure(e, t0)
      }
    },

    /** One request through an undici Client (or Pool) whose connect function is
     * buildStackConnector(stack, connector); the dispatcher is closed afterwards. */
    async undiciClientRequest({ origin, path = '/', kind = 'client', connector = {}, requests = 1, timeoutMs = 30000 }) {
      const { buildStackConnector } = await import('@gazelle/undici')
      const connect = buildStackConnector(ctx.stack(), connector)
      let connections = 0
      const d = kind === 'pool' ? new undici.Pool(origin, { connect, connections: 2 }) : new undici.Client(origin, { connect })
      d.on('connect', () => connections++)
      const t0 = Date.now()
      try {
        const out = []
        for (let i = 0; i < requests; i++) {
          const res = await ctx.withTimeout(d.request({ path, method: 'GET' }), timeoutMs, `${kind} GET ${origin}${path}`)
          out.push({ status: res.statusCode, text: await res.body.text() })
        }
        return { ok: true, replies: out, connections, ms: Date.now() - t0 }
      } catch (e) {
        return failure(e, t0)
      } finally {
        await d.close()
      }
    },

    async undiciClose() {
      if (!agent) return false
      const a = agent
      agent = null
      await a.close()
      return true
    },
  }
}
