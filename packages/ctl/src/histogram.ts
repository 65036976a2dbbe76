// The stack's latency histograms: log2 buckets of nanoseconds (bucket i counts samples
// below 2^i ns, bucket 0 is 0 ns). Percentiles and a small terminal chart.
import type { NativeHistogram } from '@gazelle/stack'
import { count, nanos } from './format'

/** [lower, upper) bounds of bucket i in ns. */
export function bucketBounds(i: number): [number, number] {
  return i === 0 ? [0, 1] : [2 ** (i - 1), 2 ** i]
}

/** The q-quantile (0..1), interpolated inside its bucket, never above the maximum seen. */
export function percentile(h: NativeHistogram, q: number): number {
  if (h.count === 0) return NaN
  const target = q * h.count
  let seen = 0
  for (let i = 0; i < h.buckets.length; i++) {
    const n = h.buckets[i]
    if (n === 0) continue
    if (seen + n >= target) {
      const [lo, hi] = bucketBounds(i)
      const v = lo + ((hi - lo) * Math.max(0, target - seen)) / n
      return Math.min(v, h.maxNs)
    }
    seen += n
  }
  return h.maxNs
}

export interface Summary {
  count: number
  mean: number
  p50: number
  p90: number
  p99: number
  max: number
}

export function summarize(h: NativeHistogram): Summary {
  return {
    count: h.count,
    mean: h.count ? h.sumNs / h.count : NaN,
    p50: percentile(h, 0.5),
    p90: percentile(h, 0.9),
    p99: percentile(h, 0.99),
    max: h.count ? h.maxNs : NaN,
  }
}

/** One line per bucket from the first to the last non-empty one: "< 16us |#### 123". */
export function chart(h: NativeHistogram, barWidth = 50): string[] {
  const first = h.buckets.findIndex((n) => n > 0)
  if (first < 0) return []
  let last = h.buckets.length - 1
  while (h.buckets[last] === 0) last--
  const peak = Math.max(...h.buckets)
  const lines: string[] = []
  for (let i = first; i <= last; i++) {
    const n = h.buckets[i]
    const bar = n === 0 ? '' : '#'.repeat(Math.max(1, Math.round((n / peak) * barWidth)))
    lines.push(`${`< ${nanos(bucketBounds(i)[1])}`.padStart(9)} |${bar.padEnd(barWidth)} ${count(n)}`)
  }
  return lines
}
