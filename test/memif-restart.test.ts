// A memif peer that dies and comes back on the same socket: the surviving stack's link
// returns by itself, new connections work, and a connection to the dead peer ends with
// a Node error (the new peer answers its next segment with RST: ECONNRESET) instead of
// hanging. Both ways: the server process restarts, then the client process does.
import t from 'tap'
import { cleanup, memifSocket } from './helpers/cleanup'
import { StackProcess, needStack, waitFor } from './helpers/harness'

cleanup.hook(t)
const SERVER_IP = '10.10.0.1'
const CLIENT_IP = '10.10.0.2'

t.test('memif: a peer restart brings the link back; old connections end with ECONNRESET', needStack(), async (t) => {
  const socket = memifSocket()
  const startServer = async () => {
    const p = await StackProcess.start(t, { name: 'restart-server' })
    await p.createStack({ device: { type: 'memif', role: 'server', socket }, ip: `${SERVER_IP}/24` })
    await p.use('conns')
    return p
  }
  const startClient = async () => {
    const p = await StackProcess.start(t, { name: 'restart-client' })
    await p.use('conns', 'ops')
    await p.call('createStackWithLog', { options: { device: { type: 'memif', role: 'client', socket }, ip: `${CLIENT_IP}/24`, logLevel: 'info' } }, 60_000)
    return p
  }
  const linkUp = async (p: StackProcess) => (await p.call('stats')).port.linkUp === 1
  let server = await startServer()
  const client = await startClient()
  const port = (await server.call('listen', { mode: 'echo', port: 7000 })).port

  t.same(await client.call('connsHold', { host: SERVER_IP, port, count: 2 }), { ok: 2, codes: {} }, 'two connections open')
  server.child.kill('SIGKILL')
  await server.stop()
  await waitFor(async () => !(await linkUp(client)), 10_000, 'the client to see the link down')
  t.pass('the client saw the link go down')
  await waitFor(async () => (await client.call('logRecords')).some((r: any) => r.event === 'memif-reconnecting' && r.attempts > 0),
    10_000, 'the client to log its reconnection attempts')
  t.pass('the client logged its reconnection attempts while the link was down')

  server = await startServer()
  const restartedAt = Date.now()
  await server.call('listen', { mode: 'echo', port })
  await waitFor(() => linkUp(client), 15_000, 'the client link to come back')
  t.pass(`the client's link came back ${Date.now() - restartedAt} ms after the new server's stack opened`)
  const { text, stats } = await client.call('metricsText')
  t.ok(stats.port.reconnects > 0, 'the client counted its reconnection attempts')
  const metric = text.split('\n').find((l: string) => l.startsWith('gazelle_memif_reconnects_total{'))
  t.equal(Number(metric?.split(' ').pop()), stats.port.reconnects, 'and Prometheus has them (gazelle_memif_reconnects_total)')
  const logs: any[] = await waitFor(async () => {
    const l: any[] = await client.call('logRecords')
    return l.some((r) => r.event === 'memif-connect' && r.reconnects > 0) ? l : null
  }, 10_000, 'memif-connect with its reconnection attempts in the log')
  t.ok(logs.some((r) => r.event === 'memif-disconnect'), 'the client logged the link going down')
  t.same(await client.call('connectOnce', { host: SERVER_IP, port }), { ok: true }, 'a new connection works')
  t.same(await client.call('connsWrite', { timeoutMs: 60_000 }), { ECONNRESET: 2 }, 'the old connections end with ECONNRESET at their next write')

  // The other way: the client process restarts; the server keeps its socket and listener.
  t.same(await client.call('connsHold', { host: SERVER_IP, port, count: 1 }), { ok: 1, codes: {} }, 'a connection to the server')
  client.child.kill('SIGKILL')
  await client.stop()
  await waitFor(async () => !(await linkUp(server)), 10_000, 'the server to see the link down')
  const client2 = await startClient()
  await waitFor(() => linkUp(server), 15_000, 'the server link to come back')
  t.same(await client2.call('connectOnce', { host: SERVER_IP, port }), { ok: true }, 'the restarted client connects')
})
