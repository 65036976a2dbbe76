// HTTPS and HTTP/2 (h2 over TLS, and h2c) served by Fastify on a stack, to curl and
// h2load in the kernel through a tap. The certificates come from a CA made for the test.
import t from 'tap'
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import { cleanup, execIn } from './helpers/cleanup'
import { curl, kernelPeer, startApp, tempFile } from './helpers/fastify'
import { needStack, tapStack, waitFor } from './helpers/harness'
import { testCertificates } from './helpers/tls'

cleanup.hook(t)
const MiB = 1024 * 1024

t.test('HTTPS and HTTP/2 on a tap stack', needStack(), async (t) => {
  const { netns, stack, hostIp, stackIp } = await tapStack(t)
  await stack.use('fastify')
  const certs = testCertificates(stackIp)
  const tls = { key: certs.key, cert: certs.cert }
  const serve = async (opts: Parameters<typeof startApp>[1]) => {
    await stack.call('fastify', { fn: 'close' })
    const app = await startApp(stack, opts)
    return { port: app.stack.port, app }
  }
  const h2load = async (url: string) => {
    const r = await execIn(netns, 'h2load', ['-n', '200', '-c', '4', '-m', '10', url], 60_000)
    t.equal(r.code, 0, `h2load exits 0 ${r.stderr}`)
    t.match(r.stdout, /requests: 200 total, 200 started, 200 done, 200 succeeded, 0 failed, 0 errored/, 'h2load: 200 requests succeeded')
    t.match(r.stdout, /status codes: 200 2xx/, 'all 2xx')
    return r
  }

  await t.test('HTTPS: curl with the test CA; request.ip; keep-alive; 10 MiB upload', async (t) => {
    const { port, app } = await serve({ fastifyOptions: { https: tls } })
    const base = `https://${stackIp}:${port}`
    t.equal(app.url, base, 'listen() reports an https URL on the stack')
    const r = await curl(netns, ['--cacert', certs.caFile, `${base}/hello`, `${base}/hello`])
    t.equal(r.code, 0, `curl verifies the certificate and exits 0 ${r.stderr}`)
    const answers = (r.body.match(/\{[^}]*\}/g) ?? []).map((l) => JSON.parse(l))
    t.equal(answers.length, 2)
    t.equal(answers[0].ip, hostIp, 'request.ip through TLS is the real peer')
    t.equal(answers[1].port, r.localPort, 'request.socket.remotePort is curl\'s port')
    t.equal(answers[1].port, answers[0].port, 'one TLS connection for both')
    const file = tempFile(10 * MiB, 'tls-upload')
    const up = await curl(netns, ['--cacert', certs.caFile, '-H', 'content-type: application/octet-stream', '--data-binary', `@${file}`, `${base}/upload`], 90_000)
    t.equal(up.code, 0, up.stderr)
    t.same(JSON.parse(up.body), { bytes: 10 * MiB, sha256: createHash('sha256').update(fs.readFileSync(file)).digest('hex') })
    const bad = await execIn(netns, 'curl', ['-sS', '--noproxy', '*', '--max-time', '10', `${base}/hello`])
    t.not(bad.code, 0, 'without the CA, curl refuses the certificate (it really is TLS)')
  })

  await t.test('HTTPS: a client that sends half its headers gets 408 over TLS, then FIN', async (t) => {
    // For https, node takes connectionsCheckingInterval from the https options.
    const { port } = await serve({ fastifyOptions: { https: { ...tls, connectionsCheckingInterval: 200 }, requestTimeout: 1000 } })
    const kc = await kernelPeer(t, netns)
    const r = await kc.call('fastify', {
      fn: 'rawExchange', host: stackIp, port, ca: certs.ca, send: [`GET /hello HTTP/1.1\r\nHost: ${stackIp}\r\nX-Slow:`], timeoutMs: 15_000,
    }, 25_000)
    t.match(r.text, /^HTTP\/1\.1 408 Request Timeout\r\n/, `408 (got ${JSON.stringify(r.text.slice(0, 60))}, error ${r.error})`)
    t.notOk(r.timedOut, 'the server closed the connection')
    t.equal(r.error, null, 'the reply was not lost to a reset')
    await kc.stop()
  })

  await t.test('HTTP/2 over TLS (ALPN h2): curl --http2 and h2load', async (t) => {
    const { port } = await serve({ fastifyOptions: { http2: true, https: { ...tls, allowHTTP1: true } } })
    const base = `https://${stackIp}:${port}`
    const r = await curl(netns, ['--http2', '--cacert', certs.caFile, `${base}/hello`])
    t.equal(r.code, 0, r.stderr)
    t.equal(r.httpVersion, '2', 'negotiated HTTP/2')
    const body = JSON.parse(r.body)
    t.equal(body.version, '2.0', 'Fastify saw an HTTP/2 request')
    t.equal(body.ip, hostIp, 'request.ip is the real peer')
    const h1 = await curl(netns, ['--http1.1', '--cacert', certs.caFile, `${base}/hello`])
    t.equal(h1.httpVersion, '1.1', 'allowHTTP1 still serves HTTP/1.1')
    await h2load(`${base}/seq/1`)
  })

  await t.test('h2c (HTTP/2 without TLS), serverFactory form: curl and h2load', async (t) => {
    const { port } = await serve({ form: 'factory', listenHost: '0.0.0.0', fastifyOptions: { http2: true } })
    const base = `http://${stackIp}:${port}`
    const r = await curl(netns, ['--http2-prior-knowledge', `${base}/hello`])
    t.equal(r.code, 0, r.stderr)
    t.equal(r.httpVersion, '2')
    const body = JSON.parse(r.body)
    t.equal(body.version, '2.0')
    t.equal(body.ip, hostIp, 'request.ip is the real peer')
    t.equal(body.port, r.localPort, 'and its port')
    await h2load(`${base}/seq/2`)
    const dl = await execIn(netns, 'curl', ['-sS', '--noproxy', '*', '--max-time', '60', '--http2-prior-knowledge', '-D', '-', '-o', '/dev/null', '-w', '%{size_download}', `${base}/download?bytes=${4 * MiB}`], 70_000)
    t.equal(dl.code, 0, dl.stderr)
    t.match(dl.stdout, new RegExp(`${4 * MiB}$`), '4 MiB downloaded over h2c')
  })

  await t.test('h2c, serverFactory form: forceCloseConnections closes sessions as Fastify does', async (t) => {
    // Fastify (before Node 24) closes HTTP/2 sessions with session.close(): GOAWAY, the
    // streams in flight finish, then the session and close() end. The factory does the same.
    const { port } = await serve({ form: 'factory', listenHost: '0.0.0.0', fastifyOptions: { http2: true, forceCloseConnections: true } })
    const slow = curl(netns, ['--http2-prior-knowledge', `http://${stackIp}:${port}/slow?ms=1500`])
    await waitFor(async () => (await stack.call('fastify', { fn: 'state' })).inFlight >= 1, 10_000, 'the request in flight', 20)
    const closed = await stack.call('fastify', { fn: 'close' }, 30_000)
    const r = await slow
    t.equal(r.code, 0, `the stream in flight finished ${r.stderr}`)
    t.equal(r.status, 200)
    t.ok(closed.ms >= 1000 && closed.ms < 10_000, `close() ended once it had (${closed.ms} ms)`)
    const after = await curl(netns, ['--http2-prior-knowledge', `http://${stackIp}:${port}/hello`])
    t.not(after.code, 0, 'nothing listens afterwards')
  })
})
