// @gazelle/undici: undici connections over a @gazelle/stack stack. GazelleAgent for a
// whole service (setGlobalDispatcher, fetch); buildStackConnector for one Client or Pool.
export { GazelleAgent } from './agent'
export type { GazelleAgentOptions } from './agent'
export { buildStackConnector } from './connector'
export type { Connector } from './connector'
export type { ConnectOptions, StackConnectorOptions } from './options'
