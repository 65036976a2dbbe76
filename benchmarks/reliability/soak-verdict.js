'use strict'
// The soak's options and its judgement, apart from the processes (test/soak-verdict.test.ts
// checks them): parseOptions reads the command line; describe() prints one sample;
// verdict() compares a stack's figures at the end with those before the load and lists
// what failed, what grew and what did not return; combine() makes the run's verdict.
const { parseArgs } = require('node:util')

const MiB = 2 ** 20

// name: [default, check, what it must be]
const NUMBERS = {
  minutes: [10, (v) => v > 0 && v <= 600, 'a number of minutes in (0, 600]'],
  interval: [30, (v) => v >= 1 && v <= 600, 'a number of seconds from 1 to 600'],
  rate: [50, (v) => v > 0 && v <= 2000, 'new connections per second, in (0, 2000]'],
  parallel: [16, (v) => Number.isInteger(v) && v >= 1 && v <= 512, 'an integer from 1 to 512'],
  'bulk-streams': [2, (v) => Number.isInteger(v) && v >= 0 && v <= 16, 'an integer from 0 to 16'],
  'bulk-mib': [8, (v) => v > 0 && v <= 1024, 'MiB per transfer, in (0, 1024]'],
  'udp-rate': [100, (v) => v >= 0 && v <= 10000, 'datagrams per second, from 0 to 10000'],
  settle: [90, (v) => v >= 0 && v <= 600, 'seconds from 0 to 600'],
  'max-failed': [0, (v) => Number.isInteger(v) && v >= 0, 'a count of connections (integer >= 0)'],
  'udp-loss': [0.2, (v) => v >= 0 && v <= 1, 'a share of datagrams from 0 to 1'],
  'rss-mib': [48, (v) => v >= 0, 'MiB (>= 0)'],
  mbufs: [256, (v) => Number.isInteger(v) && v >= 0, 'a count of mbufs (integer >= 0)'],
  'lwip-kib': [256, (v) => v >= 0, 'KiB (>= 0)']
}
const DEFAULT_FAULTS = 'drop=1%,dup=1%,reorder=2%'
const PAIRS = ['veth', 'memif']

const USAGE = `usage: npm run soak -- [--minutes M] [--pairs veth,memif] [--client kernel|stack] [--faults SPEC] [--interval S]
  load:       [--rate R] [--parallel N] [--bulk-streams N] [--bulk-mib MIB] [--udp-rate R]
  tolerances: [--max-failed N] [--udp-loss SHARE] [--rss-mib MIB] [--mbufs N] [--lwip-kib KIB] [--settle S]`

class SoakOptionError extends Error {
  constructor (option, problem) {
    super(`${problem}\n${USAGE}`)
    this.name = 'SoakOptionError'
    this.code = 'ERR_INVALID_ARG_VALUE'
    this.option = option
  }
}

const invalid = (option, must, value) => new SoakOptionError(option, `--${option} must be ${must}, got ${JSON.stringify(value)}`)

