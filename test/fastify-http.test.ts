// A Fastify app on a stack (tap, in a namespace made for the test) served to kernel
// clients: curl, wrk, a raw pipelining client and node:http. Only the plugin's
// registration differs from a plain Fastify app.
import t from 'tap'
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import { cleanup, execIn } from './helpers/cleanup'
import { curl, fastifyOnTap, kernelPeer, tempFile } from './helpers/fastify'
import { needStack } from './helpers/harness'

cleanup.hook(t)
const MiB = 1024 * 1024

t.test('Fastify on a tap stack, kernel clients', needStack(), async (t) => {
  const { netns, stack, hostIp, stackIp, base, port, app } = await fastifyOnTap(t, { port: 7000 })
  t.equal(app.url, `http://${stackIp}:7000`, 'app.listen() resolves with the stack\'s address')

  await t.test('curl GET; request.ip and the port are the real peer\'s', async (t) => {
    const r = await curl(netns, [`${base}/hello`])
    t.equal(r.code, 0, `curl exits 0 ${r.stderr}`)
    t.equal(r.status, 200)
    const body = JSON.parse(r.body)
    t.equal(body.ip, hostIp, 'request.ip is the kernel side of the tap')
    t.equal(body.port, r.localPort, 'request.socket.remotePort is curl\'s local port')
    t.equal(body.local, `${stackIp}:${port}`, 'request.socket.localAddress:localPort')
  })

  await t.test('mode "replace": no kernel socket listens (not even for "localhost")', async (t) => {
    const ss = await execIn(netns, 'ss', ['-Hltn'], 5000)
    t.equal(ss.code, 0)
    t.equal(ss.stdout.trim(), '', `ss -ltn in the stack's namespace lists nothing: ${ss.stdout}`)
  })

  await t.test('keep-alive: curl reuses one connection for three requests', async (t) => {
    const r = await curl(netns, [`${base}/hello`, `${base}/hello`, `${base}/hello`])
    t.equal(r.code, 0, r.stderr)
    const ports = (r.body.match(/\{[^}]*\}/g) ?? []).map((l) => JSON.parse(l).port)
    t.equal(ports.length, 3, 'three answers')
    t.equal(new Set(ports).size, 1, `one client port for all: ${ports}`)
    t.equal(r.connects, 0, 'curl made no new connection for the last request')
  })

  await t.test('pipelining: 20 requests in one write come back in order', async (t) => {
    const kc = await kernelPeer(t, netns)
    const r = await kc.call('fastify', { fn: 'pipeline', host: stackIp, port, n: 20 })
    const seqs = [...r.text.matchAll(/seq (\d+)/g)].map((m: RegExpMatchArray) => Number(m[1]))
    t.same(seqs, Array.from({ length: 20 }, (_, i) => i), 'responses in request order')
    t.equal((r.text.match(/^HTTP\/1\.1 200 OK/gm) ?? []).length, 20, 'twenty 200s')
    t.equal(r.error, null, 'closed cleanly after "Connection: close"')
  })

  await t.test('10 MiB upload, streamed to the handler, sha256 matches', async (t) => {
    const file = tempFile(10 * MiB, 'upload')
    const r = await curl(netns, ['-H', 'content-type: application/octet-stream', '--data-binary', `@${file}`, `${base}/upload`], 60_000)
    t.equal(r.code, 0, r.stderr)
    const want = createHash('sha256').update(fs.readFileSync(file)).digest('hex')
    t.same(JSON.parse(r.body), { bytes: 10 * MiB, sha256: want })
  })

  await t.test('10 MiB download, sha256 matches the server\'s', async (t) => {
    const file = tempFile(0, 'download')
    const r = await execIn(netns, 'curl', ['-sS', '--noproxy', '*', '--max-time', '60', '-D', '-', '-o', file, `${base}/download?bytes=${10 * MiB}`], 70_000)
    t.equal(r.code, 0, r.stderr)
    const body = fs.readFileSync(file)
    t.equal(body.length, 10 * MiB, 'all bytes')
    const header = /x-sha256: ([0-9a-f]{64})/i.exec(r.stdout)?.[1]
    t.equal(createHash('sha256').update(body).digest('hex'), header, 'hash as the server computed it')
  })

  await t.test('a node:http client (keep-alive agent) in the kernel', async (t) => {
    const kc = await kernelPeer(t, netns)
    const rs = await kc.call('fastify', { fn: 'httpRequests', host: stackIp, port, paths: ['/hello', '/seq/7', '/hello'] })
    t.same(rs.map((r: { status: number }) => r.status), [200, 200, 200])
    t.equal(rs[1].body, 'seq 7\n')
    t.equal(JSON.parse(rs[2].body).port, JSON.parse(rs[0].body).port, 'one connection')
    t.equal(JSON.parse(rs[0].body).port, rs[0].localPort, 'request.socket.remotePort is the client\'s port')
  })

  await t.test('wrk: 2 s, 4 connections, no errors', async (t) => {
    const r = await execIn(netns, 'wrk', ['-t', '1', '-c', '4', '-d', '2s', `${base}/hello`], 30_000)
    t.equal(r.code, 0, r.stderr)
    const total = Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? 0)
    t.ok(total > 0, `wrk made ${total} requests`)
    t.notMatch(r.stdout, /Socket errors|Non-2xx/, `no socket errors or non-2xx:\n${r.stdout}`)
  })

  await t.test('server.getConnections counts stack sockets', async (t) => {
    const r = await curl(netns, [`${base}/connections`])
    t.equal(JSON.parse(r.body).connections, 1, 'the one asking')
    const s = await stack.call('fastify', { fn: 'state' })
    t.equal(s.connections, 0, 'none once curl has gone')
  })
})
