// A TCP connection of the stack, shaped like net.Socket: a Duplex that implements
// only _read, _write/_writev, _final and _destroy over the addon's socket table.
import { Duplex } from 'node:stream'
import { errnoException } from './errors'
import type { NativeBinding } from './native'
import { nodeError } from './node-errors'
import type { Server } from './server'
import type { Stack } from './stack'
import {
  NO_ID, kAccepted, kAddHandle, kBinding, kConnecting, kConnectionClosed, kCounted, kDirectEnd, kId,
  kOnConnected, kOnData, kOnEof, kOnError, kOnWritable, kPauseRx, kRefed, kRemoveHandle, kStack, kStreamHandle,
  kUpdateRef, kWriteBuffers,
} from './symbols'
import { createDirectStream } from './stream-handle'
import type { DirectStream } from './stream-handle'
import { setRefed } from './refs'
import { invalidOption } from './validate'

export interface SocketOptions {
  /** Keep the writable side open after the peer ends (default false: end it too, like node). */
  allowHalfOpen?: boolean
  readableHighWaterMark?: number
  writableHighWaterMark?: number
  /** false (default): destroy() closes the connection like net.Socket's, which node:http
   * relies on: the data the stack holds goes out, then FIN; a write still pending resets.
   * true: destroy() always resets (RST). resetAndDestroy() resets either way. */
  destroyResets?: boolean
}

export interface AddressInfo {
  address: string
  family: 'IPv4'
  port: number
}

export interface RemoteAddress {
  address: string
  port: number
}

/** A write the stack's send buffer could not take whole: the rest waits for Ev.Writable. */
interface PendingWrite {
  bufs: Buffer[]
  index: number
  offset: number
  cb: (err?: Error | null) => void
}

type Callback = (err?: Error | null) => void

/** The delay a Timeout was started with (node keeps it as _idleTimeout; -1 once cleared). */
function getDelay(timer: NodeJS.Timeout): number {
  return (timer as unknown as { _idleTimeout: number })._idleTimeout
}

const kPending = Symbol('pendingWrite')
const kFinalCb = Symbol('deferredFinal')
const kRxPaused = Symbol('rxPaused')
const kShutdown = Symbol('shutdown')
const kReset = Symbol('reset')
const kNoDelay = Symbol('noDelay')
const kKeepAlive = Symbol('keepAlive')
const kKeepAliveDelay = Symbol('keepAliveDelay')
const kTimer = Symbol('timer')
const kBytesRead = Symbol('bytesRead')
const kBytesWritten = Symbol('bytesWritten')
const kRemote = Symbol('remote')
const kLocalPort = Symbol('localPort')
const kRelease = Symbol('release')
const kFlush = Symbol('flush')
const kWriteNow = Symbol('writeNow')
const kQueue = Symbol('queue')
const kShutdownNow = Symbol('shutdownNow')
const kDestroyResets = Symbol('destroyResets')
const kWriteString = Symbol('writeString')

/** Strings up to this many UTF-16 units go to the addon as they are (<= 3 bytes each in
 * UTF-8: within its 16 KiB encoding buffer); longer ones are written as Buffers. */
const STRING_MAX_CHARS = 5000

/** The index of the last chunk with bytes (node:http ends a response with an empty
 * string), or -1. */
function lastWithBytes(chunks: { chunk: Buffer | string }[]): number {
  for (let k = chunks.length - 1; k >= 0; k--) if (chunks[k].chunk.length > 0) return k
  return -1
}

function toBuffer(c: { chunk: Buffer | string, encoding: BufferEncoding }): Buffer {
  return typeof c.chunk === 'string' ? Buffer.from(c.chunk, c.encoding) : c.chunk
}

function emitClose(socket: Socket, hadError: boolean): void {
  socket.emit('close', hadError)
}

// The timer outlives setTimeout(0) (see setTimeout): it fires only while enabled.
function emitTimeout(socket: Socket): void {
  if (socket.timeout) socket.emit('timeout')
}

export class Socket extends Duplex {
  /** True from stack.connect() until 'connect' (or the error). */
  connecting = false;
  /** Undefined, as on a net.Socket (TLSSocket sets it): an http2 server takes a socket
   * whose alpnProtocol is false for a failed ALPN and refuses h2c on it. undici reads it. */
  declare alpnProtocol?: string | false;
  /** The Server that accepted this socket (set like node does). */
  declare server?: Server;
  declare _server?: Server;
  /** The idle timeout set by setTimeout(), in ms. */
  declare timeout?: number;

