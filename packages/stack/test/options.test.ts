import t from 'tap'
import type { Test } from 'tap'
import { GazelleError } from '../src/errors'
import { PollMode } from '../src/native'
import { builtProgram } from '../src/af-xdp'
import { nativeConfig, resolveOptions } from '../src/options'

const tap = { type: 'tap', name: 'gz0', hostIp: '10.0.0.2/24' }
const good = { device: tap, ip: '10.0.0.1/24' }

/** Asserts the options throw ERR_GAZELLE_INVALID_OPTION naming `name` and showing `shown`. */
function rejects(t: Test, options: unknown, name: string, shown: string) {
  try {
    resolveOptions(options)
  } catch (err) {
    t.ok(err instanceof GazelleError, `${name}: a GazelleError`)
    const e = err as GazelleError
    t.equal(e.code, 'ERR_GAZELLE_INVALID_OPTION', name)
    t.ok(e.message.startsWith(`${name} must be `), `message names ${name}: ${e.message}`)
    t.ok(e.message.endsWith(`, got ${shown}`), `message shows ${shown}: ${e.message}`)
    return
  }
  t.fail(`${name}: no error for ${JSON.stringify(options)}`)
}

t.test('defaults', async (t) => {
  const o = resolveOptions(good)
  t.match(o, {
    ip: 0x0a000001, prefix: 24, address: '10.0.0.1', netmask: 0xffffff00, gateway: 0, mac: '',
    mtu: 1500, mbufs: 8191, poll: 'adaptive', spinMicros: 1000, idleMillis: 1, eal: [],
    hugepages: '/dev/hugepages', rxQueueSize: 1024, txQueueSize: 1024,
  })
  t.same(o.device, tap)
  t.ok(Object.isFrozen(o.device))
})

t.test('the documented example message', async (t) => {
  t.throws(() => resolveOptions({ ...good, ip: '10.0.0.300/24' }), {
    code: 'ERR_GAZELLE_INVALID_OPTION',
    message: 'options.ip must be an IPv4 address with prefix length like "10.0.0.1/24", got "10.0.0.300/24"',
  })
})

