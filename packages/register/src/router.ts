// The fd router: one per process. It owns the stack (opening, open or failed), decides
// for each connect, listen and UDP bind whether the stack or the kernel serves it, counts
// the decisions (the route report) and publishes each one on diagnostics_channel
// "gazelle:route". The hooks ask it; it never touches a socket itself.
import diagnostics from 'node:diagnostics_channel'
import * as net from 'node:net'
import { formatIPv4, listenHostKind, parseCidr, parseIPv4 } from '@gazelle/stack'
import type { Stack } from '@gazelle/stack'
import type { ListenMode, ResolvedConfig } from './config/types'
import { registerError } from './errors'
import type { NodeInternals } from './internals'
import { RegisterLog } from './log'
import { RouteTable, Target } from './rules'

export type RouteKind = 'connect' | 'listen' | 'accept' | 'udp-bind' | 'udp-send' | 'refused'

/** One decision, as published on diagnostics_channel "gazelle:route". */
export interface RouteDecision {
  kind: RouteKind
  target: Target | ListenMode
  address?: string
  port?: number
  /** Why a case that a rule matched stayed on the kernel (or failed). */
  reason?: string
}

/** Counts by kind and target since start (GAZELLE_REPORT=1 prints them at exit). */
export interface RouteReport {
  connect: { stack: number; kernel: number }
  accept: { stack: number }
  listen: { stack: number; kernel: number; both: number }
  udpBind: { stack: number; kernel: number; both: number }
  udpSend: { stack: number; kernel: number }
  /** Cases a rule matched that could not be routed, by reason. */
  refused: Record<string, number>
  /** The stack's state: "opening", "open", "failed", "closed". */
  stack: StackState
  /** The stack's own packet counters (gazellectl stats), when it is open. */
  counters?: StackCounters
}

export interface StackCounters {
  rxPackets: number
  txPackets: number
  tcpRecv: number
  tcpXmit: number
  udpRecv: number
  udpXmit: number
}

export type StackState = 'opening' | 'open' | 'failed' | 'closed'

export const ROUTE_CHANNEL = 'gazelle:route'

export class Router {
  readonly config: ResolvedConfig
  readonly internals: NodeInternals
  readonly table: RouteTable
  readonly log: RegisterLog
  /** The stack's address ("10.20.0.2") and as a number. */
  readonly stackIp: string
  readonly stackIpNumber: number
  /** net.Socket.prototype.connect as node defines it (the hooks call it for kernel sockets). */
  originalConnect!: (this: net.Socket, ...args: unknown[]) => net.Socket

  #stack: Stack | null = null
  #state: StackState = 'opening'
  #error: Error | null = null
  #waiting: Array<{ ok(stack: Stack): void; fail(err: Error): void }> = []
  #channel = diagnostics.channel(ROUTE_CHANNEL)
  #warned = new Set<string>()
  readonly report: RouteReport = {
    connect: { stack: 0, kernel: 0 },
    accept: { stack: 0 },
    listen: { stack: 0, kernel: 0, both: 0 },
    udpBind: { stack: 0, kernel: 0, both: 0 },
    udpSend: { stack: 0, kernel: 0 },
    refused: {},
    stack: 'opening',
  }

  constructor(config: ResolvedConfig, internals: NodeInternals, log: RegisterLog) {
    this.config = config
    this.internals = internals
    this.log = log
    const subnet = parseCidr(config.address)!
    this.stackIpNumber = subnet.ip
    this.stackIp = formatIPv4(subnet.ip)
    this.table = new RouteTable(subnet, config.connect.stack, config.connect.kernel)
  }

  // ---- the stack ----

  get stack(): Stack | null {
    return this.#stack
  }

  get state(): StackState {
    return this.#state
  }

