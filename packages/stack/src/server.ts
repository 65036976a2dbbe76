// A TCP listener of the stack, shaped like net.Server.
import { EventEmitter } from 'node:events'
import { GazelleError, errnoException, systemError } from './errors'
import { formatIPv4, parseIPv4, unpackAddress } from './ip'
import type { NativeBinding } from './native'
import { nodeError } from './node-errors'
import { AddressInfo, Socket } from './socket'
import type { Stack } from './stack'
import {
  NO_ID, kAccepted, kAddHandle, kBinding, kConnectionClosed, kCounted, kId, kIp, kOnAccept, kRefed,
  kRemoveHandle, kStack, kUpdateRef,
} from './symbols'
import { setRefed } from './refs'
import { boolean, integer, invalidOption, isObject, port as validPort } from './validate'

export interface ServerOptions {
  /** Accepted sockets keep their writable side open after the peer ends. Default false. */
  allowHalfOpen?: boolean
  /** Accepted sockets start paused (no reads until resume()). Default false. */
  pauseOnConnect?: boolean
  noDelay?: boolean
  keepAlive?: boolean
  /** ms; 0 keeps the stack's default. */
  keepAliveInitialDelay?: number
  /** readable and writable highWaterMark of accepted sockets. */
  highWaterMark?: number
  /** true: accepted sockets' destroy() resets the connection. false (default): it
   * closes like net.Socket's (see SocketOptions.destroyResets). */
  destroyResets?: boolean
}

export interface ListenOptions {
  port?: number | string
  /** The stack's own IPv4 address, or "0.0.0.0" / "::" / undefined for any. */
  host?: string
  backlog?: number
}

export interface DropInfo {
  localAddress: string
  localPort: number
  localFamily: 'IPv4'
  remoteAddress: string
  remotePort: number
  remoteFamily: 'IPv4'
}

const kConnections = Symbol('connections')
const kAddress = Symbol('address')
const kEmitCloseIfDrained = Symbol('emitCloseIfDrained')
const ANY_HOSTS = new Set(['0.0.0.0', '::', ''])
const DEFAULT_BACKLOG = 511

function emitListening(server: Server): void {
  if (server.listening) server.emit('listening')
}

function emitError(server: Server, err: Error): void {
  server.emit('error', err)
}

function emitClose(server: Server): void {
  server.emit('close')
}

/** 0 for any address; throws for anything that is not an IPv4 literal. */
function listenIp(host: unknown): number {
  if (host === undefined || host === null || (typeof host === 'string' && ANY_HOSTS.has(host))) return 0
  const ip = parseIPv4(host)
  if (ip === undefined) {
    throw invalidOption('options.host', 'an IPv4 address (the stack\'s own) or "0.0.0.0"', host)
  }
  return ip
}

export class Server extends EventEmitter {
  /** Connections beyond this are closed on accept and reported with 'drop' (0/unset: no limit). */
  declare maxConnections?: number;
  readonly allowHalfOpen: boolean;
  readonly pauseOnConnect: boolean;
  readonly noDelay: boolean;
  readonly keepAlive: boolean;
  readonly keepAliveInitialDelay: number;
  readonly highWaterMark: number | undefined;
  readonly destroyResets: boolean;

  declare [kStack]: Stack;
  declare [kBinding]: NativeBinding;
  [kId] = NO_ID;
  [kRefed] = true;
  [kCounted] = false;
  [kConnections] = 0;
  [kAddress]: AddressInfo | null = null;

  /** Servers come from stack.createServer(). */
  constructor(stack: Stack, options: ServerOptions = {}, connectionListener?: (socket: Socket) => void) {
    super()
    if (!isObject(options)) throw invalidOption('options', 'an object', options)
    this[kStack] = stack
    this[kBinding] = stack[kBinding]
    this.allowHalfOpen = boolean(options.allowHalfOpen, 'options.allowHalfOpen', false)
    this.pauseOnConnect = boolean(options.pauseOnConnect, 'options.pauseOnConnect', false)
    this.noDelay = boolean(options.noDelay, 'options.noDelay', false)
    this.keepAlive = boolean(options.keepAlive, 'options.keepAlive', false)
    this.destroyResets = boolean(options.destroyResets, 'options.destroyResets', false)
    this.keepAliveInitialDelay = integer(
      options.keepAliveInitialDelay, 'options.keepAliveInitialDelay', 0, 2 ** 31 - 1, 0)
    this.highWaterMark = options.highWaterMark === undefined
      ? undefined
      : integer(options.highWaterMark, 'options.highWaterMark', 0, 2 ** 31 - 1)
    if (connectionListener !== undefined) {
      if (typeof connectionListener !== 'function') {
        throw invalidOption('connectionListener', 'a function', connectionListener)
      }
      this.on('connection', connectionListener)
    }
  }

  get listening(): boolean {
    return this[kId] !== NO_ID
  }

