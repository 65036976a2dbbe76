'use strict'
// Benchmark server, the same program for both transports. The first byte of a
// connection picks its job: 'E' echoes everything back, 'S' swallows bytes and
// answers with the count when the client ends.
const { open } = require('../transport')
const { serve, runMain } = require('../serve')

async function main () {
  const [transport, port, socketPath] = process.argv.slice(2)
  const t = await open(transport, 'server', socketPath)
  const server = t.createServer((sock) => {
    sock.setNoDelay(true)
    let mode = null
    let count = 0
    sock.on('data', (chunk) => {
      if (mode === null) {
        mode = String.fromCharCode(chunk[0])
        chunk = chunk.subarray(1)
      }
      if (mode === 'E') { if (chunk.length) sock.write(chunk) }
      else count += chunk.length
    })
    sock.on('end', () => sock.end(mode === 'S' ? String(count) : undefined))
    sock.on('error', () => {})
  })
  serve(server, port, t)
}

runMain(main)
