// The one place argument errors are made: every message names the option, what was
// expected and what was given (like sharp's invalidParameterError).
import { inspect } from 'node:util'
import { GazelleError } from './errors'
import { badPort } from './node-errors'

/** How a given value reads in a message: strings quoted, objects inspected briefly. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`
  return inspect(value, { depth: 1, breakLength: Infinity, maxArrayLength: 5, maxStringLength: 40 })
}

/** `ERR_GAZELLE_INVALID_OPTION: options.ip must be <expected>, got <actual>` */
export function invalidOption(name: string, expected: string, actual: unknown): GazelleError {
  return new GazelleError(
    'ERR_GAZELLE_INVALID_OPTION',
    `${name} must be ${expected}, got ${describeValue(actual)}`,
  )
}

/** The longest unix socket path (sockaddr_un.sun_path, 108 bytes with the NUL). */
export const SUN_PATH_MAX = 107

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function integer(
  value: unknown,
  name: string,
  min: number,
  max: number,
  fallback?: number,
): number {
  if (value === undefined && fallback !== undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidOption(name, `an integer from ${min} to ${max}`, value)
  }
  return value
}

export function boolean(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw invalidOption(name, 'a boolean', value)
  return value
}

export function oneOf<T extends string>(
  value: unknown,
  name: string,
  allowed: readonly T[],
  fallback?: T,
): T {
  if (value === undefined && fallback !== undefined) return fallback
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalidOption(name, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, value)
  }
  return value as T
}

export function string(value: unknown, name: string, expected: string, test: (s: string) => boolean): string {
  if (typeof value !== 'string' || !test(value)) throw invalidOption(name, expected, value)
  return value
}

/** Ports for connect and listen: Node's RangeError ERR_SOCKET_BAD_PORT and message. */
export function port(value: unknown, name: string, allowZero: boolean): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  if (
    typeof n !== 'number' ||
    !Number.isInteger(n) ||
    n < (allowZero ? 0 : 1) ||
    n > 65535
  ) {
    throw badPort(name, value, allowZero)
  }
  return n
}
