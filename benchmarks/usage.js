'use strict'
// Did a process get its CPU? Linux keeps, per thread, the time spent on a CPU and the
// time spent runnable but waiting on a run queue (/proc/PID/task/TID/schedstat). A
// process whose main thread waited a large share of the run was starved by other work
// on the machine: its numbers measure the machine, not the code, and the run fails.
// The machine's own busy and steal time (/proc/stat) is reported beside it.
const fs = require('node:fs')

// The share of a run a main thread may wait on a run queue before the run counts as starved.
const DEFAULT_MAX_WAIT = 0.1

function readSchedstat (file) {
  try {
    const [run, wait] = fs.readFileSync(file, 'utf8').split(' ').map(Number)
    return { run, wait }
  } catch {
    return { run: 0, wait: 0 } // a thread that ended between listing and reading
  }
}

// A snapshot of process `pid` (default: this one): CPU of all its threads (ns) and
// each thread's run-queue wait (ns).
function snapshot (pid = process.pid) {
  let cpuNs = 0
  let tids = []
  try { tids = fs.readdirSync(`/proc/${pid}/task`) } catch {}
  const waits = new Map()
  for (const tid of tids) {
    const t = readSchedstat(`/proc/${pid}/task/${tid}/schedstat`)
    cpuNs += t.run
    waits.set(tid, t.wait)
  }
  return { at: process.hrtime.bigint(), pid: String(pid), cpuNs, waits }
}

// What happened between two snapshots: seconds of wall time, CPU in cores (all
// threads), and the share of the time a thread waited for a CPU: `wait` for the main
// thread (where Node runs JavaScript), `threadWait` for the thread that waited most
// (the one that matters for a C load generator, whose main thread only sleeps).
function since (a, b = snapshot(a.pid)) {
  const seconds = Number(b.at - a.at) / 1e9
  const share = (tid) => ((b.waits.get(tid) ?? 0) - (a.waits.get(tid) ?? 0)) / 1e9 / seconds
  let threadWait = 0
  for (const tid of b.waits.keys()) if (a.waits.has(tid)) threadWait = Math.max(threadWait, share(tid))
  return { seconds, cpu: (b.cpuNs - a.cpuNs) / 1e9 / seconds, wait: share(a.pid), threadWait }
}

// The whole machine from /proc/stat: jiffies busy, idle and stolen by the hypervisor.
function machineSnapshot () {
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = cpu
  return { at: process.hrtime.bigint(), busy: user + nice + system + irq + softirq, idle: idle + iowait, steal: steal || 0 }
}

// Cores busy (all processes, kernel work included) and cores stolen between two snapshots.
function machineSince (a, b = machineSnapshot()) {
  const seconds = Number(b.at - a.at) / 1e9
  const hz = 100 // USER_HZ: /proc/stat counts in 1/100 s on Linux
  return { busy: (b.busy - a.busy) / hz / seconds, steal: (b.steal - a.steal) / hz / seconds }
}

// Why a measurement is not valid (a process waited too long for a CPU), or null.
// `waits` maps a side's name to its wait share.
function starvation (waits, maxWait = DEFAULT_MAX_WAIT) {
  const starved = Object.entries(waits).filter(([, w]) => typeof w === 'number' && w > maxWait)
  if (!starved.length) return null
  return starved.map(([who, w]) => `${who} waited ${(w * 100).toFixed(0)}% of the run for a CPU`).join(', ')
}

module.exports = { DEFAULT_MAX_WAIT, snapshot, since, machineSnapshot, machineSince, starvation }
