// A listening net.Server's handle when the stack serves its port: stack-only, or both
// (a kernel TCP handle plus a stack listener on the same port, Gazelle's listen). Node's
// own setupListenHandle() installs it: it calls listen(backlog) (a non-zero errno becomes
// node's own listen error), sets onconnection and the owner, and emits 'listening'. Each
// connection the stack accepts reaches node's onconnection() with a routed JSStream
// handle, exactly as a kernel accept would, so maxConnections, 'drop', noDelay,
// keepAlive and _connections work unchanged.
import type { Server as StackServer, Socket as StackSocket, Stack } from '@gazelle/stack'
import type { KernelServerHandle } from './internals'
import type { Router } from './router'
import { RoutedStream, Transport } from './stream-handle'

type OnConnection = (err: number, clientHandle: unknown) => void

export const kListen = Symbol('gazelle.register.listen')

export class StackListenHandle {
  /** Set by node's setupListenHandle. */
  onconnection: OnConnection | null = null
  readonly [kListen] = true
  readonly router: Router
  readonly kernel: KernelServerHandle | null
  #port: number
  #stackServer: StackServer | null = null
  #refed = true
  #closed = false

  /** kernel: the kernel half in both mode (bound, not listening yet), or null. */
  constructor(router: Router, port: number, kernel: KernelServerHandle | null) {
    this.router = router
    this.#port = port
    this.kernel = kernel
  }

  static is(handle: unknown): handle is StackListenHandle {
    return (handle as { [kListen]?: boolean } | null)?.[kListen] === true
  }

  get mode(): 'stack' | 'both' {
    return this.kernel ? 'both' : 'stack'
  }

  /** The kernel half's descriptor, or -1 (node reads `_handle.fd` in places). */
  get fd(): number {
    return this.kernel?.fd ?? -1
  }

  listen(backlog: number): number {
    if (this.kernel) {
      const err = this.kernel.listen(backlog)
      if (err) return err
      this.kernel.onconnection = (status, clientHandle) => this.onconnection?.(status, clientHandle)
      const out: Record<string, unknown> = {}
      if (this.kernel.getsockname(out) === 0) this.#port = out.port as number // port 0: the kernel chose
    }
    const stack = this.router.stack
    if (stack !== null) {
      this.#listenStack(stack, backlog)
    } else if (this.kernel && this.router.state === 'opening') {
      // -r, both: the kernel half serves now (address() answers at once, as without the
      // register); the stack half follows once the stack is open.
      this.router.withStack((opened) => {
        if (!this.#closed) this.#listenStack(opened, backlog)
      }, (err) => {
        if (this.router.config.fallback !== 'kernel') this.#fail(err)
      })
    } else {
      process.nextTick(() => this.#fail(this.router.unavailable()))
    }
    return 0
  }

  #listenStack(stack: Stack, backlog: number): void {
    const server = stack.createServer({ allowHalfOpen: true, pauseOnConnect: true })
    // A stack listen error (EADDRINUSE...) comes on the next tick, before node's own
    // 'listening' tick: #fail() takes the handle back so 'listening' never fires.
    server.once('error', (err: Error) => this.#fail(err))
    server.listen({ port: this.#port, host: this.router.stackIp, backlog })
    if (!server.listening) return
    this.#port = server.address()!.port
    server.on('connection', (socket: StackSocket) => {
      this.router.record({ kind: 'accept', target: 'stack', address: socket.remoteAddress, port: socket.remotePort })
      this.onconnection?.(0, RoutedStream.forAccepted(this.router, socket as unknown as Transport))
    })
    if (!this.#refed) server.unref()
    this.#stackServer = server
  }

  /** The stack half could not listen: the server gets the error, as node gives a listen error. */
  #fail(err: Error): void {
    const owner = this[this.router.internals.ownerSymbol as keyof this] as unknown as
      { _handle: unknown; emit(event: string, err: Error): void } | undefined
    this.close()
    if (owner && owner._handle === this) {
      owner._handle = null
      owner.emit('error', err)
    }
  }

  close(cb?: () => void): void {
    if (this.#closed) return
    this.#closed = true
    this.#stackServer?.close()
    if (this.kernel) this.kernel.close(cb)
    else if (cb) setImmediate(cb)
  }

  ref(): void {
    this.#refed = true
    this.kernel?.ref()
    this.#stackServer?.ref()
  }

  unref(): void {
    this.#refed = false
    this.kernel?.unref()
    this.#stackServer?.unref()
  }

  /** Both mode: the kernel's address (what the app asked for); stack-only: the stack's. */
  getsockname(out: Record<string, unknown>): number {
    if (this.kernel) return this.kernel.getsockname(out)
    out.address = this.router.stackIp
    out.family = 'IPv4'
    out.port = this.#port
    return 0
  }
}
