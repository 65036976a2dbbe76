// A scripted stand-in for the native addon (the NativeBinding interface), for unit tests
// of the JS state machines (Socket, Server): it records every call, takes writes as the
// script says, and delivers events as the addon's poll does. Integration tests use the
// real addon; this one never touches a network.
import { constants } from 'node:os'
import {
  EVENT_SLOTS, Ev, EventsCallback, LatencyStage, NativeBinding, NativeCaptureStatus, NativeConnInfo,
  NativeHistogram, NativeStackConfig, NativeUdpAddress, NativeXdpInfo, UdpCounters, UdpOption,
} from '../../src/native'
import type { NativeFaults } from '../../src/faults'
import type { Stack } from '../../src/stack'
import { kDispatch } from '../../src/symbols'

export const EPIPE = -constants.errno.EPIPE
export const EBADF = -constants.errno.EBADF

export type Call = [name: string, ...args: unknown[]]

/** An event as the addon delivers it: type, socket id, a, b, and a payload. */
export interface FakeEvent {
  type: Ev
  id: number
  a?: number
  b?: number
  data?: Buffer
}

export class FakeBinding implements NativeBinding {
  /** Every call, in order. */
  readonly calls: Call[] = []
  /** Bytes each socket's send buffer takes from now on (absent: all of every write). */
  readonly room = new Map<number, number>()
  /** Ids that are no live connection natively: tcpWrite answers -EPIPE. */
  readonly dead = new Set<number>()
  /** What each socket's send buffer took, in order. */
  readonly written = new Map<number, Buffer[]>()
  #nextId = 0
  #onEvents: EventsCallback | undefined

