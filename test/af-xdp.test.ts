// The af_xdp device with flow bifurcation: a stack and the kernel share one interface,
// one address and one MAC (one end of a veth pair in a namespace made for the test);
// kernel programs in a second namespace reach both. The stack takes only its ports;
// ARP, ping and every other port stay with the kernel, and they go back to the kernel
// when the stack closes or dies.
import t from 'tap'
import { cleanup, execIn } from './helpers/cleanup'
import { gazellectl } from './helpers/ctl'
import { needStack, StackProcess, waitFor } from './helpers/harness'
import * as sc from './helpers/scenarios'
import { CLIENT_IP, SERVER_IP, reservedPorts, xdpLink, xdpProgramOn } from './helpers/xdp'

cleanup.hook(t)
const MiB = 1 << 20
const curl = ['-sS', '--noproxy', '*', '--max-time', '10']
const XDP_DEVICE = { type: 'af_xdp', iface: 'gzsrv' }

interface Exchange { count: number; echoed: number; mismatches: number; retransmits: number; ms: number }

t.test('af_xdp: the kernel and a stack share an interface and its address', needStack(), async (t) => {
  const { cli, srv } = await xdpLink(t)
  const stack = await StackProcess.start(t, { name: 'xdp-stack', netns: srv })
  await stack.createStack({ device: XDP_DEVICE, ip: 'auto' })
  const hostKernel = await StackProcess.start(t, { kernel: true, netns: srv, name: 'srv-kernel' })
  const clients = await StackProcess.start(t, { kernel: true, netns: cli, name: 'cli-kernel' })

  await t.test('steering is on: the program, the reserved range, the mode in stats', async (t) => {
    t.equal(xdpProgramOn(srv, 'gzsrv'), 'gz_steer')
    t.equal(await reservedPorts(srv), '61000-65535', 'the ephemeral range is reserved in the kernel')
    const { xdp } = await stack.call('stats')
    t.match(xdp, { bifurcated: 1, sockets: 1, zeroCopy: 0 }, 'veth: copy mode (no XSK zero-copy in its driver)')
    const ctl = await gazellectl(['stats', String(stack.pid)])
    t.match(ctl.stdout, /AF_XDP +mode +copy +xdp +driver/, `gazellectl shows the mode\n${ctl.stdout}${ctl.stderr}`)
    await stack.use('ops')
    const { text } = await stack.call('metricsText')
    t.match(text, /gazelle_xdp_zero_copy\{device="af_xdp:gzsrv"\} 0/, 'and Prometheus')
  })

  await t.test('curl reaches a stack server and a kernel server on the same address', async (t) => {
    const { port: stackPort } = await stack.call('httpServer', { port: 7000 })
    const { port: kernelPort } = await hostKernel.call('httpServer', { port: 8080, host: SERVER_IP })
    for (const port of [stackPort, kernelPort]) {
      const r = await execIn(cli, 'curl', [...curl, `http://${SERVER_IP}:${port}/p${port}`])
      t.equal(r.code, 0, `curl :${port} ${r.stderr}`)
      t.match(r.stdout, new RegExp(`^hello from gazelle GET /p${port} 0 `), `:${port} answered`)
    }
    const before = (await stack.call('stats')).tcp.recv
    await execIn(cli, 'curl', [...curl, `http://${SERVER_IP}:${kernelPort}/again`])
    t.equal((await stack.call('stats')).tcp.recv, before, 'the kernel port\'s segments never reached the stack')
  })

  await t.test('ping is answered by the kernel', async (t) => {
    const r = await execIn(cli, 'ping', ['-c', '3', '-i', '0.2', '-W', '2', SERVER_IP], 20_000)
    t.equal(r.code, 0, `${r.stdout}${r.stderr}`)
    t.match(r.stdout, /3 packets transmitted, 3 received/)
    const s = await stack.call('stats')
    t.equal(s.icmp.recv, 0, 'LwIP saw no ICMP')
    t.equal(s.etharp.recv, 0, 'nor ARP')
    t.ok(s.xdp.toKernel > 0 && s.xdp.toStack > 0, `the program counted both sides (${s.xdp.toStack} to the stack, ${s.xdp.toKernel} to the kernel)`)
  })

  await t.test('a stack port the kernel already has is EADDRINUSE', async (t) => {
    const r = await stack.call('listenTwice', { port: 8080 }).catch((e: Error & { code?: string }) => ({ code: e.code }))
    t.equal(r.code, 'EADDRINUSE')
  })

  await t.test('64 MiB echoed both ways from node:net clients (sha256)', async (t) => {
    await sc.echoBulk(t, stack, clients, SERVER_IP, { conns: 8, bytesPerConn: 8 * MiB, timeoutMs: 240_000 })
    const s = await stack.call('stats')
    t.comment(`stack: port ${JSON.stringify(s.port)} tcp ${JSON.stringify(s.tcp)} poll ${JSON.stringify(s.poll)} xdp ${JSON.stringify(s.xdp)}`)
  })

  await t.test('a stack client connects out (ephemeral range) while the kernel connects out too', async (t) => {
    const { port } = await clients.call('listen', { mode: 'echo', host: CLIENT_IP })
    const r = await stack.call('echoClients', { host: CLIENT_IP, port, conns: 4, bytesPerConn: 2 * MiB, timeoutMs: 120_000 }, 130_000)
    t.equal(r.results.filter((x: any) => x.received === 2 * MiB && x.sent === x.got && x.gotEnd).length, 4, 'stack -> kernel echo intact')
    const k = await hostKernel.call('echoClients', { host: CLIENT_IP, port, conns: 4, bytesPerConn: 256 * 1024 })
    t.equal(k.results.filter((x: any) => x.received === 256 * 1024 && x.sent === x.got).length, 4, 'the kernel\'s own connections work')
    const reports = await clients.call('serverReports', { port, count: 8 })
    const stackPorts = reports.map((x: any) => x.remotePort).filter((p: number) => p >= 61000)
    t.equal(stackPorts.length, 4, `the stack's ports are in its range, the kernel's outside it (${reports.map((x: any) => x.remotePort)})`)
  })

  await t.test('node:dgram <-> stack UDP, fragmented datagrams included', async (t) => {
    await stack.use('udp')
    await clients.use('udp')
    const { port } = await stack.call('udpEcho', {})
    const sizes = [8, 512, 1472, 3000, 9000]
    const r = (await clients.call('udpExchange', {
      host: SERVER_IP, port, count: 500, sizes, window: 16, retryMs: 250, timeoutMs: 60_000,
    }, 90_000)) as Exchange
    t.equal(r.echoed, 500, `kernel -> stack: every datagram came back (${r.retransmits} resent)`)
    t.equal(r.mismatches, 0)
    const { port: kport } = await clients.call('udpEcho', { address: CLIENT_IP })
    const back = (await stack.call('udpExchange', {
      host: CLIENT_IP, port: kport, count: 500, sizes, window: 16, retryMs: 250, timeoutMs: 60_000,
    }, 90_000)) as Exchange
    t.equal(back.echoed, 500, `stack -> kernel: every datagram came back (${back.retransmits} resent)`)
    t.equal(back.mismatches, 0)
  })

  await t.test('wrk against the stack server', async (t) => {
    const r = await execIn(cli, 'wrk', ['-t', '1', '-c', '8', '-d', '2s', `http://${SERVER_IP}:7000/`], 30_000)
    t.equal(r.code, 0, r.stderr)
    const total = Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? 0)
    t.ok(total > 0, `wrk made ${total} requests`)
    t.notMatch(r.stdout, /Socket errors|Non-2xx/, r.stdout)
  })

  await t.test('Fastify, undici and grpc-js on the stack, with kernel peers', async (t) => {
    await stack.use('fastify', 'undici', 'grpc')
    await clients.use('grpc')
    await stack.call('fastify', { fn: 'start', port: 7200 })
    const r = await execIn(cli, 'curl', [...curl, `http://${SERVER_IP}:7200/hello`])
    t.match(JSON.parse(r.stdout || '{}'), { hello: 'world', ip: CLIENT_IP }, `Fastify answers curl ${r.stderr}`)
    const { port: httpPort } = await clients.call('httpServer', { port: 0, host: CLIENT_IP })
    await stack.call('undiciAgent', {})
    const u = await stack.call('undiciRequest', { origin: `http://${CLIENT_IP}:${httpPort}`, path: '/undici' })
    t.match(u, { ok: true, status: 200, text: /^hello from gazelle GET \/undici 0 / }, 'undici on the stack reaches a kernel server')
    const { port: grpcPort } = await stack.call('grpcServe', { port: 50051 })
    await clients.call('grpcClient', { target: `${SERVER_IP}:${grpcPort}`, stack: false })
    t.match(await clients.call('grpcCall', { kind: 'unary' }), { ok: true }, 'a kernel grpc-js client calls the stack')
    const { port: kernelGrpc } = await clients.call('grpcServe', { port: 0, host: CLIENT_IP })
    await stack.call('grpcClient', { target: `${CLIENT_IP}:${kernelGrpc}` })
    t.match(await stack.call('grpcCall', { kind: 'unary' }), { ok: true }, 'a stack grpc-js client calls the kernel')
  })

  await t.test('after stack.close() the ports, the range and the interface are the kernel\'s again', async (t) => {
    await stack.call('closeStack')
    t.equal(xdpProgramOn(srv, 'gzsrv'), '', 'no XDP program left')
    t.equal(await reservedPorts(srv), '', 'the range is no longer reserved')
    await hostKernel.call('httpServer', { port: 7000, host: SERVER_IP })
    const r = await execIn(cli, 'curl', [...curl, `http://${SERVER_IP}:7000/kernel-now`])
    t.match(r.stdout, /^hello from gazelle GET \/kernel-now 0 /, 'the kernel serves the stack\'s old port')
  })
})

