// The plugin's and serverFactory's options, validated in one place: every bad value
// gets ERR_GAZELLE_INVALID_OPTION naming the option.
import { invalidOption, parseIPv4 } from '@gazelle/stack'
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
}

const MODES: readonly Mode[] = ['replace', 'both']

/** A stack instance (duck-typed: the package may be loaded twice in one process). */
export function isStack(value: unknown): value is Stack {
  const s = value as Stack | null
  return typeof s === 'object' && s !== null && typeof s.createServer === 'function' &&
    typeof s.close === 'function' && typeof s.ip === 'string'
}

export function resolveOptions(options: unknown): ResolvedOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidOption('options', 'an object with a stack (a Stack or stack options)', options)
  }
  const o = options as Record<string, unknown>
  if (typeof o.stack !== 'object' || o.stack === null || Array.isArray(o.stack)) {
    throw invalidOption('options.stack', 'a stack from createStack() or stack options', o.stack)
  }
  const mode = o.mode ?? 'replace'
  if (!MODES.includes(mode as Mode)) {
    throw invalidOption('options.mode', MODES.map((m) => JSON.stringify(m)).join(' or '), o.mode)
  }
  if (o.port !== undefined && (typeof o.port !== 'number' || !Number.isInteger(o.port) || o.port < 0 || o.port > 65535)) {
    throw invalidOption('options.port', 'an integer from 0 to 65535', o.port)
  }
  if (o.host !== undefined && (typeof o.host !== 'string' || parseIPv4(o.host) === undefined)) {
    throw invalidOption('options.host', 'the stack\'s IPv4 address or "0.0.0.0"', o.host)
  }
  const stack = isStack(o.stack) ? o.stack : undefined
  return {
    stack,
    stackOptions: stack ? undefined : (o.stack as StackOptions),
    mode: mode as Mode,
    port: o.port as number | undefined,
    host: o.host as string | undefined,
  }
}
