// buildStackConnector: an undici connect function whose connections to routed origins
// are stack sockets (TLS on top for https), and whose other connections go through
// undici's own connector (the kernel). For `new Client(origin, { connect })`,
// `new Pool(origin, { connect })`, and inside GazelleAgent.
import type { Duplex } from 'node:stream'
import * as tls from 'node:tls'
import { connectOnStack, isIPv4 } from '@gazelle/stack'
import type { Socket as StackSocket } from '@gazelle/stack'
import * as undici from 'undici'
import { originOf, resolveConnectorOptions } from './options'
import type { ResolvedConnectorOptions, StackConnectorOptions } from './options'

export type Connector = undici.buildConnector.connector
type ConnectOpts = undici.buildConnector.Options & { allowH2?: boolean }

/** TLS sessions by server name (or host), oldest dropped first, as undici keeps them. */
class SessionCache {
  readonly #max: number
  readonly #sessions = new Map<string, Buffer>()
  constructor(max: number) {
    this.#max = max
  }
  get(key: string): Buffer | undefined {
    return this.#sessions.get(key)
  }
  set(key: string, session: Buffer): void {
    if (this.#max === 0) return
    this.#sessions.delete(key)
    if (this.#sessions.size >= this.#max) this.#sessions.delete(this.#sessions.keys().next().value!)
    this.#sessions.set(key, session)
  }
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

/** The server name to verify the certificate against: a request's own, the origin's, the agent's. */
function servernameFor(o: ResolvedConnectorOptions, opts: ConnectOpts): string | undefined {
  const name = opts.servername || o.servernames.get(originOf(opts.protocol, opts.hostname, opts.port)) ||
    (o.connect.servername as string | undefined)
  return name && !isIPv4(name) ? name : undefined
}

/** The connect function, from already checked options (GazelleAgent checks them first). */
export function connectorFrom(o: ResolvedConnectorOptions, agentOptions: Record<string, unknown> = {}): Connector {
  const { timeout: _t, ...connectOptions } = o.connect
  const kernel = undici.buildConnector({
    maxCachedSessions: o.maxCachedSessions,
    allowH2: o.allowH2,
    ...(typeof agentOptions.autoSelectFamily === 'boolean'
      ? { autoSelectFamily: agentOptions.autoSelectFamily, autoSelectFamilyAttemptTimeout: agentOptions.autoSelectFamilyAttemptTimeout }
      : undefined),
    ...connectOptions,
    timeout: o.timeout,
  } as undici.buildConnector.BuildOptions)
  const sessions = new SessionCache(o.maxCachedSessions)
  return (opts: ConnectOpts, callback: undici.buildConnector.Callback): void => {
    const https = opts.protocol === 'https:'
    const port = Number(opts.port) || (https ? 443 : 80)
    const servername = https ? servernameFor(o, opts) : undefined
    if (!o.routes.matches(opts.hostname, port)) {
      kernel(servername === undefined ? opts : { ...opts, servername }, callback)
      return
    }
    stackConnect(o, opts, port, https ? { servername, sessions, allowH2: opts.allowH2 ?? o.allowH2 } : null, callback)
  }
}

/**
 * An undici connect function over the stack: `new undici.Client(origin, { connect:
 * buildStackConnector(stack) })`, or a Pool's. Origins the stack does not route (not an
 * IPv4 literal in its subnet or `routes`) go through the kernel with undici's connector.
 */
export function buildStackConnector(stack: unknown, options?: StackConnectorOptions): Connector {
  return connectorFrom(resolveConnectorOptions(stack, 'stack', options))
}

function stackConnect(
  o: ResolvedConnectorOptions,
  opts: ConnectOpts,
  port: number,
  secure: { servername: string | undefined; sessions: SessionCache; allowH2: boolean } | null,
  callback: undici.buildConnector.Callback,
): void {
  let cb: undici.buildConnector.Callback | null = callback
  const finish = (err: Error | null, socket?: Duplex) => {
    if (timer !== undefined) clearTimeout(timer)
    if (!cb) return
    const f = cb
    cb = null
    if (err) f(err, null)
    else f(null, socket as unknown as import('node:net').Socket)
  }
  // One limit for TCP and TLS together, as undici's own connector has.
  const abort = new AbortController()
  let tlsSocket: tls.TLSSocket | undefined
  let rawSocket: StackSocket | undefined
  let timer: NodeJS.Timeout | undefined
  if (o.timeout > 0) {
    timer = setTimeout(() => {
      timer = undefined
      const err = new undici.errors.ConnectTimeoutError(
        `Connect Timeout Error (attempted address: ${opts.hostname}:${port}, timeout: ${o.timeout}ms)`,
      )
      abort.abort(err)
      tlsSocket?.destroy(err)
      rawSocket?.destroy()
      finish(err)
    }, o.timeout)
    timer.unref()
  }
  const c = o.connect
  connectOnStack(o.stack, {
    host: opts.hostname,
    port,
    noDelay: true,
    keepAlive: c.keepAlive == null || c.keepAlive === true,
    keepAliveInitialDelay: typeof c.keepAliveInitialDelay === 'number' ? c.keepAliveInitialDelay : 60e3,
  }, { signal: abort.signal }).then((raw) => {
    rawSocket = raw
    if (secure === null) {
      finish(null, raw)
      return
    }
    const { timeout: _t, socketPath: _p, allowH2: _h, maxCachedSessions: _m, servername: _s, ...tlsOptions } = c
    const sessionKey = secure.servername ?? opts.hostname
    const socket = tls.connect({
      ...(tlsOptions as tls.ConnectionOptions),
      // The certificate is checked against servername, else host (an IP literal: its IP SANs).
      host: opts.hostname,
      ...(secure.servername !== undefined ? { servername: secure.servername } : {}),
      session: secure.sessions.get(sessionKey),
      ALPNProtocols: secure.allowH2 ? ['http/1.1', 'h2'] : ['http/1.1'],
      socket: raw,
    })
    tlsSocket = socket
    forwardRef(socket, raw)
    socket.on('session', (session: Buffer) => secure.sessions.set(sessionKey, session))
    socket.once('secureConnect', () => finish(null, socket))
    socket.on('error', (err) => finish(err))
  }, (err: Error) => finish(err))
}
