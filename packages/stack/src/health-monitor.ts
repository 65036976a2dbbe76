// Watches the counters once a second while a logger is set, and logs what an operator
// must hear about: link up/down (memif connect/disconnect, a memif client's reconnection
// attempts while its link is down), mbuf/memory pool exhaustion,
// malformed packets dropped (rate-limited), and the optional periodic metrics line.
import type { StackLog } from './log'

type Counters = Record<string, Record<string, number>>

const CHECK_MS = 1000
const WARN_EVERY_MS = 10_000
const MALFORMED_GROUPS = ['etharp', 'ip', 'icmp', 'udp', 'tcp'] as const
const MALFORMED_KINDS = ['chkerr', 'lenerr', 'proterr', 'opterr'] as const

/** Frames dropped as malformed or unroutable, by reason, summed over all protocols.
 * etharp's proterr is left out: it counts ethertypes the stack does not speak (IPv6
 * neighbour discovery arrives on every tap), which are not malformed. */
export function malformedCounts(c: Counters): Record<string, number> {
  const out: Record<string, number> = { undeliverable: c.port?.rxDropped ?? 0 }
  for (const kind of MALFORMED_KINDS) {
    out[kind] = MALFORMED_GROUPS.reduce((sum, g) => sum + (g === 'etharp' && kind === 'proterr' ? 0 : c[g]?.[kind] ?? 0), 0)
  }
  return out
}

function memErrors(c: Counters): number {
  return MALFORMED_GROUPS.reduce((sum, g) => sum + (c[g]?.memerr ?? 0), 0)
}

function diff(now: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const k of Object.keys(now)) out[k] = now[k] - (before[k] ?? 0)
  return out
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0)

export interface MonitorTarget {
  stats(): Counters
  linkUp(): boolean
  device: string
  memif: boolean
}

export class HealthMonitor {
  #target: MonitorTarget
  #log: StackLog
  #timer: NodeJS.Timeout
  #metricsEvery: number
  #lastMetrics: { time: number; c: Counters } | null = null
  #linkUp: boolean
  #downSince = 0
  #reconnectsAtDown = 0
  #malformed: Record<string, number>
  #malformedLogged: Record<string, number>
  #rxNoMbuf: number
  #memerr: number

  constructor(target: MonitorTarget, log: StackLog, metricsEveryMs: number) {
    this.#target = target
    this.#log = log
    this.#metricsEvery = metricsEveryMs
    const c = target.stats()
    this.#linkUp = target.linkUp()
    this.#reconnectsAtDown = c.port?.reconnects ?? 0
    this.#downSince = Date.now() // a link down from the start has been down since now
    this.#malformed = this.#malformedLogged = malformedCounts(c)
    this.#rxNoMbuf = c.port?.rxNoMbuf ?? 0
    this.#memerr = memErrors(c)
    if (metricsEveryMs) this.#lastMetrics = { time: Date.now(), c }
    this.#timer = setInterval(() => this.check(), CHECK_MS)
    this.#timer.unref()
  }

  check(): void {
    const c = this.#target.stats()
    this.#checkLink(c)
    this.#checkPool(c)
    this.#checkMalformed(c)
    if (this.#lastMetrics && Date.now() - this.#lastMetrics.time >= this.#metricsEvery) this.#metricsLine(c)
  }

  #checkLink(c: Counters): void {
    const up = this.#target.linkUp()
    const device = this.#target.device
    // A memif client retries while its link is down (port.reconnects): the
    // connect line says how many attempts it took, a line every 10 s says it is still trying.
    const attempts = (c.port?.reconnects ?? 0) - this.#reconnectsAtDown
    if (up === this.#linkUp) {
      if (!up && attempts > 0) {
        this.#log.limited('reconnect', WARN_EVERY_MS, 'info', 'memif-reconnecting', { device, attempts, downMs: Date.now() - this.#downSince },
          `${device}: link down, reconnecting (${attempts} attempts)`)
      }
      return
    }
    this.#linkUp = up
    const event = this.#target.memif ? (up ? 'memif-connect' : 'memif-disconnect') : up ? 'link-up' : 'link-down'
    const fields = up && attempts > 0 ? { device, reconnects: attempts, downMs: Date.now() - this.#downSince } : { device }
    this.#log.write(up ? 'info' : 'warn', event, fields, `${device}: ${event.replace('-', ' ')}`)
    if (!up) {
      this.#downSince = Date.now()
      this.#reconnectsAtDown = c.port?.reconnects ?? 0
    }
  }

  #checkPool(c: Counters): void {
    const rxNoMbuf = c.port?.rxNoMbuf ?? 0
    const memerr = memErrors(c)
    const free = c.mempool?.free ?? 1
    const exhausted = free === 0 || rxNoMbuf > this.#rxNoMbuf || memerr > this.#memerr
    if (exhausted) {
      this.#log.limited('pool', WARN_EVERY_MS, 'warn', 'pool-exhausted', {
        device: this.#target.device,
        mempoolFree: free,
        mempoolSize: c.mempool?.size,
        rxNoMbuf: rxNoMbuf - this.#rxNoMbuf,
        memErrors: memerr - this.#memerr,
      }, 'packet buffers exhausted: raise options.mbufs or read faster')
    }
    this.#rxNoMbuf = rxNoMbuf
    this.#memerr = memerr
  }

  #checkMalformed(c: Counters): void {
    const now = malformedCounts(c)
    const fresh = sum(diff(now, this.#malformed))
    this.#malformed = now
    if (fresh === 0) return
    // The count covers everything since the last line, so rate-limited lines lose nothing.
    const since = diff(now, this.#malformedLogged)
    const wrote = this.#log.limited('malformed', WARN_EVERY_MS, 'warn', 'malformed-dropped',
      { device: this.#target.device, dropped: sum(since), byReason: since }, 'malformed packets dropped')
    if (wrote) this.#malformedLogged = now
  }

  #metricsLine(c: Counters): void {
    const last = this.#lastMetrics!
    const now = Date.now()
    const secs = (now - last.time) / 1000
    const rate = (g: string, k: string) => Math.round(((c[g]?.[k] ?? 0) - (last.c[g]?.[k] ?? 0)) / secs)
    this.#log.write('info', 'metrics', {
      device: this.#target.device,
      rxPackets: c.port?.rxPackets, txPackets: c.port?.txPackets,
      rxBytes: c.port?.rxBytes, txBytes: c.port?.txBytes,
      rxPps: rate('port', 'rxPackets'), txPps: rate('port', 'txPackets'),
      rxBps: rate('port', 'rxBytes'), txBps: rate('port', 'txBytes'),
      mempoolInUse: c.mempool?.inUse, tcpSockets: c.tcp?.sockets,
      dropped: (c.port?.rxMissed ?? 0) + (c.port?.txDropped ?? 0) + sum(malformedCounts(c)),
    }, 'metrics')
    this.#lastMetrics = { time: now, c }
  }

  stop(): void {
    clearInterval(this.#timer)
  }
}
