// createStack options: their types, their validation (before anything touches the
// system or the addon) and the plain config object handed to the addon.
import { isAbsolute, resolve } from 'node:path'
import { parseCidr, parseIPv4, prefixToNetmask, sameSubnet, formatIPv4 } from './ip'
import { NativeStackConfig, PollMode } from './native'
import { SUN_PATH_MAX, boolean, checkKeys, integer, invalidOption, isObject, oneOf, string } from './validate'
import { builtProgram } from './af-xdp'
import { OPS_OPTION_KEYS, OpsOptions, ResolvedOpsOptions, resolveOpsOptions } from './ops-options'
import { FaultOptions, NativeFaults, resolveFaults } from './faults'

/** Two processes on one host over shared memory (DPDK net_memif). */
export interface MemifDeviceOptions {
  type: 'memif'
  role: 'server' | 'client'
  /** Path of the unix socket file (not abstract) the two sides meet on. */
  socket: string
  /** Interface id on that socket, so one server socket can serve several clients. Default 0. */
  id?: number
  /**
   * false: no IP/TCP/UDP checksums on this link, neither computed nor checked, as on the
   * kernel's loopback: two processes on one host share the frames' memory, nothing on
   * the way can corrupt them, and the two passes over every byte go. Both ends must set
   * it: a stack that checks drops the other's unsummed frames (counted as ip.chkerr),
   * so a mismatch fails to connect rather than pass bad data. Default true.
   */
  checksums?: boolean
}

/** A kernel tap interface (DPDK net_tap): kernel programs (curl, wrk) reach the stack. */
export interface TapDeviceOptions {
  type: 'tap'
  /** Interface name to create, at most 15 characters; must not exist yet. */
  name: string
  /** Address and prefix given to the kernel side, like "10.0.0.2/24". */
  hostIp: string
}

/** An existing kernel interface, typically one end of a veth pair (DPDK net_af_packet). */
export interface AfPacketDeviceOptions {
  type: 'af_packet'
  iface: string
}

/**
 * An existing kernel interface (a NIC, or one end of a veth pair) through AF_XDP (DPDK
 * net_af_xdp). By default the kernel keeps the interface: an XDP program hands the
 * stack only the TCP/UDP ports it listens on or binds and its ephemeral range; ARP,
 * ICMP and every other port stay with the kernel, which shares address and MAC.
 */
export interface AfXdpDeviceOptions {
  type: 'af_xdp'
  iface: string
  /** Queues to attach (0..queues-1), one AF_XDP socket each; must cover every rx queue. Default 1. */
  queues?: number
  /** false: the stack takes every frame of its queues (a NIC dedicated to it). Default true. */
  bifurcate?: boolean
  /** The stack's ephemeral ports [first, last], reserved in the kernel while it runs.
   * Default: above the kernel's net.ipv4.ip_local_port_range (61000-65535 on Linux's defaults). */
  localPorts?: [number, number]
  /** Copy mode even where the driver supports zero-copy. Default false. */
  forceCopy?: boolean
  /** An XDP object to load instead of the built-in program (same maps: xsks_map, gz_config, gz_ports, gz_stats). */
  program?: string
}

/** A real NIC bound to a DPDK-compatible driver (vfio-pci). */
export interface PciDeviceOptions {
  type: 'pci'
  /** PCI address like "0000:00:04.0". */
  address: string
}

export type DeviceOptions =
  | MemifDeviceOptions
  | TapDeviceOptions
  | AfPacketDeviceOptions
  | AfXdpDeviceOptions
  | PciDeviceOptions

export type DeviceType = DeviceOptions['type']
export type PollModeName = 'busy' | 'adaptive' | 'interrupt'

