// Option A: the client's connections through the stack, inside grpc-js's own subchannel.
//
// grpc-js has no public transport hook for clients (grpc-node #2359, #2038). Since 1.13,
// Http2SubchannelConnector.connect() gets its TCP connection from one method,
// tcpConnect(address, channelOptions), and then does TLS, the HTTP/2 session, keepalive,
// retries, load balancing and reconnect backoff on whatever socket that returns. We wrap
// that method once per grpc-js copy: a channel whose options carry CONNECT_OPTION (a
// function, from stackChannelOptions()) gets its socket from the stack; every other
// channel runs the original method untouched. The wrap is installed only when the guard
// holds: a known version range, and connect() still calling this.tcpConnect().
import type { GrpcFiles } from './grpc-module'
import { versionParts } from './grpc-module'

/** The channel option key. Its value is a StackConnect; grpc-js passes channel options
 * to the connector as given, and compares them by identity when sharing subchannels. */
export const CONNECT_OPTION = 'grpc-gazelle.stack_connect'

/** Returns a connected socket for the address, or null to let the kernel connect. */
export type StackConnect = (address: { host?: string; port?: number; path?: string }) => Promise<unknown> | null

/** The versions whose connector has the tcpConnect seam this hook wraps. */
export const HOOK_RANGE = { min: [1, 13, 0], below: [2, 0, 0] } as const

const kHooked = Symbol.for('gazelle.grpc.tcpConnectHook')

interface ConnectorPrototype {
  tcpConnect?: (address: unknown, options: Record<string, unknown>) => Promise<unknown>
  connect?: (...args: unknown[]) => unknown
  [kHooked]?: true
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return 0
}

/** Why the hook cannot be used with this grpc-js copy, or null if it can. */
export function hookRefusal(files: GrpcFiles): string | null {
  const v = versionParts(files.version)
  if (compare(v, HOOK_RANGE.min) < 0 || compare(v, HOOK_RANGE.below) >= 0) {
    return `@grpc/grpc-js ${files.version} is outside the range with a tcpConnect seam (>=1.13 <2)`
  }
  let proto: ConnectorPrototype | undefined
  try {
    const transport = files.require('build/src/transport.js') as { Http2SubchannelConnector?: { prototype: ConnectorPrototype } }
    proto = transport.Http2SubchannelConnector?.prototype
  } catch (err) {
    return `cannot load grpc-js's transport module: ${(err as Error).message}`
  }
  if (!proto || typeof proto.tcpConnect !== 'function' || typeof proto.connect !== 'function') {
    return 'Http2SubchannelConnector.tcpConnect not found'
  }
  if (proto[kHooked]) return null
  if (proto.tcpConnect.length !== 2 || !Function.prototype.toString.call(proto.connect).includes('this.tcpConnect(')) {
    return 'Http2SubchannelConnector.connect no longer calls this.tcpConnect(address, options)'
  }
  return null
}

/** Installs the wrap (idempotent). Call only when hookRefusal() returned null. */
export function installHook(files: GrpcFiles): void {
  const transport = files.require('build/src/transport.js') as { Http2SubchannelConnector: { prototype: ConnectorPrototype } }
  const proto = transport.Http2SubchannelConnector.prototype
  if (proto[kHooked]) return
  const original = proto.tcpConnect!
  proto.tcpConnect = function tcpConnect(this: unknown, address: unknown, options: Record<string, unknown>) {
    const connect = options?.[CONNECT_OPTION]
    if (typeof connect === 'function') {
      const socket = (connect as StackConnect)(address as Parameters<StackConnect>[0])
      if (socket !== null) return socket
    }
    return original.call(this, address, options)
  }
  Object.defineProperty(proto, kHooked, { value: true })
}
