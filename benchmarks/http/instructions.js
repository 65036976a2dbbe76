'use strict'
// User-space instructions per request of the http benchmark's server, counted by
// valgrind's callgrind: repeatable on a loaded machine, where timings are not.
//   node benchmarks/http/instructions.js [--kind af_packet] [--requests 2000] [--batches 6] [--out DIR]
// The server (benchmarks/http/server.js, one kind from kinds.js) runs under callgrind in
// the server namespace; h2load sends `batches` batches of `requests` over 4 connections
// (the server is never idle, so poll-loop spinning stays small); each batch is counted
// on its own (callgrind_control -z / -d), the first ones warm up V8's compilers. Prints
// instructions per request for each batch and, for the last, the inclusive share of the
// parts of the path (JS callback, stack poll and flush, N-API marshalling, libuv, malloc).
// Kernel kinds count user space only: their system calls' kernel work is not included.
const { execFileSync, spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { parseArgs } = require('node:util')
const { vethPair } = require('../netns')
const { kinds, serverLaunch, stopServer } = require('./kinds')
const { once } = require('../harness')
const { runMain } = require('../serve')

const PORT = 8080

// Functions whose inclusive cost is shown, by the label printed.
const PARTS = [
  ['JS callback (HTTP, Fastify, stack JS)', /napi_make_callback/],
  ['stack poll (rx, LwIP input)', /gz_stack_poll\b/],
  ['stack flush (LwIP output, tx)', /gz_stack_flush\b/],
  ['N-API: Buffers for events', /napi_create_buffer\b/],
  ['N-API: event arrays', /napi_set_element\b/],
  ['libuv io poll (epoll)', /uv__io_poll\b/],
  ['malloc', /malloc\.c:malloc\b/],
  ['free', /malloc\.c:free\b/],
  ['LwIP mem_malloc', /mem\.c:mem_malloc\b/],
  ['checksum', /gz_raw_cksum|inet_chksum_pseudo\b/]
]

function inclusive (file) {
  const out = execFileSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', file], { maxBuffer: 256 << 20 }).toString()
  const total = Number(/([\d,]+) \([\s\d.]+%\)\s+PROGRAM TOTALS/.exec(out)[1].replace(/,/g, ''))
  const parts = PARTS.map(([label, re]) => {
    const line = out.split('\n').find((l) => re.test(l) && /^\s*[\d,]+ \(/.test(l))
    return [label, line ? Number(line.trim().split(' ')[0].replace(/,/g, '')) : 0]
  })
  return { total, parts }
}

async function main () {
  const { values } = parseArgs({
    options: {
      kind: { type: 'string', default: 'af_packet' },
      requests: { type: 'string', default: '2000' },
      batches: { type: 'string', default: '6' },
      out: { type: 'string' }
    }
  })
  const kind = kinds[values.kind]
  if (!kind) throw new Error(`--kind: one of ${Object.keys(kinds).join(', ')}`)
  const requests = Number(values.requests)
  const outDir = values.out || fs.mkdtempSync(path.join(os.tmpdir(), 'gzb-callgrind-'))
  fs.mkdirSync(outDir, { recursive: true })
  const net = vethPair()
  let server
  try {
    kind.prepare(net)
    const { args, nodeArgs, env } = serverLaunch(kind, net, PORT)
    server = spawn('ip', ['netns', 'exec', net.serverNs, 'valgrind', '--tool=callgrind', '--smc-check=all-non-file',
      '--instr-atstart=no', `--callgrind-out-file=${outDir}/callgrind.out.%p`, process.execPath,
      ...nodeArgs, path.join(__dirname, 'server.js'), ...args],
    { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: { ...process.env, ...env } })
    let log = ''
    server.stderr.on('data', (d) => { log += d })
    const ready = await once(server, 'server under callgrind', 300_000).catch((err) => { throw new Error(`${err.message}\n${log}`) })
    if (!ready.ready) throw new Error(JSON.stringify(ready))
    const ctl = (flag) => execFileSync('callgrind_control', [flag, String(server.pid)], { stdio: 'ignore' })
    execFileSync('callgrind_control', ['-i', 'on', String(server.pid)], { stdio: 'ignore' })
    const url = `http://${net.serverIp}:${PORT}/`
    let last
    for (let b = 1; b <= Number(values.batches); b++) {
      ctl('-z')
      const out = net.exec(net.clientNs, 'h2load', ['--h1', '-n', String(requests), '-c', '4', url], 600_000)
      if (!new RegExp(`${requests} succeeded`).test(out)) throw new Error(`h2load:\n${out}`)
      ctl('-d')
      const files = fs.readdirSync(outDir).filter((f) => f.startsWith(`callgrind.out.${server.pid}.`))
      last = path.join(outDir, files.sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop())).pop())
      const { total } = inclusive(last)
      console.log(`batch ${b}: ${(total / requests).toFixed(0)} instructions per request`)
    }
    const { total, parts } = inclusive(last)
    console.log(`\nlast batch, ${values.kind}: ${(total / requests).toFixed(0)} instructions per request; inclusive, per request:`)
    for (const [label, n] of parts) console.log(`  ${label.padEnd(40)} ${(n / requests).toFixed(0).padStart(8)}  ${(100 * n / total).toFixed(1)}%`)
    console.log(`\nprofile: callgrind_annotate ${last}`)
  } finally {
    await stopServer(server)
    net.close()
  }
}

runMain(main)
