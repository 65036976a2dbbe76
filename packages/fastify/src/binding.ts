// Serves a node server (http, https, http2 or secure http2) on a stack. Stack sockets
// are handed to it with server.emit('connection', socket), as node's own accept does,
// and the server's listen/close/address/listening/getConnections answer for the stack
// too ('replace': for the stack only; 'both': the kernel listens as well).
import type * as net from 'node:net'
import * as tls from 'node:tls'
import { GazelleError, createStack, exposePeer, invalidOption, listenHostKind, listenOnStack, parsePort } from '@gazelle/stack'
import type { Server as StackServer, Socket as StackSocket, Stack } from '@gazelle/stack'
import type { ResolvedOptions } from './options'

/** What net.Server keeps for its own sockets; node:http's close and getConnections read it. */
export interface NodeServer extends net.Server {
  _connections: number
  _emitCloseIfDrained(): void
  allowHalfOpen?: boolean
  noDelay?: boolean
  keepAlive?: boolean
  /** seconds, as net.Server stores it */
  keepAliveInitialDelay?: number
  highWaterMark?: number
}

type Listen = (...args: unknown[]) => unknown
type Close = (cb?: (err?: Error) => void) => unknown

export interface StackAddress {
  address: string
  family: 'IPv4'
  port: number
}

export class StackBinding {
  readonly server: NodeServer
  readonly mode: ResolvedOptions['mode']
  readonly #options: ResolvedOptions
  #stack: Stack | undefined
  #opening: Promise<Stack> | undefined
  #released: Promise<void> | undefined
  #stackServer: StackServer | undefined
  /** node:http tracks connections (timeouts, closeIdleConnections) only after 'listening':
   * sockets that arrive before wait here. */
  #ready = false
  #waiting: StackSocket[] = []
  #closing = false
  readonly #handed = new WeakSet<StackSocket>()

  constructor(server: net.Server, options: ResolvedOptions) {
    this.server = server as NodeServer
    this.mode = options.mode
    this.#options = options
    this.#stack = options.stack
    this.#install()
  }

  /** The stack (undefined until it is created, for a stack made from options). */
  get stack(): Stack | undefined {
    return this.#stack
  }

  get listening(): boolean {
    return this.#stackServer?.listening === true
  }

