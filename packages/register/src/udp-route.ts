// UDP routing for a node:dgram socket (udp4). The socket keeps its native UDP handle;
// the register gives that handle instance its own bind/send/connect/recvStart/... that
// add a @gazelle/stack UDP socket on the same port (both) or use it alone (stack):
// - the bind decision needs the resolved address, so it is made in the handle's
//   lookup (async anyway): the binds happen there, and bind() reports their status;
// - sends go by the connect rules (both) or always to the stack (stack-only);
// - datagrams the stack receives reach dgram's own onmessage, like the kernel's.
import * as dgram from 'node:dgram'
import type { UdpSocket } from '@gazelle/stack'
import type { ListenMode } from './config/types'
import { uvCode } from './internals'
import type { Router } from './router'

type Callback = (...args: unknown[]) => any
type SendReq = { oncomplete?: (status: number, sent?: number) => void }

/** The native UDP handle (udp_wrap's UDP) with the members dgram.js uses. */
export interface UdpHandle {
  lookup(address: string, cb: (err: Error | null, ip: string) => void): void
  bind(ip: string, port: number, flags: number): number
  send(...args: unknown[]): number
  connect(ip: string, port: number): number
  disconnect(): number
  recvStart(): number
  recvStop(): number
  getsockname(out: Record<string, unknown>): number
  getpeername(out: Record<string, unknown>): number
  close(cb?: () => void): void
  ref(): void
  unref(): void
  hasRef(): boolean
  onmessage?: (nread: number, handle: unknown, buf: Buffer, rinfo: Record<string, unknown>) => void
  [key: string]: unknown
  [key: symbol]: unknown
}

const kRoutedUdp = Symbol('gazelle.register.udp')
const UV_EBADF = uvCode('EBADF')

function statusOf(fn: () => unknown): number {
  try {
    fn()
    return 0
  } catch (err) {
    const code = (err as { code?: string }).code
    return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? uvCode(code) : UV_EBADF
  }
}

/** The native prototype's method, for the kernel half. */
function native(handle: UdpHandle, name: string): Callback {
  return (Object.getPrototypeOf(handle) as Record<string, Callback>)[name].bind(handle)
}

export class RoutedUdp {
  readonly router: Router
  readonly socket: dgram.Socket
  readonly handle: UdpHandle
  /** Port asked for by the bind() in progress (the handle's lookup needs it). */
  pendingPort = 0
  mode: ListenMode = 'kernel'
  stack: UdpSocket | null = null
  #bindStatus: number | undefined
  #remote: { address: string; port: number } | null = null
  #receiving = false
  #flags = 0

  private constructor(router: Router, socket: dgram.Socket, handle: UdpHandle) {
    this.router = router
    this.socket = socket
    this.handle = handle
  }

  static of(socket: dgram.Socket): RoutedUdp | undefined {
    const state = RoutedUdp.#state(socket)
    return (state?.handle as UdpHandle | undefined)?.[kRoutedUdp] as RoutedUdp | undefined
  }

