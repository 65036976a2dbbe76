import t from 'tap'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { GazelleError } from '@gazelle/stack'
import { defaultHostIp, loadConfig, resolveConfig } from '../src/config/resolve'
import { ENV_NAMES } from '../src/config/env'

const base = { GAZELLE_DEVICE: 'tap:gz9', GAZELLE_IP: '10.20.0.2/24' }
const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'gazelle-config-test-'))
t.teardown(() => fs.rmSync(empty, { recursive: true, force: true }))

/** The error a load throws: code and message. */
function failure(fn: () => unknown): { code?: string; message: string } {
  try {
    fn()
  } catch (err) {
    return { code: (err as GazelleError).code, message: (err as Error).message }
  }
  return { message: 'did not throw' }
}

t.test('environment only: defaults filled in', async (t) => {
  const c = loadConfig(base, empty)
  t.same(c.stack, { device: { type: 'tap', name: 'gz9', hostIp: '10.20.0.1/24' }, ip: '10.20.0.2/24' })
  t.same(c.connect, { stack: [], kernel: [] })
  t.equal(c.listen.default, 'both')
  t.equal(c.listen.ports.size, 0)
  t.same(c.udp, { bind: 'both' })
  t.match(c, { fallback: 'error', strict: false, log: 'info', report: false, process: 'main', sources: ['environment'] })
})

t.test('the examples\' variable names keep their meaning', async (t) => {
  const tap = loadConfig({ GAZELLE_TAP: 'gz7', GAZELLE_IP: '10.9.0.5/24', GAZELLE_HOST_IP: '10.9.0.9/24', GAZELLE_POLL: 'busy' }, empty)
  t.same(tap.stack, { device: { type: 'tap', name: 'gz7', hostIp: '10.9.0.9/24' }, ip: '10.9.0.5/24', poll: 'busy' })
  const memif = loadConfig({ GAZELLE_DEVICE: 'memif', GAZELLE_MEMIF_SOCKET: '/run/x.sock', GAZELLE_IP: '10.10.0.1/24' }, empty)
  t.same(memif.stack.device, { type: 'memif', role: 'server', socket: '/run/x.sock' })
  t.same(loadConfig({ ...base, GAZELLE_DEVICE: 'memif:client:/run/a.sock:3' }, empty).stack.device,
    { type: 'memif', role: 'client', socket: '/run/a.sock', id: 3 })
  t.same(loadConfig({ ...base, GAZELLE_DEVICE: 'af_packet:veth1' }, empty).stack.device, { type: 'af_packet', iface: 'veth1' })
  t.same(loadConfig({ ...base, GAZELLE_DEVICE: 'pci:0000:00:04.0' }, empty).stack.device, { type: 'pci', address: '0000:00:04.0' })
  t.same(loadConfig({ ...base, GAZELLE_DEVICE: 'tap' }, empty).stack.device, { type: 'tap', name: 'gz0', hostIp: '10.20.0.1/24' })
})

t.test('af_xdp: the stack shares the interface\'s address (ip "auto" or bare)', async (t) => {
  const c = loadConfig({ GAZELLE_DEVICE: 'af_xdp:lo:2' }, empty)
  t.same(c.stack, { device: { type: 'af_xdp', iface: 'lo', queues: 2 }, ip: '127.0.0.1' }, 'the stack gets the address bare (it takes prefix and gateway)')
  t.equal(c.address, '127.0.0.1/8', 'routing knows the prefix before the stack opens')
  t.equal(loadConfig({ GAZELLE_DEVICE: 'af_xdp:lo', GAZELLE_IP: '127.0.0.1' }, empty).address, '127.0.0.1/8')
  t.equal(loadConfig({ GAZELLE_DEVICE: 'af_xdp:lo', GAZELLE_IP: '10.9.0.1/24' }, empty).address, '10.9.0.1/24', 'a prefix: as given')
  t.match(failure(() => loadConfig({ GAZELLE_DEVICE: 'af_xdp:lo', GAZELLE_IP: '10.9.9.9' }, empty)),
    { code: 'ERR_GAZELLE_INVALID_OPTION', message: /^GAZELLE_IP must be "auto" or an address of lo \(127\.0\.0\.1\/8\)/ })
  t.match(failure(() => loadConfig({ GAZELLE_DEVICE: 'af_xdp:gznone0' }, empty)),
    { code: 'ERR_GAZELLE_NO_ADDRESS', message: /gznone0 has no IPv4 address/ })
  t.match(failure(() => loadConfig({ GAZELLE_DEVICE: 'af_xdp:lo:0' }, empty)), { code: 'ERR_GAZELLE_INVALID_OPTION', message: /^GAZELLE_DEVICE must be/ })
})

