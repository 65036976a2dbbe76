'use strict'
// Summarises a V8 CPU profile (node --cpu-prof) by where the time went: self time per
// bucket (grpc-js, node's http2, @gazelle/stack, the native poll, GC, idle, ...) and
// the top functions. Used to show what caps the gRPC benchmark.
//   node benchmarks/grpc/profile-summary.js FILE.cpuprofile [top]
const fs = require('node:fs')

const buckets = [
  ['grpc-js', (u) => u.includes('@grpc/grpc-js')],
  ['protobuf (proto-loader/protobufjs)', (u) => /protobufjs|proto-loader|@protobufjs/.test(u)],
  ['@gazelle/grpc', (u) => u.includes('packages/grpc/')],
  ['@gazelle/stack (JS)', (u) => u.includes('packages/stack/')],
  ['node http2', (u) => u.includes('internal/http2') || u === 'node:http2'],
  ['node streams / js_stream_socket / net', (u) => /internal\/streams|js_stream_socket|node:net|internal\/stream_base/.test(u)],
  ['node other', (u) => u.startsWith('node:')],
  ['benchmark program', (u) => u.includes('benchmarks/') || u.includes('examples/')]
]

function bucketOf (node) {
  const { url, functionName } = node.callFrame
  if (functionName === '(garbage collector)') return 'GC'
  if (functionName === '(idle)') return 'idle'
  if (functionName === '(program)') return 'native / VM (program)'
  if (!url) return `native: ${functionName || '(anonymous)'}`
  const hit = buckets.find(([, test]) => test(url))
  return hit ? hit[0] : 'other JS'
}

function main () {
  const [file, topArg] = process.argv.slice(2)
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'))
  const interval = new Map() // node id -> self microseconds
  const deltas = profile.timeDeltas
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]
    interval.set(id, (interval.get(id) || 0) + (deltas[i + 1] ?? 0))
  }
  const total = [...interval.values()].reduce((a, b) => a + b, 0)
  const byBucket = new Map()
  const byFunction = new Map()
  for (const node of profile.nodes) {
    const us = interval.get(node.id) || 0
    if (!us) continue
    const b = bucketOf(node)
    byBucket.set(b, (byBucket.get(b) || 0) + us)
    const { functionName, url, lineNumber } = node.callFrame
    const key = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(packages|benchmarks|examples)\//, '$1/')}:${lineNumber + 1}`
    byFunction.set(key, (byFunction.get(key) || 0) + us)
  }
  const pct = (us) => `${((100 * us) / total).toFixed(1)}%`
  const busy = total - (byBucket.get('idle') || 0)
  console.log(`profile ${file}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy`)
  console.log('\n| where | self time | share of all | share of busy |\n|---|---:|---:|---:|')
  for (const [b, us] of [...byBucket].sort((a, c) => c[1] - a[1])) {
    console.log(`| ${b} | ${(us / 1e3).toFixed(0)} ms | ${pct(us)} | ${b === 'idle' ? '' : `${((100 * us) / busy).toFixed(1)}%`} |`)
  }
  const top = Number(topArg || 12)
  console.log(`\ntop ${top} functions by self time:`)
  for (const [f, us] of [...byFunction].sort((a, c) => c[1] - a[1]).slice(0, top)) console.log(`  ${pct(us).padStart(6)}  ${f}`)
}

main()