  declare [kStack]: Stack;
  declare [kBinding]: NativeBinding;
  [kId] = NO_ID;
  [kRefed] = true;
  [kCounted] = false;
  [kPending]: PendingWrite | null = null;
  [kFinalCb]: Callback | null = null;
  [kRxPaused] = false;
  [kShutdown] = false;
  [kReset] = false;
  [kNoDelay] = false;
  [kKeepAlive] = false;
  [kKeepAliveDelay] = 0;
  [kTimer]: NodeJS.Timeout | undefined = undefined;
  [kBytesRead] = 0;
  [kBytesWritten] = 0;
  [kRemote]: RemoteAddress | undefined = undefined;
  [kLocalPort]: number | undefined = undefined;
  [kDestroyResets]: boolean;
  /** undefined: no stream handle; null: offered (offerStreamHandle), made on first use. */
  [kStreamHandle]: DirectStream | null | undefined = undefined;

  /** Sockets come from stack.connect() and from a Server's 'connection' event. */
  constructor(stack: Stack, options: SocketOptions = {}) {
    super({
      allowHalfOpen: options.allowHalfOpen === true,
      decodeStrings: false, // _write takes short strings as they are (like net.Socket)
      emitClose: false, // 'close' is emitted by _destroy, with hadError, like net.Socket
      autoDestroy: true,
      ...(options.readableHighWaterMark !== undefined && { readableHighWaterMark: options.readableHighWaterMark }),
      ...(options.writableHighWaterMark !== undefined && { writableHighWaterMark: options.writableHighWaterMark }),
    })
    this[kStack] = stack
    this[kBinding] = stack[kBinding]
    this[kDestroyResets] = options.destroyResets === true
    // The stack pushes data as it arrives (_read only lifts a pause), so Readable's
    // read-ahead has nothing to fetch: after every push it queues a process.nextTick that
    // calls read(0) and _read (~2k instructions per 'data' event on a request/response
    // round trip). Marked as already running, it is never queued.
    ;(this as unknown as { _readableState: { readingMore: boolean } })._readableState.readingMore = true
  }

  // ---- state, as net.Socket reports it ----

