// The declared peer range (@grpc/grpc-js >=1.11 <2) at its edges, and the fallback
// channel on the newest version: the lowest (1.11.0: injector, no tcpConnect seam, so
// the fallback channel), the lowest with the seam (1.13.0: the hook), and the newest
// forced onto the fallback. Each is installed as a dev dependency alias.
import t from 'tap'
import { cleanup } from './helpers/cleanup'
import { callSemantics, fourCallTypes, grpcMemifPair } from './helpers/grpc'
import { needStack } from './helpers/harness'

cleanup.hook(t)

for (const [label, env, mode, forced] of [
  ['grpc-js 1.11.0, fallback channel', { GAZELLE_GRPC_JS: 'grpc-js-1-11' }, 'fallback', undefined],
  ['grpc-js 1.13.0, connector hook', { GAZELLE_GRPC_JS: 'grpc-js-1-13' }, 'hook', undefined],
  ['grpc-js newest, fallback channel forced', undefined, 'fallback', 'fallback'],
] as const) {
  t.test(label, needStack(), async (t) => {
    const { server, client, serverIp, clientIp } = await grpcMemifPair(t, { env })
    const { port } = await server.call('grpcServe', { port: 0 })
    const c = await client.call('grpcClient', { target: `${serverIp}:${port}`, mode: forced })
    t.equal(c.mode, mode, `grpc-js ${c.grpcVersion}: ${mode}`)
    await fourCallTypes(t, client, { clientIp })
    await callSemantics(t, client, server)
  })
}
