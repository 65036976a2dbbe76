// Errors shaped exactly like the ones Node's own modules throw (node:dgram here):
// the same class (TypeError, RangeError, Error), `code`, message and a stack whose
// first line reads "TypeError [ERR_X]: message", so code written against node:dgram
// (and its tests) sees no difference.
import { getSystemErrorMap, inspect } from 'node:util'
import { errnoName } from './errors'

export interface NodeError extends Error {
  code: string
}

type ErrorClass = new (message: string) => Error

/** name: what err.name reads when it is not the class's (Node's "SystemError"). */
export function nodeError(Base: ErrorClass, code: string, message: string, name?: string): NodeError {
  const err = new Base(message) as NodeError
  // The stack is captured with "Name [code]" as the name, then the name reverts.
  Object.defineProperty(err, 'name', { value: `${name ?? Base.name} [${code}]`, configurable: true, writable: true })
  void err.stack
  delete (err as { name?: string }).name
  if (name !== undefined) Object.defineProperty(err, 'name', { value: name, configurable: true, writable: true })
  err.code = code
  return err
}

/** How Node's messages end: "Received type number (5)", "Received an instance of Array". */
export function received(value: unknown): string {
  if (value === null || value === undefined) return `Received ${value}`
  if (typeof value === 'function') return `Received function ${value.name}`
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: string } }).constructor?.name
    return name ? `Received an instance of ${name}` : `Received ${inspect(value, { depth: -1 })}`
  }
  const cut = (text: string) => (text.length > 28 ? `${text.slice(0, 25)}...` : text)
  // Strings are cut before they are quoted, other values after they are shown.
  const shown = typeof value === 'string' ? inspect(cut(value)) : cut(inspect(value, { colors: false }))
  return `Received type ${typeof value} (${shown})`
}

/** ERR_INVALID_ARG_TYPE; expected like "of type string" or "of type string or an instance of Buffer". */
export function invalidArgType(name: string, expected: string, value: unknown): NodeError {
  const kind = name.includes('.') ? 'property' : 'argument'
  return nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', `The "${name}" ${kind} must be ${expected}. ${received(value)}`)
}

function withSeparators(n: number): string {
  if (!Number.isInteger(n) || Math.abs(n) <= 2 ** 32) return String(n)
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, '_')
}

export function outOfRange(name: string, range: string, value: number): NodeError {
  return nodeError(RangeError, 'ERR_OUT_OF_RANGE',
    `The value of "${name}" is out of range. It must be ${range}. Received ${withSeparators(value)}`)
}

export function badPort(name: string, value: unknown, allowZero: boolean): NodeError {
  const shown = value === undefined || value === null ? String(value) : received(value).slice('Received '.length)
  return nodeError(RangeError, 'ERR_SOCKET_BAD_PORT',
    `${name} should be ${allowZero ? '>=' : '>'} 0 and < 65536. Received ${shown}.`)
}

export function missingArgs(name: string): NodeError {
  return nodeError(TypeError, 'ERR_MISSING_ARGS', `The "${name}" argument must be specified`)
}

export function bufferOutOfBounds(name: string): NodeError {
  return nodeError(RangeError, 'ERR_BUFFER_OUT_OF_BOUNDS', `"${name}" is outside of buffer bounds`)
}

/** ERR_SOCKET_BUFFER_SIZE, a SystemError: uv_recv_buffer_size / uv_send_buffer_size failed (-errno). */
export function bufferSizeSystemError(syscall: string, errno: number): NodeError {
  const code = errnoName(errno)
  const text = getSystemErrorMap().get(errno)?.[1] ?? code
  const err = nodeError(Error, 'ERR_SOCKET_BUFFER_SIZE',
    `Could not get or set buffer size: ${syscall} returned ${code} (${text})`, 'SystemError')
  Object.assign(err, { info: { errno, code, message: text, syscall }, errno, syscall })
  return err
}

/** The node:dgram state errors, by code. */
export const dgramErrors = {
  ERR_SOCKET_ALREADY_BOUND: 'Socket is already bound',
  ERR_SOCKET_DGRAM_IS_CONNECTED: 'Already connected',
  ERR_SOCKET_DGRAM_NOT_CONNECTED: 'Not connected',
  ERR_SOCKET_DGRAM_NOT_RUNNING: 'Not running',
} as const

export function dgramError(code: keyof typeof dgramErrors): NodeError {
  return nodeError(Error, code, dgramErrors[code])
}
