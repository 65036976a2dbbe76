// Writes of a routed net.Socket: node's Writable calls _write/_writev, which would go
// through the handle (a native write, the JSStream calling back into JS to hand the data
// to the stack, a completion back through native code). For a connected socket over a
// stack socket they go straight to the stack instead: same data, same order, node's own
// errors; the handle's bytesWritten counts them. Anything else (kernel sockets,
// connecting sockets, TLS and HTTP/2, which write through the handle natively) is
// untouched.
import * as net from 'node:net'
import { RoutedStream } from '../stream-handle'

type Callback = (err?: Error | null) => void
type Chunk = { chunk: Buffer | string; encoding: BufferEncoding }
type WriteInternals = net.Socket & { _handle: unknown }

function routed(socket: WriteInternals): RoutedStream | undefined {
  const r = RoutedStream.of(socket._handle)
  return r !== undefined && r.writesDirect(socket) ? r : undefined
}

const toBuffer = (chunk: Buffer | string, encoding: BufferEncoding) =>
  typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk

export function installWriteHook(): void {
  const proto = net.Socket.prototype as unknown as {
    _write(this: WriteInternals, data: Buffer | string, encoding: BufferEncoding, cb: Callback): void
    _writev(this: WriteInternals, chunks: Chunk[], cb: Callback): void
  }
  const write = proto._write
  const writev = proto._writev
  proto._write = function _write(this: WriteInternals, data, encoding, cb) {
    const r = routed(this)
    if (r === undefined) return write.call(this, data, encoding, cb)
    r.writeDirect(this, [toBuffer(data, encoding)], cb)
  }
  proto._writev = function _writev(this: WriteInternals, chunks, cb) {
    const r = routed(this)
    if (r === undefined) return writev.call(this, chunks, cb)
    r.writeDirect(this, chunks.map((c) => toBuffer(c.chunk, c.encoding)), cb)
  }
}
