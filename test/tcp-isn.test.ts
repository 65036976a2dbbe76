// TCP initial sequence numbers (RFC 6528), as a capture on the wire sees them: a stack's
// SYNs and SYN-ACKs carry sequence numbers that cannot be told from one another (LwIP's
// own were 6510 plus a tick count: 6804, 6830, ... in every run), while those of one
// 4-tuple still advance with a 4-microsecond clock.
import { spawn } from 'node:child_process'
import t from 'tap'
import { cleanup, createNetns, tapName } from './helpers/cleanup'
import { StackProcess, needStack } from './helpers/harness'

cleanup.hook(t)

const HOST_IP = '10.41.0.1'
const STACK_IP = '10.41.0.2'
const FAR = 2 ** 20   // random 32-bit differences are this close with probability 2^-11

interface Syn {
  src: number
  dst: number
  seq: number
  ack: boolean
}

/** tshark on every interface of the namespace (taps come and go): the SYNs and SYN-ACKs
 * the stacks send. Resolves once it is capturing; stop() ends it and returns what it saw. */
async function captureSyns(netns: string): Promise<{ stop(): Promise<Syn[]> }> {
  const filter = `src host ${STACK_IP} and tcp[tcpflags] & tcp-syn != 0`
  const child = spawn('ip', ['netns', 'exec', netns, 'tshark', '-i', 'any', '-l', '-f', filter, '-T', 'fields',
    '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'tcp.seq_raw', '-e', 'tcp.flags.ack'], { stdio: ['ignore', 'pipe', 'pipe'] })
  cleanup.child(child)
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => (out += d))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tshark did not start: ${err}`)), 30_000)
    child.stderr.on('data', (d) => {
      err += d
      if (/Capturing on/.test(err)) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', () => reject(new Error(`tshark exited: ${err}`)))
  })
  return {
    async stop() {
      await new Promise((resolve) => setTimeout(resolve, 500))   // the last frames reach tshark
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGINT')
      await exited
      return out.trim().split('\n').filter(Boolean).map((line) => {
        const [src, dst, seq, ack] = line.split('\t')
        return { src: Number(src), dst: Number(dst), seq: Number(seq), ack: ack === 'True' || ack === '1' }
      })
    },
  }
}

/** b - a as a signed 32-bit difference. */
function diff(a: number, b: number): number {
  return ((b - a) | 0)
}

async function stackOnTap(t: Parameters<typeof StackProcess.start>[0], netns: string, name: string): Promise<StackProcess> {
  const stack = await StackProcess.start(t, { netns, name })
  await stack.createStack({ device: { type: 'tap', name: tapName(), hostIp: `${HOST_IP}/24` }, ip: `${STACK_IP}/24` })
  await stack.call('use', { role: 'isn' })
  return stack
}

t.test('initial sequence numbers on the wire are not predictable', needStack(), async (t) => {
  const netns = createNetns(t)
  const kernel = await StackProcess.start(t, { kernel: true, netns, name: 'kernel' })
  await kernel.call('use', { role: 'isn' })
  const { port: kernelPort } = await kernel.call('listen', { mode: 'echo' })
  const capture = await captureSyns(netns)

  // Run A: connects from ephemeral ports, then twice from one port (the same 4-tuple),
  // then the kernel connects to A's server (A answers with SYN-ACKs).
  const a = await stackOnTap(t, netns, 'stack-a')
  const spread = await a.call('connectReset', { host: HOST_IP, port: kernelPort, count: 8 })
  const same = await a.call('connectReset', { host: HOST_IP, port: kernelPort, count: 2, localPort: 45000, gapMs: 200 })
  const { port: stackPort } = await a.call('listen', { mode: 'echo' })
  const accepted = await kernel.call('connectReset', { host: STACK_IP, port: stackPort, count: 4 })
  await a.stop()
  // Run B: another process (another secret), the same kind of connects.
  const b = await stackOnTap(t, netns, 'stack-b')
  const spreadB = await b.call('connectReset', { host: HOST_IP, port: kernelPort, count: 4 })
  await b.stop()
  const syns = await capture.stop()

  // Run A's SYNs come first in the capture, run B's last (should B pick a port A used).
  const synsFrom = (local: number) => syns.filter((s) => s.src === local && s.dst === kernelPort && !s.ack)
  const spreadIsns = spread.map((c: { localPort: number }) => synsFrom(c.localPort)[0]?.seq)
  t.equal(spreadIsns.filter((s: number | undefined) => s !== undefined).length, 8, `the capture has the 8 SYNs (${syns.length} in all)`)

  const far = (xs: number[]) => xs.slice(1).filter((x, i) => Math.abs(diff(xs[i], x)) > FAR).length
  t.ok(far(spreadIsns) >= 5, `successive connections: sequence numbers far apart (${spreadIsns.join(', ')})`)

  // The same 4-tuple: the ISN advances by the 4 us clock, no more (RFC 6528's M).
  const fixed = synsFrom(45000)
  t.ok(fixed.length >= 2, 'two SYNs from the fixed local port')
  const elapsedMs = same[1].at - same[0].at
  const step = diff(fixed[0]?.seq, fixed[1]?.seq)
  t.ok(step > 1000, `one 4-tuple, ${elapsedMs} ms apart: the ISN advanced ${step}, far more than LwIP's tick count`)
  t.ok(Math.abs(step - elapsedMs * 250) < 50 * 250, `... by the clock: ~${elapsedMs * 250} (4 us ticks)`)

  // A as a server: its SYN-ACKs to the kernel's connections.
  const synAcks = accepted.map((c: { localPort: number }) => syns.find((s) => s.dst === c.localPort && s.src === stackPort && s.ack)?.seq)
  t.equal(synAcks.filter((s: number | undefined) => s !== undefined).length, 4, 'the capture has the 4 SYN-ACKs')
  t.ok(far(synAcks) >= 2, `accepted connections: sequence numbers far apart (${synAcks.join(', ')})`)

  // Another run: other numbers from the start (LwIP's own began at 6510 + ticks every time).
  const runB = spreadB.map((c: { localPort: number }) => synsFrom(c.localPort).pop()?.seq)
  t.equal(runB.filter((s: number | undefined) => s !== undefined).length, 4, "the capture has run B's 4 SYNs")
  const apart = runB.filter((s: number, i: number) => Math.abs(diff(spreadIsns[i], s)) > FAR).length
  t.ok(apart >= 3, `run B's first sequence numbers are not run A's (A ${spreadIsns.slice(0, 4).join(', ')}; B ${runB.join(', ')})`)
  // LWIP_RAND comes from the kernel's CSPRNG: each run starts its ephemeral ports elsewhere
  // (random() unseeded gave the same ports in every process).
  const ports = (conns: { localPort: number }[]) => conns.slice(0, 2).map((c) => c.localPort).join(',')
  t.not(ports(spreadB), ports(spread), `the first ephemeral ports differ between runs (A ${ports(spread)}, B ${ports(spreadB)})`)
})