  listen(port?: number | string, host?: string, backlog?: number, listeningListener?: () => void): this
  listen(port?: number | string, host?: string, listeningListener?: () => void): this
  listen(port?: number | string, backlog?: number, listeningListener?: () => void): this
  listen(port?: number | string, listeningListener?: () => void): this
  listen(options: ListenOptions, listeningListener?: () => void): this
  listen(listeningListener?: () => void): this
  listen(...args: unknown[]): this {
    const cb = typeof args[args.length - 1] === 'function' ? (args.pop() as () => void) : undefined
    let port: unknown
    let host: unknown
    let backlog: unknown
    if (isObject(args[0])) {
      const o = args[0]
      if (o.path !== undefined) {
        throw invalidOption('options.path', 'undefined (the stack has no unix sockets)', o.path)
      }
      ;({ port, host, backlog } = o)
    } else {
      port = args[0]
      if (typeof args[1] === 'string') {
        host = args[1]
        backlog = args[2]
      } else {
        backlog = args[1]
      }
    }
    const portNumber = port === undefined || port === null ? 0 : validPort(port, 'options.port', true)
    const ip = listenIp(host)
    const backlogNumber = backlog === undefined || backlog === null
      ? DEFAULT_BACKLOG
      : integer(backlog, 'backlog', 0, 2 ** 31 - 1)
    if (this.listening) {
      throw nodeError(Error, 'ERR_SERVER_ALREADY_LISTEN', 'Listen method has been called more than once without closing.')
    }
    if (cb) this.once('listening', cb)

    const stack = this[kStack]
    const address = ip === 0 ? '0.0.0.0' : formatIPv4(ip)
    if (stack.closed) {
      process.nextTick(emitError, this, new GazelleError('ERR_GAZELLE_STACK_CLOSED', 'the stack is closed'))
      return this
    }
    if (ip !== 0 && ip !== stack[kIp]) {
      process.nextTick(emitError, this, systemError('EADDRNOTAVAIL', 'listen', address, portNumber))
      return this
    }
    const id = this[kBinding].tcpListen(ip, portNumber, backlogNumber)
    if (id < 0) {
      process.nextTick(emitError, this, errnoException(id, 'listen', address, portNumber))
      return this
    }
    this[kId] = id
    this[kAddress] = { address, family: 'IPv4', port: this[kBinding].tcpLocalPort(id) }
    stack[kAddHandle](id, this)
    stack[kUpdateRef](this)
    process.nextTick(emitListening, this)
    return this
  }

  address(): AddressInfo | null {
    const a = this[kAddress]
    return this.listening && a !== null ? { ...a } : null
  }

  /** Stops accepting; 'close' follows once every accepted socket has closed. */
  close(cb?: (err?: Error) => void): this {
    if (typeof cb === 'function') {
      if (!this.listening) {
        this.once('close', () => cb(nodeError(Error, 'ERR_SERVER_NOT_RUNNING', 'Server is not running.')))
      } else {
        this.once('close', cb)
      }
    }
    const id = this[kId]
    if (id !== NO_ID) {
      this[kId] = NO_ID
      this[kStack][kRemoveHandle](id)
      this[kStack][kUpdateRef](this)
      this[kBinding].tcpClose(id)
    }
    this[kEmitCloseIfDrained]()
    return this
  }

  getConnections(cb: (err: Error | null, count: number) => void): this {
    process.nextTick(cb, null, this[kConnections])
    return this
  }

  ref(): this {
    return setRefed(this, true)
  }

  unref(): this {
    return setRefed(this, false)
  }

  [kOnAccept](id: number, packed: number): void {
    const stack = this[kStack]
    const { ip, port } = unpackAddress(packed)
    const remote = { address: formatIPv4(ip), port }
    const localPort = this[kAddress]!.port
    if (this.maxConnections && this[kConnections] >= this.maxConnections) {
      this[kBinding].tcpClose(id)
      const info: DropInfo = {
        localAddress: stack.ip, localPort, localFamily: 'IPv4',
        remoteAddress: remote.address, remotePort: port, remoteFamily: 'IPv4',
      }
      this.emit('drop', info)
      return
    }
    const hwm = this.highWaterMark
    const socket = new Socket(stack, {
      allowHalfOpen: this.allowHalfOpen,
      readableHighWaterMark: hwm,
      writableHighWaterMark: hwm,
      destroyResets: this.destroyResets,
    })
    socket[kAccepted](id, remote, localPort, this.pauseOnConnect)
    if (this.noDelay) socket.setNoDelay(true)
    if (this.keepAlive) socket.setKeepAlive(true, this.keepAliveInitialDelay)
    this[kConnections]++
    socket.server = this
    socket._server = this
    this.emit('connection', socket)
  }

  [kConnectionClosed](): void {
    this[kConnections]--
    this[kEmitCloseIfDrained]()
  }

  [kEmitCloseIfDrained](): void {
    if (this.listening || this[kConnections] > 0) return
    process.nextTick(emitClose, this)
  }
}

type ServerListener<E> =
  E extends 'connection' ? (socket: Socket) => void
  : E extends 'error' ? (err: Error) => void
  : E extends 'drop' ? (info: DropInfo) => void
  : () => void

type ServerEvent = 'close' | 'connection' | 'drop' | 'error' | 'listening'

// Event signatures as net.Server declares them (types only; the methods are EventEmitter's).
export interface Server {
  on<E extends ServerEvent>(event: E, listener: ServerListener<E>): this
  on(event: string | symbol, listener: (...args: any[]) => void): this
  once<E extends ServerEvent>(event: E, listener: ServerListener<E>): this
  once(event: string | symbol, listener: (...args: any[]) => void): this
  addListener<E extends ServerEvent>(event: E, listener: ServerListener<E>): this
  addListener(event: string | symbol, listener: (...args: any[]) => void): this
}
