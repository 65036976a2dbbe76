'use strict'
// npm run soak -- [--minutes 10] [--client kernel|stack] [--faults SPEC] ...  (not in CI)
//
// A stack under a mixed load for --minutes, with loss injected by the stack's own fault
// injection (--faults, default drop=1%,dup=1%,reorder=2% each way): a steady churn of
// short echo connections, a few long bulk transfers checked with sha256, UDP
// request/response (soak-load.js). The stack (peer.js server: af_packet on a veth end
// in namespace b) serves; the load runs in namespace a on the kernel's node:net/dgram
// (--client kernel, the default) or on a second stack (--client stack).
//
// It prints the stack's mbuf pool, LwIP memory, RSS, connection table (pcbs, TIME-WAIT),
// socket errors by code and the load's totals at the start, every --interval seconds
// and at the end; after the load it waits (up to --settle s) for the table and pools to
// return, then prints a verdict line and exits 1 when a transfer failed, more short
// connections failed than --max-failed, UDP lost more than --udp-loss, something did not
// return to its baseline (beyond --mbufs, --lwip-kib; pcbs and sockets exactly), RSS grew
// more than --rss-mib after the warm-up, a process died, or something was left behind.
// Namespaces, child processes and their hugepage files are removed, pass or fail.
const fs = require('node:fs')
const { execFileSync } = require('node:child_process')
const wire = require('./wire')
const { Namespaces } = require('./namespaces')
const { lines, startServer, runClient, stop } = require('./procs')
const { parseOptions, describe, verdict } = require('./soak-verdict')

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
async function settle (sample, baseline, opts) {
  const t0 = Date.now()
  let s = await sample()
  const back = (x) => x.stats.tcp.pcbs <= baseline.stats.tcp.pcbs &&
    x.stats.mempool.inUse - baseline.stats.mempool.inUse <= opts.mbufs &&
    (x.stats.lwipMemory.inUse - baseline.stats.lwipMemory.inUse) / 1024 <= opts.lwipKib
  while (!back(s) && Date.now() - t0 < opts.settle * 1000) {
    await sleep(2000)
    s = await sample()
  }
  log(describe(`[settled ${((Date.now() - t0) / 1000).toFixed(0)} s after the load]`, s, null))
  return s
}

async function soak (opts) {
  const prefix = `gzsoak${process.pid}`
  const ns = new Namespaces(prefix)
  const run = { opts, leftovers: [] }
  const pids = []
  let srv = null
  try {
    const names = wire.directPair(ns, 'stack')
    if (opts.client === 'kernel') wire.kernelEnd(names.a, 'a')
    const seconds = opts.minutes * 60
    log(`soak: ${opts.minutes} min; stack (af_packet, faults ${opts.faults}) serving a ${opts.client === 'kernel' ? 'kernel (node:net)' : 'stack'} client over a veth; ` +
      `churn ${opts.rate}/s x ${opts.parallel}, ${opts.bulkStreams} bulk streams of ${opts.bulkMib} MiB, UDP ${opts.udpRate}/s`)
    srv = await startServer(names.b, {
      transport: 'stack', stack: { ...wire.stackOptions('b'), faults: opts.faults }, serve: 'echo', port: PORTS.echo, bulkPort: PORTS.bulk, udpPort: PORTS.udp
    })
    children.add(srv)
    pids.push(srv.pid)
    srv.once('exit', (code, signal) => { if (!run.stopping) run.serverDied = `exit ${code ?? signal}` })
    const sample = sampler(srv)
    await sleep(2000)
    run.baseline = await sample()
    log(describe('[start]', run.baseline, null))

    let load = null
    const client = runClient(names.a, {
      transport: opts.client,
      ...(opts.client === 'stack' ? { stack: wire.stackOptions('a') } : {}),
      role: 'soak',
      host: wire.ENDS.b.ip,
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
      reportMs: opts.interval * 1000
    }, (seconds + CLIENT_GRACE_S) * 1000, (l) => (load = l), (child) => {
      children.add(child)
      pids.push(child.pid)
      child.once('exit', () => children.delete(child))
    })
    const loadStart = Date.now()
    const warmAt = loadStart + Math.min(60, seconds / 4) * 1000
    let finished = false
    const clientDone = client.catch((e) => { run.clientError = e.message })
      .finally(() => { finished = true })
    while (!finished) {
      await Promise.race([clientDone, sleep(opts.interval * 1000)])
      if (finished || run.serverDied) break
      const s = await sample()
      if (!run.warm && Date.now() >= warmAt) run.warm = s
      log(describe(`[${Math.round((Date.now() - loadStart) / 1000)} s]`, s, load))
    }
    await clientDone
    run.load = load
    if (!run.serverDied) {
      run.end = await settle(sample, run.baseline, opts)
      log(describe('[end]', run.end, load))
    }
  } finally {
    run.stopping = true
    if (srv) {
      await stop(srv)
      children.delete(srv)
    }
    ns.removeAll()
    await sleep(500)
    run.leftovers.push(...leftoverFiles(pids), ...leftoverNamespaces(prefix).map((n) => `network namespace ${n}`))
  }
  return verdict(run)
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
  log(v.line)
  process.exitCode = v.ok ? 0 : 1
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
