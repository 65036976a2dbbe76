// The af_xdp device's host-side rules that need no interface of their own: the default
// ephemeral range and what ip "auto" does with interfaces that cannot serve.
import t from 'tap'
import { defaultLocalPorts, interfaceDefaults } from '../src/af-xdp'

t.test('the default ephemeral range lies above the kernel\'s own', async (t) => {
  t.same(defaultLocalPorts('32768\t60999\n'), [61000, 65535], "Linux's default range")
  t.same(defaultLocalPorts('1024 65535'), [61440, 65535], 'a kernel range up to the top: the last 4096 ports (reserved)')
  t.same(defaultLocalPorts('32768 61439'), [61440, 65535], 'fewer than 4096 left above it: the last 4096')
  t.same(defaultLocalPorts('10000 40000'), [40001, 65535])
  t.same(defaultLocalPorts('garbage'), [61440, 65535])
})

t.test('interfaceDefaults passes other devices and explicit values through', async (t) => {
  const tap = { device: { type: 'tap', name: 'gz0', hostIp: '10.0.0.2/24' }, ip: 'auto' }
  t.equal(interfaceDefaults(tap), tap, 'not af_xdp: untouched (the options check reports ip)')
  t.equal(interfaceDefaults(null), null)
  const explicit = { device: { type: 'af_xdp', iface: 'nosuchif0' }, ip: '10.0.0.2/24', mtu: 1500 }
  t.same(interfaceDefaults(explicit), explicit, 'nothing to look up: the interface is checked later')
})

t.test('interfaceDefaults: a missing interface, an MTU too large for AF_XDP', async (t) => {
  t.throws(() => interfaceDefaults({ device: { type: 'af_xdp', iface: 'nosuchif0' }, ip: 'auto' }),
    { code: 'ERR_GAZELLE_DEVICE_NOT_FOUND' })
  // lo has MTU 65536
  t.throws(() => interfaceDefaults({ device: { type: 'af_xdp', iface: 'lo' }, ip: 'auto' }),
    { code: 'ERR_GAZELLE_MTU', message: /MTU 65536 \(lo's\) is above the largest AF_XDP frame/ })
  t.throws(() => interfaceDefaults({ device: { type: 'af_xdp', iface: 'lo' }, ip: '10.1.2.3', mtu: 1500 }),
    { code: 'ERR_GAZELLE_INVALID_OPTION', message: /options.ip must be "auto" or an address of lo \(127.0.0.1\/8\)/ })
})
