// The Node.js internals the register builds on, looked up once and checked at start.
// Each one is an undocumented but long-stable seam of Node 20's lib/net.js, dgram.js and
// util.js; if one is missing the register refuses with one line naming it, rather than
// failing later inside a user's request.
import * as net from 'node:net'
import * as util from 'node:util'
import { constants } from 'node:os'

/** The native StreamBase whose I/O calls back into JS (node's src/js_stream.cc). */
export interface JSStreamHandle {
  readBuffer(buf: Buffer): void
  emitEOF(): void
  finishWrite(req: object, status: number): void
  finishShutdown(req: object, status: number): void
  readStart(): number
  readStop(): number
  getAsyncId(): number
  readonly bytesRead: number
  readonly bytesWritten: number
  onread?: unknown
  reading?: boolean
  [key: string]: unknown
  [key: symbol]: unknown
}

/** A kernel TCP listen handle (TCPWrap) as net._createServerHandle returns it. */
export interface KernelServerHandle {
  listen(backlog: number): number
  close(cb?: () => void): void
  ref(): void
  unref(): void
  getsockname(out: Record<string, unknown>): number
  onconnection: ((err: number, clientHandle: unknown) => void) | null
  fd?: number
  [key: symbol]: unknown
}

export interface NodeInternals {
  JSStream: new () => JSStreamHandle
  /** net.Socket.prototype[kReinitializeHandle](handle): swaps a socket's handle. */
  kReinitializeHandle: symbol
  /** handle[owner_symbol] === the net.Socket / net.Server / dgram.Socket using it. */
  ownerSymbol: symbol
  /** Marks net._normalizeArgs() results. */
  normalizedArgs: symbol
  createServerHandle: (address: string | null, port: number, addressType: number, fd?: number, flags?: number) =>
    KernelServerHandle | number
  /** Node's own error builders (util._errnoException / util._exceptionWithHostPort). */
  errnoException: (err: number, syscall: string) => NodeJS.ErrnoException
  exceptionWithHostPort: (err: number, syscall: string, address: string, port?: number) => NodeJS.ErrnoException
}

/** libuv's negative error number for an errno name (Linux: -errno). */
export function uvCode(name: string): number {
  const n = (constants.errno as Record<string, number>)[name]
  return n === undefined ? -(constants.errno.EIO) : -n
}

function loadJSStream(): (new () => JSStreamHandle) | undefined {
  try {
    const binding = (process as unknown as { binding(name: string): { JSStream?: new () => JSStreamHandle } }).binding('js_stream')
    return binding.JSStream
  } catch {
    return undefined // --experimental-permission denies process.binding
  }
}

/** The internals, or the list of what is missing. */
export function probeInternals(): NodeInternals | string[] {
  const missing: string[] = []
  const JSStream = loadJSStream()
  if (typeof JSStream !== 'function') missing.push("process.binding('js_stream').JSStream")
  const symbols = Object.getOwnPropertySymbols(net.Socket.prototype)
  const kReinitializeHandle = symbols.find((s) => s.description === 'kReinitializeHandle')
  if (!kReinitializeHandle) missing.push('net.Socket.prototype[kReinitializeHandle]')
  const normalized = (net as unknown as { _normalizeArgs?: (a: unknown[]) => object })._normalizeArgs
  const normalizedArgs = typeof normalized === 'function'
    ? Object.getOwnPropertySymbols(normalized([])).find((s) => s.description === 'normalizedArgs')
    : undefined
  if (!normalizedArgs) missing.push('net._normalizeArgs')
  const createServerHandle = (net as unknown as { _createServerHandle?: NodeInternals['createServerHandle'] })._createServerHandle
  if (typeof createServerHandle !== 'function') missing.push('net._createServerHandle')
  if (typeof (net.Server.prototype as unknown as { _listen2?: unknown })._listen2 !== 'function') missing.push('net.Server.prototype._listen2')
  const u = util as unknown as { _errnoException?: unknown; _exceptionWithHostPort?: unknown }
  if (typeof u._errnoException !== 'function' || typeof u._exceptionWithHostPort !== 'function') {
    missing.push('util._errnoException / util._exceptionWithHostPort')
  }
  let ownerSymbol: symbol | undefined
  if (JSStream) {
    // net.Socket({ handle }) tags the handle with its owner under node's owner_symbol.
    // (The socket holds nothing native: it is left to the garbage collector.)
    const probe = new JSStream()
    void new net.Socket({ handle: probe as never, manualStart: true } as net.SocketConstructorOpts)
    ownerSymbol = Object.getOwnPropertySymbols(probe).find((s) => s.description === 'owner_symbol')
    if (!ownerSymbol) missing.push('owner_symbol')
  }
  if (missing.length) return missing
  return {
    JSStream: JSStream!,
    kReinitializeHandle: kReinitializeHandle!,
    ownerSymbol: ownerSymbol!,
    normalizedArgs: normalizedArgs!,
    createServerHandle: createServerHandle!,
    errnoException: u._errnoException as NodeInternals['errnoException'],
    exceptionWithHostPort: u._exceptionWithHostPort as NodeInternals['exceptionWithHostPort'],
  }
}
