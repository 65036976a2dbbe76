// @gazelle/fastify: serve a Fastify app on a @gazelle/stack stack.
//   await app.register(gazelle, { stack: { device: ..., ip: '10.20.0.2/24' } })
//   await app.listen({ port: 3000 })   // served by the user-mode stack
//
// The module has the shape Fastify plugins ship: module.exports is the plugin (wrapped by
// fastify-plugin), with .default and named exports beside it, so that
// `import gazelle from`, `import { gazelle } from`, `require()` and
// `require().default` all give the plugin under CJS, ESM and TypeScript's NodeNext.
import type { FastifyInstance } from 'fastify'
import fastifyPlugin = require('fastify-plugin')
import { gazelle as plugin } from './plugin'
import type { GazelleInfo as Info } from './plugin'
import { bindingOf as bindingOfServer, gazelleServerFactory as factory } from './server-factory'
import type * as SF from './server-factory'
import type * as B from './binding'
import type * as O from './options'

function fastifyGazelle(fastify: FastifyInstance, options: O.GazelleFastifyOptions): Promise<void> {
  return plugin(fastify, options)
}

// Types and values beside the plugin (assigned at the end, typed here as a plugin's d.ts does).
declare namespace fastifyGazelle {
  export type GazelleInfo = Info
  export type GazelleFastifyOptions = O.GazelleFastifyOptions
  export type Mode = O.Mode
  export type StackBinding = B.StackBinding
  export type StackAddress = B.StackAddress
  export type FactoryFastifyOptions = SF.FactoryFastifyOptions
  export type FastifyRawServer = SF.FastifyRawServer
  export type Handler = SF.Handler
  export const gazelleServerFactory: typeof factory
  export const serverFactory: typeof factory
  export const bindingOf: typeof bindingOfServer
  export { fastifyGazelle as gazelle, fastifyGazelle as fastifyGazelle, fastifyGazelle as default }
}

// No encapsulation (app.gazelle is visible on the root instance), a name, the Fastify major.
fastifyPlugin(fastifyGazelle, { fastify: '5.x', name: '@gazelle/fastify' })

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by the @gazelle/fastify plugin. */
    gazelle: Info
  }
}

// The values beside the plugin, assigned one by one: Node finds an ESM importer's named
// exports of a CommonJS module by reading these assignments. (tsc puts its own
// `module.exports = fastifyGazelle` for the `export =` below at the end of the file, so
// the plugin is made module.exports here first, for the names to land on it.)
module.exports = fastifyGazelle
module.exports.default = fastifyGazelle
module.exports.gazelle = fastifyGazelle
module.exports.fastifyGazelle = fastifyGazelle
module.exports.gazelleServerFactory = factory
module.exports.serverFactory = factory
module.exports.bindingOf = bindingOfServer

export = fastifyGazelle
