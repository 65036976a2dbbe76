// UDP: dgram.Socket.prototype.bind, where explicit binds and the implicit ones of send()
// and connect() start. udp4 sockets get a RoutedUdp on their handle before node's bind
// runs; udp6 stays the kernel's (the stack is IPv4-only).
import * as dgram from 'node:dgram'
import type { Router } from '../router'
import { RoutedUdp } from '../udp-route'

export function installDgramHook(router: Router): void {
  const proto = dgram.Socket.prototype as unknown as { bind: (this: dgram.Socket, ...args: unknown[]) => dgram.Socket }
  const original = proto.bind
  proto.bind = function bind(this: dgram.Socket, ...args: unknown[]): dgram.Socket {
    const first = args[0] as { port?: unknown; fd?: unknown; recvStart?: unknown } | number | undefined
    const given = first !== null && typeof first === 'object' && (first.fd !== undefined || typeof first.recvStart === 'function')
    // bind({ fd }) and bind(handle) take an existing kernel socket as it is.
    if (router.routing && !given && (this as { type?: string }).type === 'udp4') {
      const r = RoutedUdp.prepare(router, this)
      if (r) r.pendingPort = Number(first !== null && typeof first === 'object' ? first.port : first) || 0
    }
    return original.apply(this, args)
  }
}
