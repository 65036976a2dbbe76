'use strict'
// npm run soak -- [--minutes 10] [--pairs veth,memif] [--client kernel|stack] [--faults SPEC] ...
// (not in CI; root)
//
// Stacks under a mixed load for --minutes, with loss injected by each stack's own fault
// injection (--faults, default drop=1%,dup=1%,reorder=2% each way): a steady churn of
// short echo connections, a few long bulk transfers checked with sha256, UDP
// request/response (soak-load.js). Each pair is a stack under test (peer.js server)
// and a load (peer.js role soak): "veth", the stack on af_packet in namespace b, loaded
// from namespace a by the kernel's node:net/dgram (--client kernel, the default) or by a
// second stack (--client stack); "memif", the stack loaded by a second stack over memif.
//
// It prints each stack's mbuf pool, LwIP memory, RSS, connection table (pcbs, TIME-WAIT),
// socket errors by code and the load's totals at the start, every --interval seconds
// and at the end; after the load it waits (up to --settle s) for the tables and pools to
// return (a client stack's too: its TIME-WAIT lasts 60 s), then prints a verdict line per
// pair and for the run, and exits 1 when a transfer failed, more short connections failed
// than --max-failed, UDP lost more than --udp-loss, something did not return to its
// baseline (beyond --mbufs, --lwip-kib; pcbs and sockets exactly), RSS grew more than
// --rss-mib after the warm-up, a process died, or something was left behind.
// Namespaces, child processes, their hugepage files and DPDK runtime directories and the
// memif socket are removed, pass or fail (what a stack left behind also fails the run).
const fs = require('node:fs')
const { execFileSync } = require('node:child_process')
const wire = require('./wire')
const { Namespaces } = require('./namespaces')
const { lines, startServer, runClient, stop } = require('./procs')
const { parseOptions, describe, verdict, combine } = require('./soak-verdict')

const PORTS = { echo: 7000, bulk: 7300, udp: 7400 }
const SAMPLE_TIMEOUT_MS = 10_000
const CLIENT_GRACE_S = 240 // past the load's end: its last bulk transfer (120 s) and connections (30 s)

const children = new Set()
const log = (l) => console.log(l)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** The server's figures: it prints a line on SIGUSR2 (peer.js). */
function sampler (srv) {
  const waiting = []
  lines(srv, (l) => {
    if (!l.startsWith('{"connections"')) return
    const w = waiting.shift()
    if (w) w(JSON.parse(l))
  })
  return () => new Promise((resolve, reject) => {
    if (srv.exitCode !== null || srv.signalCode !== null) return reject(new Error('the stack process is gone'))
    const timer = setTimeout(() => reject(new Error(`no sample from the stack in ${SAMPLE_TIMEOUT_MS / 1000} s`)), SAMPLE_TIMEOUT_MS)
    waiting.push((s) => {
      clearTimeout(timer)
      resolve(s)
    })
    srv.kill('SIGUSR2')
  })
}

/** Hugepage files and DPDK runtime directories of the given (exited) pids. */
function leftoverFiles (pids) {
  const out = []
  for (const dir of ['/dev/hugepages', '/var/run/dpdk']) {
    let names = []
    try {
      names = fs.readdirSync(dir)
    } catch {}
    for (const n of names) {
      const m = /^gazelle-(\d+)/.exec(n)
      if (m && pids.includes(Number(m[1]))) out.push(`${dir}/${n}`)
    }
  }
  return out
}

function leftoverNamespaces (prefix) {
  try {
    return execFileSync('ip', ['netns', 'list'], { timeout: 10_000 }).toString().split('\n')
      .map((l) => l.split(' ')[0]).filter((n) => n.startsWith(prefix))
  } catch {
    return []
  }
}

/** Waits until the stack's table and pools are back at the baseline, or settle s. */
async function settle (pair, opts) {
  const t0 = Date.now()
  const baseline = pair.run.baseline
  let s = await trySample(pair)
  const back = (x) => !x || x.stats.tcp.pcbs <= baseline.stats.tcp.pcbs &&
    x.stats.mempool.inUse - baseline.stats.mempool.inUse <= opts.mbufs &&
    (x.stats.lwipMemory.inUse - baseline.stats.lwipMemory.inUse) / 1024 <= opts.lwipKib
  while (!back(s) && Date.now() - t0 < opts.settle * 1000) {
    await sleep(2000)
    s = await trySample(pair)
  }
  if (!s) return undefined
  log(describe(`${pair.name} [settled ${((Date.now() - t0) / 1000).toFixed(0)} s after the load]`, s, null))
  return s
}

/** Where each pair runs: the stack under test (server, with the faults) and its client. */
function layout (name, ns, opts, memifSocket) {
  const faults = opts.faults
  if (name === 'veth') {
    const names = wire.directPair(ns, 'stack')
    if (opts.client === 'kernel') wire.kernelEnd(names.a, 'a')
    return {
      serverNs: names.b,
      clientNs: names.a,
      server: { transport: 'stack', stack: { ...wire.stackOptions('b'), faults } },
      client: { transport: opts.client, ...(opts.client === 'stack' ? { stack: wire.stackOptions('a') } : {}) },
      host: wire.ENDS.b.ip,
      what: `a stack on af_packet serving a ${opts.client === 'kernel' ? 'kernel (node:net)' : 'stack'} client over a veth`
    }
  }
  const { m } = ns.make(['m'])
  const memif = (role, ip) => ({ device: { type: 'memif', role, socket: memifSocket }, ip })
  return {
    serverNs: m,
    clientNs: m,
    server: { transport: 'stack', stack: { ...memif('server', '10.98.0.1/24'), faults } },
    client: { transport: 'stack', stack: memif('client', '10.98.0.2/24') },
    host: '10.98.0.1',
    what: 'a stack serving a stack over memif'
  }
}

