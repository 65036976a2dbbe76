// Outgoing TCP: net.Socket.prototype.connect, where net.connect, createConnection,
// `new net.Socket().connect()` (pg), http.Agent, http2 h2c, fetch/undici, ioredis, ws and
// grpc-js all end. Node's own connect() runs unchanged (argument checks, DNS, 'lookup',
// timeouts); a routed socket only gets a RoutedStream handle instead of its TCP handle:
// - an IP literal a rule matches: right after connect() (node connects on the next tick);
// - a hostname: node's lookup (the app's `lookup` or dns.lookup) runs through a wrapper
//   that swaps the handle when an answer matches a rule, and then answers with that
//   address only (so node connects on the swapped handle, not on a happy-eyeballs race).
import * as dns from 'node:dns'
import * as net from 'node:net'
import * as tls from 'node:tls'
import type { Router } from '../router'
import { RoutedStream } from '../stream-handle'

type LookupCallback = (err: NodeJS.ErrnoException | null, address?: string | dns.LookupAddress[], family?: number) => void
type Lookup = (hostname: string, options: dns.LookupOptions, callback: LookupCallback) => void

interface ConnectOptions {
  host?: string
  port?: number | string
  path?: string
  localAddress?: string
  lookup?: unknown
}

type SocketInternals = net.Socket & { _handle: unknown; [key: symbol]: (handle: unknown) => void }

/** Gives a connecting socket a stack handle (once). */
function routeToStack(router: Router, socket: SocketInternals): void {
  if (!socket.connecting || RoutedStream.of(socket._handle)) return
  socket[router.internals.kReinitializeHandle](RoutedStream.forConnect(router))
}

/**
 * node's lookup, routed: the first IPv4 answer a rule sends to the stack wins. On a bridge
 * handle (TLS by hostname) the answer is always a single address, because node's
 * multi-address attempts replace the socket's handle.
 */
export function routingLookup(router: Router, socket: SocketInternals, lookup: Lookup, port: number,
  localAddress: string | undefined): Lookup {
  return function gazelleLookup(hostname, options, callback) {
    lookup(hostname, options, (err, address, family) => {
      if (err) return callback(err, address, family)
      const bridge = RoutedStream.of(socket._handle)?.bridge === true
      const routed = (a: string, f: number | undefined) =>
        f === 4 && router.connectTarget(a, port, localAddress) === 'stack'
      if (Array.isArray(address)) {
        const pick = address.find((a) => routed(a.address, a.family))
        const chosen = pick ?? address[0]
        router.record({ kind: 'connect', target: pick ? 'stack' : 'kernel', address: chosen?.address, port })
        if (pick) {
          if (!bridge) routeToStack(router, socket)
          return callback(null, [{ address: pick.address, family: 4 }])
        }
        return callback(null, bridge && chosen ? [chosen] : address)
      }
      const toStack = typeof address === 'string' && routed(address, family)
      router.record({ kind: 'connect', target: toStack ? 'stack' : 'kernel', address: address as string, port })
      if (toStack && !bridge) routeToStack(router, socket)
      callback(null, address, family)
    })
  }
}

export function installConnectHook(router: Router): void {
  const proto = net.Socket.prototype as unknown as { connect: (this: SocketInternals, ...args: unknown[]) => net.Socket }
  const original = proto.connect
  router.originalConnect = original as Router['originalConnect']
  const { normalizedArgs } = router.internals
  const normalize = (net as unknown as { _normalizeArgs(args: unknown[]): [ConnectOptions, unknown] })._normalizeArgs

  proto.connect = function connect(this: SocketInternals, ...args: unknown[]): net.Socket {
    // tls.connect()'s own socket: the tls hook decided already (TLS over a routed socket).
    if (this instanceof tls.TLSSocket || !router.routing) return original.apply(this, args)
    const first = args[0] as { [k: symbol]: unknown } | undefined
    const normalized = Array.isArray(first) && first[normalizedArgs] ? (first as unknown as [ConnectOptions, unknown]) : normalize(args)
    const [options, cb] = normalized
    if (options.path != null || options.port === undefined) return original.apply(this, args)
    const host = options.host || 'localhost'
    const port = Number(options.port)
    const family = net.isIP(host)
    if (family !== 0) {
      const target = family === 4 ? router.connectTarget(host, port, options.localAddress) : 'kernel'
      const bridge = RoutedStream.of(this._handle)?.bridge === true
      const socket = original.apply(this, args)
      if (this.connecting && !bridge) {
        router.record({ kind: 'connect', target, address: host, port })
        if (target === 'stack') routeToStack(router, this)
      }
      return socket
    }
    if (options.lookup != null && typeof options.lookup !== 'function') return original.apply(this, args) // node throws
    const lookup = routingLookup(router, this, (options.lookup ?? dns.lookup) as Lookup, port, options.localAddress)
    const routed = { ...options, lookup }
    return typeof cb === 'function' ? original.call(this, routed, cb) : original.call(this, routed)
  }
}
