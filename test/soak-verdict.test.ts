// The soak's (benchmarks/reliability/soak.js) options and verdict, with no stack and no
// load: a bad option is named, a failed transfer, a leak past its tolerance, a table that
// did not empty, a dead process or a leftover file fails the run; growth within the
// tolerance is reported but passes.
import t from 'tap'
import { createRequire } from 'node:module'

const load = createRequire(__filename)
const { parseOptions, verdict, combine, describe } = load('../benchmarks/reliability/soak-verdict.js')
const { udpDatagram, udpCheck } = load('../benchmarks/reliability/soak-load.js')

t.test('options: defaults, values, and a bad one named', async (t) => {
  const d = parseOptions([])
  t.match(d, { minutes: 10, client: 'kernel', pairs: ['veth', 'memif'], faults: 'drop=1%,dup=1%,reorder=2%', maxFailed: 0, bulkStreams: 2, udpLoss: 0.2 })
  t.match(parseOptions(['--minutes', '1.5', '--client', 'stack', '--bulk-mib', '4', '--faults', 'drop=3%']),
    { minutes: 1.5, client: 'stack', bulkMib: 4, faults: 'drop=3%' })
  t.throws(() => parseOptions(['--minutes', '0']), { code: 'ERR_INVALID_ARG_VALUE', option: 'minutes', message: /--minutes must be a number of minutes/ })
  t.throws(() => parseOptions(['--parallel', '2.5']), { code: 'ERR_INVALID_ARG_VALUE', option: 'parallel' })
  t.throws(() => parseOptions(['--rate', '']), { code: 'ERR_INVALID_ARG_VALUE', option: 'rate' })
  t.throws(() => parseOptions(['--client', 'udp']), { code: 'ERR_INVALID_ARG_VALUE', option: 'client', message: /"kernel" or "stack", got "udp"/ })
  t.throws(() => parseOptions(['--minuets', '3']), { code: 'ERR_INVALID_ARG_VALUE', message: /Unknown option '--minuets'/ })
  t.same(parseOptions(['--pairs', 'memif']).pairs, ['memif'])
  t.throws(() => parseOptions(['--pairs', 'veth,tap']), { code: 'ERR_INVALID_ARG_VALUE', option: 'pairs', message: /a list of veth, memif/ })
  t.throws(() => parseOptions(['--pairs', 'veth,veth']), { code: 'ERR_INVALID_ARG_VALUE', option: 'pairs' })
  t.match(parseOptions(['--help']), { help: true, usage: /npm run soak/ })
})

const stats = (o: { inUse?: number, lwip?: number, pcbs?: number, sockets?: number } = {}) => ({
  mempool: { inUse: o.inUse ?? 0, size: 8191 },
  lwipMemory: { inUse: o.lwip ?? 0 },
  tcp: { pcbs: o.pcbs ?? 0, timeWait: 0, sockets: o.sockets ?? 2, recoveries: 0, timeouts: 0 },
  faults: { rxDropped: 0, txDropped: 0 },
})
const sample = (rss: number, o = {}) => ({ rss: rss * 2 ** 20, errors: {}, stats: stats(o) })
const totals = (o: any = {}) => ({
  phase: 'end',
  churn: { done: 3000, failed: 0, codes: {}, ...o.churn },
  bulk: { done: 100, failed: 0, bytes: 100 * 2 ** 23, codes: {}, ...o.bulk },
  udp: { sent: 6000, answered: 5880, lost: 120, damaged: 0, sendErrors: 0, ...o.udp },
})
const run = (o: any = {}) => ({
  opts: parseOptions([]), baseline: sample(78), warm: sample(120), end: sample(124, { inUse: 10 }), load: totals(), ...o,
})

t.test('verdict: a clean run passes and says what grew within tolerance', async (t) => {
  const v = verdict(run())
  t.equal(v.ok, true)
  t.same(v.failures, [])
  t.match(v.line, /^verdict: PASS; grew: mbufs in use \+10 \(tolerance 256\), RSS since warm-up \+4 MiB/)
  t.match(describe('[end]', run().end, totals()), /mbufs 10\/8191 in use.*churn 3000 done 0 failed.*udp 6000 sent 5880 answered 120 lost 0 damaged/)
})

