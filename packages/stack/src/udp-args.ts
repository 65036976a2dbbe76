// Argument handling of the UDP socket, call for call as node:dgram does it: the same
// overloads, the same checks in the same order, the same errors (node-errors.ts).
import { isArrayBufferView } from 'node:util/types'
import { GazelleError } from './errors'
import {
  badPort, bufferOutOfBounds, dgramError, invalidArgType, nodeError, outOfRange,
} from './node-errors'
import { invalidOption } from './validate'

export type SocketType = 'udp4'

export interface UdpSocketOptions {
  type: SocketType
  /** Several sockets may bind the same port (each gets multicast and broadcast). */
  reuseAddr?: boolean
  /** Bytes of received datagrams one poll may hold for the socket; beyond, datagrams are dropped. */
  recvBufferSize?: number
  /** Bytes the socket may hand the port between two polls; beyond, sends wait (in order). */
  sendBufferSize?: number
  /** Closes the socket when aborted. */
  signal?: AbortSignal
}

export interface ResolvedSocketOptions {
  reuseAddr: boolean
  recvBufferSize: number | undefined
  sendBufferSize: number | undefined
  signal?: AbortSignal
}

export type SendCallback = (error: Error | null, bytes?: number) => void

export interface SendArgs {
  list: Buffer[]
  port: number | undefined
  address: string | undefined
  callback: SendCallback | undefined
}

const BUFFER_TYPES = 'of type string or an instance of Buffer, TypedArray, or DataView'

function validateUint32(value: unknown, name: string): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value)
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value)
  if (value < 0 || value > 4294967295) throw outOfRange(name, '>= 0 && <= 4294967295', value)
  return value
}

/** createSocket(type | options): the options node:dgram takes (udp4 only: the stack is IPv4). */
export function socketOptions(typeOrOptions: unknown): ResolvedSocketOptions {
  const options = typeOrOptions !== null && typeof typeOrOptions === 'object'
    ? typeOrOptions as Record<string, unknown>
    : undefined
  const type = options ? options.type : typeOrOptions
  if (options?.recvBufferSize) validateUint32(options.recvBufferSize, 'options.recvBufferSize')
  if (options?.sendBufferSize) validateUint32(options.sendBufferSize, 'options.sendBufferSize')
  if (type === 'udp6') throw invalidOption('type', '"udp4" (the stack is IPv4 only)', type)
  if (type !== 'udp4') {
    throw nodeError(TypeError, 'ERR_SOCKET_BAD_TYPE', 'Bad socket type specified. Valid types are: udp4, udp6')
  }
  const signal = options?.signal
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw invalidArgType('options.signal', 'an instance of AbortSignal', signal)
  }
  return {
    reuseAddr: Boolean(options?.reuseAddr),
    recvBufferSize: (options?.recvBufferSize as number | undefined) || undefined,
    sendBufferSize: (options?.sendBufferSize as number | undefined) || undefined,
    ...(signal !== undefined && { signal }),
  }
}

/** A port as Node checks it (numbers and numeric strings), returned as a number. */
export function validatePort(value: unknown, name = 'Port', allowZero = true): number {
  const ok = (typeof value === 'number' || (typeof value === 'string' && value.trim().length > 0)) &&
    +value === (+value >>> 0) && +value <= 0xffff && (allowZero || value !== 0)
  if (!ok) throw badPort(name, value, allowZero)
  return +(value as number | string) | 0
}

export function validateString(value: unknown, name: string): string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value)
  return value
}

export function validateNumber(value: unknown, name: string): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value)
  return value
}

function sliceBuffer(buffer: unknown, offset: unknown, length: unknown): Buffer {
  let view: ArrayBufferView
  if (typeof buffer === 'string') view = Buffer.from(buffer)
  else if (isArrayBufferView(buffer)) view = buffer
  else throw invalidArgType('buffer', BUFFER_TYPES, buffer)
  const start = (offset as number) >>> 0
  const len = (length as number) >>> 0
  if (start > view.byteLength) throw bufferOutOfBounds('offset')
  if (start + len > view.byteLength) throw bufferOutOfBounds('length')
  return Buffer.from(view.buffer, view.byteOffset + start, len)
}

function asBuffer(item: unknown): Buffer | null {
  if (typeof item === 'string') return Buffer.from(item)
  if (!isArrayBufferView(item)) return null
  return Buffer.isBuffer(item) ? item : Buffer.from(item.buffer, item.byteOffset, item.byteLength)
}

function bufferList(buffer: unknown): Buffer[] {
  if (!Array.isArray(buffer)) {
    const one = asBuffer(buffer)
    if (one === null) throw invalidArgType('buffer', BUFFER_TYPES, buffer)
    return [one]
  }
  const list: Buffer[] = []
  for (const item of buffer) {
    const b = asBuffer(item)
    if (b === null) throw invalidArgType('buffer list arguments', BUFFER_TYPES, buffer)
    list.push(b)
  }
  return list
}

/**
 * send()'s overloads, as node:dgram reads them:
 *   unconnected: (msg, [offset, length,] port[, address][, callback])
 *   connected:   (msg, [offset, length,][callback])
 */
export function sendArgs(connected: boolean, args: unknown[]): SendArgs {
  let [buffer, offset, length, port, address, callback] = args
  if (!connected) {
    if (address || (port && typeof port !== 'function')) {
      buffer = sliceBuffer(buffer, offset, length)
    } else {
      callback = port
      port = offset
      address = length
    }
  } else {
    if (typeof length === 'number') {
      buffer = sliceBuffer(buffer, offset, length)
      if (typeof port === 'function') {
        callback = port
        port = null
      }
    } else {
      callback = offset
    }
    if (port || address) throw dgramError('ERR_SOCKET_DGRAM_IS_CONNECTED')
  }
  const list = bufferList(buffer)
  const portNumber = connected ? undefined : validatePort(port, 'Port', false)
  if (typeof callback !== 'function') callback = undefined
  if (typeof address === 'function') {
    callback = address
    address = undefined
  } else if (address !== undefined && address !== null) {
    validateString(address, 'address')
  }
  if (list.length === 0) list.push(Buffer.alloc(0))
  return {
    list,
    port: portNumber,
    address: (address ?? undefined) as string | undefined,
    callback: callback as SendCallback | undefined,
  }
}

/** setRecvBufferSize/setSendBufferSize: a uint32 or ERR_SOCKET_BAD_BUFFER_SIZE. */
export function bufferSizeArg(size: unknown): number {
  if ((size as number) >>> 0 !== size) {
    throw nodeError(TypeError, 'ERR_SOCKET_BAD_BUFFER_SIZE', 'Buffer size must be a positive integer')
  }
  return size as number
}

/** The stack resolves no names: an address is an IPv4 literal. */
export function noLookup(name: string, value: string): GazelleError {
  return invalidOption(name, 'an IPv4 address like "10.0.0.2" (the stack does no DNS lookups)', value)
}
