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

async function requestResponse (t, port, messages, window) {
  const sock = t.createSocket('udp4')
  await new Promise((resolve) => sock.bind(0, resolve))
  const sentAt = new Map()     // seq -> hrtime of its (last) send
  const times = []
  let next = 0
  let answered = 0
  let lost = 0
  const send = (seq) => {
    const msg = Buffer.alloc(SIZE, 'u')
    msg.writeUInt32BE(seq, 0)
    sentAt.set(seq, process.hrtime.bigint())
    sock.send(msg, port, t.host)
  }
  const u0 = measuring()
  await new Promise((resolve) => {
    sock.on('message', (msg) => {
      const seq = msg.readUInt32BE(0)
      const at = sentAt.get(seq)
      if (at === undefined) return   // a late answer to a request sent again
      sentAt.delete(seq)
      if (window === 1) times.push(Number(process.hrtime.bigint() - at) / 1000)
      if (++answered === messages) return resolve()
      while (sentAt.size < window && next < messages) send(next++)
    })
    const resend = setInterval(() => {
      const now = process.hrtime.bigint()
      for (const [seq, at] of sentAt) {
        if (Number(now - at) / 1e6 >= LOST_MS) {
          lost++
          send(seq)
        }
      }
    }, LOST_MS / 2)
    sock.once('close', () => clearInterval(resend))
    while (sentAt.size < window && next < messages) send(next++)
  })
  const result = finish(u0, times)
  sock.close()
  return { pps: answered / result.seconds, lost, ...result }
}

async function main () {
  const [transport, port, socketPath, messages, window] = process.argv.slice(2)
  const t = await open(transport, 'client', socketPath)
  const result = await requestResponse(t, Number(port), Number(messages), Number(window))
  await t.close()
  process.send(result)
  process.disconnect()
}

runMain(main)
