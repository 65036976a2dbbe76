import t from 'tap'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { GazelleError } from '@gazelle/stack'
import { registerCodes, registerError } from '../src/errors'

t.test('every register code is ERR_GAZELLE_*, described, and in the README\'s table', async (t) => {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8')
  for (const [code, text] of Object.entries(registerCodes)) {
    t.match(code, /^ERR_GAZELLE_[A-Z_]+$/)
    t.ok(text.length > 10, `${code} has a description`)
    t.ok(readme.includes(`| \`${code}\` |`), `${code} has a row in README.md's Troubleshooting table`)
  }
})

t.test('register errors are GazelleErrors with their code', async (t) => {
  const e = registerError('ERR_GAZELLE_NOT_TRANSFERABLE', 'cannot travel', { cause: 'x' })
  t.ok(e instanceof GazelleError)
  t.equal(e.code, 'ERR_GAZELLE_NOT_TRANSFERABLE')
  t.equal(e.message, 'cannot travel')
  t.equal(e.cause, 'x')
  t.match(e.stack!, /^GazelleError \[ERR_GAZELLE_NOT_TRANSFERABLE\]: cannot travel/)
})