t.test('af_xdp: a stack that dies leaves the host working, and the next one cleans up', needStack(), async (t) => {
  const { cli, srv } = await xdpLink(t)
  // an administrator's reservation, which no stack may take away
  await execIn(srv, 'sysctl', ['-q', '-w', 'net.ipv4.ip_local_reserved_ports=5000'])
  const first = await StackProcess.start(t, { name: 'xdp-doomed', netns: srv })
  await first.createStack({ device: XDP_DEVICE, ip: 'auto' })
  await first.call('httpServer', { port: 7000 })
  t.equal(await reservedPorts(srv), '5000,61000-65535', 'the stack\'s range joins the administrator\'s')
  first.child.kill('SIGKILL')
  await first.exited()
  cleanup.releasePid(first.pid)   // its hugepage files: DPDK leaves them to whoever finds it dead
  t.equal(xdpProgramOn(srv, 'gzsrv'), 'gz_steer', 'its program is still attached (nobody ran close)')

  const ping = await execIn(cli, 'ping', ['-c', '2', '-i', '0.2', '-W', '2', SERVER_IP], 20_000)
  t.match(ping.stdout, /2 received/, 'ping still answered')
  const hostKernel = await StackProcess.start(t, { kernel: true, netns: srv, name: 'srv-kernel' })
  await hostKernel.call('httpServer', { port: 7000, host: SERVER_IP })
  const r = await execIn(cli, 'curl', [...curl, `http://${SERVER_IP}:7000/after-crash`])
  t.match(r.stdout, /^hello from gazelle GET \/after-crash 0 /, 'the dead stack\'s port works for the kernel at once')

  const second = await (await StackProcess.start(t, { name: 'xdp-next', netns: srv })).use('ops')
  await second.call('createStackWithLog', { options: { device: XDP_DEVICE, ip: 'auto' } }, 60_000)
  const logs = (await second.call('logRecords')) as { level: string; event: string; msg: string }[]
  t.match(logs.find((l) => l.event === 'xdp-stale'), { level: 'warn', msg: new RegExp(`pid ${first.pid} left on gzsrv`) },
    'it says it removed what the dead stack left')
  t.match(logs.find((l) => l.event === 'xdp-mode'), { level: 'info', msg: /af_xdp on gzsrv \(1 queue\): copy mode, driver XDP/ })
  const { port } = await second.call('httpServer', { port: 7001 })
  const again = await execIn(cli, 'curl', [...curl, `http://${SERVER_IP}:${port}/next`])
  t.match(again.stdout, /^hello from gazelle GET \/next 0 /, 'a new stack takes the interface over')
  await second.call('closeStack')
  await second.createStack({ device: XDP_DEVICE, ip: 'auto' })   // its sockets were all released
  await second.call('closeStack')
  t.pass('the same process opens the interface again after close')
  t.equal(xdpProgramOn(srv, 'gzsrv'), '', 'no XDP program left')
  t.equal(await reservedPorts(srv), '5000', 'the dead stack\'s range went too, the administrator\'s stays')
  await waitFor(async () => (await execIn(cli, 'curl', [...curl, `http://${SERVER_IP}:7000/end`])).code === 0, 5000, 'kernel server')
})
