'use strict'
// Keeps benchmarks/RESULTS.md: one section per suite, replaced on each --write.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const file = path.join(__dirname, 'RESULTS.md')

function writeResults (suite, table) {
  let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmark results\n'
  const begin = `<!-- ${suite}:begin -->`
  const end = `<!-- ${suite}:end -->`
  const stamp = `${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} CPUs (${os.cpus()[0].model}), Node ${process.version}`
  const section = `${begin}\n## ${suite}\n\nMeasured ${stamp} with \`npm run bench -- ${suite}\`.\n\n${table}\n${end}`
  const at = text.indexOf(begin)
  if (at >= 0) text = text.slice(0, at) + section + text.slice(text.indexOf(end) + end.length)
  else text = text.trimEnd() + '\n\n' + section + '\n'
  fs.writeFileSync(file, text)
}

module.exports = { writeResults }
