'use strict'
// npm run bench -- <suite> [--rounds N] [--write]
// Runs the same programs over node:net on kernel loopback and over @gazelle/stack
// on memif, alternating, in one run; prints medians and the stack/kernel ratio.
// --write records the table in benchmarks/RESULTS.md.
const { parseArgs } = require('node:util')
const { writeResults } = require('./results')

const suites = {
  tcp: require('./tcp/suite'),
  undici: require('./undici/suite'),
  grpc: require('./grpc/suite'),
  fastify: require('./fastify/suite'),
  udp: require('./udp/suite')
}

async function main () {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      rounds: { type: 'string', default: '3' },
      write: { type: 'boolean', default: false }
    }
  })
  const name = positionals[0]
  const suite = suites[name]
  if (!suite) {
    console.error(`usage: npm run bench -- <${Object.keys(suites).join('|')}> [--rounds N] [--write]`)
    process.exit(2)
  }
  const rounds = Number(values.rounds)
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) {
    console.error(`--rounds must be an integer from 1 to 20, got ${values.rounds}`)
    process.exit(2)
  }
  const table = await suite.run({ rounds, log: (line) => console.log(line) })
  console.log('\n' + table)
  if (values.write) writeResults(name, table)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
