'use strict'
// A node:http service whose TCP runs on gazelle-node (`npm start` runs the Fastify
// version, examples/fastify-hello).
// The stack creates a tap device (gz0): the kernel side gets 10.20.0.1/24, the stack
// answers on 10.20.0.2, so curl on this machine reaches the service through the tap.
// GET returns a greeting; POST/PUT echo the request body back.
//
// Overrides (for a second copy or a busy name): GAZELLE_TAP, GAZELLE_HOST_IP,
// GAZELLE_IP, GAZELLE_PORT, GAZELLE_POLL (busy | adaptive | interrupt).
const http = require('node:http')
const { createStack } = require('@gazelle/stack')

const tap = process.env.GAZELLE_TAP || 'gz0'
const hostIp = process.env.GAZELLE_HOST_IP || '10.20.0.1/24'
const ip = process.env.GAZELLE_IP || '10.20.0.2/24'
const port = Number(process.env.GAZELLE_PORT || 7000)
const poll = process.env.GAZELLE_POLL || 'adaptive'

async function main() {
  let stack
  try {
    stack = await createStack({ device: { type: 'tap', name: tap, hostIp }, ip, poll })
  } catch (err) {
    console.error(`could not create the stack: ${err.message}${err.code ? ` [${err.code}]` : ''}`)
    console.error('see "Troubleshooting" in README.md')
    process.exit(1)
  }

  let requests = 0
  const httpServer = http.createServer((req, res) => {
    requests++
    if (req.method === 'POST' || req.method === 'PUT') {
      res.setHeader('content-type', req.headers['content-type'] || 'application/octet-stream')
      req.pipe(res) // echo the body back
      return
    }
    const s = req.socket
    res.setHeader('content-type', 'text/plain')
    res.end(`hello from gazelle-node: ${req.method} ${req.url} from ${s.remoteAddress}:${s.remotePort} ` +
      `to ${s.localAddress}:${s.localPort} (request ${requests})\n`)
  })
  // node:http gets its connections from the stack instead of a kernel socket.
  const server = stack.createServer((socket) => httpServer.emit('connection', socket))
  server.on('error', (err) => {
    console.error(`server error: ${err.message}`)
    shutdown(1)
  })
  server.listen(port, () => {
    // node:http starts tracking connections (timeouts, closeAllConnections) on 'listening'.
    httpServer.emit('listening')
    const address = ip.split('/')[0]
    console.log(`gazelle-node: node:http on a user-mode TCP stack over tap ${tap} (${poll} polling)`)
    console.log(`try: curl http://${address}:${port}/`)
    console.log(`     curl --data-binary @package.json http://${address}:${port}/echo`)
    console.log('Ctrl-C stops it and removes the tap device.')
  })

  let closing = false
  async function shutdown(code) {
    if (closing) return
    closing = true
    const force = setTimeout(() => process.exit(code || 1), 5000)
    force.unref()
    try {
      httpServer.closeAllConnections()
      await new Promise((resolve) => server.close(() => resolve()))
      httpServer.close()
      await stack.close() // releases the port, its hugepages and the tap device
    } catch (err) {
      console.error(`error while closing: ${err.message}`)
      code = code || 1
    }
    console.log(`stopped after ${requests} request(s)`)
    process.exit(code)
  }
  process.on('SIGINT', () => shutdown(0))
  process.on('SIGTERM', () => shutdown(0))
}

main()
