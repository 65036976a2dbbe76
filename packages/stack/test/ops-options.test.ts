// Options for operators: control socket, logger, log level, metrics line.
import t from 'tap'
import type { Test } from 'tap'
import { GazelleError } from '../src/errors'
import { resolveOptions } from '../src/options'

const good = { device: { type: 'tap', name: 'gz0', hostIp: '10.0.0.2/24' }, ip: '10.0.0.1/24' }
const logger = { error() {}, warn() {}, info() {}, debug() {} }

function rejects(t: Test, extra: Record<string, unknown>, name: string) {
  let err: unknown
  try {
    resolveOptions({ ...good, ...extra })
  } catch (e) {
    err = e
  }
  t.ok(err instanceof GazelleError, `${name}: a GazelleError`)
  t.equal((err as GazelleError).code, 'ERR_GAZELLE_INVALID_OPTION', name)
  t.match((err as Error).message, new RegExp(`^${name.replace(/\./g, '\\.')} must be `), name)
}

t.test('defaults: default control socket, no logger, info, no metrics line', async (t) => {
  const o = resolveOptions(good).ops
  t.same(o.control, {})
  t.equal(o.logger, undefined)
  t.equal(o.logLevel, 'info')
  t.equal(o.metricsLogInterval, 0)
})

t.test('good values', async (t) => {
  t.equal(resolveOptions({ ...good, control: false }).ops.control, null)
  t.same(resolveOptions({ ...good, control: { path: 'rel/c.sock' } }).ops.control, { path: `${process.cwd()}/rel/c.sock` })
  t.equal(resolveOptions({ ...good, logger }).ops.logger, logger)
  t.equal(resolveOptions({ ...good, logLevel: 'debug' }).ops.logLevel, 'debug')
  t.equal(resolveOptions({ ...good, metricsLogInterval: 5000 }).ops.metricsLogInterval, 5000)
})

t.test('bad values name the option', async (t) => {
  rejects(t, { control: true }, 'options.control')
  rejects(t, { control: '/x.sock' }, 'options.control')
  rejects(t, { control: { path: '' } }, 'options.control.path')
  rejects(t, { control: { path: `/${'x'.repeat(120)}` } }, 'options.control.path')
  rejects(t, { control: { path: 7 } }, 'options.control.path')
  rejects(t, { logger: console.log }, 'options.logger')
  rejects(t, { logger: { info() {}, warn() {}, error() {} } }, 'options.logger')
  rejects(t, { logLevel: 'trace' }, 'options.logLevel')
  rejects(t, { metricsLogInterval: 500 }, 'options.metricsLogInterval')
  rejects(t, { metricsLogInterval: -1 }, 'options.metricsLogInterval')
})
