// Which destinations an adapter sends through the stack: the stack's own subnet plus the
// routes its user lists. A route is "a.b.c.d/len", a single address "a.b.c.d", or either
// with a port or port range ("10.1.0.0/16:5432", "10.1.0.7:8000-8099"); "subnet" names the
// stack's own. The stack does no DNS: only IPv4 literals can match; every other host (a
// name, IPv6, loopback outside the routes) is the kernel's.
import { formatIPv4, parseIPv4, prefixToNetmask } from '../ip'
import { invalidOption } from '../validate'

/** One parsed route: addresses whose top `prefix` bits equal `network`'s, ports in range. */
export interface RouteRule {
  network: number
  prefix: number
  /** Inclusive port range; 0-65535 when the route names no port. */
  portMin: number
  portMax: number
}

export interface RouteMatcher {
  /** The stack's subnet first, then the routes as given. */
  readonly rules: readonly RouteRule[]
  /** A stable text form of the rules ("10.0.0.0/24,10.1.0.0/16:80"), for caching per rule set. */
  readonly key: string
  /** Whether a connection to host and port goes through the stack. Without a port: whether
   * every port of host does (a route limited to some ports does not count). */
  matches(host: string, port?: number): boolean
}

const RULE = /^(\d{1,3}(?:\.\d{1,3}){3})(?:\/(\d{1,2}))?(?::(\d{1,5})(?:-(\d{1,5}))?)?$/
export const ROUTE_EXPECTED = 'an IPv4 CIDR or address, optionally with a port or port range, like "10.1.0.0/16" or "10.1.0.7:5432"'

/** Parses one route; undefined if it is not one ("subnet" is not handled here). */
export function parseRoute(text: unknown): RouteRule | undefined {
  if (typeof text !== 'string') return undefined
  const m = RULE.exec(text)
  if (!m) return undefined
  const ip = parseIPv4(m[1])
  const prefix = m[2] === undefined ? 32 : Number(m[2])
  const portMin = m[3] === undefined ? 0 : Number(m[3])
  const portMax = m[4] === undefined ? (m[3] === undefined ? 65535 : portMin) : Number(m[4])
  if (ip === undefined || prefix > 32 || portMax > 65535 || portMin > portMax) return undefined
  if (m[3] !== undefined && portMin === 0) return undefined
  return { network: (ip & prefixToNetmask(prefix)) >>> 0, prefix, portMin, portMax }
}

function ruleText(r: RouteRule): string {
  const ports = r.portMin === 0 && r.portMax === 65535 ? '' : r.portMin === r.portMax ? `:${r.portMin}` : `:${r.portMin}-${r.portMax}`
  return `${formatIPv4(r.network)}/${r.prefix}${ports}`
}

/**
 * The matcher for a stack (its ip and prefixLength) and extra routes. Bad routes throw
 * ERR_GAZELLE_INVALID_OPTION naming `name[i]`. With `{ subnet: false }` the stack's own
 * subnet is not routed unless a rule says "subnet".
 */
export function routeMatcher(
  stack: { readonly ip: string; readonly prefixLength: number },
  routes?: unknown,
  options: { name?: string; subnet?: boolean } = {},
): RouteMatcher {
  const name = options.name ?? 'options.routes'
  const ownIp = parseIPv4(stack.ip)
  if (ownIp === undefined || !Number.isInteger(stack.prefixLength)) throw invalidOption('stack', 'a stack from createStack()', stack)
  const own: RouteRule = {
    network: (ownIp & prefixToNetmask(stack.prefixLength)) >>> 0, prefix: stack.prefixLength, portMin: 0, portMax: 65535,
  }
  const rules: RouteRule[] = options.subnet === false ? [] : [own]
  if (routes !== undefined) {
    if (!Array.isArray(routes)) throw invalidOption(name, `an array of routes, each ${ROUTE_EXPECTED}`, routes)
    routes.forEach((text, i) => {
      if (text === 'subnet') {
        if (!rules.includes(own)) rules.push(own)
        return
      }
      const rule = parseRoute(text)
      if (rule === undefined) throw invalidOption(`${name}[${i}]`, `"subnet" or ${ROUTE_EXPECTED}`, text)
      rules.push(rule)
    })
  }
  const frozen = Object.freeze(rules.map((r) => Object.freeze(r)))
  return {
    rules: frozen,
    key: frozen.map(ruleText).join(','),
    matches(host: string, port?: number): boolean {
      const ip = parseIPv4(host)
      if (ip === undefined) return false
      return frozen.some((r) => {
        const mask = prefixToNetmask(r.prefix)
        if (((ip & mask) >>> 0) !== r.network) return false
        return port === undefined ? r.portMin === 0 && r.portMax === 65535 : port >= r.portMin && port <= r.portMax
      })
    },
  }
}
