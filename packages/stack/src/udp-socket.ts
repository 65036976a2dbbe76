// A UDP socket of the stack, shaped like node:dgram's Socket: the same methods, events,
// state machine (unbound -> binding -> bound; sends and connect before 'listening'
// wait in a queue) and errors. Addresses are IPv4 literals: the stack does no DNS.
import { EventEmitter } from 'node:events'
import { constants } from 'node:os'
import { GazelleError, errnoException, systemError } from './errors'
import { formatIPv4, parseIPv4, unpackAddress } from './ip'
import { NativeBinding, UdpCounters, UdpOption } from './native'
import { bufferSizeSystemError, dgramError, missingArgs } from './node-errors'
import type { Stack } from './stack'
import {
  NO_ID, kAddUdp, kBinding, kCounted, kForceClose, kId, kIp, kOnMessage, kOnUdpWritable, kRefed,
  kRemoveUdp, kStack, kUpdateRef,
} from './symbols'
import { setRefed } from './refs'
import {
  ResolvedSocketOptions, SendArgs, SendCallback, bufferSizeArg, noLookup, sendArgs,
  validateNumber, validatePort, validateString,
} from './udp-args'
import type { AddressInfo } from './socket'

export interface RemoteInfo {
  address: string
  family: 'IPv4'
  port: number
  size: number
}

export interface BindOptions {
  port?: number
  address?: string
  exclusive?: boolean
}

type BindState = 'unbound' | 'binding' | 'bound'
type ConnectState = 'disconnected' | 'connecting' | 'connected'

/** A send the socket's budget refused: it goes out, in order, after the next poll. */
interface QueuedSend {
  ip: number
  args: SendArgs
  bytes: number
}

const kOptions = Symbol('options')
const kBindState = Symbol('bindState')
const kConnectState = Symbol('connectState')
const kClosed = Symbol('closed')
const kQueue = Symbol('queue')
const kSendQueue = Symbol('sendQueue')
const kGroups = Symbol('groups')
const kRemote = Symbol('remote')
const kSend = Symbol('send')
const kConnect = Symbol('connect')
const kListen = Symbol('listen')

/** A send the budget refused: retried after Ev.UdpWritable. */
const EAGAIN = -constants.errno.EAGAIN
const EBADF = -constants.errno.EBADF
const EADDRNOTAVAIL = -constants.errno.EADDRNOTAVAIL

const ANY = 0
const BROADCAST = 0xffffffff

function isMulticast(ip: number): boolean {
  return ip >>> 28 === 0xe
}

// Replies go back to the address a message came from: one remembered pair each way
// spares formatting and parsing it per datagram.
let lastIp = -1
let lastText = ''

function ipText(ip: number): string {
  if (ip !== lastIp) {
    lastIp = ip
    lastText = formatIPv4(ip)
  }
  return lastText
}

function textIp(text: string): number | undefined {
  if (text === lastText) return lastIp
  return parseIPv4(text)
}

function forgetQueue(this: UdpSocket): void {
  if (this[kBindState] === 'unbound') this[kQueue] = undefined
}

function emitListening(socket: UdpSocket): void {
  socket[kListen]()
}

export class UdpSocket extends EventEmitter {
  readonly type = 'udp4';

  declare [kStack]: Stack;
  declare [kBinding]: NativeBinding;
  declare [kOptions]: ResolvedSocketOptions;
  /** The native id, from bind (explicit or implicit) to close. */
  [kId] = NO_ID;
  [kRefed] = true;
  [kCounted] = false;
  [kBindState]: BindState = 'unbound';
  [kConnectState]: ConnectState = 'disconnected';
  [kClosed] = false;
  /** Calls waiting for 'listening' (node:dgram's queue). */
  [kQueue]: (() => void)[] | undefined = undefined;
  [kSendQueue]: QueuedSend[] = [];
  /** Multicast groups joined before bind, joined natively when it completes. */
  [kGroups] = new Set<number>();
  [kRemote]: { address: string; port: number } | undefined = undefined;

