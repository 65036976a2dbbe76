// The control protocol: newline-delimited JSON over a unix socket. One request per
// line, one response line per request, in order:
//   -> {"id": 1, "cmd": "stats"}
//   <- {"id": 1, "ok": true, "result": {...}}
//   <- {"id": 2, "ok": false, "error": {"code": "...", "message": "..."}}
import type { LogLevel } from '../log'
import type { LatencyStage, NativeConnInfo, NativeHistogram } from '../native'

export type ControlRequest =
  | { id?: unknown; cmd: 'info' }
  | { id?: unknown; cmd: 'stats' }
  | { id?: unknown; cmd: 'conns' }
  | { id?: unknown; cmd: 'latency'; reset?: boolean }
  | { id?: unknown; cmd: 'loglevel'; level?: LogLevel }
  | { id?: unknown; cmd: 'capture'; action: 'start'; path: string; count?: number; snaplen?: number }
  | { id?: unknown; cmd: 'capture'; action: 'stop' | 'status' }
  | { id?: unknown; cmd: 'faults'; spec?: string }

export type ControlCommand = ControlRequest['cmd']

export type ControlResponse =
  | { id?: unknown; ok: true; result: unknown }
  | { id?: unknown; ok: false; error: { code: string; message: string } }

export interface InfoResult {
  pid: number
  device: string
  deviceType: string
  ip: string
  mac: string
  mtu: number
  poll: string
  linkUp: boolean
  startedAt: string
  uptimeMs: number
  /** TCP connections (not listeners), TIME-WAIT included */
  connections: number
  logLevel: LogLevel
  node: string
  control: string
}

export interface StatsResult {
  /** Date.now() when the counters were read: rates divide by its difference. */
  time: number
  uptimeMs: number
  counters: Record<string, Record<string, number>>
}

/** A TCP pcb as gazellectl conns shows it: addresses as "ip:port" ("*:*" for a listener). */
export interface ConnEntry extends Omit<NativeConnInfo, 'localIp' | 'localPort' | 'remoteIp' | 'remotePort'> {
  local: string
  remote: string
}

export type LatencyResult = Record<LatencyStage, NativeHistogram>

export interface CaptureStatus {
  path: string | null
  on: boolean
  /** The file is closed and complete. */
  done: boolean
  packets: number
  bytes: number
  dropped: number
  limit: number
  written: number
  error: string | null
}

/** Latency stages in the order they are shown, with what each measures. */
export const LATENCY_STAGES: readonly { stage: LatencyStage; title: string }[] = [
  { stage: 'rxToJs', title: 'NIC rx -> JS delivery' },
  { stage: 'jsBatch', title: 'JS handling of a batch' },
  { stage: 'writeToTx', title: 'JS write -> NIC tx' },
]
