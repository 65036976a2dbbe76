// The latency screen: per stage, the percentiles and a histogram of log2 buckets.
import { LATENCY_STAGES, type LatencyResult } from '@gazelle/stack'
import { count, nanos } from './format'
import { chart, summarize } from './histogram'

export function formatLatency(l: LatencyResult): string[] {
  const lines: string[] = []
  for (const { stage, title } of LATENCY_STAGES) {
    const h = l[stage]
    if (lines.length) lines.push('')
    if (!h || h.count === 0) {
      lines.push(`${title}: no samples`)
      continue
    }
    const s = summarize(h)
    lines.push(`${title}: ${count(s.count)} samples, mean ${nanos(s.mean)}`)
    lines.push(`  p50 ${nanos(s.p50)}  p90 ${nanos(s.p90)}  p99 ${nanos(s.p99)}  max ${nanos(s.max)}`)
    lines.push(...chart(h).map((x) => `  ${x}`))
  }
  return lines
}
