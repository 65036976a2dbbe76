// Connect rules: which destinations (IPv4 address/CIDR and port) go through the stack.
//
// The stack's own subnet is always routed (it is the stack's link); `stack` rules add
// destinations beyond it (through the gateway, or "default" for everything IPv4) and
// `kernel` rules carve exceptions, checked first. Loopback and 0.0.0.0/8 never route.
// Everything unmatched stays on the kernel, as GazelleAgent (@gazelle/undici) does.
import { formatIPv4, parseCidr, parseIPv4, prefixToNetmask } from '@gazelle/stack'
import type { Cidr } from '@gazelle/stack'

export type Target = 'stack' | 'kernel'

export interface RouteRule {
  /** As written ("10.30.0.0/16:6379"). */
  text: string
  net: number
  mask: number
  portLo: number
  portHi: number
}

/** What a rule entry may be, for error messages. */
export const RULE_EXPECTED =
  '"subnet", "default", an IPv4 address or CIDR ("10.30.0.0/16"), each optionally with ":port" or ":low-high"'

const PORT = /^(?:[1-9]\d{0,4})$/

function parsePorts(text: string): [number, number] | undefined {
  const [lo, hi = lo, extra] = text.split('-')
  if (extra !== undefined || !PORT.test(lo) || !PORT.test(hi)) return undefined
  const a = Number(lo)
  const b = Number(hi)
  if (a > 65535 || b > 65535 || a > b) return undefined
  return [a, b]
}

/** Parses one entry; undefined if it is not one. `subnet` is the stack's own. */
export function parseRouteRule(text: unknown, subnet: Cidr): RouteRule | undefined {
  if (typeof text !== 'string') return undefined
  const entry = text.trim()
  const colon = entry.indexOf(':')
  const where = colon < 0 ? entry : entry.slice(0, colon)
  let portLo = 1
  let portHi = 65535
  if (colon >= 0) {
    const ports = parsePorts(entry.slice(colon + 1))
    if (!ports) return undefined
    ;[portLo, portHi] = ports
  }
  let cidr: Cidr | undefined
  if (where === 'subnet') cidr = subnet
  else if (where === 'default') cidr = { ip: 0, prefix: 0 }
  else if (where.includes('/')) cidr = parseCidr(where)
  else {
    const ip = parseIPv4(where)
    cidr = ip === undefined ? undefined : { ip, prefix: 32 }
  }
  if (!cidr) return undefined
  const mask = prefixToNetmask(cidr.prefix)
  return { text: entry, net: (cidr.ip & mask) >>> 0, mask, portLo, portHi }
}

function matches(rule: RouteRule, ip: number, port: number): boolean {
  return ((ip & rule.mask) >>> 0) === rule.net && port >= rule.portLo && port <= rule.portHi
}

const LOOPBACK = { net: 0x7f000000, mask: 0xff000000 }
const THIS_HOST = { net: 0, mask: 0xff000000 }

export class RouteTable {
  readonly stackRules: readonly RouteRule[]
  readonly kernelRules: readonly RouteRule[]

  /** `subnet`: the stack's own address and prefix. */
  constructor(subnet: Cidr, stackRules: RouteRule[] = [], kernelRules: RouteRule[] = []) {
    const own = parseRouteRule('subnet', subnet)!
    own.text = `${formatIPv4(own.net)}/${subnet.prefix}`
    this.stackRules = [own, ...stackRules]
    this.kernelRules = kernelRules
  }

  /** Where a connection or datagram to ip:port goes (ip: an IPv4 address as a number). */
  target(ip: number, port: number): Target {
    if (((ip & LOOPBACK.mask) >>> 0) === LOOPBACK.net || ((ip & THIS_HOST.mask) >>> 0) === THIS_HOST.net) {
      return 'kernel'
    }
    for (const r of this.kernelRules) if (matches(r, ip, port)) return 'kernel'
    for (const r of this.stackRules) if (matches(r, ip, port)) return 'stack'
    return 'kernel'
  }

  /** Same, for an address in text form; anything not IPv4 (IPv6, names) is the kernel's. */
  targetOf(address: string, port: number): Target {
    const ip = parseIPv4(address)
    return ip === undefined ? 'kernel' : this.target(ip, port)
  }

  /** "10.20.0.0/24,10.30.0.0/16 (kernel: 10.30.9.0/24)" */
  describe(): string {
    const stack = this.stackRules.map((r) => r.text).join(',')
    const kernel = this.kernelRules.length ? ` (kernel: ${this.kernelRules.map((r) => r.text).join(',')})` : ''
    return `${stack}${kernel}`
  }
}
