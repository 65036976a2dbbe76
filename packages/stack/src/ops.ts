// Everything an operator reaches on a running stack, started with it and stopped by
// stack.close(): the control socket (gazellectl), the structured log and its health
// monitor, pcap capture and Prometheus metrics.
import type { Registry } from 'prom-client'
import { Capture } from './control/capture'
import { handleRequest } from './control/handlers'
import { controlSocketPath } from './control/paths'
import { ControlServer } from './control/server'
import { deviceLabel } from './device-label'
import { DpdkLogRelay } from './dpdk-log'
import { HealthMonitor } from './health-monitor'
import { StackLog } from './log'
import { registerMetrics, unregisterMetrics } from './metrics'
import type { NativeBinding } from './native'
import type { ResolvedOptions } from './options'

export class StackOps {
  readonly log: StackLog
  readonly capture: Capture
  readonly startedAt = Date.now()
  readonly device: string
  #binding: NativeBinding
  #resolved: ResolvedOptions
  #mac: string
  #isClosed: () => boolean
  #control: ControlServer | null = null
  #monitor: HealthMonitor | null = null
  #dpdkLog: DpdkLogRelay
  #metrics = new Map<Registry, string[]>()

  private constructor(binding: NativeBinding, resolved: ResolvedOptions, mac: string, isClosed: () => boolean) {
    this.#binding = binding
    this.#resolved = resolved
    this.#mac = mac
    this.#isClosed = isClosed
    this.device = deviceLabel(resolved.device)
    this.log = new StackLog(resolved.ops.logger, resolved.ops.logLevel)
    this.#dpdkLog = new DpdkLogRelay(binding, this.log)
    this.capture = new Capture(binding, (s) =>
      this.log.write('info', 'capture-done', s, `capture to ${s.path} done: ${s.packets} frames`))
  }

  /** Starts what the options ask for. A control socket at an explicit path must open;
   * the default one is best effort (a warning in the log). */
  static async start(binding: NativeBinding, resolved: ResolvedOptions, mac: string, isClosed: () => boolean): Promise<StackOps> {
    const ops = new StackOps(binding, resolved, mac, isClosed)
    const { control, metricsLogInterval } = resolved.ops
    if (control !== null) {
      const path = control.path ?? controlSocketPath(process.pid)
      try {
        ops.#control = await ControlServer.open(path, binding, ops.log, (req) => handleRequest(ops.#target(), req))
      } catch (err) {
        if (control.path !== undefined) throw err
        ops.log.write('warn', 'control-unavailable', { path, error: (err as Error).message }, 'no control socket')
      }
    }
    if (ops.log.active) {
      ops.#monitor = new HealthMonitor({
        stats: () => binding.stackStats(),
        linkUp: () => binding.stackLinkUp(),
        device: ops.device,
        memif: resolved.device.type === 'memif',
      }, ops.log, metricsLogInterval)
    }
    ops.#dpdkLog.start() // what EAL and the port said while opening, then once a second
    ops.log.write('info', 'stack-open', { device: ops.device, ip: `${resolved.address}/${resolved.prefix}`,
      control: ops.#control?.path ?? null }, 'stack open')
    return ops
  }

  get controlPath(): string | null {
    return this.#control?.path ?? null
  }

  #target() {
    const r = this.#resolved
    return {
      binding: this.#binding,
      log: this.log,
      capture: this.capture,
      startedAt: this.startedAt,
      closed: this.#isClosed,
      info: () => ({
        pid: process.pid,
        device: this.device,
        deviceType: r.device.type,
        ip: `${r.address}/${r.prefix}`,
        mac: this.#mac,
        mtu: r.mtu,
        poll: r.poll,
        startedAt: new Date(this.startedAt).toISOString(),
        node: process.version,
        control: this.#control?.path ?? '',
      }),
    }
  }

  metrics(registry?: Registry): Registry {
    const reg = registry ?? (require('prom-client') as typeof import('prom-client')).register
    if (!this.#metrics.has(reg)) {
      const b = this.#binding
      this.#metrics.set(reg, registerMetrics({
        device: this.device,
        stats: () => {
          const c = b.stackStats()
          if (c.port) c.port.linkUp = b.stackLinkUp() ? 1 : 0
          return c
        },
        latency: () => b.stackLatency(),
      }, reg))
    }
    return reg
  }

  /** Before the port closes: the capture file is completed, the socket removed. */
  close(): void {
    if (this.capture.running) this.capture.stop()
    this.#monitor?.stop()
    this.#dpdkLog.stop()
    this.#control?.close()
    for (const [reg, names] of this.#metrics) unregisterMetrics(reg, names)
    this.#metrics.clear()
    this.log.write('info', 'stack-close', { device: this.device }, 'stack closed')
  }
}
