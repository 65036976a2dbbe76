// Per-second rates from two stats samples.
import type { StatsResult } from '@gazelle/stack'

export type Counters = StatsResult['counters']

/** Counters that are levels, not totals: shown as they are, not as rates. */
const LEVELS: Record<string, readonly string[]> = {
  port: ['txBacklog', 'linkUp'],
  mempool: ['size', 'inUse', 'free'],
  lwipMemory: ['reservedBytes', 'chunks', 'inUse'],
  tcp: ['sockets', 'pcbs', 'timeWait'],
  faults: ['active'],
  xdp: ['zeroCopy', 'nativeMode', 'sockets', 'bifurcated', 'claimedPorts', 'neighbours'],
}

export function isLevel(group: string, name: string): boolean {
  return LEVELS[group]?.includes(name) ?? false
}

/** (b - a) / seconds for every total counter; levels as in b. */
export function rates(a: StatsResult, b: StatsResult): Counters {
  const secs = Math.max(1e-3, (b.time - a.time) / 1000)
  const out: Counters = {}
  for (const [group, values] of Object.entries(b.counters)) {
    out[group] = {}
    for (const [name, v] of Object.entries(values)) {
      out[group][name] = isLevel(group, name) ? v : (v - (a.counters[group]?.[name] ?? 0)) / secs
    }
  }
  return out
}

/** Share of polls that found frames, 0..1 (NaN with no polls). */
export function busyRatio(c: Counters): number {
  const polls = c.poll?.polls ?? 0
  return polls ? (c.poll?.busyPolls ?? 0) / polls : NaN
}
