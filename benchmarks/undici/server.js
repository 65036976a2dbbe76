'use strict'
// Benchmark HTTP server, the same program for both transports: node:http whose
// connections come from the transport's server.
const http = require('node:http')
const { open } = require('../transport')
const { serve, runMain } = require('../serve')

async function main () {
  const [transport, port, socketPath] = process.argv.slice(2)
  const t = await open(transport, 'server', socketPath)
  const body = JSON.stringify({ hello: 'world' })
  const app = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end(body)
  })
  app.keepAliveTimeout = 60_000
  const server = t.createServer((sock) => app.emit('connection', sock))
  app.emit('listening') // node:http tracks connections only once it is 'listening'
  serve(server, port, t)
}

runMain(main)
