// TLS and HTTP/2 wrap a socket that is not a kernel socket in a net.Socket of their own
// (a TLSSocket or a JSStreamSocket) whose handle has no getpeername: its remoteAddress
// would be undefined. net.Socket falls back to _peername and _sockname in that case,
// so the wrapper gets the stack socket's addresses there.
import type { Socket as StackSocket } from '@gazelle/stack'

interface Wrapper {
  _peername?: object
  _sockname?: object
  /** JSStreamSocket: the stream it wraps. */
  stream?: unknown
  /** TLSSocket over a JSStreamSocket: TLSWrap keeps the wrapped socket as _parentWrap. */
  _handle?: { _parentWrap?: { stream?: unknown } } | null
}

/** Sets the wrapper's peer and local address from the stack socket it wraps, if any. */
export function exposePeer(wrapper: unknown, isStackSocket: (s: unknown) => boolean): void {
  if (typeof wrapper !== 'object' || wrapper === null) return
  const w = wrapper as Wrapper
  const inner = isStackSocket(w.stream) ? w.stream : w._handle?._parentWrap?.stream
  if (!isStackSocket(inner)) return
  const s = inner as StackSocket
  if (s.remoteAddress === undefined) return
  w._peername = { address: s.remoteAddress, port: s.remotePort, family: 'IPv4' }
  w._sockname = { address: s.localAddress, port: s.localPort, family: 'IPv4' }
}
