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
import { invalidOption, parseIPv4 } from '@gazelle/stack'
import { FrameParser, frame } from './frames'
import { connectOnStack } from './stack-connect'

type Status = grpc.status
interface StatusObject { code: Status; details: string; metadata: grpc.Metadata }
interface InterceptingListener {
  onReceiveMetadata(metadata: grpc.Metadata): void
  onReceiveMessage(message: Buffer): void
  onReceiveStatus(status: StatusObject): void
}
type Deadline = Date | number

/** The public pieces of a grpc-js copy that the channel uses. */
export interface GrpcPublic {
  Metadata: typeof grpc.Metadata
  status: typeof grpc.status
  connectivityState: typeof grpc.connectivityState
}

interface CredentialsInternals {
  _isSecure(): boolean
  _getConnectionOptions?(): tls.ConnectionOptions | null
  _getCallCredentials?(): { generateMetadata(o: { service_url: string; method_name?: string }): Promise<grpc.Metadata> }
}

const HTTP_TO_STATUS: Record<number, keyof typeof grpc.status> = {
  400: 'INTERNAL', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'UNIMPLEMENTED',
  429: 'UNAVAILABLE', 502: 'UNAVAILABLE', 503: 'UNAVAILABLE', 504: 'UNAVAILABLE',
}

