// The JS state machines of Socket and Server against a scripted addon (helpers/fake-binding):
// partial writes and EPIPE, a graceful close or a reset, accepts for a listener closed in
// the same batch, half-close. The integration tests (test/) run the same paths on the
// real stack; these pin down each transition quickly and without root.
import { constants } from 'node:os'
import t from 'tap'
import { Ev } from '../src/native'
import { resolveOptions } from '../src/options'
import type { Server } from '../src/server'
import type { Socket } from '../src/socket'
import { Stack } from '../src/stack'
import { EPIPE, FakeBinding } from './helpers/fake-binding'

const PEER = '10.0.0.2'
const PEER_IP = 0x0a000002

function setup() {
  const fake = new FakeBinding()
  const resolved = resolveOptions({ device: { type: 'tap', name: 'gz0', hostIp: `${PEER}/24` }, ip: '10.0.0.1/24' })
  const stack = new Stack(fake, resolved, '02:00:00:00:00:01')
  return { fake, stack }
}

const settle = () => new Promise((resolve) => setImmediate(resolve))

/** A client socket whose connection is up (id 0). */
async function connected(): Promise<{ fake: FakeBinding; stack: Stack; socket: Socket; id: number }> {
  const { fake, stack } = setup()
  const socket = stack.connect({ host: PEER, port: 80 })
  const id = 0
  fake.deliver(stack, [{ type: Ev.Connected, id, a: 40000 }])
  await settle()
  return { fake, stack, socket, id }
}

function write(socket: Socket, data: Buffer | string): Promise<Error | null | undefined> {
  return new Promise((resolve) => socket.write(data, resolve))
}

t.test('a write the send buffer takes in parts completes after Ev.Writable', async (t) => {
  const { fake, stack, socket, id } = await connected()
  const data = Buffer.from('0123456789abcdefghijklmno')
  fake.room.set(id, 10)
  let done: Error | null | undefined | 'pending' = 'pending'
  void write(socket, data).then((e) => (done = e))
  await settle()
  t.equal(done, 'pending', 'the write waits while the send buffer is full')
  t.equal(socket.bytesWritten, 10, 'what the stack took is counted')
  fake.room.set(id, 100)
  fake.deliver(stack, [{ type: Ev.Writable, id, a: 100 }])
  await settle()
  t.equal(done, null, 'the rest went on Ev.Writable and the write completed')
  t.same(fake.sent(id), data, 'every byte, in order')
  t.equal(socket.bytesWritten, data.length)
})

t.test('a write on a connection the stack dropped fails with EPIPE, as node:net does', async (t) => {
  const { fake, socket, id } = await connected()
  fake.dead.add(id)
  let emitted: unknown
  socket.on('error', (e) => (emitted = e))
  const closed = new Promise((resolve) => socket.once('close', resolve))
  const err = await write(socket, 'late') as NodeJS.ErrnoException
  t.match(err, { code: 'EPIPE', errno: EPIPE, syscall: 'write', message: 'write EPIPE' })
  await closed
  t.equal(emitted, err, "the same error is the socket's 'error'")
  t.same(fake.callsFor(id).filter((c) => c === 'tcpClose' || c === 'tcpAbort'), [],
    'no close or reset for an id the stack no longer has')
})

t.test('destroy(): a graceful close unless a write is pending, the socket resets or asks to', async (t) => {
  const last = (fake: FakeBinding, id: number) => fake.callsFor(id).filter((c) => c === 'tcpClose' || c === 'tcpAbort')

  await t.test('idle: close (FIN after what the stack holds)', async (t) => {
    const { fake, socket, id } = await connected()
    socket.destroy()
    t.same(last(fake, id), ['tcpClose'])
  })
  await t.test('a write still pending: reset, and the write fails', async (t) => {
    const { fake, socket, id } = await connected()
    fake.room.set(id, 0)
    const pending = write(socket, 'stuck')
    await settle()
    socket.destroy()
    t.same(last(fake, id), ['tcpAbort'])
    t.match(await pending, { code: 'ERR_STREAM_DESTROYED' })
  })
  await t.test('resetAndDestroy(): reset', async (t) => {
    const { fake, socket, id } = await connected()
    socket.resetAndDestroy()
    t.same(last(fake, id), ['tcpAbort'])
  })
  await t.test('destroyResets: reset, unless end() already sent the FIN', async (t) => {
    const { fake, stack } = setup()
    const server = stack.createServer({ destroyResets: true })
    const sockets: Socket[] = []
    server.on('connection', (s: Socket) => sockets.push(s))
    server.listen(8080)
    fake.deliver(stack, [
      { type: Ev.Accept, id: 0, a: 1, b: PEER_IP * 65536 + 50000 },
      { type: Ev.Accept, id: 0, a: 2, b: PEER_IP * 65536 + 50001 },
    ])
    t.equal(sockets.length, 2)
    sockets[0].destroy()
    t.same(last(fake, 1), ['tcpAbort'], 'destroy() resets')
    sockets[1].end()
    await settle()
    sockets[1].destroy()
    t.same(fake.callsFor(2).filter((c) => c !== 'tcpWrite'), ['tcpShutdown', 'tcpClose'], 'after end(): FIN, then close')
  })
})

