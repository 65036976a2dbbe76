// UDP between two stacks (two processes) over memif: a unicast echo of 10,000 datagrams
// of mixed sizes checked byte for byte, 32 KiB and 64 KiB datagrams fragmented at a
// 1500-byte MTU and reassembled, the receive buffer bound, and the socket's state
// errors compared call for call with node:dgram.
import t from 'tap'
import * as path from 'node:path'
import { cleanup, createNetns, execIn, memifSocket, run } from './helpers/cleanup'
import { needStack, REPO, StackProcess } from './helpers/harness'

cleanup.hook(t)

interface Exchange {
  count: number
  echoed: number
  mismatches: number
  duplicates: number
  retransmits: number
  sendErrors: number
  ms: number
}

interface Received {
  total: number
  distinct: number
  bad: number
  stats: { rxDropped: number; rxDatagrams: number } | null
}

async function pair(t: Parameters<typeof StackProcess.start>[0], mtu?: number) {
  const socket = memifSocket()
  const extra = mtu ? { mtu } : {}
  const server = await (await StackProcess.start(t, { name: 'udp-server' })).use('udp')
  await server.createStack({ device: { type: 'memif', role: 'server', socket }, ip: '10.11.0.1/24', ...extra })
  const client = await (await StackProcess.start(t, { name: 'udp-client' })).use('udp')
  await client.createStack({ device: { type: 'memif', role: 'client', socket }, ip: '10.11.0.2/24', ...extra })
  return { server, client, serverIp: '10.11.0.1', clientIp: '10.11.0.2' }
}

// Sizes around the edges: empty payload, tiny, one frame at MTU 9000 (8972 B), fragmented.
const MIXED = [8, 9, 64, 100, 512, 1000, 1472, 1473, 4096, 8972, 8973, 12000, 20000]

t.test('UDP over memif (MTU 9000): 10,000 datagrams of mixed sizes echoed intact', needStack(), async (t) => {
  const { server, client, serverIp } = await pair(t)
  const { port } = await server.call('udpEcho', {})
  // Window of 32 unanswered datagrams; one without an echo after 200 ms is sent again, so
  // a loss on a loaded machine costs time, not the test. Asserted: every datagram comes
  // back byte for byte, within 120 s, and resends stay under 5 % of the datagrams.
  const r = (await client.call('udpExchange', {
    host: serverIp, port, count: 10_000, sizes: MIXED, window: 32, retryMs: 200, timeoutMs: 120_000,
  }, 150_000)) as Exchange
  t.comment(`10k mixed: ${r.ms} ms, ${r.retransmits} resent, ${r.duplicates} duplicates`)
  t.equal(r.echoed, 10_000, 'every datagram echoed')
  t.equal(r.mismatches, 0, 'no echo differs from what was sent')
  t.equal(r.sendErrors, 0, 'no send failed')
  t.ok(r.retransmits < 500, `resends ${r.retransmits} < 5 %`)
})

t.test('UDP over memif at MTU 1500: 32 KiB and 64 KiB datagrams fragmented and reassembled', needStack(), async (t) => {
  const { server, client, serverIp } = await pair(t, 1500)
  const { port } = await server.call('udpEcho', {})
  const before = await server.call('stats')

  const big = (await client.call('udpExchange', {
    host: serverIp, port, count: 300, sizes: [32 * 1024], window: 4, retryMs: 300, timeoutMs: 60_000,
  }, 90_000)) as Exchange
  t.comment(`300 x 32 KiB: ${big.ms} ms, ${big.retransmits} resent`)
  t.equal(big.echoed, 300, 'every 32 KiB datagram echoed')
  t.equal(big.mismatches, 0, 'intact')

  const max = (await client.call('udpExchange', {
    host: serverIp, port, count: 20, sizes: [65507], window: 1, retryMs: 500, timeoutMs: 60_000,
  }, 90_000)) as Exchange
  t.equal(max.echoed, 20, 'twenty 65507-byte datagrams (the largest) echoed intact')
  t.equal(max.mismatches, 0)

  const after = await server.call('stats')
  const fragsIn = after.ipFrag.recv - before.ipFrag.recv
  const fragsOut = after.ipFrag.xmit - before.ipFrag.xmit
  // 32 KiB at MTU 1500 = 23 fragments; 64 KiB = 45.
  t.ok(fragsIn >= 300 * 23, `the server reassembled from ${fragsIn} fragments`)
  t.ok(fragsOut >= 300 * 23, `the server fragmented its echoes into ${fragsOut} fragments`)

  const tooBig = await client.call('udpSendOne', { host: serverIp, port, size: 65508 })
  t.match(tooBig, { error: { code: 'EMSGSIZE', message: `send EMSGSIZE ${serverIp}:${port}` } },
    'one byte more: EMSGSIZE, as node:dgram')
})

