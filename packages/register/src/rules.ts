// Connect rules: which destinations (IPv4 address/CIDR and port) go through the stack,
// on the adapters' own route matcher (@gazelle/stack routeMatcher).
//
// The stack's own subnet is always routed (it is the stack's link); `stack` rules add
// destinations beyond it (through the gateway, or "default" for everything IPv4) and
// `kernel` rules carve exceptions, checked first. Loopback and 0.0.0.0/8 never route.
// Everything unmatched stays on the kernel, as GazelleAgent (@gazelle/undici) does.
import { formatIPv4, parseIPv4, parseRoute, routeMatcher } from '@gazelle/stack'
import type { Cidr, RouteMatcher } from '@gazelle/stack'

export type Target = 'stack' | 'kernel'

/** What a rule entry may be, for error messages. */
export const RULE_EXPECTED =
  '"subnet", "default", an IPv4 address or CIDR ("10.30.0.0/16"), each optionally with ":port" or ":low-high"'

/** "default" is every IPv4 address: the matcher's 0.0.0.0/0. */
function matcherText(entry: string): string {
  return entry.replace(/^default(?=:|$)/, '0.0.0.0/0')
}

/** Whether text is a rule entry ("subnet", "default", a route, each with an optional port). */
export function isRouteRule(text: unknown): text is string {
  if (typeof text !== 'string') return false
  const entry = text.trim()
  if (entry === 'subnet' || entry === 'default') return true
  const subnetPort = /^subnet(:.*)$/.exec(entry)
  return parseRoute(subnetPort ? `0.0.0.0/0${subnetPort[1]}` : matcherText(entry)) !== undefined
}

function isLocal(ip: number): boolean {
  const first = ip >>> 24
  return first === 127 || first === 0 // loopback, "this host"
}

export class RouteTable {
  readonly stack: RouteMatcher
  readonly kernel: RouteMatcher

  /** `subnet`: the stack's own address and prefix; rules as isRouteRule() accepts them. */
  constructor(subnet: Cidr, stackRules: string[] = [], kernelRules: string[] = []) {
    const own = { ip: formatIPv4(subnet.ip), prefixLength: subnet.prefix }
    const texts = (rules: string[]) => rules.map((r) => matcherText(r.trim()))
    this.stack = routeMatcher(own, withSubnetPorts(texts(stackRules), own), { name: 'connect.stack' })
    this.kernel = routeMatcher(own, withSubnetPorts(texts(kernelRules), own), { name: 'connect.kernel', subnet: false })
  }

  /** Where a connection or datagram to ip:port goes (ip: an IPv4 address as a number). */
  target(ip: number, port: number): Target {
    return this.targetOf(formatIPv4(ip), port)
  }

  /** Same, for an address in text form; anything not IPv4 (IPv6, names) is the kernel's. */
  targetOf(address: string, port: number): Target {
    const ip = parseIPv4(address)
    if (ip === undefined || isLocal(ip)) return 'kernel'
    if (this.kernel.matches(address, port)) return 'kernel'
    return this.stack.matches(address, port) ? 'stack' : 'kernel'
  }

  /** "10.20.0.0/24,10.30.0.0/16 (kernel: 10.30.9.0/24)" */
  describe(): string {
    const kernel = this.kernel.key ? ` (kernel: ${this.kernel.key})` : ''
    return `${this.stack.key}${kernel}`
  }
}

/** "subnet:PORTS": the stack's subnet with a port range, as a route of its own. */
function withSubnetPorts(rules: string[], own: { ip: string; prefixLength: number }): string[] {
  return rules.map((r) => (r.startsWith('subnet:') ? `${own.ip}/${own.prefixLength}${r.slice('subnet'.length)}` : r))
}
