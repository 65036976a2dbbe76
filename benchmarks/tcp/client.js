'use strict'
// Benchmark client, the same program for both transports.
//   rtt:  one connection, 64-byte messages ping-ponged N times, latency percentiles
//   bulk: one connection, B bytes streamed to a sink, throughput
const { open } = require('../transport')
const { runMain } = require('../serve')
const { measuring, finish } = require('../harness')

function connect (t, port) {
  return new Promise((resolve, reject) => {
    const sock = t.connect({ host: t.host, port }, () => resolve(sock))
    sock.once('error', reject)
  })
}

async function rtt (t, port, messages) {
  const sock = await connect(t, port)
  sock.setNoDelay(true)
  const msg = Buffer.alloc(64, 'x')
  const times = new Float64Array(messages)
  let got = 0
  let i = 0
  let start = 0
  const u0 = measuring()
  await new Promise((resolve, reject) => {
    sock.on('error', reject)
    sock.on('data', (chunk) => {
      got += chunk.length
      if (got < msg.length) return
      got -= msg.length
      times[i++] = Number(process.hrtime.bigint() - start) / 1000
      if (i === messages) return resolve()
      start = process.hrtime.bigint()
      sock.write(msg)
    })
    start = process.hrtime.bigint()
    sock.write(Buffer.concat([Buffer.from('E'), msg]))
  })
  const result = finish(u0, times)
  sock.destroy()
  return result
}

async function bulk (t, port, bytes) {
  const sock = await connect(t, port)
  const chunk = Buffer.alloc(64 * 1024, 'y')
  let sent = 0
  const u0 = measuring()
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
  const result = finish(u0)
  if (counted !== sent) throw new Error(`sink counted ${counted} bytes, sent ${sent}`)
  return { gbps: (sent * 8) / result.seconds / 1e9, ...result }
}

async function main () {
  const [transport, port, socketPath, mode, amount] = process.argv.slice(2)
  const t = await open(transport, 'client', socketPath)
  const result = mode === 'rtt' ? await rtt(t, Number(port), Number(amount)) : await bulk(t, Number(port), Number(amount))
  await t.close()
  process.send(result)
  process.disconnect()
}

runMain(main)
