import t from 'tap'
import { parseArgs } from '../src/args'
import { UsageError } from '../src/context'
import { main } from '../src/cli'

t.test('parses commands, positionals and flags', async (t) => {
  const a = parseArgs(['--json', 'rates', '1234', '--watch', '--interval', '500'], { GAZELLE_CTL_DIR: '/tmp/x' })
  t.equal(a.command, 'rates')
  t.same(a.positional, ['1234'])
  t.equal(a.json, true)
  t.equal(a.dir, '/tmp/x')
  t.same(a.flags, { json: true, watch: true, interval: '500' })
  t.equal(parseArgs([], {}).command, 'list')
  t.equal(parseArgs(['--socket=/a.sock', 'stats'], {}).socket, '/a.sock')
  t.throws(() => parseArgs(['--bogus'], {}), UsageError)
  t.throws(() => parseArgs(['capture', '--out'], {}), UsageError)
})

t.test('main: usage errors exit 2, a missing stack exits 1 with a message', async (t) => {
  const out: string[] = []
  const err: string[] = []
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l), tty: false }
  t.equal(await main(['bogus'], io), 2)
  t.match(err[0], /unknown command "bogus"/)
  t.equal(await main(['--dir', '/nonexistent-gazelle-dir', 'stats'], io), 1)
  t.match(err.at(-1), /no running stack has a control socket in \/nonexistent-gazelle-dir/)
  t.equal(await main(['--dir', '/nonexistent-gazelle-dir', 'list'], io), 0)
  t.match(out.at(-1), /no running stacks/)
  t.equal(await main(['set', 'loglevel', 'loud'], io), 2)
  t.match(err.find((l) => l.includes('loud')), /LEVEL must be one of error, warn, info, debug/)
  t.equal(await main(['--help'], io), 0)
  t.match(out.at(-1), /^usage: gazellectl/)
  t.ok(out.at(-1)!.split('\n').every((l) => l.length <= 80), 'help fits 80 columns')
})
