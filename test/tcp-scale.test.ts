// Connection scale between two stacks over memif: 10,000 connections opened in bursts of
// 500, each echoing a few bytes, held, then closed; none fails (no ETIMEDOUT from a burst
// whose SYNs or ACKs were lost), and both connection tables empty afterwards (the side
// that closed first keeps its TIME-WAITs, counted apart). The 100,000-connection run is
// a benchmark: npm run bench -- reliability/conns.
import t from 'tap'
import { cleanup, memifSocket } from './helpers/cleanup'
import { StackProcess, needStack, waitFor } from './helpers/harness'

cleanup.hook(t)

t.test('memif: 10,000 connections in bursts of 500 all connect, echo and close', needStack(), async (t) => {
  const socket = memifSocket()
  const server = await StackProcess.start(t, { name: 'scale-server' })
  await server.createStack({ device: { type: 'memif', role: 'server', socket }, ip: '10.10.0.1/24' })
  const client = await StackProcess.start(t, { name: 'scale-client' })
  await client.createStack({ device: { type: 'memif', role: 'client', socket }, ip: '10.10.0.2/24' })
  await client.use('conns')
  await server.use('conns')
  const { port } = await server.call('listen', { mode: 'echo' })

  const [open, closed] = await client.call('connsRun', { host: '10.10.0.1', port, count: 10_000, burst: 500, bytes: 32 }, 240_000)
  t.comment(`open ${JSON.stringify(open)} closed ${JSON.stringify(closed)}`)
  t.equal(open.ok, 10_000, 'all 10,000 connected and echoed')
  t.same(open.codes, {}, 'no connection failed')

  let last: Record<string, number> = {}
  const s = await waitFor(async () => {
    last = await server.call('tcpStats')
    return last.pcbs === 0 && last.sockets === 1 && last
  }, 30_000, 'the server table to empty').catch((e) => {
    t.comment(`server tcp: ${JSON.stringify(last)}`)
    throw e
  })
  t.equal(s.pcbs, 0, 'server: no connection left (it closed second: no TIME-WAIT)')
  t.equal(s.sockets, 1, 'server: only the listener left')
  const c = await client.call('tcpStats')
  t.comment(`server tcp ${JSON.stringify(s)}\nclient tcp ${JSON.stringify(c)}`)
  t.equal(c.sockets, 0, 'client: no socket left')
  t.equal(c.pcbs, c.timeWait, `client: only TIME-WAITs left (${c.timeWait})`)
})
