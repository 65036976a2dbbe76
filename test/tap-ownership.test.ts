// Two processes, one tap name (cluster workers, PM2 instances, an overlapping restart), and
// two apps whose taps claim the same subnet. The process that got the device keeps it and
// keeps serving; the other fails with a typed error that names the owner, and exits
// without touching the first one's tap. All inside a network namespace made here.
import t from 'tap'
import { cleanup, createNetns, execIn, tapName } from './helpers/cleanup'
import { needStack, StackProcess } from './helpers/harness'

cleanup.hook(t)
const curl = ['-sS', '--noproxy', '*', '--max-time', '10']

t.test('a tap belongs to the process that created it', needStack(), async (t) => {
  const netns = createNetns(t)
  const name = tapName()
  const options = { device: { type: 'tap', name, hostIp: '10.20.0.1/24' }, ip: '10.20.0.2/24' }
  const a = await StackProcess.start(t, { name: 'first', netns })
  const b = await StackProcess.start(t, { name: 'second', netns })
  // Load the package in both first, so the race below is between the two createStack calls.
  for (const c of [a, b]) await c.call('tryCreateStack', { options: {} })

  // Both start at once, as cluster workers do: each checks the name, then spends a while
  // in DPDK's set-up before the tap exists.
  const results = await Promise.allSettled([a.createStack(options), b.createStack(options)])
  const won = results.map((r) => r.status === 'fulfilled')
  t.equal(won.filter(Boolean).length, 1, `exactly one process gets the tap: ${results.map((r) => r.status === 'rejected' ? String(r.reason) : 'ok').join(' | ')}`)
  const winner = won[0] ? a : b
  const loser = won[0] ? b : a
  const failure = results[won[0] ? 1 : 0] as PromiseRejectedResult
  t.equal(failure.reason.code, 'ERR_GAZELLE_DEVICE_EXISTS', 'the other gets ERR_GAZELLE_DEVICE_EXISTS')
  t.match(failure.reason.message, new RegExp(`${name}.*gazelle process ${winner.pid}`), `naming the owner's pid: ${failure.reason.message}`)

  const { port } = await winner.call('httpServer', { port: 7000 })
  const url = `http://10.20.0.2:${port}/hello`
  const before = await execIn(netns, 'curl', [...curl, url])
  t.match(before.stdout, /^hello from gazelle GET \/hello/, `the owner serves: ${before.stderr}`)

  const link = await execIn(netns, 'ip', ['link', 'show', 'dev', name])
  t.match(link.stdout, new RegExp(`alias gazelle pid ${winner.pid}`), 'the tap says which process made it (ip link show)')

  t.same(await loser.stop(), { code: 0, signal: null }, 'the other process exits cleanly')
  const after = await execIn(netns, 'curl', [...curl, url])
  t.match(after.stdout, /^hello from gazelle GET \/hello/, `the owner still serves after the other exited: ${after.stderr}`)

  await t.test('another tap on the same subnet: ERR_GAZELLE_SUBNET_IN_USE, the first keeps serving', async (t) => {
    const c = await StackProcess.start(t, { name: 'same-subnet', netns })
    const other = tapName()
    const r = await c.call('tryCreateStack', { options: { device: { type: 'tap', name: other, hostIp: '10.20.0.5/24' }, ip: '10.20.0.6/24' } }, 60_000)
    t.equal(r.code, 'ERR_GAZELLE_SUBNET_IN_USE', `typed error: ${r.message}`)
    t.match(r.message, new RegExp(`10\\.20\\.0\\.0/24.*dev ${name}, the tap of gazelle process ${winner.pid}`), 'names the route, the tap and its owner')
    const same = await c.call('tryCreateStack', { options: { device: { type: 'tap', name: other, hostIp: '10.20.0.1/24' }, ip: '10.20.0.7/24' } }, 60_000)
    t.equal(same.code, 'ERR_GAZELLE_SUBNET_IN_USE', `the same host address too: ${same.message}`)
    t.match(same.message, new RegExp(`address 10\\.20\\.0\\.1/24 on ${name}`))
    const gone = await execIn(netns, 'ip', ['link', 'show', 'dev', other])
    t.not(gone.code, 0, 'the failed attempts left no tap behind')
    t.same(await c.stop(), { code: 0, signal: null }, 'that process exits cleanly')
    const still = await execIn(netns, 'curl', [...curl, url])
    t.match(still.stdout, /^hello from gazelle GET \/hello/, `the first still serves: ${still.stderr}`)
  })

  await t.test('the owner closes: the tap goes, and the name is free again', async (t) => {
    await winner.call('closeStack')
    const r = await execIn(netns, 'ip', ['link', 'show', 'dev', name])
    t.not(r.code, 0, 'no tap after close')
    const again = await StackProcess.start(t, { name: 'next', netns })
    t.same(await again.call('tryCreateStack', { options }, 60_000), { ok: true }, 'a new process takes the name')
  })
})