  get pending(): boolean {
    return this[kId] === NO_ID || this.connecting
  }

  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.connecting) return 'opening'
    if (this.readable && this.writable) return 'open'
    if (this.readable) return 'readOnly'
    if (this.writable) return 'writeOnly'
    return 'closed'
  }

  get bytesRead(): number {
    return this[kBytesRead]
  }

  /** Bytes the stack has taken into its send buffer. */
  get bytesWritten(): number {
    return this[kBytesWritten]
  }

  get remoteAddress(): string | undefined {
    return this[kRemote]?.address
  }

  get remotePort(): number | undefined {
    return this[kRemote]?.port
  }

  get remoteFamily(): 'IPv4' | undefined {
    return this[kRemote] && 'IPv4'
  }

  get localAddress(): string | undefined {
    return this[kLocalPort] === undefined ? undefined : this[kStack].ip
  }

  get localPort(): number | undefined {
    return this[kLocalPort]
  }

  get localFamily(): 'IPv4' | undefined {
    return this[kLocalPort] === undefined ? undefined : 'IPv4'
  }

  address(): AddressInfo | Record<string, never> {
    const port = this[kLocalPort]
    return port === undefined ? {} : { address: this[kStack].ip, family: 'IPv4', port }
  }

  /**
   * A native stream handle for node:http2, only on a socket offered to it
   * (offerStreamHandle): http2 then reads and writes through it instead of wrapping the
   * socket in a JSStreamSocket (see stream-handle.ts). null otherwise, as on a net.Socket
   * without a handle.
   */
  get _handle(): object | null {
    let direct = this[kStreamHandle]
    if (direct === null && !this.connecting && this[kId] !== NO_ID && !this.destroyed) {
      direct = this[kStreamHandle] = createDirectStream(this) ?? undefined
    }
    return direct ? direct.handle : null
  }

  // ---- options ----

  setNoDelay(noDelay?: boolean): this {
    const enable = noDelay === undefined ? true : Boolean(noDelay)
    if (this.pending) {
      this[kNoDelay] = enable // applied on connect
    } else if (enable !== this[kNoDelay]) {
      this[kNoDelay] = enable
      this[kBinding].tcpSetNoDelay(this[kId], enable)
    }
    return this
  }

  /** initialDelay in ms; 0 keeps the stack's default idle time (2 h). */
  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    const on = Boolean(enable)
    const delay = Math.max(0, Math.floor(Number(initialDelay) || 0))
    if (this.pending) {
      this[kKeepAlive] = on
      this[kKeepAliveDelay] = delay
    } else if (on !== this[kKeepAlive] || (on && delay !== this[kKeepAliveDelay])) {
      this[kKeepAlive] = on
      this[kKeepAliveDelay] = delay
      this[kBinding].tcpSetKeepAlive(this[kId], on, delay)
    }
    return this
  }

  /** Emits 'timeout' after msecs without reads or writes; 0 disables. */
  setTimeout(msecs: number, callback?: () => void): this {
    if (this.destroyed) return this
    if (typeof msecs !== 'number' || !(msecs >= 0) || !Number.isFinite(msecs)) {
      throw invalidOption('msecs', 'a non-negative finite number', msecs)
    }
    if (callback !== undefined && typeof callback !== 'function') {
      throw invalidOption('callback', 'a function', callback)
    }
    // node:http switches a keep-alive connection's timeout off for each request and on
    // again after each response: disabling keeps the Timeout (emitTimeout ignores it) and
    // the same delay again restarts it, rather than a new Timeout twice per request.
    this.timeout = msecs
    if (msecs === 0) {
      if (callback) this.removeListener('timeout', callback)
      return this
    }
    const timer = this[kTimer]
    if (timer !== undefined && getDelay(timer) === msecs) {
      timer.refresh()
    } else {
      clearTimeout(timer)
      this[kTimer] = setTimeout(emitTimeout, msecs, this).unref()
    }
    if (callback) this.once('timeout', callback)
    return this
  }

  /** Restarts the idle timer (node's name; http calls it). */
  _unrefTimer(): void {
    if (this.timeout) this[kTimer]?.refresh()
  }

  ref(): this {
    return setRefed(this, true)
  }

  unref(): this {
    return setRefed(this, false)
  }

  destroySoon(): void {
    if (this.writable) this.end()
    if (this.writableFinished) this.destroy()
    else this.once('finish', () => this.destroy())
  }

  /** Closes with a reset (RST), like net.Socket#resetAndDestroy. */
  resetAndDestroy(): this {
    this[kReset] = true
    return this.destroy()
  }

  // ---- Duplex implementation ----

  _read(): void {
    if (this[kRxPaused] && this[kId] !== NO_ID) {
      this[kRxPaused] = false
      this[kBinding].tcpPause(this[kId], false)
    }
  }

  // The usual case allocates nothing: each chunk goes to the stack at once and the send
  // buffer takes it whole. node:http ends a response with two chunks (_writev): headers
  // and body as one string, and an empty string.
  _write(chunk: Buffer | string, encoding: BufferEncoding, cb: Callback): void {
    if (typeof chunk === 'string') {
      if (this[kWriteString](chunk, encoding, true)) return cb()
      chunk = Buffer.from(chunk, encoding)
    }
    const n = this[kWriteNow](chunk, true)
    if (n === chunk.length) return cb()
    this[kQueue]([chunk], n, cb)
  }

  _writev(chunks: { chunk: Buffer | string, encoding: BufferEncoding }[], cb: Callback): void {
    const lastIndex = lastWithBytes(chunks)
    for (let i = 0; i < chunks.length; i++) {
      let chunk = chunks[i].chunk
      const last = i >= lastIndex
      if (typeof chunk === 'string') {
        if (chunk.length === 0 || this[kWriteString](chunk, chunks[i].encoding, last)) continue
        chunk = Buffer.from(chunk, chunks[i].encoding)
      }
      const n = this[kWriteNow](chunk, last)
      if (n === chunk.length) continue
      const rest = [chunk]
      for (let k = i + 1; k < chunks.length; k++) rest.push(toBuffer(chunks[k]))
      this[kQueue](rest, n, cb)
      return
    }
    cb()
  }

  _final(cb: Callback): void {
    // (A write of the stream handle still waiting for room goes first.)
    if (this.connecting || this[kPending] !== null) {
      this[kFinalCb] = cb // after 'connect', or the pending write
      return
    }
    this[kShutdownNow]()
    cb()
  }

  _destroy(err: Error | null, cb: Callback): void {
    this.connecting = false
    clearTimeout(this[kTimer])
    this[kTimer] = undefined
    const id = this[kId]
    if (id !== NO_ID) {
      // Like close() on a kernel socket: what the stack holds is sent, then FIN. A write
      // left pending resets, so the peer sees ECONNRESET rather than a truncated stream;
      // so does resetAndDestroy(), and destroy() with destroyResets.
      const graceful = !this[kReset] &&
        ((err == null && this[kShutdown]) || (!this[kDestroyResets] && this[kPending] === null))
      this[kRelease]()
      if (graceful) this[kBinding].tcpClose(id)
      else this[kBinding].tcpAbort(id)
    }
    const pending = this[kPending]
    this[kPending] = null
    this[kFinalCb] = null
    this[kStreamHandle]?.close()
    cb(err)
    if (pending) {
      const e = err ?? nodeError(Error, 'ERR_STREAM_DESTROYED', 'Cannot call write after a stream was destroyed')
      process.nextTick(pending.cb, e)
    }
    // Like net.Socket, whose 'close' waits for the handle's close callback: after the
    // current ticks and microtasks, so `await once(socket, 'end')` still sees 'close'.
    setImmediate(emitClose, this, err != null)
    this._server?.[kConnectionClosed]()
  }

  // ---- writing ----

  // `last`: nothing more follows from this write() call, so a chunk that opens a turn
  // (nothing of the socket's unsent or unacknowledged) leaves at once, as write() on a
  // kernel socket sends it, not when the whole callback has returned.

  /** A short string straight into the send buffer, whole; false: write it as a Buffer. */
  [kWriteString](str: string, encoding: BufferEncoding, last = false): boolean {
    const id = this[kId]
    if (this.connecting || id === NO_ID || str.length === 0 || str.length > STRING_MAX_CHARS) return false
    const latin1 = encoding === 'latin1' || encoding === 'binary'
    if (!latin1 && encoding !== 'utf8' && encoding !== 'utf-8') return false
    const n = this[kBinding].tcpWriteString(id, str, latin1, last)
    if (n <= 0) return false // no room now, or an error: the Buffer path handles both
    this[kBytesWritten] += n
    this._unrefTimer()
    return true
  }

  /** Hands a whole Buffer to the stack: the bytes it took, or < 0 (not connected yet, or
   * -errno: the queued write's flush reports it). */
  [kWriteNow](buf: Buffer, last = false): number {
    const id = this[kId]
    if (this.connecting || id === NO_ID) return -1
    if (buf.length === 0) return 0
    const n = this[kBinding].tcpWrite(id, buf, 0, buf.length, last)
    if (n > 0) {
      this[kBytesWritten] += n
      this._unrefTimer()
    }
    return n
  }

  /** What the stack did not take: the pending write, the first buffer from `taken` on
   * (taken < 0: none of it, and it is tried again now unless still connecting). */
  [kQueue](bufs: Buffer[], taken: number, cb: Callback): void {
    this[kPending] = { bufs, index: 0, offset: Math.max(taken, 0), cb }
    if (taken < 0 && !this.connecting) this[kFlush]()
  }

  /** Hands the pending write to the stack until it is done or the send buffer is full. */
  [kFlush](): void {
    const p = this[kPending]
    const id = this[kId]
    if (p === null || id === NO_ID) return
    const binding = this[kBinding]
    let sent = 0
    while (p.index < p.bufs.length) {
      const buf = p.bufs[p.index]
      const len = buf.length - p.offset
      const n = len === 0 ? 0 : binding.tcpWrite(id, buf, p.offset, len)
      if (n < 0) {
        // The id is no live connection natively (-EPIPE; its Ev.Error may still be in this
        // batch): drop it without another native call, then fail the write.
        this[kRelease]()
        this[kPending] = null
        p.cb(errnoException(n, 'write'))
        return
      }
      sent += n
      if (n < len) {
        p.offset += n
        break
      }
      p.index++
      p.offset = 0
    }
    this[kBytesWritten] += sent
    if (sent > 0) this._unrefTimer()
    if (p.index === p.bufs.length) {
      this[kPending] = null
      p.cb()
      const final = this[kFinalCb]
      if (final !== null && !this.connecting && this[kId] !== NO_ID) {
        this[kFinalCb] = null
        this._final(final)
      }
    }
  }

  /** The stream handle's write: Buffers to the stack in order; cb once all are taken
   * (at once when the send buffer takes them, else after Ev.Writable). */
  [kWriteBuffers](bufs: Buffer[], cb: Callback): void {
    const lastIndex = bufs.length - 1
    for (let i = 0; i < bufs.length; i++) {
      const n = this[kWriteNow](bufs[i], i === lastIndex)
      if (n === bufs[i].length) continue
      this[kQueue](i === 0 ? bufs : bufs.slice(i), n, cb)
      return
    }
    cb()
  }

  /** The reader (the stream, or the stream handle's consumer) fell behind: the stack
   * stops reopening the receive window until it reads again. */
  [kPauseRx](): void {
    if (this[kId] !== NO_ID && !this[kRxPaused]) {
      this[kRxPaused] = true
      this[kBinding].tcpPause(this[kId], true)
    }
  }

  /** The stream handle delivered EOF: the socket's own readable side ends ('end',
   * then, without allowHalfOpen, the writable side and 'close'), as a net.Socket's does. */
  [kDirectEnd](): void {
    this.push(null)
    this.resume()
  }

  [kShutdownNow](): void {
    if (this[kId] === NO_ID || this[kShutdown]) return
    this[kShutdown] = true
    this[kBinding].tcpShutdown(this[kId])
  }

  // ---- life cycle, driven by the Stack and the Server ----

  /** Frees the id on the JS side: the Stack stops routing it and stops counting it. */
  [kRelease](): void {
    const id = this[kId]
    this[kId] = NO_ID
    this[kStack][kRemoveHandle](id)
    this[kStack][kUpdateRef](this)
  }

  [kAccepted](id: number, remote: RemoteAddress, localPort: number, paused: boolean): void {
    this[kId] = id
    this[kRemote] = remote
    this[kLocalPort] = localPort
    this[kStack][kAddHandle](id, this)
    this[kStack][kUpdateRef](this)
    if (paused) {
      this[kRxPaused] = true
      this[kBinding].tcpPause(id, true)
      this.pause()
    }
  }

  [kConnecting](id: number, remote: RemoteAddress): void {
    this.connecting = true
    this[kId] = id
    this[kRemote] = remote
    this[kStack][kAddHandle](id, this)
    this[kStack][kUpdateRef](this)
  }

  [kOnConnected](localPort: number): void {
    if (!this.connecting) return
    this.connecting = false
    this[kLocalPort] = localPort
    const id = this[kId]
    if (this[kNoDelay]) this[kBinding].tcpSetNoDelay(id, true)
    if (this[kKeepAlive]) this[kBinding].tcpSetKeepAlive(id, true, this[kKeepAliveDelay])
    this._unrefTimer()
    this.emit('connect')
    this.emit('ready')
    this[kFlush]()
    const final = this[kFinalCb]
    if (final !== null && this[kId] !== NO_ID) {
      this[kFinalCb] = null
      this._final(final)
    }
  }

  [kOnData](buf: Buffer): void {
    this[kBytesRead] += buf.length
    this._unrefTimer()
    const direct = this[kStreamHandle]
    if (direct) return direct.receive(buf)
    if (!this.push(buf)) this[kPauseRx]()
  }

  [kOnEof](): void {
    const direct = this[kStreamHandle]
    if (direct) direct.receive(null)
    else this.push(null)
  }

  [kOnWritable](): void {
    this[kFlush]()
  }

  /** The native socket is already gone (errno: -ECONNRESET...): release without calling
   * the addon, then fail as node:net does (connect errors with the peer's address). */
  [kOnError](errno: number): void {
    const connecting = this.connecting
    this[kRelease]()
    const remote = this[kRemote]
    this.destroy(
      connecting ? errnoException(errno, 'connect', remote?.address, remote?.port) : errnoException(errno, 'read'),
    )
  }
}