t.test('every bad option names itself', async (t) => {
  rejects(t, undefined, 'options', 'undefined')
  rejects(t, 'tap', 'options', '"tap"')
  rejects(t, { device: tap }, 'options.ip', 'undefined')
  rejects(t, { ...good, ip: '10.0.0.1' }, 'options.ip', '"10.0.0.1"')
  rejects(t, { ...good, ip: '10.0.0.1/0' }, 'options.ip', '"10.0.0.1/0"')
  rejects(t, { ...good, ip: '10.0.0.1/33' }, 'options.ip', '"10.0.0.1/33"')
  rejects(t, { ...good, ip: 167772161 }, 'options.ip', '167772161')
  rejects(t, { ...good, ip: '10.0.0.0/24' }, 'options.ip', '"10.0.0.0/24"')
  rejects(t, { ...good, ip: '10.0.0.255/24' }, 'options.ip', '"10.0.0.255/24"')
  rejects(t, { ...good, ip: '127.0.0.1/8' }, 'options.ip', '"127.0.0.1/8"')
  rejects(t, { ...good, ip: '0.1.2.3/8' }, 'options.ip', '"0.1.2.3/8"')
  rejects(t, { ...good, ip: '224.0.0.1/24' }, 'options.ip', '"224.0.0.1/24"')

  rejects(t, { ip: '10.0.0.1/24' }, 'options.device', 'undefined')
  rejects(t, { ...good, device: 'tap' }, 'options.device', '"tap"')
  rejects(t, { ...good, device: { type: 'vhost' } }, 'options.device.type', '"vhost"')
  rejects(t, { ...good, device: {} }, 'options.device.type', 'undefined')

  rejects(t, { ...good, device: { ...tap, name: 'a-name-of-16-chr' } }, 'options.device.name', '"a-name-of-16-chr"')
  rejects(t, { ...good, device: { ...tap, name: '' } }, 'options.device.name', '""')
  rejects(t, { ...good, device: { ...tap, name: 'gz/0' } }, 'options.device.name', '"gz/0"')
  rejects(t, { ...good, device: { ...tap, name: '..' } }, 'options.device.name', '".."')
  rejects(t, { ...good, device: { ...tap, name: 7 } }, 'options.device.name', '7')
  rejects(t, { ...good, device: { type: 'tap', name: 'gz0' } }, 'options.device.hostIp', 'undefined')
  rejects(t, { ...good, device: { ...tap, hostIp: '10.0.0.2' } }, 'options.device.hostIp', '"10.0.0.2"')
  rejects(t, { ...good, device: { ...tap, hostIp: '10.0.0.1/24' } }, 'options.device.hostIp', '"10.0.0.1/24"')
  rejects(t, { ...good, device: { ...tap, hostIp: '10.0.1.2/24' } }, 'options.device.hostIp', '"10.0.1.2/24"')
  rejects(t, { ...good, device: { ...tap, hostIp: '10.0.0.255/24' } }, 'options.device.hostIp', '"10.0.0.255/24"')

  const memif = { type: 'memif', role: 'server', socket: '/run/gazelle/a.sock' }
  rejects(t, { ...good, device: { ...memif, role: 'master' } }, 'options.device.role', '"master"')
  rejects(t, { ...good, device: { ...memif, socket: undefined } }, 'options.device.socket', 'undefined')
  rejects(t, { ...good, device: { ...memif, socket: '' } }, 'options.device.socket', '""')
  rejects(t, { ...good, device: { ...memif, socket: '/tmp/a,b.sock' } }, 'options.device.socket', '"/tmp/a,b.sock"')
  const long = '/tmp/' + 'x'.repeat(110)
  rejects(t, { ...good, device: { ...memif, socket: long } }, 'options.device.socket', JSON.stringify(long))
  rejects(t, { ...good, device: { ...memif, id: -1 } }, 'options.device.id', '-1')
  rejects(t, { ...good, device: { ...memif, id: 1.5 } }, 'options.device.id', '1.5')
  rejects(t, { ...good, device: { ...memif, id: '1' } }, 'options.device.id', '"1"')

  rejects(t, { ...good, device: { type: 'af_packet' } }, 'options.device.iface', 'undefined')
  rejects(t, { ...good, device: { type: 'af_packet', iface: 'veth with space' } }, 'options.device.iface', '"veth with space"')
  rejects(t, { ...good, device: { type: 'pci', address: 'eth0' } }, 'options.device.address', '"eth0"')

  rejects(t, { ...good, gateway: '10.0.1.1' }, 'options.gateway', '"10.0.1.1"')
  rejects(t, { ...good, gateway: '10.0.0.1' }, 'options.gateway', '"10.0.0.1"')
  rejects(t, { ...good, gateway: '10.0.0.254/24' }, 'options.gateway', '"10.0.0.254/24"')
  rejects(t, { ...good, mac: '02:00:00:00:00' }, 'options.mac', '"02:00:00:00:00"')
  rejects(t, { ...good, mac: '01:00:5e:00:00:01' }, 'options.mac', '"01:00:5e:00:00:01"')
  rejects(t, { ...good, mac: '00:00:00:00:00:00' }, 'options.mac', '"00:00:00:00:00:00"')
  rejects(t, { ...good, mtu: 100 }, 'options.mtu', '100')
  rejects(t, { ...good, mtu: '1500' }, 'options.mtu', '"1500"')
  rejects(t, { ...good, mtu: 9001 }, 'options.mtu', '9001')
  const memifDevice = { type: 'memif', role: 'server', socket: '/run/gazelle/o.sock' }
  rejects(t, { ...good, device: memifDevice, mtu: 65001 }, 'options.mtu', '65001')
  rejects(t, { ...good, device: { ...memifDevice, checksums: 'no' } }, 'options.device.checksums', '"no"')
  t.equal(nativeConfig(resolveOptions({ ...good, device: { ...memifDevice, checksums: false } }), 0, 1).checksums, false,
    'memif checksums: false reaches the addon')
  t.equal(nativeConfig(resolveOptions(good), 0, 1).checksums, true, 'other devices always sum')
  t.equal(resolveOptions({ ...good, device: memifDevice, mtu: 65000 }).mtu, 65000, 'memif takes frames up to 64 KiB')
  rejects(t, { ...good, mbufs: 100 }, 'options.mbufs', '100')
  rejects(t, { ...good, mbufs: 8191.5 }, 'options.mbufs', '8191.5')
  rejects(t, { ...good, mbufs: 2 ** 21 }, 'options.mbufs', String(2 ** 21))
  rejects(t, { ...good, poll: 'spin' }, 'options.poll', '"spin"')
  rejects(t, { ...good, poll: 1 }, 'options.poll', '1')
  rejects(t, { ...good, spinMicros: -1 }, 'options.spinMicros', '-1')
  rejects(t, { ...good, spinMicros: NaN }, 'options.spinMicros', 'NaN')
  rejects(t, { ...good, idleMillis: 0 }, 'options.idleMillis', '0')
  rejects(t, { ...good, idleMillis: 1001 }, 'options.idleMillis', '1001')
  rejects(t, { ...good, eal: '--no-pci' }, 'options.eal', '"--no-pci"')
  rejects(t, { ...good, eal: ['--no-pci', 3] }, 'options.eal', "[ '--no-pci', 3 ]")
  rejects(t, { ...good, eal: [''] }, 'options.eal', "[ '' ]")
  rejects(t, { ...good, hugepages: 'dev/hugepages' }, 'options.hugepages', '"dev/hugepages"')
  rejects(t, { ...good, hugepages: true }, 'options.hugepages', 'true')
  rejects(t, { ...good, rxQueueSize: 1000 }, 'options.rxQueueSize', '1000')
  rejects(t, { ...good, txQueueSize: 32 }, 'options.txQueueSize', '32')
  rejects(t, { ...good, maxConnections: 0 }, 'options.maxConnections', '0')
  rejects(t, { ...good, maxConnections: 1.5 }, 'options.maxConnections', '1.5')
  rejects(t, { ...good, maxConnections: '100' }, 'options.maxConnections', '"100"')
})

