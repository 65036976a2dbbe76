'use strict'
// Benchmark Fastify server, the same hello-world app for both transports: over the
// kernel it listens as usual; over the stack the @gazelle/fastify plugin is registered.
const Fastify = require('fastify')
const { gazelle } = require('@gazelle/fastify')
const { open } = require('../transport')
const { serve, runMain } = require('../serve')

async function main () {
  const [transport, port, socketPath] = process.argv.slice(2)
  const t = await open(transport, 'server', socketPath)
  const app = Fastify()
  if (transport === 'stack') await app.register(gazelle, { stack: t.stack })
  app.get('/', async () => ({ hello: 'world' }))
  // serve() drives a net-style server: listen(port, cb) and close().
  serve({
    listen: (p, cb) => app.listen({ port: p, host: t.host }).then(cb),
    close: () => app.close().catch((err) => console.error(err))
  }, port, t)
}

runMain(main)