export interface StackOptions extends OpsOptions {
  device: DeviceOptions
  /** The stack's address and prefix length, like "10.0.0.1/24". af_xdp: also "auto" (the
   * interface's address) or one of its addresses without prefix. */
  ip: string
  /** Default gateway, in the subnet of ip. */
  gateway?: string
  /** MAC address "aa:bb:cc:dd:ee:ff"; default: the port's own. */
  mac?: string
  /** Default 1500 (memif: 9000). At most 9000; memif up to 65000 (fewer TCP segments,
   * ACKs and events per byte between two stacks; a memif client's MTU must be at least
   * its server's). */
  mtu?: number
  /** Packet buffers in the pool. Default 8191. */
  mbufs?: number
  /** Default 'adaptive': spin while traffic flows, sleep when idle. */
  poll?: PollModeName
  /** adaptive: keep spinning this long after the last activity. Default 1000. */
  spinMicros?: number
  /** Sleep interval when idle (also the LwIP timer granularity). Default 1. */
  idleMillis?: number
  /** Extra DPDK EAL arguments, e.g. for real NICs. */
  eal?: string[]
  /** hugetlbfs mount to check (and pass as --huge-dir if not the default); false: skip the check. */
  hugepages?: string | false
  /** Descriptors in the port's rx / tx ring. Default 1024. */
  rxQueueSize?: number
  txQueueSize?: number
  /**
   * Fault injection for tests and drills (faults.ts): drop, duplicate, reorder, delay,
   * corrupt received and sent frames. Default: the GAZELLE_FAULTS environment variable,
   * else none.
   */
  faults?: FaultOptions | string | null
  /**
   * The most TCP connections the stack keeps at once, in any state (TIME-WAIT included,
   * listeners aside). At the limit the oldest TIME-WAIT makes room; else connect() fails
   * with EMFILE and incoming connections wait (SYN cookies). Default 100000.
   */
  maxConnections?: number
}

/** Options after validation, with defaults filled in and addresses as numbers. */
export interface ResolvedOptions {
  device: Readonly<DeviceOptions>
  ip: number
  prefix: number
  address: string
  netmask: number
  gateway: number
  mac: string
  mtu: number
  mbufs: number
  poll: PollModeName
  spinMicros: number
  idleMillis: number
  eal: string[]
  hugepages: string | false
  rxQueueSize: number
  txQueueSize: number
  faults: NativeFaults | null
  maxConnections: number
  /** control socket, logger, metrics line */
  ops: ResolvedOpsOptions
}

export const DEFAULT_HUGEPAGES = '/dev/hugepages'
/** Every key createStack() takes: any other is a typo, and rejected with the closest one. */
export const STACK_OPTION_KEYS = [
  'device', 'ip', 'gateway', 'mac', 'mtu', 'mbufs', 'poll', 'spinMicros', 'idleMillis', 'eal', 'hugepages',
  'rxQueueSize', 'txQueueSize', 'faults', 'maxConnections', ...OPS_OPTION_KEYS,
] as const
// A new option must be listed above, or createStack would reject it: tsc says which.
type UnlistedOption = Exclude<keyof StackOptions, (typeof STACK_OPTION_KEYS)[number]>
const everyOptionListed: [UnlistedOption] extends [never] ? true : UnlistedOption = true
void everyOptionListed
const DEVICE_TYPES: readonly DeviceType[] = ['memif', 'tap', 'af_packet', 'af_xdp', 'pci']
const POLL_MODES: readonly PollModeName[] = ['busy', 'adaptive', 'interrupt']
/** The largest memif MTU: frames stay below 65535 bytes, the most LwIP's 16-bit lengths
 * hold, and fit a 64-byte-aligned memif buffer. */
