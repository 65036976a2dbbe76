// Two Node processes, each with its own stack, joined by memif: TCP semantics of
// node:net on the stack (half-close both ways, reset, refused, address in use).
import t from 'tap'
import { cleanup } from './helpers/cleanup'
import { memifPair, needStack } from './helpers/harness'
import * as sc from './helpers/scenarios'

cleanup.hook(t)

t.test('memif: TCP semantics between two processes', needStack(), async (t) => {
  const { server, client, serverIp } = await memifPair(t)
  await t.test('half-close: client end() first, server still sends, then ends', (t) =>
    sc.halfCloseClientFirst(t, server, client, serverIp))
  await t.test('half-close: server end() first, client (allowHalfOpen) still sends, then ends', (t) =>
    sc.halfCloseServerFirst(t, server, client, serverIp))
  await t.test('resetAndDestroy() resets, destroy() closes with FIN', (t) =>
    sc.destroyAndReset(t, server, client, serverIp))
  await t.test('connect to a closed port: ECONNREFUSED', (t) => sc.refused(t, client, serverIp, 9))
  await t.test('listen twice on one port: EADDRINUSE', (t) => sc.listenTwice(t, server, 7300))
  await t.test('setTimeout(): idle timeouts switched off and on as node:http does', async (t) => {
    const { port } = await server.call('listen', { mode: 'echo' })
    await client.call('use', { role: 'socket-api' })
    const r = await client.call('idleTimeouts', { host: serverIp, port })
    t.ok(r.on >= 1, `an idle socket times out (${r.on})`)
    t.equal(r.off, 0, 'setTimeout(0) stops it')
    t.ok(r.onAgain >= 1, `the same delay again times out again (${r.onAgain})`)
    t.equal(r.restartedNotYet, 0, 'off and on again restarts the idle period')
    t.ok(r.restartedFires >= 1, `and it then fires (${r.restartedFires})`)
    t.ok(r.callbackCalls >= 1, 'the callback given with a delay is a timeout listener')
    t.equal(r.busy, 0, 'writes keep a socket from timing out')
    t.equal(r.timeoutProperty, 600, 'socket.timeout is the last delay set')
  })
  await t.test('write(string, encoding): the bytes Buffer.from makes of it, in order', async (t) => {
    const { port } = await server.call('listen', { mode: 'echo' })
    await client.call('use', { role: 'socket-api' })
    const r = await client.call('stringWrites', { host: serverIp, port })
    t.equal(r.received, r.bytes, `every byte came back (${r.bytes})`)
    t.ok(r.same, 'the same bytes, in order')
    t.equal(r.bytesWritten, r.bytes, 'bytesWritten counts bytes, not characters')
  })
  await t.test('stats() after traffic', async (t) => {
    const s = await server.call('stats')
    t.type(s, 'object', 'stats() returns an object')
    t.comment(JSON.stringify(s))
  })
})

t.test('stack.close() right after end(): the data and the FIN still reach the peer', needStack(), async (t) => {
  const { server, client, serverIp } = await memifPair(t)
  const { port } = await server.call('listen', { mode: 'record' })
  const bytes = 1 << 20
  const { closeMs } = await client.call('sendThenCloseStack', { host: serverIp, port, bytes })
  const [r] = await server.call('serverReports', { port, count: 1, timeoutMs: 10_000 })
  t.equal(r.bytes, bytes, 'every byte arrived')
  t.equal(r.gotEnd, true, "the server saw the client's FIN")
  t.equal(r.error, null, 'no reset')
  t.ok(closeMs < 1500, `close() took ${closeMs} ms (bounded by its 1 s drain)`)
})
