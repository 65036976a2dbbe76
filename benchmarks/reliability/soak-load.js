'use strict'
// The client side of the soak (peer.js role "soak"): a mixed load on one event loop, on
// node:net/dgram or on a stack, until `seconds` have passed:
//   churn: `parallel` workers open short connections at `rate` per second in all, each
//          echoing `echoBytes` (conns-client.js's churnOne), 30 s bound each;
//   bulk:  `bulkStreams` workers each run one `bulkBytes` transfer after the other,
//          alternating upload and download, sha256-checked (bulk.js), 120 s bound each;
//   udp:   one socket sends a datagram (seq, length, bytes derived from seq) `udpRate`
//          times a second to the server's echo port and counts the replies, the lost ones
//          (no reply in 2 s) and the damaged ones.
// It prints a JSON line every `reportMs` and a last one ({ phase: 'end' }) once every
// worker finished its last operation (bounded by the per-operation bounds above). On a
// stack (sample() gives its stats), the last line comes once its connection table is
// back to what it was before the load (TIME-WAIT expired), or after `settleMs`, with the
// stats from before the load (`start`) and after (`stats`).
const { transfer } = require('./bulk')
const { churnOne } = require('./conns-client')

const CHURN_TIMEOUT_MS = 30_000
const BULK_TIMEOUT_MS = 120_000
const UDP_HEADER = 8
const UDP_REPLY_WAIT_MS = 2000

function udpDatagram (seq, size) {
  const b = Buffer.alloc(Math.max(size, UDP_HEADER))
  b.writeUInt32BE(seq >>> 0, 0)
  b.writeUInt32BE(b.length, 4)
  for (let i = UDP_HEADER; i < b.length; i++) b[i] = (seq * 31 + i * 7) & 255
  return b
}

/** The seq of an intact datagram, or -1. */
function udpCheck (b) {
  if (b.length < UDP_HEADER || b.readUInt32BE(4) !== b.length) return -1
  const seq = b.readUInt32BE(0)
  for (let i = UDP_HEADER; i < b.length; i++) if (b[i] !== ((seq * 31 + i * 7) & 255)) return -1
  return seq
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const count = (codes, code) => { codes[code] = (codes[code] || 0) + 1 }

function newTotals () {
  return {
    churn: { done: 0, failed: 0, codes: {} },
    bulk: { done: 0, failed: 0, bytes: 0, codes: {} },
    udp: { sent: 0, answered: 0, lost: 0, damaged: 0, sendErrors: 0 }
  }
}

async function churnWorker (api, cfg, end, totals, started) {
  const payload = Buffer.alloc(cfg.echoBytes, 0x63)
  while (Date.now() < end) {
    const due = started.t0 + (started.n * 1000) / cfg.rate
    if (due > Date.now()) await sleep(Math.min(due - Date.now(), end - Date.now()))
    if (Date.now() >= end) break
    started.n++
    const err = await churnOne(api, cfg.host, cfg.port, payload, CHURN_TIMEOUT_MS)
    if (err) {
      totals.churn.failed++
      count(totals.churn.codes, err)
    } else totals.churn.done++
  }
}

async function bulkWorker (api, cfg, end, totals, index) {
  let n = index
  while (Date.now() < end) {
    const direction = n++ % 2 === 0 ? 'up' : 'down'
    const r = await transfer(api, { host: cfg.host, port: cfg.bulkPort, bytes: cfg.bulkBytes, direction, timeoutMs: BULK_TIMEOUT_MS })
    if (r.ok) {
      totals.bulk.done++
      totals.bulk.bytes += r.bytes
    } else {
      totals.bulk.failed++
      count(totals.bulk.codes, r.error ? r.error.replace(/ after .*/, '') : 'sha256 mismatch')
    }
  }
}

/** UDP request/response until end; resolves once the last reply had its time to come. */
function udpWorker (dgramApi, cfg, end, totals) {
  if (!cfg.udpRate) return Promise.resolve()
  const socket = dgramApi.createSocket('udp4')
  const pending = new Map() // seq -> sent at (ms)
  socket.on('error', () => totals.udp.sendErrors++)
  socket.on('message', (msg) => {
    const seq = udpCheck(msg)
    if (seq < 0) totals.udp.damaged++
    else if (pending.delete(seq)) totals.udp.answered++
  })
  const expire = (now) => {
    for (const [seq, at] of pending) {
      if (now - at < UDP_REPLY_WAIT_MS) break // insertion order = send order
      pending.delete(seq)
      totals.udp.lost++
    }
  }
  return new Promise((resolve) => {
    let seq = 0
    const t0 = Date.now()
    socket.bind(0, () => {
      const tick = setInterval(() => {
        const now = Date.now()
        expire(now)
        if (now >= end) {
          if (pending.size === 0 || now >= end + UDP_REPLY_WAIT_MS) {
            expire(Infinity)
            clearInterval(tick)
            socket.close()
            resolve()
          }
          return
        }
        // as many as the rate asks by now (timers on a busy loop fire late)
        const due = Math.floor(((now - t0) * cfg.udpRate) / 1000)
        for (; seq < due; seq++) {
          pending.set(seq, now)
          totals.udp.sent++
          socket.send(udpDatagram(seq, cfg.udpBytes), cfg.udpPort, cfg.host, (err) => err && totals.udp.sendErrors++)
        }
      }, 20)
    })
  })
}

/** Runs the mixed load on api (net-shaped) and dgramApi (dgram-shaped); report(line). */
async function soakLoad (api, dgramApi, cfg, report, sample = () => ({})) {
  const totals = newTotals()
  const before = sample().stats
  const t0 = Date.now()
  const end = t0 + cfg.seconds * 1000
  const timer = setInterval(() => report({ phase: 'load', s: Math.round((Date.now() - t0) / 1000), ...totals, rss: process.memoryUsage().rss, ...sample() }), cfg.reportMs)
  const started = { t0, n: 0 }
  await Promise.all([
    ...Array.from({ length: cfg.parallel }, () => churnWorker(api, cfg, end, totals, started)),
    ...Array.from({ length: cfg.bulkStreams }, (_, i) => bulkWorker(api, cfg, end, totals, i)),
    udpWorker(dgramApi, cfg, end, totals)
  ])
  clearInterval(timer)
  const s = (Date.now() - t0) / 1000
  const settleEnd = Date.now() + (cfg.settleMs || 0)
  while (before && sample().stats.tcp.pcbs > before.tcp.pcbs && Date.now() < settleEnd) await sleep(1000)
  report({ phase: 'end', s, ...totals, rss: process.memoryUsage().rss, ...sample(), ...(before ? { start: before } : {}) })
}

module.exports = { soakLoad, udpDatagram, udpCheck }
