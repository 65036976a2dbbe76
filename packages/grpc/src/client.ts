// stackChannelOptions(stack): client options that route a grpc-js channel's connections
// through the stack. Option A (the connector hook, see connector-hook.ts) when the guard
// holds for the grpc-js copy in use; otherwise option C (fallback-channel.ts).
import type { Stack } from '@gazelle/stack'
import { invalidOption, isIPv4, parseCidr, parseIPv4, prefixToNetmask } from '@gazelle/stack'
import { CONNECT_OPTION, hookRefusal, installHook } from './connector-hook'
import type { StackConnect } from './connector-hook'
import { GrpcPublic, StackChannel } from './fallback-channel'
import { grpcFiles } from './grpc-module'
import type { GrpcFiles } from './grpc-module'
import { connectOnStack } from './stack-connect'

export interface StackChannelOptionsOptions {
  /** The @grpc/grpc-js module your clients are built with, if it is not the copy that
   * @gazelle/grpc itself resolves (e.g. several copies in one app). */
  grpc?: object
  /** Extra IPv4 CIDRs reached through the stack, beyond the stack's own subnet (the
   * stack's gateway must route them). Other addresses use the kernel (connector hook
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

interface Route { ip: number; mask: number }

function validate(stack: unknown, options: unknown): { stack: Stack; routes: Route[]; opts: StackChannelOptionsOptions } {
  const s = stack as Partial<Stack> | null
  if (typeof s !== 'object' || s === null || typeof s.connect !== 'function' || !isIPv4(s.ip) || !Number.isInteger(s.prefixLength)) {
    throw invalidOption('stack', 'a stack from createStack()', stack)
  }
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw invalidOption('options', 'an object', options)
  }
  const o = (options ?? {}) as StackChannelOptionsOptions
  if (o.mode !== undefined && !['auto', 'hook', 'fallback'].includes(o.mode)) {
    throw invalidOption('options.mode', '"auto", "hook" or "fallback"', o.mode)
  }
  if (o.grpc !== undefined && (typeof o.grpc !== 'object' || o.grpc === null || typeof (o.grpc as { Client?: unknown }).Client !== 'function')) {
    throw invalidOption('options.grpc', 'the @grpc/grpc-js module', o.grpc)
  }
  const routes: Route[] = [{ ip: (parseIPv4(s.ip)! & prefixToNetmask(s.prefixLength!)) >>> 0, mask: prefixToNetmask(s.prefixLength!) }]
  if (o.routes !== undefined) {
    if (!Array.isArray(o.routes)) throw invalidOption('options.routes', 'an array of IPv4 CIDRs like "10.1.0.0/16"', o.routes)
    o.routes.forEach((r, i) => {
      const c = parseCidr(r)
      if (!c) throw invalidOption(`options.routes[${i}]`, 'an IPv4 CIDR like "10.1.0.0/16"', r)
      const mask = prefixToNetmask(c.prefix)
      routes.push({ ip: (c.ip & mask) >>> 0, mask })
    })
  }
  return { stack: s as Stack, routes, opts: o }
}

// One connect function per stack and routes: grpc-js shares a subchannel (and its
// connection) between channels only when their options are identical, as it does for
// kernel channels to the same target.
const connectFunctions = new WeakMap<Stack, Map<string, StackConnect>>()

function connectFunction(stack: Stack, routes: Route[]): StackConnect {
  let byRoutes = connectFunctions.get(stack)
  if (!byRoutes) connectFunctions.set(stack, (byRoutes = new Map()))
  const key = routes.map((r) => `${r.ip}/${r.mask}`).join(',')
  let connect = byRoutes.get(key)
  if (!connect) {
    const onStack = (host: string) => {
      const ip = parseIPv4(host)
      return ip !== undefined && routes.some((r) => ((ip & r.mask) >>> 0) === r.ip)
    }
    connect = (address) =>
      typeof address.host === 'string' && typeof address.port === 'number' && onStack(address.host)
        ? connectOnStack(stack, address.host, address.port)
        : null
    byRoutes.set(key, connect)
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
