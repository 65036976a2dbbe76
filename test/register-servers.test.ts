// Unmodified servers on the stack through @gazelle/register: node:http, HTTPS and HTTP/2
// over TLS, express, koa, fastify (no plugin), ws, grpc-js (no options) and a dgram echo, all in one process
// (test/fixtures/register/servers/all.js), loaded with --import and then with -r. Kernel
// clients (curl, wrk, plain node for ws/gRPC/UDP) reach them through the tap at 10.20.0.2,
// an address only the stack has; the stack's own counters (gazellectl) and the register's
// route report show the traffic took the stack, and 127.0.0.1 still reaches the kernel half.
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { cleanup, execIn } from './helpers/cleanup'
import { ctlJson } from './helpers/ctl'
import { needStack } from './helpers/harness'
import { FIXTURES, HOST_IP, LoadMode, STACK_IP, registerNetns, stackEnv, startApp } from './helpers/register'
import { makeTestPki } from './helpers/tls'

cleanup.hook(t)
const MiB = 1024 * 1024
const curl = ['-sS', '--noproxy', '*', '--max-time', '20']
const APPS = ['http', 'https', 'express', 'koa', 'fastify', 'ws', 'grpc', 'dgram']

function tmpFile(bytes: Buffer): string {
  const file = path.join(os.tmpdir(), `gazelle-register-${process.pid}-${randomBytes(4).toString('hex')}.bin`)
  cleanup.files.add(file)
  fs.writeFileSync(file, bytes)
  return file
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')

const pki = makeTestPki({ ips: [STACK_IP] })
const tls: Record<string, string> = {}
for (const [name, pem] of [['TLS_KEY', pki.key], ['TLS_CERT', pki.cert]]) {
  tls[name] = tmpFile(Buffer.from(pem))
}

for (const mode of ['import', 'require'] as LoadMode[]) {
  t.test(`servers on the stack, register loaded with ${mode === 'import' ? '--import' : '-r'}`, needStack(), async (t) => {
    const { netns, tap } = registerNetns(t)
    const app = startApp(t, { netns, script: 'servers/all.js', mode, env: { ...stackEnv(tap()), ...tls }, name: 'servers' })
    await app.waitFor(/^gazelle: 10\.20\.0\.2\/24 on tap:\S+ .*listen both/m, 30_000)
    for (const name of APPS) await app.waitFor(new RegExp(`^ready ${name} \\d+$`, 'm'), 30_000)
    t.match(app.output(), /^http address at once: 7001$/m, 'server.address() answers right after listen(port), -r too')
    const before = (await ctlJson(['stats', String(app.pid)])).counters

    await t.test('node:http: curl through the tap reaches the stack half, 127.0.0.1 the kernel half', async (t) => {
      const r = await execIn(netns, 'curl', [...curl, `http://${STACK_IP}:7001/`])
      t.equal(r.code, 0, r.stderr)
      t.same(JSON.parse(r.stdout), { app: 'http', remote: HOST_IP, local: STACK_IP, localPort: 7001, netSocket: true },
        'served from the stack\'s address to the tap\'s kernel side; req.socket is a net.Socket')
      const k = await execIn(netns, 'curl', [...curl, 'http://127.0.0.1:7001/'])
      t.equal(k.code, 0, k.stderr)
      t.match(JSON.parse(k.stdout), { remote: /127\.0\.0\.1$/, local: /127\.0\.0\.1$/ }, 'loopback is the kernel\'s')
      const body = randomBytes(MiB)
      const up = await execIn(netns, 'curl', [...curl, '--data-binary', `@${tmpFile(body)}`, `http://${STACK_IP}:7001/`])
      t.same(JSON.parse(up.stdout), { bytes: MiB, sha256: sha256(body) }, '1 MiB POST intact')
      const many = await execIn(netns, 'curl', [...curl, '-w', '\\n%{num_connects}\\n', `http://${STACK_IP}:7001/a`, `http://${STACK_IP}:7001/b`, `http://${STACK_IP}:7001/connections`])
      t.match(many.stdout, /\{"count":1\}/, 'getConnections counts the keep-alive connection')
      t.equal(many.stdout.trim().split('\n').filter((l) => l === '0').length, 2, 'curl reused one connection for three requests')
    })

    await t.test('HTTPS and HTTP/2 over TLS: a TLS server on a stack socket', async (t) => {
      for (const [flag, version, alpn] of [['--http2', '2.0', 'h2'], ['--http1.1', '1.1', 'http/1.1']]) {
        const r = await execIn(netns, 'curl', [...curl, '--cacert', pki.caFile, flag, `https://${STACK_IP}:7008/`])
        t.equal(r.code, 0, r.stderr)
        t.same(JSON.parse(r.stdout || '{}'), { app: 'https', version, alpn, remote: HOST_IP }, `curl ${flag}`)
      }
    })

    await t.test('express: req.ip, a 4 MiB streamed upload and an 8 MiB download', async (t) => {
      const hello = await execIn(netns, 'curl', [...curl, `http://${STACK_IP}:7002/hello`])
      t.same(JSON.parse(hello.stdout), { app: 'express', ip: HOST_IP, local: STACK_IP })
      const body = randomBytes(4 * MiB)
      const up = await execIn(netns, 'curl', [...curl, '-H', 'content-type: application/octet-stream', '--data-binary', `@${tmpFile(body)}`, `http://${STACK_IP}:7002/upload`])
      t.same(JSON.parse(up.stdout), { bytes: 4 * MiB, sha256: sha256(body) }, 'upload intact')
      const down = await execIn(netns, 'sh', ['-c', `curl ${curl.join(' ')} http://${STACK_IP}:7002/download/8 | sha256sum`])
      const expected = createHash('sha256')
      for (let i = 0; i < 8 * 16; i++) expected.update(Buffer.alloc(65536, i % 256))
      t.equal(down.stdout.split(' ')[0], expected.digest('hex'), 'download intact')
    })

    await t.test('koa streams a body back; fastify (no plugin, host 0.0.0.0) answers', async (t) => {
      const body = randomBytes(MiB)
      const echo = await execIn(netns, 'sh', ['-c', `curl ${curl.join(' ')} --data-binary @${tmpFile(body)} http://${STACK_IP}:7003/ | sha256sum`])
      t.equal(echo.stdout.split(' ')[0], sha256(body), 'koa echoed 1 MiB intact')
      const koa = await execIn(netns, 'curl', [...curl, `http://${STACK_IP}:7003/`])
      t.same(JSON.parse(koa.stdout), { app: 'koa', ip: HOST_IP, local: STACK_IP })
      const fastify = await execIn(netns, 'curl', [...curl, `http://${STACK_IP}:7004/`])
      t.same(JSON.parse(fastify.stdout), { app: 'fastify', ip: HOST_IP, local: STACK_IP })
    })

    await t.test('wrk: 2 s of keep-alive load on the stack half, no errors', async (t) => {
      const r = await execIn(netns, 'wrk', ['-t1', '-c8', '-d2s', `http://${STACK_IP}:7001/`], 30_000)
      t.equal(r.code, 0, r.stderr)
      const requests = Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? 0)
      t.ok(requests > 100, `wrk completed ${requests} requests`)
      t.notMatch(r.stdout, /Socket errors|Non-2xx/, `no socket errors, no non-2xx\n${r.stdout}`)
    })

    await t.test('ws, grpc-js and dgram from kernel clients', async (t) => {
      const r = await execIn(netns, process.execPath, [path.join(FIXTURES, 'kernel/server-checks.js'), STACK_IP], 60_000)
      t.equal(r.code, 0, `${r.stdout}${r.stderr}`)
      const res: Record<string, any> = {}
      for (const m of r.stdout.matchAll(/^RESULT (\S+) (.*)$/gm)) res[m[1]] = JSON.parse(m[2])
      t.same(res.ws, { hello: { hello: HOST_IP, local: STACK_IP }, echoed: true, deflate: true, pong: 'are you there', code: 4001 },
        'ws: upgrade on a stack socket, permessage-deflate, ping/pong, close code')
      t.match(res.grpc, { unaryIntact: true, peer: new RegExp(`^${HOST_IP.replace(/\./g, '\\.')}:\\d+$`), collectIntact: true, chat: 20, deadlineCode: 4 },
        'grpc: four call types, getPeer() shows the kernel peer, deadline')
      t.same(res.grpc?.stream, [...Array(10).keys()], 'grpc server stream in order')
      t.ok(res.dgram?.replies.length >= 3 && res.dgram.replies.every((m: string) => m.endsWith(`from ${HOST_IP}`)),
        `dgram: the echo answered through the stack ${JSON.stringify(res.dgram)}`)
    })

    await t.test('the stack\'s own counters saw the traffic', async (t) => {
      const after = (await ctlJson(['stats', String(app.pid)])).counters
      const rx = after.port.rxBytes - before.port.rxBytes
      t.ok(rx > 6 * MiB, `the stack's port received ${rx} bytes (the uploads alone are 6 MiB)`)
      t.ok(after.tcp.recv > before.tcp.recv && after.udp.recv > before.udp.recv, 'LwIP counted TCP and UDP input')
    })

    await app.stop()
    const report = app.report()
    t.match(report, { listen: { both: 7 }, udpBind: { both: 1 }, stack: 'open' }, `route report ${JSON.stringify(report)}`)
    t.ok(report?.accept.stack >= 20, `the stack accepted ${report?.accept.stack} connections`)
  })
}