t.test('accepts for a listener closed earlier in the same batch are reset', async (t) => {
  const { fake, stack } = setup()
  const server: Server = stack.createServer()
  const accepted: Socket[] = []
  server.on('connection', (s: Socket) => {
    accepted.push(s)
    server.close() // while the batch still holds another connection for it
  })
  server.listen(8080)
  const listener = 0
  fake.deliver(stack, [
    { type: Ev.Accept, id: listener, a: 1, b: PEER_IP * 65536 + 50000 },
    { type: Ev.Accept, id: listener, a: 2, b: PEER_IP * 65536 + 50001 },
  ])
  t.equal(accepted.length, 1, "one 'connection': the listener was closed before the second")
  t.equal(accepted[0].remotePort, 50000)
  t.ok(fake.calls.some(([name, id]) => name === 'tcpClose' && id === listener), 'the listener closed')
  t.same(fake.callsFor(2), ['tcpAbort'], 'the orphan connection is reset, never handed to JS')
  let closed = false
  server.on('close', () => (closed = true))
  accepted[0].destroy()
  await settle()
  t.equal(closed, true, "the server's 'close' follows its last connection")
})

t.test('half-close: the peer ends first', async (t) => {
  await t.test('allowHalfOpen false (default): the socket ends its side too', async (t) => {
    const { fake, stack, socket, id } = await connected()
    const ended = new Promise((resolve) => socket.once('end', resolve))
    socket.resume()
    fake.deliver(stack, [{ type: Ev.Data, id, data: Buffer.from('bye') }, { type: Ev.Eof, id }])
    await ended
    await settle()
    t.same(fake.callsFor(id).filter((c) => c === 'tcpShutdown'), ['tcpShutdown'], 'FIN sent back')
  })
  await t.test('allowHalfOpen: the socket still writes, then ends', async (t) => {
    const { fake, stack } = setup()
    const socket = stack.connect({ host: PEER, port: 80, allowHalfOpen: true })
    const id = 0
    fake.deliver(stack, [{ type: Ev.Connected, id, a: 40000 }])
    const ended = new Promise((resolve) => socket.once('end', resolve))
    socket.resume()
    fake.deliver(stack, [{ type: Ev.Eof, id }])
    await ended
    await settle()
    t.same(fake.callsFor(id).filter((c) => c === 'tcpShutdown'), [], 'no FIN yet')
    t.equal(socket.writable, true)
    t.equal(await write(socket, 'still here'), null)
    t.same(fake.sent(id).toString(), 'still here')
    socket.end()
    await settle()
    t.same(fake.callsFor(id).filter((c) => c === 'tcpShutdown'), ['tcpShutdown'], 'FIN after the last write')
  })
})

t.test('Ev.Error while connecting: connect ECONNREFUSED with the address, as node:net', async (t) => {
  const { fake, stack } = setup()
  const socket = stack.connect({ host: PEER, port: 9 })
  const error = new Promise<NodeJS.ErrnoException>((resolve) => socket.once('error', resolve))
  fake.deliver(stack, [{ type: Ev.Error, id: 0, a: -constants.errno.ECONNREFUSED }])
  const err = await error
  t.match(err, { code: 'ECONNREFUSED', errno: -constants.errno.ECONNREFUSED, syscall: 'connect', address: PEER, port: 9 })
  t.equal(err.message, `connect ECONNREFUSED ${PEER}:9`)
  t.same(fake.callsFor(0).filter((c) => c === 'tcpClose' || c === 'tcpAbort'), [], 'the native socket is already gone')
})
