// The stats/rates, conns and latency screens fit 80 columns and show what they must.
import t from 'tap'
import type { ConnEntry, StatsResult } from '@gazelle/stack'
import { formatConns, stateName } from '../src/conns-view'
import { formatCounters } from '../src/counters-view'
import { formatLatency } from '../src/latency-view'
import { busyRatio, rates } from '../src/rates'

const proto = (n: number) => ({ xmit: n, recv: n, drop: 0, chkerr: 0, lenerr: 0, memerr: 0, rterr: 0, proterr: 0, opterr: 0, err: 0 })
const counters = (k: number) => ({
  port: { rxPackets: 1000 * k, txPackets: 900 * k, rxBytes: 1.5e6 * k, txBytes: 1.2e6 * k, rxMissed: 0, rxErrors: 0, txErrors: 0, txDropped: 0, txBacklog: 3, rxNoMbuf: 0, rxDropped: 0, linkUp: 1, txNoMbuf: 0, reconnects: 7 * k },
  mempool: { size: 8191, inUse: 100, free: 8091 },
  lwipMemory: { reservedBytes: 1 << 20, chunks: 3, inUse: 6144 },
  poll: { polls: 10_000 * k, busyPolls: 2500 * k, rxBursts: 800 * k, events: 500 * k, batches: 400 * k, sleeps: 3, wakeups: 0 },
  link: proto(0), etharp: proto(2), ip: proto(1000 * k), ipFrag: proto(0), icmp: proto(0), udp: proto(0),
  tcp: { ...proto(1000 * k), sockets: 4, pcbs: 12, timeWait: 5 },
})

t.test('rates divide by the time between samples; levels stay levels', async (t) => {
  const a: StatsResult = { time: 1000, uptimeMs: 0, counters: counters(1) }
  const b: StatsResult = { time: 3000, uptimeMs: 2000, counters: counters(3) }
  const r = rates(a, b)
  t.equal(r.port.rxPackets, 1000)
  t.equal(r.port.txBacklog, 3, 'a level, not a rate')
  t.equal(r.mempool.inUse, 100)
  t.equal(r.tcp.sockets, 4)
  t.equal(r.tcp.timeWait, 5, 'the connection table is a level')
  t.equal(r.lwipMemory.inUse, 6144, 'LwIP memory in use is a level')
  t.equal(r.port.reconnects, 7, 'memif reconnection attempts per second')
  t.equal(busyRatio(counters(1)), 0.25)
})

t.test('stats screen fits 80 columns and names every group', async (t) => {
  for (const kind of ['total', 'rate'] as const) {
    const lines = formatCounters(counters(1), kind)
    t.ok(lines.every((l) => l.length <= 80), `${kind}: ${Math.max(...lines.map((l) => l.length))} columns`)
    const text = lines.join('\n')
    for (const word of ['Port', 'Mempool', 'Poll', 'LwIP', 'etharp', 'tcp', 'chkerr', 'memerr', 'busy']) t.match(text, word)
  }
  const total = formatCounters(counters(1), 'total').join('\n')
  t.match(total, /busy +25\.0%/)
  t.match(total, /reconnects +7\b/, 'memif reconnection attempts')
  t.match(total, /LwIP memory +6\.0K\b/, 'LwIP memory in use')
  t.match(total, /pcbs +12 +TIME-WAIT +5/, 'the connection table')
})

t.test('stats screen: the AF_XDP group of an af_xdp stack', async (t) => {
  const xdp = { zeroCopy: 0, nativeMode: 1, sockets: 1, bifurcated: 1, toStack: 5000, toKernel: 40, claimedPorts: 2, neighbours: 1 }
  t.notMatch(formatCounters(counters(1), 'total').join('\n'), /AF_XDP/, 'other devices: no such group')
  const lines = formatCounters({ ...counters(1), xdp }, 'total')
  t.ok(lines.every((l) => l.length <= 80))
  const text = lines.join('\n')
  t.match(text, /AF_XDP +mode +copy +xdp +driver +queues +1/)
  t.match(text, /flows +ports +to stack +5,?000 +to kernel +40/)
  const r = rates({ time: 0, uptimeMs: 0, counters: { xdp } }, { time: 1000, uptimeMs: 1000, counters: { xdp: { ...xdp, toStack: 6000 } } })
  t.equal(r.xdp.toStack, 1000, 'frames per second')
  t.equal(r.xdp.zeroCopy, 0, 'the mode is a level')
})

const conn = (over: Partial<ConnEntry>): ConnEntry => ({
  id: 1, state: 'ESTABLISHED', local: '10.10.0.1:7000', remote: '10.10.0.2:49152', sendWindow: 65535, receiveWindow: 1 << 20,
  cwnd: 14600, ssthresh: 65535, mss: 1460, unackedBytes: 2920, unsentBytes: 0, receivedNotAcked: 0, rtoMillis: 1000,
  retransmits: 0, paused: false, ageMillis: 4200, ...over,
})

t.test('conns: one line per connection, ss state names, 80 columns', async (t) => {
  const lines = formatConns([conn({ state: 'LISTEN', local: '0.0.0.0:7000', remote: '*:*' }), conn({}), conn({ state: 'TIME_WAIT', id: -1, ageMillis: -1 })])
  t.equal(lines.length, 4)
  t.match(lines[0], /^State +Local +Remote +Snd-W +Rcv-W +Cwnd +Unack +Queued +Rtx +Age$/)
  t.match(lines[2], /^ESTAB +10\.10\.0\.1:7000 +10\.10\.0\.2:49152 +64K +1\.0M +14K +2\.9K +0B +0 +4\.2s$/)
  t.match(lines[3], /^TIME-WAIT .* -$/)
  t.ok(lines.every((l) => l.length <= 80))
  t.equal(stateName('FIN_WAIT_1'), 'FIN-WAIT-1')
  t.same(formatConns([]), ['no TCP connections'])
})

t.test('conns: long addresses switch to two lines per connection', async (t) => {
  const lines = formatConns([conn({ local: '192.168.100.100:65535', remote: '192.168.200.200:65535', state: 'FIN_WAIT_2' })])
  t.equal(lines.length, 3)
  t.match(lines[1], /^FIN-WAIT-2 192\.168\.100\.100:65535 192\.168\.200\.200:65535$/)
  t.match(lines[2], /^ {2}wnd:64K\/1\.0M cwnd:14K unack:2\.9K queued:0B rtx:0 age:4\.2s$/)
  t.ok(lines.every((l) => l.length <= 80))
})

t.test('latency screen: title, percentiles, chart per stage', async (t) => {
  const b = new Array(40).fill(0)
  b[12] = 10
  b[14] = 2
  const h = { count: 12, sumNs: 12 * 3000, maxNs: 15000, buckets: b }
  const empty = { count: 0, sumNs: 0, maxNs: 0, buckets: new Array(40).fill(0) }
  const lines = formatLatency({ rxToJs: h, jsBatch: empty, writeToTx: h })
  const text = lines.join('\n')
  t.match(text, /NIC rx -> JS delivery: 12 samples, mean 3\.0us/)
  t.match(text, /JS handling of a batch: no samples/)
  t.match(text, /JS write -> NIC tx: 12 samples/)
  t.match(text, /p50 .*us +p90 .* +p99 .* +max 15us/)
  t.ok(lines.every((l) => l.length <= 80))
})
