'use strict'
// Who ran and who waited during a measurement: every thread on the machine, its CPU time
// and its run-queue wait (/proc/PID/task/TID/schedstat) between two snapshots. The
// harness prints it with GAZELLE_BENCH_THREADS=1, to find which threads (V8's GC and
// compiler helpers, DPDK's interrupt and control threads, libuv's pool, the harness,
// other work) took the cores a benchmark's processes waited for.
const fs = require('node:fs')

function read (file) {
  try { return fs.readFileSync(file, 'utf8') } catch { return null }
}

// { 'pid/tid': { pid, tid, comm, run, wait (ns), slices (times put on a CPU) } } for every thread.
function snapshotAll () {
  const threads = new Map()
  let pids = []
  try { pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)) } catch {}
  for (const pid of pids) {
    let tids = []
    try { tids = fs.readdirSync(`/proc/${pid}/task`) } catch { continue }
    for (const tid of tids) {
      const stat = read(`/proc/${pid}/task/${tid}/schedstat`)
      if (!stat) continue
      const [run, wait, slices] = stat.split(' ').map(Number)
      const comm = (read(`/proc/${pid}/task/${tid}/comm`) || '?').trim()
      threads.set(`${pid}/${tid}`, { pid, tid, comm, run, wait, slices })
    }
  }
  return { at: process.hrtime.bigint(), threads }
}

// The threads of the named processes (`names` maps a pid to a label: client, server,
// harness) that ran or waited at least `minShare` of the window between a and b, busiest
// first, then the `others` busiest threads of the rest of the machine and its total.
function busiest (a, b, names = {}, minShare = 0.002, others = 5) {
  const seconds = Number(b.at - a.at) / 1e9
  const rows = []
  const rest = []
  let restRun = 0
  for (const [key, t] of b.threads) {
    const before = a.threads.get(key) || { run: 0, wait: 0, slices: 0 }
    const run = (t.run - before.run) / 1e9 / seconds
    const wait = (t.wait - before.wait) / 1e9 / seconds
    if (run < minShare && wait < minShare) continue
    const slices = t.slices - before.slices
    const row = { who: names[t.pid] || `pid ${t.pid}`, tid: t.tid, main: t.tid === t.pid, comm: t.comm, run, wait, slices }
    if (names[t.pid]) rows.push(row)
    else {
      rest.push(row)
      restRun += run
    }
  }
  const byLoad = (x, y) => (y.run + y.wait) - (x.run + x.wait)
  rows.sort(byLoad)
  rest.sort(byLoad)
  return { seconds, rows: [...rows, ...rest.slice(0, others)], restRun }
}

function format ({ seconds, rows, restRun }) {
  const pct = (x) => `${(x * 100).toFixed(1)}%`.padStart(6)
  return [`threads over ${(seconds * 1000).toFixed(0)} ms (share of the window on a CPU / waiting for one / times scheduled):`,
    ...rows.map((r) => `  ${pct(r.run)} ${pct(r.wait)} ${String(r.slices).padStart(7)}  ${r.who}${r.main ? ' main' : ''} ${r.comm} (${r.tid})`),
    `  other processes on a CPU: ${(restRun * 100).toFixed(0)}% of a core`].join('\n')
}

module.exports = { snapshotAll, busiest, format }
