import { constants } from 'node:os'
import t from 'tap'
import { GazelleError, codes, fromNative, isGazelleCode, nodeCodes, systemError } from '../src/errors'

t.test('every code is ERR_GAZELLE_* and described', async (t) => {
  for (const [code, text] of Object.entries(codes)) {
    t.match(code, /^ERR_GAZELLE_[A-Z_]+$/)
    t.ok(text.length > 10, `${code} has a description`)
    t.equal(isGazelleCode(code), true)
  }
  for (const code of Object.keys(nodeCodes)) {
    t.match(code, /^ERR_[A-Z_]+$/)
    t.notMatch(code, /^ERR_GAZELLE_/)
  }
  t.equal(isGazelleCode('ERR_GAZELLE_NOPE'), false)
  t.equal(isGazelleCode('toString'), false)
})

t.test('the codes the native addon throws are in the table', async (t) => {
  for (const code of ['ERR_GAZELLE_EAL', 'ERR_GAZELLE_DEVICE', 'ERR_GAZELLE_NO_HUGEPAGES',
    'ERR_GAZELLE_STACK_OPEN', 'ERR_GAZELLE_STACK_CLOSED', 'ERR_GAZELLE_NO_INTERRUPT',
    // af_xdp (native/src/xdp_*.c, port.c)
    'ERR_GAZELLE_MTU', 'ERR_GAZELLE_NOT_ROOT', 'ERR_GAZELLE_DEVICE_NOT_FOUND', 'ERR_GAZELLE_DEVICE_SETUP',
    'ERR_GAZELLE_XDP_UNSUPPORTED', 'ERR_GAZELLE_XDP_PROGRAM', 'ERR_GAZELLE_XDP_BUSY']) {
    t.ok(code in codes, code)
  }
})

t.test('GazelleError has code, name and a stack naming the code', async (t) => {
  const e = new GazelleError('ERR_GAZELLE_STACK_OPEN', 'a stack is open')
  t.ok(e instanceof Error)
  t.equal(e.code, 'ERR_GAZELLE_STACK_OPEN')
  t.equal(e.name, 'GazelleError')
  t.equal(e.message, 'a stack is open')
  t.match(e.stack!, /^GazelleError \[ERR_GAZELLE_STACK_OPEN\]: a stack is open/)
})

t.test('systemError looks like node:net errors', async (t) => {
  const refused = systemError('ECONNREFUSED', 'connect', '10.0.0.2', 80)
  t.equal(refused.message, 'connect ECONNREFUSED 10.0.0.2:80')
  t.match(refused, {
    code: 'ECONNREFUSED', errno: -constants.errno.ECONNREFUSED, syscall: 'connect',
    address: '10.0.0.2', port: 80,
  })
  const reset = systemError('ECONNRESET', 'read')
  t.equal(reset.message, 'read ECONNRESET')
  t.equal(reset.errno, -constants.errno.ECONNRESET)
  t.notOk('address' in reset)
  const inUse = systemError('EADDRINUSE', 'listen', '0.0.0.0', 8080, true)
  t.equal(inUse.message, 'listen EADDRINUSE: address already in use 0.0.0.0:8080')
  t.equal(systemError('ETIMEDOUT', 'connect', '10.0.0.9').message, 'connect ETIMEDOUT 10.0.0.9')
  t.equal(systemError('ENOTANERRNO', 'x').errno, 0)
  t.equal(systemError('ENOTANERRNO', 'listen', '10.0.0.1', 1, true).message, 'listen ENOTANERRNO 10.0.0.1:1')
})

t.test('fromNative maps addon errors', async (t) => {
  const gz = Object.assign(new Error('DPDK EAL initialisation failed'), { code: 'ERR_GAZELLE_EAL' })
  const a = fromNative(gz, 'open')
  t.ok(a instanceof GazelleError)
  t.match(a, { code: 'ERR_GAZELLE_EAL', message: 'DPDK EAL initialisation failed' })
  const inUse = Object.assign(new Error('address already in use'), { code: 'EADDRINUSE' })
  t.match(fromNative(inUse, 'listen', '10.0.0.1', 80), {
    code: 'EADDRINUSE', syscall: 'listen', address: '10.0.0.1', port: 80,
    message: 'listen EADDRINUSE: address already in use 10.0.0.1:80',
  })
  const other = new Error('odd')
  t.equal(fromNative(other, 'x'), other)
  t.equal(fromNative('text', 'x').message, 'text')
})
