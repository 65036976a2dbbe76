import * as fs from 'node:fs'
import * as net from 'node:net'
import * as path from 'node:path'
import { constants } from 'node:os'
import * as util from 'node:util'
import t from 'tap'
import {
  GazelleError, codes, errnoException, errnoName, isGazelleCode, nodeCodes, openError, systemError,
} from '../src/errors'

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

const REPO = path.resolve(__dirname, '..', '..', '..')

/** Every ERR_GAZELLE_* code in the files under dir (ext: which files), with where it is. */
function codesIn(dir: string, ext: RegExp, found = new Map<string, string>()): Map<string, string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'dist') codesIn(p, ext, found)
    } else if (ext.test(e.name)) {
      for (const m of fs.readFileSync(p, 'utf8').matchAll(/ERR_GAZELLE_[A-Z0-9_]+/g)) {
        if (!found.has(m[0])) found.set(m[0], path.relative(REPO, p))
      }
    }
  }
  return found
}

t.test('the codes the native addon throws are in the table (openError makes them GazelleErrors)', async (t) => {
  const native = codesIn(path.join(REPO, 'native', 'src'), /\.(c|cc|h)$/)
  t.ok(native.size >= 5, `${native.size} codes in native/src`)
  for (const [code, where] of native) t.ok(isGazelleCode(code), `${code} (${where}) is in codes`)
})

t.test("every ERR_GAZELLE_* code of the sources is in the README's troubleshooting table", async (t) => {
  const found = codesIn(path.join(REPO, 'native', 'src'), /\.(c|cc|h)$/)
  for (const pkg of fs.readdirSync(path.join(REPO, 'packages'))) {
    const src = path.join(REPO, 'packages', pkg, 'src')
    if (fs.existsSync(src)) codesIn(src, /\.(ts|js|mjs|cjs)$/, found)
  }
  for (const code of Object.keys(codes)) if (!found.has(code)) found.set(code, 'packages/stack/src/errors.ts')
  const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8')
  const rows = new Set<string>()
  for (const line of readme.slice(readme.indexOf('\n## Troubleshooting')).split('\n')) {
    if (!line.startsWith('|')) continue
    for (const m of line.split('|')[1].matchAll(/`(ERR_GAZELLE_[A-Z0-9_]+)`/g)) rows.add(m[1])
  }
  t.ok(found.size >= 20, `${found.size} codes in the sources`)
  for (const [code, where] of found) t.ok(rows.has(code), `${code} (${where}) has a row`)
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

t.test('openError: the ERR_GAZELLE_* the addon throws at open become GazelleErrors', async (t) => {
  const gz = Object.assign(new Error('DPDK EAL initialisation failed'), { code: 'ERR_GAZELLE_EAL' })
  const a = openError(gz)
  t.ok(a instanceof GazelleError)
  t.match(a, { code: 'ERR_GAZELLE_EAL', message: 'DPDK EAL initialisation failed' })
  t.equal(a.cause, gz)
  const other = new Error('odd')
  t.equal(openError(other), other)
  t.equal(openError('text').message, 'text')
})

/** The fields Node puts on an error, in order, with their values, and the message. */
function shape(e: Error): unknown {
  return { message: e.message, name: e.name, fields: Object.keys(e).map((k) => [k, (e as unknown as Record<string, unknown>)[k]]) }
}

t.test('errnoException makes the errors node:net makes, from -errno', async (t) => {
  const legacy = util as unknown as {
    _errnoException(err: number, syscall: string): Error
    _exceptionWithHostPort(err: number, syscall: string, address: string, port?: number): Error
  }
  const E = constants.errno
  // ErrnoException (read, write, setTTL...) and ExceptionWithHostPort (connect, bind, send)
  t.same(shape(errnoException(-E.ECONNRESET, 'read')), shape(legacy._errnoException(-E.ECONNRESET, 'read')))
  t.same(shape(errnoException(-E.EPIPE, 'write')), shape(legacy._errnoException(-E.EPIPE, 'write')))
  t.same(shape(errnoException(-E.ECONNREFUSED, 'connect', '10.0.0.2', 80)),
    shape(legacy._exceptionWithHostPort(-E.ECONNREFUSED, 'connect', '10.0.0.2', 80)))
  t.same(shape(errnoException(-E.ETIMEDOUT, 'connect', '10.0.0.9', 0)),
    shape(legacy._exceptionWithHostPort(-E.ETIMEDOUT, 'connect', '10.0.0.9', 0)))
  t.same(shape(errnoException(-E.EADDRNOTAVAIL, 'bind', '10.9.9.9', 0)),
    shape(legacy._exceptionWithHostPort(-E.EADDRNOTAVAIL, 'bind', '10.9.9.9', 0)))
  t.same(shape(errnoException(-E.EAGAIN, 'send', '10.0.0.2', 53)),
    shape(legacy._exceptionWithHostPort(-E.EAGAIN, 'send', '10.0.0.2', 53)))
  t.equal(errnoException(-E.ECONNRESET, 'read').message, 'read ECONNRESET')
  t.equal(errnoException(-E.ECONNREFUSED, 'connect', '10.0.0.2', 80).message, 'connect ECONNREFUSED 10.0.0.2:80')
})

t.test("errnoException for listen matches node:net's listen error (libuv's form)", async (t) => {
  // A real EADDRINUSE from node:net on the kernel's loopback, and ours for the same address.
  const first = net.createServer()
  await new Promise<void>((resolve) => first.listen(0, '127.0.0.1', resolve))
  const port = (first.address() as net.AddressInfo).port
  const second = net.createServer()
  const nodeErr = await new Promise<Error>((resolve) => {
    second.once('error', resolve)
    second.listen(port, '127.0.0.1')
  })
  first.close()
  const ours = errnoException(-constants.errno.EADDRINUSE, 'listen', '127.0.0.1', port)
  t.same(shape(ours), shape(nodeErr))
  t.equal(ours.message, `listen EADDRINUSE: address already in use 127.0.0.1:${port}`)
})

t.test('errnoException names what libuv cannot', async (t) => {
  t.equal(errnoName(-constants.errno.EAGAIN), 'EAGAIN')
  t.equal(errnoName(-9999), util.getSystemErrorName(-9999))
  t.match(errnoException(-9999, 'write'), { errno: -9999, code: util.getSystemErrorName(-9999) })
})
