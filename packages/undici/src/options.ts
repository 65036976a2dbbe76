// The options of GazelleAgent and buildStackConnector, checked in one place: a bad value
// throws ERR_GAZELLE_INVALID_OPTION naming it; a key one typo away from one of ours
// (stak, route) is rejected with the closest name. Other keys go to undici unchanged.
import { isIP } from 'node:net'
import { assertStack, closestName, invalidOption, routeMatcher, unknownOption } from '@gazelle/stack'
import type { RouteMatcher, Stack } from '@gazelle/stack'
import type * as undici from 'undici'

/** The connect options undici's own connector takes (timeout, TLS options, ...). */
export type ConnectOptions = undici.buildConnector.BuildOptions

export interface StackConnectorOptions {
  /** Extra routes through the stack, beyond its own subnet: IPv4 CIDRs or addresses,
   * optionally with a port or port range ("192.168.7.0/24", "10.1.0.7:5432"). */
  routes?: string[]
  /** Options for every connection (timeout, ca, rejectUnauthorized, servername, ...),
   * for stack and kernel connections alike. A function is not accepted: the connector
   * is the function. */
  connect?: ConnectOptions
  /** TLS server names by origin ("https://10.20.0.2:8443": "api.example.com"), for
   * certificates checked against a name while the origin is an IP literal. A request's
   * own servername (or Host header) comes first, then this, then connect.servername. */
  servernames?: Record<string, string>
  /** Offer h2 by ALPN on https connections. Default false. */
  allowH2?: boolean
  /** TLS sessions kept for resumption (per server name or host). Default 100. */
  maxCachedSessions?: number
}

export interface ResolvedConnectorOptions {
  stack: Stack
  routes: RouteMatcher
  connect: Record<string, unknown>
  timeout: number
  servernames: Map<string, string>
  allowH2: boolean
  maxCachedSessions: number
}

const OUR_KEYS = ['stack', 'routes', 'connect', 'servernames', 'allowH2', 'maxCachedSessions', 'connectTimeout'] as const

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** "https://10.0.0.2:8443" with the default port left out, as URL.origin writes it. */
export function originOf(protocol: string, hostname: string, port: string | number | undefined): string {
  const p = port === undefined || port === '' ? '' : String(port)
  const dflt = protocol === 'https:' ? '443' : '80'
  const host = hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname
  return `${protocol}//${host}${p === '' || p === dflt ? '' : `:${p}`}`
}

function servernames(value: unknown): Map<string, string> {
  const map = new Map<string, string>()
  if (value === undefined) return map
  if (!isPlainObject(value)) throw invalidOption('options.servernames', 'an object of origin: server name', value)
  for (const [origin, name] of Object.entries(value)) {
    let url: URL
    try {
      url = new URL(origin)
    } catch {
      throw invalidOption(`options.servernames[${JSON.stringify(origin)}]`, 'keyed by an origin like "https://10.20.0.2:8443"', origin)
    }
    if (url.protocol !== 'https:' || url.origin !== origin.replace(/\/$/, '')) {
      throw invalidOption(`options.servernames[${JSON.stringify(origin)}]`, 'keyed by an https origin like "https://10.20.0.2:8443"', origin)
    }
    if (typeof name !== 'string' || name === '' || isIP(name) !== 0) {
      throw invalidOption(`options.servernames[${JSON.stringify(origin)}]`, 'a server name like "api.example.com"', name)
    }
    map.set(url.origin, name)
  }
  return map
}

/** Checks the options (stack given apart: GazelleAgent's options.stack, or the first argument). */
export function resolveConnectorOptions(stack: unknown, stackName: string, options: unknown, name = 'options'): ResolvedConnectorOptions {
  const s = assertStack(stack, stackName)
  if (options !== undefined && !isPlainObject(options)) throw invalidOption(name, 'an object', options)
  const o = (options ?? {}) as Record<string, unknown>
  for (const key of Object.keys(o)) {
    if ((OUR_KEYS as readonly string[]).includes(key)) continue
    // undici's own keys pass; a near miss of one of ours is a typo
    if (closestName(key, OUR_KEYS) !== undefined) throw unknownOption(key, name, OUR_KEYS)
  }
  const routes = routeMatcher(s, o.routes, { name: `${name}.routes` })
  if (o.connect !== undefined && !isPlainObject(o.connect)) {
    throw invalidOption(`${name}.connect`, 'an object of connect options (the connect function is provided here)', o.connect)
  }
  const connect = (o.connect ?? {}) as Record<string, unknown>
  const timeout = connect.timeout ?? o.connectTimeout
  if (timeout !== undefined && timeout !== null && (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0)) {
    throw invalidOption(connect.timeout === timeout ? `${name}.connect.timeout` : `${name}.connectTimeout`, 'a number of ms >= 0', timeout)
  }
  if (o.allowH2 !== undefined && typeof o.allowH2 !== 'boolean') throw invalidOption(`${name}.allowH2`, 'a boolean', o.allowH2)
  const cached = o.maxCachedSessions ?? connect.maxCachedSessions
  if (cached !== undefined && cached !== null && (typeof cached !== 'number' || !Number.isInteger(cached) || cached < 0)) {
    throw invalidOption(`${name}.maxCachedSessions`, 'an integer >= 0', cached)
  }
  return {
    stack: s,
    routes,
    connect,
    timeout: (timeout as number | null | undefined) ?? 10e3,
    servernames: servernames(o.servernames),
    allowH2: (o.allowH2 as boolean | undefined) ?? false,
    maxCachedSessions: (cached as number | null | undefined) ?? 100,
  }
}
