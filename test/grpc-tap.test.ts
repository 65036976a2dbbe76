// gRPC between the kernel and a stack over a tap device, both ways: a kernel grpc-js
// client calls a stack server, and a stack client calls a kernel grpc-js server. All
// kernel-side processes run in the test's network namespace.
import t from 'tap'
import { cleanup } from './helpers/cleanup'
import { callSemantics, fourCallTypes } from './helpers/grpc'
import { needStack, StackProcess, tapStack } from './helpers/harness'

cleanup.hook(t)

t.test('grpc-js over tap: kernel <-> stack', needStack(), async (t) => {
  const { netns, hostIp, stackIp, stack } = await tapStack(t)
  await stack.use('grpc')

  await t.test('a kernel grpc-js client calls a server on the stack', async (t) => {
    const { port } = await stack.call('grpcServe', { port: 50051 })
    const kclient = await (await StackProcess.start(t, { kernel: true, netns, name: 'kernel-grpc-client' })).use('grpc')
    const c = await kclient.call('grpcClient', { target: `${stackIp}:${port}`, stack: false })
    t.equal(c.mode, 'kernel')
    await fourCallTypes(t, kclient, { clientIp: hostIp })
    await callSemantics(t, kclient, stack)
    await kclient.call('grpcClose')
    await stack.call('grpcShutdown', { mode: 'try' })
    await kclient.stop()
  })

  await t.test('a stack grpc-js client calls a kernel server', async (t) => {
    const kserver = await (await StackProcess.start(t, { kernel: true, netns, name: 'kernel-grpc-server' })).use('grpc')
    const { port } = await kserver.call('grpcServe', { port: 0, host: hostIp })
    const c = await stack.call('grpcClient', { target: `${hostIp}:${port}` })
    t.equal(c.mode, 'hook')
    await fourCallTypes(t, stack, { clientIp: stackIp })
    await callSemantics(t, stack, kserver)

    await t.test('the same target without the channel option goes through the kernel', async (t) => {
      // The stack's process also sees the kernel side of the tap (hostIp is a local
      // address there): only the server's view of the peer tells the paths apart.
      const plain = await stack.call('grpcClient', { target: `${hostIp}:${port}`, stack: false })
      t.equal(plain.mode, 'kernel')
      const k = await stack.call('grpcCall', { kind: 'unary' })
      t.ok(k.ok, 'the call works')
      t.equal(k.peer.split(':')[0], hostIp, `the server sees the kernel's own address (${k.peer})`)
      await stack.call('grpcClient', { target: `${hostIp}:${port}` })
      const s = await stack.call('grpcCall', { kind: 'unary' })
      t.equal(s.peer.split(':')[0], stackIp, `with the option: the stack's address (${s.peer})`)
    })
    await stack.call('grpcClose')
    await kserver.stop()
  })
})
