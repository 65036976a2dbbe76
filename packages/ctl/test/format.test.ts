import t from 'tap'
import { age, bytes, count, ellipsize, nanos, table, uptime } from '../src/format'

t.test('short numbers', async (t) => {
  t.equal(count(0), '0')
  t.equal(count(9999), '9999')
  t.equal(count(12_345), '12K')
  t.equal(count(1_234_567), '1.2M')
  t.equal(count(3.5e9), '3.5G')
  t.equal(count(0.5), '0.50')
  t.equal(count(NaN), '-')
})

t.test('bytes, durations', async (t) => {
  t.equal(bytes(512), '512B')
  t.equal(bytes(65535), '64K')
  t.equal(bytes(3 << 20), '3.0M')
  t.equal(age(950), '950ms')
  t.equal(age(12_300), '12s')
  t.equal(age(-1), '-')
  t.equal(age(7200_000), '2h')
  t.equal(uptime(312_000), '5m12s')
  t.equal(uptime(2 * 86400_000 + 4 * 3600_000), '2d4h')
  t.equal(nanos(850), '850ns')
  t.equal(nanos(12_300), '12us')
  t.equal(nanos(4_500_000), '4.5ms')
})

t.test('ellipsize keeps both ends', async (t) => {
  t.equal(ellipsize('abcdef', 10), 'abcdef')
  t.equal(ellipsize('/run/gazelle/long-name.sock', 11), '/run/….sock')
  t.equal(ellipsize('/run/gazelle/long-name.sock', 11).length <= 11, true)
})

t.test('table aligns and shrinks to fit', async (t) => {
  const lines = table([{ title: 'Name' }, { title: 'N', right: true }], [['a', '1'], ['bbb', '22']])
  t.same(lines, ['Name  N', 'a     1', 'bbb  22'])
  const wide = table([{ title: 'Path', shrink: true }, { title: 'X' }], [['x'.repeat(100), 'y']], 40)
  t.ok(wide.every((l) => l.length <= 40), 'fits 40')
  t.match(wide[1], /…/)
})
