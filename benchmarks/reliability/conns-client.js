'use strict'
// The client side of the connection-scale benchmark (peer.js role "conns"): opens
// `count` connections (spread over `ports`: one client address has ~28,000 ephemeral
// ports per server port) in bursts of `burst` (the next burst starts when the last one
// has connected and echoed, or failed), each sends `bytes` and waits for them back;
// holds them all open for `holdMs`; then ends them all and waits until each closed.
// Reports per phase: time, successes, failures by error code, RSS.

function oneConn (api, host, port, payload) {
  return new Promise((resolve) => {
    const sock = api.connect({ host, port })
    let got = 0
    let done = false
    const finish = (err) => {
      if (done) return
      done = true
      resolve({ sock, err })
    }
    sock.on('connect', () => sock.write(payload))
    sock.on('data', (d) => {
      got += d.length
      if (got >= payload.length) finish(null)
    })
    sock.on('error', (e) => finish(e.code || e.message))
    sock.on('close', () => finish('ECLOSED'))
  })
}

async function conns (api, cfg, report) {
  const payload = Buffer.alloc(cfg.bytes || 32, 0x61)
  const open = []
  const codes = {}
  const t0 = process.hrtime.bigint()
  const rss0 = process.memoryUsage().rss
  for (let n = 0; n < cfg.count; n += cfg.burst) {
    const ports = cfg.ports || [cfg.port]
    const burst = await Promise.all(Array.from({ length: Math.min(cfg.burst, cfg.count - n) }, (_, i) =>
      oneConn(api, cfg.host, ports[(n + i) % ports.length], payload)))
    for (const r of burst) {
      if (r.err) codes[r.err] = (codes[r.err] || 0) + 1
      else open.push(r.sock)
    }
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  report({ phase: 'open', ok: open.length, failed: cfg.count - open.length, codes, ms, rssDelta: process.memoryUsage().rss - rss0 })
  await new Promise((resolve) => setTimeout(resolve, cfg.holdMs || 0))
  const t1 = process.hrtime.bigint()
  await Promise.all(open.map((s) => new Promise((resolve) => {
    s.on('close', resolve)
    s.end()
  })))
  report({ phase: 'closed', ms: Number(process.hrtime.bigint() - t1) / 1e6 })
}

module.exports = { conns }
