// Two Node processes over memif: 32 concurrent connections echo 64 MiB of random data
// each way (2 MiB per connection), every byte checked by sha256 on both sides.
import t from 'tap'
import { cleanup } from './helpers/cleanup'
import { memifPair, needStack } from './helpers/harness'
import * as sc from './helpers/scenarios'

cleanup.hook(t)
const MiB = 1024 * 1024

t.test('memif: 64 MiB echoed both ways over 32 connections, sha256-verified', needStack(), async (t) => {
  const { server, client, serverIp } = await memifPair(t)
  await t.test('64 connections opened at once to a peer not yet in the ARP table all connect', async (t) => {
    // Every SYN waits for the one ARP reply; one that is dropped meanwhile comes back only
    // with TCP's 3 s initial retransmission, so the burst taking < 2.5 s means none was.
    const { port } = await server.call('listen', { mode: 'echo' })
    const { results, ms } = await client.call('echoClients', { host: serverIp, port, conns: 64, bytesPerConn: 100 })
    t.equal(results.filter((r: { received: number }) => r.received === 100).length, 64, 'all 64 echoed')
    t.ok(ms < 2500, `the burst took ${ms.toFixed(0)} ms`)
  })
  await sc.echoBulk(t, server, client, serverIp, { conns: 32, bytesPerConn: 2 * MiB, timeoutMs: 180_000 })
  // Counters for whoever reads the log (drops and retransmissions explain slow runs).
  for (const [name, p] of [['server', server], ['client', client]] as const) {
    const s = await p.call('stats')
    t.comment(`${name} stats: port ${JSON.stringify(s.port)} tcp ${JSON.stringify(s.tcp)} mempool ${JSON.stringify(s.mempool)} poll ${JSON.stringify(s.poll)}`)
  }
})