t.test('routing variables', async (t) => {
  const c = loadConfig({
    ...base, GAZELLE_ROUTES: '10.30.0.0/16, 10.40.0.5:6379', GAZELLE_KERNEL_ROUTES: '10.30.9.0/24',
    GAZELLE_LISTEN: 'kernel,7000=stack,7001=both', GAZELLE_UDP: 'stack', GAZELLE_FALLBACK: 'kernel',
    GAZELLE_STRICT: '1', GAZELLE_LOG: 'debug', GAZELLE_REPORT: 'yes', GAZELLE_PROCESS: 'server\\.js$',
  }, empty)
  t.same(c.connect, { stack: ['10.30.0.0/16', '10.40.0.5:6379'], kernel: ['10.30.9.0/24'] })
  t.equal(c.listen.default, 'kernel')
  t.same([...c.listen.ports], [[7000, 'stack'], [7001, 'both']])
  t.match(c, { udp: { bind: 'stack' }, fallback: 'kernel', strict: true, log: 'debug', report: true })
  t.ok(c.process instanceof RegExp && c.process.test('/srv/app/server.js'))
})

t.test('a config file, and the environment overriding it', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gazelle-config-test-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'gazelle.json')
  fs.writeFileSync(file, JSON.stringify({
    stack: { device: { type: 'memif', role: 'client', socket: '/run/gazelle/a.sock' }, ip: '10.10.0.2/24', mtu: 9000 },
    connect: { stack: ['10.30.0.0/16'] }, listen: { default: 'stack', ports: { 9229: 'kernel' } }, udp: { bind: 'kernel' },
    fallback: 'kernel', strict: true, log: 'warn', report: true,
  }))
  const c = loadConfig({}, dir)
  t.same(c.stack, { device: { type: 'memif', role: 'client', socket: '/run/gazelle/a.sock' }, ip: '10.10.0.2/24', mtu: 9000 })
  t.match(c, { connect: { stack: ['10.30.0.0/16'] }, listen: { default: 'stack' }, udp: { bind: 'kernel' }, fallback: 'kernel', strict: true, log: 'warn' })
  t.same(c.sources, [file])
  const o = loadConfig({ GAZELLE_CONFIG: file, GAZELLE_IP: '10.10.0.3/24', GAZELLE_LISTEN: 'both', GAZELLE_STRICT: '0' }, '/')
  t.equal(o.stack.ip, '10.10.0.3/24', 'GAZELLE_IP wins')
  t.equal(o.stack.mtu, 9000, 'the rest of the file stays')
  t.match(o, { listen: { default: 'both' }, strict: false })
  t.same([...o.listen.ports], [[9229, 'kernel']], 'file ports stay unless the variable names them')
  t.same(o.sources, [file, 'environment'])
  t.equal(o.stackKeyName('ip'), 'GAZELLE_IP')
  t.equal(o.stackKeyName('mtu'), `${file}: stack.mtu`)
})

