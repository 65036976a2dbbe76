// Listening (every net/http/https/tls/http2 server, express, koa, fastify, ws, grpc-js):
// net.Server.prototype._listen2, which node calls once the host is resolved ("named like
// this to avoid breaking code that wraps this method", lib/net.js). For the stack or both,
// it installs a StackListenHandle as the server's handle and lets node's own
// setupListenHandle() do the rest.
import * as net from 'node:net'
import type { KernelServerHandle } from '../internals'
import { StackListenHandle } from '../listen-handle'
import type { Router } from '../router'

const UV_TCP_IPV6ONLY = 1 // uv.h; net.js passes it in flags for { ipv6Only: true }

type Listen2 = (this: ServerInternals, address: string | null, port: number, addressType: number,
  backlog: number, fd?: number, flags?: number) => void

interface ServerInternals extends net.Server {
  _handle: unknown
  _listeningId: number
  _listen2: Listen2
}

/** True in a cluster primary that has forked workers: its servers are the workers'
 * round-robin listeners, whose connections travel to workers as kernel handles. */
function servesClusterWorkers(): boolean {
  if (process.env.NODE_UNIQUE_ID !== undefined) return false
  const cluster = require('node:cluster') as { isPrimary: boolean; workers?: Record<string, unknown> }
  return cluster.isPrimary && Object.keys(cluster.workers ?? {}).length > 0
}

/** The kernel half of a both-mode listener, bound as setupListenHandle would bind it
 * (the unspecified IPv6 address first, then IPv4). Returns [handle, address] or an errno. */
function kernelHalf(router: Router, address: string | null, port: number, addressType: number, flags?: number):
  [KernelServerHandle, string] | number {
  const create = router.internals.createServerHandle
  if (!address) {
    const v6 = create('::', port, 6, undefined, flags)
    if (typeof v6 !== 'number') return [v6, '::']
    const v4 = create('0.0.0.0', port, 4, undefined, flags)
    return typeof v4 === 'number' ? v4 : [v4, '0.0.0.0']
  }
  const h = create(address, port, addressType, undefined, flags)
  return typeof h === 'number' ? h : [h, address]
}

export function installListenHook(router: Router): void {
  const proto = net.Server.prototype as unknown as { _listen2: Listen2 }
  const original = proto._listen2

  proto._listen2 = function _listen2(this: ServerInternals, address, port, addressType, backlog, fd, flags) {
    // Handles given to listen(), listen({ fd }), cluster workers' handles, pipes: the kernel's.
    if (this._handle || (typeof fd === 'number' && fd >= 0) || port === -1) {
      if (typeof fd === 'number' && fd >= 0 && router.config.listen.default !== 'kernel' && router.routing) {
        router.notRoutable('listen-fd', 'listen({ fd }) serves an inherited kernel socket')
      }
      return original.call(this, address, port, addressType, backlog, fd, flags)
    }
    // ipv6Only: the app asked for IPv6 alone, which the stack does not speak.
    let mode = (flags ?? 0) & UV_TCP_IPV6ONLY ? 'kernel' : router.listenMode(address, port)
    if (mode !== 'kernel' && servesClusterWorkers()) {
      router.notRoutable('cluster', `port ${port} is served to cluster workers (connections travel as kernel handles)`, { port })
      mode = 'kernel'
    }
    if (mode === 'stack' && router.state === 'opening') {
      // -r, stack only: listen once the stack is open, like a listen whose host lookup is
      // pending. (Both: the kernel half listens now, see StackListenHandle.)
      const id = this._listeningId
      const retry = () => {
        if (this._listeningId === id && !this._handle) this._listen2(address, port, addressType, backlog, fd, flags)
      }
      router.withStack(retry, retry)
      return
    }
    if (mode !== 'kernel' && router.stack === null && router.state !== 'opening') {
      if (router.config.fallback === 'kernel') {
        mode = 'kernel'
      } else {
        const err = router.unavailable()
        process.nextTick(() => this.emit('error', err))
        return
      }
    }
    router.record({ kind: 'listen', target: mode, address: address ?? undefined, port })
    if (mode === 'kernel') return original.call(this, address, port, addressType, backlog, fd, flags)
    let kernel: KernelServerHandle | null = null
    if (mode === 'both') {
      const half = kernelHalf(router, address, port, addressType, flags)
      // A kernel bind error: node's own path reports it (it binds the same way and fails the same way).
      if (typeof half === 'number') return original.call(this, address, port, addressType, backlog, fd, flags)
      ;[kernel, address] = half
    } else {
      address = router.stackIp
    }
    this._handle = new StackListenHandle(router, port, kernel)
    return original.call(this, address, port, addressType, backlog, fd, flags)
  }
}
