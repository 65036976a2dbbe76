// HealthMonitor's decisions from counter snapshots: link events, pool exhaustion,
// malformed drops summed across rate-limited lines, the metrics line.
import t from 'tap'
import { HealthMonitor, malformedCounts } from '../src/health-monitor'
import { StackLog } from '../src/log'

type Counters = Record<string, Record<string, number>>

function setup(memif = true, metricsEvery = 0) {
  const records: any[] = []
  const keep = (level: string) => (obj: object, msg?: string) => records.push({ level, msg, ...obj })
  const log = new StackLog({ error: keep('error'), warn: keep('warn'), info: keep('info'), debug: keep('debug') }, 'info')
  const state = {
    up: true,
    c: { port: { rxDropped: 0, rxNoMbuf: 0, rxPackets: 0 }, mempool: { free: 100, size: 100 }, tcp: { chkerr: 0, memerr: 0 } } as Counters,
  }
  const mon = new HealthMonitor({ stats: () => structuredClone(state.c), linkUp: () => state.up, device: 'memif:x', memif }, log, metricsEvery)
  t.teardown(() => mon.stop())
  return { records, state, mon }
}

t.test('malformedCounts sums each reason over the protocols (not unknown ethertypes)', async (t) => {
  const c = { port: { rxDropped: 2 }, ip: { chkerr: 1, lenerr: 2 }, tcp: { chkerr: 3, proterr: 1 }, udp: { opterr: 4 }, etharp: { proterr: 9 } }
  t.same(malformedCounts(c), { undeliverable: 2, chkerr: 4, lenerr: 2, proterr: 1, opterr: 4 })
})

t.test('memif connect and disconnect', async (t) => {
  const { records, state, mon } = setup(true)
  state.up = false
  mon.check()
  state.up = true
  mon.check()
  mon.check()
  t.same(records.map((r) => [r.level, r.event]), [['warn', 'memif-disconnect'], ['info', 'memif-connect']])
})

t.test('memif client reconnecting: a line while it tries (rate-limited), the attempts on connect', async (t) => {
  const { records, state, mon } = setup(true)
  state.c.port.reconnects = 7   // attempts from an earlier outage do not count
  state.up = false
  mon.check()
  mon.check()   // no attempt yet: nothing
  state.c.port.reconnects = 9
  mon.check()
  state.c.port.reconnects = 12
  mon.check()   // within 10 s of the last line: not logged
  state.up = true
  mon.check()
  t.same(records.map((r) => [r.level, r.event]), [['warn', 'memif-disconnect'], ['info', 'memif-reconnecting'], ['info', 'memif-connect']])
  t.match(records[1], { attempts: 2, device: 'memif:x' })
  t.match(records[2], { reconnects: 5 })
  t.ok(records[2].downMs >= 0)
})

t.test('link up/down for other devices', async (t) => {
  const { records, state, mon } = setup(false)
  state.up = false
  mon.check()
  t.equal(records[0].event, 'link-down')
})

t.test('malformed drops: one line per interval, nothing lost in between', async (t) => {
  const { records, state, mon } = setup()
  state.c.port.rxDropped = 3
  mon.check()
  state.c.tcp.chkerr = 2
  mon.check()   // within 10 s: not logged
  t.equal(records.length, 1)
  t.same(records[0], { level: 'warn', msg: 'malformed packets dropped', event: 'malformed-dropped', device: 'memif:x', dropped: 3, byReason: { undeliverable: 3, chkerr: 0, lenerr: 0, proterr: 0, opterr: 0 } })
  mon.check()   // no new drops: nothing
  t.equal(records.length, 1)
})

t.test('pool exhaustion on rx without mbufs or a full pool', async (t) => {
  const { records, state, mon } = setup()
  state.c.port.rxNoMbuf = 5
  state.c.mempool.free = 0
  mon.check()
  t.equal(records.length, 1)
  t.match(records[0], { level: 'warn', event: 'pool-exhausted', mempoolFree: 0, rxNoMbuf: 5 })
})

t.test('metrics line with rates', async (t) => {
  const { records, state, mon } = setup(true, 1000)
  state.c.port.rxPackets = 1000
  await new Promise((r) => setTimeout(r, 1100))
  mon.check()
  const m = records.find((r) => r.event === 'metrics')
  t.ok(m, 'metrics line logged')
  t.ok(m.rxPps > 0 && m.rxPps <= 1000, `rxPps ${m?.rxPps}`)
})
