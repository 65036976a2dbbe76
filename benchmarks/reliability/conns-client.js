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

/** One connection of the churn: connects, sends bytes, waits for them echoed, ends and
 * waits for 'close'. Resolves null, or the error code. */
function churnOne (api, host, port, payload, timeoutMs, onStuck = () => {}) {
  return new Promise((resolve) => {
    const sock = api.connect({ host, port })
    let got = 0
    let err = null
    let connected = false
    const timer = setTimeout(() => {
      err = 'ETIMEDOUT(bench)'
      // which connection, and how far it got (to find it in a capture)
      onStuck({ localPort: sock.localPort, connected, got, ended: sock.writableEnded })
      sock.destroy()
    }, timeoutMs)
    sock.on('connect', () => {
      connected = true
      sock.write(payload)
    })
    sock.on('data', (d) => {
      got += d.length
      if (got >= payload.length) sock.end()
    })
    sock.on('error', (e) => (err = e.code || e.message))
    sock.on('close', () => {
      clearTimeout(timer)
      resolve(err || (got >= payload.length ? null : 'ESHORT'))
    })
  })
}

/** Connection churn: `parallel` connections at a time, each echoing `bytes`, new ones
 * started at `rate` per second in all, for `seconds`. Reports every 10 s and at the end:
 * connections done, failures by code, and `sample()`'s figures (the stack's table). */
async function churn (api, cfg, report, sample = () => ({})) {
  const payload = Buffer.alloc(cfg.bytes || 65536, 0x62)
  const codes = {}
  let done = 0
  let failed = 0
  let started = 0
  const t0 = Date.now()
  const end = t0 + cfg.seconds * 1000
  const rss0 = process.memoryUsage().rss
  let next = t0 + 10_000
  const worker = async () => {
    while (Date.now() < end) {
      const due = t0 + (started * 1000) / cfg.rate
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()))
      started++
      const err = await churnOne(api, cfg.host, cfg.port, payload, 30_000, (r) =>
        report({ phase: 'stuck', s: Math.round((Date.now() - t0) / 1000), ...r }))
      done++
      if (err) {
        failed++
        codes[err] = (codes[err] || 0) + 1
      }
      if (Date.now() >= next) {
        next += 10_000
        report({ phase: 'churn', s: Math.round((Date.now() - t0) / 1000), done, failed, codes, rss: process.memoryUsage().rss, ...sample() })
      }
    }
  }
  await Promise.all(Array.from({ length: cfg.parallel || 64 }, worker))
  const s = (Date.now() - t0) / 1000
  report({ phase: 'end', s, done, failed, codes, perSecond: done / s, rssStart: rss0, rss: process.memoryUsage().rss, ...sample() })
}

module.exports = { conns, churn, churnOne }