t.test('good options are kept', async (t) => {
  const o = resolveOptions({
    ...good, gateway: '10.0.0.254', mac: '02:AA:bb:00:00:01', mtu: 9000, mbufs: 16383,
    poll: 'busy', spinMicros: 0, idleMillis: 5, eal: ['--in-memory'], hugepages: false,
    rxQueueSize: 512, txQueueSize: 2048, maxConnections: 250000,
  })
  t.equal(resolveOptions(good).maxConnections, 100000, 'maxConnections defaults to 100,000')
  t.match(o, {
    gateway: 0x0a0000fe, mac: '02:aa:bb:00:00:01', mtu: 9000, mbufs: 16383, poll: 'busy',
    spinMicros: 0, idleMillis: 5, eal: ['--in-memory'], hugepages: false, rxQueueSize: 512,
    txQueueSize: 2048, maxConnections: 250000,
  })
  const m = resolveOptions({ ...good, device: { type: 'memif', role: 'client', socket: 'rel/a.sock', id: 3 } })
  t.same(m.device, { type: 'memif', role: 'client', socket: `${process.cwd()}/rel/a.sock`, id: 3, checksums: true })
  t.same(resolveOptions({ ...good, ip: '10.0.0.0/31', device: { ...tap, hostIp: '10.0.0.1/31' } }).prefix, 31)
  t.same(resolveOptions({ ...good, device: { type: 'af_packet', iface: 'veth0' } }).device, { type: 'af_packet', iface: 'veth0' })
  t.same(resolveOptions({ ...good, device: { type: 'pci', address: '0000:00:04.0' } }).device, { type: 'pci', address: '0000:00:04.0' })
})

t.test('hostIp example follows the subnet', async (t) => {
  t.throws(() => resolveOptions({ ip: '192.168.5.1/24', device: { ...tap, hostIp: 'x' } }), {
    message: /like "192\.168\.5\.2\/24", got "x"$/,
  })
  t.throws(() => resolveOptions({ ip: '192.168.5.7/24', device: { ...tap, hostIp: 'x' } }), {
    message: /like "192\.168\.5\.1\/24"/,
  })
  t.throws(() => resolveOptions({ ip: '192.168.5.7/32', device: { ...tap, hostIp: 'x' } }), {
    message: /like "192\.168\.5\.6\/32"/,
  })
})

