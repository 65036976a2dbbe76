'use strict'
// A gRPC Greeter served on the user-mode stack. By default the stack sits on a tap
// device (gzg0: kernel side 10.21.0.1/24, stack 10.21.0.2), so any kernel gRPC client on
// this machine can call it; with GAZELLE_DEVICE=memif it serves a memif socket for a
// client on a second stack (client.js --memif).
//
//   node examples/grpc-greeter/server.js            # then: node examples/grpc-greeter/client.js
//
// Overrides: GAZELLE_DEVICE (tap | memif), GAZELLE_TAP, GAZELLE_MEMIF_SOCKET, GAZELLE_PORT.
const { createStack } = require('@gazelle/stack')
const { serveOnStack } = require('@gazelle/grpc')
const { grpc, Greeter } = require('./greeter')

const port = Number(process.env.GAZELLE_PORT || 50051)
const device = process.env.GAZELLE_DEVICE === 'memif'
  ? { type: 'memif', role: 'server', socket: process.env.GAZELLE_MEMIF_SOCKET || '/run/gazelle/greeter.sock' }
  : { type: 'tap', name: process.env.GAZELLE_TAP || 'gzg0', hostIp: '10.21.0.1/24' }
const ip = device.type === 'memif' ? '10.10.0.1/24' : '10.21.0.2/24'

async function main () {
  const stack = await createStack({ device, ip })
  const server = new grpc.Server()
  server.addService(Greeter.service, {
    sayHello (call, callback) {
      // getPeer() is the caller's real address, as on a kernel socket.
      callback(null, { message: `Hello ${call.request.name} (from ${call.getPeer()})` })
    }
  })
  const serving = await serveOnStack(server, stack, { port, credentials: grpc.ServerCredentials.createInsecure() })
  console.log(`greeter on ${serving.address}:${serving.port} (${device.type})`)
  const memifArgs = device.type === 'memif' ? ` --memif ${device.socket}` : ''
  console.log(`try: node examples/grpc-greeter/client.js ${serving.address}:${serving.port}${memifArgs}`)

  let closing = false
  const closeStack = () => {
    if (closing) return
    closing = true
    stack.close().then(() => process.exit(0), () => process.exit(1))
  }
  const shutdown = () => {
    // Lets calls in flight finish, then closes the stack (and removes the tap device).
    // A graceful close also waits for each client to close its connection; a client
    // that vanished without closing would hold it up, so after 2 s the rest is cut.
    server.tryShutdown(closeStack)
    setTimeout(() => {
      server.forceShutdown()
      closeStack()
    }, 2000).unref()
  }
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)
}

main().catch((err) => {
  console.error(`greeter: ${err.message}${err.code ? ` [${err.code}]` : ''}`)
  process.exit(1)
})
