// The af_xdp device's host side in TypeScript: what the interface decides for the stack
// (address, MTU, ephemeral range), the checks made before anything is touched, and the
// start and stop of the steering around the port (native/src/xdp_*.c does the work).
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { loadBinding } from './binding'
import { GazelleError, openError } from './errors'
import { parseIPv4, sameSubnet } from './ip'
import type { NativeBinding, NativeXdpInfo } from './native'
import type { AfXdpDeviceOptions, ResolvedOptions } from './options'
import { invalidOption, isObject } from './validate'

const SYS = '/sys/class/net'
const PORT_RANGE = '/proc/sys/net/ipv4/ip_local_port_range'
/** Smallest ephemeral range the stack takes when the kernel's leaves little above it. */
const MIN_RANGE = 4096
const CAP_NET_ADMIN = 12
const CAP_NET_RAW = 13
const CAP_SYS_ADMIN = 21
const CAP_BPF = 39

/** The XDP program built at set-up (native/bpf/xdp_steer.c), next to the addon. */
export function builtProgram(): string {
  return join(dirname(require.resolve('@gazelle/native')), 'build', 'Release', 'xdp_steer.o')
}

function interfaceMissing(iface: string): GazelleError {
  return new GazelleError(
    'ERR_GAZELLE_DEVICE_NOT_FOUND',
    `options.device.iface names no network interface: ${SYS}/${iface} does not exist`,
  )
}

function sysNumber(iface: string, file: string): number {
  return Number(readFileSync(`${SYS}/${iface}/${file}`, 'utf8').trim())
}

/** What `ip -j` prints, or [] if it fails (the interface went away meanwhile). */
function ipJson(args: string[]): any[] {
  try {
    return JSON.parse(execFileSync('ip', ['-j', ...args], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).toString())
  } catch {
    return []
  }
}

/** The interface's IPv4 addresses with prefix length ("10.0.0.2/24"), from `ip -j addr`.
 * (os.networkInterfaces() leaves out an interface whose carrier is not up yet.) */
export function interfaceAddresses(iface: string): string[] {
  const out: string[] = []
  for (const link of ipJson(['-4', 'addr', 'show', 'dev', iface])) {
    for (const a of link.addr_info ?? []) if (a.family === 'inet') out.push(`${a.local}/${a.prefixlen}`)
  }
  return out
}

/** The gateway of the kernel's IPv4 default route through iface, if any. */
function defaultGateway(iface: string): string | undefined {
  return ipJson(['-4', 'route', 'show', 'default', 'dev', iface]).find((r) => typeof r.gateway === 'string')?.gateway
}

/** The stack's ephemeral ports by default: those above the kernel's own range. */
export function defaultLocalPorts(kernelRange: string): [number, number] {
  const hi = Number(kernelRange.trim().split(/\s+/)[1])
  const lo = Number.isInteger(hi) && hi < 65535 - MIN_RANGE ? hi + 1 : 65536 - MIN_RANGE
  return [lo, 65535]
}

/**
 * For an af_xdp device, fills in what the interface decides: `ip: 'auto'` (its first
 * IPv4 address) or an address without prefix (the interface's prefix), the gateway of
 * its default route, its MTU. Other options pass through unchanged.
 */
export function interfaceDefaults(options: unknown): unknown {
  if (!isObject(options) || !isObject(options.device) || options.device.type !== 'af_xdp') return options
  const iface = options.device.iface
  if (typeof iface !== 'string' || iface.includes('/') || iface === '.' || iface === '..') return options
  const out: Record<string, unknown> = { ...options }
  const bareIp = typeof options.ip === 'string' && (options.ip === 'auto' || !options.ip.includes('/'))
  if (!bareIp && options.mtu !== undefined) return out
  if (!existsSync(`${SYS}/${iface}`)) throw interfaceMissing(iface)
  if (bareIp) {
    const addresses = interfaceAddresses(iface)
    const found = options.ip === 'auto' ? addresses[0] : addresses.find((a) => a.split('/')[0] === options.ip)
    if (!found) {
      if (options.ip === 'auto') {
        throw new GazelleError('ERR_GAZELLE_NO_ADDRESS',
          `options.ip "auto": ${iface} has no IPv4 address: give it one (\`ip addr add A.B.C.D/N dev ${iface}\`) or set options.ip`)
      }
      throw invalidOption('options.ip', `"auto" or an address of ${iface} (${addresses.join(', ') || 'none'}), or an address with prefix length`, options.ip)
    }
    out.ip = found
    const gw = options.gateway === undefined ? defaultGateway(iface) : undefined
    const [ip, prefix] = found.split('/')
    if (gw && parseIPv4(gw) !== undefined && sameSubnet(parseIPv4(gw)!, parseIPv4(ip)!, Number(prefix))) out.gateway = gw
  }
  if (options.mtu === undefined) {
    out.mtu = sysNumber(iface, 'mtu')
    checkMtu(iface, out.mtu as number, loadBinding().xdpMaxMtu())
  }
  return out
}

/** An MTU above what an AF_XDP frame holds: said before anything is set up. */
function checkMtu(iface: string, mtu: number, max: number): void {
  if (mtu <= max) return
  const whose = mtu === sysNumber(iface, 'mtu') ? ` (${iface}'s)` : ''
  throw new GazelleError('ERR_GAZELLE_MTU',
    `MTU ${mtu}${whose} is above the largest AF_XDP frame DPDK 22.11 takes (MTU ${max}: one page per frame, ` +
    `no multi-buffer): lower it (\`ip link set ${iface} mtu ${max}\`, or options.mtu)`)
}

