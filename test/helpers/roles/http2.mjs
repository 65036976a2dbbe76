// node:http2 straight on stack sockets (sp.use('http2')): a server whose connections are
// offered to http2 with offerStreamHandle() (or not: then http2 wraps them in a
// JSStreamSocket as it does any Duplex), and a client session over one stack connection.
// Each request posts `bytes` random bytes and gets `replyBytes` back; both checked by sha256.
import crypto from 'node:crypto'
import http2 from 'node:http2'

const sha = (b) => crypto.createHash('sha256').update(b).digest('hex')

export default function http2Role(ctx) {
  const { withTimeout } = ctx
  let gz = null
  const stackApi = async () => (gz ??= await import('@gazelle/stack'))
  let listener = null
  const sessions = new Set()
  const seen = { sessions: 0, direct: 0, peers: [] }

  ctx.beforeClose(async () => {
    for (const s of sessions) s.destroy()
    listener?.close()
  })

  const isStackSocket = (s, api) => s instanceof api.Socket // (http2's session.socket is a proxy of it)

  return {
    async h2Serve({ port = 0, direct = true }) {
      const api = await stackApi()
      const h2 = http2.createServer()
      h2.on('session', (session) => {
        sessions.add(session)
        session.on('close', () => sessions.delete(session))
        seen.sessions++
        if (isStackSocket(session.socket, api)) seen.direct++
        seen.peers.push(`${session.socket.remoteAddress}:${session.socket.remotePort}`)
      })
      h2.on('stream', (stream, headers) => {
        const hash = crypto.createHash('sha256')
        let got = 0
        stream.on('data', (d) => { got += d.length; hash.update(d) })
        stream.on('error', () => {})
        stream.on('end', () => {
          const reply = crypto.randomBytes(Number(headers['x-reply-bytes'] || 0))
          stream.respond({ ':status': 200, 'x-got': String(got), 'x-sha': hash.digest('hex'), 'x-reply-sha': sha(reply) })
          stream.end(reply)
        })
      })
      listener = ctx.stack().createServer((socket) => h2.emit('connection', direct ? api.offerStreamHandle(socket) : socket))
      await new Promise((resolve, reject) => {
        listener.once('error', reject)
        listener.listen(port, () => resolve())
      })
      return { port: listener.address().port }
    },

    h2ServerSeen() {
      return seen
    },

    /** Closes every server session (GOAWAY, then the connection). */
    async h2ServerClose() {
      const closing = [...sessions].map((s) => new Promise((resolve) => { s.once('close', resolve); s.close() }))
      await withTimeout(Promise.all(closing), 20000, 'server sessions close')
      return closing.length
    },

    /**
     * One session over one stack connection, `streams` requests at once; then, unless
     * keepOpen, waits for the server to close it (h2ServerClose) or closes it itself.
     */
    async h2Requests({ host, port, direct = true, streams = 1, bytes = 1000, replyBytes = 1000, waitServerClose = false, timeoutMs = 60000 }) {
      const api = await stackApi()
      const socket = await api.connectOnStack(ctx.stack(), { host, port })
      if (direct) api.offerStreamHandle(socket)
      const session = http2.connect(`http://${host}:${port}`, { createConnection: () => socket })
      session.on('error', () => {})
      const socketClosed = new Promise((resolve) => socket.once('close', resolve))
      const sessionClosed = new Promise((resolve) => session.once('close', resolve))
      const one = () => new Promise((resolve, reject) => {
        const body = crypto.randomBytes(bytes)
        const req = session.request({ ':method': 'POST', ':path': '/', 'x-reply-bytes': String(replyBytes) })
        const hash = crypto.createHash('sha256')
        let head = null
        let got = 0
        req.on('response', (h) => { head = h })
        req.on('data', (d) => { got += d.length; hash.update(d) })
        req.on('error', reject)
        req.on('end', () => resolve({
          serverGotAll: Number(head?.['x-got']) === bytes && head?.['x-sha'] === sha(body),
          replyIntact: got === replyBytes && head?.['x-reply-sha'] === hash.digest('hex'),
        }))
        req.end(body)
      })
      const results = await withTimeout(Promise.all(Array.from({ length: streams }, one)), timeoutMs, 'requests')
      const out = {
        direct: isStackSocket(session.socket, api),
        allIntact: results.every((r) => r.serverGotAll && r.replyIntact),
        results: results.length,
        bytesWritten: socket.bytesWritten,
        bytesRead: socket.bytesRead,
      }
      if (waitServerClose) {
        await withTimeout(sessionClosed, 20000, 'the session closes after the server closed it')
      } else {
        session.close()
        await withTimeout(sessionClosed, 20000, 'the session closes')
      }
      await withTimeout(socketClosed, 20000, 'the stack socket closes')
      out.socketDestroyed = socket.destroyed
      return out
    },
  }
}
