// socket.resetAndDestroy(): node refuses any handle that is not a kernel TCP
// (ERR_INVALID_HANDLE_TYPE); a routed socket resets through its handle's reset(), the
// path node itself takes for TCP (_reset() → _destroy() → handle.reset()).
import * as net from 'node:net'
import { RoutedStream } from '../stream-handle'

type ResetInternals = net.Socket & { _handle: unknown; _reset(): net.Socket }

export function installResetHook(): void {
  const proto = net.Socket.prototype as unknown as { resetAndDestroy: (this: ResetInternals) => net.Socket }
  const original = proto.resetAndDestroy
  proto.resetAndDestroy = function resetAndDestroy(this: ResetInternals): net.Socket {
    if (!RoutedStream.of(this._handle)) return original.call(this)
    if (this.connecting) this.once('connect', () => this._reset())
    else this._reset()
    return this
  }
}