/** CapEff bits from /proc/self/status as a bigint. */
function effectiveCaps(): bigint {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'))
    return m ? BigInt(`0x${m[1]}`) : 0n
  } catch {
    return 0n
  }
}

function checkPrivileges(): void {
  const caps = effectiveCaps()
  const has = (bit: number) => (caps >> BigInt(bit)) & 1n
  const missing: string[] = []
  if (!has(CAP_NET_ADMIN)) missing.push('CAP_NET_ADMIN')
  if (!has(CAP_NET_RAW)) missing.push('CAP_NET_RAW')
  if (!has(CAP_BPF) && !has(CAP_SYS_ADMIN)) missing.push('CAP_BPF')
  if (missing.length) {
    throw new GazelleError('ERR_GAZELLE_NOT_ROOT',
      `the af_xdp device loads an XDP program and opens AF_XDP sockets: run as root (missing ${missing.join(', ')})`)
  }
}

function rxQueues(iface: string): number {
  try {
    return readdirSync(`${SYS}/${iface}/queues`).filter((q) => q.startsWith('rx-')).length
  } catch {
    return 1
  }
}

/** net_af_xdp (22.11) opens queues > 1 only on combined channels (`ethtool -l`): a veth has none. */
function checkChannels(iface: string, queues: number): void {
  if (queues === 1) return
  let combined = 0
  try {
    const text = execFileSync('ethtool', ['-l', iface], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).toString()
    combined = Number(/Current hardware settings:[\s\S]*?Combined:\s*(\d+)/.exec(text)?.[1] ?? 0)
  } catch {
    // no channel information: like a veth, one queue
  }
  if (combined < queues) {
    throw new GazelleError('ERR_GAZELLE_XDP_QUEUES',
      `options.device.queues ${queues}: ${iface} has ${combined || 'no'} combined channels, and DPDK 22.11's net_af_xdp ` +
      `opens one socket per combined channel (\`ethtool -L ${iface} combined ${queues}\`; a veth has none: use 1 queue)`)
  }
}

/**
 * Checks made before the port opens, then the native ones (stale program of a dead
 * stack removed, program loaded and attached once). Returns a note for the log when
 * something was cleaned up.
 */
export function prepareAfXdp(binding: NativeBinding, o: ResolvedOptions): string {
  const d = o.device as AfXdpDeviceOptions
  checkPrivileges()
  if (!existsSync(`${SYS}/${d.iface}`)) throw interfaceMissing(d.iface)
  if ((sysNumber(d.iface, 'flags') & 1) === 0) {
    throw new GazelleError('ERR_GAZELLE_LINK_DOWN', `${d.iface} is down: bring it up (\`ip link set ${d.iface} up\`)`)
  }
  const queues = rxQueues(d.iface)
  if (queues > d.queues!) {
    throw new GazelleError('ERR_GAZELLE_XDP_QUEUES',
      `${d.iface} has ${queues} rx queues and the stack would take ${d.queues}: frames of its flows on the other queues ` +
      `would reach the kernel. Set options.device.queues to ${queues}, or give ${d.iface} fewer queues (\`ethtool -L ${d.iface} combined ${d.queues}\`)`)
  }
  checkMtu(d.iface, o.mtu, binding.xdpMaxMtu())
  checkChannels(d.iface, d.queues!)
  if (d.bifurcate) {
    const ifaceMtu = sysNumber(d.iface, 'mtu')
    if (o.mtu > ifaceMtu) throw invalidOption('options.mtu', `at most ${d.iface}'s MTU (${ifaceMtu})`, o.mtu)
    const own = interfaceAddresses(d.iface)
    if (!own.includes(`${o.address}/${o.prefix}`)) {
      throw invalidOption('options.ip',
        `"auto" or an address of ${d.iface} (${own.join(', ') || 'it has none'}): the stack shares it with the kernel`,
        `${o.address}/${o.prefix}`)
    }
  }
  try {
    return binding.xdpPrepare(d.iface, d.program!)
  } catch (err) {
    const e = openError(err)
    if ((e as { code?: string }).code === 'ERR_GAZELLE_XDP_PROGRAM') {
      Object.defineProperty(e, 'log', { value: binding.xdpLoadLog(), enumerable: true })
    }
    throw e
  }
}

/** Once the port is open: switches the steering on. */
export function startAfXdp(binding: NativeBinding, o: ResolvedOptions): NativeXdpInfo {
  const d = o.device as AfXdpDeviceOptions
  const [lo, hi] = d.localPorts ?? defaultLocalPorts(readFileSync(PORT_RANGE, 'utf8'))
  try {
    return binding.xdpStart({
      ifname: d.iface,
      ip: o.ip,
      netmask: o.netmask,
      takeAll: !d.bifurcate,
      ephemeralLo: lo,
      ephemeralHi: hi,
    })
  } catch (err) {
    throw openError(err)
  }
}

/** How the device runs, for the log. */
export function describeAfXdp(d: Readonly<AfXdpDeviceOptions>, info: NativeXdpInfo): string {
  const mode = `${info.zeroCopy ? 'zero-copy' : 'copy mode'}, ${info.nativeMode ? 'driver' : 'generic'} XDP`
  const flows = info.bifurcated
    ? `the stack takes its ports (ephemeral ${info.ephemeralLo}-${info.ephemeralHi}), the kernel the rest`
    : 'the stack takes every frame'
  return `af_xdp on ${d.iface} (${info.sockets} queue${info.sockets === 1 ? '' : 's'}): ${mode}; ${flows}`
}
