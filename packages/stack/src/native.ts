// The contract between @gazelle/stack and the native addon (native/src, see native/README.md).
// The addon only marshals: every option is validated here in TypeScript first.
// IPv4 addresses cross the boundary as unsigned 32-bit numbers in host order
// (10.0.0.1 === 0x0a000001). Calls on sockets return a number: >= 0 (an id, a count,
// a port) on success, a negative errno (-os.constants.errno.X) on failure, which
// errnoException() (errors.ts) turns into Node's error; every one returns -EBADF once
// the stack is closed. Only stackOpen throws (ERR_GAZELLE_*).
import type { NativeFaults } from './faults'

/**
 * The version of this contract (names, arguments, results, constants). The addon exports
 * its own (native/src/common.h kApiVersion) and the constants below; binding.ts refuses an
 * addon that differs. Raise both with any change.
 */
export const API_VERSION = 4

/**
 * The events callback: events start..start+count-1 of `state`, EVENT_SLOTS numbers each
 * (type, id, a, b, data offset, data length), all for one socket. A payload (Ev.Data,
 * Ev.UdpMessage) is slab[offset, offset + length) when offset >= 0, else the next
 * -offset Buffers of `big` (in event order; 64 KiB at most each, a datagram is one).
 * Views of the slab stay valid: the addon never writes a slab's bytes twice.
 */
export type EventsCallback = (
  state: Float64Array,
  start: number,
  count: number,
  slab: Buffer | undefined,
  big: Buffer[] | undefined,
) => void

export const EVENT_SLOTS = 6

/** Event types in the events callback. */
export enum Ev {
  /** id = listener id, a = new socket id, b = remoteIp * 65536 + remotePort */
  Accept = 1,
  /** id = socket id, a = local port chosen */
  Connected = 2,
  /** id = socket id, payload = bytes received (several segments coalesced) */
  Data = 3,
  /** id = socket id: the peer sent FIN (no more data) */
  Eof = 4,
  /** id = socket id, a = bytes free in the send buffer (sent only after a short write) */
  Writable = 5,
  /** id = socket id, a = -errno (-ECONNRESET, -ECONNREFUSED, -ETIMEDOUT, -ECONNABORTED);
   * the native socket is gone after this event */
  Error = 6,
  /** id = UDP socket id, payload = one datagram, b = sourceIp * 65536 + sourcePort */
  UdpMessage = 16,
  /** id = UDP socket id whose send was refused (-EAGAIN): it may send again */
  UdpWritable = 17,
}

/** UDP socket options (udpSetOption / udpGetOption). */
export enum UdpOption {
  Broadcast = 0,
  Ttl = 1,
  MulticastTtl = 2,
  MulticastLoop = 3,
  /** host-order IPv4 address, 0 for the default */
  MulticastInterface = 4,
  /** bytes of datagrams one poll's batch may hold for the socket (more are dropped) */
  RecvBuffer = 5,
  /** bytes the socket may send between two polls (more: -EAGAIN, then Ev.UdpWritable) */
  SendBuffer = 6,
}

export interface NativeUdpAddress {
  localIp: number
  localPort: number
  remoteIp: number
  remotePort: number
  connected: boolean
}

export interface UdpCounters {
  rxDatagrams: number
  rxBytes: number
  /** datagrams dropped because the socket's receive buffer was full */
  rxDropped: number
  txDatagrams: number
  txBytes: number
  txErrors: number
}

/** Poll modes, see README: busy spins, adaptive spins while traffic flows then sleeps. */
export enum PollMode {
  Busy = 0,
  Adaptive = 1,
  Interrupt = 2,
}

