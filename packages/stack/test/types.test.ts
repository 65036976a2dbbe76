// The published types: test/fixtures/usage.ts (a user's code, with @ts-expect-error on
// mistakes) compiles against dist/index.d.ts.
import { execFileSync } from 'node:child_process'
import * as path from 'node:path'
import t from 'tap'

t.test('usage.ts type-checks against the built types', async (t) => {
  const tsc = require.resolve('typescript/bin/tsc')
  const fixture = path.join(__dirname, 'fixtures', 'usage.ts')
  let out = ''
  try {
    execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16',
      '--esModuleInterop', '--skipLibCheck', '--types', 'node', fixture], { timeout: 120_000, stdio: 'pipe' })
  } catch (e: any) {
    out = `${e.stdout ?? ''}${e.stderr ?? ''}${e.message}`
  }
  t.equal(out, '', 'tsc reports nothing')
})
