// StackLog: level filter, pino's level kept in step, rate limiting, a throwing logger.
import t from 'tap'
import { StackLog } from '../src/log'

function recorder() {
  const records: { level: string; obj: any; msg?: string }[] = []
  const keep = (level: string) => (obj: object, msg?: string) => records.push({ level, obj, msg })
  return { records, logger: { error: keep('error'), warn: keep('warn'), info: keep('info'), debug: keep('debug'), level: 'info' } }
}

t.test('without a logger nothing is enabled', async (t) => {
  const log = new StackLog(undefined, 'debug')
  t.equal(log.active, false)
  t.equal(log.enabled('error'), false)
  log.write('error', 'x', {}, 'nothing happens')
})

t.test('level filter, event field, and pino level in step', async (t) => {
  const { records, logger } = recorder()
  const log = new StackLog(logger, 'warn')
  t.equal(logger.level, 'warn', 'pino-style level set at start')
  log.write('info', 'dropped', {}, 'below the level')
  log.write('warn', 'link-down', { device: 'tap:gz0' }, 'link down')
  t.same(records, [{ level: 'warn', obj: { event: 'link-down', device: 'tap:gz0' }, msg: 'link down' }])
  log.setLevel('debug')
  t.equal(logger.level, 'debug')
  log.write('debug', 'control-request', { cmd: 'stats' }, 'req')
  t.equal(records.length, 2)
})

t.test('limited writes at most once per interval per key', async (t) => {
  const { records, logger } = recorder()
  const log = new StackLog(logger, 'info')
  t.equal(log.limited('k', 60_000, 'warn', 'e', {}, 'm'), true)
  t.equal(log.limited('k', 60_000, 'warn', 'e', {}, 'm'), false)
  t.equal(log.limited('other', 60_000, 'warn', 'e', {}, 'm'), true)
  t.equal(records.length, 2)
})

t.test('a throwing logger does not throw into the stack', async (t) => {
  const bad = { error() { throw new Error('x') }, warn() { throw new Error('x') }, info() { throw new Error('x') }, debug() {} }
  const log = new StackLog(bad, 'info')
  t.doesNotThrow(() => log.write('error', 'e', {}, 'm'))
})