/** The command line (process.argv.slice(2)) as options; throws SoakOptionError. */
function parseOptions (args) {
  const options = { client: { type: 'string', default: 'kernel' }, pairs: { type: 'string', default: PAIRS.join(',') }, faults: { type: 'string', default: DEFAULT_FAULTS }, help: { type: 'boolean' } }
  for (const name of Object.keys(NUMBERS)) options[name] = { type: 'string' }
  let values
  try {
    ({ values } = parseArgs({ args, options, strict: true, allowPositionals: false }))
  } catch (e) {
    throw new SoakOptionError(null, e.message)
  }
  if (values.help) return { help: true, usage: USAGE }
  const out = { client: values.client, faults: values.faults, pairs: values.pairs.split(',').map((p) => p.trim()) }
  if (!['kernel', 'stack'].includes(out.client)) throw invalid('client', '"kernel" or "stack"', out.client)
  if (!out.pairs.length || out.pairs.some((p) => !PAIRS.includes(p)) || new Set(out.pairs).size !== out.pairs.length) {
    throw invalid('pairs', `a list of ${PAIRS.join(', ')} (comma-separated, each once)`, values.pairs)
  }
  for (const [name, [def, ok, must]] of Object.entries(NUMBERS)) {
    const raw = values[name]
    const v = raw === undefined ? def : Number(raw)
    if (raw !== undefined && (raw.trim() === '' || !Number.isFinite(v) || !ok(v))) throw invalid(name, must, raw)
    out[name.replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = v
  }
  return out
}

const mib = (b) => (b / MiB).toFixed(1)
const codes = (c) => (Object.keys(c || {}).length ? ` ${JSON.stringify(c)}` : '')

/** One line: the stack's figures from a server sample, and the load's totals so far. */
function describe (label, server, load) {
  const s = server && server.stats
  const parts = [label]
  if (s) {
    parts.push(`stack: mbufs ${s.mempool.inUse}/${s.mempool.size} in use, LwIP memory ${(s.lwipMemory.inUse / 1024).toFixed(0)} KiB, ` +
      `RSS ${mib(server.rss)} MiB, pcbs ${s.tcp.pcbs} (TIME-WAIT ${s.tcp.timeWait}), sockets ${s.tcp.sockets}, ` +
      `errors${codes(server.errors) || ' none'}, faults dropped rx ${s.faults.rxDropped} tx ${s.faults.txDropped}, ` +
      `recoveries ${s.tcp.recoveries} timeouts ${s.tcp.timeouts}`)
  }
  if (load) {
    const { churn, bulk, udp } = load
    parts.push(`load: churn ${churn.done} done ${churn.failed} failed${codes(churn.codes)}, ` +
      `bulk ${bulk.done} done ${bulk.failed} failed${codes(bulk.codes)} (${mib(bulk.bytes)} MiB), ` +
      `udp ${udp.sent} sent ${udp.answered} answered ${udp.lost} lost ${udp.damaged} damaged`)
    const c = load.stats
    if (c) parts.push(`client stack: mbufs ${c.mempool.inUse}, LwIP memory ${(c.lwipMemory.inUse / 1024).toFixed(0)} KiB, pcbs ${c.tcp.pcbs} (TIME-WAIT ${c.tcp.timeWait}), RSS ${mib(load.rss)} MiB`)
  }
  return parts.join(' | ')
}

/**
 * The judgement on one pair. run: { opts, baseline, warm, end (server samples: { rss,
 * errors, stats }), load (the client's last line, phase 'end' when it finished),
 * clientError, serverDied }. Returns { ok, failures: [], grew: [], line }.
 */
function verdict (run) {
  const { opts, baseline, warm, end, load } = run
  const failures = []
  const grew = []
  if (run.serverDied) failures.push(`the stack's process died (${run.serverDied})`)
  if (run.clientError) failures.push(`the load did not finish: ${run.clientError}`)
  if (load) {
    if (load.phase !== 'end') failures.push('the load printed no final line')
    if (load.bulk.failed > 0) failures.push(`${load.bulk.failed} bulk transfers failed${codes(load.bulk.codes)}`)
    if (opts.bulkStreams > 0 && load.bulk.done === 0) failures.push('no bulk transfer completed')
    if (load.churn.failed > opts.maxFailed) failures.push(`${load.churn.failed} short connections failed (tolerance ${opts.maxFailed})${codes(load.churn.codes)}`)
    if (load.churn.done === 0) failures.push('no short connection completed')
    if (load.udp.damaged > 0) failures.push(`${load.udp.damaged} UDP replies damaged`)
    if (opts.udpRate > 0) {
      const lost = load.udp.sent ? load.udp.lost / load.udp.sent : 1
      if (lost > opts.udpLoss) failures.push(`UDP: ${(lost * 100).toFixed(1)}% of requests unanswered (tolerance ${(opts.udpLoss * 100).toFixed(0)}%)`)
    }
  }
  const check = (what, grown, tolerance, unit) => {
    const text = `${what} ${grown > 0 ? '+' : ''}${grown}${unit} (tolerance ${tolerance}${unit})`
    if (grown > 0) grew.push(text)
    if (grown > tolerance) failures.push(`did not return to baseline: ${text}`)
  }
  const tables = (who, b, e) => {
    check(`${who}mbufs in use`, e.mempool.inUse - b.mempool.inUse, opts.mbufs, '')
    check(`${who}LwIP memory`, Math.round((e.lwipMemory.inUse - b.lwipMemory.inUse) / 1024), opts.lwipKib, ' KiB')
    check(`${who}TCP pcbs`, e.tcp.pcbs - b.tcp.pcbs, 0, '')
    check(`${who}TCP sockets`, e.tcp.sockets - b.tcp.sockets, 0, '')
  }
  if (baseline && end && baseline.stats && end.stats) {
    tables('', baseline.stats, end.stats)
    // RSS: from the sample after the warm-up (heap and JIT settle first) to the end
    const from = warm || baseline
    check('RSS since warm-up', Number(mib(end.rss - from.rss)), opts.rssMib, ' MiB')
  } else if (!run.serverDied) failures.push('no figures from the stack (baseline or end sample missing)')
  // a client on a stack: its table and pools after the load (and its TIME-WAIT) against before
  if (load && load.phase === 'end' && load.start && load.stats) tables('client stack: ', load.start, load.stats)
  const ok = failures.length === 0
  const line = `verdict: ${ok ? 'PASS' : 'FAIL'}; grew: ${grew.length ? grew.join(', ') : 'nothing'}` +
    (failures.length ? `; failed: ${failures.join('; ')}` : '')
  return { ok, failures, grew, line }
}

/** One verdict line per pair, then the run's: FAIL if a pair failed or something was left behind. */
function combine (verdicts, leftovers) {
  const failed = verdicts.filter((v) => !v.ok).map((v) => v.name)
  if (leftovers.length) failed.push(`left behind (the soak removed them): ${leftovers.join(', ')}`)
  const ok = failed.length === 0
  return { ok, lines: [...verdicts.map((v) => v.line.replace(/^verdict:/, `verdict ${v.name}:`)), `verdict: ${ok ? 'PASS' : `FAIL (${failed.join('; ')})`}`] }
}

module.exports = { parseOptions, describe, verdict, combine, SoakOptionError, USAGE, DEFAULT_FAULTS }
