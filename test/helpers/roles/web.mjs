// Web servers on this process's transport (stack, or node:net with kernel: true) for the
// HTTP client tests: http, https and http2 (TLS, HTTP/1.1 fallback), fed by the transport's
// connections. Each records the requests it served, so tests can check where and how.
//
// Routes: /delay/MS answers after MS ms; /reset sends headers and part of a body, then
// resets the connection; anything else answers "hello from gazelle METHOD URL LEN SHA256"
// with the request body's length and hash.
import http from 'node:http'
import https from 'node:https'
import http2 from 'node:http2'

export default function webRole(ctx) {
  const webs = new Map() // port -> { server, web, requests, inFlight, maxInFlight, connections }

  ctx.beforeClose(async () => {
    for (const port of [...webs.keys()]) await closeWeb(port)
  })

  async function closeWeb(port) {
    const w = webs.get(port)
    if (!w) return false
    webs.delete(port)
    for (const s of w.sockets) s.destroy()
    await new Promise((r) => w.server.close(() => r()))
    return true
  }

  function handler(w) {
    return (req, res) => {
      const conn = w.connOf(req.socket)
      const entry = { path: req.url, method: req.method, conn, httpVersion: req.httpVersion, at: Date.now() }
      w.requests.push(entry)
      w.inFlight.set(conn, (w.inFlight.get(conn) ?? 0) + 1)
      w.maxInFlight = Math.max(w.maxInFlight, w.inFlight.get(conn))
      res.on('close', () => w.inFlight.set(conn, w.inFlight.get(conn) - 1))
      res.setHeader('x-conn', String(conn))
      res.setHeader('x-http-version', req.httpVersion)
      if (req.url === '/reset') {
        res.writeHead(200, { 'content-length': String(1 << 20) })
        res.write(Buffer.alloc(64 * 1024, 'r'), () => {
          w.rawOf(req.socket).resetAndDestroy()
        })
        return
      }
      const body = []
      req.on('data', (d) => body.push(d))
      req.on('end', () => {
        const b = Buffer.concat(body)
        const text = `hello from gazelle ${req.method} ${req.url} ${b.length} ${ctx.sha().update(b).digest('hex')}\n`
        const delay = /^\/delay\/(\d+)$/.exec(req.url)
        const send = () => {
          entry.answeredAt = Date.now()
          res.setHeader('content-type', 'text/plain')
          res.end(text)
        }
        if (delay) setTimeout(send, Number(delay[1]))
        else send()
      })
    }
  }

  return {
    /** kind: 'http' | 'https' | 'h2' (secure, with HTTP/1.1 fallback); tls: {key, cert};
     * keepAliveTimeout: ms an idle HTTP/1.1 connection is kept (node's default is 5 s). */
    async webServer({ port = 0, host, kind = 'http', tls, keepAliveTimeout }) {
      const w = { requests: [], inFlight: new Map(), maxInFlight: 0, sockets: new Set(), connections: 0 }
      // Transport socket -> connection number. A TLS socket made by the server over a
      // transport socket wraps it in a JSStreamSocket whose .stream is that socket.
      const conns = new WeakMap()
      w.rawOf = (s) => (conns.has(s) ? s : s.ssl?._parentWrap?.stream ?? s)
      w.connOf = (s) => conns.get(w.rawOf(s)) ?? -1
      const onRequest = handler(w)
      const web =
        kind === 'http' ? http.createServer(onRequest)
        : kind === 'https' ? https.createServer(tls, onRequest)
        : http2.createSecureServer({ ...tls, allowHTTP1: true }, onRequest)
      if (keepAliveTimeout !== undefined) web.keepAliveTimeout = keepAliveTimeout
      web.on('tlsClientError', (e) => ctx.log('tls client error', e.message))
      w.web = web
      w.server = ctx.transport().createServer((sock) => {
        conns.set(sock, ++w.connections)
        w.sockets.add(sock)
        sock.on('close', () => w.sockets.delete(sock))
        web.emit('connection', sock)
      })
      await new Promise((resolve, reject) => {
        w.server.once('error', reject)
        if (host) w.server.listen(port, host, resolve)
        else w.server.listen(port, resolve)
      })
      web.emit('listening')
      const p = w.server.address().port
      webs.set(p, w)
      return { port: p }
    },

    /** What the server saw: requests (path, conn, httpVersion), connections, max in flight on one connection. */
    webServerStats({ port }) {
      const w = webs.get(port)
      if (!w) throw new Error(`no web server on port ${port}`)
      return { requests: w.requests, connections: w.connections, maxInFlight: w.maxInFlight, open: w.sockets.size }
    },

    closeWeb: ({ port }) => closeWeb(port),
  }
}
