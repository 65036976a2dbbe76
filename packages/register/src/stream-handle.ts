// A routed connection's handle: node's native JSStream (a StreamBase whose I/O calls back
// into JS) dressed with the TCPWrap methods net.js calls, over a transport: a
// @gazelle/stack Socket, or, for TLS by hostname that resolved to a kernel address, a
// kernel net.Socket. A genuine net.Socket (and TLSWrap, the HTTP parser's consume(),
// http2) then sits on it as on a TCP handle, with node's own code for everything else.
//
// A stack Socket is used below its own stream machinery: the net.Socket above already
// buffers, orders and applies backpressure, so the stack's data goes from its push()
// straight to the handle and writes straight to its _writev(); the net.Socket's own
// writes skip the handle too (hooks/write.ts: writeDirect). Measured with callgrind on
// a Fastify hello world: 95k instructions per request through a second Readable/Writable
// and the handle's write path, 72k this way (the @gazelle/fastify adapter: 66-69k). A
// kernel transport (TLS by hostname to a kernel address) is used through its stream API.
//
// Completion rules (node's expectations of a stream handle):
// - connect(req, ip, port) returns 0 and completes later with req.oncomplete(status, ...);
// - onwrite(req, bufs) returns 0; finishWrite(req, status) comes after onwrite returned,
//   once the transport took every byte; one write in flight at a time;
// - onshutdown(req) waits for that write, then half-closes; close(cb)/reset(cb) call cb
//   from the event loop (setImmediate), like uv_close;
// - data never arrives inside readStart(), nor after readStop() (it waits, queued).
import { AsyncResource } from 'node:async_hooks'
import * as net from 'node:net'
import type { Duplex } from 'node:stream'
import { isStackSocket } from '@gazelle/stack'
import type { JSStreamHandle } from './internals'
import { uvCode } from './internals'
import type { Router } from './router'

/** What both a stack Socket and a kernel net.Socket offer (and, of a stack Socket, the
 * stream implementation hooks the handle calls directly). */
export interface Transport extends Duplex {
  _read(size: number): void
  _unrefTimer(): void
  _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void
  connecting: boolean
  setNoDelay(noDelay?: boolean): this
  setKeepAlive(enable?: boolean, initialDelay?: number): this
  ref(): this
  unref(): this
  resetAndDestroy(): this
  readonly localAddress?: string
  readonly localPort?: number
  readonly remoteAddress?: string
  readonly remotePort?: number
}

/** The controller of a handle, reachable from it (and from its owner's _handle). */
export const kRouted = Symbol('gazelle.register.routed')

type ConnectReq = { oncomplete(status: number, handle: unknown, req: unknown, readable: boolean, writable: boolean): void }

const UV_EADDRNOTAVAIL = uvCode('EADDRNOTAVAIL')
const UV_EBADF = uvCode('EBADF')
const UV_ECANCELED = uvCode('ECANCELED')
const UV_ECONNABORTED = uvCode('ECONNABORTED')
const UV_ENOTCONN = uvCode('ENOTCONN')
const UV_EPIPE = uvCode('EPIPE')

function errorStatus(err: unknown): number {
  const code = (err as { code?: unknown })?.code
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? uvCode(code) : UV_EPIPE
}

export class RoutedStream {
  readonly handle: JSStreamHandle
  readonly router: Router
  /** 'stack', or 'kernel' for a bridged kernel transport. Null until connect() decides. */
  route: 'stack' | 'kernel' | null = null
  transport: Transport | null = null
  /** Whether connect() may pick a kernel transport (TLS by hostname). */
  readonly bridge: boolean
  #localAddress: string | undefined
  #localPort = 0
  #noDelay: boolean | undefined
  #keepAlive: [boolean, number] | undefined
  #refed = true
  #reading = false
  #closed = false
  #eof = false
  #shutdownDone = false
  /** The transport is a stack Socket, used below its own stream machinery (see #attach). */
  #direct = false
  /** Data (or EOF: null) that came while node was not reading. */
  #queued: (Buffer | null)[] = []
  /** A write the stack socket has not finished; writes that came meanwhile. */
  #inflight = false
  #waiting: [Buffer[], (err?: Error | null) => void][] = []
  /** Bytes written by writeDirect() (the handle's bytesWritten adds them). */
  directBytes = 0
  #writeReq: object | null = null
  #shutdownReq: object | null = null
  #pendingShutdown: object | null = null

