// The stats and rates screens: port, mempool and poll-loop counters as label/value
// pairs three to a line, then LwIP's per-protocol counters as a table. 80 columns.
import { bytes, count, table } from './format'
import { Counters, busyRatio } from './rates'

export type Kind = 'total' | 'rate'

const PAIR = 24
const INDENT = 8

type Pair = [label: string, value: string]

function grid(title: string, pairs: Pair[]): string[] {
  const lines: string[] = []
  for (let i = 0; i < pairs.length; i += 3) {
    const cells = pairs.slice(i, i + 3).map(([l, v]) => `${l.padEnd(PAIR - 9)}${v.padStart(8)}`)
    lines.push(`${(i === 0 ? title : '').padEnd(INDENT)}${cells.join(' ')}`.trimEnd())
  }
  return lines
}

const PROTOCOLS = ['link', 'etharp', 'ip', 'ipFrag', 'icmp', 'udp', 'tcp'] as const
const PROTO_COUNTERS = ['xmit', 'recv', 'drop', 'chkerr', 'lenerr', 'memerr', 'rterr', 'proterr', 'opterr', 'err'] as const

/** af_xdp only: how frames reach the stack, and what the XDP program sent where. */
function xdpGrid(c: Counters, n: (g: string, k: string) => string): string[] {
  const x = c.xdp
  if (!x) return []
  return grid('AF_XDP', [
    ['mode', x.zeroCopy ? 'zero-copy' : 'copy'], ['xdp', x.nativeMode ? 'driver' : 'generic'], ['queues', count(x.sockets ?? 0)],
    ['flows', x.bifurcated ? 'ports' : 'all'], ['to stack', n('xdp', 'toStack')], ['to kernel', n('xdp', 'toKernel')],
    ['claimed ports', count(x.claimedPorts ?? 0)], ['neighbours', count(x.neighbours ?? 0)],
  ])
}

export function formatCounters(c: Counters, kind: Kind): string[] {
  const v = (g: string, k: string) => c[g]?.[k] ?? 0
  const n = (g: string, k: string) => count(kind === 'rate' ? Math.round(v(g, k)) : v(g, k))
  const b = (g: string, k: string) => (kind === 'rate' ? `${bytes(v(g, k))}/s` : bytes(v(g, k)))
  const per = kind === 'rate' ? '/s' : ''
  const busy = busyRatio(c)
  const lines = [
    ...grid('Port', [
      [`rx packets${per}`, n('port', 'rxPackets')], [`tx packets${per}`, n('port', 'txPackets')], ['link', v('port', 'linkUp') ? 'up' : 'down'],
      ['rx bytes', b('port', 'rxBytes')], ['tx bytes', b('port', 'txBytes')], ['tx backlog', count(v('port', 'txBacklog'))],
      ['rx missed', n('port', 'rxMissed')], ['tx errors', n('port', 'txErrors')], ['rx no mbuf', n('port', 'rxNoMbuf')],
      ['rx errors', n('port', 'rxErrors')], ['tx dropped', n('port', 'txDropped')], ['rx malformed', n('port', 'rxDropped')],
      [`tx no mbuf${per}`, n('port', 'txNoMbuf')], [`reconnects${per}`, n('port', 'reconnects')],
    ]),
    ...grid('Mempool', [
      ['size', count(v('mempool', 'size'))], ['in use', count(v('mempool', 'inUse'))], ['free', count(v('mempool', 'free'))],
      ['LwIP memory', bytes(v('lwipMemory', 'inUse'))],
    ]),
    ...xdpGrid(c, n),
    ...grid('Poll', [
      [`polls${per}`, n('poll', 'polls')], ['busy', Number.isNaN(busy) ? '-' : `${(busy * 100).toFixed(1)}%`], [`events${per}`, n('poll', 'events')],
      [`batches${per}`, n('poll', 'batches')], [`sleeps${per}`, n('poll', 'sleeps')], [`wakeups${per}`, n('poll', 'wakeups')],
      ['tcp sockets', count(v('tcp', 'sockets'))], [`rx bursts${per}`, n('poll', 'rxBursts')],
    ]),
    ...grid('TCP', [
      [`recoveries${per}`, n('tcp', 'recoveries')], [`fast rexmits${per}`, n('tcp', 'fastRetransmits')], [`timeouts${per}`, n('tcp', 'timeouts')],
      [`loss probes${per}`, n('tcp', 'lossProbes')], [`undone${per}`, n('tcp', 'spuriousRecoveries')], [`syn cookies${per}`, n('tcp', 'synCookiesSent')],
      [`cookie conns${per}`, n('tcp', 'synCookiesAccepted')], ['pcbs', count(v('tcp', 'pcbs'))], ['TIME-WAIT', count(v('tcp', 'timeWait'))],
    ]),
    ...(v('faults', 'active') || v('faults', 'rxDropped') || v('faults', 'txDropped')
      ? grid('Faults', [
        [`rx dropped${per}`, n('faults', 'rxDropped')], [`rx duplicated${per}`, n('faults', 'rxDuplicated')], [`rx reordered${per}`, n('faults', 'rxReordered')],
        [`rx delayed${per}`, n('faults', 'rxDelayed')], [`rx corrupted${per}`, n('faults', 'rxCorrupted')], ['injecting', v('faults', 'active') ? 'yes' : 'no'],
        [`tx dropped${per}`, n('faults', 'txDropped')], [`tx duplicated${per}`, n('faults', 'txDuplicated')], [`tx reordered${per}`, n('faults', 'txReordered')],
        [`tx delayed${per}`, n('faults', 'txDelayed')], [`tx corrupted${per}`, n('faults', 'txCorrupted')],
      ])
      : []),
    '',
    ...table(
      [{ title: kind === 'rate' ? 'LwIP /s' : 'LwIP' }, ...PROTO_COUNTERS.map((k) => ({ title: k, right: true }))],
      PROTOCOLS.map((p) => [p, ...PROTO_COUNTERS.map((k) => n(p, k))]),
    ),
  ]
  return lines
}
