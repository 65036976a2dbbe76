// The benchmark harness's own logic, with no stack and no load: reading wrk's and
// h2load's reports, and leaving out (and failing on) measurements whose processes
// did not get their CPU. A benchmark that silently counts a starved baseline reports
// a win that is not one.
import t from 'tap'
import { createRequire } from 'node:module'

const load = createRequire(__filename)
const { parseWrk, parseH2load } = load('../benchmarks/http/loadgen.js')
const { ratioTable, starvedReport, setMaxWait } = load('../benchmarks/harness.js')
const usage = load('../benchmarks/usage.js')

const WRK = `Running 10s test @ http://10.40.0.2:8080/
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   512.34us  100.12us   5.00ms   90.00%
    Req/Sec    60.12k     2.01k   65.00k    70.00%
  Latency Distribution
     50%  500.00us
     75%  550.00us
     90%  600.00us
     99%    1.20ms
  600000 requests in 10.00s, 100.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
Requests/sec:  60000.00
Transfer/sec:     10.00MB
`

const H2LOAD = `finished in 10.00s, 9984.20 req/s, 1.54MB/s
requests: 99842 total, 99842 started, 99842 done, 99840 succeeded, 2 failed, 0 errored, 0 timeout
status codes: 99840 2xx, 0 3xx, 0 4xx, 0 5xx
`

t.test('wrk and h2load reports are read, errors counted', async (t) => {
  t.same(parseWrk(WRK), { rps: 60000, p50us: 500, p99us: 1200, errors: 3 })
  t.same(parseH2load(H2LOAD), { rps: 9984.2, succeeded: 99840, errors: 2 })
  t.throws(() => parseWrk('connection refused'), /unexpected output/)
})

t.test('this process: CPU and run-queue wait from schedstat', async (t) => {
  const u0 = usage.snapshot()
  const end = Date.now() + 50
  while (Date.now() < end) { /* spin */ }
  const u = usage.since(u0)
  t.ok(u.cpu > 0 && u.cpu <= 4, `cpu ${u.cpu} cores`)
  t.ok(u.wait >= 0 && u.wait <= 1, `wait ${u.wait}`)
  t.equal(usage.starvation({ a: 0.05, b: 0.02 }, 0.1), null)
  t.match(usage.starvation({ a: 0.05, server: 0.3 }, 0.1), /server waited 30% of the run/)
})

t.test('starved measurements are left out of medians; a side with none valid fails the run', async (t) => {
  setMaxWait(0.1)
  const m = (rps: number, starved: string | null = null) => ({ rps, starved })
  const samples = {
    kernel: [{ sat: m(100) }, { sat: m(10, 'server waited 50% of the run for a CPU') }, { sat: m(120) }],
    stack: [{ sat: m(200) }, { sat: m(180) }, { sat: m(220) }]
  }
  const table = ratioTable(samples, [['Requests/s', 'sat.rps', 0]])
  t.match(table, /\| Requests\/s \| 110 \(100-120\) \| 200 \(180-220\) \| 1\.82 \|/, 'median of the two valid kernel rounds')
  t.match(starvedReport(samples, ['sat']), /kernel: 1 of 3 measurements left out \(sat: server waited 50%/)

  samples.kernel = samples.kernel.map(({ sat }) => ({ sat: { ...sat, starved: 'client waited 40% of the run for a CPU' } }))
  t.throws(() => starvedReport(samples, ['sat']), /failed run: no measurement of sat on the kernel side got its CPU/)
})
