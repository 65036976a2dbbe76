// @gazelle/register at its edges: configuration mistakes and a stack that cannot open stop
// the app before it runs (or, with fallback "kernel", leave it on the kernel with a
// warning); GAZELLE_OFF; cases that cannot be routed (cluster, listen({ fd })) warn, or
// fail in strict mode; and an ESM app touching named builtin imports, AsyncLocalStorage,
// resetAndDestroy, ECONNREFUSED, timeouts, unix sockets, IPv6 and a worker thread.
import t from 'tap'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { cleanup, createKernelTap, execIn } from './helpers/cleanup'
import { needStack } from './helpers/harness'
import { App, HOST_IP, STACK_IP, registerNetns, stackEnv, startApp } from './helpers/register'
import { makeTestPki } from './helpers/tls'
import type { RegisterConfig } from '@gazelle/register/api'

cleanup.hook(t)
const curl = ['-sS', '--noproxy', '*', '--max-time', '5']

t.test('mistakes stop the app before it runs, with one typed error naming the cause', needStack(), async (t) => {
  const { netns, tap } = registerNetns(t)
  for (const mode of ['import', 'require'] as const) {
    const bad = startApp(t, { netns, script: 'edge/hello.js', mode, env: { ...stackEnv(tap()), GAZELLE_LISTEN: '7200=sometimes' } })
    const exit = await bad.exited(30_000)
    t.equal(exit.code, 1, `${mode}: exit code 1`)
    t.match(bad.output(), /ERR_GAZELLE_INVALID_OPTION.*\n?.*GAZELLE_LISTEN port 7200 must be one of "both", "stack", "kernel", got "sometimes"|GAZELLE_LISTEN port 7200 must be one of "both", "stack", "kernel", got "sometimes"[\s\S]*ERR_GAZELLE_INVALID_OPTION/,
      `${mode}: the error names the variable`)
    t.notMatch(bad.output(), /ready hello/, `${mode}: the app did not run`)
  }

  // The tap name is taken: the stack cannot open.
  const taken = tap()
  createKernelTap(taken, netns, t)
  for (const mode of ['import', 'require'] as const) {
    // -r: the app has started (its listener on the kernel half), then the stack fails.
    const failed = startApp(t, { netns, script: 'edge/hello.js', mode, env: stackEnv(taken) })
    t.equal((await failed.exited(30_000)).code, 1, `${mode}: exit code 1`)
    t.match(failed.output(), /ERR_GAZELLE_DEVICE_EXISTS/, `${mode}: the stack's own error`)
    if (mode === 'import') t.notMatch(failed.output(), /ready hello/, 'the app never ran')
  }

  const fallback = startApp(t, { netns, script: 'edge/hello.js', mode: 'import', env: { ...stackEnv(taken), GAZELLE_FALLBACK: 'kernel' } })
  await fallback.waitFor(/^ready hello/m)
  t.match(fallback.output(), /GAZELLE_KERNEL_FALLBACK.*the stack could not be opened|the stack could not be opened[\s\S]*everything stays on the kernel/,
    'fallback "kernel": a warning, then the app runs')
  const r = await execIn(netns, 'curl', [...curl, 'http://127.0.0.1:7200/'])
  t.match(r.stdout, /^hello from .*127\.0\.0\.1/, 'served by the kernel')
  await fallback.stop()
})

t.test('a config file (GAZELLE_CONFIG), typed as RegisterConfig', needStack(), async (t) => {
  const { netns, tap } = registerNetns(t)
  const name = tap()
  const config: RegisterConfig = {
    stack: { device: { type: 'tap', name, hostIp: `${HOST_IP}/24` }, ip: `${STACK_IP}/24` },
    listen: { default: 'both', ports: { 7200: 'kernel' } },
    report: true,
  }
  const file = path.join(os.tmpdir(), `gazelle-register-config-${process.pid}.json`)
  cleanup.files.add(file)
  fs.writeFileSync(file, JSON.stringify(config))
  const app = startApp(t, { netns, script: 'edge/hello.js', mode: 'import', env: { GAZELLE_CONFIG: file } })
  app.tap = name
  await app.waitFor(/^ready hello/m)
  t.match(app.output(), new RegExp(`gazelle: ${STACK_IP}/24 on tap:${name} .*listen both \\(7200 kernel\\)`), 'the start line shows the file\'s rules')
  t.equal((await execIn(netns, 'curl', [...curl, 'http://127.0.0.1:7200/'])).code, 0, 'port 7200 is served by the kernel')
  t.not((await execIn(netns, 'curl', [...curl, `http://${STACK_IP}:7200/`])).code, 0, 'and not on the stack')
  await app.stop()
  t.match(app.report(), { listen: { kernel: 1, both: 0 } }, 'report: true in the file')
})

t.test('GAZELLE_OFF=1: the register loads and routes nothing', needStack(), async (t) => {
  const { netns, tap } = registerNetns(t)
  const name = tap()
  const app = startApp(t, { netns, script: 'edge/hello.js', mode: 'import', env: { ...stackEnv(name), GAZELLE_OFF: '1' } })
  const [, json] = (await app.waitFor(/^ready hello (.*)$/m))
  t.same(JSON.parse(json), { reason: 'GAZELLE_OFF is set' })
  const link = await execIn(netns, 'ip', ['link', 'show', 'dev', name])
  t.not(link.code, 0, 'no tap device was made')
  t.equal((await execIn(netns, 'curl', [...curl, 'http://127.0.0.1:7200/'])).code, 0, 'the app serves on the kernel')
  await app.stop()
  t.equal(app.report(), null, 'no route report')
})

