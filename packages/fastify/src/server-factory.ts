// The serverFactory form: Fastify({ serverFactory: gazelleServerFactory(options) }).
// Fastify does not copy its timeouts onto a server it did not create, so the factory
// builds the server the way Fastify would (http, https, http2, secure http2) with them.
import * as http from 'node:http'
import * as http2 from 'node:http2'
import * as https from 'node:https'
import type * as net from 'node:net'
import { StackBinding } from './binding'
import { resolveOptions } from './options'
import type { GazelleFastifyOptions } from './options'

/** Fastify's request handler (http's or http2's request and response types). */
export type Handler = (req: never, res: never) => void

/** The Fastify options the server is built from (Fastify passes all of them). */
export interface FactoryFastifyOptions {
  http?: http.ServerOptions | null
  https?: https.ServerOptions | http2.SecureServerOptions | boolean | null
  http2?: boolean
  http2SessionTimeout?: number
  connectionTimeout?: number
  keepAliveTimeout?: number
  requestTimeout?: number
  maxRequestsPerSocket?: number | null
  forceCloseConnections?: boolean | 'idle'
}

const kBinding = Symbol.for('gazelle.fastify.binding')

/** The binding a server made by the factory (or bound by the plugin) carries. */
export function bindingOf(server: unknown): StackBinding | undefined {
  return (server as { [kBinding]?: StackBinding } | null)?.[kBinding]
}

export function bindServer(server: net.Server, binding: StackBinding): void {
  Object.defineProperty(server, kBinding, { value: binding })
}

/** The servers Fastify runs on; a factory's type says which one (http.Server by default;
 * Http2Server or Http2SecureServer with `http2: true`). */
export type FastifyRawServer = http.Server | https.Server | http2.Http2Server | http2.Http2SecureServer

/** A Fastify serverFactory whose server listens on the stack (the stack is created at
 * listen() from stack options, and closed with the server). The server is built from
 * Fastify's options: https, http2 or plain http. */
export function gazelleServerFactory<S extends FastifyRawServer = http.Server>(options: GazelleFastifyOptions) {
  const resolved = resolveOptions(options)
  return function serverFactory(handler: Handler, fastifyOptions: FactoryFastifyOptions = {}): S {
    const server = createNodeServer(handler, fastifyOptions)
    bindServer(server, new StackBinding(server, resolved))
    return server as S
  }
}

function createNodeServer(handler: Handler, o: FactoryFastifyOptions): net.Server {
  const tlsOptions = o.https === true ? {} : o.https || undefined
  if (o.http2) {
    const server = tlsOptions
      ? http2.createSecureServer(tlsOptions as http2.SecureServerOptions, handler as never)
      : http2.createServer((o.http ?? {}) as http2.ServerOptions, handler as never)
    const sessions = new Set<http2.Http2Session>()
    server.on('session', (session) => {
      sessions.add(session)
      session.once('close', () => sessions.delete(session))
      if (o.http2SessionTimeout) session.setTimeout(o.http2SessionTimeout, () => session.close())
    })
    if (o.forceCloseConnections === true) {
      Object.assign(server, { closeHttp2Sessions: () => sessions.forEach((s) => s.close()) })
    }
    if (o.connectionTimeout) server.setTimeout(o.connectionTimeout)
    return server
  }
  const server = tlsOptions
    ? https.createServer(tlsOptions as https.ServerOptions, handler as http.RequestListener)
    : http.createServer(o.http ?? {}, handler as http.RequestListener)
  if (o.keepAliveTimeout !== undefined) server.keepAliveTimeout = o.keepAliveTimeout
  if (o.requestTimeout !== undefined) server.requestTimeout = o.requestTimeout
  if (o.connectionTimeout) server.setTimeout(o.connectionTimeout)
  if (o.maxRequestsPerSocket && o.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = o.maxRequestsPerSocket
  return server
}
