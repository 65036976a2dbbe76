// The Stack: one per process. Opens the port through the addon, routes the batch of
// native events to Sockets and Servers by id, and keeps the event loop alive only
// while a ref'd Server or Socket exists.
import { threadId } from 'node:worker_threads'
import { loadBinding } from './binding'
import { describeAfXdp, interfaceDefaults, prepareAfXdp, startAfXdp } from './af-xdp'
import { FaultOptions, resolveFaults } from './faults'
import { checkHugepages, configureDevice, prepareDevice, releaseDevice } from './device'
import { checkPrivileges } from './privileges'
import { sweepLeftovers } from './leftovers'
import { explainWithDpdkLines } from './dpdk-log'
import { GazelleError, errnoException, openError, systemError } from './errors'
import { invalidArgType, nodeError } from './node-errors'
import { isIP } from 'node:net'
import { formatIPv4, parseIPv4 } from './ip'
import { EVENT_SLOTS, Ev, NativeBinding, NativeXdpInfo } from './native'
import { DeviceOptions, ResolvedOptions, StackOptions, nativeConfig, resolveOptions } from './options'
import { Server, ServerOptions } from './server'
import { StackOps } from './ops'
import type { Registry } from 'prom-client'
import { Socket } from './socket'
import { UdpSocket, RemoteInfo } from './udp-socket'
import { UdpSocketOptions, SocketType, socketOptions } from './udp-args'
import {
  NO_ID, kAddHandle, kBinding, kConnecting, kCounted, kDispatch, kId, kIp, kOnAccept, kOnConnected,
  kOnData, kOnEof, kOnError, kOnWritable, kRefed, kRemoveHandle, kUpdateRef,
  kAddUdp, kForceClose, kOnMessage, kOnUdpWritable, kRemoveUdp,
} from './symbols'
import { boolean, integer, invalidOption, isObject, port as validPort } from './validate'

export interface ConnectOptions {
  /** IPv4 address of the peer: the stack does no DNS lookups. */
  host: string
  port: number | string
  /** Only the stack's own address (or "0.0.0.0"). */
  localAddress?: string
  /** 0 (default): an ephemeral port. */
  localPort?: number
  /** Idle timeout in ms, as socket.setTimeout(). */
  timeout?: number
  noDelay?: boolean
  keepAlive?: boolean
  keepAliveInitialDelay?: number
  allowHalfOpen?: boolean
  readableHighWaterMark?: number
  writableHighWaterMark?: number
}

type Handle = Socket | Server
/** What the stack counts to decide whether it keeps the event loop alive. */
type RefCounted = Handle | UdpSocket

const kHandles = Symbol('handles')
const kUdpHandles = Symbol('udpHandles')
const kRefs = Symbol('refs')
const kClosed = Symbol('closed')
const kClosing = Symbol('closing')
const kDrainThenClose = Symbol('drainThenClose')
const kResolved = Symbol('resolved')
const kOps = Symbol('ops')

// This thread's stack. The process has one at most (LwIP's state is global): a worker
// thread may hold it, and then this one cannot open another (the addon knows).
let current: Stack | null = null
let opening = false
/** vdev names must be unique for the life of EAL, which outlives stacks (and the threads
 * that open them): this thread's numbers start at threadId * 1e6. */
let vdevCounter = threadId * 1_000_000

function rethrow(err: unknown): never {
  throw err
}

export class Stack {
  /** The stack's IPv4 address, like "10.0.0.1". */
  readonly ip: string;
  readonly prefixLength: number;
  /** The port's MAC address, like "02:00:00:00:00:01". */
  readonly mac: string;
  readonly device: Readonly<DeviceOptions>;
  readonly mtu: number;

  declare [kBinding]: NativeBinding;
  declare [kIp]: number;
  declare [kResolved]: ResolvedOptions;
  [kHandles]: (Handle | undefined)[] = [];
  [kUdpHandles]: (UdpSocket | undefined)[] = [];
  [kRefs] = 0;
  [kClosed] = false;
  [kClosing]: Promise<void> | null = null;
  declare [kOps]: StackOps;

  /** Stacks come from createStack(). */
  constructor(binding: NativeBinding, resolved: ResolvedOptions, mac: string) {
    this[kBinding] = binding
    this[kIp] = resolved.ip
    this[kResolved] = resolved
    this.ip = resolved.address
    this.prefixLength = resolved.prefix
    this.mac = mac
    this.device = resolved.device
    this.mtu = resolved.mtu
  }

  get closed(): boolean {
    return this[kClosed]
  }

  /** Whether the port's link is up (a memif client: once the server has accepted it). */
  get linkUp(): boolean {
    return !this[kClosed] && this[kBinding].stackLinkUp()
  }