  /** Runs ok(stack) now if the stack is open, once it opens if it is opening, else fail(). */
  withStack(ok: (stack: Stack) => void, fail: (err: Error) => void): void {
    if (this.#stack !== null && !this.#stack.closed) ok(this.#stack)
    else if (this.#state === 'opening') this.#waiting.push({ ok, fail })
    else fail(this.unavailable())
  }

  /** ERR_GAZELLE_STACK_UNAVAILABLE, with the reason the stack is not there. */
  unavailable(): Error {
    const why = this.#error ? `it failed to open: ${this.#error.message}` : 'it is closed'
    return registerError('ERR_GAZELLE_STACK_UNAVAILABLE', `the stack is not available (${why})`, { cause: this.#error ?? undefined })
  }

  opened(stack: Stack): void {
    this.#stack = stack
    this.#setState('open')
    const waiting = this.#waiting
    this.#waiting = []
    for (const w of waiting) w.ok(stack)
  }

  failed(err: Error): void {
    this.#error = err
    this.#setState('failed')
    const waiting = this.#waiting
    this.#waiting = []
    for (const w of waiting) w.fail(this.unavailable())
  }

  closed(): void {
    this.#stack = null
    this.#setState('closed')
  }

  #setState(state: StackState): void {
    this.#state = state
    this.report.stack = state
  }

  /** Whether new sockets should still be routed (false once the stack failed with
   * fallback "kernel": everything then runs as if the register were not loaded). */
  get routing(): boolean {
    return this.#state === 'opening' || this.#state === 'open' || this.config.fallback === 'error'
  }

  // ---- decisions ----

  /** Outgoing TCP: by destination; an explicit local address decides first (the stack's
   * own → stack; any other → kernel), as Gazelle's bind does. */
  connectTarget(address: string, port: number, localAddress?: string | null): Target {
    if (!this.routing || net.isIP(address) !== 4) return 'kernel'
    if (localAddress && listenHostKind(localAddress, this.stackIp) !== 'any') {
      return localAddress === this.stackIp ? 'stack' : 'kernel'
    }
    return this.table.target(parseIPv4(address)!, port)
  }

  /** Listening: the stack's address → stack; any-address → the port's rule, else the
   * default; every other address (loopback above all) → kernel. */
  listenMode(address: string | null | undefined, port: number): ListenMode {
    if (!this.routing) return 'kernel'
    switch (listenHostKind(address, this.stackIp)) {
      case 'stack': return 'stack'
      case 'any': return this.config.listen.ports.get(port) ?? this.config.listen.default
      default: return 'kernel' // loopback (never widened) or another address
    }
  }

  /** A dgram socket binding to address (resolved): as listening, with the UDP default. */
  udpBindMode(address: string): ListenMode {
    if (!this.routing) return 'kernel'
    switch (listenHostKind(address, this.stackIp)) {
      case 'stack': return 'stack'
      case 'any': return this.config.udp.bind
      default: return 'kernel'
    }
  }

  // ---- report ----

  /** The report with the stack's counters as they are now. */
  snapshot(): RouteReport {
    const out: RouteReport = structuredClone(this.report)
    const stack = this.#stack
    if (stack !== null && !stack.closed) {
      const c = stack.stats()
      out.counters = {
        rxPackets: c.port?.rxPackets ?? 0, txPackets: c.port?.txPackets ?? 0,
        tcpRecv: c.tcp?.recv ?? 0, tcpXmit: c.tcp?.xmit ?? 0, udpRecv: c.udp?.recv ?? 0, udpXmit: c.udp?.xmit ?? 0,
      }
    }
    return out
  }

  record(decision: RouteDecision): void {
    const r = this.report
    switch (decision.kind) {
      case 'connect': r.connect[decision.target as Target]++; break
      case 'accept': r.accept.stack++; break
      case 'listen': r.listen[decision.target as ListenMode]++; break
      case 'udp-bind': r.udpBind[decision.target as ListenMode]++; break
      case 'udp-send': r.udpSend[decision.target as Target]++; break
      case 'refused': r.refused[decision.reason ?? 'unknown'] = (r.refused[decision.reason ?? 'unknown'] ?? 0) + 1; break
    }
    if (this.#channel.hasSubscribers) this.#channel.publish(decision)
  }

  /**
   * A case a stack rule matched that cannot be routed: throws ERR_GAZELLE_NOT_ROUTABLE in
   * strict mode; otherwise warns once per reason (GAZELLE_KERNEL_FALLBACK) and the caller
   * goes on with the kernel.
   */
  notRoutable(reason: string, message: string, where?: { address?: string; port?: number }): void {
    this.record({ kind: 'refused', target: 'kernel', reason, ...where })
    if (this.config.strict) throw registerError('ERR_GAZELLE_NOT_ROUTABLE', `${message} (strict mode)`)
    this.warnOnce(reason, `${message}: it stays on the kernel`)
  }

  warnOnce(reason: string, message: string): void {
    if (this.#warned.has(reason)) return
    this.#warned.add(reason)
    this.log.warn(message, 'GAZELLE_KERNEL_FALLBACK')
  }

  /** "connect 10.20.0.0/24,10.30.0.0/16 -> stack; listen both (9229 kernel); udp both" */
  describeRoutes(): string {
    const ports = [...this.config.listen.ports].map(([p, m]) => `${p} ${m}`)
    return `connect ${this.table.describe()} -> stack; listen ${this.config.listen.default}` +
      `${ports.length ? ` (${ports.join(', ')})` : ''}; udp ${this.config.udp.bind}`
  }
}
