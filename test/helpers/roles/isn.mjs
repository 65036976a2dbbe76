// Commands for the sequence-number checks: connections opened one after another and
// reset at once (no TIME_WAIT, so a fixed local port can be used again), on the stack
// or, in a kernel child, on node:net.
export default function isnRole(ctx) {
  return {
    /**
     * count connections to host:port, one at a time, each reset once connected, gapMs
     * apart. localPort: 0 for ephemeral ports. Returns each one's local port and the
     * time (ms) just before its connect() call.
     */
    async connectReset({ host, port, count, localPort = 0, gapMs = 0, timeoutMs = 10000 }) {
      const T = ctx.transport()
      const conns = []
      for (let i = 0; i < count; i++) {
        const at = Date.now()
        const sock = ctx.connect(T, { host, port, ...(localPort ? { localPort } : {}) })
        sock.on('error', () => {})
        await ctx.withTimeout(new Promise((resolve, reject) => {
          sock.once('connect', resolve)
          sock.once('error', reject)
        }), timeoutMs, `connect ${i}`)
        conns.push({ localPort: sock.localPort, at })
        sock.resetAndDestroy()
        await new Promise((resolve) => sock.once('close', resolve))
        if (gapMs) await new Promise((resolve) => setTimeout(resolve, gapMs))
      }
      return conns
    },
  }
}
