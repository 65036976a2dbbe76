// A wire with faults between two endpoints, each the kernel or a stack, so TCP meets
// loss, duplication, reordering and corruption it did not make itself. This kernel has
// no netem, so the faults come from fault-relay (native/tools/fault-relay.c), which
// bridges two veth ends over AF_PACKET in a namespace of its own:
//
//   namespace A: ea (10.99.0.1)  <-veth->  wa [ns W: fault-relay wa wb]  wb  <-veth->  eb (10.99.0.2): namespace B
//
// A kernel endpoint has the address on its veth end; a stack endpoint attaches to it
// with net_af_packet. Offloads are off on every end: the relay moves frames as they are.
import { spawn, type ChildProcess } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { cleanup, createNetns, execIn, run } from './cleanup'
import { REPO, StackProcess } from './harness'

type T = Parameters<typeof StackProcess.start>[0]

export const RELAY = path.join(REPO, 'native/build/Release/fault-relay')

export type EndKind = 'kernel' | 'stack'

export interface WireEnd {
  kind: EndKind
  netns: string
  ip: string
  proc: StackProcess
}

export interface RelayCounters {
  dir: 'a2b' | 'b2a'
  received: number
  sent: number
  dropped: number
  duplicated: number
  reordered: number
  corrupted: number
}

export class Relay {
  #out = ''
  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (d) => (this.#out += d.toString()))
    child.stderr!.on('data', (d) => (this.#out += d.toString()))
  }

  /** Counters per direction, as the relay prints them on SIGUSR1. */
  async counters(): Promise<RelayCounters[]> {
    const before = this.#out.length
    this.child.kill('SIGUSR1')
    for (let i = 0; i < 50; i++) {
      const lines = this.#out.slice(before).split('\n').filter((l) => l.startsWith('{"dir"'))
      if (lines.length >= 2) return lines.slice(0, 2).map((l) => JSON.parse(l))
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`fault-relay printed no counters:\n${this.#out}`)
  }

  output(): string {
    return this.#out
  }
}

function ns(netns: string, args: string[]) {
  const r = run('ip', ['-n', netns, ...args])
  if (!r.ok) throw new Error(`ip -n ${netns} ${args.join(' ')}: ${r.out}`)
}

async function quietLink(netns: string, dev: string) {
  ns(netns, ['link', 'set', dev, 'up'])
  const r = await execIn(netns, 'ethtool', ['-K', dev, 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off'], 5000)
  if (r.code !== 0) throw new Error(`ethtool -K ${dev}: ${r.stderr}`)
}

/**
 * Builds the wire and starts both endpoints (children with the 'bulk' role) and the
 * relay with `faults` (fault-relay options, e.g. ['--loss', '3%', '--dup', '1%']).
 */
export async function lossyWire(t: T, opts: { a: EndKind; b: EndKind; faults: string[] }) {
  if (!fs.existsSync(RELAY)) throw new Error(`${RELAY} is missing: run npm run build (native)`)
  const w = createNetns(t)
  const ends = { a: { netns: createNetns(t), dev: 'ea', peer: 'wa', ip: '10.99.0.1' }, b: { netns: createNetns(t), dev: 'eb', peer: 'wb', ip: '10.99.0.2' } }
  for (const e of Object.values(ends)) {
    ns(w, ['link', 'add', e.peer, 'type', 'veth', 'peer', 'name', e.dev, 'netns', e.netns])
    await quietLink(w, e.peer)
    await quietLink(e.netns, e.dev)
  }
  for (const n of [w, ends.a.netns, ends.b.netns]) run('ip', ['netns', 'exec', n, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1'])
  const child = spawn('ip', ['netns', 'exec', w, RELAY, 'wa', 'wb', ...opts.faults], { stdio: ['ignore', 'pipe', 'pipe'] })
  cleanup.child(child)
  const relay = new Relay(child)
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGTERM')
  })

  const start = async (side: 'a' | 'b', kind: EndKind): Promise<WireEnd> => {
    const e = ends[side]
    if (kind === 'kernel') ns(e.netns, ['addr', 'add', `${e.ip}/24`, 'dev', e.dev])
    const proc = await StackProcess.start(t, { name: `${side}-${kind}`, netns: e.netns, kernel: kind === 'kernel' })
    if (kind === 'stack') await proc.createStack({ device: { type: 'af_packet', iface: e.dev }, ip: `${e.ip}/24` })
    await proc.use('bulk')
    return { kind, netns: e.netns, ip: e.ip, proc }
  }
  const [a, b] = await Promise.all([start('a', opts.a), start('b', opts.b)])
  return { a, b, relay }
}
