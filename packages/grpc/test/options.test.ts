// Argument checks name the option; the hook's guard accepts exactly the versions with
// the tcpConnect seam; the options say which path they took. No stack is opened: the
// stack only has to look like one until a connection goes through it.
import t from 'tap'
import * as grpc from '@grpc/grpc-js'
import { channelMode, serveOnStack, stackChannelOptions, CONNECT_OPTION } from '../src/index'
import { hookRefusal } from '../src/connector-hook'
import { grpcFiles } from '../src/grpc-module'

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

t.test('stackChannelOptions: invalid arguments name the option', async (t) => {
  const bad: [unknown, unknown, RegExp][] = [
    [undefined, undefined, /^stack must be a stack from createStack\(\)/],
    [{ ip: 'nope', prefixLength: 24, connect() {} }, undefined, /^stack must be/],
    [fakeStack(), 'x', /^options must be an object/],
    [fakeStack(), { mode: 'kernel' }, /^options\.mode must be "auto", "hook" or "fallback", got "kernel"/],
    [fakeStack(), { grpc: {} }, /^options\.grpc must be the @grpc\/grpc-js module/],
    [fakeStack(), { routes: '10.0.0.0/8' }, /^options\.routes must be an array/],
    [fakeStack(), { routes: ['10.1.2.3/40'] }, /^options\.routes\[0\] must be "subnet" or an IPv4 CIDR or address/],
    [fakeStack(), { route: ['10.1.2.3'] }, /^options\.route is not an option: did you mean options\.routes\?/],
    [Promise.resolve(fakeStack()), undefined, /^stack is a Promise, not a stack: createStack\(\) is async/],
  ]
  for (const [stack, opts, message] of bad) {
    t.throws(() => stackChannelOptions(stack as any, opts as any), { code: 'ERR_GAZELLE_INVALID_OPTION', message }, String(message))
  }
})

t.test('serveOnStack: invalid arguments name the option', async (t) => {
  const server = new grpc.Server()
  const creds = grpc.ServerCredentials.createInsecure()
  const bad: [unknown, unknown, unknown, RegExp][] = [
    [{}, fakeStack(), { port: 1, credentials: creds }, /^server must be a grpc-js Server/],
    [server, {}, { port: 1, credentials: creds }, /^stack must be a stack from createStack\(\)/],
    [server, fakeStack(), undefined, /^options must be an object/],
    [server, fakeStack(), { port: 70000, credentials: creds }, /^options\.port must be an integer from 0 to 65535, got 70000/],
    [server, fakeStack(), { port: 1, host: '10.9.0.9', credentials: creds }, /^options\.host must be the stack's address "10\.9\.0\.2" or "0\.0\.0\.0", got/],
    [server, fakeStack(), { port: 1, host: '127.0.0.1', credentials: creds }, /^options\.host must be the stack's address "10\.9\.0\.2" or "0\.0\.0\.0" \(a loopback host/],
    [server, fakeStack(), { port: 1, host: 'localhost', credentials: creds }, /^options\.host must be .*\(a loopback host/],
    [server, fakeStack(), { port: 1, credentials: creds, backlgo: 5 }, /^options\.backlgo is not an option: did you mean options\.backlog\?/],
    [server, fakeStack(), { port: 1 }, /^options\.credentials must be grpc\.ServerCredentials/],
  ]
  for (const [s, stack, opts, message] of bad) {
    await t.rejects(serveOnStack(s as any, stack as any, opts as any), { code: 'ERR_GAZELLE_INVALID_OPTION', message }, String(message))
  }
})

t.test('the connector hook guard follows the tcpConnect seam', async (t) => {
  const refusal = (name: string) => hookRefusal(grpcFiles(require(name))!)
  t.equal(refusal('@grpc/grpc-js'), null, 'newest: hook')
  t.equal(refusal('grpc-js-1-13'), null, '1.13.0: hook')
  t.match(refusal('grpc-js-1-11'), /1\.11\.0 is outside the range/, '1.11.0: refused, with the reason')
})

t.test('options carry the path taken', async (t) => {
  const hook = stackChannelOptions(fakeStack())
  t.equal(channelMode(hook), 'hook')
  t.type(hook[CONNECT_OPTION], 'function', 'a function-valued channel option')
  const fallback = stackChannelOptions(fakeStack(), { mode: 'fallback' })
  t.equal(channelMode(fallback), 'fallback')
  t.type(fallback.channelFactoryOverride, 'function')
  const old = stackChannelOptions(fakeStack(), { grpc: require('grpc-js-1-11') })
  t.equal(channelMode(old), 'fallback', 'auto picks the fallback on 1.11')
  t.throws(() => stackChannelOptions(fakeStack(), { grpc: require('grpc-js-1-11'), mode: 'hook' }), {
    code: 'ERR_GAZELLE_INVALID_OPTION',
    message: /options\.mode must be "auto" or "fallback" here \(@grpc\/grpc-js 1\.11\.0 is outside/,
  })
})

t.test('the hook leaves addresses outside the stack to the kernel', async (t) => {
  const connect = stackChannelOptions(fakeStack())[CONNECT_OPTION] as (a: object) => unknown
  t.equal(connect({ host: '127.0.0.1', port: 80 }), null, 'loopback: kernel')
  t.equal(connect({ path: '/tmp/x.sock' }), null, 'unix socket: kernel')
  t.equal(connect({ host: '::1', port: 80 }), null, 'IPv6: kernel')
  await t.rejects(connect({ host: '10.9.0.7', port: 80 }) as Promise<unknown>, /must not open stack connections/, 'the subnet: the stack')
  const routed = stackChannelOptions(fakeStack(), { routes: ['192.168.7.0/24'] })[CONNECT_OPTION] as (a: object) => unknown
  await t.rejects(routed({ host: '192.168.7.1', port: 80 }) as Promise<unknown>, /must not open stack connections/, 'a route: the stack')
})

t.test('the fallback channel takes IPv4 literal targets only', async (t) => {
  const { channelFactoryOverride } = stackChannelOptions(fakeStack(), { mode: 'fallback' }) as any
  t.throws(() => channelFactoryOverride('localhost:50051', grpc.credentials.createInsecure(), {}), {
    code: 'ERR_GAZELLE_INVALID_OPTION',
    message: /^target must be an IPv4 literal with a port/,
  })
  const ch = channelFactoryOverride('ipv4:10.9.0.7:50051', grpc.credentials.createInsecure(), {})
  t.equal(ch.getTarget(), 'ipv4:10.9.0.7:50051')
  t.equal(ch.getConnectivityState(false), grpc.connectivityState.IDLE)
  ch.close()
  t.equal(ch.getConnectivityState(false), grpc.connectivityState.SHUTDOWN)
})

t.test('clients of one stack share connections the way kernel clients do', async (t) => {
  const stack = fakeStack()
  const a = stackChannelOptions(stack)[CONNECT_OPTION]
  t.equal(stackChannelOptions(stack)[CONNECT_OPTION], a, 'the same option value, so grpc-js can share the subchannel')
  t.not(stackChannelOptions(stack, { routes: ['192.168.7.0/24'] })[CONNECT_OPTION], a, 'other routes: another value')
  t.not(stackChannelOptions(fakeStack())[CONNECT_OPTION], a, 'another stack: another value')
})