async function startPair (pair, opts, pids) {
  const srv = await startServer(pair.serverNs, { ...pair.server, serve: 'echo', port: PORTS.echo, bulkPort: PORTS.bulk, udpPort: PORTS.udp })
  pair.srv = srv
  children.add(srv)
  pids.push(srv.pid)
  srv.once('exit', (code, signal) => {
    children.delete(srv)
    if (!pair.stopping) pair.run.serverDied = `exit ${code ?? signal}`
  })
  pair.sample = sampler(srv)
}

function startLoad (pair, opts, pids) {
  const seconds = opts.minutes * 60
  const cfg = {
    ...pair.client,
    role: 'soak',
    host: pair.host,
    port: PORTS.echo,
    bulkPort: PORTS.bulk,
    udpPort: PORTS.udp,
    seconds,
    rate: opts.rate,
    parallel: opts.parallel,
    echoBytes: 4096,
    bulkStreams: opts.bulkStreams,
    bulkBytes: Math.round(opts.bulkMib * 2 ** 20),
    udpRate: opts.udpRate,
    udpBytes: 256,
    reportMs: opts.interval * 1000,
    settleMs: opts.settle * 1000
  }
  pair.done = runClient(pair.clientNs, cfg, (seconds + CLIENT_GRACE_S + opts.settle) * 1000, (l) => (pair.run.load = l), (child) => {
    pair.loadChild = child
    children.add(child)
    pids.push(child.pid)
    child.once('exit', () => children.delete(child))
  }).catch((e) => { pair.run.clientError = e.message })
    .finally(() => { pair.finished = true })
}

/** A sample, or null once the stack's process is gone (recorded as died). */
async function trySample (pair) {
  try {
    return await pair.sample()
  } catch (e) {
    pair.run.serverDied = pair.run.serverDied || e.message
    return null
  }
}

async function soak (opts) {
  const prefix = `gzsoak${process.pid}`
  const ns = new Namespaces(prefix)
  const memifSocket = `/run/gazelle/soak-${process.pid}.sock`
  const pids = []
  const pairs = opts.pairs.map((name) => ({ name, run: { opts } }))
  const leftovers = []
  try {
    for (const p of pairs) Object.assign(p, layout(p.name, ns, opts, memifSocket))
    log(`soak: ${opts.minutes} min, faults ${opts.faults} in each stack under test; ${pairs.map((p) => `${p.name}: ${p.what}`).join('; ')}; ` +
      `each with churn ${opts.rate}/s x ${opts.parallel}, ${opts.bulkStreams} bulk streams of ${opts.bulkMib} MiB, UDP ${opts.udpRate}/s`)
    for (const p of pairs) await startPair(p, opts, pids)
    await sleep(2000)
    for (const p of pairs) {
      p.run.baseline = await p.sample()
      log(describe(`${p.name} [start]`, p.run.baseline, null))
    }
    for (const p of pairs) startLoad(p, opts, pids)
    const loadStart = Date.now()
    const warmAt = loadStart + Math.min(60, opts.minutes * 15) * 1000
    const all = Promise.all(pairs.map((p) => p.done))
    while (!pairs.every((p) => p.finished)) {
      await Promise.race([all, sleep(opts.interval * 1000)])
      for (const p of pairs.filter((x) => !x.finished)) {
        const s = p.run.serverDied ? null : await trySample(p)
        if (!s) {
          p.loadChild?.kill('SIGTERM') // no stack to load: stop its client
          continue
        }
        if (!p.run.warm && Date.now() >= warmAt) p.run.warm = s
        log(describe(`${p.name} [${Math.round((Date.now() - loadStart) / 1000)} s]`, s, p.run.load))
      }
    }
    await all
    await Promise.all(pairs.filter((p) => !p.run.serverDied).map(async (p) => {
      p.run.end = await settle(p, opts)
      if (p.run.end) log(describe(`${p.name} [end]`, p.run.end, p.run.load))
    }))
  } finally {
    for (const p of pairs) p.stopping = true
    await Promise.all(pairs.map((p) => stop(p.srv)))
    ns.removeAll()
    await sleep(500)
    // what a stack that died (or did not close) left: reported, then removed
    for (const f of [...leftoverFiles(pids), ...(fs.existsSync(memifSocket) ? [memifSocket] : [])]) {
      leftovers.push(f)
      fs.rmSync(f, { recursive: true, force: true })
    }
    for (const n of leftoverNamespaces(prefix)) {
      leftovers.push(`network namespace ${n}`)
      try {
        execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore', timeout: 10_000 })
      } catch {}
    }
  }
  return combine(pairs.map((p) => ({ name: p.name, ...verdict(p.run) })), leftovers)
}

async function main () {
  let opts
  try {
    opts = parseOptions(process.argv.slice(2))
  } catch (e) {
    console.error(e.message)
    process.exit(2)
  }
  if (opts.help) {
    console.log(opts.usage)
    return
  }
  if (process.getuid() !== 0) throw new Error('the soak needs root (network namespaces, DPDK): run it as root')
  if (!fs.existsSync(require.resolve('@gazelle/stack'))) throw new Error('@gazelle/stack is not built: run npm run setup')
  // Stopped from outside: the children (and their stacks) are closed, then namespaces go.
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      Promise.all([...children].map(stop)).finally(() => process.exit(130))
    })
  }
  process.on('exit', () => { for (const c of children) c.kill('SIGKILL') })
  const v = await soak(opts)
  for (const l of v.lines) log(l)
  process.exitCode = v.ok ? 0 : 1
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
