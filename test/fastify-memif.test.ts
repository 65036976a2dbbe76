// Fastify on one stack, undici (GazelleAgent) on another, over memif; and mode "both",
// where the same app also listens on the kernel for a node:http client.
import t from 'tap'
import * as http from 'node:http'
import * as net from 'node:net'
import { cleanup } from './helpers/cleanup'
import { startApp } from './helpers/fastify'
import { memifPair, needStack } from './helpers/harness'

cleanup.hook(t)
const MiB = 1024 * 1024

interface Result { status: number; text: string | null; bytes: number; sha256: string; sent: string | null; headers: Record<string, string> }
interface Batch { results: Result[]; connects: number }

function kernelGet(port: number, path: string, agent: http.Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (d) => chunks.push(d))
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }))
    })
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)))
    req.on('error', reject)
  })
}

t.test('Fastify on a memif stack, undici on the other; mode "both"', needStack(), async (t) => {
  const { server, client, serverIp, clientIp } = await memifPair(t)
  await server.use('fastify')
  await client.use('fastify')
  const app = await startApp(server, { mode: 'both', listenHost: '127.0.0.1' })
  const origin = `http://${serverIp}:${app.stack.port}`
  const requests = (reqs: unknown[], agentOptions = {}): Promise<Batch> =>
    client.call('fastify', { fn: 'undiciRequests', origin, requests: reqs, agentOptions }, 120_000)
  t.ok(app.kernel && app.kernel.port > 0, `the kernel listens too (${JSON.stringify(app.kernel)})`)
  t.equal(app.url, `http://127.0.0.1:${app.kernel!.port}`, 'listen() resolves with the kernel address in mode "both"')

  await t.test('undici GET; request.ip is the client stack\'s address', async (t) => {
    const { results: [r] } = await requests([{ path: '/hello' }])
    t.equal(r.status, 200)
    t.equal(JSON.parse(r.text!).ip, clientIp)
  })

  await t.test('pipelining 10 on one connection: 30 responses in order', async (t) => {
    const reqs = Array.from({ length: 30 }, (_, i) => ({ path: `/seq/${i}` }))
    const { results, connects } = await requests(reqs, { connections: 1, pipelining: 10 })
    t.same(results.map((r) => r.text), reqs.map((_, i) => `seq ${i}\n`), 'each response matches its request')
    t.equal(connects, 1, 'one connection')
  })

  await t.test('10 MiB upload and download, sha256 checked', async (t) => {
    const { results: [up, down] } = await requests([
      { path: '/upload', method: 'POST', bodyBytes: 10 * MiB, headers: { 'content-type': 'application/octet-stream' } },
      { path: `/download?bytes=${10 * MiB}` },
    ])
    t.same(JSON.parse(up.text!), { bytes: 10 * MiB, sha256: up.sent }, 'the server hashed what undici sent')
    t.equal(down.bytes, 10 * MiB)
    t.equal(down.sha256, down.headers['x-sha256'], 'undici got what the server hashed')
  })

  await t.test('the kernel side serves the same app; getConnections counts both', async (t) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    t.teardown(() => agent.destroy())
    const k = await kernelGet(app.kernel!.port, '/hello', agent)
    t.equal(k.status, 200)
    t.equal(JSON.parse(k.body).ip, '127.0.0.1', 'a kernel client on loopback')
    // The kernel connection stays open (keep-alive); the stack one asks.
    const { results: [r] } = await requests([{ path: '/connections' }])
    t.equal(JSON.parse(r.text!).connections, 2, 'one kernel + one stack connection')
  })

  await t.test('app.close() closes both listeners', async (t) => {
    const closed = await server.call('fastify', { fn: 'close' }, 30_000)
    t.ok(closed.ms < 15_000, `closed in ${closed.ms} ms`)
    const agent = new http.Agent()
    await t.rejects(kernelGet(app.kernel!.port, '/hello', agent), { code: 'ECONNREFUSED' }, 'kernel: refused')
    const err = await requests([{ path: '/hello' }]).then(() => null, (e: { code?: string }) => e)
    t.equal(err?.code, 'ECONNREFUSED', 'stack: refused')
  })

  await t.test('listen errors: a port taken on the stack, or on the kernel in mode "both"', async (t) => {
    const taken = await server.call('listen', { port: 0 })
    await t.rejects(startApp(server, { port: taken.port }), { code: 'EADDRINUSE' }, 'stack port in use: listen() rejects')
    await server.call('closeServer', { port: taken.port })
    const kernel = net.createServer().listen(0, '127.0.0.1')
    await new Promise((r) => kernel.once('listening', r))
    t.teardown(() => kernel.close())
    const port = (kernel.address() as net.AddressInfo).port
    await t.rejects(startApp(server, { mode: 'both', port, listenHost: '127.0.0.1' }), { code: 'EADDRINUSE' }, 'kernel port in use: listen() rejects')
    const again = await startApp(server, { port })
    t.equal(again.stack.port, port, 'after the failed listen(), the stack port is free again')
    await server.call('fastify', { fn: 'close' })
  })
})
