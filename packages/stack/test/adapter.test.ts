// The helpers adapters share: stack checks, routes, listen hosts, connect- and
// listen-and-await (against a scripted stand-in for a stack; integration tests use real ones).
import { EventEmitter } from 'node:events'
import t from 'tap'
import {
  assertStack, connectOnStack, isLoopbackHost, isStack, listenHostKind, listenOnStack, parseRoute, routeMatcher,
} from '../src/adapter'
import { checkKeys, closestName, portOption } from '../src/validate'

const stackLike = (): any => ({
  ip: '10.9.0.2', prefixLength: 24, connect() {}, createServer() {}, close: async () => {},
})

t.test('isStack and assertStack; a Promise gets its own message', async (t) => {
  t.ok(isStack(stackLike()))
  t.notOk(isStack({ ...stackLike(), ip: 'x' }))
  t.notOk(isStack(null))
  t.throws(() => assertStack(Promise.resolve(stackLike()), 'options.stack'), {
    code: 'ERR_GAZELLE_INVALID_OPTION',
    message: 'options.stack is a Promise, not a stack: createStack() is async, so await it first (const stack = await createStack(options))',
  })
  t.throws(() => assertStack({}, 'stack'), { code: 'ERR_GAZELLE_INVALID_OPTION', message: /^stack must be a stack from createStack\(\), got \{\}$/ })
})

t.test('routes: the stack subnet, CIDRs, addresses, ports and port ranges', async (t) => {
  const m = routeMatcher(stackLike(), ['192.168.0.0/16', '172.16.5.7', '10.1.0.0/16:5432', '10.2.0.9:8000-8099'])
  t.equal(m.key, '10.9.0.0/24,192.168.0.0/16,172.16.5.7/32,10.1.0.0/16:5432,10.2.0.9/32:8000-8099')
  t.ok(m.matches('10.9.0.200'), 'own subnet')
  t.notOk(m.matches('10.9.1.1'))
  t.ok(m.matches('192.168.3.4', 80))
  t.ok(m.matches('172.16.5.7'))
  t.notOk(m.matches('172.16.5.8'))
  t.ok(m.matches('10.1.2.3', 5432))
  t.notOk(m.matches('10.1.2.3', 5433))
  t.notOk(m.matches('10.1.2.3'), 'no port: a port-limited route does not count')
  t.ok(m.matches('10.2.0.9', 8099))
  t.notOk(m.matches('10.2.0.9', 8100))
  for (const host of ['localhost', '::1', '[::1]', '10.9.0', '']) t.notOk(m.matches(host), `${host}: kernel`)
  const only = routeMatcher(stackLike(), ['10.1.0.0/16'], { subnet: false })
  t.notOk(only.matches('10.9.0.1'), 'subnet: false leaves the own subnet out')
  t.ok(routeMatcher(stackLike(), ['subnet'], { subnet: false }).matches('10.9.0.1'), '"subnet" names it')
  for (const bad of ['10.0.0.0/33', '10.0.0.1:0', '10.0.0.1:70000', '10.0.0.1:90-80', 'a.b.c.d', 7]) {
    t.equal(parseRoute(bad), undefined, `${bad} is not a route`)
  }
  t.throws(() => routeMatcher(stackLike(), ['10.0.0.0/8', 'x'], { name: 'opts.routes' }), {
    code: 'ERR_GAZELLE_INVALID_OPTION', message: /^opts\.routes\[1\] must be "subnet" or an IPv4 CIDR/,
  })
  t.throws(() => routeMatcher(stackLike(), '10.0.0.0/8'), { message: /^options\.routes must be an array/ })
})

t.test('listen hosts: wildcard, the stack, loopback, other', async (t) => {
  const kinds: [unknown, string][] = [
    [undefined, 'any'], ['0.0.0.0', 'any'], ['::', 'any'], ['', 'any'], ['10.9.0.2', 'stack'],
    ['127.0.0.1', 'loopback'], ['127.1.2.3', 'loopback'], ['localhost', 'loopback'], ['LOCALHOST', 'loopback'],
    ['api.localhost', 'loopback'], ['::1', 'loopback'], ['[::1]', 'loopback'], ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'], ['10.9.0.3', 'other'], ['192.0.2.2', 'other'], ['example.com', 'other'], ['::2', 'other'],
  ]
  for (const [host, kind] of kinds) t.equal(listenHostKind(host, '10.9.0.2'), kind, `${String(host)}: ${kind}`)
  t.notOk(isLoopbackHost(7))
})

