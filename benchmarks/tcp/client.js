'use strict'
// Benchmark client, the same program for both transports.
//   rtt:  one connection, 64-byte messages ping-ponged N times, latency percentiles
//   bulk: one connection, B bytes streamed to a sink, throughput (after a warm-up
//         connection of WARMUP_BYTES)
const { open } = require('../transport')
const { runMain } = require('../serve')
const { measuring, finish } = require('../harness')

function connect (t, port) {
  return new Promise((resolve, reject) => {
    const sock = t.connect({ host: t.host, port }, () => resolve(sock))
    sock.once('error', reject)
  })
}

// Warm-ups before the measured part (code compiled, buffers and pools grown), so V8's
// compiler threads and one-off start-up work do not fall into the measured window.
const WARMUP_MESSAGES = 2000
const WARMUP_BYTES = 32 * 1024 * 1024

// `messages` ping-pongs of `msg` on sock; their times (us) into `times` if given.
function pingPong (sock, msg, messages, times) {
  let got = 0
  let i = 0
  let start = 0
  return new Promise((resolve, reject) => {
    const onData = (chunk) => {
      got += chunk.length
      if (got < msg.length) return
      got -= msg.length
      if (times) times[i] = Number(process.hrtime.bigint() - start) / 1000
      if (++i === messages) {
        sock.off('data', onData)
        sock.off('error', reject)
        return resolve()
      }
      start = process.hrtime.bigint()
      sock.write(msg)
    }
    sock.on('data', onData)
    sock.on('error', reject)
    start = process.hrtime.bigint()
    sock.write(msg)
  })
}

async function rtt (t, port, messages) {
  const sock = await connect(t, port)
  sock.setNoDelay(true)
  const msg = Buffer.alloc(64, 'x')
  sock.write('E')
  await pingPong(sock, msg, WARMUP_MESSAGES)
  const times = new Float64Array(messages)
  const u0 = measuring()
  await pingPong(sock, msg, messages, times)
  const result = finish(u0, times)
  sock.destroy()
  return result
}

// One connection streaming `bytes` to the sink; resolves to the bytes sent and what
// onConnected() returned once connected.
async function stream (t, port, bytes, onConnected = () => null) {
  const sock = await connect(t, port)
  const started = onConnected()
  const chunk = Buffer.alloc(64 * 1024, 'y')
  let sent = 0
  const reply = new Promise((resolve, reject) => {
    let text = ''
    sock.on('data', (d) => { text += d })
    sock.on('end', () => resolve(Number(text)))
    sock.on('error', reject)
  })
  sock.write('S')
  await new Promise((resolve) => {
    const pump = () => {
      while (sent < bytes) {
        sent += chunk.length
        if (!sock.write(chunk)) return sock.once('drain', pump)
      }
      sock.end()
      resolve()
    }
    pump()
  })
  const counted = await reply
  if (counted !== sent) throw new Error(`sink counted ${counted} bytes, sent ${sent}`)
  return { sent, started }
}

async function bulk (t, port, bytes) {
  await stream(t, port, WARMUP_BYTES)
  const { sent, started: u0 } = await stream(t, port, bytes, measuring)
  const result = finish(u0)
  return { gbps: (sent * 8) / result.seconds / 1e9, ...result }
}

async function main () {
  const [transport, port, socketPath, mode, amount] = process.argv.slice(2)
  const t = await open(transport, 'client', socketPath)
  const result = mode === 'rtt' ? await rtt(t, Number(port), Number(amount)) : await bulk(t, Number(port), Number(amount))
  process.send(result)   // first: the server's measured window ends with this
  await t.close()
  process.disconnect()
}

runMain(main)
