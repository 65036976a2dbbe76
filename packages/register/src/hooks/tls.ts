// Socket-less tls.connect() (https.Agent, undici/fetch over https, http2 over TLS,
// ioredis/mongodb TLS). Node builds its TLSWrap over a fresh kernel TCP handle that cannot
// be swapped afterwards, so a connection that may route is made as node's STARTTLS:
// a net.Socket the register connects (routed by the connect hook), then the original
// tls.connect({ ...options, socket }). For an IP literal the rules decide first (a kernel
// destination keeps node's own path untouched); for a hostname the socket gets a bridge
// handle that connects through the stack or the kernel once the lookup answered.
import { syncBuiltinESMExports } from 'node:module'
import * as net from 'node:net'
// The module object itself (an import * copy would not change what others see).
import tls = require('node:tls')
import type { Router } from '../router'
import { RoutedStream } from '../stream-handle'

type TlsConnect = (...args: unknown[]) => tls.TLSSocket

/** node's normalizeConnectArgs (lib/_tls_wrap.js): options merged from (port, host, options). */
type TlsOptions = tls.ConnectionOptions & net.TcpSocketConnectOpts & { path?: string; allowHalfOpen?: boolean }

function normalizeTlsArgs(args: unknown[]): [TlsOptions, (() => void) | undefined] {
  const [options, cb] = (net as unknown as { _normalizeArgs(a: unknown[]): [Record<string, unknown>, unknown] })._normalizeArgs(args)
  if (args[1] !== null && typeof args[1] === 'object') Object.assign(options, args[1])
  else if (args[2] !== null && typeof args[2] === 'object') Object.assign(options, args[2])
  return [options as unknown as TlsOptions, typeof cb === 'function' ? (cb as () => void) : undefined]
}

/** Events node emits on the socket it connects; the TLS socket users listen on gets them. */
const FORWARDED = ['lookup', 'connectionAttempt', 'connectionAttemptFailed', 'connectionAttemptTimeout'] as const

export function installTlsHook(router: Router): void {
  const original = tls.connect as unknown as TlsConnect

  function connect(...args: unknown[]): tls.TLSSocket {
    if (!router.routing) return original(...args)
    const [options, cb] = normalizeTlsArgs(args)
    if (options.socket || options.path != null || options.port === undefined) return original(...args)
    const host = options.host || 'localhost'
    const port = Number(options.port)
    const family = net.isIP(host)
    if (family === 6) return original(...args)
    if (family === 4 && router.connectTarget(host, port, options.localAddress) === 'kernel') {
      router.record({ kind: 'connect', target: 'kernel', address: host, port })
      return original(...args)
    }
    const raw = new net.Socket({ allowHalfOpen: options.allowHalfOpen }) as net.Socket & { [k: symbol]: (h: unknown) => void }
    if (family === 0) raw[router.internals.kReinitializeHandle](RoutedStream.forConnect(router, true))
    raw.connect({
      host, port: options.port as number, localAddress: options.localAddress, localPort: options.localPort,
      family: options.family, hints: options.hints, lookup: options.lookup,
    })
    const tlsOptions = { ...options, socket: raw }
    const socket = cb ? original(tlsOptions, cb) : original(tlsOptions)
    // What node does for a socket it connects itself (and tls.connect skips for a given one).
    if (options.timeout) socket.setTimeout(options.timeout)
    for (const event of FORWARDED) raw.on(event, (...a: unknown[]) => socket.emit(event, ...a))
    Object.defineProperty(socket, 'autoSelectFamilyAttemptedAddresses', {
      configurable: true, enumerable: true, get: () => (raw as { autoSelectFamilyAttemptedAddresses?: string[] }).autoSelectFamilyAttemptedAddresses,
    })
    return socket
  }

  ;(tls as { connect: unknown }).connect = connect
  // `import { connect } from 'node:tls'` holds a snapshot until this call updates it.
  syncBuiltinESMExports()
}