export interface NativeStackConfig {
  /** EAL arguments after argv[0]; used only by the first stack of the process. */
  ealArgs: string[]
  /** vdev name and arguments, e.g. "net_memif0", "role=server,socket=/run/gazelle/a.sock" */
  vdevName: string
  vdevArgs: string
  ip: number
  netmask: number
  gateway: number
  /** "" to keep the port's MAC address */
  mac: string
  mtu: number
  /** false: the link carries no checksums (memif between two stacks that both say so) */
  checksums: boolean
  /** rx/tx queue pairs of the port (af_xdp: one AF_XDP socket each), polled in turn */
  queues: number
  mbufs: number
  rxQueueSize: number
  txQueueSize: number
  pollMode: PollMode
  /** adaptive mode: keep spinning this long after the last packet */
  spinMicros: number
  /** adaptive mode: sleep interval when idle (also LwIP timer granularity) */
  idleMillis: number
  /** fault injection rates, or null for none */
  faults: NativeFaults | null
  /** TCP connections (pcbs, TIME-WAIT included) the stack keeps at most */
  maxConnections: number
}

export interface NativeBinding {
  /** Creates the port and netif; throws an Error with .code (ERR_GAZELLE_*) on failure
   * (ERR_GAZELLE_STACK_OPEN: another thread's stack is open). The stack belongs to this
   * thread until stackClose, or until the thread ends. */
  stackOpen(config: NativeStackConfig, onEvents: EventsCallback): void
  /** Stops polling, frees every socket, the port and its mbuf pool. EAL stays up. */
  stackClose(): void
  /** Whether the poll handles keep the event loop alive. */
  stackRef(ref: boolean): void
  /** Whether frames are still to leave: closed connections with data or FIN unacked, or a tx backlog. */
  stackDraining(): boolean
  /** Whether the process's stack is open (or opening) in any thread: one per process. */
  stackInUse(): boolean
  /** Port, mempool, LwIP and poll-loop counters. */
  stackStats(): Record<string, Record<string, number>>
  /** Whether the port's link is up (a memif client is up once the server accepted it). */
  stackLinkUp(): boolean
  /** The port's MAC address as "aa:bb:cc:dd:ee:ff". */
  stackMac(): string
  /** Sets fault injection rates (null: off); what the fault lines hold leaves at once. */
  stackSetFaults(faults: NativeFaults | null): void

  // TCP: -EBADF for an id that is no socket (or no connection, where one is needed).
  /** Returns a listener id; -EADDRINUSE, -ENOMEM. port 0 = ephemeral */
  tcpListen(ip: number, port: number, backlog: number): number
  /** Port bound by a listener or socket. */
  tcpLocalPort(id: number): number
  /** Starts a connection, returns its id; Ev.Connected or Ev.Error follows. -ENOMEM,
   * -EADDRINUSE (localPort), -ENETUNREACH. */
  tcpConnect(ip: number, port: number, localPort: number): number
  /**
   * Copies up to len bytes into the send buffer; returns how many it took.
   * Fewer than len means the buffer is full: Ev.Writable follows when there is room.
   * -EPIPE: the id is no live connection (its Ev.Error may still be in this batch).
   * last: nothing more follows from this write() call; a chunk that opens a turn
   * (nothing unsent or unacknowledged before it) then leaves at once.
   */
  tcpWrite(id: number, buf: Buffer, offset: number, len: number, last?: boolean): number
  /** The whole string (UTF-8, or latin1) into the send buffer, or 0 (write it as a Buffer). */
  tcpWriteString(id: number, str: string, latin1: boolean, last?: boolean): number
  /** Half-close: FIN after queued data; receiving continues. */
  tcpShutdown(id: number): number
  /** Graceful close: queued data is still sent, then FIN. The id is free on return. */
  tcpClose(id: number): number
  /** Reset (RST) and free at once. The id is free on return. */
  tcpAbort(id: number): number
  /** Receive backpressure: while paused the receive window is not reopened. */
  tcpPause(id: number, paused: boolean): number
  tcpSetNoDelay(id: number, noDelay: boolean): number
  tcpSetKeepAlive(id: number, enable: boolean, idleMillis: number): number

