// GazelleAgent's option checks and its routing decision (no stack needed: the stack
// option only has to look like one until a connection goes through it).
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { GazelleAgent } from '../src/index'

const fakeStack = (): any => ({
  ip: '10.9.0.2',
  prefixLength: 24,
  connect() {
    throw new Error('this test must not open stack connections')
  },
  createServer() {
    throw new Error('this test must not listen')
  },
  close: async () => {},
})

t.test('invalid options name the option', async (t) => {
  const bad: [unknown, RegExp][] = [
    [undefined, /^options must be an object/],
    [{}, /^options\.stack must be a stack from createStack\(\), got undefined/],
    [{ stack: { ip: 'x', prefixLength: 24, connect() {} } }, /^options\.stack must be/],
    [{ stack: fakeStack(), routes: '10.0.0.0/8' }, /^options\.routes must be an array/],
    [{ stack: fakeStack(), routes: ['10.0.0.0/8', '10.1.2.3:0'] }, /^options\.routes\[1\] must be "subnet" or an IPv4 CIDR or address.*got "10\.1\.2\.3:0"/],
    [{ stack: fakeStack(), route: ['10.0.0.0/8'] }, /^options\.route is not an option: did you mean options\.routes\?/],
    [{ stack: Promise.resolve(fakeStack()) }, /^options\.stack is a Promise, not a stack: createStack\(\) is async/],
    [{ stack: fakeStack(), servernames: { '10.9.0.7': 'a.example' } }, /^options\.servernames\["10\.9\.0\.7"\] must be keyed by/],
    [{ stack: fakeStack(), servernames: { 'https://10.9.0.7': '10.9.0.7' } }, /^options\.servernames\["https:\/\/10\.9\.0\.7"\] must be a server name/],
    [{ stack: fakeStack(), routes: ['10.0.0.0/33'] }, /^options\.routes\[0\]/],
    [{ stack: fakeStack(), connect: () => {} }, /^options\.connect must be an object/],
    [{ stack: fakeStack(), connectTimeout: -5 }, /^options\.connectTimeout must be a number/],
    [{ stack: fakeStack(), connect: { timeout: 'soon' } }, /^options\.connect\.timeout must be a number/],
  ]
  for (const [opts, message] of bad) {
    t.throws(() => new GazelleAgent(opts as any), { code: 'ERR_GAZELLE_INVALID_OPTION', message }, String(message))
  }
})

t.test('which hostnames go through the stack', async (t) => {
  const agent = new GazelleAgent({ stack: fakeStack(), routes: ['192.168.0.0/16', '172.16.5.7/32'] })
  t.teardown(() => agent.close())
  t.ok(agent.routesThroughStack('10.9.0.1'), 'the stack subnet')
  t.ok(agent.routesThroughStack('10.9.0.255'))
  t.notOk(agent.routesThroughStack('10.9.1.1'), 'next subnet')
  t.ok(agent.routesThroughStack('192.168.44.1'), 'a route')
  t.ok(agent.routesThroughStack('172.16.5.7'), 'a /32 route')
  t.notOk(agent.routesThroughStack('172.16.5.8'))
  t.notOk(agent.routesThroughStack('127.0.0.1'), 'loopback: kernel')
  t.notOk(agent.routesThroughStack('localhost'), 'names: kernel (the stack does no DNS)')
  t.notOk(agent.routesThroughStack('[::1]'), 'IPv6: kernel')
  const ported = new GazelleAgent({ stack: fakeStack(), routes: ['192.168.0.7:5432', '192.168.1.0/24:8000-8099'] })
  t.teardown(() => ported.close())
  t.ok(ported.routesThroughStack('192.168.0.7', 5432), 'an address with a port')
  t.notOk(ported.routesThroughStack('192.168.0.7', 5433), 'another port: kernel')
  t.notOk(ported.routesThroughStack('192.168.0.7'), 'without a port, a port route does not count')
  t.ok(ported.routesThroughStack('192.168.1.9', 8050), 'a port range')
  t.notOk(ported.routesThroughStack('192.168.1.9', 8100))
})

t.test('other origins go through the kernel unchanged', async (t) => {
  const hs = http.createServer((req, res) => res.end(`kernel ${req.url}`))
  await new Promise<void>((r) => hs.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => { hs.closeAllConnections(); hs.close(() => r()) }))
  const agent = new GazelleAgent({ stack: fakeStack(), connectTimeout: 2000 })
  t.teardown(() => agent.close())
  const res = await agent.request({ origin: `http://127.0.0.1:${(hs.address() as AddressInfo).port}`, path: '/x', method: 'GET' })
  t.equal(res.statusCode, 200)
  t.equal(await res.body.text(), 'kernel /x')
})