  createServer(connectionListener?: (socket: Socket) => void): Server
  createServer(options?: ServerOptions, connectionListener?: (socket: Socket) => void): Server
  createServer(
    options?: ServerOptions | ((socket: Socket) => void),
    connectionListener?: (socket: Socket) => void,
  ): Server {
    if (typeof options === 'function') return new Server(this, {}, options)
    return new Server(this, options ?? {}, connectionListener)
  }

  connect(options: ConnectOptions, connectListener?: () => void): Socket
  connect(port: number | string, host: string, connectListener?: () => void): Socket
  connect(...args: unknown[]): Socket {
    const cb = typeof args[args.length - 1] === 'function' ? (args.pop() as () => void) : undefined
    const o: Record<string, unknown> = isObject(args[0]) ? args[0] : { port: args[0], host: args[1] }
    if (o.path !== undefined) {
      throw invalidOption('options.path', 'undefined (the stack has no unix sockets)', o.path)
    }
    // As node:net: argument types and ports throw here; what node finds out later (the
    // lookup of a name, binding a local address) is an 'error' event on the socket.
    const port = validPort(o.port, 'options.port', false)
    if (o.host !== undefined && typeof o.host !== 'string') throw invalidArgType('options.host', 'of type string', o.host)
    if (o.localAddress !== undefined && !isIP(String(o.localAddress))) {
      throw nodeError(TypeError, 'ERR_INVALID_IP_ADDRESS', `Invalid IP address: ${String(o.localAddress)}`)
    }
    const ip = parseIPv4(o.host)
    const localPort = o.localPort === undefined ? 0 : validPort(o.localPort, 'options.localPort', true)
    if (o.timeout !== undefined && (typeof o.timeout !== 'number' || !(o.timeout >= 0) || !Number.isFinite(o.timeout))) {
      throw invalidOption('options.timeout', 'a non-negative finite number of ms', o.timeout)
    }
    const noDelay = boolean(o.noDelay, 'options.noDelay', false)
    const keepAlive = boolean(o.keepAlive, 'options.keepAlive', false)
    const keepAliveDelay = integer(o.keepAliveInitialDelay, 'options.keepAliveInitialDelay', 0, 2 ** 31 - 1, 0)
    const allowHalfOpen = boolean(o.allowHalfOpen, 'options.allowHalfOpen', false)
    const hwm = (name: string) =>
      o[name] === undefined ? undefined : integer(o[name], `options.${name}`, 0, 2 ** 31 - 1)

    const socket = new Socket(this, {
      allowHalfOpen,
      readableHighWaterMark: hwm('readableHighWaterMark'),
      writableHighWaterMark: hwm('writableHighWaterMark'),
    })
    if (cb) socket.once('connect', cb)
    if (o.timeout) socket.setTimeout(o.timeout as number)
    if (noDelay) socket.setNoDelay(true)
    if (keepAlive) socket.setKeepAlive(true, keepAliveDelay)

    let failure: Error | undefined
    if (ip === undefined) {
      failure = invalidOption('options.host', 'an IPv4 address like "10.0.0.2" (the stack does no DNS lookups)', o.host)
    } else if (o.localAddress !== undefined && o.localAddress !== '0.0.0.0' && o.localAddress !== this.ip) {
      failure = systemError('EADDRNOTAVAIL', 'bind', String(o.localAddress), localPort, true)
    }
    if (failure !== undefined) {
      socket.connecting = true
      process.nextTick(() => socket.destroy(failure))
      return socket
    }
    const address = formatIPv4(ip!)
    const id = this[kClosed] ? -1 : this[kBinding].tcpConnect(ip!, port, localPort)
    if (id < 0) {
      socket.connecting = true
      const err = this[kClosed]
        ? new GazelleError('ERR_GAZELLE_STACK_CLOSED', 'the stack is closed')
        : errnoException(id, 'connect', address, port)
      process.nextTick(() => socket.destroy(err))
      return socket
    }
    socket[kConnecting](id, { address, port })
    return socket
  }

  createConnection(options: ConnectOptions, connectListener?: () => void): Socket
  createConnection(port: number | string, host: string, connectListener?: () => void): Socket
  createConnection(...args: unknown[]): Socket {
    return (this.connect as (...a: unknown[]) => Socket)(...args)
  }

  /** A UDP socket, like dgram.createSocket(): 'udp4' or { type: 'udp4', reuseAddr, ... }. */
  createSocket(type: SocketType | UdpSocketOptions, listener?: (msg: Buffer, rinfo: RemoteInfo) => void): UdpSocket {
    return new UdpSocket(this, socketOptions(type), listener)
  }

  /** Port, mempool, LwIP and poll-loop counters from the addon. */
  stats(): Record<string, Record<string, number>> {
    return this[kBinding].stackStats()
  }

