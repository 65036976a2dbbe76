// memif frames up to 64 KiB (MTU 65000, near the most LwIP's 16-bit lengths hold):
// frames above one mbuf's 9 KB are mbuf chains in the process, received as chains of
// zero-copy pbufs and sent from pbufs copied into chains; on the ring each frame takes
// one whole memif buffer. Every byte is checked by sha256, and the
// port counters show the frames really were that large.
import t from 'tap'
import { cleanup, memifSocket } from './helpers/cleanup'
import { memifPair, needStack, StackProcess } from './helpers/harness'
import * as sc from './helpers/scenarios'

cleanup.hook(t)
const MiB = 1024 * 1024

t.test('memif at MTU 65000: 64 MiB echoed both ways over 4 connections, sha256-verified', needStack(), async (t) => {
  const { server, client, serverIp } = await memifPair(t, { mtu: 65000, serverIp: '10.10.9.1', clientIp: '10.10.9.2' })
  await sc.echoBulk(t, server, client, serverIp, { conns: 4, bytesPerConn: 16 * MiB, timeoutMs: 180_000 })
  const { port, lwipMemory } = await client.call('stats')
  const perFrame = port.rxBytes / port.rxPackets
  t.comment(`client port ${JSON.stringify(port)} lwipMemory ${JSON.stringify(lwipMemory)}`)
  // Half the frames are ACKs; data frames of ~64 KiB still put the mean far above 9000.
  t.ok(perFrame > 12000, `received frames average ${perFrame.toFixed(0)} bytes (> one 9 KB mbuf)`)
  t.equal(port.rxNoMbuf, 0, 'no frame lost for want of an mbuf')
})

t.test('memif: a 9000-MTU server and a 65000-MTU client: TCP takes the smaller MSS', needStack(), async (t) => {
  const socket = memifSocket()
  const server = await StackProcess.start(t, { name: 'memif-server-9000' })
  await server.createStack({ device: { type: 'memif', role: 'server', socket }, ip: '10.10.9.1/24' })
  const client = await StackProcess.start(t, { name: 'jumbo-client' })
  await client.createStack({ device: { type: 'memif', role: 'client', socket }, ip: '10.10.9.2/24', mtu: 65000 })
  await sc.echoBulk(t, server, client, '10.10.9.1', { conns: 2, bytesPerConn: 4 * MiB, timeoutMs: 120_000 })
  const { port } = await server.call('stats')
  t.ok(port.rxBytes / port.rxPackets <= 9014, 'the 9000-MTU end never received a larger frame')
})

// memif checksums: false on both ends: no sums computed or checked (as on loopback), the
// data intact. On one end only: the end that checks drops every unsummed frame (their
// IP header sums fail first), so the connection never forms; nothing corrupt gets through.
t.test('memif checksums: false on both ends carries data; on one end only, nothing connects', needStack(), async (t) => {
  const pair = async (serverSums: boolean, clientSums: boolean, ip: string) => {
    const socket = memifSocket()
    const server = await StackProcess.start(t, { name: `memif-server-sums-${serverSums}` })
    await server.createStack({ device: { type: 'memif', role: 'server', socket, checksums: serverSums }, ip: `${ip}.1/24` })
    const client = await StackProcess.start(t, { name: `memif-client-sums-${clientSums}` })
    await client.createStack({ device: { type: 'memif', role: 'client', socket, checksums: clientSums }, ip: `${ip}.2/24` })
    return { server, client, host: `${ip}.1` }
  }
  const both = await pair(false, false, '10.10.10')
  await sc.echoBulk(t, both.server, both.client, both.host, { conns: 4, bytesPerConn: 4 * MiB, timeoutMs: 120_000 })
  t.equal((await both.server.call('stats')).tcp.chkerr, 0, 'nothing was checked, so nothing failed a check')
  await both.client.stop()
  await both.server.stop()

  const one = await pair(true, false, '10.10.11')
  const { port } = await one.server.call('listen', { mode: 'echo' })
  await t.rejects(one.client.call('echoClients', { host: one.host, port, conns: 1, bytesPerConn: 100, timeoutMs: 4000 }),
    'a client that does not sum cannot reach a server that checks')
  const { ip, tcp } = await one.server.call('stats')
  t.ok(ip.chkerr + tcp.chkerr > 0, `the server counted the unsummed frames (ip.chkerr ${ip.chkerr}, tcp.chkerr ${tcp.chkerr})`)
})
