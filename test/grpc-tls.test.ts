// TLS on stack connections: ServerCredentials.createSsl on the injected connections,
// credentials.createSsl on the client, with a CA made by openssl for this run.
import t from 'tap'
import { cleanup } from './helpers/cleanup'
import { fourCallTypes, grpcMemifPair } from './helpers/grpc'
import { testCertificates } from './helpers/tls'
import { needStack } from './helpers/harness'

cleanup.hook(t)

const LOW = { GAZELLE_GRPC_JS: 'grpc-js-1-11' }

for (const [label, env, mode] of [
  ['grpc-js (newest), connector hook', undefined, 'hook'],
  ['grpc-js 1.11 (lowest), fallback channel', LOW, 'fallback'],
] as const) {
  t.test(`TLS over memif: ${label}`, needStack(), async (t) => {
    const { server, client, serverIp, clientIp } = await grpcMemifPair(t, { env })
    const certs = testCertificates(serverIp)
    const { port } = await server.call('grpcServe', { port: 0, tls: { key: certs.key, cert: certs.cert } })
    const c = await client.call('grpcClient', { target: `${serverIp}:${port}`, tls: { ca: certs.ca } })
    t.equal(c.mode, mode, `grpc-js ${c.grpcVersion}: ${mode}`)
    await fourCallTypes(t, client, { clientIp, bytes: 256 * 1024 })

    await t.test('a client that does not trust the CA is refused', async (t) => {
      const other = testCertificates(serverIp)
      await client.call('grpcClient', { target: `${serverIp}:${port}`, tls: { ca: other.ca } })
      const r = await client.call('grpcCall', { kind: 'unary', deadlineMs: 5000 })
      t.notOk(r.ok, 'the call fails')
      t.equal(r.code, 14, `UNAVAILABLE (${r.details})`)
    })
  })
}
