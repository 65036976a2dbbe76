// @gazelle/undici against a kernel server: the agent's stack sits on a tap device, and a
// node:http(s) server on the kernel side listens on the tap's host address (all inside a
// namespace this test makes). The stack's TCP must interoperate with the kernel's.
import t from 'tap'
import { cleanup } from './helpers/cleanup'
import { needStack, StackProcess, tapStack } from './helpers/harness'
import { makeTestPki } from './helpers/tls'
import { helloBody, type UndiciReply as Reply } from './helpers/undici-reply'

cleanup.hook(t)

t.test('GazelleAgent on a tap stack against kernel servers', needStack(), async (t) => {
  const { netns, hostIp, stack } = await tapStack(t)
  const kernel = await StackProcess.start(t, { kernel: true, netns, name: 'kernel-web' })
  await kernel.use('web')
  await stack.use('undici')
  const pki = makeTestPki({ ips: [hostIp] })
  const { port } = await kernel.call('webServer', { kind: 'http', host: hostIp })
  const { port: tlsPort } = await kernel.call('webServer', { kind: 'https', host: hostIp, tls: { key: pki.key, cert: pki.cert } })
  const origin = `http://${hostIp}:${port}`
  await stack.call('undiciAgent', { options: { connections: 1, pipelining: 4, connect: { ca: pki.ca } } })
  const request = (args: Record<string, unknown>) => stack.call('undiciRequest', { origin, ...args }) as Promise<Reply>

  await t.test('GET and a 4 MiB POST (sha256) on one kept-alive connection', async (t) => {
    const get = await request({ path: '/k' })
    t.ok(get.ok, `GET ok ${JSON.stringify(get.error ?? '')}`)
    const post = await request({ path: '/upload', method: 'POST', bodyBytes: 4 << 20 })
    t.ok(post.ok, `POST ok ${JSON.stringify(post.error ?? '')}`)
    t.equal(post.text, helloBody('POST', '/upload', 4 << 20, post.sent!), 'the kernel server got the body intact')
    t.equal(post.headers?.['x-conn'], get.headers?.['x-conn'], 'same connection on the server side')
    t.equal(post.connects, 1, 'one connection opened')
  })

  await t.test('pipelined requests are answered in order', async (t) => {
    const paths = Array.from({ length: 4 }, (_, i) => `/delay/${(4 - i) * 20}?i=${i}`)
    const replies = (await stack.call('undiciBurst', { origin, paths })) as Reply[]
    t.same(replies.map((r) => r.text?.split(' ')[4]), paths, 'each reply answers its own request')
  })

  await t.test('HTTPS to the kernel server with the test CA', async (t) => {
    const r = (await stack.call('undiciRequest', { origin: `https://${hostIp}:${tlsPort}`, path: '/tls', method: 'POST', bodyBytes: 1 << 20 })) as Reply
    t.ok(r.ok, `ok ${JSON.stringify(r.error ?? '')}`)
    t.equal(r.text, helloBody('POST', '/tls', 1 << 20, r.sent!))
  })

  await t.test('a closed kernel port: ECONNREFUSED (the kernel resets the SYN)', async (t) => {
    const r = (await stack.call('undiciRequest', { origin: `http://${hostIp}:9`, path: '/' })) as Reply
    t.notOk(r.ok)
    t.equal(r.error?.code, 'ECONNREFUSED', r.error?.message ?? 'no error')
  })

  await stack.call('undiciClose')
})
