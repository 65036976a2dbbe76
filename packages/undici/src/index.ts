// @gazelle/undici: an undici Agent whose connections to the stack's subnet (and to
// user-given routes) are opened on a @gazelle/stack stack; every other origin goes
// through undici's own connector (the kernel) unchanged.
import * as tls from 'node:tls'
import type { Duplex } from 'node:stream'
import { invalidOption, parseCidr, parseIPv4, prefixToNetmask } from '@gazelle/stack'
import type { Stack } from '@gazelle/stack'
import * as undici from 'undici'

/** The connect options undici's own connector takes (timeout, TLS options, ...). */
export type ConnectOptions = undici.buildConnector.BuildOptions

export interface GazelleAgentOptions extends Omit<undici.Agent.Options, 'connect'> {
  /** The stack to open connections on (from createStack()). */
  stack: Stack
  /** Extra IPv4 CIDRs ("192.168.7.0/24") reached through the stack, beyond its own subnet. */
  routes?: string[]
  /** Options for every connection (timeout, ca, rejectUnauthorized, servername, ...),
   * for stack and kernel connections alike. A function is not accepted: the agent
   * provides its own. */
  connect?: ConnectOptions
}

/** A route: addresses whose top bits match ip under mask. */
interface Route {
  ip: number
  mask: number
}

function route(ip: number, prefix: number): Route {
  const mask = prefixToNetmask(prefix)
  return { ip: (ip & mask) >>> 0, mask }
}

function validate(options: unknown): { stack: Stack; routes: Route[]; connect: ConnectOptions | undefined } {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidOption('options', 'an object with a stack', options)
  }
  const o = options as Record<string, unknown>
  const stack = o.stack as Stack | undefined
  if (
    typeof stack !== 'object' || stack === null || typeof stack.connect !== 'function' ||
    parseIPv4(stack.ip) === undefined || !Number.isInteger(stack.prefixLength)
  ) {
    throw invalidOption('options.stack', 'a stack from createStack()', stack)
  }
  const routes: Route[] = []
  if (o.routes !== undefined) {
    if (!Array.isArray(o.routes)) throw invalidOption('options.routes', 'an array of IPv4 CIDRs like "10.1.0.0/16"', o.routes)
    o.routes.forEach((r, i) => {
      const c = parseCidr(r)
      if (!c) throw invalidOption(`options.routes[${i}]`, 'an IPv4 CIDR like "10.1.0.0/16"', r)
      routes.push(route(c.ip, c.prefix))
    })
  }
  if (o.connect !== undefined && (typeof o.connect !== 'object' || o.connect === null || Array.isArray(o.connect))) {
    throw invalidOption('options.connect', 'an object of connect options (the agent provides the connect function)', o.connect)
  }
  const timeout = (o.connect as Record<string, unknown> | undefined)?.timeout ?? o.connectTimeout
  if (timeout !== undefined && timeout !== null && (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0)) {
    throw invalidOption(o.connectTimeout === timeout ? 'options.connectTimeout' : 'options.connect.timeout', 'a number of ms >= 0', timeout)
  }
  return { stack, routes, connect: o.connect as ConnectOptions | undefined }
}

const kStack = Symbol('gazelle.stack')
const kRoutes = Symbol('gazelle.routes')

/**
 * An undici Agent (connections per origin, keep-alive, pipelining, timeouts, close()
 * and destroy()) whose connections to IPv4 origins in the stack's subnet or in
 * `routes` are stack sockets; other origins go through the kernel unchanged.
 */
export class GazelleAgent extends undici.Agent {
  declare [kStack]: Stack
  declare [kRoutes]: Route[]

