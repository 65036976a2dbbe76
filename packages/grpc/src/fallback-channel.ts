// Option C: a Channel written against grpc-js's public Channel/Call interfaces, over one
// HTTP/2 session on a stack connection (http2.connect with createConnection). Used when
// the connector hook's guard fails. It speaks the gRPC wire protocol itself (framing,
// grpc-timeout, status from trailers), so it has none of the channel's machinery:
// no name resolution (IPv4 literal targets only), load balancing, retries, keepalive
// pings, compression or channelz. A closed session is replaced on the next call.
import * as http2 from 'node:http2'
import * as tls from 'node:tls'
import type * as grpc from '@grpc/grpc-js'
import type { Socket, Stack } from '@gazelle/stack'
import { connectOnStack, invalidOption, offerStreamHandle, parseIPv4 } from '@gazelle/stack'
import { StackCall } from './fallback-call'

export interface StatusObject { code: grpc.status; details: string; metadata: grpc.Metadata }
export interface InterceptingListener {
  onReceiveMetadata(metadata: grpc.Metadata): void
  onReceiveMessage(message: Buffer): void
  onReceiveStatus(status: StatusObject): void
}
export type Deadline = Date | number

/** The public pieces of a grpc-js copy that the channel uses. */
export interface GrpcPublic {
  Metadata: typeof grpc.Metadata
  status: typeof grpc.status
  connectivityState: typeof grpc.connectivityState
}

export interface CallCredentialsLike {
  generateMetadata(o: { service_url: string; method_name?: string }): Promise<grpc.Metadata>
}

interface CredentialsInternals {
  _isSecure(): boolean
  _getConnectionOptions?(): tls.ConnectionOptions | null
  _getCallCredentials?(): CallCredentialsLike
}

function parseTarget(target: string): { host: string; port: number } {
  const m = /^(?:ipv4:|dns:(?:\/\/\/)?)?(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(target)
  const port = m ? Number(m[2]) : NaN
  if (!m || parseIPv4(m[1]) === undefined || !(port > 0 && port < 65536)) {
    throw invalidOption('target', 'an IPv4 literal with a port like "10.0.0.2:50051" (the fallback channel does no name resolution)', target)
  }
  return { host: m[1], port }
}

export class StackChannel {
  readonly #grpc: GrpcPublic
  readonly #stack: Stack
  readonly #target: string
  readonly #host: string
  readonly #port: number
  readonly #authority: string
  readonly #credentials: CredentialsInternals
  readonly #tls: tls.ConnectionOptions | null
  readonly maxReceive: number
  readonly userAgent: string
  #session: Promise<{ session: http2.ClientHttp2Session; socket: Socket }> | null = null
  #ready = false
  #closed = false
  #watchers = new Set<() => void>()

  constructor(grpcPublic: GrpcPublic, stack: Stack, target: string, credentials: unknown, options: Record<string, unknown>) {
    this.#grpc = grpcPublic
    this.#stack = stack
    this.#target = target
    const { host, port } = parseTarget(target)
    this.#host = host
    this.#port = port
    this.#authority = typeof options['grpc.default_authority'] === 'string' ? options['grpc.default_authority'] : `${host}:${port}`
    this.#credentials = credentials as CredentialsInternals
    this.#tls = null
    if (this.#credentials._isSecure()) {
      const tlsOptions = this.#credentials._getConnectionOptions?.()
      if (!tlsOptions) {
        throw invalidOption('credentials', 'insecure credentials (this grpc-js version exposes no TLS options to the fallback channel)', 'secure credentials')
      }
      const override = options['grpc.ssl_target_name_override']
      const servername = typeof override === 'string' ? override : host
      this.#tls = { ...tlsOptions, ALPNProtocols: ['h2'], servername }
      if (typeof override === 'string' && !tlsOptions.checkServerIdentity) {
        this.#tls.checkServerIdentity = (_h, cert) => tls.checkServerIdentity(override, cert)
      }
    }
    const max = options['grpc.max_receive_message_length']
    this.maxReceive = typeof max === 'number' ? (max < 0 ? Infinity : max) : 4 * 1024 * 1024
    this.userAgent = ['grpc-node-js/gazelle-fallback', options['grpc.primary_user_agent']].filter(Boolean).join(' ')
  }

  get grpc(): GrpcPublic {
    return this.#grpc
  }

  get credentials(): CredentialsInternals {
    return this.#credentials
  }

  get authority(): string {
    return this.#authority
  }

  get closed(): boolean {
    return this.#closed
  }

  getTarget(): string {
    return this.#target
  }

  close(): void {
    this.#closed = true
    this.#session?.then(({ session }) => session.close(), () => {})
    this.#session = null
    this.#setReady(false)
  }

  getConnectivityState(tryToConnect: boolean): grpc.connectivityState {
    const s = this.#grpc.connectivityState
    if (this.#closed) return s.SHUTDOWN
    if (this.#ready) return s.READY
    if (this.#session) return s.CONNECTING
    if (tryToConnect) {
      this.session().catch(() => {})
      return s.CONNECTING
    }
    return s.IDLE
  }

  watchConnectivityState(current: grpc.connectivityState, deadline: Deadline, callback: (error?: Error) => void): void {
    if (this.getConnectivityState(false) !== current) {
      setImmediate(callback)
      return
    }
    const at = deadline instanceof Date ? deadline.getTime() : deadline
    const done = (err?: Error) => {
      clearTimeout(timer)
      this.#watchers.delete(watcher)
      callback(err)
    }
    const watcher = () => this.getConnectivityState(false) !== current && done()
    const timer = setTimeout(() => done(new Error('Deadline passed without connectivity state change')), Math.max(0, at - Date.now()))
    this.#watchers.add(watcher)
  }

  getChannelzRef(): { kind: 'channel'; id: number; name: string } {
    return { kind: 'channel', id: 0, name: this.#target }
  }

  createCall(method: string, deadline: Deadline): StackCall {
    return new StackCall(this, method, deadline)
  }

  #setReady(ready: boolean): void {
    if (this.#ready === ready) return
    this.#ready = ready
    for (const w of [...this.#watchers]) w()
  }

  /** The channel's HTTP/2 session, connected on first use and after it closes. */
  session(): Promise<{ session: http2.ClientHttp2Session; socket: Socket }> {
    if (this.#closed) return Promise.reject(new Error('Channel has been shut down'))
    this.#session ??= this.#open()
    return this.#session
  }

  async #open(): Promise<{ session: http2.ClientHttp2Session; socket: Socket }> {
    let socket: Socket
    let transport: Socket | tls.TLSSocket
    try {
      socket = await connectOnStack(this.#stack, { host: this.#host, port: this.#port, noDelay: true })
      transport = socket
      if (this.#tls) {
        const secure = tls.connect({ ...this.#tls, socket })
        await new Promise<void>((resolve, reject) => {
          secure.once('secureConnect', resolve)
          secure.once('error', reject)
        })
        transport = secure
      } else {
        offerStreamHandle(socket) // http2 reads and writes it through its own native handle
      }
    } catch (err) {
      this.#session = null
      throw err
    }
    const session = http2.connect(`${this.#tls ? 'https' : 'http'}://${this.#authority}`, {
      createConnection: () => transport,
      maxSessionMemory: Number.MAX_SAFE_INTEGER,
    })
    const current = this.#session
    const forget = () => {
      if (this.#session === current) this.#session = null
      this.#setReady(false)
    }
    session.on('close', forget)
    session.on('goaway', forget)
    session.on('error', forget)
    session.unref()
    this.#setReady(true)
    return { session, socket }
  }
}