  /**
   * Fault injection from now on (see FaultOptions): drop, duplicate, reorder, delay and
   * corrupt received and sent frames; null (or "off") turns it off. Counted in stats().faults.
   */
  setFaults(faults: FaultOptions | string | null): void {
    if (this[kClosed]) throw new GazelleError('ERR_GAZELLE_STACK_CLOSED', 'the stack is closed')
    this[kBinding].stackSetFaults(resolveFaults(faults, 'faults'))
  }

  /** The control socket gazellectl talks to (null: none). */
  get controlPath(): string | null {
    return this[kOps].controlPath
  }

  /**
   * Registers the stack's counters with prom-client (in `registry`, or prom-client's
   * default one), read at each scrape: gazelle_rx_packets_total{device=...} etc.
   * Returns the registry. Calling it again with the same registry does nothing more.
   */
  metrics(registry?: Registry): Registry {
    if (this[kClosed]) throw new GazelleError('ERR_GAZELLE_STACK_CLOSED', 'the stack is closed')
    return this[kOps].metrics(registry)
  }

  /** Destroys every socket, closes every server, closes the port and releases the device. */
  close(): Promise<void> {
    const closing = this[kClosing]
    if (closing !== null) return closing
    this[kOps].close()
    const handles = this[kHandles].filter((h): h is Handle => h !== undefined)
    for (const h of handles) if (h instanceof Socket) h.destroy()
    for (const h of handles) if (h instanceof Server) h.close()
    for (const u of this[kUdpHandles]) u?.[kForceClose]()
    this[kClosed] = true
    const done = this[kDrainThenClose]()
    this[kClosing] = done
    return done
  }

  /** Like a process exit on the kernel, closing must not lose what is on its way out:
   * FINs and data of connections JS closed, and the resets of those close() destroyed.
   * The poll loop runs until they are out (and acked), at most CLOSE_DRAIN_MS. */
  async [kDrainThenClose](): Promise<void> {
    const binding = this[kBinding]
    const end = Date.now() + CLOSE_DRAIN_MS
    try {
      while (binding.stackDraining() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 1))
    } finally {
      try {
        binding.stackClose()
      } finally {
        releaseDevice(this.device)
        if (current === this) current = null
      }
    }
    await new Promise<void>((resolve) => setImmediate(resolve))
  }

  // ---- for Socket and Server ----

  [kAddHandle](id: number, handle: Handle): void {
    this[kHandles][id] = handle
  }

  [kRemoveHandle](id: number): void {
    if (id !== NO_ID) this[kHandles][id] = undefined
  }

  [kAddUdp](id: number, socket: UdpSocket): void {
    this[kUdpHandles][id] = socket
  }

  [kRemoveUdp](id: number): void {
    if (id !== NO_ID) this[kUdpHandles][id] = undefined
  }

  /** Counts the handle if it holds a native id and is ref'd; refs the loop while any is. */
  [kUpdateRef](h: RefCounted): void {
    const want = h[kId] !== NO_ID && h[kRefed]
    if (want === h[kCounted]) return
    h[kCounted] = want
    const refs = (this[kRefs] += want ? 1 : -1)
    if (this[kClosed]) return
    if (want && refs === 1) this[kBinding].stackRef(true)
    else if (!want && refs === 0) this[kBinding].stackRef(false)
  }

  /** The addon's events callback (native.ts EventsCallback): one run of one socket's events. */
  [kDispatch](st: Float64Array, start: number, count: number, slab: Buffer | undefined, big: Buffer[] | undefined): void {
    const handles = this[kHandles]
    let nextBig = 0
    for (let i = start * EVENT_SLOTS, end = (start + count) * EVENT_SLOTS; i < end; i += EVENT_SLOTS) {
      if (this[kClosed]) return
      const type = st[i] as Ev
      const id = st[i + 1]
      const h = handles[id]
      const a = st[i + 2]
      try {
        switch (type) {
          case Ev.Accept:
            if (h instanceof Server) h[kOnAccept](a, st[i + 3])
            else this[kBinding].tcpAbort(a) // its listener closed earlier in this batch
            break
          case Ev.Connected:
            if (h instanceof Socket) h[kOnConnected](a)
            break
          case Ev.Data: {
            const off = st[i + 4]
            if (off >= 0) {
              if (h instanceof Socket) h[kOnData](slab!.subarray(off, off + st[i + 5]))
            } else {
              for (let k = 0; k < -off; k++) {
                const chunk = big![nextBig++]
                if (h instanceof Socket && h[kId] === id) h[kOnData](chunk)
              }
            }
            break
          }
          case Ev.Eof:
            if (h instanceof Socket) h[kOnEof]()
            break
          case Ev.Writable:
            if (h instanceof Socket) h[kOnWritable]()
            break
          case Ev.Error:
            if (h instanceof Socket) h[kOnError](a)
            break
          case Ev.UdpMessage: {
            const off = st[i + 4]
            const data = off >= 0 ? slab!.subarray(off, off + st[i + 5]) : big![nextBig++] // one chunk: <= 64 KiB
            this[kUdpHandles][id]?.[kOnMessage](data, st[i + 3])
            break
          }
          case Ev.UdpWritable:
            this[kUdpHandles][id]?.[kOnUdpWritable]()
            break
        }
      } catch (err) {
        // A throwing listener must not cost the rest of the batch: report it as node would.
        process.nextTick(rethrow, err)
      }
    }
  }
}

