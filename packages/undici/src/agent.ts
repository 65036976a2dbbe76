// GazelleAgent: an undici Agent (connections per origin, keep-alive, pipelining,
// timeouts, close() and destroy()) whose connections to routed origins are stack sockets.
import { invalidOption } from '@gazelle/stack'
import type { RouteMatcher, Stack } from '@gazelle/stack'
import * as undici from 'undici'
import { connectorFrom } from './connector'
import { resolveConnectorOptions } from './options'
import type { ConnectOptions, StackConnectorOptions } from './options'

export interface GazelleAgentOptions extends Omit<undici.Agent.Options, 'connect' | 'allowH2' | 'maxCachedSessions'>, StackConnectorOptions {
  /** The stack to open connections on (from createStack()). */
  stack: Stack
  connect?: ConnectOptions
}

const kStack = Symbol('gazelle.stack')
const kRoutes = Symbol('gazelle.routes')

/**
 * An undici Agent whose connections to IPv4 origins in the stack's subnet or in
 * `routes` are stack sockets; other origins go through the kernel unchanged.
 */
export class GazelleAgent extends undici.Agent {
  declare [kStack]: Stack
  declare [kRoutes]: RouteMatcher

  constructor(options: GazelleAgentOptions) {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw invalidOption('options', 'an object with a stack', options)
    }
    const resolved = resolveConnectorOptions(options.stack, 'options.stack', options)
    const { stack: _s, routes: _r, connect: _c, servernames: _n, ...agentOptions } = options
    super({ ...agentOptions, connect: connectorFrom(resolved, agentOptions as Record<string, unknown>) })
    Object.defineProperty(this, kStack, { value: resolved.stack })
    Object.defineProperty(this, kRoutes, { value: resolved.routes })
  }

  /** The stack this agent opens connections on. */
  get stack(): Stack {
    return this[kStack]
  }

  /** Whether a connection to this hostname (and port: without one, to every port) goes
   * through the stack; false means the kernel. */
  routesThroughStack(hostname: string, port?: number): boolean {
    return this[kRoutes].matches(hostname, port)
  }
}
