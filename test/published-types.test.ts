// The published types: each package's test/fixtures/usage.ts (a user's code, its
// mistakes marked as expected errors) compiles against that package's built
// dist/index.d.ts, resolved by package name as an app would. One subtest per package that has a fixture.
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import t from 'tap'

const root = path.join(__dirname, '..')
const fixtures = fs.readdirSync(path.join(root, 'packages'))
  .map((name) => ({ name, fixture: path.join(root, 'packages', name, 'test', 'fixtures', 'usage.ts') }))
  .filter(({ fixture }) => fs.existsSync(fixture))

t.ok(fixtures.length >= 2, `usage fixtures found (${fixtures.map((f) => f.name).join(', ')})`)

for (const { name, fixture } of fixtures) {
  t.test(`@gazelle/${name}: usage.ts type-checks against the built types`, async (t) => {
    const tsc = require.resolve('typescript/bin/tsc')
    let out = ''
    try {
      execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16',
        '--esModuleInterop', '--skipLibCheck', '--types', 'node', fixture], { timeout: 120_000, stdio: 'pipe' })
    } catch (e: any) {
      out = `${e.stdout ?? ''}${e.stderr ?? ''}${e.message}`
    }
    t.equal(out, '', 'tsc reports nothing')
  })
}
