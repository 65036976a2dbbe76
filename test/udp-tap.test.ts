// UDP between stacks and the kernel through tap devices, inside a network namespace made
// for the test: node:dgram on the kernel side sends to and receives from a stack (unicast,
// fragmented datagrams, multicast both ways), and one stack's multicast reaches three
// receiving stack processes and a kernel receiver on a kernel bridge.
//
// Why a bridge and not memif for the fan-out: a memif socket can carry several interfaces
// (device.id), but each is a point-to-point link and one stack drives one port, so a
// sender would need one port per receiver. Taps joined by a Linux bridge make a real
// broadcast domain: every stack sees the same frames, as on a switch.
import t from 'tap'
import { cleanup, createNetns, execIn, run, tapName } from './helpers/cleanup'
import { needStack, StackProcess, tapStack } from './helpers/harness'

cleanup.hook(t)

interface Exchange { count: number; echoed: number; mismatches: number; retransmits: number; ms: number }
interface Received { total: number; distinct: number; bad: number; from: string[] }

const MIXED = [8, 64, 512, 1000, 1472, 1473, 3000, 9000, 20000]

async function received(p: StackProcess, port: number, want: number, ms = 10_000): Promise<Received> {
  const end = Date.now() + ms
  for (;;) {
    const r = (await p.call('udpReceived', { port })) as Received
    if (r.distinct >= want || Date.now() > end) return r
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

t.test('tap: node:dgram in the kernel and a stack exchange datagrams', needStack(), async (t) => {
  const { netns, name, hostIp, stackIp, stack } = await tapStack(t)
  await stack.use('udp')
  const kernel = await (await StackProcess.start(t, { kernel: true, netns, name: 'kernel-dgram' })).use('udp')

  await t.test('kernel client -> stack echo: 2,000 mixed sizes (some fragmented both ways)', async (t) => {
    const { port } = await stack.call('udpEcho', {})
    const r = (await kernel.call('udpExchange', {
      host: stackIp, port, count: 2000, sizes: MIXED, window: 16, retryMs: 250, timeoutMs: 60_000,
    }, 90_000)) as Exchange
    t.comment(`${r.ms} ms, ${r.retransmits} resent`)
    t.equal(r.echoed, 2000, 'every datagram came back')
    t.equal(r.mismatches, 0, 'byte for byte')
  })

  await t.test('stack client -> kernel echo (node:dgram bound to the host address)', async (t) => {
    const { port } = await kernel.call('udpEcho', { address: hostIp })
    const r = (await stack.call('udpExchange', {
      host: hostIp, port, count: 2000, sizes: MIXED, window: 16, retryMs: 250, timeoutMs: 60_000,
    }, 90_000)) as Exchange
    t.comment(`${r.ms} ms, ${r.retransmits} resent`)
    t.equal(r.echoed, 2000, 'every datagram came back')
    t.equal(r.mismatches, 0, 'byte for byte')
  })

  await t.test('datagrams the stack fragments carry a correct UDP checksum (tshark reassembles and checks)', async (t) => {
    // The kernel takes a zero ("none") checksum too, so only a capture can tell.
    const port = 9
    const capture = execIn(netns, 'tshark', [
      '-i', name, '-f', `udp and dst host ${hostIp}`, '-c', '15', '-a', 'duration:20',
      '-o', 'udp.check_checksum:TRUE', '-o', 'ip.defragment:TRUE', '-Y', `udp.dstport == ${port}`,
      '-T', 'fields', '-e', 'udp.length', '-e', 'udp.checksum.status',
    ], 30_000)
    let done = false
    void capture.then(() => (done = true))
    // Until the capture has its 15 frames (5 datagrams of 3 fragments): tshark takes a while to start.
    for (let i = 0; i < 20 && !done; i++) {
      await stack.call('udpBlast', { host: hostIp, port, count: 5, size: 3000, burst: 5 })
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
    const r = await capture
    const rows = r.stdout.trim().split('\n').filter(Boolean).map((l) => l.split('\t'))
    t.ok(rows.length > 0, `tshark decoded reassembled datagrams ${r.stderr.slice(-200)}`)
    for (const [length, status] of rows) {
      t.equal(length, '3008', 'a whole 3000-byte datagram')
      t.equal(status, '1', 'checksum status Good (0 = Bad, 2 = Unverified: none sent)')
    }
  })

  await t.test('multicast stack -> kernel: a node:dgram receiver that joined the group gets it all', async (t) => {
    const group = '239.1.2.3'
    const { port } = await kernel.call('udpReceiver', { groups: [group], iface: hostIp })
    const sent = await stack.call('udpBlast', { host: group, port, count: 300, size: 200, burst: 16, pauseMs: 2, ttl: 1 })
    t.equal(sent.errors, 0)
    const r = await received(kernel, port, 300)
    t.equal(r.distinct, 300, 'all 300 datagrams')
    t.equal(r.bad, 0, 'intact')
    t.same(r.from, [stackIp], 'from the stack')
  })

  await t.test('broadcast stack -> kernel: setBroadcast(true), then the subnet broadcast reaches node:dgram', async (t) => {
    const { port } = await kernel.call('udpReceiver', {})
    const sent = await stack.call('udpBlast', { host: '10.20.0.255', port, count: 50, size: 100, burst: 10, pauseMs: 1, broadcast: true })
    t.equal(sent.errors, 0)
    const r = await received(kernel, port, 50)
    t.equal(r.distinct, 50, 'all 50 datagrams')
    t.same(r.from, [stackIp])
  })

  await t.test('multicast kernel -> stack: the stack joins (IGMP) and receives', async (t) => {
    const group = '239.1.2.4'
    const { port } = await stack.call('udpReceiver', { groups: [group] })
    const sent = await kernel.call('udpBlast', {
      host: group, port, count: 300, size: 200, burst: 16, pauseMs: 1, ttl: 1, multicastInterface: hostIp,
    })
    t.equal(sent.errors, 0)
    const r = await received(stack, port, 300)
    t.equal(r.distinct, 300, 'all 300 datagrams')
    t.equal(r.bad, 0, 'intact')
    t.same(r.from, [hostIp], 'from the kernel')
    const stats = await stack.call('stats')
    t.ok(stats.igmp.xmit > 0, `the stack sent IGMP reports (${stats.igmp.xmit})`)
  })
})

t.test('multicast: one stack sends, three stack processes and a kernel receiver each get every datagram', needStack(), async (t) => {
  const netns = createNetns(t)
  const ip = (args: string[]) => {
    const r = run('ip', ['-n', netns, ...args])
    if (!r.ok) throw new Error(`ip -n ${netns} ${args.join(' ')}: ${r.out}`)
  }
  // Snooping off: the bridge floods multicast like a plain switch, so what each stack
  // accepts is decided by its own group membership (IGMP state in LwIP).
  ip(['link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0'])
  ip(['link', 'set', 'br0', 'up'])
  const stacks: StackProcess[] = []
  for (let k = 0; k < 4; k++) {
    const name = tapName()
    const p = await (await StackProcess.start(t, { netns, name: k === 0 ? 'mc-sender' : `mc-receiver-${k}` })).use('udp')
    await p.createStack({ device: { type: 'tap', name, hostIp: '10.30.0.1/24' }, ip: `10.30.0.${10 + k}/24` })
    ip(['addr', 'flush', 'dev', name]) // the bridge holds the kernel's address
    ip(['link', 'set', name, 'master', 'br0'])
    stacks.push(p)
  }
  ip(['addr', 'add', '10.30.0.1/24', 'dev', 'br0'])
  const [sender, ...receivers] = stacks
  const kernel = await (await StackProcess.start(t, { kernel: true, netns, name: 'mc-kernel' })).use('udp')

  const group = '239.7.7.7'
  const port = 5007
  for (const r of receivers) await r.call('udpReceiver', { port, groups: [group] })
  await kernel.call('udpReceiver', { port, groups: [group], iface: '10.30.0.1' })

  const sent = await sender.call('udpBlast', { host: group, port, count: 500, size: 300, burst: 8, pauseMs: 1, ttl: 1 })
  t.equal(sent.errors, 0)
  for (const [i, r] of [...receivers, kernel].entries()) {
    const got = await received(r, port, 500)
    const who = i < 3 ? `stack receiver ${i + 1}` : 'kernel receiver'
    t.equal(got.distinct, 500, `${who}: all 500 datagrams`)
    t.equal(got.bad, 0, `${who}: intact`)
  }

  // A receiver that leaves the group hears no more; the others do.
  await receivers[2].call('udpMembership', { port, group, join: false })
  const more = await sender.call('udpBlast', { host: group, port, count: 100, size: 300, burst: 8, pauseMs: 1, ttl: 1, firstSeq: 500 })
  t.equal(more.errors, 0)
  for (const r of receivers.slice(0, 2)) t.equal((await received(r, port, 600)).distinct, 600, 'a member got 100 more')
  await new Promise((resolve) => setTimeout(resolve, 300))
  const left = (await receivers[2].call('udpReceived', { port })) as Received
  t.equal(left.distinct, 500, 'the receiver that left got none of them')
})
