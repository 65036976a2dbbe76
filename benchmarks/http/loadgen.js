'use strict'
// The C load generators, run in the client's network namespace: wrk at saturation
// (as many requests as the connections carry) and h2load at a fixed offered rate
// (--rps per client, per-request times from its log file).
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

// '512.34us', '1.20ms', '2.00s' -> microseconds
function micros (text) {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text)
  if (!m) throw new Error(`wrk: cannot read the duration ${JSON.stringify(text)}`)
  return Number(m[1]) * { us: 1, ms: 1e3, s: 1e6 }[m[2]]
}

function parseWrk (out) {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)
  const p50 = /^\s+50%\s+(\S+)/m.exec(out)
  const p99 = /^\s+99%\s+(\S+)/m.exec(out)
  if (!rps || !p50 || !p99) throw new Error(`wrk: unexpected output\n${out}`)
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)
  const errors = (sock ? sock.slice(1).reduce((n, x) => n + Number(x), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0)
  return { rps: Number(rps[1]), p50us: micros(p50[1]), p99us: micros(p99[1]), errors }
}

function parseH2load (out) {
  const done = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(out)
  const rate = /finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out)
  if (!done || !rate) throw new Error(`h2load: unexpected output\n${out}`)
  return { rps: Number(rate[1]), succeeded: Number(done[4]), errors: Number(done[5]) + Number(done[6]) + Number(done[7]) }
}

function percentile (sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : 0
}

// Request durations (us) from h2load's log file, without its first `skipUs` of requests
// (connections opening, the server's code warming up).
function logLatency (file, skipUs) {
  const rows = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split('\t').map(Number))
  if (!rows.length) return { p50us: NaN, p99us: NaN }
  // (a loop, not Math.min(...rows): a fast server logs more rows than a call takes arguments)
  let first = Infinity
  for (const r of rows) if (r[0] < first) first = r[0]
  const times = rows.filter((r) => r[0] >= first + skipUs).map((r) => r[2]).sort((a, b) => a - b)
  return { p50us: percentile(times, 0.5), p99us: percentile(times, 0.99) }
}

// Runs a load generator to its end: { child (its pid is the generator's own: `ip netns
// exec` execs it), done: Promise<stdout> }.
function launch (net, cmd, args, seconds) {
  const child = net.spawn(net.clientNs, cmd, args)
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => { out += d })
  child.stderr.on('data', (d) => { err += d })
  const done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) resolve(out)
      else reject(new Error(`${cmd} ${args.join(' ')}: exit ${code ?? signal}\n${out}${err}`))
    })
  })
  return { child, done }
}

function wrk (net, url, { seconds, connections, threads }) {
  const run = launch(net, 'wrk', ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--latency', url], seconds)
  return { child: run.child, done: run.done.then(parseWrk) }
}

// rate: requests per second over all connections (each connection gets rate/connections).
function h2load (net, url, { seconds, connections, rate, warmupSeconds }) {
  const log = path.join(os.tmpdir(), `gzb-h2load-${process.pid}.log`)
  const args = ['--h1', '-c', String(connections), '--rps', String(Math.max(1, Math.round(rate / connections))),
    '-D', String(seconds), '--warm-up-time', String(warmupSeconds), '--log-file', log, url]
  const run = launch(net, 'h2load', args, seconds + warmupSeconds)
  const done = run.done.then((out) => {
    const res = { ...parseH2load(out), ...logLatency(log, warmupSeconds * 1e6) }
    fs.rmSync(log, { force: true })
    return res
  }, (err) => {
    fs.rmSync(log, { force: true })
    throw err
  })
  return { child: run.child, done }
}

module.exports = { wrk, h2load, parseWrk, parseH2load }
