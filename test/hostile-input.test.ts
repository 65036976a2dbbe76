// Hostile input: a scapy barrage of malformed frames (test/helpers/barrage.py: bad
// checksums, truncations, bad IHL/lengths/options, TCP flag combinations and bad
// options, overlapping and never-completed fragments, a ping of death, fuzzed
// IP/TCP/UDP/ICMP, ARP garbage, runt frames) at a stack on a tap, from the kernel side
// of a namespace made for the test. The process stays up, answers HTTP throughout, counts
// what it dropped, and its mbufs and LwIP memory return to where they were.
import t from 'tap'
import { cleanup, execIn } from './helpers/cleanup'
import { needStack, tapStack, waitFor } from './helpers/harness'

cleanup.hook(t)
const curl = ['-sS', '--noproxy', '*', '--max-time', '10', '-o', '/dev/null', '-w', '%{http_code}']
type Stats = Record<string, Record<string, number>>

t.test('tap: a malformed-frame barrage is counted and dropped; the stack keeps serving', needStack(), async (t) => {
  const { netns, name, hostIp, stackIp, stack } = await tapStack(t)
  const { port } = await stack.call('httpServer', { port: 7000 })
  const get = async () => (await execIn(netns, 'curl', [...curl, `http://${stackIp}:${port}/`], 15_000)).stdout
  t.equal(await get(), '200', 'served before the barrage')
  const neigh = await execIn(netns, 'ip', ['neigh', 'show', stackIp], 5000)
  const mac = /lladdr ([0-9a-f:]{17})/.exec(neigh.stdout)?.[1]
  t.ok(mac, `the stack's MAC is known to the kernel (${mac})`)
  const before: Stats = await stack.call('stats')

  const barrage = execIn(netns, '/usr/bin/python3', [`${__dirname}/helpers/barrage.py`, name, mac!, hostIp, stackIp, String(port)], 120_000)
  const during: string[] = []
  let running = true
  void barrage.finally(() => (running = false))  // execIn resolves, never rejects
  while (running && during.length < 20) {
    during.push(await get())
    await new Promise((resolve) => setTimeout(resolve, 300))
  }
  const r = await barrage
  t.equal(r.code, 0, `the barrage ran: ${r.stdout.trim()} ${r.code ? r.stderr.slice(-2000) : ''}`)
  t.ok(during.length > 0 && during.every((c) => c === '200'), `every request during the barrage answered (${during.join(' ')})`)

  t.equal(stack.exitInfo, null, 'the stack process did not exit')
  t.match(await stack.call('ping'), { kernel: false }, 'and answers')
  t.equal(await get(), '200', 'served after the barrage')
  const after: Stats = await stack.call('stats')
  const d = (group: string, key: string) => (after[group]?.[key] ?? 0) - (before[group]?.[key] ?? 0)
  t.ok(d('ip', 'chkerr') >= 100, `bad IP checksums counted (${d('ip', 'chkerr')})`)
  t.ok(d('tcp', 'chkerr') >= 100, `bad TCP checksums counted (${d('tcp', 'chkerr')})`)
  t.ok(d('ip', 'drop') + d('ipFrag', 'drop') + d('tcp', 'drop') + d('etharp', 'drop') > 0,
    `drops counted (ip ${d('ip', 'drop')} ipFrag ${d('ipFrag', 'drop')} tcp ${d('tcp', 'drop')} etharp ${d('etharp', 'drop')})`)

  // Fragments never completed are held until reassembly gives up on them (LwIP: 15 s).
  let last: Stats = after
  await waitFor(async () => {
    last = await stack.call('stats')
    return last.mempool.inUse <= before.mempool.inUse + 8 && last.lwipMemory.inUse <= before.lwipMemory.inUse + 8
  }, 40_000, 'mbufs and LwIP memory back to their baseline').catch((e) => {
    t.comment(`before: mempool ${JSON.stringify(before.mempool)} lwipMemory ${JSON.stringify(before.lwipMemory)}; ` +
      `now: mempool ${JSON.stringify(last.mempool)} lwipMemory ${JSON.stringify(last.lwipMemory)}`)
    throw e
  })
  t.pass(`mbufs in use ${last.mempool.inUse} (before ${before.mempool.inUse}), LwIP memory chunks ${last.lwipMemory.inUse} (before ${before.lwipMemory.inUse})`)
})
