'use strict'
// The main job (`npm start`): a Fastify app whose TCP runs on gazelle-node. Registering
// @gazelle/fastify is the only change from a plain Fastify app: the stack creates a tap
// device (gz0), the kernel side gets 10.20.0.1/24 and the stack answers on 10.20.0.2,
// so curl on this machine reaches the app through the tap.
//   GET /        a greeting with the client's address as Fastify sees it (request.ip)
//   POST /echo   the request body back
//
// Overrides (for a second copy or a busy name): GAZELLE_TAP, GAZELLE_HOST_IP,
// GAZELLE_IP, GAZELLE_PORT, GAZELLE_POLL (busy | adaptive | interrupt).
const Fastify = require('fastify')
const { gazelle } = require('@gazelle/fastify')

const tap = process.env.GAZELLE_TAP || 'gz0'
const hostIp = process.env.GAZELLE_HOST_IP || '10.20.0.1/24'
const ip = process.env.GAZELLE_IP || '10.20.0.2/24'
const port = Number(process.env.GAZELLE_PORT || 7000)
const poll = process.env.GAZELLE_POLL || 'adaptive'

async function main () {
  const app = Fastify({ logger: { level: 'warn' } })
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => done(null, body))

  let requests = 0
  app.addHook('onRequest', async () => { requests++ })
  app.get('/', async (request) => ({
    hello: 'world',
    from: `${request.ip}:${request.socket.remotePort}`,
    to: `${request.socket.localAddress}:${request.socket.localPort}`,
    request: requests
  }))
  app.post('/echo', async (request, reply) => {
    reply.type(request.headers['content-type'] || 'application/octet-stream')
    return request.body ?? ''
  })

  try {
    await app.register(gazelle, { stack: { device: { type: 'tap', name: tap, hostIp }, ip, poll } })
    await app.listen({ port })
  } catch (err) {
    console.error(`could not start: ${err.message}${err.code ? ` [${err.code}]` : ''}`)
    console.error('see "Troubleshooting" in README.md')
    await app.close().catch(() => {})
    process.exit(1)
  }
  const { address } = app.gazelle.address()
  console.log(`gazelle-node: Fastify on a user-mode TCP stack over tap ${tap} (${poll} polling)`)
  console.log(`try: curl http://${address}:${port}/`)
  console.log(`     curl --data-binary @package.json http://${address}:${port}/echo`)
  console.log('Ctrl-C stops it and removes the tap device.')

  let closing = false
  async function shutdown (code) {
    if (closing) return
    closing = true
    const force = setTimeout(() => process.exit(code || 1), 10_000)
    force.unref()
    try {
      await app.close() // lets in-flight requests finish, then closes the stack and gz0
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
