// A wire with faults between two endpoints, each the kernel or a stack, so TCP meets
// loss, duplication, reordering and corruption it did not make itself: the topology of
// benchmarks/reliability/wire.js (fault-relay in a namespace of its own between two
// veth ends), with the namespaces, the relay and the endpoint processes registered
// with cleanup. Endpoints are test children with the 'bulk' role.
import * as fs from 'node:fs'
import { cleanup, createNetns } from './cleanup'
import { StackProcess } from './harness'

const wire = require('../../benchmarks/reliability/wire.js')

type T = Parameters<typeof StackProcess.start>[0]

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
  /** --drop-fins: first transmissions of FIN segments lost */
  finsDropped: number
}

/**
 * Builds the wire, starts the relay with `faults` (fault-relay options, e.g.
 * ['--loss', '3%', '--dup', '1%']) and both endpoints.
 */
export async function lossyWire(t: T, opts: { a: EndKind; b: EndKind; faults: string[] }) {
  if (!fs.existsSync(wire.RELAY)) throw new Error(`${wire.RELAY} is missing: run npm run build`)
  const ns = { w: createNetns(t), a: createNetns(t), b: createNetns(t) }
  wire.buildWire(ns)
  const relay = wire.startRelay(ns.w, opts.faults)
  cleanup.child(relay)
  let relayOutput = ''
  relay.stderr.on('data', (d: Buffer) => (relayOutput += d.toString()))
  t.teardown(() => {
    if (relay.exitCode === null) relay.kill('SIGTERM')
  })

  const start = async (side: 'a' | 'b', kind: EndKind): Promise<WireEnd> => {
    if (kind === 'kernel') wire.kernelEnd(ns[side], side)
    const proc = await StackProcess.start(t, { name: `${side}-${kind}`, netns: ns[side], kernel: kind === 'kernel' })
    if (kind === 'stack') await proc.createStack(wire.stackOptions(side))
    await proc.use('bulk')
    return { kind, netns: ns[side], ip: wire.ENDS[side].ip, proc }
  }
  const [a, b] = await Promise.all([start('a', opts.a), start('b', opts.b)])
  return {
    a,
    b,
    relay: {
      counters: (): Promise<RelayCounters[]> => wire.relayCounters(relay),
      output: () => relayOutput,
    },
  }
}