t.test('every mistake is a typed error naming the key where the user wrote it', async (t) => {
  const cases: [NodeJS.ProcessEnv, RegExp][] = [
    [{ GAZELLE_IP: '10.20.0.2/24' }, /^stack\.device must be a device \(set GAZELLE_DEVICE.*got undefined/],
    [{ GAZELLE_DEVICE: 'tap:gz9' }, /^stack\.ip must be the stack's address and prefix like "10\.20\.0\.2\/24" \(set GAZELLE_IP/],
    [{ ...base, GAZELLE_IP: '10.20.0.2' }, /^GAZELLE_IP must be an IPv4 address with a prefix length/],
    [{ ...base, GAZELLE_DEVICE: 'tun:x' }, /^GAZELLE_DEVICE must be "tap:NAME", .*got "tun:x"/],
    [{ ...base, GAZELLE_DEVICE: 'memif:peer:/x' }, /^GAZELLE_DEVICE must be/],
    [{ ...base, GAZELLE_ROUTES: '10.30.0.0/16,nonsense' }, /^GAZELLE_ROUTES\[1\] must be "subnet", "default", an IPv4 address or CIDR.*got "nonsense"/],
    [{ ...base, GAZELLE_KERNEL_ROUTES: '10.0.0.1:99999' }, /^GAZELLE_KERNEL_ROUTES\[0\] must be/],
    [{ ...base, GAZELLE_LISTEN: 'sometimes' }, /^GAZELLE_LISTEN must be one mode/],
    [{ ...base, GAZELLE_LISTEN: '7000=stak' }, /^GAZELLE_LISTEN port 7000 must be one of "both", "stack", "kernel", got "stak"/],
    [{ ...base, GAZELLE_LISTEN: 'x=stack' }, /^GAZELLE_LISTEN port "x" must be a port number/],
    [{ ...base, GAZELLE_UDP: 'all' }, /^GAZELLE_UDP must be one of/],
    [{ ...base, GAZELLE_FALLBACK: 'maybe' }, /^GAZELLE_FALLBACK must be one of "error", "kernel"/],
    [{ ...base, GAZELLE_STRICT: 'perhaps' }, /^GAZELLE_STRICT must be 1\/true\/yes\/on or 0\/false\/no\/off/],
    [{ ...base, GAZELLE_LOG: 'loud' }, /^GAZELLE_LOG must be one of "silent", "error"/],
    [{ ...base, GAZELLE_POLL: 'often' }, /^GAZELLE_POLL must be one of "busy", "adaptive", "interrupt"/],
    [{ ...base, GAZELLE_SPIN_MICROS: '-1' }, /^GAZELLE_SPIN_MICROS must be a non-negative integer/],
    [{ ...base, GAZELLE_PROCESS: '(' }, /^GAZELLE_PROCESS must be "main" or a valid regular expression/],
    [{ ...base, GAZELLE_IP: '10.20.0.2/32', GAZELLE_HOST_IP: '' }, /^GAZELLE_HOST_IP must be the kernel side of the tap/],
  ]
  for (const [env, message] of cases) {
    const f = failure(() => loadConfig(env, empty))
    t.equal(f.code, 'ERR_GAZELLE_INVALID_OPTION', `${JSON.stringify(env)}: ${f.message}`)
    t.match(f.message, message)
  }
  const objects: [Record<string, unknown>, RegExp][] = [
    [{ stack: { ip: '10.0.0.1/24', device: { type: 'tap', name: 'a' } }, listen: { defualt: 'both' } }, /^f\.json: listen\.defualt must be absent \(known keys: default, ports\)/],
    [{ stack: { ip: '10.0.0.1/24', device: { type: 'tap', name: 'a' } }, conect: {} }, /^f\.json: conect must be absent/],
    [{ stack: { ip: '10.0.0.1/24', device: { type: 'tap', name: 'a' } }, listen: { ports: { 80: 'web' } } }, /^f\.json: listen\.ports\.80 must be one of/],
    [{ stack: { ip: '10.0.0.1/24', device: { type: 'tap', name: 'a' } }, connect: { stack: '10.1.0.0/16' } }, /^f\.json: connect\.stack must be an array of/],
    [{ stack: { ip: '10.0.0.1/24', device: { type: 'tap', name: 'a' } }, strict: 'yes' }, /^f\.json: strict must be a boolean/],
    [{ stack: 'tap' }, /^f\.json: stack must be an object/],
    [{ stack: { ip: '10.0.0.1/24', device: 'tap:x' } }, /^f\.json: stack\.device must be an object like/],
  ]
  for (const [config, message] of objects) {
    const f = failure(() => resolveConfig(config, {}, 'f.json'))
    t.equal(f.code, 'ERR_GAZELLE_INVALID_OPTION', f.message)
    t.match(f.message, message)
  }
})

t.test('a config file that cannot be used: ERR_GAZELLE_CONFIG_FILE', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gazelle-config-test-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.writeFileSync(path.join(dir, 'bad.json'), '{ "stack": ')
  fs.writeFileSync(path.join(dir, 'list.json'), '[]')
  t.match(failure(() => loadConfig({ GAZELLE_CONFIG: 'bad.json' }, dir)), { code: 'ERR_GAZELLE_CONFIG_FILE', message: /bad\.json is not valid JSON/ })
  t.match(failure(() => loadConfig({ GAZELLE_CONFIG: 'list.json' }, dir)), { code: 'ERR_GAZELLE_CONFIG_FILE', message: /must hold one JSON object/ })
  t.match(failure(() => loadConfig({ GAZELLE_CONFIG: 'missing.json' }, dir)), { code: 'ERR_GAZELLE_CONFIG_FILE', message: /cannot read the config file .*missing\.json/ })
})

t.test('the kernel side of a tap, derived from the stack\'s address', async (t) => {
  t.equal(defaultHostIp('10.20.0.2/24'), '10.20.0.1/24')
  t.equal(defaultHostIp('10.20.0.1/24'), '10.20.0.2/24')
  t.equal(defaultHostIp('192.168.7.77/30'), '192.168.7.78/30', 'the first host is the stack: the next one')
  t.equal(defaultHostIp('10.0.0.1/31'), undefined)
})

t.test('ENV_NAMES lists every variable the README documents', async (t) => {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8')
  t.same([...ENV_NAMES].filter((name) => !readme.includes(`\`${name}\``)), [], 'none is missing from README.md')
})
