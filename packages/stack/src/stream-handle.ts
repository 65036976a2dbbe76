// node:http2 straight on a stack Socket. http2 drives a connection through a native
// stream handle (a StreamBase: it reads into nghttp2 and writes nghttp2's frames in C++);
// a socket without one it wraps in node's JSStreamSocket, a whole net.Socket (its own
// Readable/Writable) over a JSStream handle whose reads come from our 'data' events and
// whose writes go through our Writable (cork, a write per buffer, uncork, a tick for the
// callbacks, a setImmediate to finish). Here the JSStream handle is the Socket's own:
// received data goes from the stack to handle.readBuffer() and nghttp2's frames from
// onwrite() to the stack, skipping both stream layers. (JSStream is what JSStreamSocket
// and @gazelle/register build on; process.binding('js_stream') is its only door.)
//
// Only for a socket offered with offerStreamHandle() (an adapter that hands it to
// http2), made when http2 first asks for socket._handle: node:http's server would
// consume any socket's StreamBase handle too. A TLS wrapper never asks (a stack Socket
// is no net.Socket: TLSSocket wraps it in a JSStreamSocket, which uses it as a Duplex).
//
// Completion rules (node's expectations of a stream handle):
// - onwrite(req, bufs) returns 0; finishWrite(req, status) comes after onwrite returned,
//   once the stack took every byte (in a tick when it took them at once: JSStreamSocket's
//   setImmediate measured no fewer instructions per gRPC call); one write in flight at a time;
// - onshutdown(req) waits for that write, then half-closes; a handle whose socket is
//   destroyed finishes both with ECANCELED from the event loop, like uv_close;
// - data never arrives inside readStart(), nor after readStop() (it waits, queued).
//   http2 stops reading while a write is in flight and starts again when it finishes.
// - EOF goes to the consumer, which hands it back to the handle's onread: the socket's
//   own readable side ends then ('end', then 'close' as usual), which ends the session.
import { constants } from 'node:os'
import type { Socket } from './socket'
import { kDirectEnd, kPauseRx, kWriteBuffers } from './symbols'

interface JSStreamHandle {
  readBuffer(buf: Buffer): void
  emitEOF(): void
  finishWrite(req: object, status: number): void
  finishShutdown(req: object, status: number): void
  onread: unknown
}

type JSStreamClass = new () => JSStreamHandle

const UV_ECANCELED = -constants.errno.ECANCELED
const UV_EPIPE = -constants.errno.EPIPE
/** Bytes queued while http2 is not reading before the stack stops the peer (window). */
const QUEUE_PAUSE_BYTES = 64 * 1024

let handleClass: (new (d: DirectStream) => JSStreamHandle) | null | undefined

function errorStatus(err: Error | null | undefined): number {
  if (!err) return 0
  const errno = (err as NodeJS.ErrnoException).errno
  return typeof errno === 'number' && errno < 0 ? errno : UV_EPIPE
}

function noop(): void {}

/** The JSStream subclass (prototype methods keep each handle a fast-mode object), or
 * null where node offers no JSStream (then http2 wraps the socket as before). */
function makeHandleClass(): (new (d: DirectStream) => JSStreamHandle) | null {
  let JSStream: JSStreamClass | undefined
  try {
    JSStream = (process as unknown as { binding(name: string): { JSStream?: JSStreamClass } }).binding('js_stream').JSStream
  } catch {
    return null // --experimental-permission denies process.binding
  }
  if (typeof JSStream !== 'function') return null
  class DirectHandle extends JSStream {
    readonly direct: DirectStream
    constructor(d: DirectStream) {
      super()
      this.direct = d
      // EOF the consumer passes back (its reads go to nghttp2): the socket ends by itself.
      this.onread = noop
    }

    isClosing() {
      const s = this.direct.socket
      return !s.readable || !s.writable
    }

    onreadstart() {
      return this.direct.readStart()
    }

    onreadstop() {
      return this.direct.readStop()
    }

    onwrite(req: object, bufs: Buffer[]) {
      return this.direct.write(req, bufs)
    }

    onshutdown(req: object) {
      return this.direct.shutdown(req)
    }

    close(cb?: () => void) {
      this.direct.socket.destroy()
      setImmediate(cb ?? noop)
    }
  }
  return DirectHandle
}

