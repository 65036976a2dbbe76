// @gazelle/undici: a GazelleAgent on one stack (a child process) against a node:http
// server on another stack over memif, and against a kernel server in this process.
import * as crypto from 'node:crypto'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { cleanup } from './helpers/cleanup'
import { memifPair, needStack } from './helpers/harness'
import type { UndiciReply as Reply } from './helpers/undici-reply'

cleanup.hook(t)

t.test('undici GazelleAgent over memif', needStack(), async (t) => {
  const { server, client, serverIp } = await memifPair(t)
  const { port } = await server.call('httpServer', { peer: true })
  const origin = `http://${serverIp}:${port}`
  await client.use('undici')
  await client.call('undiciAgent', {})

  const get = (await client.call('undiciRequest', { origin, path: '/hello' })) as Reply
  t.ok(get.ok, `GET ok ${JSON.stringify(get.error ?? '')}`)
  t.equal(get.status, 200)
  const emptySha = crypto.createHash('sha256').digest('hex')
  t.equal(get.text, `hello from gazelle GET /hello 0 ${emptySha}\n`, 'GET body')

  const bytes = 300_000
  const post = (await client.call('undiciRequest', { origin, path: '/upload', method: 'POST', bodyBytes: bytes })) as Reply
  t.ok(post.ok, `POST ok ${JSON.stringify(post.error ?? '')}`)
  t.equal(post.status, 200)
  t.equal(post.text, `hello from gazelle POST /upload ${bytes} ${post.sent}\n`, 'the server got the body intact (sha256)')

  await t.test('keep-alive: sequential requests reuse one connection', async (t) => {
    // One connection per origin: a second connect would mean the socket was not kept.
    await client.call('undiciAgent', { options: { connections: 1 } })
    const a = (await client.call('undiciRequest', { origin, path: '/a' })) as Reply
    const b = (await client.call('undiciRequest', { origin, path: '/b' })) as Reply
    t.ok(a.ok && b.ok)
    t.ok(a.headers?.['x-peer'], 'the server saw a peer address')
    t.equal(b.headers?.['x-peer'], a.headers?.['x-peer'], 'same client address:port on both')
    t.equal(b.connects, a.connects, 'no new connection for the second request')
    const c = (await client.call('undiciRequest', { origin, path: '/c', method: 'POST', bodyBytes: 100_000 })) as Reply
    t.ok(c.ok)
    t.equal(c.text, `hello from gazelle POST /c 100000 ${c.sent}\n`, 'POST on the reused connection')
    t.equal(c.headers?.['x-peer'], a.headers?.['x-peer'], 'still the same connection')
    t.equal(c.connects, 1, 'one connection for the three requests')
  })

  await t.test('connect to a closed port: ECONNREFUSED', async (t) => {
    const r = (await client.call('undiciRequest', { origin: `http://${serverIp}:9`, path: '/' })) as Reply
    t.notOk(r.ok, 'the request fails')
    t.equal(r.error?.code, 'ECONNREFUSED', r.error?.message ?? 'no error')
  })

  await t.test('an origin outside the subnet goes through the kernel', async (t) => {
    const hs = http.createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (d) => chunks.push(d))
      req.on('end', () => res.end(`kernel ${req.method} ${req.url} ${Buffer.concat(chunks).length}`))
    })
    await new Promise<void>((r) => hs.listen(0, '127.0.0.1', r))
    t.teardown(() => new Promise<void>((r) => { hs.closeAllConnections(); hs.close(() => r()) }))
    const kport = (hs.address() as AddressInfo).port
    const r = (await client.call('undiciRequest', { origin: `http://127.0.0.1:${kport}`, path: '/k', method: 'POST', bodyBytes: 1000 })) as Reply
    t.ok(r.ok, `ok ${JSON.stringify(r.error ?? '')}`)
    t.equal(r.text, 'kernel POST /k 1000')
  })

  await t.test('connect timeout: ConnectTimeoutError for an address nobody answers', async (t) => {
    await client.call('undiciAgent', { options: { connect: { timeout: 500 } } })
    const silent = serverIp.replace(/\d+$/, '99')
    const r = (await client.call('undiciRequest', { origin: `http://${silent}:80`, path: '/' })) as Reply
    t.notOk(r.ok, 'the request fails')
    t.equal(r.error?.code, 'UND_ERR_CONNECT_TIMEOUT', r.error?.message ?? 'no error')
    t.ok(r.ms < 5000, `failed after ${r.ms} ms`)
    await client.call('undiciClose')
  })
})
