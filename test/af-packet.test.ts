// A stack attached to an existing kernel interface with net_af_packet: one end of a
// veth pair, inside a network namespace made for this test; the kernel talks to it
// through the other end (10.30.0.0/24 exists only in that namespace).
import t from 'tap'
import { cleanup, createNetns, execIn, run } from './helpers/cleanup'
import { needStack, StackProcess } from './helpers/harness'

cleanup.hook(t)
const curl = ['-sS', '--noproxy', '*', '--max-time', '10']

function inNs(netns: string, args: string[]): void {
  const r = run('ip', ['-n', netns, ...args])
  if (!r.ok) throw new Error(`ip -n ${netns} ${args.join(' ')} failed: ${r.out}`)
}

t.test('af_packet: the kernel reaches a stack attached to a veth (ping, curl)', needStack(), async (t) => {
  const netns = createNetns(t)
  // Names are per namespace: the namespace is new, so fixed names cannot clash.
  inNs(netns, ['link', 'add', 'gzstk', 'type', 'veth', 'peer', 'name', 'gzhost'])
  inNs(netns, ['addr', 'add', '10.30.0.1/24', 'dev', 'gzhost'])
  inNs(netns, ['link', 'set', 'gzstk', 'up'])
  inNs(netns, ['link', 'set', 'gzhost', 'up'])
  // The kernel would send partial checksums and TSO frames into the veth (ARCHITECTURE.md).
  for (const dev of ['gzhost', 'gzstk']) {
    const r = await execIn(netns, 'ethtool', ['-K', dev, 'tx', 'off', 'tso', 'off', 'gso', 'off'], 5000)
    t.equal(r.code, 0, `ethtool -K ${dev} tx off ${r.stderr}`)
  }

  const stack = await StackProcess.start(t, { name: 'af-packet-stack', netns })
  await stack.createStack({ device: { type: 'af_packet', iface: 'gzstk' }, ip: '10.30.0.2/24' })

  const ping = await execIn(netns, 'ping', ['-c', '3', '-W', '2', '10.30.0.2'], 20_000)
  t.equal(ping.code, 0, `ping exits 0\n${ping.stdout}${ping.stderr}`)
  t.match(ping.stdout, /3 packets transmitted, 3 received/, 'three replies')

  const { port } = await stack.call('httpServer', { port: 7000 })
  const get = await execIn(netns, 'curl', [...curl, `http://10.30.0.2:${port}/veth`])
  t.equal(get.code, 0, `curl exits 0 ${get.stderr}`)
  t.match(get.stdout, /^hello from gazelle GET \/veth 0 /, 'the stack-side http server answered')

  await stack.call('closeStack')
  await stack.stop()
})
