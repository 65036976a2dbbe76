// The plugin's and serverFactory's options, validated in one place: every bad value
// gets ERR_GAZELLE_INVALID_OPTION naming the option.
import { checkKeys, formatIPv4, invalidOption, isIPv4, isStack, listenHostKind, notAStack, parseCidr, portOption } from '@gazelle/stack'
import type { Stack, StackOptions } from '@gazelle/stack'

export type Mode = 'replace' | 'both'

export interface GazelleFastifyOptions {
  /** A stack from createStack() (left open on close), or options to create one (closed
   * with the app). */
  stack: Stack | StackOptions
  /** 'replace' (default): only the stack listens. 'both': the kernel listens as usual
   * and the stack listens too. */
  mode?: Mode
  /** The stack's port; default: the port given to app.listen() (with port 0 the stack
   * picks its own; app.gazelle.address() tells which). */
  port?: number
  /** The stack's address to listen on: its own IPv4 address or "0.0.0.0" (default). */
  host?: string
}

export interface ResolvedOptions {
  stack: Stack | undefined
  stackOptions: StackOptions | undefined
  mode: Mode
  port: number | undefined
  host: string | undefined
  /** Made by the plugin (which sees app.listen()'s own arguments), not by serverFactory. */
  plugin: boolean
}

const MODES: readonly Mode[] = ['replace', 'both']
const KEYS = ['stack', 'mode', 'port', 'host']
/** What Fastify's register() itself takes beside a plugin's own options. */
const REGISTER_KEYS = ['prefix', 'logLevel', 'logSerializers']

export { isStack }

/** The stack's own address, from a stack or stack options (undefined if they have none yet). */
function stackAddress(stack: Stack | undefined, stackOptions: StackOptions | undefined): string | undefined {
  if (stack) return stack.ip
  const cidr = parseCidr(stackOptions?.ip)
  return cidr === undefined ? undefined : formatIPv4(cidr.ip)
}

export function resolveOptions(options: unknown, plugin = false): ResolvedOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidOption('options', 'an object with a stack (a Stack or stack options)', options)
  }
  const o = options as Record<string, unknown>
  checkKeys(o, plugin ? [...KEYS, ...REGISTER_KEYS] : KEYS, 'options')
  const stack = isStack(o.stack) ? o.stack : undefined
  if (!stack && (typeof o.stack !== 'object' || o.stack === null || Array.isArray(o.stack) || typeof (o.stack as { then?: unknown }).then === 'function')) {
    throw notAStack('options.stack', o.stack, 'a stack from createStack() or stack options')
  }
  const mode = o.mode ?? 'replace'
  if (!MODES.includes(mode as Mode)) {
    throw invalidOption('options.mode', MODES.map((m) => JSON.stringify(m)).join(' or '), o.mode)
  }
  if (o.port !== undefined) portOption(o.port, 'options.port')
  const stackOptions = stack ? undefined : (o.stack as StackOptions)
  if (o.host !== undefined) {
    const own = stackAddress(stack, stackOptions)
    const kind = listenHostKind(o.host, own ?? '')
    // (stack options without a valid ip: createStack will say so)
    if (!(kind === 'any' || kind === 'stack' || (own === undefined && kind === 'other' && isIPv4(o.host)))) {
      throw invalidOption('options.host', `the stack's IPv4 address${own ? ` "${own}"` : ''} or "0.0.0.0"` +
        (kind === 'loopback' ? ' (the stack serves on its network address: a loopback host would be widened)' : ''), o.host)
    }
  }
  return {
    stack,
    stackOptions,
    mode: mode as Mode,
    port: o.port as number | undefined,
    host: o.host as string | undefined,
    plugin,
  }
}
