// Operators: gazellectl against two stacks moving known traffic over memif. Counters
// match the bytes sent, conns shows the live connections, the control socket refuses
// another user, a capture parses with tshark, the Prometheus text parses, and the
// logger hears link and control events.
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { cleanup, memifSocket, RUN_DIR, run } from './helpers/cleanup'
import { gazellectl, ctlJson } from './helpers/ctl'
import { StackProcess, needStack, waitFor } from './helpers/harness'

cleanup.hook(t)

const NOBODY = { uid: 65534, gid: 65534 }
const DEFAULT_DIR = '/run/gazelle/ctl'
type Counters = Record<string, Record<string, number>>

function haveTshark(): boolean {
  return run('tshark', ['--version']).ok
}

/** A private directory for the server's control socket (explicit control.path). */
function controlDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = path.join(RUN_DIR, `test-ctl-${randomBytes(4).toString('hex')}`)
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('gazellectl on two stacks over memif', needStack(), async (t) => {
  const socket = memifSocket()
  const dir = controlDir(t)
  const ctlPath = path.join(dir, 'server.sock')
  cleanup.files.add(ctlPath)
  const server = await (await StackProcess.start(t, { name: 'ctl-server' })).use('ops')
  await server.call('createStackWithLog', {
    options: {
      device: { type: 'memif', role: 'server', socket }, ip: '10.10.0.1/24',
      control: { path: ctlPath }, metricsLogInterval: 1000,
    },
  })
  const client = await (await StackProcess.start(t, { name: 'ctl-client' })).use('ops')
  const clientCtl = path.join(DEFAULT_DIR, `${client.pid}.sock`)
  cleanup.files.add(clientCtl)
  await client.createStack({ device: { type: 'memif', role: 'client', socket }, ip: '10.10.0.2/24' })
  const { port } = await server.call('listen', { mode: 'echo' })

  await t.test('control sockets: explicit and default paths, owner-only modes', async (t) => {
    t.equal(await server.call('controlPath'), ctlPath)
    t.equal(await client.call('controlPath'), clientCtl, 'default: <dir>/<pid>.sock')
    t.equal(fs.statSync(ctlPath).mode & 0o777, 0o600, 'socket 0600')
    t.equal(fs.statSync(dir).mode & 0o777, 0o700, 'directory 0700')
    t.equal(fs.statSync(DEFAULT_DIR).mode & 0o777, 0o700, 'default directory 0700')
    const list = await ctlJson<any[]>(['list'])
    const mine = list.find((s) => s.pid === client.pid)
    t.ok(mine, 'list shows the client stack (default directory)')
    t.equal(mine?.ip, '10.10.0.2/24')
    t.equal(mine?.linkUp, true)
    const text = await gazellectl(['list'])
    t.equal(text.code, 0)
    t.ok(text.stdout.split('\n').every((l) => l.length <= 80), 'list fits 80 columns')
    const info = await ctlJson(['--socket', ctlPath, 'stats'])
    t.ok(info.counters.port, 'stats through an explicit --socket')
  })

  await t.test('counters match the bytes sent, within header overhead', async (t) => {
    const before = { s: (await ctlJson(['--socket', ctlPath, 'stats'])).counters as Counters, c: (await ctlJson(['stats', String(client.pid)])).counters as Counters }
    const conns = 4
    const bytesPerConn = 512 * 1024
    const r = await client.call('echoClients', { host: '10.10.0.1', port, conns, bytesPerConn }, 120_000)
    t.ok(r.results.every((x: any) => x.received === bytesPerConn && x.sent === x.got), 'echo intact')
    const payload = conns * bytesPerConn
    // memif loses nothing: once settled, what the client sent is what the server got
    const d = await waitFor(async () => {
      const s = (await ctlJson(['--socket', ctlPath, 'stats'])).counters as Counters
      const c = (await ctlJson(['stats', String(client.pid)])).counters as Counters
      const delta = (now: Counters, was: Counters, k: string) => now.port[k] - was.port[k]
      const v = {
        serverRxBytes: delta(s, before.s, 'rxBytes'), serverRxPackets: delta(s, before.s, 'rxPackets'),
        serverTxBytes: delta(s, before.s, 'txBytes'), clientTxBytes: delta(c, before.c, 'txBytes'),
        clientTxPackets: delta(c, before.c, 'txPackets'), clientRxBytes: delta(c, before.c, 'rxBytes'),
        serverTcpRecv: s.tcp.recv - before.s.tcp.recv,
        // segments the server resent: tail loss probes fire when a peer is descheduled
        // for more than the probe timeout (10 ms), which a loaded machine does
        serverResent: ['lossProbes', 'fastRetransmits', 'timeouts'].reduce((n, k) => n + s.tcp[k] - before.s.tcp[k], 0),
        // and the client: its probes also fire after it closed, with its last data in flight
        clientResent: ['lossProbes', 'fastRetransmits', 'timeouts'].reduce((n, k) => n + c.tcp[k] - before.c.tcp[k], 0),
      }
      return v.clientTxBytes === v.serverRxBytes && v.clientRxBytes === v.serverTxBytes ? v : null
    }, 10_000, 'client tx and server rx counters to agree')
    t.equal(d.clientTxPackets, d.serverRxPackets, 'frames sent = frames received')
    // Each frame carries at most Ethernet + IPv4 + TCP headers with options (< 80 bytes).
    t.ok(d.serverRxBytes >= payload, `server rx ${d.serverRxBytes} >= payload ${payload}`)
    t.ok(d.serverRxBytes <= payload + d.serverRxPackets * 80 + d.clientResent * (9000 + 14),
      `server rx ${d.serverRxBytes} <= payload + ${d.serverRxPackets} headers (${d.clientResent} segments resent)`)
    const resentMax = d.serverResent * (9000 + 14)
    t.ok(d.serverTxBytes >= payload && d.serverTxBytes <= payload + d.serverRxPackets * 80 * 2 + resentMax,
      `server tx ${d.serverTxBytes} (the echo, ${d.serverResent} segments resent)`)
    t.ok(d.serverTcpRecv >= d.serverRxPackets * 0.9, `LwIP tcp.recv ${d.serverTcpRecv} ~ frames ${d.serverRxPackets}`)

    const rates = await ctlJson(['rates', String(client.pid), '--interval', '200'])
    t.ok(rates.rates.port && typeof rates.rates.port.rxPackets === 'number', 'rates --json gives per-second counters')
    const text = await gazellectl(['stats', String(client.pid)])
    t.equal(text.code, 0, text.stderr)
    t.match(text.stdout, /rx packets/)
    t.match(text.stdout, /LwIP/)
    t.ok(text.stdout.split('\n').every((l) => l.length <= 80), 'stats fits 80 columns')
  })

  await t.test('conns lists the live connections and their state', async (t) => {
    const localPorts: number[] = await client.call('holdClients', { host: '10.10.0.1', port, count: 3 })
    const onServer = await ctlJson<any[]>(['--socket', ctlPath, 'conns'])
    const est = onServer.filter((c) => c.state === 'ESTABLISHED' && c.local === `10.10.0.1:${port}`)
    t.same(est.map((c) => Number(c.remote.split(':')[1])).sort(), [...localPorts].sort(), 'each held client, by port')
    t.ok(est.every((c) => c.remote.startsWith('10.10.0.2:') && c.receiveWindow > 0 && c.sendWindow > 0 && c.cwnd > 0 && c.ageMillis >= 0))
    t.ok(onServer.some((c) => c.state === 'LISTEN' && c.local === `0.0.0.0:${port}`), 'the listener')
    const onClient = await ctlJson<any[]>(['conns', String(client.pid)])
    t.equal(onClient.filter((c) => c.state === 'ESTABLISHED' && c.remote === `10.10.0.1:${port}`).length, 3)
    const text = await gazellectl(['--socket', ctlPath, 'conns'])
    t.equal(text.code, 0, text.stderr)
    t.equal(text.stdout.split('\n').filter((l) => l.startsWith('ESTAB')).length, 3, 'ss-like ESTAB lines')
    t.ok(text.stdout.split('\n').every((l) => l.length <= 80), 'conns fits 80 columns')
    await client.call('closeHeldClients')
    await waitFor(async () => {
      const now = await ctlJson<any[]>(['--socket', ctlPath, 'conns'])
      return !now.some((c) => c.state === 'ESTABLISHED')
    }, 10_000, 'the held connections to close')
  })

  await t.test('latency histograms have samples for each stage', async (t) => {
    const l = await ctlJson(['--socket', ctlPath, 'latency'])
    for (const stage of ['rxToJs', 'jsBatch', 'writeToTx']) {
      t.ok(l[stage].count > 0, `${stage}: ${l[stage].count} samples`)
      t.equal(l[stage].buckets.reduce((a: number, b: number) => a + b, 0), l[stage].count, `${stage}: buckets add up`)
    }
    const text = await gazellectl(['--socket', ctlPath, 'latency'])
    t.match(text.stdout, /NIC rx -> JS delivery: .* samples/)
    t.match(text.stdout, /p50 .* p99/)
    t.ok(text.stdout.split('\n').every((l) => l.length <= 80), 'latency fits 80 columns')
  })

  await t.test('the control socket refuses another user', async (t) => {
    const denied = await gazellectl(['--socket', ctlPath, 'stats'], { user: NOBODY })
    t.not(denied.code, 0, 'nobody cannot reach it through the 0700 directory')
    t.match(denied.stderr, /connect EACCES .*run gazellectl as the stack's owner or root \[EACCES\]/, denied.stderr)
    // With the file modes opened up (a mistake), SO_PEERCRED still keeps nobody out.
    fs.chmodSync(dir, 0o755)
    fs.chmodSync(ctlPath, 0o666)
    try {
      const refused = await gazellectl(['--socket', ctlPath, 'stats'], { user: NOBODY })
      t.not(refused.code, 0)
      t.match(refused.stderr, /^gazellectl: permission denied: uid 65534 \(pid \d+\) is not the stack's owner \(uid 0\) \[EACCES\]\n$/, refused.stderr)
      const owner = await gazellectl(['--socket', ctlPath, 'stats'])
      t.equal(owner.code, 0, 'the owner still gets through')
    } finally {
      fs.chmodSync(ctlPath, 0o600)
      fs.chmodSync(dir, 0o700)
    }
    const logs: any[] = await server.call('logRecords')
    t.ok(logs.some((r) => r.event === 'control-refused' && r.level === 'warn' && /uid 65534/.test(r.reason)), 'refusal logged')
  })

  await t.test('capture: a pcap tshark reads, with the test\'s packets', { skip: haveTshark() ? false : 'tshark not installed (scripts/setup.sh installs it)' }, async (t) => {
    const out = path.join(dir, 'cap.pcap')
    const count = 40
    const capture = gazellectl(['--socket', ctlPath, 'capture', '--out', out, '--count', String(count), '--duration', '60'])
    await waitFor(() => fs.existsSync(out) && fs.statSync(out).size >= 24, 10_000, 'the capture file')
    const marker = `gazelle-capture-${randomBytes(6).toString('hex')}`
    t.equal(await client.call('sendText', { host: '10.10.0.1', port, text: marker }), marker, 'echoed')
    await client.call('echoClients', { host: '10.10.0.1', port, conns: 1, bytesPerConn: 256 * 1024 })
    const r = await capture
    t.equal(r.code, 0, r.stderr)
    t.match(r.stdout, new RegExp(`^${count} frames`))
    const tshark = (args: string[]) => execFileSync('tshark', ['-r', out, ...args], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 }).toString()
    const frames = tshark(['-T', 'fields', '-e', 'frame.number']).trim().split('\n')
    t.equal(frames.length, count, 'exactly --count frames')
    const payloads = tshark(['-Y', `tcp.port == ${port}`, '-T', 'fields', '-e', 'ip.src', '-e', 'tcp.payload']).trim().split('\n')
    const hex = Buffer.from(marker).toString('hex')
    const withMarker = payloads.filter((l) => l.replace(/:/g, '').includes(hex)).map((l) => l.split('\t')[0])
    t.same(withMarker.sort(), ['10.10.0.1', '10.10.0.2'], 'the marker both ways: received and echoed')
  })

  await t.test('a control path in use by a live stack: ERR_GAZELLE_CONTROL, nothing left open', async (t) => {
    const third = await StackProcess.start(t, { name: 'ctl-third' })
    const r = await third.call('tryCreateStack', {
      options: { device: { type: 'memif', role: 'server', socket: memifSocket() }, ip: '10.11.0.1/24', control: { path: ctlPath } },
    })
    t.equal(r.ok, false)
    t.equal(r.code, 'ERR_GAZELLE_CONTROL')
    t.match(r.message, /in use by another process/)
    t.ok((await third.call('tryCreateStack', {
      options: { device: { type: 'memif', role: 'server', socket: memifSocket() }, ip: '10.11.0.1/24', control: false },
    })).ok, 'the same process can open a stack afterwards')
    t.ok((await ctlJson(['--socket', ctlPath, 'stats'])).counters, 'the first stack still answers')
  })

  await t.test('Prometheus text parses and has the counters', async (t) => {
    const { text, contentType, stats } = await server.call('metricsText')
    t.match(contentType, /^text\/plain/)
    const lines = text.split('\n').filter((l: string) => l !== '')
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.]+(?:e[+-]?\d+)?|NaN|[+-]Inf)$/
    const bad = lines.filter((l: string) => !(/^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$/.test(l) || sample.test(l)))
    t.same(bad, [], 'every line is a HELP, TYPE or sample line')
    const value = (name: string) => {
      const line = lines.find((l: string) => l.startsWith(`${name}{`))
      return line === undefined ? NaN : Number(line.split(' ').pop())
    }
    const device = `memif:server:${socket}#0`
    t.ok(lines.includes(`# TYPE gazelle_rx_packets_total counter`))
    t.ok(lines.some((l: string) => l.startsWith(`gazelle_rx_packets_total{device="${device}"} `)), 'labelled with the device')
    t.ok(value('gazelle_rx_packets_total') >= stats.port.rxPackets, 'rx packets at least what stats() said before')
    t.ok(value('gazelle_rx_bytes_total') >= stats.port.rxBytes && stats.port.rxBytes > 0)
    t.equal(value('gazelle_link_up'), 1)
    t.ok(lines.some((l: string) => /^gazelle_lwip_packets_total\{.*protocol="tcp",event="recv"\} [1-9]/.test(l)), 'LwIP tcp recv')
  })

  await t.test('logs: loglevel from gazellectl, metrics line, memif disconnect', async (t) => {
    const set = await gazellectl(['--socket', ctlPath, 'set', 'loglevel', 'debug'])
    t.equal(set.code, 0, set.stderr)
    t.match(set.stdout, /log level debug/)
    await gazellectl(['--socket', ctlPath, 'conns'])
    let logs: any[] = await server.call('logRecords')
    t.ok(logs.some((r) => r.event === 'control-request' && r.level === 'debug' && r.cmd === 'conns'), 'debug events after set loglevel debug')
    t.ok(logs.some((r) => r.event === 'memif-connect'), 'memif connect logged')
    t.ok(logs.some((r) => r.event === 'metrics' && r.rxPackets > 0), 'periodic metrics line')
    await client.call('closeStack')
    t.notOk(fs.existsSync(clientCtl), 'stack.close() removed the default control socket')
    logs = await waitFor(async () => {
      const l: any[] = await server.call('logRecords')
      return l.some((r) => r.event === 'memif-disconnect' && r.level === 'warn') ? l : null
    }, 10_000, 'memif-disconnect in the log')
    t.pass('memif disconnect logged')
    await server.call('closeStack')
    t.notOk(fs.existsSync(ctlPath), 'stack.close() removed the control socket')
  })
})
