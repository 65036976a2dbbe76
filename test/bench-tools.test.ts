// The benchmark harness's own logic, with no stack and no load: reading wrk's and
// h2load's reports, and leaving out (and failing on) measurements whose processes
// did not get their CPU. A benchmark that silently counts a starved baseline reports
// a win that is not one.
import t from 'tap'
import { createRequire } from 'node:module'
import { spawn } from 'node:child_process'

const load = createRequire(__filename)
const { parseWrk, parseH2load } = load('../benchmarks/http/loadgen.js')
const { ratioTable, starvedReport, setMaxWait, setPin, setNodeArgs, start, cpuText, BOUND } = load('../benchmarks/harness.js')
const usage = load('../benchmarks/usage.js')
const threads = load('../benchmarks/threads.js')

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

// The rule: a starved baseline is a failed run, not a win; a starved stack can only
// measure lower throughput and higher latency (kept there, marked), but would flatter
// its CPU (left out there).
t.test('a starved baseline measurement is left out; a baseline with none valid fails the run or its load', async (t) => {
  setMaxWait(0.1)
  const m = (rps: number, starved: string | null = null) => ({ rps, starved })
  const samples = {
    kernel: [{ sat: m(100) }, { sat: m(10, 'server waited 50% of the run for a CPU') }, { sat: m(120) }],
    stack: [{ sat: m(200) }, { sat: m(180) }, { sat: m(220) }]
  }
  const table = ratioTable(samples, [['Requests/s', 'sat.rps', 0, BOUND]])
  t.match(table, /\| Requests\/s \| 110 \(100-120\) \| 200 \(180-220\) \| 1\.82 \|/, 'median of the two valid kernel rounds')
  t.notMatch(table, /\*/, 'nothing marked: no starved measurement was kept')
  t.match(starvedReport(samples, ['sat']), /kernel: 1 of 3 measurements left out \(sat: server waited 50%/)

  samples.kernel = samples.kernel.map(({ sat }) => ({ sat: { ...sat, starved: 'client waited 40% of the run for a CPU' } }))
  t.throws(() => starvedReport(samples, ['sat']), /failed run: no measurement of sat on the kernel side \(the baseline\) got its CPU/)
  t.match(ratioTable(samples, [['Requests/s', 'sat.rps', 0, BOUND]]), /\| Requests\/s \| - \| 200 \(180-220\) \| - \|/,
    'a starved baseline is never kept, not even in a throughput row')

  // one load of several without a valid baseline: the run is written, that load's rows fail
  const two = {
    kernel: [{ a: m(100), b: m(50, 'client waited 20% of the run for a CPU') }, { a: m(110), b: m(60, 'client waited 15% of the run for a CPU') }],
    stack: [{ a: m(200), b: m(150) }, { a: m(210), b: m(160) }]
  }
  const report = starvedReport(two, ['a', 'b'])
  t.match(report, /failed: no measurement of b on the kernel side \(the baseline\) got its CPU/)
  t.notMatch(report, /failed: no measurement of a/)
  const rows = [['Requests/s (a)', 'a.rps', 0, BOUND], ['Requests/s (b)', 'b.rps', 0, BOUND]]
  const both = ratioTable(two, rows)
  t.match(both, /\| Requests\/s \(a\) \| 105 \(100-110\) \| 205 \(200-210\) \| 1\.95 \|/)
  t.match(both, /\| Requests\/s \(b\) \| - \| 155 \(150-160\) \| - \|/, 'no baseline, no ratio')
})

t.test('a starved stack measurement is a bound in throughput and latency rows, left out of CPU rows', async (t) => {
  setMaxWait(0.1)
  const starved = 'server waited 18% of the run for a CPU'
  const m = (rps: number, p50us: number, serverCpu: number, serverWait: number) =>
    ({ rps, p50us, serverCpu, serverWait, clientWait: 0.02, starved: serverWait > 0.1 ? starved : null })
  const samples = {
    kernel: [{ c16: m(100, 500, 1, 0.02) }, { c16: m(110, 480, 1, 0.03) }, { c16: m(120, 460, 1, 0.01) }],
    stack: [{ c16: m(150, 300, 0.9, 0.18) }, { c16: m(160, 280, 0.5, 0.02) }, { c16: m(170, 270, 0.6, 0.03) }]
  }
  const rows = [
    ['Requests/s', 'c16.rps', 0, BOUND],
    ['Latency p50 (us)', 'c16.p50us', 0, BOUND],
    ['Server CPU (cores)', 'c16.serverCpu', 2]
  ]
  const table = ratioTable(samples, rows)
  t.match(table, /\| Requests\/s \| 110 \(100-120\) \| 160\* \(150-170\) \| 1\.45 \|/, 'kept and marked in the throughput row')
  t.match(table, /\| Latency p50 \(us\) \| 480 \(460-500\) \| 280\* \(270-300\) \| 0\.58 \|/, 'kept and marked in the latency row')
  t.match(table, /\| Server CPU \(cores\) \| 1\.00 \(1\.00-1\.00\) \| 0\.55 \(0\.50-0\.60\) \| 0\.55 \|/, 'left out of the CPU row (0.90 is not counted)')
  t.match(table, /\\\* stack: includes measurements that did not get their CPU \(a process waited up to 18% of the run for one/)
  t.match(table, /a lower bound of its throughput and an upper bound of its latency/)
  const report = starvedReport(samples, ['c16'])
  t.match(report, /stack: 1 of 3 measurements starved, kept as bounds in the throughput and latency rows \(marked \*\), left out of the CPU rows \(c16: server waited 18%/)

  // every stack measurement starved: still no failed run; the CPU row has nothing to show
  samples.stack = samples.stack.map(({ c16 }) => ({ c16: { ...c16, serverWait: 0.2, starved } }))
  t.doesNotThrow(() => starvedReport(samples, ['c16']))
  const all = ratioTable(samples, rows)
  t.match(all, /\| Requests\/s \| 110 \(100-120\) \| 160\* \(150-170\) \| 1\.45 \|/)
  t.match(all, /\| Server CPU \(cores\) \| 1\.00 \(1\.00-1\.00\) \| - \| - \|/)

  // starved for a reason other than a wait (the http suite: a fixed rate not served): still a bound
  const short = { kernel: samples.kernel, stack: [{ c16: { ...m(150, 300, 0.5, 0.02), starved: 'served 900 req/s of the 1000 offered' } }] }
  const shortTable = ratioTable(short, rows)
  t.match(shortTable, /\| Latency p50 \(us\) \| 480 \(460-500\) \| 300\* \| 0\.63 \|/)
  t.match(shortTable, /did not get their CPU \(the round lines say which\)/, 'no wait named when none was above the limit')

  // a row declared without a kind is strict on every side
  t.match(ratioTable(samples, [['Requests/s', 'c16.rps', 0]]), /\| Requests\/s \| 110 \(100-120\) \| - \| - \|/)
})

t.test('--pin and --node-args apply to every side and are named under the table', async (t) => {
  setPin(true)
  setNodeArgs(['--single-threaded-gc'])
  t.teardown(() => { setPin(false); setNodeArgs([]) })
  // a process the harness starts with a role is pinned (usage.js only defines a module: it exits at once)
  const child = start('usage.js', [], undefined, { role: 'client' })
  const [code] = await new Promise<[number | null]>((resolve) => child.once('exit', (c: number | null) => resolve([c])))
  t.equal(code, 0, 'taskset started the pinned process')
  const samples = { kernel: [{ sat: { rps: 1, starved: null } }], stack: [{ sat: { rps: 2, starved: null } }] }
  const report = starvedReport(samples, ['sat'])
  t.match(report, /client pinned to CPU 0 and server to CPU \d+/)
  t.match(report, /ran with `--single-threaded-gc`/)
})

// Pinning gives each side a core of its own; work that lands on that core anyway must
// still show as run-queue wait, or a pinned side that lost its CPU would count as valid.
t.test('a process pinned to a core shared with a busy process is seen waiting', async (t) => {
  const spin = (ms: number) => `const u=require(${JSON.stringify(require.resolve('../benchmarks/usage.js'))});` +
    `const a=u.snapshot();const e=Date.now()+${ms};while(Date.now()<e){};console.log(JSON.stringify(u.since(a)))`
  const run = (ms: number) => new Promise<string>((resolve, reject) => {
    const child = spawn('taskset', ['-c', '0', process.execPath, '-e', spin(ms)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d) => { out += d })
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))))
  })
  const [, measured] = await Promise.all([run(1500), run(1000)])
  const u = JSON.parse(measured)
  t.ok(u.wait > 0.2, `waited ${(u.wait * 100).toFixed(0)}% of its run sharing CPU 0 with a spinning process`)
  t.match(usage.starvation({ server: u.wait }), /server waited \d+% of the run for a CPU/)
})