t.test('cases that cannot be routed: cluster workers, listen({ fd }), strict mode', needStack(), async (t) => {
  const { netns, tap } = registerNetns(t)
  const cluster = startApp(t, { netns, script: 'edge/cluster.js', mode: 'import', env: stackEnv(tap()) })
  await cluster.waitFor(/^ready cluster$/m, 40_000)
  t.match(cluster.output(), /GAZELLE_KERNEL_FALLBACK[^\n]*port 7100 is served to cluster workers|port 7100 is served to cluster workers[^\n]*stays on the kernel/,
    'one warning names the case')
  t.match((await execIn(netns, 'curl', [...curl, 'http://127.0.0.1:7100/'])).stdout, /^worker \d+/, 'the workers serve on the kernel')
  const stack = await execIn(netns, 'curl', [...curl, `http://${STACK_IP}:7100/`])
  t.not(stack.code, 0, 'nothing listens on the stack for that port')
  await cluster.stop()

  // The child that adopts the socket opens the stack (GAZELLE_PROCESS picks it).
  const child = { GAZELLE_PROCESS: 'listen-fd-child\\.js$' }
  const lenient = startApp(t, { netns, script: 'edge/listen-fd.js', mode: 'require', env: { ...stackEnv(tap()), ...child } })
  // The child's stack leaves DPDK files that the test removes once it is gone.
  const childPid = async (app: App) => {
    const pid = Number((await app.waitFor(/^child pid (\d+)$/m))[1])
    cleanup.dpdkPids.add(pid)
    t.teardown(() => cleanup.releasePid(pid))
  }
  await childPid(lenient)
  const [, port] = await lenient.waitFor(/^ready fd (\d+)$/m)
  t.match(lenient.output(), /listen\(\{ fd \}\) serves an inherited kernel socket: it stays on the kernel/, 'listen({ fd }): a warning')
  t.equal((await execIn(netns, 'curl', [...curl, `telnet://127.0.0.1:${port}`])).stdout, 'fd ok', 'and it serves the inherited socket')
  await lenient.stop()
  const strict = startApp(t, { netns, script: 'edge/listen-fd.js', mode: 'import', env: { ...stackEnv(tap()), ...child, GAZELLE_STRICT: '1' } })
  await childPid(strict)
  t.equal((await strict.exited(30_000)).code, 1, 'strict: the listen throws')
  t.match(strict.output(), /ERR_GAZELLE_NOT_ROUTABLE[\s\S]*listen\(\{ fd \}\) serves an inherited kernel socket|listen\(\{ fd \}\) serves an inherited kernel socket \(strict mode\)/,
    'ERR_GAZELLE_NOT_ROUTABLE names the case')
  t.match(strict.report(), { refused: { 'listen-fd': 1 } })
})

t.test('an ESM app at the edges', needStack(), async (t) => {
  const { netns, tap } = registerNetns(t)
  const pki = makeTestPki({ ips: [HOST_IP] })
  const files = ['key', 'cert'].map((k) => path.join(os.tmpdir(), `gazelle-register-edge-${k}-${process.pid}.pem`))
  files.forEach((f, i) => {
    cleanup.files.add(f)
    fs.writeFileSync(f, i === 0 ? pki.key : pki.cert, { mode: 0o600 })
  })
  const peers = startApp(t, { netns, script: 'kernel/peers.js', mode: 'none', env: { TLS_KEY: files[0], TLS_CERT: files[1] }, name: 'peers' })
  await peers.waitFor(/^ready https /m)
  await peers.waitFor(/^ready http /m)
  await peers.waitFor(/^ready dgram /m)
  const app = startApp(t, { netns, script: 'edge/edge.mjs', mode: 'import', env: { ...stackEnv(tap()), PEER: HOST_IP, STACK_IP, CA_FILE: pki.caFile } })
  t.equal((await app.exited(60_000)).code, 0, 'the app ends by itself')
  const r = app.results()
  t.same(r.esmTls, { local: STACK_IP, remote: STACK_IP }, '`import { connect } from "node:tls"` routes (syncBuiltinESMExports)')
  t.same(r.asyncContext, { connect: 42, data: 42 }, 'AsyncLocalStorage: the store survives connect and reads')
  t.same(r.errors, {
    refused: { code: 'ECONNREFUSED', message: `connect ECONNREFUSED ${HOST_IP}:1`, syscall: 'connect' },
    timedOut: true, peerSaw: 'ECONNRESET', local: null,
    inUse: { code: 'EADDRINUSE', message: `listen EADDRINUSE: address already in use ${STACK_IP}:7300`, listening: false },
  }, 'node\'s own ECONNREFUSED and EADDRINUSE; setTimeout fires; resetAndDestroy resets')
  t.notOk(r.secondListening, 'a listener that failed never emits \'listening\'')
  t.same(r.backpressure, { down: true, downBytes: 16 << 20, pauses: 4, up: true, upBytes: 16 << 20, drains: true, upWritten: 16 << 20 },
    '16 MiB each way with the reader pausing: nothing lost or reordered, drain events, bytesWritten')
  t.same(r.udpOnStack, { address: { address: STACK_IP, family: 'IPv4', port: 7400 }, reply: { text: `echo stack-only from ${STACK_IP}`, from: HOST_IP } },
    'a dgram socket bound to the stack\'s address: the stack alone')
  t.same(r.untouched, { unix: 'unix ok', local6: '::1', v6handle: 'TCP' }, 'unix sockets and IPv6 (ipv6Only listeners too) are the kernel\'s')
  t.same(r.worker, { local: HOST_IP }, 'a worker thread\'s socket is the kernel\'s')
  t.match(app.report(), { connect: { stack: 7 } }, JSON.stringify(app.report()))
})