t.test('nativeConfig: tap', async (t) => {
  const c = nativeConfig(resolveOptions(good), 4, 1234)
  t.same(c, {
    ealArgs: ['--file-prefix=gazelle-1234', '--no-pci', '--huge-unlink', '--no-telemetry', '--log-level=lib.eal:error',
      '--log-level=pmd.net.tap:critical'],
    vdevName: 'net_tap4',
    vdevArgs: 'iface=gz0',
    ip: 0x0a000001,
    netmask: 0xffffff00,
    gateway: 0,
    mac: '',
    mtu: 1500,
    checksums: true,
    mbufs: 8191,
    rxQueueSize: 1024,
    txQueueSize: 1024,
    pollMode: PollMode.Adaptive,
    spinMicros: 1000,
    idleMillis: 1,
    faults: null,
    maxConnections: 100000,
    queues: 1,
  })
  t.notOk(c.ealArgs.some((a) => a.startsWith('-l')), 'no lcore list: the addon handles affinity')
})

t.test('nativeConfig: memif, af_packet, pci and EAL passthrough', async (t) => {
  const memif = nativeConfig(
    resolveOptions({ ...good, device: { type: 'memif', role: 'server', socket: '/run/gz/a.sock' }, poll: 'busy' }), 0, 1)
  t.equal(memif.vdevName, 'net_memif0')
  t.equal(memif.vdevArgs, 'role=server,socket=/run/gz/a.sock,socket-abstract=no,id=0,rsize=11,bsize=10240')
  t.equal(memif.mtu, 9000, 'memif defaults to jumbo frames')
  t.equal(memif.pollMode, PollMode.Busy)
  const client = nativeConfig(
    resolveOptions({ ...good, device: { type: 'memif', role: 'client', socket: '/run/gz/a.sock', id: 7 }, poll: 'interrupt' }), 1, 1)
  t.equal(client.vdevArgs, 'role=client,socket=/run/gz/a.sock,socket-abstract=no,id=7,rsize=11,bsize=10240')
  const small = nativeConfig(
    resolveOptions({ ...good, device: { type: 'memif', role: 'client', socket: '/run/gz/a.sock' }, mtu: 1500 }), 1, 1)
  t.match(small.vdevArgs, /,bsize=2048$/, 'standard frames fit 2 KiB buffers')
  const big = nativeConfig(
    resolveOptions({ ...good, device: { type: 'memif', role: 'client', socket: '/run/gz/a.sock' }, mtu: 65000 }), 1, 1)
  t.match(big.vdevArgs, /,rsize=9,bsize=65024$/, 'a 64 KiB frame fits one buffer (a frame never spans two on the ring)')
  t.equal(client.pollMode, PollMode.Interrupt)
  const af = nativeConfig(resolveOptions({ ...good, device: { type: 'af_packet', iface: 'veth1' } }), 2, 1)
  t.equal(af.vdevName, 'net_af_packet2')
  t.equal(af.vdevArgs, 'iface=veth1,framecnt=4096', 'rings of 4096 frames (the PMD default of 512 overflows)')
  const pci = nativeConfig(resolveOptions({ ...good, device: { type: 'pci', address: '0000:00:04.0' } }), 3, 1)
  t.notOk(pci.ealArgs.includes('--no-pci'))
  t.same(pci.ealArgs.slice(-2), ['-a', '0000:00:04.0'])
  t.equal(pci.vdevName, '0000:00:04.0')

  const custom = nativeConfig(resolveOptions({
    ...good, hugepages: '/mnt/huge', eal: ['--file-prefix=mine', '--no-huge', '-m', '512'],
  }), 5, 99)
  t.same(custom.ealArgs, [
    '--no-pci', '--huge-dir=/mnt/huge', '--no-telemetry', '--log-level=lib.eal:error',
    '--log-level=pmd.net.tap:critical', '--file-prefix=mine', '--no-huge', '-m', '512',
  ])
})

