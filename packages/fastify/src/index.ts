// @gazelle/fastify: serve a Fastify app on a @gazelle/stack stack.
//   await app.register(gazelle, { stack: { device: ..., ip: '10.20.0.2/24' } })
//   await app.listen({ port: 3000 })   // served by the user-mode stack
import { gazelle } from './plugin'
import type { GazelleInfo } from './plugin'

export { gazelle } from './plugin'
export type { GazelleInfo } from './plugin'
export { gazelleServerFactory, gazelleServerFactory as serverFactory, bindingOf } from './server-factory'
export type { FactoryFastifyOptions, FastifyRawServer, Handler } from './server-factory'
export type { StackBinding } from './binding'
export type { StackAddress } from './binding'
export type { GazelleFastifyOptions, Mode } from './options'
export default gazelle

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by the @gazelle/fastify plugin. */
    gazelle: GazelleInfo
  }
}
