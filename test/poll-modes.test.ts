// The three poll modes over tap: each one answers ping, curl and a kernel node:net echo;
// idle CPU is measured (busy spins; adaptive and interrupt must sleep when idle).
import t from 'tap'
import * as fs from 'node:fs'
import { cleanup, execIn, memifSocket } from './helpers/cleanup'
import { memifPair, needStack, StackProcess, tapStack } from './helpers/harness'
import * as sc from './helpers/scenarios'

cleanup.hook(t)
const MiB = 1024 * 1024
const TICK = 100 // USER_HZ on Linux

function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / TICK // utime + stime
}

async function idleCpu(pid: number, ms: number): Promise<number> {
  const c0 = cpuSeconds(pid)
  const t0 = process.hrtime.bigint()
  await new Promise((r) => setTimeout(r, ms))
  return (cpuSeconds(pid) - c0) / (Number(process.hrtime.bigint() - t0) / 1e9)
}

// Idle CPU bounds (fraction of one core), generous for noisy 2-core machines.
const idleBound: Record<string, number | undefined> = { busy: undefined, adaptive: 0.5, interrupt: 0.25 }

for (const poll of ['busy', 'adaptive', 'interrupt']) {
  t.test(`poll '${poll}' over tap`, needStack(), async (t) => {
    const { netns, stackIp, stack } = await tapStack(t, { poll, hostIp: '10.20.3.1', stackIp: '10.20.3.2' })
    const ping = await execIn(netns, 'ping', ['-c', '3', '-W', '2', stackIp], 20_000)
    t.equal(ping.code, 0, `ping answers\n${ping.stdout}${ping.stderr}`)
    const { port } = await stack.call('httpServer', { port: 8080 })
    const get = await execIn(netns, 'curl', ['-sS', '--noproxy', '*', '--max-time', '10', `http://${stackIp}:${port}/${poll}`])
    t.match(get.stdout, new RegExp(`^hello from gazelle GET /${poll} `), `curl gets an answer ${get.stderr}`)
    const kclient = await StackProcess.start(t, { kernel: true, netns, name: 'kernel-client' })
    await t.test('echo from the kernel', (t) => sc.echoBulk(t, stack, kclient, stackIp, { conns: 2, bytesPerConn: 2 * MiB, timeoutMs: 60_000 }))
    await kclient.stop()
    await new Promise((r) => setTimeout(r, 500))
    const cpu = await idleCpu(stack.pid, 2000)
    t.comment(`idle CPU with poll '${poll}': ${(cpu * 100).toFixed(1)}% of a core`)
    const bound = idleBound[poll]
    if (bound !== undefined) t.ok(cpu < bound, `idle CPU ${(cpu * 100).toFixed(1)}% < ${bound * 100}%`)
  })
}

t.test("adaptive: a memif server waiting for its client sleeps (its frames can't leave)", needStack(), async (t) => {
  const server = await StackProcess.start(t, { name: 'lonely-memif-server' })
  await server.createStack({ device: { type: 'memif', role: 'server', socket: memifSocket() }, ip: '10.10.7.1/24' })
  await new Promise((r) => setTimeout(r, 500))
  const cpu = await idleCpu(server.pid, 2000)
  t.ok(cpu < idleBound.adaptive!, `idle CPU ${(cpu * 100).toFixed(1)}% < ${idleBound.adaptive! * 100}%`)
  const { poll, port } = await server.call('stats')
  t.ok(poll.sleeps > 0, `the loop went to sleep (${JSON.stringify(poll)})`)
  t.ok(port.txDropped > 0, `what it sent with the link down was dropped (txDropped ${port.txDropped})`)
})

t.test('adaptive: a peer that vanishes mid-transfer does not keep the loop spinning', needStack(), async (t) => {
  // The loop spins while TCP data is in flight, but only while the peer answers: with the
  // peer gone, retransmissions go on for minutes and the loop must sleep through them.
  const { server, client, serverIp } = await memifPair(t, { serverIp: '10.10.8.1', clientIp: '10.10.8.2' })
  const { port } = await server.call('listen', { mode: 'sink', opts: { pauseMs: 60_000 } })
  const flooding = client.call('flood', { host: serverIp, port, bytes: 64 << 20, timeoutMs: 20_000 }, 30_000).catch(() => null)
  await new Promise((r) => setTimeout(r, 500))
  server.child.kill('SIGKILL')
  await server.exited()
  await new Promise((r) => setTimeout(r, 500))
  const cpu = await idleCpu(client.pid, 2000)
  t.ok(cpu < idleBound.adaptive!, `idle CPU with data unacked and the peer gone: ${(cpu * 100).toFixed(1)}% < ${idleBound.adaptive! * 100}%`)
  await client.call('closeStack').catch(() => null)
  await flooding
})