  constructor(options: GazelleAgentOptions) {
    const { stack, routes, connect: connectOptions } = validate(options)
    const { stack: _s, routes: _r, connect: _c, ...agentOptions } = options
    const timeout = connectOptions?.timeout ?? agentOptions.connectTimeout ?? 10e3
    // undici hands a connect function nothing of its connect options: apply them here.
    const kernel = undici.buildConnector({
      maxCachedSessions: agentOptions.maxCachedSessions,
      allowH2: agentOptions.allowH2,
      ...(typeof agentOptions.autoSelectFamily === 'boolean'
        ? { autoSelectFamily: agentOptions.autoSelectFamily, autoSelectFamilyAttemptTimeout: agentOptions.autoSelectFamilyAttemptTimeout }
        : undefined),
      ...connectOptions,
      timeout,
    } as undici.buildConnector.BuildOptions)
    const stackRoutes = [route(parseIPv4(stack.ip)!, stack.prefixLength), ...routes]
    const onStack = (hostname: string): boolean => {
      const ip = parseIPv4(hostname)
      return ip !== undefined && stackRoutes.some((r) => ((ip & r.mask) >>> 0) === r.ip)
    }
    const connect = (opts: undici.buildConnector.Options & { allowH2?: boolean }, callback: undici.buildConnector.Callback): void => {
      if (!onStack(opts.hostname)) {
        kernel(opts, callback)
        return
      }
      stackConnect(stack, opts, connectOptions ?? {}, timeout, opts.allowH2 ?? agentOptions.allowH2 ?? false, callback)
    }
    super({ ...agentOptions, connect })
    Object.defineProperty(this, kStack, { value: stack })
    Object.defineProperty(this, kRoutes, { value: stackRoutes })
  }

  /** The stack this agent opens connections on. */
  get stack(): Stack {
    return this[kStack]
  }

  /** Whether a connection to this hostname goes through the stack (an IPv4 literal in
   * the stack's subnet or in one of the routes); false means the kernel. */
  routesThroughStack(hostname: string): boolean {
    const ip = parseIPv4(hostname)
    return ip !== undefined && this[kRoutes].some((r) => ((ip & r.mask) >>> 0) === r.ip)
  }
}

type StackSocket = Duplex & {
  setNoDelay?(b: boolean): unknown
  setKeepAlive?(b: boolean, d?: number): unknown
  ref(): unknown
  unref(): unknown
}

/** A TLS socket over a stream that is not a kernel socket has no handle to (un)ref:
 * undici unrefs idle connections so the process can exit, so pass it on to the stack socket. */
function forwardRef(socket: tls.TLSSocket, raw: StackSocket): void {
  const { ref, unref } = socket
  socket.ref = function () {
    raw.ref()
    return ref.call(this)
  }
  socket.unref = function () {
    raw.unref()
    return unref.call(this)
  }
}

function stackConnect(
  stack: Stack,
  opts: undici.buildConnector.Options,
  connectOptions: ConnectOptions,
  timeout: number,
  allowH2: boolean,
  callback: undici.buildConnector.Callback,
): void {
  const https = opts.protocol === 'https:'
  const port = Number(opts.port) || (https ? 443 : 80)
  let cb: undici.buildConnector.Callback | null = callback
  const finish = (err: Error | null, socket?: Duplex) => {
    if (timer) clearTimeout(timer)
    if (!cb) return
    const f = cb
    cb = null
    if (err) f(err, null)
    else f(null, socket as unknown as import('node:net').Socket)
  }
  let raw: StackSocket
  try {
    raw = stack.connect({ host: opts.hostname, port }) as typeof raw
  } catch (err) {
    queueMicrotask(() => finish(err as Error))
    return
  }
  const c = connectOptions as Record<string, unknown>
  raw.setNoDelay?.(true)
  if (c.keepAlive == null || c.keepAlive) {
    raw.setKeepAlive?.(true, typeof c.keepAliveInitialDelay === 'number' ? c.keepAliveInitialDelay : 60e3)
  }
  let socket: Duplex = raw
  let timer: NodeJS.Timeout | undefined
  if (timeout > 0) {
    timer = setTimeout(() => {
      timer = undefined
      const err = new undici.errors.ConnectTimeoutError(
        `Connect Timeout Error (attempted address: ${opts.hostname}:${port}, timeout: ${timeout}ms)`,
      )
      socket.destroy(err)
      if (socket !== raw) raw.destroy()
      finish(err)
    }, timeout)
    timer.unref()
  }
  if (https) {
    const { timeout: _t, socketPath: _p, allowH2: _h, maxCachedSessions: _m, ...tlsOptions } = c
    const servername = (opts.servername || (tlsOptions.servername as string | undefined) || undefined)
    socket = tls.connect({
      ...(tlsOptions as tls.ConnectionOptions),
      // The certificate is checked against host (or servername): without it, 'localhost'.
      host: opts.hostname,
      ...(servername && !parseIPv4(servername) ? { servername } : {}),
      ALPNProtocols: allowH2 ? ['http/1.1', 'h2'] : ['http/1.1'],
      socket: raw,
    })
    forwardRef(socket as tls.TLSSocket, raw)
    socket.once('secureConnect', () => finish(null, socket))
  } else {
    socket.once('connect', () => finish(null, socket))
  }
  socket.on('error', (err) => finish(err))
}
