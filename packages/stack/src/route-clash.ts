// Before a tap's kernel side gets its address: would the kernel route the stack's subnet
// somewhere else? Two apps whose taps claim the same subnet both get their `ip addr add`
// accepted, and the one that came second is unreachable while it logs "listening". A
// route as specific as ours (or more) that overlaps it, or one of our two addresses
// already on an interface, is such a clash; a wider route (a default route, a VPN's /8)
// is not: the new, more specific one wins.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { formatIPv4, parseCidr, parseIPv4, prefixToNetmask } from './ip'

/** What `ip -j -4 route show table main` lists (the fields used here). */
export interface IpRoute {
  dst: string
  dev?: string
  gateway?: string
  type?: string
}

/** What `ip -j -4 addr show` lists (the fields used here). */
export interface IpLink {
  ifname: string
  addr_info?: { family?: string; local?: string; prefixlen?: number }[]
}

export interface Clash {
  /** The route or address in the way, as ip prints it ("10.20.0.0/24 dev gz0"). */
  what: string
  /** The interface it is on. */
  dev: string | undefined
}

function overlaps(a: number, aPrefix: number, b: number, bPrefix: number): boolean {
  const mask = prefixToNetmask(Math.min(aPrefix, bPrefix))
  return ((a & mask) >>> 0) === ((b & mask) >>> 0)
}

/**
 * The first route or address that would take traffic meant for subnet/prefix (whose
 * addresses `ips` the tap and the stack will use), or undefined. Pure: tests feed it
 * canned `ip -j` output.
 */
export function findRouteClash(routes: IpRoute[], links: IpLink[], subnet: number, prefix: number, ips: number[]): Clash | undefined {
  for (const link of links) {
    for (const a of link.addr_info ?? []) {
      if (a.family !== undefined && a.family !== 'inet') continue
      const ip = parseIPv4(a.local)
      if (ip !== undefined && ips.includes(ip)) {
        return { what: `address ${a.local}/${a.prefixlen} on ${link.ifname}`, dev: link.ifname }
      }
    }
  }
  for (const r of routes) {
    if (r.dst === 'default') continue
    const c = parseCidr(r.dst.includes('/') ? r.dst : `${r.dst}/32`)
    if (c === undefined || c.prefix < prefix || !overlaps(c.ip, c.prefix, subnet, prefix)) continue
    const via = r.gateway ? ` via ${r.gateway}` : ''
    const dev = r.dev ? ` dev ${r.dev}` : ''
    const type = r.type && r.type !== 'unicast' ? `${r.type} ` : ''
    return { what: `route ${type}${r.dst}${via}${dev}`, dev: r.dev }
  }
  return undefined
}

function ipJson<T>(args: string[]): T[] {
  return JSON.parse(execFileSync('ip', ['-j', '-4', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) || '[]') as T[]
}

/** The clash in this network namespace's tables now, or undefined. */
export function routeClash(subnet: number, prefix: number, ips: number[]): Clash | undefined {
  return findRouteClash(ipJson<IpRoute>(['route', 'show', 'table', 'main']), ipJson<IpLink>(['addr', 'show']), subnet, prefix, ips)
}

/** "gazelle pid 1234" as set on the taps this package creates (`ip link set ... alias`). */
export const ALIAS_PREFIX = 'gazelle pid '

/** The pid recorded in an interface's alias by the stack that made it, if any. */
export function creatorOf(ifname: string): number | undefined {
  try {
    const alias = readFileSync(`/sys/class/net/${ifname}/ifalias`, 'utf8').trim()
    return alias.startsWith(ALIAS_PREFIX) ? Number(alias.slice(ALIAS_PREFIX.length)) || undefined : undefined
  } catch {
    return undefined
  }
}

export function describeSubnet(subnet: number, prefix: number): string {
  return `${formatIPv4(subnet)}/${prefix}`
}