  /** UDP sockets come from stack.createSocket(). */
  constructor(stack: Stack, options: ResolvedSocketOptions, listener?: (msg: Buffer, rinfo: RemoteInfo) => void) {
    super()
    this[kStack] = stack
    this[kBinding] = stack[kBinding]
    this[kOptions] = options
    if (typeof listener === 'function') this.on('message', listener)
    const { signal } = options
    if (signal !== undefined) {
      const onAbort = () => {
        if (!this[kClosed]) this.close()
      }
      if (signal.aborted) onAbort()
      else {
        signal.addEventListener('abort', onAbort, { once: true })
        this.once('close', () => signal.removeEventListener('abort', onAbort))
      }
    }
  }

  // ---- binding ----

  bind(port?: number, address?: string, callback?: () => void): this
  bind(port?: number, callback?: () => void): this
  bind(callback?: () => void): this
  bind(options: BindOptions, callback?: () => void): this
  bind(...args: unknown[]): this {
    this.#healthCheck()
    if (this[kBindState] !== 'unbound') throw dgramError('ERR_SOCKET_ALREADY_BOUND')
    let [port, address] = args
    if (port !== null && typeof port === 'object') {
      const o = port as BindOptions
      address = o.address || ''
      port = o.port
    } else if (typeof address === 'function') {
      address = ''
    }
    if (typeof port === 'function') port = 0
    const portNumber = port === undefined || port === null ? 0 : validatePort(port, 'options.port', true)
    const host = (address as string | undefined) || '0.0.0.0'
    if (typeof host !== 'string') validateString(host, 'address')
    const ip = parseIPv4(host)
    if (ip === undefined) throw noLookup('address', host)

    const cb = args.length ? args[args.length - 1] : undefined
    if (typeof cb === 'function') {
      const onListening = () => {
        this.removeListener('error', onError)
        cb.call(this)
      }
      const onError = () => this.removeListener('listening', onListening)
      this.once('listening', onListening)
      this.once('error', onError)
    }
    this[kBindState] = 'binding'

    const stack = this[kStack]
    const fail = (errno: number) => {
      this[kBindState] = 'unbound'
      process.nextTick(() => this.emit('error', errnoException(errno, 'bind', host, portNumber)))
      return this
    }
    if (stack.closed) {
      this[kBindState] = 'unbound'
      process.nextTick(() => this.emit('error', new GazelleError('ERR_GAZELLE_STACK_CLOSED', 'the stack is closed')))
      return this
    }
    if (ip !== ANY && ip !== stack[kIp] && ip !== BROADCAST && !isMulticast(ip)) return fail(EADDRNOTAVAIL)
    const binding = this[kBinding]
    const id = binding.udpOpen(this[kOptions].reuseAddr)
    if (id < 0) return fail(id)
    const bound = binding.udpBind(id, ip, portNumber)
    if (bound < 0) {
      binding.udpClose(id)
      return fail(bound)
    }
    this[kId] = id
    stack[kAddUdp](id, this)
    stack[kUpdateRef](this)
    process.nextTick(emitListening, this)
    return this
  }

  /** Second half of bind, on the next tick: options and memberships, then 'listening'. */
  [kListen](): void {
    if (this[kClosed]) return
    this[kBindState] = 'bound'
    const { recvBufferSize, sendBufferSize } = this[kOptions]
    if (recvBufferSize) this.setRecvBufferSize(recvBufferSize)
    if (sendBufferSize) this.setSendBufferSize(sendBufferSize)
    for (const group of this[kGroups]) {
      const rc = this[kBinding].udpMembership(this[kId], group, true)
      if (rc < 0) this.emit('error', errnoException(rc, 'addMembership'))
    }
    this[kGroups].clear()
    this.emit('listening')
    const queue = this[kQueue]
    this[kQueue] = undefined
    this.removeListener(EventEmitter.errorMonitor, forgetQueue)
    if (queue) for (const call of queue) call()
  }

