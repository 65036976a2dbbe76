// stack.metrics(): the stack's counters as Prometheus metrics (prom-client), read from
// the addon when the registry is scraped, labelled with the device.
import type { Registry } from 'prom-client'
import type { LatencyStage, NativeHistogram } from './native'

type Counters = Record<string, Record<string, number>>

export interface MetricsSource {
  device: string
  stats(): Counters
  latency(): Record<LatencyStage, NativeHistogram>
}

/** [metric, help, group, key] for counters and gauges read straight from stats(). */
const COUNTERS: readonly [string, string, string, string][] = [
  ['gazelle_rx_packets_total', 'Frames received by the port', 'port', 'rxPackets'],
  ['gazelle_tx_packets_total', 'Frames sent by the port', 'port', 'txPackets'],
  ['gazelle_rx_bytes_total', 'Bytes received by the port (Ethernet frames)', 'port', 'rxBytes'],
  ['gazelle_tx_bytes_total', 'Bytes sent by the port (Ethernet frames)', 'port', 'txBytes'],
  ['gazelle_rx_missed_total', 'Frames the port dropped because the rx ring was full', 'port', 'rxMissed'],
  ['gazelle_rx_errors_total', 'Receive errors reported by the port', 'port', 'rxErrors'],
  ['gazelle_tx_errors_total', 'Transmit errors reported by the port', 'port', 'txErrors'],
  ['gazelle_tx_dropped_total', 'Frames dropped because the tx backlog was full', 'port', 'txDropped'],
  ['gazelle_rx_nombuf_total', 'Receive failures for lack of packet buffers', 'port', 'rxNoMbuf'],
  ['gazelle_rx_dropped_total', 'Received frames dropped as malformed or unroutable', 'port', 'rxDropped'],
  ['gazelle_memif_reconnects_total', 'Attempts of a memif client to reconnect its link while it was down', 'port', 'reconnects'],
  ['gazelle_polls_total', 'Poll loop iterations', 'poll', 'polls'],
  ['gazelle_busy_polls_total', 'Poll loop iterations that received frames', 'poll', 'busyPolls'],
  ['gazelle_rx_bursts_total', 'Receive bursts', 'poll', 'rxBursts'],
  ['gazelle_events_total', 'Socket events delivered to JavaScript', 'poll', 'events'],
  ['gazelle_event_batches_total', 'Batches of events delivered to JavaScript (one call each)', 'poll', 'batches'],
  ['gazelle_sleeps_total', 'Times the poll loop went to sleep', 'poll', 'sleeps'],
  ['gazelle_wakeups_total', 'Times an rx interrupt woke the poll loop', 'poll', 'wakeups'],
]
const GAUGES: readonly [string, string, string, string][] = [
  ['gazelle_link_up', 'Whether the port link is up (1) or down (0)', 'port', 'linkUp'],
  ['gazelle_tx_backlog_frames', 'Frames waiting for room in the tx ring', 'port', 'txBacklog'],
  ['gazelle_mempool_size_buffers', 'Packet buffers in the pool', 'mempool', 'size'],
  ['gazelle_mempool_in_use_buffers', 'Packet buffers in use', 'mempool', 'inUse'],
  ['gazelle_mempool_free_buffers', 'Packet buffers free', 'mempool', 'free'],
  ['gazelle_tcp_sockets', 'TCP sockets and listeners JavaScript holds', 'tcp', 'sockets'],
]
/** af_xdp only (stats().xdp): where the XDP program sent frames, and how the device runs. */
const XDP_COUNTERS: readonly [string, string, string, string][] = [
  ['gazelle_xdp_to_stack_frames_total', 'Frames the XDP program handed to the stack', 'xdp', 'toStack'],
  ['gazelle_xdp_to_kernel_frames_total', 'Frames the XDP program passed to the kernel', 'xdp', 'toKernel'],
]
const XDP_GAUGES: readonly [string, string, string, string][] = [
  ['gazelle_xdp_zero_copy', 'Whether the AF_XDP sockets run zero-copy (1) or copy mode (0)', 'xdp', 'zeroCopy'],
  ['gazelle_xdp_claimed_ports', 'Ports the stack holds on the kernel\'s address outside its ephemeral range', 'xdp', 'claimedPorts'],
  ['gazelle_xdp_neighbours', 'Next hops learnt from the kernel\'s neighbour table', 'xdp', 'neighbours'],
]
const PROTOCOLS = ['link', 'etharp', 'ip', 'ipFrag', 'icmp', 'udp', 'tcp'] as const
const PACKET_EVENTS = ['xmit', 'recv', 'drop'] as const
const ERROR_KINDS = ['chkerr', 'lenerr', 'memerr', 'rterr', 'proterr', 'opterr', 'err'] as const
const SNAPSHOT_MS = 100

