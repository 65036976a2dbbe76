// Peer addresses through the wrappers TLS and HTTP/2 put around a socket that is not a
// kernel socket. tls.Server and http2 wrap a JS Duplex in a net.Socket of their own (a
// TLSSocket over a JSStreamSocket, or a bare JSStreamSocket) whose handle cannot answer
// getpeername, so remoteAddress (request.ip, grpc-js getPeer()) would be undefined.
// Two ways to fix it, for two moments:
//  - exposePeer(wrapper): after a server made the wrapper ('secureConnection', 'session'):
//    net.Socket falls back to _peername/_sockname, so set those from the stack socket;
//  - withPeerAddress(socket): before handing the socket to something that wraps it and
//    reads the address at once (http2 sessions in grpc-js): wrap it ourselves in Node's
//    JSStreamSocket, whose handle then answers getpeername/getsockname from the stack
//    socket. http2 keeps a wrapper that is a StreamBase already, and tls.Server's TLSWrap
//    forwards getpeername to it. The class is Node's own, found through a TLSSocket built
//    over a Duplex (require('_stream_wrap') is deprecated, DEP0125). If it cannot be
//    found, the socket is returned unwrapped: everything works but the peer address.
import type { Socket as NetSocket } from 'node:net'
import { Duplex } from 'node:stream'
import * as tls from 'node:tls'
import { Socket } from '../socket'

interface Addresses {
  remoteAddress?: string
  remotePort?: number
  localAddress?: string
  localPort?: number
}

interface Wrapper {
  _peername?: object
  _sockname?: object
  /** JSStreamSocket: the stream it wraps. */
  stream?: unknown
  /** TLSSocket over a JSStreamSocket: TLSWrap keeps the wrapped socket as _parentWrap. */
  _handle?: { _parentWrap?: { stream?: unknown } } | null
}

/** Whether value is a socket of a stack (of this copy of the package). */
export function isStackSocket(value: unknown): value is Socket {
  return value instanceof Socket
}

/** The stack socket a TLS or HTTP/2 wrapper wraps, if any. */
export function wrappedStackSocket(wrapper: unknown, isStack: (s: unknown) => boolean = isStackSocket): (Duplex & Addresses) | undefined {
  if (typeof wrapper !== 'object' || wrapper === null) return undefined
  const w = wrapper as Wrapper
  const inner = isStack(w.stream) ? w.stream : w._handle?._parentWrap?.stream
  return isStack(inner) ? (inner as Duplex & Addresses) : undefined
}

/** Sets a TLS/HTTP/2 wrapper's peer and local address from the stack socket inside it. */
export function exposePeer(wrapper: unknown, isStack: (s: unknown) => boolean = isStackSocket): void {
  const s = wrappedStackSocket(wrapper, isStack)
  if (s === undefined || s.remoteAddress === undefined) return
  const w = wrapper as Wrapper
  w._peername = { address: s.remoteAddress, port: s.remotePort, family: 'IPv4' }
  w._sockname = { address: s.localAddress, port: s.localPort, family: 'IPv4' }
}

type JSStreamSocketClass = new (stream: Duplex) => NetSocket & { _handle?: Record<string, unknown> }

let cached: JSStreamSocketClass | null | undefined

function findJSStreamSocket(): JSStreamSocketClass | null {
  if (cached !== undefined) return cached
  cached = null
  try {
    const probe = new tls.TLSSocket(new Duplex({ read() {}, write(_c, _e, cb) { cb() } }))
    const wrap = (probe as unknown as Wrapper & { _handle?: { _parentWrap?: { constructor?: unknown } } })._handle?._parentWrap
    probe.destroy()
    const ctor = (wrap as { constructor?: unknown } | undefined)?.constructor
    if (typeof ctor === 'function' && (ctor as { name?: string }).name === 'JSStreamSocket') cached = ctor as JSStreamSocketClass
  } catch {
    cached = null
  }
  return cached
}

function fill(out: Record<string, unknown>, address: string | undefined, port: number | undefined): number {
  if (address === undefined) return -22 // UV_EINVAL: net.Socket then reports no address
  out.address = address
  out.family = 'IPv4'
  out.port = port
  return 0
}

/** The socket wrapped so that wrappers built over it (http2, TLS) report its addresses. */
export function withPeerAddress(socket: Duplex & Addresses): Duplex {
  const JSStreamSocket = findJSStreamSocket()
  if (JSStreamSocket === null) return socket
  const wrapper = new JSStreamSocket(socket)
  const handle = wrapper._handle
  if (!handle) return wrapper
  handle.getpeername = (out: Record<string, unknown>) => fill(out, socket.remoteAddress, socket.remotePort)
  handle.getsockname = (out: Record<string, unknown>) => fill(out, socket.localAddress, socket.localPort)
  return wrapper
}

/** Whether withPeerAddress can do its job on this Node (for diagnostics and tests). */
export function peerAddressSupported(): boolean {
  return findJSStreamSocket() !== null
}