  private constructor(router: Router, bridge: boolean) {
    this.router = router
    this.bridge = bridge
    this.handle = new (handleClass(router.internals.JSStream))(this)
  }

  /** A handle for an outgoing connection; connect() picks its transport. */
  static forConnect(router: Router, bridge = false): JSStreamHandle {
    return new RoutedStream(router, bridge).handle
  }

  /** A handle for a connection the stack accepted. */
  static forAccepted(router: Router, transport: Transport): JSStreamHandle {
    const r = new RoutedStream(router, false)
    r.route = 'stack'
    r.#attach(transport)
    return r.handle
  }

  static of(handle: unknown): RoutedStream | undefined {
    return (handle as { [kRouted]?: RoutedStream } | null)?.[kRouted]
  }

  get owner(): net.Socket | undefined {
    return this.handle[this.router.internals.ownerSymbol] as net.Socket | undefined
  }

  // ---- connecting ----

  bind(address: string, port: number): number {
    if (address !== '0.0.0.0' && address !== this.router.stackIp && !this.bridge) return UV_EADDRNOTAVAIL
    this.#localAddress = address
    this.#localPort = port
    return 0
  }

  connect(req: ConnectReq, address: string, port: number): number {
    // The completion runs in the async context of the connect() call, as a TCPConnectWrap's would.
    const complete = AsyncResource.bind((status: number) => {
      if (this.#closed) return
      req.oncomplete(status, this.handle, req, true, true)
    })
    const target = this.bridge ? this.router.connectTarget(address, port, this.#localAddress) : 'stack'
    this.route = target
    if (target === 'kernel') {
      this.#connectKernel(address, port, complete)
      return 0
    }
    this.router.withStack((stack) => {
      if (this.#closed) return
      const localPort = this.#localPort || undefined
      this.#connecting(stack.connect({ host: address, port, localPort, allowHalfOpen: true }) as unknown as Transport, complete)
    }, (err) => {
      if (this.#closed) return
      if (this.router.config.fallback === 'kernel') {
        // The stack failed while this connect waited for it (-r): the kernel serves it.
        this.route = 'kernel'
        this.#connectKernel(address, port, complete)
      } else {
        process.nextTick(failConnect, this, complete, err)
      }
    })
    return 0
  }

  #connectKernel(address: string, port: number, complete: (status: number) => void): void {
    const socket = new net.Socket({ allowHalfOpen: true })
    this.router.originalConnect.call(socket, {
      host: address, port, localAddress: this.#localAddress, localPort: this.#localPort || undefined,
    })
    this.#connecting(socket as unknown as Transport, complete)
  }

  #connecting(transport: Transport, complete: (status: number) => void): void {
    const onError = (err: Error) => {
      transport.off('connect', onConnect)
      complete(errorStatus(err))
    }
    const onConnect = () => {
      transport.off('error', onError)
      this.#attach(transport)
      complete(0)
    }
    transport.once('error', onError)
    transport.once('connect', onConnect)
    this.transport = transport
    if (!this.#refed) transport.unref()
  }

  // ---- the connected transport ----

  #attach(transport: Transport): void {
    this.transport = transport
    if (this.#noDelay !== undefined) transport.setNoDelay(this.#noDelay)
    if (this.#keepAlive !== undefined) transport.setKeepAlive(...this.#keepAlive)
    if (!this.#refed) transport.unref()
    this.#direct = isStackSocket(transport)
    if (this.#direct) {
      // The stack hands its data to push(): straight to the handle while node reads, queued
      // (and the stack paused: push() returns false) while it does not.
      transport.push = (chunk: Buffer | null) => this.#receive(chunk)
      // The stack socket reports write progress to its own (unused) idle timer: to the
      // owner's instead, so a write that flows slowly is not an idle socket.
      transport._unrefTimer = () => {
        const owner = this.owner as unknown as { _handle: unknown; _unrefTimer(): void } | undefined
        if (owner && owner._handle === this.handle) owner._unrefTimer()
      }
    } else {
      if (!this.#reading) transport.pause()
      transport.on('data', (chunk: Buffer) => this.#deliver(chunk))
      transport.once('end', () => this.#deliver(null))
    }
    transport.on('error', (err: Error) => this.#fail(errorStatus(err), (err as { syscall?: string }).syscall ?? 'read'))
    transport.once('close', () => {
      // A transport that closed by itself before both directions finished (the stack
      // was closed under it): the owner must not wait for data that will never come.
      if (!this.#closed && !(this.#eof && this.#shutdownDone)) this.#fail(UV_ECONNABORTED, 'read')
    })
  }

  /** To the owner: data (its onread, or the HTTP parser that consumes the handle), or EOF. */
  #deliver(chunk: Buffer | null): void {
    if (this.#closed) return
    if (chunk === null) {
      this.#eof = true
      this.handle.emitEOF()
    } else {
      this.handle.readBuffer(chunk)
    }
  }

  /** A stack socket's push(): the return value is the stack's flow control. */
  #receive(chunk: Buffer | null): boolean {
    if (this.#closed) return false
    if (!this.#reading || this.#queued.length > 0) {
      this.#queued.push(chunk)
      return false
    }
    this.#deliver(chunk)
    return this.#reading
  }

  /** Delivers what arrived while node was not reading, then lets the stack go on. */
  drainQueued(): void {
    while (this.#reading && this.#queued.length > 0 && !this.#closed) this.#deliver(this.#queued.shift()!)
    if (this.#reading && this.#queued.length === 0 && !this.#closed) this.transport!._read(0)
  }

  /** The connection failed under its owner: node's own error, as a TCP handle's read
   * error would give (a write in flight is cancelled by the close that follows). */
  #fail(status: number, syscall: string): void {
    if (this.#closed) return
    const owner = this.owner
    if (owner && (owner as unknown as { _handle: unknown })._handle === this.handle) {
      owner.destroy(this.router.internals.errnoException(status, syscall))
    } else {
      this.close(undefined, true)
    }
  }

  readStart(): number {
    this.#reading = true
    const t = this.transport
    if (t === null) return 0
    // Never from inside readStart(): node calls it in the middle of its own bookkeeping.
    if (this.#direct) process.nextTick(drain, this)
    else t.resume()
    return 0
  }

  readStop(): number {
    this.#reading = false
    if (!this.#direct) this.transport?.pause()
    return 0
  }

  write(req: object, bufs: Buffer[]): number {
    const t = this.transport
    if (t === null || this.#closed) return UV_ENOTCONN
    this.#writeReq = req
    let bytes = 0
    for (const b of bufs) bytes += b.length
    this.handle.writeQueueSize = bytes
    if (this.#direct) {
      // Its callback may come at once: finishWrite() must not run inside onwrite().
      let sync = true
      this.#send(bufs, (err) => {
        const status = err ? errorStatus(err) : 0
        if (sync) process.nextTick(finishWrite, this, status)
        else this.#finishWrite(status)
      })
      sync = false
      return 0
    }
    const done = (err?: Error | null) => this.#finishWrite(err ? errorStatus(err) : 0)
    if (bufs.length === 1) {
      t.write(bufs[0], done)
    } else {
      t.cork()
      for (let i = 0; i < bufs.length; i++) t.write(bufs[i], i === bufs.length - 1 ? done : undefined)
      t.uncork()
    }
    return 0
  }

  /**
   * Straight to the stack socket's write (its _writev: node's Writable above already
   * queued and ordered the data), one at a time: writes that come while one is in flight
   * (the socket's own next to TLS's, when TLS takes a socket over) wait their turn.
   */
  #send(bufs: Buffer[], cb: (err?: Error | null) => void): void {
    if (this.#closed) {
      process.nextTick(cb, this.router.internals.errnoException(UV_ECANCELED, 'write'))
      return
    }
    if (this.#inflight) {
      this.#waiting.push([bufs, cb])
      return
    }
    this.#inflight = true
    this.transport!._writev(bufs.map((chunk) => ({ chunk })), (err?: Error | null) => {
      this.#inflight = false
      cb(err)
      const next = this.#waiting.shift()
      if (next) this.#send(...next)
      else this.#shutdownIfIdle()
    })
  }

  /** Whether socket's writes may skip the handle (see hooks/write.ts). */
  writesDirect(socket: net.Socket): boolean {
    return this.#direct && !this.#closed && !socket.connecting &&
      (socket as unknown as { _handle: unknown })._handle === this.handle
  }

  /**
   * A net.Socket's write, skipping node's StreamBase path (a native write, onwrite back
   * into JS, finishWrite, the completion callback): node's own error if it fails.
   */
  writeDirect(socket: net.Socket, bufs: Buffer[], cb: (err?: Error | null) => void): void {
    let bytes = 0
    for (const b of bufs) bytes += b.length
    this.directBytes += bytes
    ;(socket as unknown as { _unrefTimer(): void })._unrefTimer()
    this.#send(bufs, (err) => {
      if (err) cb(this.router.internals.errnoException(errorStatus(err), 'write'))
      else cb()
    })
  }

  /** (for process.nextTick) */
  finishWriteLater(status: number): void {
    this.#finishWrite(status)
  }

  #finishWrite(status: number): void {
    const req = this.#writeReq
    if (req === null) return
    this.#writeReq = null
    this.handle.writeQueueSize = 0
    this.handle.finishWrite(req, status)
    this.#shutdownIfIdle()
  }

  /** A shutdown that waited for writes in flight goes once there are none. */
  #shutdownIfIdle(): void {
    const shutdown = this.#pendingShutdown
    if (shutdown === null || this.#writeReq !== null || this.#inflight) return
    this.#pendingShutdown = null
    this.shutdown(shutdown)
  }

  shutdown(req: object): number {
    const t = this.transport
    if (t === null) return UV_ENOTCONN
    if (this.#writeReq !== null || this.#inflight) {
      this.#pendingShutdown = req // TLS shuts down with its last write in flight
      return 0
    }
    this.#shutdownReq = req
    t.end(() => {
      this.#shutdownDone = true
      this.#finishShutdown(0)
    })
    return 0
  }

  #finishShutdown(status: number): void {
    const req = this.#shutdownReq
    if (req === null) return
    this.#shutdownReq = null
    this.handle.finishShutdown(req, status)
  }

  close(cb: (() => void) | undefined, reset: boolean): void {
    if (this.#closed) return
    this.#closed = true
    const t = this.transport
    if (t !== null) {
      if (reset) t.resetAndDestroy()
      else t.destroy()
    }
    // Writes waiting behind the one in flight are cancelled, as libuv cancels a closed
    // handle's write queue.
    for (const [, cb] of this.#waiting.splice(0)) process.nextTick(cb, this.router.internals.errnoException(UV_ECANCELED, 'write'))
    setImmediate(() => {
      this.#finishWrite(UV_ECANCELED)
      this.#pendingShutdown = null
      this.#finishShutdown(UV_ECANCELED)
      cb?.()
    })
  }

  // ---- addresses and options ----

  getsockname(out: Record<string, unknown>): number {
    const t = this.transport
    if (t === null || t.localPort === undefined) return UV_EBADF
    out.address = t.localAddress
    out.family = net.isIPv6(t.localAddress ?? '') ? 'IPv6' : 'IPv4'
    out.port = t.localPort
    return 0
  }

  getpeername(out: Record<string, unknown>): number {
    const t = this.transport
    if (t === null || t.connecting || t.remotePort === undefined) return UV_ENOTCONN
    out.address = t.remoteAddress
    out.family = net.isIPv6(t.remoteAddress ?? '') ? 'IPv6' : 'IPv4'
    out.port = t.remotePort
    return 0
  }

  setNoDelay(enable: boolean): number {
    this.#noDelay = enable
    this.transport?.setNoDelay(enable)
    return 0
  }

  /** initialDelay in seconds, as net.js passes it to TCPWrap. */
  setKeepAlive(enable: boolean, initialDelaySecs: number): number {
    this.#keepAlive = [enable, (initialDelaySecs || 0) * 1000]
    this.transport?.setKeepAlive(...this.#keepAlive)
    return 0
  }

  ref(): void {
    this.#refed = true
    this.transport?.ref()
  }

  unref(): void {
    this.#refed = false
    this.transport?.unref()
  }

  hasRef(): boolean {
    return this.#refed
  }
}

function drain(r: RoutedStream): void {
  r.drainQueued()
}

function finishWrite(r: RoutedStream, status: number): void {
  r.finishWriteLater(status)
}

function failConnect(r: RoutedStream, complete: (status: number) => void, err: Error): void {
  // The owner gets ERR_GAZELLE_STACK_UNAVAILABLE itself, not a bare errno.
  const owner = r.owner
  if (owner && !owner.destroyed) owner.destroy(err)
  else complete(UV_ECONNABORTED)
}

type JSStreamClass = new () => JSStreamHandle
const handleClasses = new WeakMap<JSStreamClass, new (r: RoutedStream) => JSStreamHandle>()

/**
 * The TCPWrap surface over node's JSStream, as a subclass: methods on the prototype keep
 * each handle a fast-mode object (own methods on every instance turned handles into
 * dictionaries, and every access node makes to them slower).
 */
function handleClass(JSStream: JSStreamClass): new (r: RoutedStream) => JSStreamHandle {
  const known = handleClasses.get(JSStream)
  if (known) return known
  let proto: object | null = JSStream.prototype
  let native: PropertyDescriptor | undefined
  while (proto && !(native = Object.getOwnPropertyDescriptor(proto, 'bytesWritten'))) proto = Object.getPrototypeOf(proto)
  const nativeBytesWritten = native?.get
  class RoutedHandle extends JSStream {
    [kRouted]: RoutedStream
    writeQueueSize = 0

    /** What node wrote through the handle, and what went straight to the stack. */
    get bytesWritten(): number {
      return (nativeBytesWritten ? nativeBytesWritten.call(this) as number : 0) + this[kRouted].directBytes
    }

    constructor(r: RoutedStream) {
      super()
      this[kRouted] = r
    }

    connect(req: ConnectReq, address: string, port: number) {
      return this[kRouted].connect(req, address, port)
    }

    bind(address: string, port: number) {
      return this[kRouted].bind(address, port)
    }

    getsockname(out: Record<string, unknown>) {
      return this[kRouted].getsockname(out)
    }

    getpeername(out: Record<string, unknown>) {
      return this[kRouted].getpeername(out)
    }

    setNoDelay(enable: boolean) {
      return this[kRouted].setNoDelay(enable)
    }

    setKeepAlive(enable: boolean, delay: number) {
      return this[kRouted].setKeepAlive(enable, delay)
    }

    ref() {
      this[kRouted].ref()
    }

    unref() {
      this[kRouted].unref()
    }

    hasRef() {
      return this[kRouted].hasRef()
    }

    close(cb?: () => void) {
      this[kRouted].close(cb, false)
    }

    reset(cb?: () => void) {
      this[kRouted].close(cb, true)
      return 0
    }

    // JSStream's native side calls these.
    onreadstart() {
      return this[kRouted].readStart()
    }

    onreadstop() {
      return this[kRouted].readStop()
    }

    onwrite(req: object, bufs: Buffer[]) {
      return this[kRouted].write(req, bufs)
    }

    onshutdown(req: object) {
      return this[kRouted].shutdown(req)
    }
  }
  handleClasses.set(JSStream, RoutedHandle)
  return RoutedHandle
}
