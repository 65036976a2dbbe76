// Bulk transfers with a known sha256 (benchmarks/reliability/bulk.js), on node:net in
// kernel children and on the stack in stack children: the loss tests use them.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { serve, transfer } = require('../../../benchmarks/reliability/bulk.js')

export default function bulkRole(ctx) {
  return {
    // Serves bulk transfers on port (0: any; backlog as listen() takes it); answers { port }.
    async bulkServer({ port = 0, backlog } = {}) {
      const server = ctx.transport().createServer({ allowHalfOpen: true }, (sock) => serve(sock))
      await new Promise((resolve, reject) => {
        server.once('error', reject)
        server.listen({ port, backlog }, () => {
          server.off('error', reject)
          resolve()
        })
      })
      const actual = server.address().port
      ctx.servers.set(actual, { server, reports: [], waiters: [] })
      return { port: actual }
    },
    // One transfer: { host, port, bytes, direction: 'up' | 'down', timeoutMs }.
    bulkTransfer: (args) => transfer(ctx.transport(), args),
    // `count` transfers at once (a burst of connects); answers their results.
    bulkBurst: ({ count, ...args }) => Promise.all(Array.from({ length: count }, () => transfer(ctx.transport(), args))),
    // The stack's TCP counters (loss recovery among them); null on the kernel.
    tcpCounters: async () => ctx.currentStack()?.stats().tcp ?? null,
    // Fault injection on this child's stack (spec as stack.setFaults takes), and its counters.
    setFaults: async ({ spec }) => ctx.stack().setFaults(spec),
    faultCounters: async () => ctx.stack().stats().faults,
  }
}
