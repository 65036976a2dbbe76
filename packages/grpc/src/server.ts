// serveOnStack: a grpc-js Server takes connections from a stack listener through its
// connection injector (grpc-js >= 1.11, gRFC L114), so injected connections share the
// server's services, options (keepalive, message sizes), credentials and shutdown.
import type { Server as StackServer, Stack } from '@gazelle/stack'
import {
  assertStack, checkKeys, invalidOption, listenHostKind, listenOnStack, offerStreamHandle, portOption, withPeerAddress,
} from '@gazelle/stack'
import type { Duplex } from 'node:stream'

/** What serveOnStack needs of a grpc-js Server (structural: any grpc-js >= 1.11 copy). */
export interface InjectableServer {
  createConnectionInjector(credentials: unknown): ConnectionInjector
  tryShutdown(callback: (error?: Error) => void): void
  forceShutdown(): void
}

export interface ConnectionInjector {
  injectConnection(connection: Duplex): void
  drain(graceTimeMs: number): void
  destroy(): void
}

export interface ServeOnStackOptions {
  /** TCP port on the stack; 0 picks a free one (see the result's port). */
  port: number
  /** The stack's address or "0.0.0.0" (default). */
  host?: string
  /** grpc.ServerCredentials (createInsecure() or createSsl(...)). */
  credentials: unknown
  /** Listen backlog on the stack. */
  backlog?: number
}

export interface StackServing {
  /** The bound port on the stack. */
  readonly port: number
  /** The stack address the server is reachable on. */
  readonly address: string
  /** The stack listener (for its 'error' events and getConnections()). */
  readonly listener: StackServer
  /** Stops accepting on the stack and closes this listener's HTTP/2 sessions gracefully
   * (calls in flight finish). server.tryShutdown()/forceShutdown() do this by themselves. */
  close(): Promise<void>
}

const kListeners = Symbol.for('gazelle.grpc.stackListeners')

type Tracked = InjectableServer & { [kListeners]?: Set<StackServer> }

function validate(server: unknown, stack: unknown, options: unknown): ServeOnStackOptions {
  const s = server as Partial<InjectableServer> | null
  if (typeof s !== 'object' || s === null || typeof s.createConnectionInjector !== 'function') {
    throw invalidOption('server', 'a grpc-js Server (@grpc/grpc-js >= 1.11, with createConnectionInjector)', server)
  }
  const st = assertStack(stack, 'stack')
  if (typeof options !== 'object' || options === null) {
    throw invalidOption('options', 'an object with port and credentials', options)
  }
  const o = options as Record<string, unknown>
  checkKeys(o, ['port', 'host', 'credentials', 'backlog'], 'options')
  portOption(o.port, 'options.port')
  const kind = listenHostKind(o.host, st.ip)
  if (kind === 'loopback' || kind === 'other') {
    const why = kind === 'loopback'
      ? ' (a loopback host asks for a service only this machine reaches; the stack would serve it on its ' +
        'network address: keep loopback-only services on the kernel with server.bindAsync)'
      : ''
    throw invalidOption('options.host', `the stack's address "${st.ip}" or "0.0.0.0"${why}`, o.host)
  }
  const creds = o.credentials as { _isSecure?: unknown } | null | undefined
  if (typeof creds !== 'object' || creds === null || typeof creds._isSecure !== 'function') {
    throw invalidOption('options.credentials', 'grpc.ServerCredentials (createInsecure() or createSsl())', o.credentials)
  }
  return options as ServeOnStackOptions
}

/** Wraps the instance's shutdown methods once so they also close its stack listeners. */
function trackShutdown(server: Tracked): Set<StackServer> {
  const existing = server[kListeners]
  if (existing) return existing
  const listeners = new Set<StackServer>()
  Object.defineProperty(server, kListeners, { value: listeners })
  const closeAll = () => {
    for (const l of listeners) l.close()
    listeners.clear()
  }
  const tryShutdown = server.tryShutdown
  const forceShutdown = server.forceShutdown
  server.tryShutdown = function (this: Tracked, callback) {
    closeAll()
    return tryShutdown.call(this, callback)
  }
  server.forceShutdown = function (this: Tracked) {
    closeAll()
    return forceShutdown.call(this)
  }
  return listeners
}

/** Whether grpc-js ServerCredentials are TLS ones (unknown: assume so, the safe side). */
function isSecure(credentials: unknown): boolean {
  const c = credentials as { _isSecure?: () => boolean }
  return typeof c._isSecure !== 'function' || c._isSecure() !== false
}

/**
 * Serves a grpc-js Server's services on a stack: a listener on the stack hands each
 * connection to the server's connection injector. Resolves once listening.
 */
export async function serveOnStack(server: InjectableServer, stack: Stack, options: ServeOnStackOptions): Promise<StackServing> {
  const { port, host, credentials, backlog } = validate(server, stack, options)
  const injector = server.createConnectionInjector(credentials)
  // Plaintext: http2 reads and writes the socket through its own native handle, and
  // session.socket is the stack socket (with its addresses). TLS wraps it in a
  // TLSSocket over a JSStreamSocket, which must report the peer's address.
  const secure = isSecure(credentials)
  const listener = stack.createServer((socket) => {
    socket.setNoDelay(true)
    injector.injectConnection(secure ? withPeerAddress(socket) : offerStreamHandle(socket))
  })
  try {
    await listenOnStack(listener, { port, host: host ?? '0.0.0.0', ...(backlog !== undefined && { backlog }) })
  } catch (err) {
    injector.destroy()
    throw err
  }
  const listeners = trackShutdown(server as Tracked)
  listeners.add(listener)
  const bound = (listener.address() as { port: number }).port
  let closing: Promise<void> | null = null
  return {
    port: bound,
    address: stack.ip, // the host is a wildcard or the stack's own address
    listener,
    close() {
      closing ??= new Promise<void>((resolve) => {
        listeners.delete(listener)
        if (listener.listening) listener.close(() => resolve())
        else resolve()
        injector.destroy()
      })
      return closing
    },
  }
}