const LINK_WAIT_MS = 3000
const CLOSE_DRAIN_MS = 1000

/** A memif client's port is up once the server accepted it: frames sent before are lost. */
async function waitForLink(binding: NativeBinding, device: ResolvedOptions['device']): Promise<void> {
  if (device.type !== 'memif' || device.role !== 'client') return
  const end = Date.now() + LINK_WAIT_MS
  while (!binding.stackLinkUp()) {
    if (Date.now() > end) {
      throw new GazelleError(
        'ERR_GAZELLE_LINK_DOWN',
        `memif client on ${device.socket}: no server brought the link up within ${LINK_WAIT_MS} ms`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

/**
 * Opens the process's stack on a device. Checks the options and the host (hugepages,
 * device names, memif socket) before touching the addon; a failure leaves the process
 * able to try again.
 */
export async function createStack(options: StackOptions): Promise<Stack> {
  const stackOpen = (where: string) => new GazelleError(
    'ERR_GAZELLE_STACK_OPEN',
    `a stack is already open in this process${where}: close it first (one stack per process; use one process per core)`,
  )
  if (current !== null || opening) throw stackOpen('')
  opening = true
  try {
    const resolved = resolveOptions(interfaceDefaults(options))
    const binding = loadBinding()
    // Another thread's (a worker's): known before a device is made for nothing.
    if (binding.stackInUse()) throw stackOpen(' (in another thread)')
    checkPrivileges(resolved)
    // What killed stacks left (their hugepage files hold hugepages): before counting free ones.
    const swept = sweepLeftovers({ hugepages: resolved.hugepages })
    checkHugepages(resolved)
    await prepareDevice(resolved.device, resolved.ip)
    const cleanedUp = resolved.device.type === 'af_xdp' ? prepareAfXdp(binding, resolved) : ''
    // What is undone, in reverse order, if a later step fails.
    const undo: (() => void)[] = [() => releaseDevice(resolved.device)]
    const unwind = () => {
      for (const step of undo.reverse()) step()
    }
    const config = nativeConfig(resolved, vdevCounter++, process.pid)
    let stack: Stack | undefined
    let mac: string
    let ops: StackOps
    let xdp: NativeXdpInfo | undefined
    try {
      try {
        binding.stackOpen(config, (st, start, count, slab, big) => stack?.[kDispatch](st, start, count, slab, big))
      } catch (err) {
        const d = resolved.device
        if (d.type === 'memif' && d.role === 'client' && (err as { code?: string }).code === 'ERR_GAZELLE_DEVICE') {
          // DPDK's memif client connects at start and reports only EPERM when nobody listens.
          throw new GazelleError('ERR_GAZELLE_LINK_DOWN',
            `memif client: no memif server is listening on ${d.socket}: start the server's stack first`, { cause: err })
        }
        // What DPDK logged while failing (captured, not on stderr) explains it.
        const e = openError(err)
        e.message = explainWithDpdkLines(e.message, binding.dpdkLogTake().lines)
        throw e
      }
      undo.push(() => binding.stackClose())
      await configureDevice(resolved.device, resolved.ip)
      if (resolved.device.type === 'af_xdp') xdp = startAfXdp(binding, resolved)
      await waitForLink(binding, resolved.device)
      mac = binding.stackMac()
      ops = await StackOps.start(binding, resolved, mac, () => stack?.closed ?? true)
      if (swept.length > 0) {
        ops.log.write('info', 'leftovers-removed', { removed: swept.map((l) => l.path) },
          `removed what ${[...new Set(swept.map((l) => l.pid))].join(', ')} left behind (processes that are gone)`)
      }
    } catch (err) {
      unwind()
      throw err
    }
    if (cleanedUp) ops.log.write('warn', 'xdp-stale', { device: ops.device }, cleanedUp)
    if (xdp && resolved.device.type === 'af_xdp') {
      ops.log.write('info', 'xdp-mode', { device: ops.device, ...xdp }, describeAfXdp(resolved.device, xdp))
    }
    stack = new Stack(binding, resolved, mac)
    stack[kOps] = ops
    binding.stackRef(false)
    current = stack
    return stack
  } finally {
    opening = false
  }
}