const MEMIF_MAX_MTU = 65000
const AF_PACKET_RING_FRAMES = 4096
const POLL_MODE_NUMBERS: Record<PollModeName, PollMode> = {
  busy: PollMode.Busy,
  adaptive: PollMode.Adaptive,
  interrupt: PollMode.Interrupt,
}
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/
const IFNAME_EXPECTED = 'an interface name of 1 to 15 letters, digits, "_", "-" or "."'
const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i
const PCI = /^(?:[0-9a-f]{4}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i

function isInterfaceName(s: string): boolean {
  return IFNAME.test(s) && s !== '.' && s !== '..'
}

/** A unicast host address: not 0/8, 127/8, class D/E, nor its subnet's network or broadcast. */
function isHostAddress(ip: number, prefix: number): boolean {
  const first = ip >>> 24
  if (first === 0 || first === 127 || first >= 224) return false
  if (prefix >= 31) return true
  const host = (ip & ~prefixToNetmask(prefix)) >>> 0
  return host !== 0 && host !== (~prefixToNetmask(prefix) >>> 0)
}

export function resolveOptions(options: unknown): ResolvedOptions {
  if (!isObject(options)) {
    throw invalidOption('options', 'an object like { device, ip: "10.0.0.1/24" }', options)
  }
  checkKeys(options, STACK_OPTION_KEYS, 'options')
  const cidr = parseCidr(options.ip)
  if (cidr === undefined || cidr.prefix === 0) {
    throw invalidOption(
      'options.ip',
      'an IPv4 address with prefix length like "10.0.0.1/24"',
      options.ip,
    )
  }
  if (!isHostAddress(cidr.ip, cidr.prefix)) {
    throw invalidOption(
      'options.ip',
      'a unicast host address (not 0.x, 127.x, multicast, nor its subnet\'s network or broadcast address)',
      options.ip,
    )
  }
  const { ip, prefix } = cidr
  const subnet = `${formatIPv4((ip & prefixToNetmask(prefix)) >>> 0)}/${prefix}`
  const device = resolveDevice(options.device, ip, prefix, subnet)

  let gateway = 0
  if (options.gateway !== undefined) {
    const gw = parseIPv4(options.gateway)
    if (gw === undefined || gw === ip || !sameSubnet(gw, ip, prefix)) {
      throw invalidOption(
        'options.gateway',
        `an IPv4 address in ${subnet} other than the stack's own`,
        options.gateway,
      )
    }
    gateway = gw
  }

  let mac = ''
  if (options.mac !== undefined && device.type === 'af_xdp') {
    throw invalidOption('options.mac', "undefined (an af_xdp stack has its interface's MAC)", options.mac)
  }
  if (options.mac !== undefined) {
    mac = string(options.mac, 'options.mac', 'a unicast MAC address like "02:00:00:00:00:01"', (s) =>
      MAC.test(s) && (parseInt(s.slice(0, 2), 16) & 1) === 0 && s !== '00:00:00:00:00:00',
    ).toLowerCase()
  }

  const rxQueueSize = queueSize(options.rxQueueSize, 'options.rxQueueSize')
  const txQueueSize = queueSize(options.txQueueSize, 'options.txQueueSize')
  const minMbufs = rxQueueSize + txQueueSize + 512

  let eal: string[] = []
  if (options.eal !== undefined) {
    if (!Array.isArray(options.eal) || !options.eal.every((a) => typeof a === 'string' && a !== '' && !a.includes('\0'))) {
      throw invalidOption('options.eal', 'an array of non-empty strings', options.eal)
    }
    eal = [...options.eal]
  }

  let hugepages: string | false = DEFAULT_HUGEPAGES
  if (options.hugepages !== undefined) {
    if (options.hugepages !== false) {
      string(options.hugepages, 'options.hugepages', 'an absolute path of a hugetlbfs mount, or false', isAbsolute)
    }
    hugepages = options.hugepages as string | false
  }

  return {
    device,
    ip,
    prefix,
    address: formatIPv4(ip),
    netmask: prefixToNetmask(prefix),
    gateway,
    mac,
    // memif joins two of our stacks in shared memory: jumbo frames cut per-packet work 6x,
    // and up to 65000 (frames near LwIP's 16-bit limit, mbuf chains in the process)
    // another 7x: the user-mode stack's TSO/GRO between two processes
    mtu: integer(options.mtu, 'options.mtu', 576, device.type === 'memif' ? MEMIF_MAX_MTU : 9000,
      device.type === 'memif' ? 9000 : 1500),
    mbufs: integer(options.mbufs, 'options.mbufs', minMbufs, 1048575, Math.max(8191, minMbufs)),
    poll: oneOf(options.poll, 'options.poll', POLL_MODES, 'adaptive'),
    // 1 ms rides out a GC pause on the peer; shorter spins fall asleep mid-conversation
    spinMicros: integer(options.spinMicros, 'options.spinMicros', 0, 10_000_000, 1000),
    idleMillis: integer(options.idleMillis, 'options.idleMillis', 1, 1000, 1),
    eal,
    hugepages,
    rxQueueSize,
    txQueueSize,
    maxConnections: integer(options.maxConnections, 'options.maxConnections', 1, 10_000_000, 100_000),
    faults: options.faults !== undefined
      ? resolveFaults(options.faults)
      : resolveFaults(process.env.GAZELLE_FAULTS, 'the GAZELLE_FAULTS environment variable'),
    ops: resolveOpsOptions(options),
  }
}

function queueSize(value: unknown, name: string): number {
  const n = integer(value, name, 64, 16384, 1024)
  if ((n & (n - 1)) !== 0) throw invalidOption(name, 'a power of two from 64 to 16384', value)
  return n
}

function resolveDevice(value: unknown, ip: number, prefix: number, subnet: string): DeviceOptions {
  if (!isObject(value)) {
    throw invalidOption(
      'options.device',
      'an object like { type: "tap", name: "gz0", hostIp: "10.0.0.2/24" }',
      value,
    )
  }
  const type = oneOf(value.type, 'options.device.type', DEVICE_TYPES)
  switch (type) {
    case 'memif': {
      checkKeys(value, ['type', 'role', 'socket', 'id', 'checksums'], 'options.device')
      const role = oneOf(value.role, 'options.device.role', ['server', 'client'] as const)
      const socket = string(
        value.socket,
        'options.device.socket',
        `a unix socket file path without "," or "=", at most ${SUN_PATH_MAX} bytes`,
        (s) => s !== '' && !/[,=\0]/.test(s) && Buffer.byteLength(resolve(s)) <= SUN_PATH_MAX,
      )
      const id = integer(value.id, 'options.device.id', 0, 0xffffffff, 0)
      const checksums = boolean(value.checksums, 'options.device.checksums', true)
      return Object.freeze({ type, role, socket: resolve(socket), id, checksums })
    }
    case 'tap': {
      checkKeys(value, ['type', 'name', 'hostIp'], 'options.device')
      const name = string(value.name, 'options.device.name', IFNAME_EXPECTED, isInterfaceName)
      const host = parseCidr(value.hostIp)
      if (host === undefined || host.prefix === 0 || host.ip === ip || !sameSubnet(host.ip, ip, prefix) ||
          !isHostAddress(host.ip, prefix)) {
        throw invalidOption(
          'options.device.hostIp',
          `a host address with prefix length in ${subnet}, other than options.ip, like "${example(ip, prefix)}"`,
          value.hostIp,
        )
      }
      return Object.freeze({ type, name, hostIp: value.hostIp as string })
    }
    case 'af_packet': {
      checkKeys(value, ['type', 'iface'], 'options.device')
      const iface = string(value.iface, 'options.device.iface', IFNAME_EXPECTED, isInterfaceName)
      return Object.freeze({ type, iface })
    }
    case 'af_xdp':
      return resolveAfXdp(value)
    case 'pci': {
      checkKeys(value, ['type', 'address'], 'options.device')
      const address = string(value.address, 'options.device.address', 'a PCI address like "0000:00:04.0"', (s) =>
        PCI.test(s),
      )
      return Object.freeze({ type, address })
    }
  }
}

function resolveAfXdp(value: Record<string, unknown>): AfXdpDeviceOptions {
  checkKeys(value, ['type', 'iface', 'queues', 'bifurcate', 'forceCopy', 'localPorts', 'program'], 'options.device')
  const iface = string(value.iface, 'options.device.iface', IFNAME_EXPECTED, isInterfaceName)
  const queues = integer(value.queues, 'options.device.queues', 1, 64, 1)
  const bifurcate = boolean(value.bifurcate, 'options.device.bifurcate', true)
  const forceCopy = boolean(value.forceCopy, 'options.device.forceCopy', false)
  let localPorts: [number, number] | undefined
  if (value.localPorts !== undefined) {
    const p = value.localPorts
    if (!Array.isArray(p) || p.length !== 2 || !p.every((n) => Number.isInteger(n) && n >= 1024 && n <= 65535) ||
        p[0] > p[1] || p[1] - p[0] < 63) {
      throw invalidOption('options.device.localPorts', 'a range [first, last] of at least 64 ports from 1024 to 65535', p)
    }
    localPorts = [p[0], p[1]]
  }
  const program = value.program === undefined
    ? builtProgram()
    : string(value.program, 'options.device.program', 'an absolute path of an XDP object file, without ","',
      (s) => isAbsolute(s) && !s.includes(','))
  return Object.freeze({ type: 'af_xdp' as const, iface, queues, bifurcate, localPorts, forceCopy, program })
}

/** Another host address in the stack's subnet, for messages. */
function example(ip: number, prefix: number): string {
  const mask = prefixToNetmask(prefix)
  const net = (ip & mask) >>> 0
  const candidate = net + 1 === ip ? net + 2 : net + 1
  return `${formatIPv4(prefix >= 31 ? ip ^ 1 : candidate)}/${prefix}`
}

/**
 * memif ring and buffer sizes for an MTU: every frame gets one whole buffer. DPDK
 * 22.11's memif transmit leaves the "next" flag of a packet's first descriptor as an
 * earlier packet left it, so once a frame spans buffers, later packets get merged at
 * the receiver (and lost). The client's sizes are the link's: its MTU must be at least
 * the server's. 2048 slots up to a 9000 MTU; 512 of 64 KiB above (32 MiB per ring).
 */
function memifRing(mtu: number): string {
  if (mtu > 9000) return `rsize=9,bsize=${Math.ceil((mtu + 14) / 64) * 64}`
  return `rsize=11,bsize=${mtu > 1500 ? 10240 : 2048}`
}

function hasArg(args: string[], name: string): boolean {
  return args.some((a) => a === name || a.startsWith(`${name}=`))
}

/**
 * The addon's config. n numbers the vdev (unique per process: EAL outlives stacks);
 * pid makes the EAL file prefix unique per process.
 */
export function nativeConfig(o: ResolvedOptions, n: number, pid: number): NativeStackConfig {
  const d = o.device
  const eal: string[] = []
  if (!hasArg(o.eal, '--file-prefix')) eal.push(`--file-prefix=gazelle-${pid}`)
  if (d.type !== 'pci' && !hasArg(o.eal, '--no-pci')) eal.push('--no-pci')
  if (!hasArg(o.eal, '--no-huge') && !hasArg(o.eal, '--huge-unlink')) eal.push('--huge-unlink')
  if (o.hugepages !== false && o.hugepages !== DEFAULT_HUGEPAGES && !hasArg(o.eal, '--huge-dir')) {
    eal.push(`--huge-dir=${o.hugepages}`)
  }
  if (!hasArg(o.eal, '--no-telemetry') && !hasArg(o.eal, '--telemetry')) eal.push('--no-telemetry')
  eal.push('--log-level=lib.eal:error')
  // net_tap logs qdisc/flow set-up failures that do not affect us (no multiq here)
  if (d.type === 'tap') eal.push('--log-level=pmd.net.tap:critical')
  if (d.type === 'pci') eal.push('-a', d.address)
  // the PMD logs each queue's set-up at INFO; its errors are reported as typed errors
  if (d.type === 'af_xdp') eal.push('--log-level=pmd.net.af_xdp:warning')
  eal.push(...o.eal)

  let vdevName: string
  let vdevArgs: string
  switch (d.type) {
    case 'memif':
      vdevName = `net_memif${n}`
      vdevArgs = `role=${d.role},socket=${d.socket},socket-abstract=no,id=${d.id},${memifRing(o.mtu)}`
      break
    case 'tap':
      vdevName = `net_tap${n}`
      vdevArgs = `iface=${d.name}`
      break
    case 'af_packet':
      vdevName = `net_af_packet${n}`
      // Rings of 4096 frames (rx and tx, 8 MiB each; the PMD's default is 512):
      // af_packet has no backpressure, and what arrives while JS runs (or the process is
      // descheduled) waits in the rx ring or is lost. 512 lost ~1,000 frames/s in a
      // 300 connections/s churn (benchmarks/reliability/churn), each one a retransmission.
      vdevArgs = `iface=${d.iface},framecnt=${AF_PACKET_RING_FRAMES}`
      break
    case 'af_xdp':
      vdevName = `net_af_xdp${n}`
      // busy_budget=0: no SO_PREFER_BUSY_POLL (it suits a core spinning on the socket only)
      vdevArgs = `iface=${d.iface},start_queue=0,queue_count=${d.queues},xdp_prog=${d.program},busy_budget=0` +
        (d.forceCopy ? ',force_copy=1' : '')
      break
    case 'pci':
      // Not a vdev: EAL probes the NIC (-a above) and the addon attaches it by name.
      vdevName = d.address
      vdevArgs = ''
      break
  }

  return {
    ealArgs: eal,
    vdevName,
    vdevArgs,
    ip: o.ip,
    netmask: o.netmask,
    gateway: o.gateway,
    mac: o.mac,
    mtu: o.mtu,
    checksums: d.type !== 'memif' || d.checksums !== false,
    queues: d.type === 'af_xdp' ? d.queues! : 1,
    mbufs: o.mbufs,
    rxQueueSize: o.rxQueueSize,
    txQueueSize: o.txQueueSize,
    pollMode: POLL_MODE_NUMBERS[o.poll],
    spinMicros: o.spinMicros,
    idleMillis: o.idleMillis,
    faults: o.faults,
    maxConnections: o.maxConnections,
  }
}
