'use strict'
// npm run bench -- <suite> [--rounds N] [--max-wait SHARE] [--pin] [--node-args FLAGS] [--write] [suite options]
// Runs the same programs over the kernel and over @gazelle/stack, alternating, in one
// run; prints medians with their spread and the stack/kernel ratio. A measurement whose
// processes waited more than --max-wait (default 0.1) of the run for a CPU is starved:
// the baseline leaves it out (none left: the run fails); other sides keep it as a bound
// in throughput and latency rows (marked *) and leave it out of CPU rows. --write records the table in
// benchmarks/RESULTS.md. --pin puts each measurement's client on CPU 0 and server on the
// last CPU (every side alike); --node-args gives every benchmark process (every side)
// these Node/V8 flags, e.g. "--single-threaded-gc". GAZELLE_BENCH_THREADS=1 prints, per
// measurement, which threads of the machine ran and waited (benchmarks/threads.js).
const { parseArgs } = require('node:util')
const { writeResults } = require('./results')
const { setMaxWait, setNodeArgs, setPin } = require('./harness')

const suites = {
  tcp: require('./tcp/suite'),
  'tcp-veth': require('./tcp/veth'),
  undici: require('./undici/suite'),
  grpc: require('./grpc/suite'),
  fastify: require('./fastify/suite'),
  udp: require('./udp/suite'),
  http: require('./http/suite'),
  register: require('./register/suite'),
  'reliability/loss': require('./reliability/loss'),
  'reliability/synflood': require('./reliability/synflood'),
  'reliability/conns': require('./reliability/conns'),
  'reliability/churn': require('./reliability/churn')
}

function usage (message) {
  if (message) console.error(message)
  const lines = Object.entries(suites).map(([name, s]) =>
    `  ${name}${Object.keys(s.options || {}).map((o) => ` [--${o} ${s.options[o].hint || 'VALUE'}]`).join('')}`)
  console.error(`usage: npm run bench -- <suite> [--rounds N] [--max-wait SHARE] [--pin] [--node-args FLAGS] [--write]\n${lines.join('\n')}`)
  process.exit(2)
}

async function main () {
  const name = process.argv[2]
  const suite = suites[name]
  if (!suite) usage(name ? `unknown suite ${name}` : undefined)
  const suiteOptions = Object.fromEntries(Object.entries(suite.options || {}).map(([k, o]) => [k, { type: o.type || 'string' }]))
  let values
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(3),
      options: {
        rounds: { type: 'string', default: '3' },
        'max-wait': { type: 'string', default: '0.1' },
        write: { type: 'boolean', default: false },
        pin: { type: 'boolean', default: false },
        'node-args': { type: 'string', default: '' },
        ...suiteOptions
      }
    }))
  } catch (err) {
    usage(err.message)
  }
  const rounds = Number(values.rounds)
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) usage(`--rounds must be an integer from 1 to 20, got ${values.rounds}`)
  const maxWait = Number(values['max-wait'])
  if (!(maxWait > 0 && maxWait <= 1)) usage(`--max-wait must be a share in (0, 1], got ${values['max-wait']}`)
  setMaxWait(maxWait)
  setPin(values.pin)
  setNodeArgs(values['node-args'].split(/\s+/).filter(Boolean))
  const table = await suite.run({ rounds, log: (line) => console.log(line), options: values })
  console.log('\n' + table)
  if (values.write) writeResults(name, table)
}

main().catch((err) => {
  // A failed comparison (the baseline starved) is reported plainly; anything else with its stack.
  if (err.report !== undefined) console.error(`${err.message}\n${err.report}`)
  else console.error(err)
  process.exit(1)
})
