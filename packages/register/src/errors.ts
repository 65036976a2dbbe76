// The register's own conditions. Configuration mistakes use the stack's
// ERR_GAZELLE_INVALID_OPTION (one validator style across packages, the message names the
// key and where it came from); what only the register can hit has a code here.
import { GazelleError } from '@gazelle/stack'

/** Every code the register throws or emits, with what it means. */
export const registerCodes = {
  ERR_GAZELLE_CONFIG_FILE: 'the config file could not be read or is not valid JSON',
  ERR_GAZELLE_NOT_ROUTABLE: 'strict mode: a socket a stack rule matches cannot go through the stack (the message names the case)',
  ERR_GAZELLE_NOT_TRANSFERABLE: 'a stack socket or a server listening on the stack was passed to another process (child.send, cluster)',
  ERR_GAZELLE_STACK_UNAVAILABLE: 'the stack could not be opened (or was closed), so a routed socket has no stack to use',
  ERR_GAZELLE_UNSUPPORTED_RUNTIME: 'this Node.js lacks an internal the register relies on (the message names it)',
} as const

export type RegisterErrorCode = keyof typeof registerCodes

/** A GazelleError (same class, so `instanceof GazelleError` and `err.code` work as for the stack). */
export function registerError(code: RegisterErrorCode, message: string, options?: ErrorOptions): GazelleError {
  // GazelleError's constructor types only the stack's codes; the runtime shape is the same.
  return new GazelleError(code as unknown as ConstructorParameters<typeof GazelleError>[0], message, options)
}