  // UDP
  /** A new unbound socket; returns its id. */
  udpOpen(reuseAddr: boolean): number
  /** Returns the port bound (an ephemeral one for port 0). */
  udpBind(id: number, ip: number, port: number): number
  udpConnect(id: number, ip: number, port: number): number
  udpDisconnect(id: number): number
  /** Frees the socket (and its multicast memberships); the id is free on return. */
  udpClose(id: number): number
  /** One datagram to ip:port (ignored when connected); the bytes are copied. Returns its length. */
  udpSend(id: number, ip: number, port: number, data: Buffer | Buffer[]): number
  udpSetOption(id: number, option: UdpOption, value: number): number
  udpGetOption(id: number, option: UdpOption): number
  /** Joins (true) or leaves a multicast group (IGMP). */
  udpMembership(id: number, group: number, join: boolean): number
  udpAddress(id: number): NativeUdpAddress | number
  udpCounters(id: number): UdpCounters | number
  // ---- operator visibility: native/src/ops.cc ----
  /** Latency histograms by stage: log2 buckets, bucket i counts samples below 2^i ns. */
  stackLatency(): Record<LatencyStage, NativeHistogram>
  stackLatencyReset(): void
  /** Every TCP pcb: listening, active, TIME_WAIT; id -1 when JS no longer holds it. */
  tcpList(): NativeConnInfo[]
  /** Copies rx/tx frames into a buffer until limit frames (0: no limit). 0 or -ENOMEM. */
  captureStart(limit: number, snaplen: number, bufferBytes: number): number
  captureStop(): void
  captureStatus(): NativeCaptureStatus
  /** The buffered pcap records (no file header); empties the buffer. */
  captureTake(): Buffer
  /** SO_PEERCRED of a connected unix socket fd, or -errno. */
  peerCred(fd: number): { pid: number; uid: number; gid: number } | number
  /** DPDK's log lines captured since the last call (process-wide), oldest first:
   * [rte_log level (1 emergency .. 8 debug), text]; dropped: lines a full buffer lost. */
  dpdkLogTake(): { lines: [number, string][]; dropped: number }

  // ---- the af_xdp device's host side: native/src/xdp.cc ----
  /** Before the port opens: removes a dead stack's program from the interface, checks
   * that the program loads and attaches; returns what was cleaned up ("" if nothing). */
  xdpPrepare(iface: string, programPath: string): string
  /** libbpf's messages from the last load (the verifier's log). */
  xdpLoadLog(): string
  /** After the port opened: finds the program's maps and switches the steering on. */
  xdpStart(config: NativeXdpConfig): NativeXdpInfo
  /** After the port closed: the stack's ports go back to the kernel. */
  xdpStop(): void
  xdpInfo(): NativeXdpInfo
  /** The largest MTU an AF_XDP frame of this build holds. */
  xdpMaxMtu(): number
}

export interface NativeXdpConfig {
  ifname: string
  ip: number
  netmask: number
  /** every frame of the queues to the stack (no bifurcation) */
  takeAll: boolean
  ephemeralLo: number
  ephemeralHi: number
}

/** How an af_xdp device runs (stack.stats().xdp has the same and the counters). */
export interface NativeXdpInfo {
  active: boolean
  bifurcated: boolean
  /** every AF_XDP socket is in zero-copy mode (else the kernel copies each frame) */
  zeroCopy: boolean
  /** XDP in the driver (else generic XDP, on the kernel's skb path) */
  nativeMode: boolean
  programId: number
  sockets: number
  ephemeralLo: number
  ephemeralHi: number
}

export type LatencyStage = 'rxToJs' | 'jsBatch' | 'writeToTx'

export interface NativeHistogram {
  count: number
  sumNs: number
  maxNs: number
  buckets: number[]
}

export interface NativeConnInfo {
  id: number
  state: string
  localIp: number
  localPort: number
  remoteIp: number
  remotePort: number
  sendWindow: number
  receiveWindow: number
  cwnd: number
  ssthresh: number
  mss: number
  unackedBytes: number
  unsentBytes: number
  receivedNotAcked: number
  rtoMillis: number
  retransmits: number
  paused: boolean
  /** -1: unknown (JS closed it) */
  ageMillis: number
}

export interface NativeCaptureStatus {
  on: boolean
  packets: number
  bytes: number
  dropped: number
  limit: number
  buffered: number
}
