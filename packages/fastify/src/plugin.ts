// The plugin form: app.register(gazelle, { stack, mode, port, host }). It binds the
// server Fastify made (with Fastify's own timeouts already set) to the stack; skipping
// Fastify's encapsulation, app.gazelle is visible on the root instance.
import type { FastifyInstance } from 'fastify'
import { invalidOption } from '@gazelle/stack'
import type { LogLevel, Logger, Stack } from '@gazelle/stack'
import { StackBinding } from './binding'
import type { StackAddress } from './binding'
import { resolveOptions } from './options'
import type { GazelleFastifyOptions, Mode, ResolvedOptions } from './options'
import { bindServer, bindingOf } from './server-factory'

/** app.gazelle */
export interface GazelleInfo {
  readonly stack: Stack
  readonly mode: Mode
  /** Where the stack listens (its own address and port), or null before listen(). */
  address(): StackAddress | null
}

export async function gazelle(fastify: FastifyInstance, options: GazelleFastifyOptions): Promise<void> {
  const resolved = resolveOptions(options, true)
  if (bindingOf(fastify.server)) {
    throw invalidOption('the Fastify server', 'bound to a stack once (by the plugin or by gazelleServerFactory, not both)', 'bound already')
  }
  const binding = new StackBinding(fastify.server, withFastifyLogger(resolved, fastify))
  bindServer(fastify.server, binding)
  if (resolved.mode === 'replace') wrapListen(fastify)
  const stack = await binding.open()
  const info: GazelleInfo = { stack, mode: resolved.mode, address: () => binding.address() }
  fastify.decorate('gazelle', info)
}

/** Pino's levels as the stack's (which has no trace or fatal); silent or none: no logger. */
const LEVELS: Record<string, LogLevel> = { trace: 'debug', debug: 'debug', info: 'info', warn: 'warn', error: 'error', fatal: 'error' }

/**
 * A stack the plugin creates logs to Fastify's logger (a child with module: 'gazelle'), at
 * Fastify's level, unless its options name a logger (or Fastify logs nothing). A stack
 * given to the plugin keeps the logger it was created with.
 */
function withFastifyLogger(resolved: ResolvedOptions, fastify: FastifyInstance): ResolvedOptions {
  const o = resolved.stackOptions
  if (o === undefined || typeof o !== 'object' || o.logger !== undefined) return resolved
  const level = LEVELS[String(fastify.log.level)]
  if (level === undefined || typeof fastify.log.child !== 'function') return resolved
  const logger = fastify.log.child({ module: 'gazelle' }) as unknown as Logger
  return { ...resolved, stackOptions: { ...o, logger, logLevel: o.logLevel ?? level } }
}

/**
 * app.listen() hands Fastify a copy of its options: Fastify fills in host and cb on the
 * object it gets, and the caller's stays as it was. A listen without a host gets the
 * wildcard (served on the stack's own address) instead of Fastify's default 'localhost',
 * which the stack cannot serve and Fastify would also bind on the kernel. A host the
 * caller gave is passed on as given: a loopback one is refused at listen().
 */
function wrapListen(fastify: FastifyInstance): void {
  const listen = fastify.listen as (...args: unknown[]) => unknown
  fastify.listen = function (this: FastifyInstance, options?: unknown, ...rest: unknown[]) {
    if (options === undefined || (typeof options === 'object' && options !== null)) {
      const o = (options ?? {}) as Record<string, unknown>
      options = { ...o, ...(o.host == null && o.path == null ? { host: '0.0.0.0' } : {}) }
    }
    return listen.call(this, options, ...rest)
  } as FastifyInstance['listen']
}
