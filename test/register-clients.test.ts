// Unmodified client programs on the stack through @gazelle/register: global fetch, npm
// undici, axios, ws, ioredis against Debian's redis-server, pg against Debian's
// PostgreSQL (plain and TLS by STARTTLS), grpc-js with no channel options, dgram, an app
// with its own global dispatcher, hostnames resolved by the app's lookup, and handle
// passing refused. All in one process (test/fixtures/register/clients/all.js), run three
// times: --import, -r and NODE_OPTIONS. The kernel peers live in the test namespace;
// the stack's address 10.20.0.2 is what they see when a connection took the stack.
import t from 'tap'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { cleanup } from './helpers/cleanup'
import { needStack } from './helpers/harness'
import { startPostgres, startRedis } from './helpers/kernel-peers'
import { App, HOST_IP, LoadMode, STACK_IP, registerNetns, stackEnv, startApp } from './helpers/register'
import { makeTestPki } from './helpers/tls'

cleanup.hook(t)

t.test('client libraries reach kernel servers through the stack', needStack(), async (t) => {
  const { netns, tap } = registerNetns(t)
  const pki = makeTestPki({ ips: [HOST_IP, '127.0.0.1'], dns: ['backend.test', 'kernel.test', 'db.test'] })
  const keyFile = path.join(os.tmpdir(), `gazelle-register-key-${process.pid}.pem`)
  const certFile = path.join(os.tmpdir(), `gazelle-register-cert-${process.pid}.pem`)
  for (const [f, pem] of [[keyFile, pki.key], [certFile, pki.cert]]) {
    cleanup.files.add(f)
    fs.writeFileSync(f, pem, { mode: 0o600 })
  }
  const peers = startApp(t, { netns, script: 'kernel/peers.js', mode: 'none', env: { TLS_KEY: keyFile, TLS_CERT: certFile }, name: 'peers' })
  await Promise.all([
    startRedis(t, netns),
    startPostgres(t, netns, pki),
    ...['http', 'ws', 'grpc', 'dgram', 'https'].map((name) => peers.waitFor(new RegExp(`^ready ${name} `, 'm'))),
  ])

  const runs: [LoadMode, string][] = [['import', '--import'], ['require', '-r'], ['node-options', 'NODE_OPTIONS=--import']]
  for (const [mode, label] of runs) {
    await t.test(`clients/all.js with ${label} @gazelle/register`, async (t) => {
      const app: App = startApp(t, {
        netns, script: 'clients/all.js', mode, name: 'clients',
        env: { ...stackEnv(tap()), PEER: HOST_IP, CA_FILE: pki.caFile, NODE_EXTRA_CA_CERTS: pki.caFile },
      })
      const exit = await app.exited(90_000)
      t.same(exit, { code: 0, signal: null }, 'the process ends by itself once its work is done')
      // The peers listen on '::': IPv4 peers read as "::ffff:a.b.c.d" there.
      const r: Record<string, any> = JSON.parse(JSON.stringify(app.results()).replaceAll('::ffff:', ''))
      const errors = Object.entries(r as Record<string, any>).filter(([, v]) => v && v.error)
      t.same(errors, [], 'no client failed')

      t.match(r.fetch, { remote: STACK_IP, postIntact: true, https: { tls: true, remote: STACK_IP } }, 'global fetch: http, 1 MiB POST, https')
      t.same(r.undici, { remotes: [STACK_IP], connections: 1, https: { tls: true, remote: STACK_IP } },
        'npm undici: 20 pipelined requests on one stack connection; https with a private CA')
      t.same(r.axios, { remote: STACK_IP, reused: true, https: { tls: true, remote: STACK_IP } }, 'axios with keep-alive agents')
      t.same(r.ws, { hello: STACK_IP, echoed: true, code: 4002, deflate: true }, 'ws client')
      t.same(r.ioredis, { commands: 10_000, intact: true, clients: ['10.20.0.2', '127.0.0.1'], afterKill: 'PONG' },
        'ioredis: 10,000 pipelined commands; the 127.0.0.1 client stays on the kernel; reconnect after CLIENT KILL')
      t.same(r.pg, { plain: { addr: STACK_IP, ssl: false }, timeout: '57014', tls: { addr: STACK_IP, ssl: true }, pool: [STACK_IP] },
        'pg: plain, TLS by STARTTLS, statement_timeout, a pool')
      t.match(r.grpc, { peer: new RegExp(`^${STACK_IP.replace(/\./g, '\\.')}:\\d+$`), stream: 5, deadline: 4 }, 'grpc-js client')
      t.ok(r.dgram?.replies.length === 3 && r.dgram.replies.every((m: string) => m.endsWith(`from ${STACK_IP}`)),
        `dgram: echoed from the stack's address ${JSON.stringify(r.dgram)}`)
      t.same(r.dispatcher, { via: 'app-dispatcher', remote: STACK_IP }, 'the app\'s own global dispatcher still wins, and routes')
      t.same(r.hostnames, {
        http: STACK_IP, httpKernel: '127.0.0.1', https: STACK_IP, httpsKernel: '127.0.0.1',
        dual: { lookup: [HOST_IP], local: STACK_IP, remote: HOST_IP },
      }, 'a name resolving to a routed address takes the stack (TLS too); one resolving to loopback the kernel')
      t.match(r.transfer, { socket: 'ERR_GAZELLE_NOT_TRANSFERABLE', server: 'ERR_GAZELLE_NOT_TRANSFERABLE', child: /owns the stack/ },
        'child.send() of a stack socket or server: one typed error; the forked child stays on the kernel')

      const report = app.report()
      t.ok(report?.connect.stack >= 20, `route report: ${report?.connect.stack} connections through the stack`)
      t.ok(report?.connect.kernel >= 3, `route report: ${report?.connect.kernel} on the kernel (loopback)`)
      t.ok(report?.udpSend.stack >= 3, 'route report: datagrams through the stack')
      t.ok(report?.counters?.tcpRecv > 300 && report?.counters?.udpXmit >= 3,
        `the stack's own counters: ${JSON.stringify(report?.counters)}`)
    })
  }
})
