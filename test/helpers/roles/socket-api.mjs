// Commands for checks of the stack socket's node:net API from a client: idle timeouts
// (setTimeout as node:http switches it per request) and string writes in any encoding.
import crypto from 'node:crypto'

export default function socketApiRole(ctx) {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

  return {
    /**
     * Connects to an echo server and reports which of these idle periods ended in a
     * 'timeout' event: on (ms), switched off, on again with the same delay, switched off
     * and on again at once (the restart node:http does), and kept busy by writes.
     */
    async idleTimeouts({ host, port, ms = 150, timeoutMs = 20000 }) {
      const sock = ctx.stack().connect({ host, port })
      sock.on('error', () => {})
      sock.on('data', () => {})
      await ctx.withTimeout(new Promise((resolve) => sock.once('connect', resolve)), timeoutMs, 'connect')
      let fired = 0
      sock.on('timeout', () => fired++)
      const period = async (wait) => {
        const before = fired
        await sleep(wait)
        return fired - before
      }
      const result = {}
      sock.setTimeout(ms)
      result.on = await period(ms * 4)
      sock.setTimeout(0)
      result.off = await period(ms * 4)
      sock.setTimeout(ms)
      result.onAgain = await period(ms * 4)
      let cbCalls = 0
      sock.setTimeout(0)
      sock.setTimeout(ms * 10, () => cbCalls++) // a longer delay: a new timer
      sock.setTimeout(0)
      sock.setTimeout(ms * 10) // the same delay again: the timer restarts
      result.restartedNotYet = await period(ms * 2)
      result.restartedFires = await period(ms * 20)
      result.callbackCalls = cbCalls
      sock.setTimeout(ms * 4)
      let busyFired = 0
      const before = fired
      for (let i = 0; i < 12; i++) {
        sock.write('x')
        await sleep(ms / 3)
      }
      busyFired = fired - before
      result.busy = busyFired
      result.timeoutProperty = sock.timeout
      sock.destroy()
      return result
    },

    /**
     * Writes strings to an echo server (UTF-8 with non-ASCII and a lone surrogate, latin1,
     * hex, base64, a string too long for one native call, corked runs, and a burst that
     * fills the send buffer), ends, and compares what comes back with what node's Buffer
     * makes of the same strings.
     */
    async stringWrites({ host, port, timeoutMs = 30000 }) {
      const sock = ctx.stack().connect({ host, port })
      const got = []
      const ended = new Promise((resolve, reject) => {
        sock.on('data', (d) => got.push(d))
        sock.on('end', resolve)
        sock.on('error', reject)
      })
      await ctx.withTimeout(new Promise((resolve) => sock.once('connect', resolve)), timeoutMs, 'connect')
      const writes = [
        ['héllo wörld ✓ 🚀', 'utf8'], ['lone \ud800 surrogate', 'utf8'], ['\udc00 low first, high last \ud83d', 'utf8'],
        ['abc\u07ff\u0800\uffff\ud83d\ude80defg', 'utf8'], ['café ÿ', 'latin1'],
        ['cafe', 'binary'], ['deadbeef00ff', 'hex'], ['aGVsbG8gYmFzZTY0', 'base64'], ['utf-8 named', 'utf-8'],
        ['é'.repeat(4999), 'utf8'], ['x'.repeat(200000), 'utf8'], ['', 'utf8'],
      ]
      for (let i = 0; i < 3000; i++) writes.push([`burst ${i} ` + 'ü'.repeat(i % 50), i % 3 ? 'utf8' : 'latin1'])
      const expected = crypto.createHash('sha256')
      let bytes = 0
      let corked = 0
      for (const [str, enc] of writes) {
        const b = Buffer.from(str, enc)
        expected.update(b)
        bytes += b.length
        if (corked === 0 && str.startsWith('burst 1')) {
          sock.cork()
          corked = 1
        }
        sock.write(str, enc)
        if (corked && ++corked > 20) {
          sock.uncork()
          corked = 0
        }
      }
      if (corked) sock.uncork()
      sock.end()
      await ctx.withTimeout(ended, timeoutMs, 'echo of the string writes')
      const back = Buffer.concat(got)
      sock.destroy()
      return {
        bytes, bytesWritten: sock.bytesWritten, received: back.length,
        same: crypto.createHash('sha256').update(back).digest('hex') === expected.digest('hex'),
      }
    },
  }
}
