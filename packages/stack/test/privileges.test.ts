import t from 'tap'
import { privilegeProblem } from '../src/privileges'

const NET_ADMIN = 1n << 12n
const NET_RAW = 1n << 13n
const tap = { type: 'tap', name: 'gz0', hostIp: '10.0.0.2/24' } as const

t.test('what a device needs that a non-root process lacks', async (t) => {
  const p = (caps: bigint, hugepagesWritable: boolean | undefined = true) => ({ uid: 1000, capabilities: caps, hugepagesWritable })
  t.equal(privilegeProblem({ device: tap, hugepages: '/dev/hugepages' }, p(NET_ADMIN)), undefined, 'tap with CAP_NET_ADMIN')
  t.equal(privilegeProblem({ device: tap, hugepages: '/dev/hugepages' }, p(0n)),
    'this process (uid 1000) is not root and lacks CAP_NET_ADMIN (to create the tap device gz0 and give it an address)')
  t.equal(privilegeProblem({ device: { type: 'memif', role: 'server', socket: '/s', id: 0 }, hugepages: '/dev/hugepages' }, p(0n, false)),
    'this process (uid 1000) is not root and lacks write access to the hugetlbfs mount /dev/hugepages (DPDK creates its hugepage files there)')
  t.equal(privilegeProblem({ device: { type: 'memif', role: 'server', socket: '/s', id: 0 }, hugepages: false }, p(0n, undefined)), undefined,
    'memif without hugepages needs nothing more')
  t.match(privilegeProblem({ device: { type: 'af_packet', iface: 'veth0' }, hugepages: '/dev/hugepages' }, p(NET_ADMIN)), /CAP_NET_RAW \(to open raw sockets on veth0\)/)
  t.equal(privilegeProblem({ device: { type: 'af_packet', iface: 'veth0' }, hugepages: '/dev/hugepages' }, p(NET_RAW)), undefined)
  t.match(privilegeProblem({ device: { type: 'pci', address: '0000:00:04.0' }, hugepages: '/dev/hugepages' }, p(NET_ADMIN | NET_RAW)), /root \(to drive the NIC/)
})
