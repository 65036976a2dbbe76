// Server shutdown with calls in flight on stack connections: tryShutdown() lets them
// finish and stops accepting; forceShutdown() cuts them at once.
import t from 'tap'
import { cleanup } from './helpers/cleanup'
import { grpcMemifPair } from './helpers/grpc'
import { needStack, waitFor } from './helpers/harness'

cleanup.hook(t)

t.test('grpc-js server shutdown on a stack', needStack(), async (t) => {
  const { server, client, serverIp } = await grpcMemifPair(t)

  await t.test('tryShutdown drains calls in flight, then refuses new ones', async (t) => {
    const { port } = await server.call('grpcServe', { port: 0 })
    await client.call('grpcClient', { target: `${serverIp}:${port}` })
    t.ok((await client.call('grpcCall', { kind: 'unary' })).ok, 'connected')
    await server.call('grpcServerSeen', { reset: true })
    await client.call('grpcStart', { kind: 'unary', n: 4, delayMs: 1500, bytes: 1000 })
    await waitFor(async () => (await server.call('grpcServerSeen')).calls === 4, 10_000, 'four calls on the server')
    const shut = await server.call('grpcShutdown', { mode: 'try' })
    const results = await client.call('grpcCollect', {}, 30_000)
    t.equal(results.filter((r: any) => r.ok && r.serverSha === r.sent).length, 4, `all four calls completed ${JSON.stringify(results.map((r: any) => r.code ?? 'ok'))}`)
    t.ok(shut.ms >= 500, `tryShutdown waited for them (${shut.ms} ms)`)
    const after = await client.call('grpcCall', { kind: 'unary', deadlineMs: 5000 })
    t.notOk(after.ok, 'a new call after shutdown fails')
    t.equal(after.code, 14, `UNAVAILABLE: the stack no longer accepts (${after.details})`)
  })

  await t.test('forceShutdown cuts calls in flight', async (t) => {
    const { port } = await server.call('grpcServe', { port: 0 })
    await client.call('grpcClient', { target: `${serverIp}:${port}` })
    t.ok((await client.call('grpcCall', { kind: 'unary' })).ok, 'connected')
    await server.call('grpcServerSeen', { reset: true })
    await client.call('grpcStart', { kind: 'unary', n: 4, delayMs: 8000 })
    await client.call('grpcStart', { kind: 'serverStream', n: 1, count: 10_000, size: 1000, delayMs: 10 })
    await waitFor(async () => {
      const seen = await server.call('grpcServerSeen')
      return seen.calls === 5 && seen.streamed >= 5
    }, 10_000, 'five calls on the server, the stream under way')
    await server.call('grpcShutdown', { mode: 'force' })
    const results = await client.call('grpcCollect', {}, 30_000)
    t.equal(results.filter((r: any) => !r.ok).length, 5, `all five calls failed ${JSON.stringify(results.map((r: any) => `${r.code}:${r.details}`))}`)
    t.ok(results.every((r: any) => r.ms < 6000), `at once, not after the server's 8 s (${results.map((r: any) => r.ms).join(', ')} ms)`)
    t.ok(results.every((r: any) => r.code === 1 || r.code === 14 || r.code === 13), 'as CANCELLED / UNAVAILABLE / INTERNAL')
    const stream = results[4]
    t.ok(stream.received > 0 && stream.received < 10_000, `the stream was cut midway (${stream.received} messages)`)
  })
})
