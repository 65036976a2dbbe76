// Commands for the linger checks: a connection held open with data in flight, and what
// the stack's socket table says about it (through the addon: the test is of the table).
import { createRequire } from 'node:module'

const native = createRequire(import.meta.url)('@gazelle/native')

export default function lingerRole(ctx) {
  let held = null

  ctx.beforeClose(async () => {
    held?.destroy()
    held = null
  })

  /** The table's entry for the held connection (matched by local port). */
  function entry() {
    return native.tcpList().find((c) => c.localPort === held.localPort && c.state !== 'LISTEN')
  }

  return {
    /**
     * Connects to a server that does not read and writes `bytes`, more than its window
     * takes, so data stays in flight. Resolves once the write is done (all in the send
     * buffer) and the table shows data unacked or unsent.
     */
    async holdInFlight({ host, port, bytes, timeoutMs = 10000 }) {
      const sock = ctx.stack().connect({ host, port })
      sock.on('error', () => {})
      held = sock
      await ctx.withTimeout(new Promise((resolve) => sock.once('connect', resolve)), timeoutMs, 'connect')
      await ctx.withTimeout(new Promise((resolve) => sock.write(Buffer.alloc(bytes, 7), resolve)), timeoutMs, 'write')
      const end = Date.now() + timeoutMs
      for (;;) {
        const c = entry()
        if (c && c.unackedBytes + c.unsentBytes > 0) return { id: c.id, inFlight: c.unackedBytes + c.unsentBytes }
        if (Date.now() > end) throw new Error(`no data in flight: ${JSON.stringify(c)}`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    },

    /** Whether the stack counts connections as still finishing (stack.close() waits for them). */
    draining: async () => native.stackDraining(),

    /** Closes the held connection like a kernel socket's close(): its data still goes out. */
    async closeHeld() {
      held.destroy()
      await new Promise((resolve) => setImmediate(resolve))
      return true
    },
  }
}
