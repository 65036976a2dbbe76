// @gazelle/undici over TLS on the stack: HTTPS with a test CA (ca, servername and
// certificate checks honoured) and HTTP/2 through allowH2 (ALPN), against servers on
// another stack over memif.
import * as crypto from 'node:crypto'
import t from 'tap'
import { cleanup } from './helpers/cleanup'
import { memifPair, needStack } from './helpers/harness'
import { makeTestPki } from './helpers/tls'
import { helloBody, type UndiciReply as Reply } from './helpers/undici-reply'

cleanup.hook(t)

t.test('HTTPS and h2 through GazelleAgent over memif', needStack(), async (t) => {
  const { server, client, serverIp } = await memifPair(t)
  await server.use('web')
  await client.use('undici')
  const pki = makeTestPki({ ips: [serverIp], dns: ['gazelle.test'] })
  const tls = { key: pki.key, cert: pki.cert }
  const { port: httpsPort } = await server.call('webServer', { kind: 'https', tls })
  const { port: h2Port } = await server.call('webServer', { kind: 'h2', tls })
  const httpsOrigin = `https://${serverIp}:${httpsPort}`
  const h2Origin = `https://${serverIp}:${h2Port}`
  const request = (origin: string, args: Record<string, unknown> = {}) =>
    client.call('undiciRequest', { origin, path: '/tls', ...args }) as Promise<Reply>

  await t.test('HTTPS with the test CA: GET and a hash-checked POST', async (t) => {
    await client.call('undiciAgent', { options: { connect: { ca: pki.ca } } })
    const get = await request(httpsOrigin)
    t.ok(get.ok, `GET ok ${JSON.stringify(get.error ?? '')}`)
    t.equal(get.text, helloBody('GET', '/tls', 0, crypto.createHash('sha256').digest('hex')))
    t.equal(get.headers?.['x-http-version'], '1.1')
    const post = await request(httpsOrigin, { method: 'POST', bodyBytes: 1 << 20 })
    t.ok(post.ok, `POST ok ${JSON.stringify(post.error ?? '')}`)
    t.equal(post.text, helloBody('POST', '/tls', 1 << 20, post.sent!), 'the server got the 1 MiB body intact')
    t.equal(post.connects, 1, `both requests on one TLS connection (server connections ${get.headers?.['x-conn']}, ${post.headers?.['x-conn']}; ${JSON.stringify(post.disconnects)}; get connects ${get.connects})`)
  })

  await t.test('without the CA the certificate is refused', async (t) => {
    await client.call('undiciAgent', {})
    const r = await request(httpsOrigin)
    t.notOk(r.ok, 'the request fails')
    t.match(r.error?.code, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT/, r.error?.message ?? 'no error')
  })

  await t.test('servername is honoured: a name the certificate has passes, another fails', async (t) => {
    await client.call('undiciAgent', { options: { connect: { ca: pki.ca, servername: 'gazelle.test' } } })
    const good = await request(httpsOrigin)
    t.ok(good.ok, `servername gazelle.test: ${JSON.stringify(good.error ?? '')}`)
    await client.call('undiciAgent', { options: { connect: { ca: pki.ca, servername: 'other.test' } } })
    const bad = await request(httpsOrigin)
    t.notOk(bad.ok, 'servername other.test fails')
    t.equal(bad.error?.code, 'ERR_TLS_CERT_ALTNAME_INVALID', bad.error?.message ?? 'no error')
  })

  await t.test('servernames: a per-origin name for a certificate that names a host, not the IP', async (t) => {
    // A second server whose certificate names only api.gazelle.test (no IP SAN).
    const named = makeTestPki({ dns: ['api.gazelle.test'] })
    const { port: namedPort } = await server.call('webServer', { kind: 'https', tls: { key: named.key, cert: named.cert } })
    const namedOrigin = `https://${serverIp}:${namedPort}`
    const ca = [pki.ca, named.ca]
    await client.call('undiciAgent', { options: { connect: { ca }, servernames: { [namedOrigin]: 'api.gazelle.test' } } })
    const good = await request(namedOrigin)
    t.ok(good.ok, `the named origin verifies against api.gazelle.test: ${JSON.stringify(good.error ?? '')}`)
    const other = await request(httpsOrigin)
    t.ok(other.ok, `the other origin still verifies against its IP: ${JSON.stringify(other.error ?? '')}`)
    await client.call('undiciAgent', { options: { connect: { ca } } })
    const without = await request(namedOrigin)
    t.equal(without.error?.code, 'ERR_TLS_CERT_ALTNAME_INVALID', `without it the IP is checked and fails: ${without.error?.message}`)
    await client.call('undiciClose')
  })

  await t.test('buildStackConnector: an undici Client and a Pool over the stack', async (t) => {
    const c = await client.call('undiciClientRequest', { origin: httpsOrigin, path: '/tls', connector: { connect: { ca: pki.ca } }, requests: 2 })
    t.ok(c.ok, `Client: ${JSON.stringify(c.error ?? '')}`)
    t.same(c.replies?.map((r: { status: number }) => r.status), [200, 200])
    t.equal(c.replies?.[0].text, helloBody('GET', '/tls', 0, crypto.createHash('sha256').digest('hex')))
    t.equal(c.connections, 1, 'one keep-alive connection for both')
    const p = await client.call('undiciClientRequest', { origin: httpsOrigin, path: '/tls', kind: 'pool', connector: { connect: { ca: pki.ca } } })
    t.ok(p.ok, `Pool: ${JSON.stringify(p.error ?? '')}`)
    const refused = await client.call('undiciClientRequest', { origin: httpsOrigin, path: '/tls' })
    t.notOk(refused.ok, 'without the CA the certificate is refused')
  })

  await t.test('allowH2 negotiates HTTP/2 by ALPN; without it the same server speaks HTTP/1.1', async (t) => {
    await client.call('undiciAgent', { options: { allowH2: true, connect: { ca: pki.ca } } })
    const h2 = await request(h2Origin, { method: 'POST', bodyBytes: 300_000 })
    t.ok(h2.ok, `h2 POST ok ${JSON.stringify(h2.error ?? '')}`)
    t.equal(h2.headers?.['x-http-version'], '2.0', 'served over HTTP/2')
    t.equal(h2.text, helloBody('POST', '/tls', 300_000, h2.sent!), 'body intact over h2')
    const again = await request(h2Origin)
    t.ok(again.ok)
    t.equal(again.connects, 1, 'the h2 session is reused')
    await client.call('undiciAgent', { options: { connect: { ca: pki.ca } } })
    const h1 = await request(h2Origin)
    t.ok(h1.ok, `h1 ok ${JSON.stringify(h1.error ?? '')}`)
    t.equal(h1.headers?.['x-http-version'], '1.1', 'no h2 without allowH2')
    await client.call('undiciClose')
  })
})