/**
 * Lets node:http2 drive a stack socket through a native stream handle of its own, rather
 * than wrapping it in a JSStreamSocket (see stream-handle.ts): for adapters that hand a
 * connected socket to http2 (grpc). Other values are returned untouched.
 */
export function offerStreamHandle<T>(socket: T): T {
  if (socket instanceof Socket && socket[kStreamHandle] === undefined) socket[kStreamHandle] = null
  return socket
}

type SocketListener<E> =
  E extends 'close' ? (hadError: boolean) => void
  : E extends 'data' ? (data: Buffer | string) => void
  : E extends 'error' ? (err: Error) => void
  : () => void

type SocketEvent = 'close' | 'connect' | 'data' | 'drain' | 'end' | 'error' | 'finish' | 'ready' | 'timeout'

// Event signatures as net.Socket declares them (types only; the methods are Duplex's).
export interface Socket {
  on<E extends SocketEvent>(event: E, listener: SocketListener<E>): this
  on(event: string | symbol, listener: (...args: any[]) => void): this
  once<E extends SocketEvent>(event: E, listener: SocketListener<E>): this
  once(event: string | symbol, listener: (...args: any[]) => void): this
  addListener<E extends SocketEvent>(event: E, listener: SocketListener<E>): this
  addListener(event: string | symbol, listener: (...args: any[]) => void): this
  prependListener<E extends SocketEvent>(event: E, listener: SocketListener<E>): this
  prependListener(event: string | symbol, listener: (...args: any[]) => void): this
}
