// Many connections (benchmarks/reliability/conns-client.js) from a stack or kernel child:
// the connection-scale and churn tests use it.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { conns } = require('../../../benchmarks/reliability/conns-client.js')

export default function connsRole(ctx) {
  return {
    // { host, port, count, burst, bytes, holdMs }: opens count connections in bursts,
    // each echoing bytes, then ends them all; answers the per-phase reports.
    async connsRun(args) {
      const phases = []
      await conns(ctx.transport(), args, (r) => phases.push(r))
      return phases
    },
    // Opens connections to host:port one burst at a time and keeps them open until
    // connsRelease; answers how many connected and the failures by error code.
    async connsHold({ host, port, count }) {
      ctx.held = ctx.held || []
      const codes = {}
      let ok = 0
      await Promise.all(Array.from({ length: count }, () => new Promise((resolve) => {
        const sock = ctx.transport().connect({ host, port })
        sock.once('connect', () => {
          ok++
          ctx.held.push(sock)
          resolve()
        })
        sock.once('error', (e) => {
          codes[e.code || e.message] = (codes[e.code || e.message] || 0) + 1
          resolve()
        })
      })))
      return { ok, codes, messages: [] }
    },
    // Ends every held connection and waits until each closed.
    async connsRelease() {
      const held = ctx.held || []
      ctx.held = []
      await Promise.all(held.map((s) => new Promise((resolve) => {
        s.once('close', resolve)
        s.end()
      })))
      return held.length
    },
    // One connect: answers { ok } or { code, message } of its error.
    async connectOnce({ host, port }) {
      return new Promise((resolve) => {
        const sock = ctx.transport().connect({ host, port })
        sock.once('connect', () => {
          sock.destroy()
          resolve({ ok: true })
        })
        sock.once('error', (e) => resolve({ ok: false, code: e.code, message: e.message }))
      })
    },
    // The stack's TCP counters; null on the kernel.
    tcpStats: async () => ctx.currentStack()?.stats().tcp ?? null,
  }
}
