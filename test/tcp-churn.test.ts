// Ephemeral ports and the connection limit, between two stacks over memif. Ports are
// per destination (RFC 6056): when every port toward one server is taken, connect fails
// with node's EADDRNOTAVAIL, while another server still gets connections; at
// maxConnections connect fails with EMFILE; once connections are closed (the client's
// end in TIME-WAIT), new connections to the same server succeed: a TIME-WAIT makes room
// at the limit, and a TIME-WAIT port is taken over once the range is used up.
import t from 'tap'
import { cleanup, memifSocket } from './helpers/cleanup'
import { StackProcess, needStack } from './helpers/harness'

cleanup.hook(t)
const RANGE = 60999 - 32768 + 1   // Linux's ephemeral range, as the stack's
const OTHER = 100                 // connections to a second server port
const LIMIT = RANGE + OTHER

t.test('memif: ports run out per destination (EADDRNOTAVAIL), the limit is EMFILE, TIME-WAIT is reused', needStack(), async (t) => {
  const socket = memifSocket()
  const server = await StackProcess.start(t, { name: 'churn-server' })
  await server.createStack({ device: { type: 'memif', role: 'server', socket }, ip: '10.10.0.1/24' })
  const client = await StackProcess.start(t, { name: 'churn-client' })
  await client.createStack({ device: { type: 'memif', role: 'client', socket }, ip: '10.10.0.2/24', maxConnections: LIMIT })
  await client.use('conns')
  const a = (await server.call('listen', { mode: 'echo' })).port
  const b = (await server.call('listen', { mode: 'echo' })).port
  const host = '10.10.0.1'

  const toA = await client.call('connsHold', { host, port: a, count: RANGE }, 180_000)
  t.same(toA, { ok: RANGE, codes: {} }, `all ${RANGE} ports toward ${host}:${a} connected`)
  const full = await client.call('connectOnce', { host, port: a })
  t.equal(full.code, 'EADDRNOTAVAIL', 'one more toward the same server: EADDRNOTAVAIL')
  t.match(full.message, new RegExp(`^connect EADDRNOTAVAIL ${host.replace(/\./g, '\\.')}:${a}`), 'with node\'s message')

  const toB = await client.call('connsHold', { host, port: b, count: OTHER }, 60_000)
  t.same(toB, { ok: OTHER, codes: {} }, 'another server port still gets connections (ports are per destination)')
  const limit = await client.call('connectOnce', { host, port: b })
  t.equal(limit.code, 'EMFILE', `past maxConnections (${LIMIT}): EMFILE`)

  const released = await client.call('connsRelease', {}, 60_000).catch(async (e) => {
    for (const [name, p] of [['server', server], ['client', client]] as const) {
      const st = await p.call('stats')
      t.comment(`${name}: port ${JSON.stringify(st.port)} tcp ${JSON.stringify(st.tcp)} mempool ${JSON.stringify(st.mempool)}`)
    }
    throw e
  })
  t.equal(released, LIMIT, 'all closed by the client')
  const tw = await client.call('tcpStats')
  t.equal(tw.timeWait, tw.pcbs, `the client keeps only TIME-WAITs (${tw.timeWait})`)
  await new Promise((resolve) => setTimeout(resolve, 1200))   // take-over needs a TIME-WAIT over 1 s old
  const again = await client.call('connsHold', { host, port: a, count: 1000 }, 60_000)
  t.same(again, { ok: 1000, codes: {} }, '1000 new connections toward the same server succeed (TIME-WAITs make room and give up their ports)')
  const after = await client.call('tcpStats')
  t.ok(after.pcbs <= LIMIT, `the table stays within maxConnections (${after.pcbs})`)
  await client.call('connsRelease', {}, 60_000)
})
