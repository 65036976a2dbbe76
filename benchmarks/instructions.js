'use strict'
// User-space instructions per request of one process of a memif suite (undici, fastify,
// grpc), counted by valgrind's callgrind: repeatable on a loaded machine, where timings
// are not, and the way to compare what the stack's path adds to the kernel's.
//   node benchmarks/instructions.js SUITE --transport kernel|stack --side server|client
//        [--requests 3000] [--top 25] [--out DIR] -- [client arguments after the count]
// e.g. node benchmarks/instructions.js undici --transport stack --side server -- 1 16 request
// The suite's server and client run as in `npm run bench`, one of them under callgrind
// with instrumentation off until the client starts its measured part (after its
// warm-up) and dumped when it sends its result, so only the measured requests count.
// The process under callgrind is the slow one (~50x): it is never idle, so the stack's
// poll-loop spinning stays small in its count. Prints instructions per request and the
// functions with the largest inclusive and self cost per request.
const { execFileSync, spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { parseArgs } = require('node:util')
const { once, start, socketPath, stop } = require('./harness')
const { runMain } = require('./serve')

const PORT = 7400

function annotate (file, inclusive) {
  return execFileSync('callgrind_annotate', [`--inclusive=${inclusive ? 'yes' : 'no'}`, '--threshold=100', file],
    { maxBuffer: 256 << 20 }).toString()
}

// [instructions, function] rows of callgrind_annotate's output, largest first.
function functions (out) {
  return out.split('\n').map((l) => /^\s*([\d,]+) \([\s\d.]+%\)\s+(.*)$/.exec(l)).filter(Boolean)
    .map((m) => [Number(m[1].replace(/,/g, '')), m[2]])
}

async function main () {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      transport: { type: 'string', default: 'stack' },
      side: { type: 'string', default: 'server' },
      requests: { type: 'string', default: '3000' },
      top: { type: 'string', default: '25' },
      out: { type: 'string' }
    }
  })
  const [suite, ...clientArgs] = positionals
  if (!suite || !fs.existsSync(path.join(__dirname, suite, 'client.js'))) throw new Error('name a memif suite: undici, fastify, grpc')
  if (!['kernel', 'stack'].includes(values.transport)) throw new Error('--transport: kernel or stack')
  if (!['server', 'client'].includes(values.side)) throw new Error('--side: server or client')
  const requests = Number(values.requests)
  const outDir = values.out || fs.mkdtempSync(path.join(os.tmpdir(), 'gzb-callgrind-'))
  fs.mkdirSync(outDir, { recursive: true })
  const sock = socketPath(`${suite}-cg`)
  const script = (role) => path.join(__dirname, suite, `${role}.js`)
  const launch = (role, args) => {
    if (role !== values.side) return start(`${suite}/${role}.js`, args)
    const child = spawn('valgrind', ['--tool=callgrind', '--smc-check=all-non-file', '--instr-atstart=no',
      `--callgrind-out-file=${outDir}/callgrind.out.%p`, process.execPath, script(role), ...args],
    { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
    let log = ''
    child.stderr.on('data', (d) => { log = (log + d).slice(-4000) })
    child.once('exit', (code) => { if (code) console.error(log) })
    return child
  }
  const slow = 600_000
  const server = launch('server', [values.transport, String(PORT), sock])
  let client = null
  try {
    await once(server, 'server start', slow)
    client = launch('client', [values.transport, String(PORT), sock, String(requests), ...clientArgs])
    const counted = values.side === 'server' ? server : client
    const first = await once(client, 'client warm-up', slow)
    if (!first.measuring) throw new Error(`client: ${JSON.stringify(first)}`)
    execFileSync('callgrind_control', ['-i', 'on', String(counted.pid)], { stdio: 'ignore' })
    const result = await once(client, 'client result', slow)
    execFileSync('callgrind_control', ['-d', String(counted.pid)], { stdio: 'ignore' })
    const files = fs.readdirSync(outDir).filter((f) => f.startsWith(`callgrind.out.${counted.pid}.`))
    const file = path.join(outDir, files.sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop())).pop())
    const incl = functions(annotate(file, true))
    const self = functions(annotate(file, false))
    const total = incl.find(([, f]) => /PROGRAM TOTALS/.test(f))[0]
    const per = (n) => (n / requests).toFixed(0).padStart(8)
    const top = Number(values.top)
    console.log(`${suite} ${values.transport} ${values.side} (${clientArgs.join(' ')}): ${per(total).trim()} instructions per request ` +
      `(${requests} requests; ${result.rps ? result.rps.toFixed(0) + ' req/s under callgrind' : ''})`)
    const workers = incl.find(([, f]) => /PlatformWorkerThread/.test(f))?.[0] || 0
    console.log(`of which V8's worker threads (optimizing compiler, GC helpers): ${per(workers).trim()}; ` +
      `the rest (the main thread): ${per(total - workers).trim()}`)
    console.log('\ninclusive, per request:')
    for (const [n, f] of incl.filter(([, f]) => !/PROGRAM TOTALS/.test(f)).slice(0, top)) console.log(`${per(n)}  ${f.slice(0, 150)}`)
    console.log('\nself, per request:')
    for (const [n, f] of self.filter(([, f]) => !/PROGRAM TOTALS/.test(f)).slice(0, top)) console.log(`${per(n)}  ${f.slice(0, 150)}`)
    console.log(`\nprofile: callgrind_annotate ${file}`)
  } finally {
    await Promise.all([stop(server), client && stop(client, false)])
    fs.rmSync(sock, { force: true })
  }
}

runMain(main)
