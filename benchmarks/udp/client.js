'use strict'
// Benchmark UDP client, the same program for both transports: 64-byte requests to the
// echo server with `window` of them unanswered at a time. Window 1 measures the
// round-trip time; a larger window, request/response pairs per second. A request with
// no answer for LOST_MS is sent again (UDP may drop) and counted as lost.
const { open } = require('../transport')
const { runMain } = require('../serve')
const { measuring, finish } = require('../harness')

const SIZE = 64
const LOST_MS = 200

// Before the measured part, WARMUP requests with the same window (code compiled, pools
// grown), so V8's compiler threads and start-up work stay out of the measured window.
const WARMUP = 2000

// `messages` requests with `window` unanswered at a time on sock; the round-trip times
// (us) into `times` if given; resolves to the number of requests sent again.
function exchange (t, sock, port, messages, window, times) {
  const sentAt = new Map()     // seq -> hrtime of its (last) send
  let next = 0
  let answered = 0
  let lost = 0
  const send = (seq) => {
    const msg = Buffer.alloc(SIZE, 'u')
    msg.writeUInt32BE(seq, 0)
    sentAt.set(seq, process.hrtime.bigint())
    sock.send(msg, port, t.host)
  }
  return new Promise((resolve) => {
    let resend = null
    const onMessage = (msg) => {
      const seq = msg.readUInt32BE(0)
      const at = sentAt.get(seq)
      if (at === undefined) return   // a late answer to a request sent again
      sentAt.delete(seq)
      if (times) times.push(Number(process.hrtime.bigint() - at) / 1000)
      if (++answered === messages) {
        clearInterval(resend)
        sock.off('message', onMessage)
        return resolve(lost)
      }
      while (sentAt.size < window && next < messages) send(next++)
    }
    sock.on('message', onMessage)
    resend = setInterval(() => {
      const now = process.hrtime.bigint()
      for (const [seq, at] of sentAt) {
        if (Number(now - at) / 1e6 >= LOST_MS) {
          lost++
          send(seq)
        }
      }
    }, LOST_MS / 2)
    while (sentAt.size < window && next < messages) send(next++)
  })
}

async function requestResponse (t, port, messages, window) {
  const sock = t.createSocket('udp4')
  await new Promise((resolve) => sock.bind(0, resolve))
  // The warm-up on a socket of its own: sequence numbers restart, and its late answers
  // must not count as the measured part's.
  const warmSock = t.createSocket('udp4')
  await new Promise((resolve) => warmSock.bind(0, resolve))
  await exchange(t, warmSock, port, WARMUP, window, null)
  warmSock.close()
  const times = []
  const u0 = measuring()
  const lost = await exchange(t, sock, port, messages, window, window === 1 ? times : null)
  const result = finish(u0, times)
  sock.close()
  return { pps: messages / result.seconds, lost, ...result }
}

async function main () {
  const [transport, port, socketPath, messages, window] = process.argv.slice(2)
  const t = await open(transport, 'client', socketPath)
  const result = await requestResponse(t, Number(port), Number(messages), Number(window))
  process.send(result)   // first: the server's measured window ends with this
  await t.close()
  process.disconnect()
}

runMain(main)