class FakeSocket extends EventEmitter {
  destroyed = false
  destroy() {
    this.destroyed = true
    return this
  }
}

t.test('connectOnStack settles once: connect, error, close, timeout, abort', async (t) => {
  let socket = new FakeSocket()
  const stack: any = { ...stackLike(), connect: () => socket }
  const ok = connectOnStack(stack, { host: '10.9.0.1', port: 80 })
  socket.emit('connect')
  t.equal(await ok, socket, 'resolves with the socket')
  t.equal(socket.listenerCount('error'), 0, 'and leaves no listeners behind')

  socket = new FakeSocket()
  const refused = connectOnStack(stack, { host: '10.9.0.1', port: 80 })
  socket.emit('error', Object.assign(new Error('connect ECONNREFUSED 10.9.0.1:80'), { code: 'ECONNREFUSED' }))
  await t.rejects(refused, { code: 'ECONNREFUSED' })

  socket = new FakeSocket()
  const closed = connectOnStack(stack, { host: '10.9.0.1', port: 80 })
  socket.emit('close')
  await t.rejects(closed, { code: 'ECONNRESET', message: 'connect ECONNRESET 10.9.0.1:80' })

  socket = new FakeSocket()
  const keepAlive = setTimeout(() => {}, 5000) // the connect timer is unref'd (a real connecting socket holds the loop)
  await t.rejects(connectOnStack(stack, { host: '10.9.0.1', port: 81 }, { timeout: 20 }), {
    code: 'ETIMEDOUT', syscall: 'connect', address: '10.9.0.1', port: 81,
  })
  t.ok(socket.destroyed, 'a timed-out attempt is destroyed')
  clearTimeout(keepAlive)

  socket = new FakeSocket()
  const ac = new AbortController()
  const aborted = connectOnStack(stack, { host: '10.9.0.1', port: 80 }, { signal: ac.signal })
  ac.abort(new Error('gave up'))
  await t.rejects(aborted, { message: 'gave up' })
  t.ok(socket.destroyed)

  const thrower: any = { ...stackLike(), connect: () => { throw new TypeError('bad') } }
  await t.rejects(connectOnStack(thrower, { host: 'x', port: 1 }), { message: 'bad' }, 'a synchronous throw rejects')
})

t.test('listenOnStack resolves with the address, rejects with the error', async (t) => {
  const server: any = Object.assign(new EventEmitter(), {
    listen(this: EventEmitter, o: { port: number }) {
      process.nextTick(() => (o.port === 1 ? this.emit('error', new Error('EADDRINUSE')) : this.emit('listening')))
    },
    address: () => ({ address: '10.9.0.2', family: 'IPv4', port: 7000 }),
  })
  t.same(await listenOnStack(server, { port: 7000 }), { address: '10.9.0.2', family: 'IPv4', port: 7000 })
  await t.rejects(listenOnStack(server, { port: 1 }), /EADDRINUSE/)
  t.equal(server.listenerCount('listening') + server.listenerCount('error'), 0, 'no listeners left')
})

t.test('checkKeys, closestName, portOption', async (t) => {
  t.equal(closestName('pol', ['poll', 'mtu']), 'poll')
  t.equal(closestName('hsotIp', ['hostIp', 'name']), 'hostIp', 'a swap')
  t.equal(closestName('zzz', ['poll', 'mtu']), undefined)
  t.doesNotThrow(() => checkKeys({ a: 1, b: undefined }, ['a'], 'o'))
  t.throws(() => checkKeys({ c: 1 }, ['a', 'b'], 'o'), { message: 'o.c is not an option: the options are a, b' })
  t.equal(portOption(0, 'p'), 0)
  t.throws(() => portOption('80', 'p'), { code: 'ERR_GAZELLE_INVALID_OPTION', message: 'p must be an integer from 0 to 65535, got "80"' })
  t.throws(() => portOption(0, 'p', false), { message: 'p must be an integer from 1 to 65535, got 0' })
})