t.test('verdict: each failure fails the run and is named', async (t) => {
  const fails = (o: any, re: RegExp) => {
    const v = verdict(run(o))
    t.equal(v.ok, false, re.source)
    t.match(v.line, /^verdict: FAIL/)
    t.match(v.line, re)
  }
  fails({ load: totals({ bulk: { failed: 1, codes: { ECONNRESET: 1 } } }) }, /1 bulk transfers failed \{"ECONNRESET":1\}/)
  fails({ load: totals({ churn: { failed: 2, codes: { 'ETIMEDOUT(bench)': 2 } } }) }, /2 short connections failed \(tolerance 0\)/)
  fails({ load: totals({ udp: { damaged: 1 } }) }, /1 UDP replies damaged/)
  fails({ load: totals({ udp: { sent: 100, lost: 30 } }) }, /UDP: 30\.0% of requests unanswered/)
  fails({ end: sample(124, { inUse: 300 }) }, /did not return to baseline: mbufs in use \+300 \(tolerance 256\)/)
  fails({ end: sample(124, { lwip: 1024 * 1024 }) }, /did not return to baseline: LwIP memory \+1024 KiB/)
  fails({ end: sample(124, { pcbs: 3 }) }, /did not return to baseline: TCP pcbs \+3 \(tolerance 0\)/)
  fails({ end: sample(124, { sockets: 5 }) }, /TCP sockets \+3/)
  fails({ load: { ...totals(), start: stats(), stats: stats({ pcbs: 40 }) } }, /did not return to baseline: client stack: TCP pcbs \+40/)
  fails({ load: { ...totals(), start: stats({ inUse: 5 }), stats: stats({ inUse: 400 }) } }, /client stack: mbufs in use \+395/)
  fails({ end: sample(200) }, /did not return to baseline: RSS since warm-up \+80 MiB \(tolerance 48 MiB\)/)
  fails({ serverDied: 'exit SIGSEGV', end: undefined }, /the stack's process died \(exit SIGSEGV\)/)
  fails({ clientError: 'client exited with 1' }, /the load did not finish: client exited with 1/)
  fails({ load: { ...totals(), phase: 'load' } }, /no final line/)
})

t.test('the run: a line per pair, FAIL if one failed or something was left behind', async (t) => {
  const good = { name: 'veth', ...verdict(run()) }
  const bad = { name: 'memif', ...verdict(run({ serverDied: 'exit 1', end: undefined })) }
  const both = combine([good, bad], [])
  t.equal(both.ok, false)
  t.match(both.lines, [/^verdict veth: PASS/, /^verdict memif: FAIL; .*the stack's process died/, /^verdict: FAIL \(memif\)$/])
  t.same(combine([good], []).lines.at(-1), 'verdict: PASS')
  const left = combine([good], ['/dev/hugepages/gazelle-123map_0'])
  t.equal(left.ok, false)
  t.equal(left.lines.at(-1), 'verdict: FAIL (left behind (the soak removed them): /dev/hugepages/gazelle-123map_0)')
})

t.test('verdict: tolerances come from the options', async (t) => {
  const opts = parseOptions(['--mbufs', '500', '--max-failed', '2', '--rss-mib', '100'])
  t.equal(verdict(run({ opts, end: sample(200, { inUse: 300 }), load: totals({ churn: { failed: 2 } }) })).ok, true)
})

t.test('UDP requests: intact ones carry their number, a damaged one is seen', async (t) => {
  const d = udpDatagram(77, 256)
  t.equal(udpCheck(d), 77)
  d[100] ^= 1
  t.equal(udpCheck(d), -1)
  t.equal(udpCheck(udpDatagram(5, 256).subarray(0, 200)), -1, 'a truncated one')
})