/** A Socket's side of its stream handle: what the consumer reads and writes. */
export class DirectStream {
  readonly socket: Socket
  readonly handle: JSStreamHandle
  #reading = true // a consumer takes over a reading handle
  #closed = false
  /** Data (or EOF: null) that came while the consumer was not reading. */
  #queued: (Buffer | null)[] = []
  #queuedBytes = 0
  #writeReq: object | null = null
  #writing = false
  #shutdownReq: object | null = null
  #pendingShutdown: object | null = null
  #sync = false
  /** The write's completion (err from the socket's write), made once. */
  readonly #afterWrite = (err?: Error | null): void => {
    this.#writing = false
    if (this.#sync) process.nextTick(finishWriteLater, this, errorStatus(err))
    else this.finishWrite(errorStatus(err))
  }

  constructor(socket: Socket, Handle: new (d: DirectStream) => JSStreamHandle) {
    this.socket = socket
    this.handle = new Handle(this)
  }

  /** From the stack (the socket's data, or null at EOF). */
  receive(chunk: Buffer | null): void {
    if (this.#closed) return
    if (!this.#reading || this.#queued.length > 0) {
      this.#queued.push(chunk)
      if (chunk !== null && (this.#queuedBytes += chunk.length) >= QUEUE_PAUSE_BYTES) this.socket[kPauseRx]()
      return
    }
    this.#deliver(chunk)
  }

  #deliver(chunk: Buffer | null): void {
    if (chunk === null) {
      this.handle.emitEOF()
      this.socket[kDirectEnd]()
    } else {
      this.handle.readBuffer(chunk)
    }
  }

  readStart(): number {
    this.#reading = true
    // Never from inside readStart(): the consumer calls it in the middle of its own work.
    if (this.#queued.length > 0) process.nextTick(drain, this)
    return 0
  }

  readStop(): number {
    this.#reading = false
    return 0
  }

  drainQueued(): void {
    while (this.#reading && this.#queued.length > 0 && !this.#closed) {
      const chunk = this.#queued.shift()!
      if (chunk !== null) this.#queuedBytes -= chunk.length
      this.#deliver(chunk)
    }
    if (this.#reading && this.#queued.length === 0 && !this.#closed) this.socket._read()
  }

  write(req: object, bufs: Buffer[]): number {
    if (this.#closed) return UV_EPIPE
    this.#writeReq = req
    this.#writing = true
    this.#sync = true
    this.socket[kWriteBuffers](bufs, this.#afterWrite)
    this.#sync = false
    return 0
  }

  finishWrite(status: number): void {
    const req = this.#writeReq
    if (req === null) return
    this.#writeReq = null
    this.handle.finishWrite(req, status)
    const shutdown = this.#pendingShutdown
    if (shutdown !== null && this.#writeReq === null && !this.#writing) {
      this.#pendingShutdown = null
      this.shutdown(shutdown)
    }
  }

  shutdown(req: object): number {
    if (this.#writeReq !== null || this.#writing) {
      this.#pendingShutdown = req
      return 0
    }
    this.#shutdownReq = req
    process.nextTick(endSocket, this)
    return 0
  }

  endSocket(): void {
    this.socket.end(() => this.#finishShutdown(0))
  }

  #finishShutdown(status: number): void {
    const req = this.#shutdownReq
    if (req === null) return
    this.#shutdownReq = null
    this.handle.finishShutdown(req, status)
  }

  /** The socket is destroyed: what the consumer waits for is cancelled. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#queued.length = 0
    setImmediate(() => {
      this.finishWrite(UV_ECANCELED)
      this.#pendingShutdown = null
      this.#finishShutdown(UV_ECANCELED)
    })
  }
}

function drain(d: DirectStream): void {
  d.drainQueued()
}

function finishWriteLater(d: DirectStream, status: number): void {
  d.finishWrite(status)
}

function endSocket(d: DirectStream): void {
  d.endSocket()
}

/** The socket's stream handle, or null where node has no JSStream. */
export function createDirectStream(socket: Socket): DirectStream | null {
  if (handleClass === undefined) handleClass = makeHandleClass()
  return handleClass === null ? null : new DirectStream(socket, handleClass)
}