t.test('a connected socket sends without an address', needStack(), async (t) => {
  const { server, client, serverIp } = await pair(t)
  const { port } = await server.call('udpEcho', {})
  const r = (await client.call('udpExchange', {
    host: serverIp, port, count: 1000, sizes: [64, 1400], window: 16, connect: true, timeoutMs: 60_000,
  }, 90_000)) as Exchange
  t.equal(r.echoed, 1000, 'every datagram echoed over the connected socket')
  t.equal(r.mismatches, 0)
})

t.test('the send buffer paces a sender: what it cannot take waits in order, nothing is lost locally', needStack(), async (t) => {
  const { server, client, serverIp } = await pair(t)
  const echo = await server.call('udpEcho', {})
  await client.call('udpExchange', { host: serverIp, port: echo.port, count: 1 }) // ARP resolved
  const { port } = await server.call('udpReceiver', { recvBufferSize: 64 * 1024 * 1024 })
  // 3000 x 1400 B (4 MiB) in one synchronous loop: far more than the 208 KiB send buffer.
  const r = await client.call('udpBlast', { host: serverIp, port, count: 3000, size: 1400, burst: 3000 })
  t.equal(r.errors, 0, 'every send callback succeeded')
  t.equal(r.outOfOrder, 0, 'callbacks ran in send order')
  t.ok(r.maxQueued > 0, `${r.maxQueued} sends waited for the send buffer`)
  const got = await waitReceived(server, port, 3000)
  t.comment(`received ${got.total} of 3000, receive-buffer drops ${got.stats?.rxDropped}`)
  t.equal(got.bad, 0, 'intact')
  t.ok(got.distinct >= 2700, `the receiver got ${got.distinct} of 3000 (>= 90 %; a pacing sender rarely overruns it)`)
})

t.test('loopback: sockets of one stack reach each other (own address, multicast loop)', needStack(), async (t) => {
  const { server, serverIp } = await pair(t)
  const { port } = await server.call('udpEcho', {})
  const r = (await server.call('udpExchange', { host: serverIp, port, count: 500, sizes: [64, 5000], window: 8 })) as Exchange
  t.equal(r.echoed, 500, 'datagrams to the stack\'s own address come back')
  t.equal(r.mismatches, 0)
  // IP_MULTICAST_LOOP is on by default, as in Linux: a member in the sender's stack hears it.
  const group = '239.9.9.9'
  const rx = await server.call('udpReceiver', { groups: [group] })
  const sent = await server.call('udpBlast', { host: group, port: rx.port, count: 50, size: 100, burst: 10 })
  t.equal(sent.errors, 0)
  const got = await waitReceived(server, rx.port, 50)
  t.equal(got.distinct, 50, 'multicast looped back to the member in the same stack')
  const quiet = await server.call('udpBlast', { host: group, port: rx.port, count: 50, size: 100, burst: 10, loopback: false, firstSeq: 50 })
  t.equal(quiet.errors, 0)
  await new Promise((resolve) => setTimeout(resolve, 300))
  const after = (await server.call('udpReceived', { port: rx.port })) as Received
  t.equal(after.distinct, 50, 'setMulticastLoopback(false): none of the next 50')
})

