'use strict'
// Benchmark gRPC server, the same program for both transports: a grpc-js Greeter bound
// on kernel loopback (bindAsync) or served on the stack over memif (serveOnStack).
const { open } = require('../transport')
const { serve, runMain } = require('../serve')
const { grpc, Greeter } = require('../../examples/grpc-greeter/greeter')

// serve() drives a net.Server-shaped object: listen(port, cb) and close().
function grpcListener (server, t) {
  const credentials = grpc.ServerCredentials.createInsecure()
  return {
    listen (port, cb) {
      if (!t.stack) {
        server.bindAsync(`127.0.0.1:${port}`, credentials, (err) => { if (err) throw err; cb() })
      } else {
        require('@gazelle/grpc').serveOnStack(server, t.stack, { port, credentials }).then(() => cb(), (err) => { throw err })
      }
    },
    close () { server.forceShutdown() }
  }
}

async function main () {
  const [transport, port, socketPath] = process.argv.slice(2)
  const t = await open(transport, 'server', socketPath)
  const server = new grpc.Server()
  server.addService(Greeter.service, {
    sayHello (call, callback) { callback(null, { message: `Hello ${call.request.name}` }) }
  })
  serve(grpcListener(server, t), port, t)
}

runMain(main)
