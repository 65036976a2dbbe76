// @gazelle/undici as a dispatcher, over memif: pipelining (blocking: false), Node's global
// fetch through setGlobalDispatcher, a server that resets mid-body, and a process whose
// only leftover is an idle pooled connection exits by itself.
import { spawn } from 'node:child_process'
import * as path from 'node:path'
import t from 'tap'
import { cleanup, memifSocket } from './helpers/cleanup'
import { memifPair, needStack, REPO, StackProcess } from './helpers/harness'
import { makeTestPki } from './helpers/tls'
import { helloBody, type UndiciReply as Reply } from './helpers/undici-reply'

cleanup.hook(t)

interface WebStats {
  requests: { path: string; conn: number; at: number; answeredAt?: number }[]
  connections: number
  maxInFlight: number
}

t.test('GazelleAgent as a dispatcher over memif', needStack(), async (t) => {
  const { server, client, serverIp } = await memifPair(t)
  await server.use('web')
  await client.use('undici')
  const { port } = await server.call('webServer', { kind: 'http' })
  const origin = `http://${serverIp}:${port}`
  const stats = () => server.call('webServerStats', { port }) as Promise<WebStats>

  await t.test('pipelining: 10 requests in flight on one connection, answered in order', async (t) => {
    await client.call('undiciAgent', { options: { connections: 1, pipelining: 10 } })
    const before = (await stats()).requests.length
    // Later requests answer sooner: only ordering on the connection keeps them in order.
    const paths = Array.from({ length: 10 }, (_, i) => `/delay/${(10 - i) * 15}?i=${i}`)
    const replies = (await client.call('undiciBurst', { origin, paths })) as Reply[]
    replies.forEach((r, i) => t.equal(r.text, helloBody('GET', paths[i], 0, r.text?.split(' ').pop()?.trim() ?? ''), `reply ${i} is for ${paths[i]}`))
    t.ok(replies.every((r) => r.ok && r.status === 200), 'all answered')
    const s = await stats()
    const seen = s.requests.slice(before)
    t.same(seen.map((r) => r.path), paths, 'the server got them in the order sent')
    t.equal(new Set(seen.map((r) => r.conn)).size, 1, 'all on one connection')
    t.ok(s.maxInFlight >= 2, `the server had ${s.maxInFlight} requests of one connection in flight at once`)
    t.equal(replies.at(-1)?.connects, 1, 'one connection opened')
  })

  await t.test("Node's global fetch and undici.fetch go through the stack after setGlobalDispatcher", async (t) => {
    await client.call('undiciAgent', { options: {}, global: true })
    const before = (await stats()).requests.length
    const get = (await client.call('globalFetch', { url: `${origin}/fetch` })) as Reply
    t.ok(get.ok, `global fetch ok ${JSON.stringify(get.error ?? '')}`)
    t.match(get.text, /^hello from gazelle GET \/fetch 0 /)
    const post = (await client.call('globalFetch', { url: `${origin}/fetch-post`, method: 'POST', bodyBytes: 200_000 })) as Reply
    t.equal(post.text, helloBody('POST', '/fetch-post', 200_000, post.sent!), 'POST body intact')
    const u = (await client.call('globalFetch', { url: `${origin}/undici-fetch`, which: 'undici' })) as Reply
    t.ok(u.ok, `undici.fetch ok ${JSON.stringify(u.error ?? '')}`)
    t.same((await stats()).requests.slice(before).map((r) => r.path), ['/fetch', '/fetch-post', '/undici-fetch'], 'the stack server served all three')
    t.ok(post.connects >= 1, 'the GazelleAgent opened the connection')
  })

  await t.test('a server that resets mid-body: the body read fails with an undici error, the agent recovers', async (t) => {
    await client.call('undiciAgent', {})
    const r = (await client.call('undiciRequest', { origin, path: '/reset' })) as Reply
    t.notOk(r.ok, 'the request fails')
    t.match(r.error?.code ?? r.error?.causeCode, /^(UND_ERR_SOCKET|ECONNRESET)$/, r.error?.message ?? "no error")
    const next = (await client.call('undiciRequest', { origin, path: '/after-reset' })) as Reply
    t.ok(next.ok, `the next request works ${JSON.stringify(next.error ?? '')}`)
    t.equal(next.connects, 2, 'on a new connection')
  })

  await client.call('undiciClose')
})

t.test('a process with only an idle pooled connection exits by itself', needStack(), async (t) => {
  const socket = memifSocket()
  const server = await StackProcess.start(t, { name: 'memif-server' })
  await server.createStack({ device: { type: 'memif', role: 'server', socket }, ip: '10.10.0.1/24' })
  await server.use('web')
  const pki = makeTestPki({ ips: ['10.10.0.1'] })
  // The server keeps idle connections for a minute: only the client can end them early.
  const { port: httpPort } = await server.call('webServer', { kind: 'http', keepAliveTimeout: 60_000 })
  const { port: httpsPort } = await server.call('webServer', { kind: 'https', tls: { key: pki.key, cert: pki.cert }, keepAliveTimeout: 60_000 })

  const runClient = (url: string, ca?: string) =>
    new Promise<{ code: number | null; answer: { status: number; at: number } | null; exitedAt: number; output: string }>((resolve) => {
      const child = spawn(process.execPath, [path.join(REPO, 'test/helpers/idle-client.mjs'), JSON.stringify({ socket, ip: '10.10.0.2/24', url, ca })], {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      cleanup.child(child)
      let output = ''
      child.stdout.on('data', (d) => (output += d))
      child.stderr.on('data', (d) => (output += d))
      const limit = setTimeout(() => child.kill('SIGKILL'), 30_000)
      child.on('exit', (code) => {
        clearTimeout(limit)
        cleanup.releasePid(child.pid!)
        const line = output.split('\n').find((l) => l.startsWith('{'))
        resolve({ code, answer: line ? JSON.parse(line) : null, exitedAt: Date.now(), output })
      })
    })

  for (const [name, url, ca] of [['http', `http://10.10.0.1:${httpPort}/idle`], ['https', `https://10.10.0.1:${httpsPort}/idle`, pki.ca]] as const) {
    await t.test(name, async (t) => {
      const r = await runClient(url, ca)
      t.equal(r.answer?.status, 200, `answered: ${r.output.slice(-500)}`)
      t.equal(r.code, 0, 'exit code 0')
      const idleMs = r.exitedAt - (r.answer?.at ?? 0)
      // keep-alive is 60 s on both ends: only an unref'd socket and stack let it go sooner
      t.ok(idleMs < 10_000, `exited ${idleMs} ms after its answer`)
      const stats = (await server.call('webServerStats', { port: name === 'http' ? httpPort : httpsPort })) as WebStats
      t.equal(stats.requests.at(-1)?.path, '/idle', 'the request reached the stack server')
    })
  }
})
