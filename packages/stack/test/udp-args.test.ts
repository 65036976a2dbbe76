// The UDP socket's argument errors, compared call for call with node:dgram: same class,
// code and message. Every call here fails before the socket would touch the stack, so
// the stack's UdpSocket runs on a stand-in Stack that fails the test if it is used.
import * as dgram from 'node:dgram'
import t from 'tap'
import { nodeError, received } from '../src/node-errors'
import { kBinding, kIp } from '../src/symbols'
import { socketOptions } from '../src/udp-args'
import { UdpSocket } from '../src/udp-socket'

const untouchable = new Proxy({}, {
  get(_target, name) {
    throw new Error(`the stack was used (${String(name)}) by a call that should fail before`)
  },
})
const standIn = { [kBinding]: untouchable, [kIp]: 0x0a000001, closed: false } as never

function outcome(fn: () => unknown): Record<string, unknown> {
  try {
    fn()
    return { threw: false }
  } catch (e) {
    const err = e as Error & { code?: string; errno?: number; syscall?: string; info?: unknown }
    return {
      threw: true,
      class: err instanceof RangeError ? 'RangeError' : err instanceof TypeError ? 'TypeError' : 'Error',
      name: err.name,
      code: err.code,
      message: err.message,
      errno: err.errno,
      syscall: err.syscall,
      info: err.info,
      stackHead: err.stack?.split('\n')[0],
    }
  }
}

type Call = (s: any) => unknown

// Each call runs on a fresh socket of each kind; node:dgram must throw too (none of
// these may send anything).
const calls: [string, Call][] = [
  ['send port 70000', (s) => s.send('x', 70000, '127.0.0.1')],
  ['send port -1', (s) => s.send('x', -1, '127.0.0.1')],
  ['send port "abc"', (s) => s.send('x', 'abc', '127.0.0.1')],
  ['send port 0', (s) => s.send('x', 0, '127.0.0.1')],
  ['send port 1.5', (s) => s.send('x', 1.5, '127.0.0.1')],
  ['send no port', (s) => s.send('x')],
  ['send port "" ', (s) => s.send('x', '  ', '127.0.0.1')],
  ['send number message', (s) => s.send(5, 1000, '127.0.0.1')],
  ['send object message', (s) => s.send({}, 1000, '127.0.0.1')],
  ['send null message', (s) => s.send(null, 1000, '127.0.0.1')],
  ['send list with a number', (s) => s.send([Buffer.from('a'), 5], 1000, '127.0.0.1')],
  ['send address number', (s) => s.send('x', 1000, 5)],
  ['send offset out of bounds', (s) => s.send(Buffer.alloc(4), 5, 1, 1000, '127.0.0.1')],
  ['send length out of bounds', (s) => s.send(Buffer.alloc(4), 1, 4, 1000, '127.0.0.1')],
  ['send offset/length on a number', (s) => s.send(7, 0, 1, 1000, '127.0.0.1')],
  ['connect port 0', (s) => s.connect(0, '127.0.0.1')],
  ['connect no port', (s) => s.connect()],
  ['connect port "abc"', (s) => s.connect('abc')],
  ['connect address number', (s) => s.connect(1000, 5)],
  ['setTTL string', (s) => s.setTTL('a')],
  ['setMulticastTTL string', (s) => s.setMulticastTTL('a')],
  ['setTTL long string', (s) => s.setTTL('a'.repeat(40))],
  ['setTTL function', (s) => s.setTTL(function named() {})],
  ['setTTL null-prototype object', (s) => s.setTTL(Object.create(null))],
  ['setTTL array', (s) => s.setTTL([1])],
  ['setMulticastInterface number', (s) => s.setMulticastInterface(5)],
  ['addMembership missing', (s) => s.addMembership()],
  ['dropMembership missing', (s) => s.dropMembership()],
  ['setRecvBufferSize -1', (s) => s.setRecvBufferSize(-1)],
  ['setSendBufferSize 1.5', (s) => s.setSendBufferSize(1.5)],
  ['setRecvBufferSize 2^32', (s) => s.setRecvBufferSize(2 ** 32)],
  ['setRecvBufferSize string', (s) => s.setRecvBufferSize('a')],
  // not bound yet: node:dgram has no file descriptor, so these are EBADF
  ['setTTL unbound', (s) => s.setTTL(5)],
  ['setBroadcast unbound', (s) => s.setBroadcast(true)],
  ['setMulticastTTL unbound', (s) => s.setMulticastTTL(3)],
  ['setMulticastLoopback unbound', (s) => s.setMulticastLoopback(true)],
  ['setMulticastInterface unbound', (s) => s.setMulticastInterface('0.0.0.0')],
  ['address unbound', (s) => s.address()],
  ['getRecvBufferSize unbound', (s) => s.getRecvBufferSize()],
  ['getSendBufferSize unbound', (s) => s.getSendBufferSize()],
  ['setSendBufferSize unbound', (s) => s.setSendBufferSize(4096)],
  ['disconnect unconnected', (s) => s.disconnect()],
  ['remoteAddress unconnected', (s) => s.remoteAddress()],
]

t.test('argument and state errors match node:dgram', async (t) => {
  for (const [label, call] of calls) {
    const real = dgram.createSocket('udp4')
    const want = outcome(() => call(real))
    real.close()
    t.equal(want.threw, true, `node:dgram throws for ${label} (a test that sends nothing)`)
    const ours = new UdpSocket(standIn, socketOptions('udp4'))
    t.same(outcome(() => call(ours)), want, label)
  }
})

t.test('createSocket options match node:dgram', async (t) => {
  const cases: [string, unknown][] = [
    ['no type', undefined],
    ['bad type', 'udp5'],
    ['object without type', {}],
    ['recvBufferSize -1', { type: 'udp4', recvBufferSize: -1 }],
    ['recvBufferSize string', { type: 'udp4', recvBufferSize: 'a' }],
    ['sendBufferSize 1.5', { type: 'udp4', sendBufferSize: 1.5 }],
    ['sendBufferSize 2^32', { type: 'udp4', sendBufferSize: 2 ** 32 }],
    ['signal not an AbortSignal', { type: 'udp4', signal: {} }],
  ]
  for (const [label, arg] of cases) {
    const want = outcome(() => dgram.createSocket(arg as 'udp4'))
    t.equal(want.threw, true, `node:dgram throws for ${label}`)
    t.same(outcome(() => socketOptions(arg)), want, label)
  }
  t.same(socketOptions({ type: 'udp4', reuseAddr: true, recvBufferSize: 4096 }),
    { reuseAddr: true, recvBufferSize: 4096, sendBufferSize: undefined })
  t.match(outcome(() => socketOptions('udp6')), { code: 'ERR_GAZELLE_INVALID_OPTION', message: /udp4/ },
    'udp6: the stack is IPv4 only')
})

t.test('the stack resolves no names: a hostname is a clear option error', async (t) => {
  const ours = new UdpSocket(standIn, socketOptions('udp4'))
  t.match(outcome(() => ours.send('x', 53, 'example.com')), {
    code: 'ERR_GAZELLE_INVALID_OPTION',
    message: 'address must be an IPv4 address like "10.0.0.2" (the stack does no DNS lookups), got "example.com"',
  })
})

t.test('nodeError and received format like Node', async (t) => {
  const e = nodeError(TypeError, 'ERR_X', 'bad')
  t.ok(e instanceof TypeError)
  t.equal(e.name, 'TypeError')
  t.match(e.stack!, /^TypeError \[ERR_X\]: bad/)
  t.equal(received(undefined), 'Received undefined')
})
