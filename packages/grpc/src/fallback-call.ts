// One call of the fallback channel (fallback-channel.ts): a gRPC call on an HTTP/2
// stream, implementing grpc-js's public Call interface. Messages are handed up one per
// startRead(); the status goes up after the last message the caller asked for.
import * as http2 from 'node:http2'
import type * as grpc from '@grpc/grpc-js'
import type { Socket } from '@gazelle/stack'
import type { CallCredentialsLike, Deadline, StackChannel, StatusObject, InterceptingListener } from './fallback-channel'
import { FrameParser, frame } from './frames'

type Status = grpc.status

const HTTP_TO_STATUS: Record<number, keyof typeof grpc.status> = {
  400: 'INTERNAL', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'UNIMPLEMENTED',
  429: 'UNAVAILABLE', 502: 'UNAVAILABLE', 503: 'UNAVAILABLE', 504: 'UNAVAILABLE',
}

/** "1500m" style grpc-timeout for the time left until deadline. */
function grpcTimeout(deadline: Deadline): string | null {
  const at = deadline instanceof Date ? deadline.getTime() : deadline
  if (!Number.isFinite(at)) return null
  const ms = Math.max(1, Math.ceil(at - Date.now()))
  return ms < 1e8 ? `${ms}m` : `${Math.ceil(ms / 1000)}S`
}

let callNumber = 0

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
  #callCredentials: CallCredentialsLike | null = null

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
    const slash = this.#method.lastIndexOf('/')
    const request = { service_url: `https://${channel.authority}/${this.#method.slice(1, slash)}`, method_name: this.#method.slice(slash + 1) }
    for (const c of [channel.credentials._getCallCredentials?.(), this.#callCredentials]) {
      if (c) all.merge(await c.generateMetadata(request))
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
    this.#callCredentials = credentials as CallCredentialsLike
  }

  getAuthContext(): null {
    return null
  }
}
