import t from 'tap'
import {
  formatIPv4, isIPv4, parseCidr, parseIPv4, prefixToNetmask, sameSubnet, unpackAddress,
} from '../src/ip'

t.test('parseIPv4 gives host-order u32', async (t) => {
  t.equal(parseIPv4('10.0.0.1'), 0x0a000001)
  t.equal(parseIPv4('0.0.0.0'), 0)
  t.equal(parseIPv4('255.255.255.255'), 0xffffffff)
  t.equal(parseIPv4('192.168.1.20'), 0xc0a80114)
})

t.test('parseIPv4 rejects what is not a dotted quad', async (t) => {
  for (const bad of ['10.0.0.256', '10.0.0', '10.0.0.1.2', '10.0.0.-1', '010.0.0.1', '10.0.0.1 ',
    ' 10.0.0.1', '1e1.0.0.1', '0x1.0.0.1', '', 'localhost', '::1', '10..0.1', '10.0.0.1/24']) {
    t.equal(parseIPv4(bad), undefined, bad)
  }
  t.equal(parseIPv4(167772161), undefined)
  t.equal(parseIPv4(undefined), undefined)
  t.equal(isIPv4('10.0.0.1'), true)
  t.equal(isIPv4('nope'), false)
})

t.test('formatIPv4 is the inverse of parseIPv4', async (t) => {
  for (const s of ['10.0.0.1', '0.0.0.0', '255.255.255.255', '172.16.254.3', '128.0.0.1']) {
    t.equal(formatIPv4(parseIPv4(s)!), s)
  }
  t.equal(formatIPv4(0xc0a80114), '192.168.1.20')
})

t.test('parseCidr', async (t) => {
  t.same(parseCidr('10.0.0.1/24'), { ip: 0x0a000001, prefix: 24 })
  t.same(parseCidr('10.0.0.1/0'), { ip: 0x0a000001, prefix: 0 })
  t.same(parseCidr('10.0.0.1/32'), { ip: 0x0a000001, prefix: 32 })
  for (const bad of ['10.0.0.1', '10.0.0.1/33', '10.0.0.1/', '10.0.0.1/024', '10.0.0.300/24',
    '10.0.0.1/2a', '/24', 24]) {
    t.equal(parseCidr(bad), undefined, String(bad))
  }
})

t.test('prefixToNetmask', async (t) => {
  t.equal(prefixToNetmask(0), 0)
  t.equal(prefixToNetmask(8), 0xff000000)
  t.equal(prefixToNetmask(24), 0xffffff00)
  t.equal(prefixToNetmask(31), 0xfffffffe)
  t.equal(prefixToNetmask(32), 0xffffffff)
  t.throws(() => prefixToNetmask(33), RangeError)
  t.throws(() => prefixToNetmask(1.5), RangeError)
})

t.test('sameSubnet', async (t) => {
  t.equal(sameSubnet(parseIPv4('10.0.0.1')!, parseIPv4('10.0.0.254')!, 24), true)
  t.equal(sameSubnet(parseIPv4('10.0.0.1')!, parseIPv4('10.0.1.1')!, 24), false)
  t.equal(sameSubnet(parseIPv4('10.0.0.1')!, parseIPv4('10.0.1.1')!, 16), true)
})

t.test('unpackAddress reads Ev.Accept addresses', async (t) => {
  const ip = parseIPv4('192.168.7.9')!
  t.same(unpackAddress(ip * 65536 + 54321), { ip, port: 54321 })
  t.same(unpackAddress(0xffffffff * 65536 + 65535), { ip: 0xffffffff, port: 65535 })
})
