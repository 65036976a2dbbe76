'use strict'
// Benchmark UDP echo server, the same program for both transports: node:dgram on
// kernel loopback, or a stack socket over memif. Every datagram goes back to its sender.
const { open } = require('../transport')
const { serve, runMain } = require('../serve')

async function main () {
  const [transport, port, socketPath] = process.argv.slice(2)
  const t = await open(transport, 'server', socketPath)
  const sock = t.createSocket('udp4')
  sock.on('message', (msg, rinfo) => sock.send(msg, rinfo.port, rinfo.address))
  // serve() speaks to a server: a bound socket plays one.
  serve({ listen: (p, cb) => sock.bind(p, t.host, cb), close: () => sock.close() }, port, t)
}

runMain(main)
