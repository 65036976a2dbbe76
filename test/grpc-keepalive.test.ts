// Keepalive pings on stack connections, from both ends (grpc-js's own keepalive on the
// client channel and on the server's injected sessions): the pings are answered and the
// connection they ride on stays up. grpc-js's keepalive trace shows the pings.
import t from 'tap'
import { cleanup } from './helpers/cleanup'
import { grpcMemifPair } from './helpers/grpc'
import { needStack } from './helpers/harness'

cleanup.hook(t)

const keepalive = { 'grpc.keepalive_time_ms': 200, 'grpc.keepalive_timeout_ms': 2000, 'grpc.keepalive_permit_without_calls': 1 }
const pongs = (output: string) => output.split('\n').filter((l) => l.includes('Received ping response')).length

t.test('keepalive pings over memif do not break the connection', needStack(), async (t) => {
  const env = { GRPC_TRACE: 'keepalive', GRPC_VERBOSITY: 'DEBUG' }
  const { server, client, serverIp } = await grpcMemifPair(t, { env })
  const { port } = await server.call('grpcServe', { port: 0, options: keepalive })
  await client.call('grpcClient', { target: `${serverIp}:${port}`, options: keepalive })
  const first = await client.call('grpcCall', { kind: 'unary' })
  t.ok(first.ok, 'first call')
  // A call that spans several ping intervals, then an idle pause with pings only.
  const slow = await client.call('grpcCall', { kind: 'serverStream', count: 10, size: 100, delayMs: 150 })
  t.ok(slow.ok && slow.received === 10, `a 1.5 s stream under 200 ms pings ${JSON.stringify(slow)}`)
  await new Promise((r) => setTimeout(r, 1000))
  const second = await client.call('grpcCall', { kind: 'unary' })
  t.ok(second.ok, 'a call after the idle pause')
  t.equal(second.peer, first.peer, `on the same connection (${first.peer})`)
  t.ok(pongs(client.output()) >= 3, `the client's pings were answered (${pongs(client.output())})`)
  t.ok(pongs(server.output()) >= 3, `the server's pings on the injected session were answered (${pongs(server.output())})`)
})
