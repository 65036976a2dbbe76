// Handle passing (child.send(msg, socket), process.send, cluster's worker.send): a
// stack connection or listener lives in this process's stack and cannot travel. Node
// would send the JSStream and fail later, uncaught, inside its IPC retransmit
// (ERR_INVALID_HANDLE_TYPE). The register refuses at the send() call instead, with
// ERR_GAZELLE_NOT_TRANSFERABLE naming the case.
import * as dgram from 'node:dgram'
import * as net from 'node:net'
import childProcess = require('node:child_process')
import { registerError } from '../errors'
import { StackListenHandle } from '../listen-handle'
import { RoutedStream } from '../stream-handle'
import { RoutedUdp } from '../udp-route'

type Send = (...args: unknown[]) => boolean
type Sender = { send?: Send }

const kWrapped = Symbol('gazelle.register.sendWrapped')

/** Why this handle cannot be sent to another process, or null. */
export function untransferable(handle: unknown): string | null {
  if (handle instanceof net.Socket) {
    const h = (handle as unknown as { _handle: unknown })._handle
    if (RoutedStream.of(h)?.route === 'stack') {
      return 'a socket connected through the stack cannot be sent to another process (it lives in this process\'s stack)'
    }
  } else if (handle instanceof net.Server) {
    const h = (handle as unknown as { _handle: unknown })._handle
    if (StackListenHandle.is(h)) {
      return `a server listening on the stack (${h.mode} mode) cannot be sent to another process; ` +
        'listen on the kernel for that port (GAZELLE_LISTEN=PORT=kernel) to share it'
    }
  } else if (handle instanceof dgram.Socket && RoutedUdp.of(handle)?.onStack) {
    return 'a UDP socket bound on the stack cannot be sent to another process'
  }
  return null
}

function wrapSend(target: Sender): void {
  const original = target.send
  if (typeof original !== 'function' || (original as { [kWrapped]?: boolean })[kWrapped]) return
  const send = function send(this: unknown, message: unknown, handle?: unknown, ...rest: unknown[]): boolean {
    if (handle !== null && typeof handle === 'object') {
      const why = untransferable(handle)
      if (why) throw registerError('ERR_GAZELLE_NOT_TRANSFERABLE', why)
    }
    return original.call(this, message, handle, ...rest)
  }
  Object.defineProperty(send, kWrapped, { value: true })
  target.send = send
}

export function installTransferHook(): void {
  const proto = childProcess.ChildProcess.prototype as unknown as { spawn: (...args: unknown[]) => unknown }
  const spawn = proto.spawn
  // setupChannel() gives each child with an IPC channel its own send() inside spawn().
  proto.spawn = function (this: Sender, ...args: unknown[]) {
    const result = spawn.apply(this, args)
    wrapSend(this)
    return result
  }
  wrapSend(process as unknown as Sender)
}
