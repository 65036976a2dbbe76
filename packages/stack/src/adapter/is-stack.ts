// Is this value a stack? Adapters take a Stack from their caller, who may have a second
// copy of @gazelle/stack in node_modules (so no instanceof), or may have forgotten to
// await createStack() (a Promise: that mistake gets its own message).
import { GazelleError } from '../errors'
import { isIPv4 } from '../ip'
import type { Stack } from '../stack'
import { invalidOption } from '../validate'

/** Whether value is a stack from createStack() (of any copy of this package). */
export function isStack(value: unknown): value is Stack {
  const s = value as Partial<Stack> | null
  return typeof s === 'object' && s !== null && typeof s.createServer === 'function' && typeof s.connect === 'function' &&
    typeof s.close === 'function' && isIPv4(s.ip) && Number.isInteger(s.prefixLength)
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
}

/** The error for something passed where a stack belongs: ERR_GAZELLE_INVALID_OPTION. */
export function notAStack(name: string, value: unknown, expected = 'a stack from createStack()'): GazelleError {
  if (isThenable(value)) {
    return new GazelleError(
      'ERR_GAZELLE_INVALID_OPTION',
      `${name} is a Promise, not a stack: createStack() is async, so await it first ` +
        '(const stack = await createStack(options))',
    )
  }
  return invalidOption(name, expected, value)
}

/** Returns value as a Stack, or throws notAStack(name, value). */
export function assertStack(value: unknown, name = 'stack'): Stack {
  if (isStack(value)) return value
  throw notAStack(name, value)
}