function parseTarget(target: string): { host: string; port: number } {
  const m = /^(?:ipv4:|dns:(?:\/\/\/)?)?(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(target)
  const port = m ? Number(m[2]) : NaN
  if (!m || parseIPv4(m[1]) === undefined || !(port > 0 && port < 65536)) {
    throw invalidOption('target', 'an IPv4 literal with a port like "10.0.0.2:50051" (the fallback channel does no name resolution)', target)
  }
  return { host: m[1], port }
}

/** "1.5S" style grpc-timeout for the time left until deadline. */
function grpcTimeout(deadline: Deadline): string | null {
  const at = deadline instanceof Date ? deadline.getTime() : deadline
  if (!Number.isFinite(at)) return null
  const ms = Math.max(1, Math.ceil(at - Date.now()))
  return ms < 1e8 ? `${ms}m` : `${Math.ceil(ms / 1000)}S`
}

let callNumber = 0

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
      socket = await connectOnStack(this.#stack, this.#host, this.#port)
      transport = socket
      if (this.#tls) {
        const secure = tls.connect({ ...this.#tls, socket })
        await new Promise<void>((resolve, reject) => {
          secure.once('secureConnect', resolve)
          secure.once('error', reject)
        })
        transport = secure
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

export class StackCall {
  readonly #channel: StackChannel
  readonly #method: string
  readonly #deadline: Deadline
  readonly #number = ++callNumber
  #listener: InterceptingListener | null = null
  #stream: http2.ClientHttp2Stream | null = null
  #socket: Socket | null = null
  #pendingWrites: { data: Buffer; cb?: (err?: Error | null) => void }[] = []
  #halfClosed = false
  #messages: Buffer[] = []
  #reads = 0
  #status: StatusObject | null = null
  #done = false
  #timer: NodeJS.Timeout | undefined
  #callCredentials: CredentialsInternals['_getCallCredentials'] extends () => infer C ? C | null : null = null

  constructor(channel: StackChannel, method: string, deadline: Deadline) {
    this.#channel = channel
    this.#method = method
    this.#deadline = deadline
  }

  start(metadata: grpc.Metadata, listener: InterceptingListener): void {
    this.#listener = listener
    const at = this.#deadline instanceof Date ? this.#deadline.getTime() : this.#deadline
    if (Number.isFinite(at)) {
      const { status } = this.#channel.grpc
      this.#timer = setTimeout(() => this.cancelWithStatus(status.DEADLINE_EXCEEDED, 'Deadline exceeded'), Math.max(0, at - Date.now()))
    }
    this.#open(metadata).catch((err: Error) => this.#end(this.#channel.grpc.status.UNAVAILABLE, `${err?.message ?? err}`))
  }

  async #open(metadata: grpc.Metadata): Promise<void> {
    const channel = this.#channel
    const { Metadata } = channel.grpc
    const all = metadata.clone()
    const creds = [channel.credentials._getCallCredentials?.(), this.#callCredentials].filter(Boolean)
    for (const c of creds) {
      const service = this.#method.slice(1, this.#method.lastIndexOf('/'))
      all.merge(await c!.generateMetadata({ service_url: `https://${channel.authority}/${service}`, method_name: this.#method.slice(this.#method.lastIndexOf('/') + 1) }))
    }
    const { session, socket } = await channel.session()
    if (this.#done) return
    this.#socket = socket
    const headers: http2.OutgoingHttpHeaders = {
      ...all.toHttp2Headers(),
      ':method': 'POST',
      ':path': this.#method,
      ':authority': channel.authority,
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-accept-encoding': 'identity',
      'user-agent': channel.userAgent,
    }
    const timeout = grpcTimeout(this.#deadline)
    if (timeout) headers['grpc-timeout'] = timeout
    const stream = session.request(headers)
    this.#stream = stream
    const parser = new FrameParser(
      channel.maxReceive,
      (m) => {
        this.#messages.push(m)
        this.#deliver()
      },
      (reason) => this.cancelWithStatus(channel.grpc.status.RESOURCE_EXHAUSTED, reason),
    )
    let head: http2.IncomingHttpHeaders | null = null
    let trailers: http2.IncomingHttpHeaders | null = null
    stream.on('response', (h) => {
      head = h
      if (h['grpc-status'] === undefined) this.#listener?.onReceiveMetadata(Metadata.fromHttp2Headers(h))
    })
    stream.on('trailers', (h) => (trailers = h))
    stream.on('data', (chunk: Buffer) => parser.push(chunk))
    stream.on('error', () => {})
    stream.on('close', () => this.#finish(head, trailers, stream.rstCode))
    for (const w of this.#pendingWrites.splice(0)) stream.write(w.data, w.cb)
    if (this.#halfClosed) stream.end()
  }

  #finish(head: http2.IncomingHttpHeaders | null, trailers: http2.IncomingHttpHeaders | null, rstCode: number | undefined): void {
    const { status, Metadata } = this.#channel.grpc
    const source = trailers ?? (head?.['grpc-status'] !== undefined ? head : null)
    if (source) {
      const code = Number(source['grpc-status'])
      const message = source['grpc-message']
      let details = ''
      try {
        details = typeof message === 'string' ? decodeURIComponent(message) : ''
      } catch {
        details = String(message)
      }
      const md = Metadata.fromHttp2Headers(source)
      md.remove('grpc-status')
      md.remove('grpc-message')
      this.#end(Number.isInteger(code) ? code : status.UNKNOWN, details, md)
    } else if (head && Number(head[':status']) !== 200) {
      const http = Number(head[':status'])
      this.#end(status[HTTP_TO_STATUS[http] ?? 'UNKNOWN'], `Received HTTP status code ${http}`)
    } else {
      this.#end(status.UNAVAILABLE, `Stream closed without status (RST_STREAM code ${rstCode ?? 'none'})`)
    }
  }

  #end(code: Status, details: string, metadata?: grpc.Metadata): void {
    if (this.#status) return
    clearTimeout(this.#timer)
    this.#status = { code, details, metadata: metadata ?? new this.#channel.grpc.Metadata() }
    this.#deliver()
  }

  #deliver(): void {
    while (this.#reads > 0 && this.#messages.length > 0 && !this.#done) {
      this.#reads--
      this.#listener?.onReceiveMessage(this.#messages.shift()!)
    }
    if (this.#status && this.#messages.length === 0 && !this.#done) {
      this.#done = true
      this.#listener?.onReceiveStatus(this.#status)
    }
  }

  cancelWithStatus(code: Status, details: string): void {
    this.#stream?.close(http2.constants.NGHTTP2_CANCEL)
    this.#messages = []
    this.#end(code, details)
  }

  getPeer(): string {
    const s = this.#socket
    return s?.remoteAddress ? `${s.remoteAddress}:${s.remotePort}` : this.#channel.getTarget()
  }

  sendMessageWithContext(context: { callback?: (err?: Error | null) => void }, message: Buffer): void {
    const data = frame(message)
    if (this.#stream) this.#stream.write(data, context.callback)
    else this.#pendingWrites.push({ data, cb: context.callback })
  }

  startRead(): void {
    this.#reads++
    this.#deliver()
  }

  halfClose(): void {
    this.#halfClosed = true
    this.#stream?.end()
  }

  getCallNumber(): number {
    return this.#number
  }

  setCredentials(credentials: unknown): void {
    this.#callCredentials = credentials as never
  }

  getAuthContext(): null {
    return null
  }
}
