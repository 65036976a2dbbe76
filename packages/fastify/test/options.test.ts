// Option checks of the plugin and the serverFactory, and the server the factory builds
// from Fastify's options (no stack needed: a factory creates its stack at listen()).
import * as http from 'node:http'
import * as http2 from 'node:http2'
import * as https from 'node:https'
import t from 'tap'
import Fastify from 'fastify'
import { gazelle, serverFactory } from '../src/index'

const stackOptions = { device: { type: 'memif', role: 'server', socket: '/run/gazelle/never.sock' }, ip: '10.9.0.1/24' } as const
const fakeStack = (): any => ({
  ip: '10.9.0.1', prefixLength: 24, closed: false, createServer() { throw new Error('unused') }, connect() { throw new Error('unused') }, close: async () => {},
})

const bad: [unknown, RegExp][] = [
  [undefined, /^options must be an object with a stack/],
  [{}, /^options\.stack must be a stack from createStack\(\) or stack options, got undefined/],
  [{ stack: 'gz0' }, /^options\.stack must be/],
  [{ stack: stackOptions, mode: 'kernel' }, /^options\.mode must be "replace" or "both", got "kernel"/],
  [{ stack: stackOptions, port: 70000 }, /^options\.port must be an integer from 0 to 65535, got 70000/],
  [{ stack: stackOptions, port: '80' }, /^options\.port must be/],
  [{ stack: stackOptions, host: 'localhost' }, /^options\.host must be the stack's IPv4 address "10\.9\.0\.1" or "0\.0\.0\.0" \(the stack serves on its network address: a loopback host would be widened\), got "localhost"/],
  [{ stack: stackOptions, host: '127.0.0.1' }, /^options\.host must be .*a loopback host would be widened/],
  [{ stack: stackOptions, host: '10.9.0.7' }, /^options\.host must be the stack's IPv4 address "10\.9\.0\.1" or "0\.0\.0\.0", got "10\.9\.0\.7"/],
  [{ stack: fakeStack(), host: '10.9.0.7' }, /^options\.host must be the stack's IPv4 address "10\.9\.0\.1"/],
  [{ stack: stackOptions, mdoe: 'both' }, /^options\.mdoe is not an option: did you mean options\.mode\?/],
  [{ stack: Promise.resolve(fakeStack()) }, /^options\.stack is a Promise, not a stack: createStack\(\) is async, so await it first/],
]

t.test('serverFactory: invalid options name the option', async (t) => {
  for (const [opts, message] of bad) {
    t.throws(() => serverFactory(opts as any), { code: 'ERR_GAZELLE_INVALID_OPTION', message }, String(message))
  }
})

t.test('plugin: invalid options fail app.ready() with the same errors', async (t) => {
  for (const [opts, message] of bad.slice(1)) { // (Fastify hands a plugin {} for no options)
    const app = Fastify()
    app.register(gazelle, opts as any)
    await t.rejects(app.ready() as PromiseLike<unknown> as Promise<unknown>, { code: 'ERR_GAZELLE_INVALID_OPTION', message }, String(message))
  }
})

t.test('plugin: stack options with a typo fail app.ready() with the closest name', async (t) => {
  const app = Fastify()
  app.register(gazelle, { stack: { ...stackOptions, pol: 'busy' } as any })
  await t.rejects(app.ready() as PromiseLike<unknown> as Promise<unknown>, { code: 'ERR_GAZELLE_INVALID_OPTION', message: /^options\.pol is not an option: did you mean options\.poll\?/ })
})

t.test('plugin: a server is bound once (plugin and serverFactory together are refused)', async (t) => {
  const app = Fastify({ serverFactory: serverFactory({ stack: fakeStack() }) })
  app.register(gazelle, { stack: fakeStack() })
  await t.rejects(app.ready() as PromiseLike<unknown> as Promise<unknown>, { code: 'ERR_GAZELLE_INVALID_OPTION', message: /bound to a stack once/ })
})

t.test('plugin: a given stack is exposed as app.gazelle and not closed by app.close()', async (t) => {
  const stack = fakeStack()
  let closed = 0
  stack.close = async () => { closed++ }
  const app = Fastify()
  await app.register(gazelle, { stack, mode: 'both' })
  t.equal(app.gazelle.stack, stack)
  t.equal(app.gazelle.mode, 'both')
  t.equal(app.gazelle.address(), null, 'no address before listen()')
  await app.close()
  t.equal(closed, 0, 'the user\'s stack stays open')
})

t.test('serverFactory builds the server Fastify would, with its timeouts', async (t) => {
  const app = Fastify({
    serverFactory: serverFactory({ stack: stackOptions }),
    keepAliveTimeout: 1234, requestTimeout: 2345, connectionTimeout: 3456, maxRequestsPerSocket: 7,
  })
  const s = app.server as http.Server
  t.ok(s instanceof http.Server, 'an http.Server')
  t.equal(s.keepAliveTimeout, 1234, 'keepAliveTimeout')
  t.equal(s.requestTimeout, 2345, 'requestTimeout')
  t.equal(s.timeout, 3456, 'connectionTimeout (server.setTimeout)')
  t.equal(s.maxRequestsPerSocket, 7, 'maxRequestsPerSocket')
  t.equal(s.listening, false, 'not listening before listen()')
  await app.close()

  const tls = Fastify({ serverFactory: serverFactory({ stack: stackOptions }), https: {} } as any)
  t.ok(tls.server instanceof https.Server, 'https: an https.Server')
  await tls.close()
  const h2 = Fastify({ serverFactory: serverFactory({ stack: stackOptions }), http2: true } as any) as any
  t.ok(h2.server instanceof (http2.createServer().constructor as any), 'http2: an Http2Server')
  await h2.close()
})