  static #state(socket: dgram.Socket): { handle?: unknown; reuseAddr?: boolean } | undefined {
    const sym = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol')
    return sym ? (socket as unknown as Record<symbol, { handle?: unknown; reuseAddr?: boolean }>)[sym] : undefined
  }

  /** Gives the socket's handle its routing methods (once, before its first bind). */
  static prepare(router: Router, socket: dgram.Socket): RoutedUdp | undefined {
    const state = RoutedUdp.#state(socket)
    const handle = state?.handle as UdpHandle | undefined
    if (!handle || typeof handle.lookup !== 'function') return undefined
    const existing = handle[kRoutedUdp] as RoutedUdp | undefined
    if (existing) return existing
    const r = new RoutedUdp(router, socket, handle)
    handle[kRoutedUdp] = r
    const lookup = handle.lookup
    handle.lookup = (address, cb) => lookup(address, (err, ip) => (err ? cb(err, ip) : r.#decide(ip, cb)))
    handle.bind = (ip, port, flags) => r.#bind(ip, port, flags)
    handle.send = (...args) => r.#send(args)
    handle.connect = (ip, port) => r.#connect(ip, port)
    handle.disconnect = () => r.#disconnect()
    handle.recvStart = () => r.#recv(true)
    handle.recvStop = () => r.#recv(false)
    handle.getsockname = (out) => r.#sockname(out)
    handle.getpeername = (out) => r.#peername(out)
    handle.close = (cb) => r.#close(cb)
    handle.ref = () => r.#ref(true)
    handle.unref = () => r.#ref(false)
    for (const name of ['setBroadcast', 'setTTL', 'setMulticastTTL', 'setMulticastLoopback', 'setMulticastInterface',
      'addMembership', 'dropMembership'] as const) {
      handle[name] = (...args: unknown[]) => r.#option(name, args)
    }
    handle.bufferSize = (size: number, recv: boolean, ctx: Record<string, unknown>) => r.#bufferSize(size, recv, ctx)
    handle.getSendQueueSize = () => native(handle, 'getSendQueueSize')() as number + (r.stack?.getSendQueueSize() ?? 0)
    handle.getSendQueueCount = () => native(handle, 'getSendQueueCount')() as number + (r.stack?.getSendQueueCount() ?? 0)
    r.#flags = state?.reuseAddr ? 4 /* UV_UDP_REUSEADDR */ : 0
    return r
  }

  /** Whether the stack serves this socket (bound stack-only or both). */
  get onStack(): boolean {
    return this.stack !== null
  }

  // ---- binding: decided once the address is resolved ----

  #decide(ip: string, cb: (err: Error | null, ip: string) => void): void {
    const port = this.pendingPort
    const mode = this.router.udpBindMode(ip)
    this.mode = mode
    this.router.record({ kind: 'udp-bind', target: mode, address: ip, port })
    if (mode === 'kernel') return cb(null, ip)
    const done = (status: number) => {
      this.#bindStatus = status
      cb(null, ip)
    }
    let stackPort = port
    if (mode === 'both') {
      const err = native(this.handle, 'bind')(ip, port, this.#flags) as number
      if (err) return done(err)
      const out: Record<string, unknown> = {}
      native(this.handle, 'getsockname')(out)
      stackPort = out.port as number
    }
    this.router.withStack((stack) => {
      const s = stack.createSocket({ type: 'udp4', reuseAddr: (this.#flags & 4) !== 0 })
      const onError = (err: Error) => {
        s.off('listening', onListening)
        done(uvCode((err as { code?: string }).code ?? 'EIO'))
      }
      const onListening = () => {
        s.off('error', onError)
        this.stack = s
        s.on('message', (msg: Buffer, rinfo: { address: string; port: number }) => this.#deliver(msg, rinfo))
        s.on('error', (err: Error) => this.socket.emit('error', err))
        if (!this.handle.hasRef()) s.unref()
        done(0)
      }
      s.once('error', onError)
      s.once('listening', onListening)
      s.bind(stackPort, mode === 'stack' && ip !== '0.0.0.0' ? this.router.stackIp : '0.0.0.0')
    }, () => done(uvCode('EADDRNOTAVAIL')))
  }

  #bind(ip: string, port: number, flags: number): number {
    const status = this.#bindStatus
    if (status === undefined) return native(this.handle, 'bind')(ip, port, flags) as number
    this.#bindStatus = undefined
    return status
  }

  #deliver(msg: Buffer, rinfo: { address: string; port: number }): void {
    const remote = this.#remote
    if (!this.#receiving || (remote && (remote.address !== rinfo.address || remote.port !== rinfo.port))) return
    this.handle.onmessage?.(msg.length, this.handle, msg, { address: rinfo.address, family: 'IPv4', port: rinfo.port })
  }

  // ---- sending ----

  /** send(req, list, count, port, ip, hasCallback) or, connected, send(req, list, count, hasCallback). */
  #send(args: unknown[]): number {
    const connected = args.length === 4
    const [req, list] = args as [SendReq, Buffer[]]
    const port = connected ? this.#remote?.port : args[3] as number
    const ip = connected ? this.#remote?.address : args[4] as string
    const toStack = this.stack !== null && ip !== undefined && port !== undefined &&
      (this.mode === 'stack' || this.router.table.targetOf(ip, port) === 'stack')
    this.router.record({ kind: 'udp-send', target: toStack ? 'stack' : 'kernel', address: ip, port })
    if (!toStack) return native(this.handle, 'send')(...args) as number
    const hasCallback = args[args.length - 1] === true
    this.stack!.send(list, port!, ip!, (err: Error | null, bytes?: number) => {
      if (hasCallback) req.oncomplete?.(err ? uvCode((err as { code?: string }).code ?? 'EIO') : 0, bytes)
    })
    return 0
  }

  #connect(ip: string, port: number): number {
    const toStack = this.stack !== null && (this.mode === 'stack' || this.router.table.targetOf(ip, port) === 'stack')
    if (!toStack) {
      const err = native(this.handle, 'connect')(ip, port) as number
      if (err) return err
    }
    this.#remote = { address: ip, port }
    return 0
  }

  #disconnect(): number {
    const remote = this.#remote
    this.#remote = null
    const wasKernel = remote !== null && !(this.stack !== null &&
      (this.mode === 'stack' || this.router.table.targetOf(remote.address, remote.port) === 'stack'))
    return wasKernel ? native(this.handle, 'disconnect')() as number : 0
  }

  // ---- the rest of dgram's calls ----

  #recv(start: boolean): number {
    this.#receiving = start
    // A stack-only socket has no kernel socket: recvStart on it would make one.
    if (this.mode === 'stack') return 0
    return native(this.handle, start ? 'recvStart' : 'recvStop')() as number
  }

  #sockname(out: Record<string, unknown>): number {
    if (this.mode !== 'stack' || this.stack === null) return native(this.handle, 'getsockname')(out) as number
    return statusOf(() => Object.assign(out, this.stack!.address()))
  }

  #peername(out: Record<string, unknown>): number {
    const remote = this.#remote
    if (remote === null) return native(this.handle, 'getpeername')(out) as number
    Object.assign(out, { address: remote.address, family: 'IPv4', port: remote.port })
    return 0
  }

  #close(cb?: () => void): void {
    this.stack?.close()
    native(this.handle, 'close')(cb)
  }

  #ref(refed: boolean): void {
    native(this.handle, refed ? 'ref' : 'unref')()
    if (refed) this.stack?.ref()
    else this.stack?.unref()
  }

  /** Socket options: the stack's alone when stack-only; else the kernel's, then the stack's too. */
  #option(name: string, args: unknown[]): number {
    const s = this.stack as unknown as Record<string, (...a: unknown[]) => unknown> | null
    const flag = name === 'setBroadcast' || name === 'setMulticastLoopback'
    if (this.mode === 'stack' && s) return statusOf(() => s[name](...(flag ? [args[0] !== 0] : args)))
    const status = native(this.handle, name)(...args) as number
    if (status === 0 && s && name !== 'setMulticastInterface') {
      // Memberships join on the stack's own (single) interface.
      statusOf(() => s[name](...(flag ? [args[0] !== 0] : name.endsWith('Membership') ? [args[0]] : args)))
    }
    return status
  }

  #bufferSize(size: number, recv: boolean, ctx: Record<string, unknown>): number | undefined {
    const s = this.stack
    if (this.mode !== 'stack' || s === null) return native(this.handle, 'bufferSize')(size, recv, ctx) as number | undefined
    try {
      if (size > 0) {
        if (recv) s.setRecvBufferSize(size)
        else s.setSendBufferSize(size)
      }
      return recv ? s.getRecvBufferSize() : s.getSendBufferSize()
    } catch (err) {
      Object.assign(ctx, { code: (err as { code?: string }).code ?? 'EINVAL', errno: -1, message: (err as Error).message,
        syscall: recv ? 'uv_recv_buffer_size' : 'uv_send_buffer_size' })
      return undefined
    }
  }
}