t.test('the receive buffer bounds what one poll holds: the rest is dropped and counted', needStack(), async (t) => {
  const { server, client, serverIp } = await pair(t)
  const echo = await server.call('udpEcho', {})
  await client.call('udpExchange', { host: serverIp, port: echo.port, count: 1 }) // ARP resolved
  const { port } = await server.call('udpReceiver', { recvBufferSize: 4096 })
  // 200 x 1000 B sent without yielding reach the receiver within a few polls.
  const sent = await client.call('udpBlast', { host: serverIp, port, count: 200, size: 1000, burst: 200 })
  t.equal(sent.errors, 0)
  const r = (await waitReceived(server, port, 200)) as Received
  t.equal(r.bad, 0, 'what arrived is intact')
  t.ok(r.stats && r.stats.rxDropped > 0, `dropped ${r.stats?.rxDropped}`)
  t.equal(r.total + (r.stats?.rxDropped ?? 0), 200, 'received + dropped = sent')
  t.ok(r.total >= 4, `received ${r.total}`)
  const stats = await server.call('stats')
  t.equal(stats.udp.rxBufferDrops, r.stats?.rxDropped, 'stack.stats().udp.rxBufferDrops counts them')
})

async function waitReceived(p: StackProcess, port: number, want: number): Promise<Received> {
  const end = Date.now() + 10_000
  let last: Received
  for (;;) {
    last = (await p.call('udpReceived', { port })) as Received
    if (last.total + (last.stats?.rxDropped ?? 0) >= want || Date.now() > end) return last
    await new Promise((r) => setTimeout(r, 100))
  }
}

t.test('state errors: the stack socket answers every call as node:dgram does', needStack(), async (t) => {
  const { client, serverIp } = await pair(t)
  // The kernel reference runs in a namespace of its own (a veth pair with a multicast
  // route), so its IGMP reports and sends stay inside it.
  const netns = createNetns(t)
  for (const args of [
    ['link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1'],
    ['addr', 'add', '10.50.0.1/24', 'dev', 'v0'],
    ['link', 'set', 'v0', 'up'],
    ['link', 'set', 'v1', 'up'],
    ['route', 'add', '224.0.0.0/4', 'dev', 'v0'],
    ['route', 'add', 'default', 'dev', 'v0'],
  ]) {
    const r = run('ip', ['-n', netns, ...args])
    t.ok(r.ok, `ip ${args.join(' ')} ${r.out}`)
  }
  const kernel = await (await StackProcess.start(t, { kernel: true, netns, name: 'kernel-dgram' })).use('udp')
  const want = (await kernel.call('udpStateErrors', { peer: '10.50.0.2' })) as Record<string, unknown>[]
  const got = (await client.call('udpStateErrors', { peer: serverIp })) as Record<string, unknown>[]
  t.equal(got.length, want.length, 'same number of outcomes')
  const peerless = (o: Record<string, unknown>) =>
    JSON.parse(JSON.stringify(o).replaceAll(serverIp, 'PEER').replaceAll('10.50.0.2', 'PEER'))
  for (let i = 0; i < want.length; i++) {
    t.same(peerless(got[i]), peerless(want[i]), String(want[i].label))
  }
})

t.test('a bound socket keeps the process alive; unref() lets it exit', needStack(), async (t) => {
  const program = (unref: boolean) => `
    const { createStack } = require(${JSON.stringify(path.join(REPO, 'packages/stack'))})
    createStack({ device: { type: 'memif', role: 'server', socket: ${JSON.stringify(memifSocket())} }, ip: '10.12.0.1/24' })
      .then((stack) => {
        const s = stack.createSocket('udp4')
        s.bind(0, () => { console.log('bound'); ${unref ? 's.unref()' : ''} })
      })`
  const unrefd = await execIn(undefined, process.execPath, ['-e', program(true)], 20_000)
  t.equal(unrefd.code, 0, `exits by itself once unref'd ${unrefd.stderr}`)
  t.match(unrefd.stdout, /bound/)
  const refd = await execIn(undefined, process.execPath, ['-e', program(false)], 4_000)
  t.match(refd.stdout, /bound/)
  t.match(refd.stderr, /killed after 4000 ms/, 'a ref\'d bound socket keeps it running (killed after 4 s)')
})
