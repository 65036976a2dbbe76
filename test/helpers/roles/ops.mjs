// Commands for the operator tests (gazellectl, metrics, logs): a stack with a recording
// logger, connections held open, one-shot text exchanges and the Prometheus text.
import { createRequire } from 'node:module'

export default function opsRole(ctx) {
  const logRecords = []
  const heldClients = []

  ctx.beforeClose(async () => {
    for (const s of heldClients.splice(0)) s.destroy()
  })

  return {
    /** createStack with a logger that keeps what it is given (pino's (obj, msg) shape). */
    async createStackWithLog({ options }) {
      const keep = (level) => (obj, msg) => logRecords.push({ level, msg, ...obj })
      const logger = { error: keep('error'), warn: keep('warn'), info: keep('info'), debug: keep('debug') }
      return ctx.createStack({ options: { ...options, logger } })
    },

    logRecords: async () => logRecords,

    /** Opens count connections and keeps them open until closeHeldClients. */
    async holdClients({ host, port, count = 1, timeoutMs = 10000 }) {
      const T = ctx.transport()
      const opened = []
      for (let i = 0; i < count; i++) {
        const sock = ctx.connect(T, { host, port })
        sock.on('error', () => {})
        heldClients.push(sock)
        opened.push(ctx.withTimeout(new Promise((resolve) => sock.once('connect', resolve)), timeoutMs, 'held connection'))
      }
      await Promise.all(opened)
      return heldClients.map((s) => s.localPort)
    },

    async closeHeldClients() {
      for (const s of heldClients.splice(0)) s.destroy()
      return true
    },

    /** One connection: writes text, ends, resolves with what came back (an echo server). */
    sendText({ host, port, text, timeoutMs = 10000 }) {
      const T = ctx.transport()
      const chunks = []
      const done = new Promise((resolve, reject) => {
        const sock = ctx.connect(T, { host, port })
        sock.on('connect', () => sock.end(text))
        sock.on('data', (d) => chunks.push(d))
        sock.on('error', reject)
        sock.on('close', () => resolve(Buffer.concat(chunks).toString()))
      })
      return ctx.withTimeout(done, timeoutMs, 'sendText')
    },

    /** stack.metrics() into a fresh prom-client registry; the exposition text. */
    async metricsText() {
      const stack = ctx.stack()
      const prom = createRequire(import.meta.url)('prom-client')
      const registry = stack.metrics(new prom.Registry())
      return { text: await registry.metrics(), contentType: registry.contentType, stats: stack.stats() }
    },

    controlPath: async () => ctx.stack().controlPath ?? null,
  }
}
