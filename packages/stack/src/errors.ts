// Errors: one class for the package's own conditions (ERR_GAZELLE_* plus the few
// node:net argument codes it mirrors), and system errors shaped like Node's
// (code, errno, syscall, address, port) for what node:net reports that way.
import { constants } from 'node:os'
import { getSystemErrorMap } from 'node:util'

/** Every ERR_GAZELLE_* code, with what it means. The native addon throws the ones marked. */
export const codes = {
  ERR_GAZELLE_INVALID_OPTION: 'an option or argument has the wrong type or value',
  ERR_GAZELLE_NO_DPDK: 'the native addon or the DPDK libraries could not be loaded',
  ERR_GAZELLE_NO_HUGEPAGES: 'hugetlbfs is not mounted or has too few free hugepages (also native)',
  ERR_GAZELLE_DEVICE_EXISTS: 'a network interface with the tap name already exists, or another process uses the name',
  ERR_GAZELLE_SUBNET_IN_USE: "the kernel already routes the tap's subnet (or has its addresses) elsewhere",
  ERR_GAZELLE_DEVICE_NOT_FOUND: 'the kernel interface named for af_packet does not exist',
  ERR_GAZELLE_DEVICE_SETUP: 'configuring the kernel side of the device failed',
  ERR_GAZELLE_MEMIF_IN_USE: 'another process is serving the memif socket',
  ERR_GAZELLE_STACK_OPEN: 'a stack is already open in this process (also native)',
  ERR_GAZELLE_STACK_CLOSED: 'the stack is closed (also native)',
  ERR_GAZELLE_EAL: 'DPDK EAL initialisation failed (native)',
  ERR_GAZELLE_DEVICE: 'DPDK could not create, configure or start the port (native)',
  ERR_GAZELLE_NO_INTERRUPT: "poll 'interrupt' was asked for a port without rx interrupts (native)",
  ERR_GAZELLE_LINK_DOWN: 'a memif client found no server on its socket, or the link did not come up',
  ERR_GAZELLE_CONTROL: 'the control socket could not be opened (path in use, directory not ours)',
} as const

/** node:net codes this package throws where Node would, with Node's meaning. */
export const nodeCodes = {
  ERR_SOCKET_BAD_PORT: 'a port is not an integer in range',
  ERR_SERVER_ALREADY_LISTEN: 'listen() was called on a listening server',
  ERR_SERVER_NOT_RUNNING: 'close() was called on a server that is not listening',
  ERR_STREAM_DESTROYED: 'a write was still pending when the socket was destroyed',
} as const

export type GazelleErrorCode = keyof typeof codes
export type NodeErrorCode = keyof typeof nodeCodes

export class GazelleError extends Error {
  readonly code: GazelleErrorCode | NodeErrorCode

  constructor(code: GazelleErrorCode | NodeErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    Object.setPrototypeOf(this, new.target.prototype) // instanceof holds even if compiled to ES5
    this.code = code
    // Like Node's internal errors: the stack's first line reads "GazelleError [CODE]: message".
    this.name = `GazelleError [${code}]`
    void this.stack
    this.name = 'GazelleError'
  }
}

export function isGazelleCode(code: unknown): code is GazelleErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(codes, code)
}

/** The fields Node puts on system errors (ExceptionWithHostPort). */
export interface SystemError extends Error {
  code: string
  errno: number
  syscall: string
  address?: string
  port?: number
}

export type SystemErrorCode = keyof typeof constants.errno

/**
 * A Node-style system error. Message formats follow Node: `connect ECONNREFUSED 10.0.0.2:80`,
 * `read ECONNRESET`, and with describe (uv style, used for listen)
 * `listen EADDRINUSE: address already in use 10.0.0.1:80`.
 */
export function systemError(
  code: string,
  syscall: string,
  address?: string,
  port?: number,
  describe = false,
): SystemError {
  const n = (constants.errno as Record<string, number>)[code]
  const errno = n === undefined ? 0 : -n
  let message = `${syscall} ${code}`
  if (describe) {
    const text = getSystemErrorMap().get(errno)?.[1]
    if (text !== undefined) message += `: ${text}`
  }
  if (address !== undefined) message += port === undefined ? ` ${address}` : ` ${address}:${port}`
  const err = new Error(message) as SystemError
  err.errno = errno
  err.code = code
  err.syscall = syscall
  if (address !== undefined) err.address = address
  if (port !== undefined) err.port = port
  return err
}

/**
 * Turns an error thrown by the addon into this package's shape: ERR_GAZELLE_* codes become
 * GazelleErrors, errno names (EADDRINUSE, ENOMEM...) become system errors for syscall.
 */
export function fromNative(err: unknown, syscall: string, address?: string, port?: number): Error {
  const e = err instanceof Error ? err : new Error(String(err))
  const code = (e as { code?: unknown }).code
  if (isGazelleCode(code)) return new GazelleError(code, e.message, { cause: e })
  if (typeof code === 'string' && code in constants.errno) {
    return systemError(code, syscall, address, port, true)
  }
  return e
}
