import t from 'tap'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findLeftovers, lockedInodes, pidOfPrefix, sweepLeftovers } from '../src/leftovers'

t.test('pidOfPrefix reads gazelle-<pid> names without taking a longer pid', async (t) => {
  t.equal(pidOfPrefix('gazelle-1234'), 1234)
  t.equal(pidOfPrefix('gazelle-1234map_0'), 1234)
  t.equal(pidOfPrefix('rtemap_0'), undefined)
  t.equal(pidOfPrefix('gazelle-'), undefined)
})

t.test('lockedInodes parses /proc/locks', async (t) => {
  const text = '1: POSIX  ADVISORY  WRITE 1234 00:19:5678 0 EOF\n2: FLOCK  ADVISORY  READ 99 fd:01:42 0 EOF\n'
  t.same([...lockedInodes(text)].sort(), [42, 5678])
})

t.test('a dead pid\'s files are found and swept; a live pid\'s are not', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'gazelle-leftovers-'))
  t.teardown(() => rmSync(base, { recursive: true, force: true }))
  const control = join(base, 'ctl')
  const runtime = join(base, 'dpdk')
  const huge = join(base, 'huge')
  for (const d of [control, runtime, huge]) mkdirSync(d)
  const dead = 2 ** 22 + 17 // above pid_max's default: never running
  writeFileSync(join(control, `${dead}.sock`), '')
  writeFileSync(join(control, `${process.ppid}.sock`), '')
  mkdirSync(join(runtime, `gazelle-${dead}`))
  writeFileSync(join(runtime, `gazelle-${dead}`, 'config'), '')
  mkdirSync(join(runtime, `gazelle-${process.ppid}`))
  writeFileSync(join(huge, `gazelle-${dead}map_0`), '')
  writeFileSync(join(huge, `other-${dead}`), '')
  const dirs = { control, dpdkRuntime: runtime, hugepages: huge }
  t.same(findLeftovers(dirs).map((l) => l.kind).sort(), ['DPDK runtime directory', 'control socket', 'hugepage file'])
  t.equal(sweepLeftovers(dirs).length, 3)
  t.notOk(existsSync(join(control, `${dead}.sock`)))
  t.ok(existsSync(join(control, `${process.ppid}.sock`)), 'a live pid\'s socket stays')
  t.ok(existsSync(join(runtime, `gazelle-${process.ppid}`)), 'a live pid\'s runtime directory stays')
  t.ok(existsSync(join(huge, `other-${dead}`)), 'files not named by this package stay')
})