  #call(name: string, ...args: unknown[]): void {
    this.calls.push([name, ...args])
  }

  /** The calls made for socket id (first argument), by name. */
  callsFor(id: number): string[] {
    return this.calls.filter((c) => c[1] === id && c[0].startsWith('tcp')).map((c) => c[0])
  }

  /** The bytes the send buffer of id took. */
  sent(id: number): Buffer {
    return Buffer.concat(this.written.get(id) ?? [])
  }

  /** Hands events to the stack in one batch, encoded as the addon does (payloads in a slab). */
  deliver(stack: Stack, events: FakeEvent[]): void {
    const st = new Float64Array(events.length * EVENT_SLOTS)
    const slab = Buffer.concat(events.map((e) => e.data ?? Buffer.alloc(0)))
    let offset = 0
    events.forEach((e, i) => {
      st.set([e.type, e.id, e.a ?? 0, e.b ?? 0, e.data ? offset : -1, e.data?.length ?? 0], i * EVENT_SLOTS)
      offset += e.data?.length ?? 0
    })
    // One call per run of one socket's events, as the addon makes them.
    for (let start = 0; start < events.length;) {
      let end = start + 1
      while (end < events.length && events[end].id === events[start].id) end++
      stack[kDispatch](st, start, end - start, slab, undefined)
      start = end
    }
  }

  stackOpen(config: NativeStackConfig, onEvents: EventsCallback): void {
    this.#call('stackOpen', config)
    this.#onEvents = onEvents
  }
  stackClose(): void { this.#call('stackClose') }
  stackRef(ref: boolean): void { this.#call('stackRef', ref) }
  stackDraining(): boolean { return false }
  stackInUse(): boolean { return this.#onEvents !== undefined }
  stackStats(): Record<string, Record<string, number>> { return {} }
  stackLinkUp(): boolean { return true }
  stackMac(): string { return '02:00:00:00:00:01' }
  stackSetFaults(faults: NativeFaults | null): void { this.#call('stackSetFaults', faults) }

  tcpListen(ip: number, port: number, backlog: number): number {
    this.#call('tcpListen', ip, port, backlog)
    return this.#nextId++
  }
  tcpLocalPort(id: number): number { return 8080 + id }
  tcpConnect(ip: number, port: number, localPort: number): number {
    this.#call('tcpConnect', ip, port, localPort)
    return this.#nextId++
  }
  tcpWrite(id: number, buf: Buffer, offset: number, len: number): number {
    this.#call('tcpWrite', id, len)
    if (this.dead.has(id)) return EPIPE
    return this.#take(id, buf.subarray(offset, offset + Math.min(len, this.room.get(id) ?? len)))
  }
  /** What the send buffer takes: all of `bytes` (the caller fits them to the room). */
  #take(id: number, bytes: Buffer): number {
    if (this.room.has(id)) this.room.set(id, this.room.get(id)! - bytes.length)
    if (bytes.length > 0) this.written.set(id, [...(this.written.get(id) ?? []), Buffer.from(bytes)])
    return bytes.length
  }
  /** As the addon: the whole string or nothing (0: JS writes it as a Buffer). */
  tcpWriteString(id: number, str: string, latin1: boolean): number {
    this.#call('tcpWriteString', id, str.length)
    if (this.dead.has(id)) return EPIPE
    const buf = Buffer.from(str, latin1 ? 'latin1' : 'utf8')
    if (buf.length > (this.room.get(id) ?? buf.length)) return 0
    return this.#take(id, buf)
  }
  tcpShutdown(id: number): number { this.#call('tcpShutdown', id); return 0 }
  tcpClose(id: number): number { this.#call('tcpClose', id); return 0 }
  tcpAbort(id: number): number { this.#call('tcpAbort', id); return 0 }
  tcpPause(id: number, paused: boolean): number { this.#call('tcpPause', id, paused); return 0 }
  tcpSetNoDelay(id: number, noDelay: boolean): number { this.#call('tcpSetNoDelay', id, noDelay); return 0 }
  tcpSetKeepAlive(id: number, enable: boolean, idleMillis: number): number {
    this.#call('tcpSetKeepAlive', id, enable, idleMillis)
    return 0
  }

  udpOpen(reuseAddr: boolean): number { this.#call('udpOpen', reuseAddr); return this.#nextId++ }
  udpBind(id: number, ip: number, port: number): number { this.#call('udpBind', id, ip, port); return port || 49152 }
  udpConnect(id: number, ip: number, port: number): number { this.#call('udpConnect', id, ip, port); return 0 }
  udpDisconnect(id: number): number { this.#call('udpDisconnect', id); return 0 }
  udpClose(id: number): number { this.#call('udpClose', id); return 0 }
  udpSend(id: number, ip: number, port: number, data: Buffer | Buffer[]): number {
    this.#call('udpSend', id, ip, port)
    return Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.length
  }
  udpSetOption(id: number, option: UdpOption, value: number): number { this.#call('udpSetOption', id, option, value); return 0 }
  udpGetOption(id: number, option: UdpOption): number { this.#call('udpGetOption', id, option); return 0 }
  udpMembership(id: number, group: number, join: boolean): number { this.#call('udpMembership', id, group, join); return 0 }
  udpAddress(): NativeUdpAddress | number {
    return { localIp: 0, localPort: 49152, remoteIp: 0, remotePort: 0, connected: false }
  }
  udpCounters(): UdpCounters | number {
    return { rxDatagrams: 0, rxBytes: 0, rxDropped: 0, txDatagrams: 0, txBytes: 0, txErrors: 0 }
  }

  stackLatency(): Record<LatencyStage, NativeHistogram> {
    const none = (): NativeHistogram => ({ count: 0, sumNs: 0, maxNs: 0, buckets: [] })
    return { rxToJs: none(), jsBatch: none(), writeToTx: none() }
  }
  stackLatencyReset(): void {}
  tcpList(): NativeConnInfo[] { return [] }
  captureStart(): number { return 0 }
  captureStop(): void {}
  captureStatus(): NativeCaptureStatus { return { on: false, packets: 0, bytes: 0, dropped: 0, limit: 0, buffered: 0 } }
  captureTake(): Buffer { return Buffer.alloc(0) }
  dpdkLogTake(): { lines: [number, string][]; dropped: number } { return { lines: [], dropped: 0 } }
  peerCred(): { pid: number; uid: number; gid: number } | number { return EBADF }

  xdpPrepare(): string { return '' }
  xdpLoadLog(): string { return '' }
  xdpStart(): NativeXdpInfo { throw new Error('no af_xdp in the fake') }
  xdpStop(): void {}
  xdpInfo(): NativeXdpInfo { throw new Error('no af_xdp in the fake') }
  xdpMaxMtu(): number { return 3498 }
}
