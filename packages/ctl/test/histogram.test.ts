import t from 'tap'
import { bucketBounds, chart, percentile, summarize } from '../src/histogram'

const hist = (buckets: Record<number, number>, maxNs: number) => {
  const b = new Array(40).fill(0)
  let count = 0
  let sum = 0
  for (const [i, n] of Object.entries(buckets)) {
    b[Number(i)] = n
    count += n
    sum += n * bucketBounds(Number(i))[0]
  }
  return { count, sumNs: sum, maxNs, buckets: b }
}

t.test('bucket bounds are powers of two', async (t) => {
  t.same(bucketBounds(0), [0, 1])
  t.same(bucketBounds(1), [1, 2])
  t.same(bucketBounds(11), [1024, 2048])
})

t.test('percentiles interpolate inside the bucket and respect the max', async (t) => {
  // 100 samples in [1024, 2048), 1 in [65536, 131072)
  const h = hist({ 11: 100, 17: 1 }, 70_000)
  t.ok(percentile(h, 0.5) >= 1024 && percentile(h, 0.5) < 2048)
  t.ok(percentile(h, 0.99) < 2048, 'p99 still in the main bucket')
  t.equal(percentile(h, 1), 70_000, 'never above the max seen')
  t.ok(Number.isNaN(percentile(hist({}, 0), 0.5)), 'no samples: NaN')
  const s = summarize(h)
  t.equal(s.count, 101)
  t.ok(s.p50 <= s.p90 && s.p90 <= s.p99 && s.p99 <= s.max)
})

t.test('chart: a line per bucket from first to last, bars scaled to the peak', async (t) => {
  const lines = chart(hist({ 10: 50, 12: 100 }, 4000), 20)
  t.equal(lines.length, 3)
  t.match(lines[0], /< 1\.0us \|#{10} +50$/)
  t.match(lines[1], /\| +0$/)
  t.match(lines[2], /\|#{20} 100$/)
  t.ok(lines.every((l) => l.length <= 80))
})
