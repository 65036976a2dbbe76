// Self-check of the test helpers, with no stack: the child harness, its timeouts, the
// scenarios (run here on node:net inside a private network namespace, which is also
// the reference behaviour the stack must match) and the cleanup of every resource kind.
import t from 'tap'
import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { cleanup, createKernelTap, createNetns, dpdkFilesOf, DPDK_RUN_DIR, memifSocket, run, tapName } from './helpers/cleanup'
import { StackProcess } from './helpers/harness'
import * as sc from './helpers/scenarios'

const MiB = 1024 * 1024
cleanup.hook(t)

t.test('child harness: IPC, errors, timeouts, exit on disconnect', async (t) => {
  const ns = createNetns(t)
  const c = await StackProcess.start(t, { kernel: true, netns: ns, name: 'probe' })
  const pong = await c.call('ping')
  t.equal(pong.pid, c.pid, 'child answers over IPC, same pid through ip netns exec')
  t.equal(pong.kernel, true)
  await t.rejects(c.call('noSuchCommand'), /unknown command noSuchCommand/, 'remote errors come back')
  await t.rejects(c.call('stats'), { code: 'ERR_TEST_NO_STACK' }, 'no stack in a kernel child')
  const { port } = await c.call('listen', { mode: 'record' })
  const t0 = Date.now()
  await t.rejects(c.call('serverReports', { port, count: 1, timeoutMs: 60_000 }, 300), /no answer within 300 ms/, 'a call is bounded')
  t.ok(Date.now() - t0 < 2000, 'and the bound is kept')
  c.child.disconnect()
  const exit = await Promise.race([c.exited(), new Promise((r) => setTimeout(() => r(null), 8000).unref())])
  t.ok(exit, 'child exits by itself when the parent goes away')
})

t.test('scenarios pass on node:net (kernel loopback in a private namespace)', async (t) => {
  const ns = createNetns(t)
  const server = await StackProcess.start(t, { kernel: true, netns: ns, name: 'kserver' })
  const client = await StackProcess.start(t, { kernel: true, netns: ns, name: 'kclient' })
  const host = '127.0.0.1'
  await t.test('echo 8 x 1 MiB', (t) => sc.echoBulk(t, server, client, host, { conns: 8, bytesPerConn: MiB }))
  await t.test('half-close, client first', (t) => sc.halfCloseClientFirst(t, server, client, host))
  await t.test('half-close, server first', (t) => sc.halfCloseServerFirst(t, server, client, host))
  await t.test('reset both ways', (t) => sc.destroyAndReset(t, server, client, host))
  await t.test('refused', (t) => sc.refused(t, client, host))
  await t.test('listen twice', (t) => sc.listenTwice(t, server))
  await t.test('backpressure', (t) => sc.backpressure(t, server, client, host, { bytes: 64 * MiB, pauseMs: 1000 }))
})

t.test('cleanup removes children, taps, namespaces, sockets and DPDK files of dead pids', async (t) => {
  const ns = createNetns(t)
  const tap = tapName()
  createKernelTap(tap, undefined, t)
  t.ok(run('ip', ['link', 'show', 'dev', tap]).ok, `tap ${tap} exists`)
  const sock = memifSocket()
  fs.writeFileSync(sock, '')
  const sleeper = spawn('sleep', ['300'], { stdio: 'ignore' })
  cleanup.child(sleeper)
  // A dead pid with leftover DPDK runtime files (as a crashed stack would leave).
  const dead = spawn('true')
  await new Promise((r) => dead.once('exit', r))
  const runtime = path.join(DPDK_RUN_DIR, `gazelle-${dead.pid}`)
  fs.mkdirSync(runtime, { recursive: true })
  fs.writeFileSync(path.join(runtime, 'config'), '')
  cleanup.dpdkPids.add(dead.pid!)
  const lookalike = path.join(DPDK_RUN_DIR, `gazelle-${dead.pid}1`)
  fs.mkdirSync(lookalike, { recursive: true })
  t.same(dpdkFilesOf(dead.pid!), [runtime], 'only files of that exact pid are matched')
  fs.rmSync(lookalike, { recursive: true })

  t.ok(cleanup.leftovers().length >= 4, 'leftovers are seen before cleanup')
  await cleanup.run()
  t.same(cleanup.leftovers(), [], 'nothing left')
  t.notOk(run('ip', ['link', 'show', 'dev', tap]).ok, 'tap deleted')
  t.notOk(fs.existsSync(`/run/netns/${ns}`), 'namespace deleted')
  t.notOk(fs.existsSync(sock), 'socket file deleted')
  t.notOk(fs.existsSync(runtime), 'DPDK runtime dir of the dead pid deleted')
  t.ok(sleeper.exitCode !== null || sleeper.signalCode !== null, 'child killed')
})