t.test('unknown keys are rejected with the closest valid name', async (t) => {
  const cases: [unknown, RegExp][] = [
    [{ ...good, pol: 'busy' }, /^options\.pol is not an option: did you mean options\.poll\?$/],
    [{ ...good, MTU: 9000 }, /^options\.MTU is not an option: did you mean options\.mtu\?$/],
    [{ ...good, spin: 10 }, /^options\.spin is not an option: did you mean options\.spinMicros\?$/],
    [{ ...good, logger2: {} }, /^options\.logger2 is not an option: did you mean options\.logger\?$/],
    [{ ...good, frobnicate: 1 }, /^options\.frobnicate is not an option: the options are device, ip, gateway, /],
    [{ ...good, device: { ...tap, hostip: '10.0.0.2/24' } }, /^options\.device\.hostip is not an option: did you mean options\.device\.hostIp\?$/],
    [{ ...good, device: { type: 'memif', role: 'server', socket: '/run/x.sock', ID: 1 } }, /^options\.device\.ID is not an option: did you mean options\.device\.id\?$/],
    [{ ...good, control: { paht: '/run/x.sock' } }, /^options\.control\.paht is not an option: did you mean options\.control\.path\?$/],
  ]
  for (const [options, message] of cases) {
    t.throws(() => resolveOptions(options), { code: 'ERR_GAZELLE_INVALID_OPTION', message }, String(message))
  }
  t.doesNotThrow(() => resolveOptions({ ...good, poll: undefined, gateway: undefined }), 'keys set to undefined are fine')
})

t.test('af_xdp: defaults, bad values and the vdev', async (t) => {
  const xdp = { type: 'af_xdp', iface: 'eth0' }
  const o = resolveOptions({ ...good, device: xdp })
  t.same(o.device, {
    type: 'af_xdp', iface: 'eth0', queues: 1, bifurcate: true, localPorts: undefined, forceCopy: false, program: builtProgram(),
  })
  t.match(builtProgram(), /native\/build\/Release\/xdp_steer\.o$/)
  rejects(t, { ...good, device: { ...xdp, queues: 0 } }, 'options.device.queues', '0')
  rejects(t, { ...good, device: { ...xdp, queues: 65 } }, 'options.device.queues', '65')
  rejects(t, { ...good, device: { ...xdp, bifurcate: 'yes' } }, 'options.device.bifurcate', '"yes"')
  rejects(t, { ...good, device: { ...xdp, forceCopy: 1 } }, 'options.device.forceCopy', '1')
  rejects(t, { ...good, device: { ...xdp, localPorts: [1, 2000] } }, 'options.device.localPorts', '[ 1, 2000 ]')
  rejects(t, { ...good, device: { ...xdp, localPorts: [3000, 2000] } }, 'options.device.localPorts', '[ 3000, 2000 ]')
  rejects(t, { ...good, device: { ...xdp, localPorts: [60000, 60010] } }, 'options.device.localPorts', '[ 60000, 60010 ]')
  rejects(t, { ...good, device: { ...xdp, localPorts: 61000 } }, 'options.device.localPorts', '61000')
  rejects(t, { ...good, device: { ...xdp, program: 'rel/prog.o' } }, 'options.device.program', '"rel/prog.o"')
  rejects(t, { ...good, device: { ...xdp, program: '/a,b.o' } }, 'options.device.program', '"/a,b.o"')
  rejects(t, { ...good, device: xdp, mac: '02:00:00:00:00:01' }, 'options.mac', '"02:00:00:00:00:01"')

  const c = nativeConfig(resolveOptions({ ...good, device: { ...xdp, queues: 2, forceCopy: true, program: '/x/p.o' } }), 3, 1)
  t.equal(c.vdevName, 'net_af_xdp3')
  t.equal(c.vdevArgs, 'iface=eth0,start_queue=0,queue_count=2,xdp_prog=/x/p.o,busy_budget=0,force_copy=1')
  t.equal(c.queues, 2)
  t.ok(c.ealArgs.includes('--log-level=pmd.net.af_xdp:warning'))
  const plain = nativeConfig(resolveOptions({ ...good, device: { ...xdp, localPorts: [50000, 59999] } }), 0, 1)
  t.equal(plain.vdevArgs, `iface=eth0,start_queue=0,queue_count=1,xdp_prog=${builtProgram()},busy_budget=0`)
})
