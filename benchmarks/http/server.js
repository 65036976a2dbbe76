'use strict'
// Fastify hello world, the same app for every server kind: over the kernel it listens
// on the veth's address as usual; over the stack the @gazelle/fastify plugin serves it
// from a stack on the given device; under @gazelle/register ('register': started with
// --import @gazelle/register) it listens as over the kernel and the register puts the
// listener on the stack. Counts the requests it answers (CPU per request).
// Arguments: port serverIp/prefix stackOptionsJson|'kernel'|'register'
const Fastify = require('fastify')
const { gazelle } = require('@gazelle/fastify')
const { serve, runMain } = require('../serve')

async function main () {
  const [port, cidr, stackJson] = process.argv.slice(2)
  const host = cidr.split('/')[0]
  let stack = null
  if (stackJson !== 'kernel' && stackJson !== 'register') {
    const { createStack } = require('@gazelle/stack')
    stack = await createStack({
      poll: process.env.GAZELLE_POLL || 'adaptive',
      ...JSON.parse(stackJson),
      ip: cidr,
      control: false
    })
  }
  const app = Fastify()
  if (stack) await app.register(gazelle, { stack })
  let served = 0
  app.get('/', async () => {
    served++
    return { hello: 'world' }
  })
  serve({
    listen: (p, cb) => app.listen({ port: p, host }).then(cb),
    close: () => app.close().catch((err) => console.error(err))
  }, port, { close: async () => { if (stack) await stack.close() } }, () => served)
}

runMain(main)
