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

/** A port number from a number or a numeric string, or undefined if it is not one. */
export function parsePort(value: unknown, allowZero: boolean): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  if (typeof n !== 'number' || !Number.isInteger(n) || n < (allowZero ? 0 : 1) || n > 65535) return undefined
  return n
}

/** Ports for connect and listen: Node's RangeError ERR_SOCKET_BAD_PORT and message. */
export function port(value: unknown, name: string, allowZero: boolean): number {
  const n = parsePort(value, allowZero)
  if (n === undefined) throw badPort(name, value, allowZero)
  return n
}

/** A port given as an option (a number only): ERR_GAZELLE_INVALID_OPTION naming it. */
export function portOption(value: unknown, name: string, allowZero = true): number {
  if (typeof value !== 'number' || parsePort(value, allowZero) === undefined) {
    throw invalidOption(name, `an integer from ${allowZero ? 0 : 1} to 65535`, value)
  }
  return value
}

/** Edit distance (insertions, deletions, substitutions, adjacent swaps). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0][j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  }
  return d[a.length][b.length]
}

/** The name in `names` closest to `key` (case-insensitively), if it is close enough to be
 * a typo, or the one name that starts with it ("spin" for spinMicros). */
export function closestName(key: string, names: readonly string[]): string | undefined {
  const k = key.toLowerCase()
  let best: string | undefined
  let bestDistance = Infinity
  for (const name of names) {
    const d = distance(k, name.toLowerCase())
    if (d < bestDistance) {
      best = name
      bestDistance = d
    }
  }
  const limit = key.length <= 2 ? 0 : Math.max(1, Math.min(3, Math.floor(key.length / 3)))
  if (best !== undefined && bestDistance <= limit) return best
  const prefixed = k.length >= 3 ? names.filter((n) => n.toLowerCase().startsWith(k)) : []
  return prefixed.length === 1 ? prefixed[0] : undefined
}

/** The error for an unknown option key: names it and the closest valid one. */
export function unknownOption(key: string, name: string, known: readonly string[]): GazelleError {
  const guess = closestName(key, known)
  const hint = guess !== undefined
    ? `did you mean ${name}.${guess}?`
    : `the options are ${known.join(', ')}`
  return new GazelleError('ERR_GAZELLE_INVALID_OPTION', `${name}.${key} is not an option: ${hint}`)
}

/**
 * Rejects keys of `options` that are not in `known` (a typo is not silently ignored):
 * `options.pol is not an option: did you mean options.poll?`. Keys whose value is
 * undefined are ignored, as for the options themselves.
 */
export function checkKeys(options: Record<string, unknown>, known: readonly string[], name: string): void {
  for (const key of Object.keys(options)) {
    if (options[key] !== undefined && !known.includes(key)) throw unknownOption(key, name, known)
  }
}
