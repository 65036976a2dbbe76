'use strict'
// Calls the Greeter. Without options it is a plain grpc-js client on the kernel (it
// reaches the tap server through the tap device). With --memif it opens its own stack
// on the server's memif socket and routes its channel through it: the only change is
// the third argument of the client constructor, stackChannelOptions(stack).
//
//   node examples/grpc-greeter/client.js [target] [--memif [socket]] [--name NAME]
//
// --memif alone uses the server's default socket (/run/gazelle/greeter.sock).
const { parseArgs } = require('node:util')
const { grpc, Greeter } = require('./greeter')

const DEFAULT_SOCKET = '/run/gazelle/greeter.sock'

/** --memif's socket is optional: a following argument is it only when it is a path. */
function withMemifValue (args) {
  return args.map((a, i) => (a === '--memif' && !(args[i + 1] || '').includes('/') ? `--memif=${DEFAULT_SOCKET}` : a))
}

async function main () {
  const { values, positionals } = parseArgs({
    args: withMemifValue(process.argv.slice(2)),
    allowPositionals: true,
    options: { memif: { type: 'string' }, name: { type: 'string', default: 'gazelle' } }
  })
  const viaMemif = values.memif !== undefined
  const target = positionals[0] || (viaMemif ? '10.10.0.1:50051' : '10.21.0.2:50051')
  let stack = null
  let options = {}
  if (viaMemif) {
    const { createStack } = require('@gazelle/stack')
    const { stackChannelOptions } = require('@gazelle/grpc')
    stack = await createStack({
      device: { type: 'memif', role: 'client', socket: values.memif || DEFAULT_SOCKET },
      ip: '10.10.0.2/24'
    })
    options = stackChannelOptions(stack)
  }
  const client = new Greeter(target, grpc.credentials.createInsecure(), options)
  const reply = await new Promise((resolve, reject) =>
    client.sayHello({ name: values.name }, { deadline: Date.now() + 5000 }, (err, res) => (err ? reject(err) : resolve(res))))
  console.log(reply.message)
  client.close()
  if (stack) await stack.close()
}

main().catch((err) => {
  console.error(`client: ${err.message}${err.code !== undefined ? ` [${err.code}]` : ''}`)
  process.exit(1)
})