t.test('threads: who ran and who waited, the named processes first', async (t) => {
  const snap = (at: bigint, threads: Array<[string, number, number, number]>) => ({
    at,
    threads: new Map(threads.map(([key, run, wait, slices]) => {
      const [pid, tid] = key.split('/')
      return [key, { pid, tid, comm: 'node', run, wait, slices }]
    }))
  })
  const a = snap(0n, [['10/10', 0, 0, 0], ['10/11', 0, 0, 0], ['20/20', 0, 0, 0], ['30/30', 0, 0, 0]])
  const b = snap(1_000_000_000n, [['10/10', 800e6, 150e6, 900], ['10/11', 30e6, 5e6, 12], ['20/20', 500e6, 0, 40], ['30/30', 1e6, 0, 1]])
  const { rows, restRun } = threads.busiest(a, b, { 10: 'client' })
  t.same(rows.map((r: { who: string, tid: string }) => `${r.who} ${r.tid}`), ['client 10', 'client 11', 'pid 20 20'])
  t.equal(rows[0].main, true)
  t.equal(rows[1].main, false)
  t.ok(Math.abs(rows[0].wait - 0.15) < 1e-9 && rows[0].slices === 900)
  t.ok(Math.abs(restRun - 0.5) < 1e-9, 'other processes: 0.5 of a core (the 0.1% thread is below the cut)')
  t.match(threads.format(threads.busiest(a, b, { 10: 'client' })), /80\.0%\s+15\.0%\s+900\s+client main node \(10\)/)
})

t.test("a round's log line shows each side's CPU and wait and the machine's busy cores", async (t) => {
  const m = { clientCpu: 1, clientWait: 0.12, serverCpu: 0.98, serverWait: 0.02, machineBusy: 1.99, starved: 'client waited 12% of the run for a CPU' }
  t.equal(cpuText(m), '[client 1.00 cores (waited 12%), server 0.98 cores (waited 2%), machine 1.99 cores busy] STARVED: client waited 12% of the run for a CPU')
})
