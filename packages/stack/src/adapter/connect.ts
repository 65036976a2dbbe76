// Connect-and-await: what an adapter's connector does with a stack (undici's connect
// function, grpc-js's tcpConnect). Settles once: with the connected socket, or with the
// connect error, a close before 'connect', the timeout or the abort signal; in the last
// three cases the socket is destroyed.
import { systemError } from '../errors'
import type { Socket } from '../socket'
import type { ConnectOptions, Stack } from '../stack'

export interface ConnectOnStackOptions {
  /** ms until the connect attempt fails with ETIMEDOUT (0 or undefined: no limit but the stack's own). */
  timeout?: number
  signal?: AbortSignal
}

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason
  if (reason instanceof Error) return reason
  return Object.assign(new Error('The operation was aborted', { cause: reason }), { name: 'AbortError', code: 'ABORT_ERR' })
}

/**
 * Opens a TCP connection on the stack and resolves with the socket once connected.
 * Rejects with the socket's error (ECONNREFUSED...), ETIMEDOUT after `timeout` ms
 * (`connect ETIMEDOUT 10.0.0.2:80`), the signal's reason, or ECONNRESET if it closed first.
 */
export function connectOnStack(stack: Stack, options: ConnectOptions, settings: ConnectOnStackOptions = {}): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const { timeout, signal } = settings
    if (signal?.aborted) {
      reject(abortError(signal))
      return
    }
    let socket: Socket
    try {
      socket = stack.connect(options)
    } catch (err) {
      reject(err)
      return
    }
    const address = String(options.host)
    const port = Number(options.port)
    let timer: NodeJS.Timeout | undefined
    const settle = (err: Error | null) => {
      if (timer !== undefined) clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      socket.off('error', onError)
      socket.off('close', onClose)
      socket.off('connect', onConnect)
      if (err === null) {
        resolve(socket)
        return
      }
      if (!socket.destroyed) socket.destroy()
      reject(err)
    }
    const onConnect = () => settle(null)
    const onError = (err: Error) => settle(err)
    const onClose = () => settle(systemError('ECONNRESET', 'connect', address, port))
    const onAbort = () => settle(abortError(signal!))
    socket.once('connect', onConnect)
    socket.once('error', onError)
    socket.once('close', onClose)
    signal?.addEventListener('abort', onAbort, { once: true })
    if (timeout !== undefined && timeout > 0) {
      timer = setTimeout(() => settle(systemError('ETIMEDOUT', 'connect', address, port)), timeout)
      timer.unref()
    }
  })
}
