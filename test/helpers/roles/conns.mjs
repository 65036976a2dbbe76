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
    // Opens count connections to host:port, burst at a time, and keeps those that
    // connected until connsRelease; answers how many did and the failures by error code.
    async connsHold({ host, port, count, burst = 500 }) {
      ctx.held = ctx.held || []
      const codes = {}
      let ok = 0
      const one = () => new Promise((resolve) => {
        const sock = ctx.transport().connect({ host, port })
        sock.once('connect', () => {
          ok++
          ctx.held.push(sock)
          resolve()
        })
        sock.resume()   // reads (nothing comes): the peer's FIN then ends it
        sock.once('error', (e) => {
          codes[e.code || e.message] = (codes[e.code || e.message] || 0) + 1
          resolve()
        })
      })
      for (let n = 0; n < count; n += burst) {
        await Promise.all(Array.from({ length: Math.min(burst, count - n) }, one))
      }
      return { ok, codes }
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
    // Writes bytes on every held connection and waits (at most timeoutMs) for each to
    // echo them or fail; answers the outcomes by error code ('echoed' for an echo).
    async connsWrite({ bytes = 100, timeoutMs = 60_000 }) {
      const codes = {}
      await Promise.all((ctx.held || []).map((sock) => new Promise((resolve) => {
        let got = 0
        const done = (code) => {
          clearTimeout(timer)
          codes[code] = (codes[code] || 0) + 1
          resolve()
        }
        const timer = setTimeout(() => done('no answer'), timeoutMs)
        sock.on('data', (d) => (got += d.length) >= bytes && done('echoed'))
        sock.once('error', (e) => done(e.code || e.message))
        sock.write(Buffer.alloc(bytes, 0x63))
      })))
      ctx.held = []
      return codes
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
