// Makes an injected stack socket report its addresses the way a kernel socket does.
//
// http2 can only run a session over a socket with a native StreamBase handle; any other
// Duplex it wraps in Node's internal JSStreamSocket, a net.Socket whose remoteAddress
// asks its handle (getpeername) and, failing that, its own _peername, and never the
// stream inside. So getPeer() in grpc-js (session.socket.remoteAddress) says 'unknown'
// for injected connections. We do the wrapping ourselves, before http2 does, and give
// the wrapper's handle getpeername/getsockname that answer from the stack socket:
//  - plaintext: http2 sees a handle that is a StreamBase already and keeps our wrapper;
//  - TLS: tls.Server wraps our wrapper's handle in its TLSWrap, which forwards
//    getpeername/getsockname to the handle underneath, so TLS sessions see it too.
// The class is Node's own (no copy): a TLSSocket built over a Duplex creates one, and
// its handle keeps it as _parentWrap. require('_stream_wrap') would hand out the same
// class but prints a deprecation warning (DEP0125). If the class cannot be found this
// way, connections are injected unwrapped: everything works, getPeer() says 'unknown'.
import type { Duplex } from 'node:stream'
import { Duplex as DuplexStream } from 'node:stream'
import * as tls from 'node:tls'
import type { Socket as NetSocket } from 'node:net'

interface SocketAddresses {
  remoteAddress?: string
  remotePort?: number
  localAddress?: string
  localPort?: number
}

type JSStreamSocketClass = new (stream: Duplex) => NetSocket & { _handle?: Record<string, unknown> }

let cached: JSStreamSocketClass | null | undefined

function findJSStreamSocket(): JSStreamSocketClass | null {
  if (cached !== undefined) return cached
  cached = null
  try {
    const probe = new tls.TLSSocket(new DuplexStream({ read() {}, write(_c, _e, cb) { cb() } }))
    const wrap = (probe as unknown as { _handle?: { _parentWrap?: { constructor?: unknown } } })._handle?._parentWrap
    probe.destroy()
    const ctor = wrap?.constructor
    if (typeof ctor === 'function' && (ctor as { name?: string }).name === 'JSStreamSocket') {
      cached = ctor as JSStreamSocketClass
    }
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

/** The socket to hand to http2: the stack socket wrapped so its peer address shows. */
export function withAddresses(socket: Duplex & SocketAddresses): Duplex {
  const JSStreamSocket = findJSStreamSocket()
  if (JSStreamSocket === null) return socket
  const wrapper = new JSStreamSocket(socket)
  const handle = wrapper._handle
  if (!handle) return wrapper
  handle.getpeername = (out: Record<string, unknown>) => fill(out, socket.remoteAddress, socket.remotePort)
  handle.getsockname = (out: Record<string, unknown>) => fill(out, socket.localAddress, socket.localPort)
  return wrapper
}

/** Whether injected connections will report their peer (for diagnostics and tests). */
export function peerAddressSupported(): boolean {
  return findJSStreamSocket() !== null
}
