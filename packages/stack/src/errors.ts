// Errors: one class for the package's own conditions (ERR_GAZELLE_*), Node's own
// shapes for the node:net codes it throws where Node would (node-errors.ts), and system
// errors shaped like Node's (code, errno, syscall, address, port) for the -errno results
// of the native calls, made by one helper as node:net makes them.
import { constants } from 'node:os'
import { getSystemErrorMap } from 'node:util'

/** Every ERR_GAZELLE_* code, with what it means. The native addon throws the ones marked
 * (only when the stack opens: its socket calls return -errno). */
export const codes = {
  ERR_GAZELLE_INVALID_OPTION: 'an option or argument has the wrong type or value',
  ERR_GAZELLE_PERMISSION: 'the process is not root and lacks what the device needs (hugepage files, network capabilities)',
  ERR_GAZELLE_NO_DPDK: 'the native addon or the DPDK libraries could not be loaded',
  ERR_GAZELLE_NO_HUGEPAGES: 'hugetlbfs is not mounted or has too few free hugepages (also native)',
  ERR_GAZELLE_DEVICE_EXISTS: 'a network interface with the tap name already exists, or another process uses the name',
  ERR_GAZELLE_SUBNET_IN_USE: "the kernel already routes the tap's subnet (or has its addresses) elsewhere",
  ERR_GAZELLE_DEVICE_NOT_FOUND: 'the kernel interface named for af_packet or af_xdp does not exist (also native)',
  ERR_GAZELLE_DEVICE_SETUP: 'configuring the kernel side of the device failed',
  ERR_GAZELLE_MEMIF_IN_USE: 'another process is serving the memif socket',
  ERR_GAZELLE_STACK_OPEN: 'a stack is already open in this process (also native)',
  ERR_GAZELLE_STACK_CLOSED: 'the stack is closed',
  ERR_GAZELLE_EAL: 'DPDK EAL initialisation failed (native)',
  ERR_GAZELLE_DEVICE: 'DPDK could not create, configure or start the port (native)',
  ERR_GAZELLE_NO_INTERRUPT: "poll 'interrupt' was asked for a port without rx interrupts (native)",
  ERR_GAZELLE_LINK_DOWN: 'a memif client found no server on its socket, or the link did not come up',
  ERR_GAZELLE_CONTROL: 'the control socket could not be opened (path in use, directory not ours)',
  ERR_GAZELLE_NOT_ROOT: 'the device needs root: CAP_NET_ADMIN, CAP_NET_RAW and CAP_BPF for af_xdp (also native)',
  ERR_GAZELLE_MTU: 'the MTU is above what the device takes, e.g. an AF_XDP frame (also native)',
  ERR_GAZELLE_NO_ADDRESS: 'ip "auto": the af_xdp interface has no IPv4 address',
  ERR_GAZELLE_XDP_UNSUPPORTED: 'the kernel or the interface refused AF_XDP or XDP; the message has its reason (native)',
  ERR_GAZELLE_XDP_PROGRAM: "the XDP program failed to load; the message has the verifier's last words, .log all of it (native)",
  ERR_GAZELLE_XDP_BUSY: 'the interface has an XDP program of another process, or another live stack uses it (native)',
  ERR_GAZELLE_XDP_QUEUES: 'the interface has more rx queues than options.device.queues: frames would bypass the stack',
} as const

/** node:net codes this package throws where Node would, with Node's meaning and shape
 * (RangeError or Error with the code, node-errors.ts). */
export const nodeCodes = {
  ERR_SOCKET_BAD_PORT: 'a port is not an integer in range',
  ERR_SERVER_ALREADY_LISTEN: 'listen() was called on a listening server',
  ERR_SERVER_NOT_RUNNING: 'close() was called on a server that is not listening',
  ERR_STREAM_DESTROYED: 'a write was still pending when the socket was destroyed',
} as const

export type GazelleErrorCode = keyof typeof codes
export type NodeErrorCode = keyof typeof nodeCodes

export class GazelleError extends Error {
  readonly code: GazelleErrorCode

  constructor(code: GazelleErrorCode, message: string, options?: ErrorOptions) {
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

/** An ERR_GAZELLE_* error the addon threw when opening the stack, as a GazelleError. */
export function openError(err: unknown): Error {
  const code = (err as { code?: unknown } | null)?.code
  if (err instanceof Error && isGazelleCode(code)) return new GazelleError(code, err.message, { cause: err })
  return err instanceof Error ? err : new Error(String(err))
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

const systemErrors = getSystemErrorMap()

/** libuv's name for a -errno ("ECONNREFUSED"), as util.getSystemErrorName gives it. */
export function errnoName(errno: number): string {
  return systemErrors.get(errno)?.[0] ?? `Unknown system error ${errno}`
}

function errnoOf(code: string): number {
  const n = (constants.errno as Record<string, number>)[code]
  return n === undefined ? 0 : -n
}

/**
 * The error node:net or node:dgram would make for a failed call (errno: a negative errno,
 * as the native calls return), with Node's message, fields and field order:
 * - no address: ErrnoException, `read ECONNRESET` (errno, code, syscall)
 * - listen: libuv's form, `listen EADDRINUSE: address already in use 10.0.0.1:80`
 *   (code, errno, syscall, address, port)
 * - else ExceptionWithHostPort, `connect ECONNREFUSED 10.0.0.2:80` (errno, code, syscall,
 *   address, port)
 * A port of 0 is left out of the message and the fields, as Node does.
 */
export function errnoException(errno: number, syscall: string, address?: string, port?: number): SystemError {
  return makeSystemError(errno, errnoName(errno), syscall, address, port, syscall === 'listen')
}

/**
 * errnoException for an errno name ("EPIPE"): the errors this package makes itself where
 * Node would report a system error. describe: with libuv's description, as for listen.
 */
export function systemError(
  code: string,
  syscall: string,
  address?: string,
  port?: number,
  describe = syscall === 'listen',
): SystemError {
  return makeSystemError(errnoOf(code), code, syscall, address, port, describe)
}

function makeSystemError(
  errno: number,
  code: string,
  syscall: string,
  address: string | undefined,
  port: number | undefined,
  describe: boolean,
): SystemError {
  let details = ''
  if (port !== undefined && port > 0) details = ` ${address}:${port}`
  else if (address) details = ` ${address}`
  const text = describe ? systemErrors.get(errno)?.[1] : undefined
  const err = new Error(text === undefined ? `${syscall} ${code}${details}` : `${syscall} ${code}: ${text}${details}`)
  // Node's field order: libuv's form puts the code first.
  Object.assign(err, describe ? { code, errno, syscall } : { errno, code, syscall })
  if (address !== undefined) (err as SystemError).address = address
  if (port) (err as SystemError).port = port
  return err as SystemError
}
