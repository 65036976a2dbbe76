// The plugin form: app.register(gazelle, { stack, mode, port, host }). It binds the
// server Fastify made (with Fastify's own timeouts already set) to the stack; skipping
// Fastify's encapsulation, app.gazelle is visible on the root instance.
import type { FastifyInstance } from 'fastify'
import { invalidOption } from '@gazelle/stack'
import type { Stack } from '@gazelle/stack'
import { StackBinding } from './binding'
import type { StackAddress } from './binding'
import { resolveOptions } from './options'
import type { GazelleFastifyOptions, Mode } from './options'
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
  const binding = new StackBinding(fastify.server, resolved)
  bindServer(fastify.server, binding)
  if (resolved.mode === 'replace') wrapListen(fastify)
  const stack = await binding.open()
  const info: GazelleInfo = { stack, mode: resolved.mode, address: () => binding.address() }
  fastify.decorate('gazelle', info)
}

// What fastify-plugin would set: no encapsulation, a name, the Fastify major it needs.
Object.assign(gazelle, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: '@gazelle/fastify',
  [Symbol.for('plugin-meta')]: { name: '@gazelle/fastify', fastify: '5.x' },
})

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
