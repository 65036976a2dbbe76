import t from 'tap'
import { findRouteClash } from '../src/route-clash'
import type { IpLink, IpRoute } from '../src/route-clash'
import { socketInode } from '../src/netns-claim'
import { parseIPv4 } from '../src/ip'

const ip = (s: string) => parseIPv4(s)!
const subnet = ip('10.20.0.0')
const ours = [ip('10.20.0.1'), ip('10.20.0.2')]

const links: IpLink[] = [
  { ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
  { ifname: 'eth0', addr_info: [{ family: 'inet', local: '192.0.2.2', prefixlen: 24 }] },
]
const routes: IpRoute[] = [
  { dst: 'default', gateway: '192.0.2.1', dev: 'eth0' },
  { dst: '192.0.2.0/24', dev: 'eth0' },
  { dst: '10.0.0.0/8', gateway: '192.0.2.9', dev: 'eth0' },
]

t.test('no clash: only wider routes (default, a /8) cover the subnet', async (t) => {
  t.equal(findRouteClash(routes, links, subnet, 24, ours), undefined)
})

t.test('another tap on the same subnet is a clash', async (t) => {
  const r = [...routes, { dst: '10.20.0.0/24', dev: 'gzA' }]
  t.same(findRouteClash(r, links, subnet, 24, ours), { what: 'route 10.20.0.0/24 dev gzA', dev: 'gzA' })
})

t.test('a narrower route inside the subnet is a clash, a neighbour subnet is not', async (t) => {
  t.match(findRouteClash([{ dst: '10.20.0.128/25', dev: 'gzB' }], [], subnet, 24, ours), { dev: 'gzB' })
  t.match(findRouteClash([{ dst: '10.20.0.7', gateway: '192.0.2.1', dev: 'eth0' }], [], subnet, 24, ours), {
    what: 'route 10.20.0.7 via 192.0.2.1 dev eth0',
  })
  t.match(findRouteClash([{ dst: '10.20.0.0/24', type: 'blackhole' }], [], subnet, 24, ours), { what: 'route blackhole 10.20.0.0/24' })
  t.equal(findRouteClash([{ dst: '10.20.1.0/24', dev: 'gzB' }], [], subnet, 24, ours), undefined)
  t.equal(findRouteClash([{ dst: '10.20.0.0/23', dev: 'gzB' }], [], subnet, 24, ours), undefined, 'a wider route loses to ours')
})

t.test('one of our addresses already on an interface is a clash', async (t) => {
  const l = [...links, { ifname: 'dummy0', addr_info: [{ family: 'inet', local: '10.20.0.2', prefixlen: 32 }] }]
  t.same(findRouteClash([], l, subnet, 24, ours), { what: 'address 10.20.0.2/32 on dummy0', dev: 'dummy0' })
})

t.test('socketInode finds a listening abstract socket in /proc/net/unix', async (t) => {
  const table = [
    'Num       RefCount Protocol Flags    Type St Inode Path',
    '0000000000000000: 00000002 00000000 00010000 0001 01 49149 @gazelle/tap/gz0@@@@@@@@',
    '0000000000000000: 00000003 00000000 00000000 0001 03 49150 @gazelle/tap/gz1',
    '0000000000000000: 00000002 00000000 00010000 0001 01 49151 /run/gazelle/ctl/1.sock',
  ].join('\n')
  t.equal(socketInode(table, 'tap/gz0'), 49149)
  t.equal(socketInode(table, 'tap/gz1'), undefined, 'a connected (not listening) socket is not the holder')
  t.equal(socketInode(table, 'tap/gz'), undefined)
})