  /** Where the stack listens: its own address (not 0.0.0.0) and port. */
  address(): StackAddress | null {
    const a = this.#stackServer?.address()
    if (!a || !this.#stack) return null
    return { address: a.address === '0.0.0.0' ? this.#stack.ip : a.address, family: 'IPv4', port: a.port }
  }

  /** The stack, created from the options on first use. */
  open(): Promise<Stack> {
    if (this.#stack) return Promise.resolve(this.#stack)
    this.#opening ??= createStack(this.#options.stackOptions!).then((stack) => (this.#stack = stack))
    return this.#opening
  }

  /** Closes the stack if this binding created it (a given stack stays open). */
  release(): Promise<void> {
    this.#released ??= (async () => {
      if (this.#options.stack) return
      const stack = this.#stack ?? (this.#opening ? await this.#opening.catch(() => undefined) : undefined)
      if (stack && !stack.closed) await stack.close()
    })()
    return this.#released
  }

  #install(): void {
    const server = this.server
    const listen = server.listen as Listen
    const close = server.close as Close
    const self = this
    server.listen = function (this: NodeServer, ...args: unknown[]) {
      self.#listen(listen, args)
      return this
    } as NodeServer['listen']
    server.close = function (this: NodeServer, cb?: (err?: Error) => void) {
      self.#close(close, cb)
      return this
    } as NodeServer['close']
    for (const name of ['ref', 'unref'] as const) {
      const original = server[name]
      server[name] = function (this: net.Server) {
        self.#stackServer?.[name]()
        return original.call(this)
      }
    }
    if (this.mode === 'replace') {
      Object.defineProperty(server, 'listening', { configurable: true, get: () => self.listening })
      server.address = () => self.address()
    }
    // TLS and HTTP/2 wrap a JS socket in one of their own that has no peer address.
    const expose = (wrapper: unknown) => exposePeer(wrapper, (s) => this.#handed.has(s as StackSocket))
    if (server instanceof tls.Server) server.prependListener('secureConnection', expose)
    server.prependListener('session', (session: { socket: unknown }) => expose(session.socket))
  }

  #listen(listen: Listen, args: unknown[]): void {
    const server = this.server
    const first = args[0]
    const listenOptions = typeof first === 'object' && first !== null ? (first as net.ListenOptions) : undefined
    const host = listenOptions ? listenOptions.host : typeof args[1] === 'string' ? args[1] : undefined
    const port = this.#options.port ?? listenPort(listenOptions ? listenOptions.port : first)
    if (this.mode === 'replace') {
      if (listenOptions?.path !== undefined) {
        process.nextTick(() => server.emit('error', invalidOption(
          'listen options.path', 'undefined in mode "replace" (the stack serves TCP only)', listenOptions.path)))
        return
      }
      const cb = args.find((a) => typeof a === 'function') as (() => void) | undefined
      if (cb) server.once('listening', cb)
    }
    this.#listenOnStack(port, host).then(() => {
      if (this.mode === 'both') {
        this.#listenOnKernel(listen, args)
        return
      }
      server.emit('listening')
      this.#setReady()
    }, (err: Error) => server.emit('error', err))
  }

  /** Where the stack listens: the plugin's host, or the listen host in mode 'replace'
   * (a wildcard or the stack's address). A loopback or foreign host is refused there:
   * the stack would serve it on its network address, widening it. */
  #stackHost(stack: Stack, listenHost: unknown): string {
    const own = this.#options.host ?? '0.0.0.0'
    if (this.mode === 'both') return own
    const kind = listenHostKind(listenHost, stack.ip)
    if (kind === 'any') return own
    if (kind === 'stack') return stack.ip
    const shown = JSON.stringify(listenHost)
    const fastifyDefault = listenHost === 'localhost' && !this.#options.plugin
      ? ' ("localhost" is also what Fastify passes when listen() is given no host; serverFactory cannot tell the two apart)'
      : ''
    throw new GazelleError('ERR_GAZELLE_INVALID_OPTION', kind === 'loopback'
      ? `listen options.host ${shown} is a loopback host${fastifyDefault}: in mode "replace" only the stack listens, ` +
        `on its network address ${stack.ip}, which would make a loopback-only service reachable from the network. ` +
        `Listen on "0.0.0.0" or "${stack.ip}" to serve on the stack; keep a service for this machine only on the ` +
        'kernel (an app without the plugin)'
      : `listen options.host ${shown} is not the stack's address: in mode "replace" the stack serves only on ` +
        `"0.0.0.0" or its own address "${stack.ip}"`)
  }

  async #listenOnStack(port: number, listenHost: unknown): Promise<void> {
    const stack = await this.open()
    const host = this.#stackHost(stack, listenHost)
    const server = this.server
    const stackServer = stack.createServer({
      allowHalfOpen: server.allowHalfOpen === true,
      noDelay: server.noDelay === true,
      keepAlive: server.keepAlive === true,
      keepAliveInitialDelay: (server.keepAliveInitialDelay ?? 0) * 1000,
      highWaterMark: server.highWaterMark,
    })
    stackServer.on('connection', (socket: StackSocket) => this.#accept(socket))
    await listenOnStack(stackServer, { port, host })
    this.#stackServer = stackServer
  }

  #listenOnKernel(listen: Listen, args: unknown[]): void {
    const server = this.server
    const onListening = () => {
      server.off('error', onError)
      this.#setReady()
    }
    const onError = () => {
      server.off('listening', onListening)
      this.#stackServer?.close()
    }
    server.once('listening', onListening)
    server.once('error', onError)
    listen.apply(server, args)
  }

  #setReady(): void {
    this.#ready = true
    for (const socket of this.#waiting.splice(0)) this.#handOff(socket)
  }

  #accept(socket: StackSocket): void {
    if (this.#ready) this.#handOff(socket)
    else this.#waiting.push(socket)
  }

  #handOff(socket: StackSocket): void {
    const server = this.server
    if (socket.destroyed) return
    if (server.maxConnections && server._connections >= server.maxConnections) {
      server.emit('drop', {
        localAddress: socket.localAddress, localPort: socket.localPort, localFamily: 'IPv4',
        remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, remoteFamily: 'IPv4',
      })
      socket.destroy()
      return
    }
    // Counted like node's own accepted sockets: getConnections() sees them and close()
    // waits for them.
    server._connections++
    socket.once('close', () => {
      server._connections--
      if (this.#closing) server._emitCloseIfDrained()
    })
    this.#handed.add(socket)
    server.emit('connection', socket)
  }

  #close(close: Close, cb: ((err?: Error) => void) | undefined): void {
    const server = this.server
    const wasListening = this.listening
    this.#closing = true
    this.#stackServer?.close()
    for (const socket of this.#waiting.splice(0)) socket.destroy()
    const done = (err?: Error) => {
      this.release().then(() => cb?.(err), (e: Error) => cb?.(err ?? e))
    }
    if (this.mode === 'replace' && wasListening) {
      // net.Server.close would call cb with ERR_SERVER_NOT_RUNNING: it has no handle.
      server.once('close', () => done())
      close.call(server)
    } else {
      close.call(server, done)
    }
  }
}

/** The port given to listen(): a number or numeric string; none (or '') is 0. */
function listenPort(value: unknown): number {
  if (value === undefined || value === null || value === '') return 0
  const n = parsePort(value, true)
  if (n === undefined) throw invalidOption('listen options.port', 'an integer from 0 to 65535', value)
  return n
}
