// The stack's own fault injection (option `faults`, GAZELLE_FAULTS, stack.setFaults,
// gazellectl set faults): frames are dropped, duplicated, reordered, corrupted and
// delayed as asked, each fault is counted, TCP still delivers every byte, and turning it
// off stops it.
import t from 'tap'
import { cleanup, memifSocket } from './helpers/cleanup'
import { ctlJson, gazellectl } from './helpers/ctl'
import { needStack, StackProcess } from './helpers/harness'

cleanup.hook(t)

const MiB = 1024 * 1024
const KINDS = ['Dropped', 'Duplicated', 'Reordered', 'Corrupted'] as const

t.test('injected faults are counted and TCP repairs them', needStack(), async (t) => {
  const socket = memifSocket()
  const server = await (await StackProcess.start(t, { name: 'faulty-server' })).use('bulk')
  cleanup.files.add(`/run/gazelle/ctl/${server.pid}.sock`)
  await server.createStack({
    device: { type: 'memif', role: 'server', socket }, ip: '10.10.0.1/24',
    faults: { drop: 0.02, duplicate: 0.01, reorder: 0.05, corrupt: 0.01 },
  })
  // the other side takes its faults from the environment
  const client = await (await StackProcess.start(t, { name: 'faulty-client', env: { GAZELLE_FAULTS: 'tx.drop=2%,tx.dup=1%' } })).use('bulk')
  await client.createStack({ device: { type: 'memif', role: 'client', socket }, ip: '10.10.0.2/24' })

  const { port } = await server.call('bulkServer', {})
  for (const direction of ['up', 'down'] as const) {
    const r = await client.call('bulkTransfer', { host: '10.10.0.1', port, bytes: 8 * MiB, direction, timeoutMs: 90_000 }, 100_000)
    t.ok(r.ok, `8 MiB ${direction} intact through the faults${r.error ? `: ${r.error}` : ''}`)
  }
  const f = await server.call('faultCounters')
  t.equal(f.active, 1, 'the server injects')
  for (const dir of ['rx', 'tx']) {
    for (const k of KINDS) t.ok(f[`${dir}${k}`] > 0, `${dir} ${k.toLowerCase()}: ${f[`${dir}${k}`]}`)
  }
  const c = await client.call('faultCounters')
  t.ok(c.txDropped > 0 && c.txDuplicated > 0 && c.rxDropped === 0, `GAZELLE_FAULTS applied to the client's tx only: ${JSON.stringify(c)}`)

  const stats = await ctlJson(['stats', String(server.pid)])
  t.equal(stats.counters.faults.rxDropped >= f.rxDropped, true, 'gazellectl stats has the fault counters')
  const text = await gazellectl(['stats', String(server.pid)])
  t.match(text.stdout, /Faults\s+rx dropped/, 'and shows them')
  const off = await gazellectl(['set', 'faults', 'off', String(server.pid)])
  t.equal(off.code, 0, off.stderr)
  t.match(off.stdout, /fault injection off/)
  t.equal((await server.call('faultCounters')).active, 0, 'off at run time')
  await client.call('setFaults', { spec: null })
  const r = await client.call('bulkTransfer', { host: '10.10.0.1', port, bytes: 4 * MiB, direction: 'up', timeoutMs: 30_000 }, 40_000)
  t.ok(r.ok, 'traffic flows after faults are off')
  const after = await server.call('faultCounters')
  t.equal(after.rxDropped + after.txDropped, 0, 'nothing more injected (counters restart when set)')
})

t.test('an injected delay holds every frame', needStack(), async (t) => {
  const socket = memifSocket()
  const server = await (await StackProcess.start(t, { name: 'delay-server' })).use('bulk')
  await server.createStack({ device: { type: 'memif', role: 'server', socket }, ip: '10.10.0.1/24' })
  const client = await (await StackProcess.start(t, { name: 'delay-client' })).use('bulk')
  await client.createStack({ device: { type: 'memif', role: 'client', socket }, ip: '10.10.0.2/24' })
  const { port } = await server.call('bulkServer', {})
  await client.call('setFaults', { spec: 'tx.delay=40ms' })
  // a 1-byte upload: SYN, data, FIN each wait 40 ms on the way out: the exchange takes
  // several round trips of at least 40 ms
  const r = await client.call('bulkTransfer', { host: '10.10.0.1', port, bytes: 1, direction: 'up', timeoutMs: 30_000 }, 40_000)
  t.ok(r.ok, 'delivered')
  t.ok(r.ms >= 80, `took ${Math.round(r.ms)} ms: at least two delayed round trips`)
  const f = await client.call('faultCounters')
  t.ok(f.txDelayed >= 3, `tx frames delayed: ${f.txDelayed}`)
})
