'use strict'
// A bulk transfer with a known sha256, over any node:net-shaped API (node:net or a
// stack): the reliability benchmarks and the loss tests use it on both transports.
//
// The client sends a 9-byte header, 'U' or 'D' + a byte count (u64 BE). 'U' (upload):
// the client sends that many bytes, the server answers the sha256 (hex) of what it
// received and ends. 'D' (download): the server sends that many bytes and ends. The
// bytes are a deterministic stream (AES-128-CTR of zeros), so both ends know its sha256.
const crypto = require('node:crypto')

const KEY = Buffer.alloc(16, 7)
const CHUNK = 64 * 1024

/** The stream: a function returning the next chunk, or null at the end. */
function stream (bytes) {
  const cipher = crypto.createCipheriv('aes-128-ctr', KEY, Buffer.alloc(16))
  const zero = Buffer.alloc(CHUNK)
  let left = bytes
  return () => {
    if (left === 0) return null
    const n = Math.min(CHUNK, left)
    left -= n
    return cipher.update(n === CHUNK ? zero : zero.subarray(0, n))
  }
}

function expectedSha (bytes) {
  const h = crypto.createHash('sha256')
  const next = stream(bytes)
  for (let b = next(); b; b = next()) h.update(b)
  return h.digest('hex')
}

/** Writes the stream honouring backpressure, then end(). */
function send (sock, bytes) {
  const next = stream(bytes)
  const pump = () => {
    for (let b = next(); b; b = next()) {
      if (!sock.write(b)) return sock.once('drain', pump)
    }
    sock.end()
  }
  pump()
}

/** The server side of one connection (create the server with allowHalfOpen: true). */
function serve (sock, onDone) {
  let header = Buffer.alloc(0)
  let hash = null
  let mode = null
  let error = null
  sock.on('error', (e) => (error = e.code || e.message))
  sock.on('data', (d) => {
    if (!mode) {
      header = Buffer.concat([header, d])
      if (header.length < 9) return
      mode = header[0] === 0x44 ? 'download' : 'upload'
      const bytes = Number(header.readBigUInt64BE(1))
      d = header.subarray(9)
      if (mode === 'download') return send(sock, bytes)
      hash = crypto.createHash('sha256')
    }
    if (hash) hash.update(d)
  })
  sock.on('end', () => {
    if (hash) sock.end(hash.digest('hex'))
  })
  sock.on('close', () => onDone && onDone({ mode, error }))
}

/**
 * One transfer from the client side: resolves { ok, ms, connectMs, firstMs, bytes, mbps,
 * error, received }. ok: the bytes arrived intact (the sha256 matches) and no error was
 * seen. connectMs, firstMs: since the start, when it connected and when the first byte
 * came back (null if never).
 */
function transfer (api, { host, port, bytes, direction = 'up', timeoutMs = 0 }) {
  const up = direction !== 'down'
  const expected = expectedSha(bytes)
  const t0 = process.hrtime.bigint()
  return new Promise((resolve) => {
    const sock = api.connect({ host, port, allowHalfOpen: true })
    const got = crypto.createHash('sha256')
    let reply = ''
    let received = 0
    let error = null
    let timer = null
    let connectMs = null
    let firstMs = null
    const since = () => Number(process.hrtime.bigint() - t0) / 1e6
    sock.on('connect', () => {
      connectMs = since()
      const header = Buffer.alloc(9)
      header[0] = up ? 0x55 : 0x44
      header.writeBigUInt64BE(BigInt(bytes), 1)
      sock.write(header)
      if (up) send(sock, bytes)
      else sock.end()
    })
    sock.on('data', (d) => {
      if (firstMs === null) firstMs = since()
      if (up) reply += d.toString()
      else {
        got.update(d)
        received += d.length
      }
    })
    sock.on('error', (e) => (error = error || e.code || e.message))
    sock.on('close', () => {
      if (timer) clearTimeout(timer)
      const ms = Number(process.hrtime.bigint() - t0) / 1e6
      const sha = up ? reply : got.digest('hex')
      resolve({ ok: !error && sha === expected, ms, connectMs, firstMs, bytes, mbps: (bytes * 8) / (ms * 1000), error, received: up ? bytes : received })
    })
    if (timeoutMs) {
      timer = setTimeout(() => {
        error = `timed out after ${timeoutMs} ms (${up ? 'upload' : `received ${received} of ${bytes}`})`
        sock.destroy()
      }, timeoutMs)
    }
  })
}

module.exports = { serve, transfer, expectedSha }