/** Registers the metrics; returns their names (to unregister them when the stack closes). */
export function registerMetrics(source: MetricsSource, registry: Registry): string[] {
  // Loaded on first use: a stack that never exports metrics does not load prom-client.
  const prom = require('prom-client') as typeof import('prom-client')
  const device = source.device
  let snap: { at: number; c: Counters } | null = null
  const stats = (): Counters => {
    const now = Date.now()
    if (!snap || now - snap.at > SNAPSHOT_MS) snap = { at: now, c: source.stats() }
    return snap.c
  }
  const names: string[] = []
  const opts = (name: string, help: string, labelNames: string[] = []) => {
    names.push(name)
    return { name, help, labelNames: ['device', ...labelNames], registers: [registry] }
  }

  const xdp = source.stats().xdp !== undefined
  for (const [name, help, group, key] of xdp ? [...COUNTERS, ...XDP_COUNTERS] : COUNTERS) {
    new prom.Counter({
      ...opts(name, help),
      collect() {
        this.reset()
        this.inc({ device }, stats()[group]?.[key] ?? 0)
      },
    })
  }
  for (const [name, help, group, key] of xdp ? [...GAUGES, ...XDP_GAUGES] : GAUGES) {
    new prom.Gauge({
      ...opts(name, help),
      collect() {
        this.set({ device }, stats()[group]?.[key] ?? 0)
      },
    })
  }
  // One counter per meaning, labelled by protocol and by the LwIP counter's kind.
  const perProtocol = (name: string, help: string, label: string, kinds: readonly string[]) =>
    new prom.Counter({
      ...opts(name, help, ['protocol', label]),
      collect() {
        this.reset()
        const c = stats()
        for (const protocol of PROTOCOLS) {
          for (const kind of kinds) this.inc({ device, protocol, [label]: kind }, c[protocol]?.[kind] ?? 0)
        }
      },
    })
  perProtocol('gazelle_lwip_packets_total', 'LwIP packets by protocol: xmit, recv, drop', 'event', PACKET_EVENTS)
  perProtocol('gazelle_lwip_errors_total', 'LwIP errors by protocol and kind (chkerr, lenerr, memerr...)', 'error', ERROR_KINDS)
  // The native histograms are log2 buckets; Prometheus gets their count and sum per
  // stage (rate(sum)/rate(count) is the mean). gazellectl latency shows the shape.
  const perStage = (name: string, help: string, value: (h: NativeHistogram) => number) =>
    new prom.Counter({
      ...opts(name, help, ['stage']),
      collect() {
        this.reset()
        for (const [stage, h] of Object.entries(source.latency())) this.inc({ device, stage }, value(h))
      },
    })
  perStage('gazelle_latency_samples_total', 'Latency samples by stage (rxToJs, jsBatch, writeToTx)', (h) => h.count)
  perStage('gazelle_latency_seconds_total', 'Sum of latency samples by stage, in seconds', (h) => h.sumNs / 1e9)
  return names
}

export function unregisterMetrics(registry: Registry, names: readonly string[]): void {
  for (const n of names) registry.removeSingleMetric(n)
}
