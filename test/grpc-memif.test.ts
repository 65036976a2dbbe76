// @gazelle/grpc over memif: a grpc-js server on one stack (serveOnStack), grpc-js clients
// on another (stackChannelOptions, the connector hook): the four call types, 4 MiB
// messages, deadlines, cancellation, and a kernel channel beside them.
import t from 'tap'
import { cleanup } from './helpers/cleanup'
import { callSemantics, fourCallTypes, grpcMemifPair, MiB } from './helpers/grpc'
import { needStack, StackProcess } from './helpers/harness'

cleanup.hook(t)

t.test('grpc-js over memif: server on one stack, client on another', needStack(), async (t) => {
  const { server, client, serverIp, clientIp } = await grpcMemifPair(t)
  // The server's own receive limit (8 MiB) must hold on injected connections too.
  const { port, peerSupported } = await server.call('grpcServe', { port: 50051, options: { 'grpc.max_receive_message_length': 8 * MiB } })
  t.equal(port, 50051, 'serveOnStack reports the bound port')
  t.ok(peerSupported, 'injected connections can report their peer on this Node')
  const c = await client.call('grpcClient', { target: `${serverIp}:${port}` })
  t.equal(c.mode, 'hook', `grpc-js ${c.grpcVersion} uses the connector hook`)

  await fourCallTypes(t, client, { clientIp })

  await callSemantics(t, client, server)

  await t.test("the server's max message size applies to injected connections", async (t) => {
    const r = await client.call('grpcCall', { kind: 'unary', bytes: 9 * MiB }, 60_000)
    t.notOk(r.ok, 'a 9 MiB request is refused')
    t.equal(r.code, 8, `RESOURCE_EXHAUSTED (${r.details})`)
    t.ok((await client.call('grpcCall', { kind: 'unary' })).ok, 'the channel still works')
  })

  await t.test('service config retries and the ipv4: resolver work through the hook', async (t) => {
    const serviceConfig = {
      methodConfig: [{
        name: [{ service: 'gazelle.test.TestService', method: 'Echo' }],
        retryPolicy: { maxAttempts: 4, initialBackoff: '0.05s', maxBackoff: '0.2s', backoffMultiplier: 2, retryableStatusCodes: ['UNAVAILABLE'] },
      }],
    }
    await client.call('grpcClient', { target: `ipv4:${serverIp}:${port}`, options: { 'grpc.service_config': JSON.stringify(serviceConfig) } })
    const before = (await server.call('grpcServerSeen')).calls
    const r = await client.call('grpcCall', { kind: 'unary', failFirst: 2, meta: 'retry-1' })
    t.ok(r.ok, `the call succeeds after two failed attempts ${JSON.stringify(r.details ?? '')}`)
    t.equal((await server.call('grpcServerSeen')).calls - before, 3, 'the server saw three attempts')
    const none = await client.call('grpcCall', { kind: 'unary', failFirst: 5, meta: 'retry-2' })
    t.equal(none.code, 14, `more failures than attempts: UNAVAILABLE (${none.details})`)
  })

  await t.test('a channel without the option still uses the kernel', async (t) => {
    const kernel = await (await StackProcess.start(t, { kernel: true, name: 'kernel-grpc' })).use('grpc')
    const k = await kernel.call('grpcServe', { port: 0, host: '127.0.0.1' })
    const plain = await client.call('grpcClient', { target: `127.0.0.1:${k.port}`, stack: false })
    t.equal(plain.mode, 'kernel')
    const r = await client.call('grpcCall', { kind: 'unary', bytes: 100 })
    t.ok(r.ok, `a plain channel in the stack process reaches a kernel server ${JSON.stringify(r)}`)
    t.match(r.peer, /^127\.0\.0\.1:\d+$/, `over the kernel's loopback (${r.peer})`)
    // And the stack channel made in the same process still goes through the stack.
    await client.call('grpcClient', { target: `${serverIp}:${port}` })
    const s = await client.call('grpcCall', { kind: 'unary' })
    t.ok(s.ok)
    t.match(s.peer, new RegExp(`^${clientIp.replace(/\./g, '\\.')}:`), 'the stack channel beside it uses the stack')
    await kernel.stop()
  })
})
