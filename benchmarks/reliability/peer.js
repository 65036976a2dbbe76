'use strict'
// One end of a reliability measurement, on node:net (the kernel) or on a stack, run
// inside a network namespace by wire.js. The same program runs on both transports.
//
//   node peer.js '{"transport":"kernel"|"stack","stack":{createStack options},"role":"server","port":7300}'
//     ("serve":"http": a node:http server answering "ok"; "echo": echoes every byte)
//   node peer.js '{...,"role":"conns","host":...,"port":...,"count":100000,"burst":500}': conns-client.js
//   node peer.js '{...,"role":"churn","host":...,"port":...,"seconds":60,"rate":300,"parallel":64,"bytes":65536}'
//   node peer.js '{...,"role":"soak",...}': soak-load.js (a server for it: "serve":"echo",
//     "bulkPort" for bulk.js transfers and "udpPort" for a UDP echo)
//   node peer.js '{"transport":...,"role":"client","host":"10.99.0.2","port":7300,"bytes":16777216,"direction":"up"}'
//
// The transfer is bulk.js's. A client prints one JSON line (bulk.js's result, plus its
// stack's counters) and exits; a server prints {"listening":port} once ready, then
// serves until SIGTERM (closing its stack first). On SIGUSR2 a server prints a line with
// its connections, socket errors by code, RSS and its stack's stats().
const dgram = require('node:dgram')
const http = require('node:http')
const net = require('node:net')
const { serve, transfer } = require('./bulk')
const { conns, churn } = require('./conns-client')
const { soakLoad } = require('./soak-load')

const cfg = JSON.parse(process.argv[2] || '{}')

async function transport () {
  if (cfg.transport === 'kernel') return { api: net, dgram, close: async () => {}, stack: null }
  const { createStack } = require('@gazelle/stack')
  const stack = await createStack(cfg.stack)
  return { api: stack, dgram: stack, close: () => stack.close(), stack }
}

const errors = {} // socket errors the server saw, by code
const countError = (e) => { errors[e.code || e.message] = (errors[e.code || e.message] || 0) + 1 }

function handler (kind = cfg.serve) {
  if (kind === 'echo') return (sock) => sock.on('error', countError).pipe(sock)
  if (kind !== 'http') return (sock) => serve(sock.on('error', countError))
  // a plain node:http answer per request (the SYN flood benchmark)
  const hs = http.createServer((req, res) => res.end('ok\n'))
  return (sock) => hs.emit('connection', sock)
}

async function server () {
  const t = await transport()
  const srv = t.api.createServer({ allowHalfOpen: cfg.serve !== 'http' }, handler())
  // more ports (cfg.ports) are served by more servers of the same kind
  for (const port of (cfg.ports || []).filter((p) => p !== cfg.port)) t.api.createServer({ allowHalfOpen: cfg.serve !== 'http' }, handler()).listen(port)
  if (cfg.bulkPort) t.api.createServer({ allowHalfOpen: true }, handler('bulk')).listen(cfg.bulkPort)
  if (cfg.udpPort) {
    const udp = t.dgram.createSocket('udp4')
    udp.on('message', (msg, rinfo) => udp.send(msg, rinfo.port, rinfo.address))
    udp.on('error', countError)
    await new Promise((resolve) => udp.bind(cfg.udpPort, resolve))
  }
  srv.listen(cfg.port, () => console.log(JSON.stringify({ listening: cfg.port })))
  process.on('SIGUSR2', () => srv.getConnections((err, n) => console.log(JSON.stringify({
    connections: err ? -1 : n, errors, rss: process.memoryUsage().rss, stats: t.stack ? t.stack.stats() : null
  }))))
  const stop = async () => {
    srv.close()
    await t.close()
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

async function client () {
  const t = await transport()
  if (cfg.role === 'conns') {
    await conns(t.api, cfg, (r) => console.log(JSON.stringify({ ...r, tcp: t.stack ? t.stack.stats().tcp : null, port: t.stack ? t.stack.stats().port : null, mempool: t.stack ? t.stack.stats().mempool : null })))
    await t.close()
    process.exit(0)
  }
  if (cfg.role === 'soak') {
    const sample = () => (t.stack ? { stats: t.stack.stats() } : {})
    await soakLoad(t.api, t.dgram, cfg, (r) => console.log(JSON.stringify(r)), sample)
    await t.close()
    process.exit(0)
  }
  if (cfg.role === 'churn') {
    const sample = () => {
      if (!t.stack) return {}
      const { tcp, mempool, port } = t.stack.stats()
      return { pcbs: tcp.pcbs, timeWait: tcp.timeWait, mempoolInUse: mempool.inUse, timeouts: tcp.timeouts, lossProbes: tcp.lossProbes, rxMissed: port.rxMissed }
    }
    await churn(t.api, cfg, (r) => console.log(JSON.stringify(r)), sample)
    await t.close()
    process.exit(0)
  }
  const cpu0 = process.cpuUsage()
  const result = await transfer(t.api, cfg)
  const cpu = process.cpuUsage(cpu0)
  result.cpuSeconds = (cpu.user + cpu.system) / 1e6
  if (t.stack) result.tcp = t.stack.stats().tcp
  console.log(JSON.stringify(result))
  await t.close()
  process.exit(0)
}

;(cfg.role === 'server' ? server() : client()).catch((e) => {
  console.error(e)
  process.exit(1)
})
