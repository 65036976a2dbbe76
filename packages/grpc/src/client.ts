// stackChannelOptions(stack): client options that route a grpc-js channel's connections
// through the stack. Option A (the connector hook, see connector-hook.ts) when the guard
// holds for the grpc-js copy in use; otherwise option C (fallback-channel.ts).
import type { RouteMatcher, Stack } from '@gazelle/stack'
import { assertStack, checkKeys, connectOnStack, invalidOption, offerStreamHandle, routeMatcher } from '@gazelle/stack'
import { CONNECT_OPTION, hookRefusal, installHook } from './connector-hook'
import type { StackConnect } from './connector-hook'
import { GrpcPublic, StackChannel } from './fallback-channel'
import { grpcFiles } from './grpc-module'
import type { GrpcFiles } from './grpc-module'

export interface StackChannelOptionsOptions {
  /** The @grpc/grpc-js module your clients are built with, if it is not the copy that
   * @gazelle/grpc itself resolves (e.g. several copies in one app). */
  grpc?: object
  /** Extra routes through the stack, beyond the stack's own subnet (the stack's gateway
   * must route them): IPv4 CIDRs or addresses, optionally with a port or port range
   * ("10.1.0.0/16", "10.1.0.7:50051"). Other addresses use the kernel (connector hook
   * only). Default: only the stack's subnet. */
  routes?: string[]
  /** 'auto' (default): the connector hook when its guard holds, else the fallback
   * channel. 'hook' throws if the hook cannot be used; 'fallback' always uses it. */
  mode?: 'auto' | 'hook' | 'fallback'
}

/** Client options (the third argument of a grpc-js client constructor, or of
 * makeGenericClientConstructor clients). Spread your own channel options into it. */
export type StackClientOptions = Record<string, unknown>

export type ChannelMode = 'hook' | 'fallback'

const kMode = Symbol.for('gazelle.grpc.mode')

/** Which path stackChannelOptions() took for these options ('hook' = option A). */
export function channelMode(options: StackClientOptions): ChannelMode | undefined {
  return (options as { [kMode]?: ChannelMode })[kMode]
}

function validate(stack: unknown, options: unknown): { stack: Stack; routes: RouteMatcher; opts: StackChannelOptionsOptions } {
  const s = assertStack(stack, 'stack')
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw invalidOption('options', 'an object', options)
  }
  const o = (options ?? {}) as StackChannelOptionsOptions
  checkKeys(o as Record<string, unknown>, ['grpc', 'routes', 'mode'], 'options')
  if (o.mode !== undefined && !['auto', 'hook', 'fallback'].includes(o.mode)) {
    throw invalidOption('options.mode', '"auto", "hook" or "fallback"', o.mode)
  }
  if (o.grpc !== undefined && (typeof o.grpc !== 'object' || o.grpc === null || typeof (o.grpc as { Client?: unknown }).Client !== 'function')) {
    throw invalidOption('options.grpc', 'the @grpc/grpc-js module', o.grpc)
  }
  return { stack: s, routes: routeMatcher(s, o.routes), opts: o }
}

// One connect function per stack and routes: grpc-js shares a subchannel (and its
// connection) between channels only when their options are identical, as it does for
// kernel channels to the same target.
const connectFunctions = new WeakMap<Stack, Map<string, StackConnect>>()

function connectFunction(stack: Stack, routes: RouteMatcher): StackConnect {
  let byRoutes = connectFunctions.get(stack)
  if (!byRoutes) connectFunctions.set(stack, (byRoutes = new Map()))
  let connect = byRoutes.get(routes.key)
  if (!connect) {
    connect = (address) =>
      typeof address.host === 'string' && typeof address.port === 'number' && routes.matches(address.host, address.port)
        // http2 then reads and writes the socket through its own native handle (a TLS
        // channel's TLSSocket wraps it as before).
        ? connectOnStack(stack, { host: address.host, port: address.port, noDelay: true }).then(offerStreamHandle)
        : null
    byRoutes.set(routes.key, connect)
  }
  return connect
}

function findFiles(grpc: object | undefined): GrpcFiles {
  const files = grpcFiles(grpc)
  if (!files) {
    throw invalidOption('options.grpc', grpc === undefined
      ? 'given: @grpc/grpc-js could not be resolved from @gazelle/grpc'
      : 'a loaded @grpc/grpc-js module (not found in require.cache)', grpc)
  }
  return files
}

/**
 * Client options whose channels open their connections on `stack`:
 * `new Client(target, credentials, stackChannelOptions(stack))`. Channels made without
 * them keep using the kernel.
 */
export function stackChannelOptions(stack: Stack, options?: StackChannelOptionsOptions): StackClientOptions {
  const { stack: st, routes, opts } = validate(stack, options)
  const files = findFiles(opts.grpc)
  const mode = opts.mode ?? 'auto'
  const refusal = mode === 'fallback' ? 'fallback asked for' : hookRefusal(files)
  if (refusal === null) {
    installHook(files)
    return Object.defineProperty({ [CONNECT_OPTION]: connectFunction(st, routes) }, kMode, { value: 'hook' })
  }
  if (mode === 'hook') {
    throw invalidOption('options.mode', `"auto" or "fallback" here (${refusal})`, mode)
  }
  const grpcPublic = (opts.grpc ?? files.require('build/src/index.js')) as GrpcPublic
  const channelFactoryOverride = (target: string, credentials: unknown, channelOptions: Record<string, unknown>) =>
    new StackChannel(grpcPublic, st, target, credentials, channelOptions)
  return Object.defineProperty({ channelFactoryOverride }, kMode, { value: 'fallback' })
}