  #enqueue(call: () => void): void {
    if (this[kQueue] === undefined) {
      this[kQueue] = []
      // A failed bind forgets the queue, as node:dgram does.
      this.once(EventEmitter.errorMonitor, forgetQueue)
    }
    this[kQueue]!.push(call)
  }

  #implicitBind(): void {
    if (this[kBindState] === 'unbound') this.bind({ port: 0, exclusive: true })
  }

  // ---- connecting ----

  connect(port: number, address?: string, callback?: () => void): void
  connect(port: number, callback: () => void): void
  connect(port: unknown, address?: unknown, callback?: unknown): void {
    const portNumber = validatePort(port, 'Port', false)
    if (typeof address === 'function') {
      callback = address
      address = ''
    } else if (address === undefined) {
      address = ''
    }
    validateString(address, 'address')
    this.#healthCheck()
    const ip = this.#resolve(address as string)
    if (this[kConnectState] !== 'disconnected') throw dgramError('ERR_SOCKET_DGRAM_IS_CONNECTED')
    this[kConnectState] = 'connecting'
    this.#implicitBind()
    const cb = typeof callback === 'function' ? callback as (err?: Error) => void : undefined
    const connect = () => this[kConnect](ip, portNumber, cb)
    if (this[kBindState] !== 'bound') this.#enqueue(connect)
    else connect()
  }

  [kConnect](ip: number, port: number, cb: ((err?: Error) => void) | undefined): void {
    if (this[kClosed]) return
    if (cb) this.once('connect', cb)
    const address = formatIPv4(ip)
    const rc = this[kBinding].udpConnect(this[kId], ip, port)
    if (rc < 0) {
      this[kConnectState] = 'disconnected'
      const err = errnoException(rc, 'connect', address, port)
      process.nextTick(() => {
        if (cb) {
          this.removeListener('connect', cb)
          cb(err)
        } else {
          this.emit('error', err)
        }
      })
      return
    }
    this[kConnectState] = 'connected'
    this[kRemote] = { address, port }
    process.nextTick(() => this.emit('connect'))
  }

  disconnect(): void {
    if (this[kConnectState] !== 'connected') throw dgramError('ERR_SOCKET_DGRAM_NOT_CONNECTED')
    const rc = this[kBinding].udpDisconnect(this[kId])
    if (rc < 0) throw errnoException(rc, 'connect')
    this[kConnectState] = 'disconnected'
    this[kRemote] = undefined
  }

  remoteAddress(): AddressInfo {
    this.#healthCheck()
    const remote = this[kRemote]
    if (this[kConnectState] !== 'connected' || remote === undefined) {
      throw dgramError('ERR_SOCKET_DGRAM_NOT_CONNECTED')
    }
    return { address: remote.address, family: 'IPv4', port: remote.port }
  }

  // ---- sending ----

  send(msg: Buffer | string | ArrayBufferView | readonly (Buffer | string | ArrayBufferView)[],
    port?: number, address?: string, callback?: SendCallback): void
  send(msg: Buffer | string | ArrayBufferView | readonly (Buffer | string | ArrayBufferView)[],
    port?: number, callback?: SendCallback): void
  send(msg: Buffer | string | ArrayBufferView | readonly (Buffer | string | ArrayBufferView)[],
    callback?: SendCallback): void
  send(msg: Buffer | string | ArrayBufferView, offset: number, length: number,
    port?: number, address?: string, callback?: SendCallback): void
  send(msg: Buffer | string | ArrayBufferView, offset: number, length: number,
    port?: number, callback?: SendCallback): void
  send(msg: Buffer | string | ArrayBufferView, offset: number, length: number,
    callback?: SendCallback): void
  send(...args: unknown[]): void {
    const connected = this[kConnectState] === 'connected'
    const a = sendArgs(connected, args)
    this.#healthCheck()
    const ip = connected ? ANY : this.#resolve(a.address)
    this.#implicitBind()
    if (this[kBindState] !== 'bound') {
      this.#enqueue(() => this[kSend](ip, a))
      return
    }
    this[kSend](ip, a)
  }

  [kSend](ip: number, a: SendArgs): void {
    if (this[kClosed]) return
    let bytes = 0
    for (const b of a.list) bytes += b.length
    const queue = this[kSendQueue]
    if (queue.length > 0) {
      queue.push({ ip, args: a, bytes }) // behind earlier refused sends, in order
      return
    }
    this.#sendNow({ ip, args: a, bytes })
  }

  /** False if the send budget refused it (it stays queued). */
  #sendNow(q: QueuedSend): boolean {
    const { list, port, address, callback } = q.args
    const rc = this[kBinding].udpSend(this[kId], q.ip, port ?? 0, list.length === 1 ? list[0] : list)
    if (rc === EAGAIN) {
      if (this[kSendQueue][0] !== q) this[kSendQueue].push(q)
      return false
    }
    if (callback) {
      if (rc < 0) process.nextTick(callback, errnoException(rc, 'send', address, port))
      else process.nextTick(callback, null, rc)
    }
    return true
  }

  [kOnUdpWritable](): void {
    const queue = this[kSendQueue]
    while (queue.length > 0 && this[kId] !== NO_ID) {
      if (!this.#sendNow(queue[0])) return
      queue.shift()
    }
  }

  /** Bytes waiting for the send budget (node:dgram: bytes queued in libuv). */
  getSendQueueSize(): number {
    return this[kSendQueue].reduce((n, q) => n + q.bytes, 0)
  }

  getSendQueueCount(): number {
    return this[kSendQueue].length
  }

  // ---- closing ----

  close(callback?: () => void): this {
    if (typeof callback === 'function') this.on('close', callback)
    if (this[kQueue] !== undefined) {
      this[kQueue]!.push(() => this.close())
      return this
    }
    this.#healthCheck()
    this[kClosed] = true
    const id = this[kId]
    if (id !== NO_ID) {
      this[kId] = NO_ID
      this[kStack][kRemoveUdp](id)
      this[kStack][kUpdateRef](this)
      if (!this[kStack].closed) this[kBinding].udpClose(id)
    }
    // Like libuv closing a handle: sends still waiting fail with ECANCELED.
    for (const q of this[kSendQueue].splice(0)) {
      const { callback: cb, address, port } = q.args
      if (cb) process.nextTick(cb, systemError('ECANCELED', 'send', address, port))
    }
    process.nextTick(() => this.emit('close'))
    return this
  }

  [kForceClose](): void {
    this[kQueue] = undefined
    if (!this[kClosed]) this.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this[kClosed]) return
    await new Promise<void>((resolve) => this.close(resolve))
  }

  // ---- addresses ----

  address(): AddressInfo {
    const id = this.#native('getsockname')
    const a = this[kBinding].udpAddress(id)
    if (typeof a === 'number') throw errnoException(a, 'getsockname')
    return { address: formatIPv4(a.localIp), family: 'IPv4', port: a.localPort }
  }

  // ---- options ----

  setBroadcast(flag: boolean): void {
    this.#option('setBroadcast', UdpOption.Broadcast, flag ? 1 : 0)
  }

  setTTL(ttl: number): number {
    validateNumber(ttl, 'ttl')
    this.#option('setTTL', UdpOption.Ttl, ttl | 0)
    return ttl
  }

  setMulticastTTL(ttl: number): number {
    validateNumber(ttl, 'ttl')
    this.#option('setMulticastTTL', UdpOption.MulticastTtl, ttl | 0)
    return ttl
  }

  setMulticastLoopback(flag: boolean): boolean {
    this.#option('setMulticastLoopback', UdpOption.MulticastLoop, flag ? 1 : 0)
    return flag
  }

  /** The stack has one interface: its own address, or "0.0.0.0" for the default. */
  setMulticastInterface(interfaceAddress: string): void {
    this.#healthCheck()
    validateString(interfaceAddress, 'interfaceAddress')
    const ip = parseIPv4(interfaceAddress)
    if (ip === undefined) throw systemError('EINVAL', 'setMulticastInterface')
    if (ip !== ANY && ip !== this[kStack][kIp]) throw systemError('EADDRNOTAVAIL', 'setMulticastInterface')
    this.#option('setMulticastInterface', UdpOption.MulticastInterface, ip)
  }

  addMembership(multicastAddress: string, interfaceAddress?: string): void {
    this.#membership('addMembership', multicastAddress, interfaceAddress, true)
  }

  dropMembership(multicastAddress: string, interfaceAddress?: string): void {
    this.#membership('dropMembership', multicastAddress, interfaceAddress, false)
  }

  setRecvBufferSize(size: number): void {
    this.#bufferSize(size, 'uv_recv_buffer_size', UdpOption.RecvBuffer)
  }

  setSendBufferSize(size: number): void {
    this.#bufferSize(size, 'uv_send_buffer_size', UdpOption.SendBuffer)
  }

  getRecvBufferSize(): number {
    return this.#bufferSize(0, 'uv_recv_buffer_size', UdpOption.RecvBuffer)
  }

  getSendBufferSize(): number {
    return this.#bufferSize(0, 'uv_send_buffer_size', UdpOption.SendBuffer)
  }

  ref(): this {
    return setRefed(this, true)
  }

  unref(): this {
    return setRefed(this, false)
  }

  /** Datagrams and bytes this socket sent and received, and receive-buffer drops. */
  stats(): UdpCounters | undefined {
    if (this[kId] === NO_ID) return undefined
    const c = this[kBinding].udpCounters(this[kId])
    return typeof c === 'number' ? undefined : c
  }

  // ---- from the Stack's dispatch ----

  [kOnMessage](msg: Buffer, packed: number): void {
    const { ip, port } = unpackAddress(packed)
    this.emit('message', msg, { address: ipText(ip), family: 'IPv4', port, size: msg.length })
  }

  // ---- helpers ----

  #healthCheck(): void {
    if (this[kClosed]) throw dgramError('ERR_SOCKET_DGRAM_NOT_RUNNING')
  }

  /** The native id, or node's EBADF for a socket that is not bound yet. */
  #native(syscall: string): number {
    this.#healthCheck()
    if (this[kId] === NO_ID) throw systemError('EBADF', syscall)
    return this[kId]
  }

  #option(syscall: string, option: UdpOption, value: number): void {
    const id = this.#native(syscall)
    const rc = this[kBinding].udpSetOption(id, option, value >>> 0)
    if (rc < 0) throw errnoException(rc, syscall)
  }

  #bufferSize(size: number, syscall: string, option: UdpOption): number {
    bufferSizeArg(size)
    this.#healthCheck()
    if (this[kId] === NO_ID) throw bufferSizeSystemError(syscall, EBADF)
    const binding = this[kBinding]
    const rc = size === 0 ? binding.udpGetOption(this[kId], option) : binding.udpSetOption(this[kId], option, size)
    if (rc < 0) throw bufferSizeSystemError(syscall, rc)
    return rc
  }

  #membership(syscall: string, group: unknown, iface: unknown, join: boolean): void {
    this.#healthCheck()
    if (!group) throw missingArgs('multicastAddress')
    const ip = parseIPv4(String(group))
    if (ip === undefined || !isMulticast(ip)) throw systemError('EINVAL', syscall)
    if (iface !== undefined && iface !== null) {
      const local = parseIPv4(String(iface))
      if (local === undefined) throw systemError('EINVAL', syscall)
      if (local !== ANY && local !== this[kStack][kIp]) throw systemError('ENODEV', syscall)
    }
    if (this[kId] === NO_ID || this[kBindState] !== 'bound') {
      const groups = this[kGroups]   // joined natively once bound
      if (join && groups.has(ip)) throw systemError('EADDRINUSE', syscall)
      if (!join && !groups.has(ip)) throw systemError('EADDRNOTAVAIL', syscall)
      if (join) groups.add(ip)
      else groups.delete(ip)
      return
    }
    const rc = this[kBinding].udpMembership(this[kId], ip, join)
    if (rc < 0) throw errnoException(rc, syscall)
  }

  /** A destination: an IPv4 literal; none (or "localhost") is the stack's own address. */
  #resolve(address: string | undefined): number {
    if (address === undefined || address === '' || address === 'localhost') return this[kStack][kIp]
    const ip = textIp(address)
    if (ip === undefined) throw noLookup('address', address)
    return ip
  }
}

type UdpSocketListener<E> =
  E extends 'message' ? (msg: Buffer, rinfo: RemoteInfo) => void
  : E extends 'error' ? (err: Error) => void
  : () => void

type UdpSocketEvent = 'close' | 'connect' | 'error' | 'listening' | 'message'

// Event signatures as dgram.Socket declares them (types only; the methods are EventEmitter's).
export interface UdpSocket {
  on<E extends UdpSocketEvent>(event: E, listener: UdpSocketListener<E>): this
  on(event: string | symbol, listener: (...args: any[]) => void): this
  once<E extends UdpSocketEvent>(event: E, listener: UdpSocketListener<E>): this
  once(event: string | symbol, listener: (...args: any[]) => void): this
  addListener<E extends UdpSocketEvent>(event: E, listener: UdpSocketListener<E>): this
  addListener(event: string | symbol, listener: (...args: any[]) => void): this
}
