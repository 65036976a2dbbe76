// What each control request does. Requests are served on the event loop between
// polls; each reads counters the addon already keeps, so none of them blocks.
import { isAbsolute } from 'node:path'
import { GazelleError } from '../errors'
import { formatIPv4 } from '../ip'
import { LOG_LEVELS, StackLog } from '../log'
import type { NativeBinding, NativeConnInfo } from '../native'
import { resolveFaults } from '../faults'
import { integer, invalidOption, isObject, oneOf, string } from '../validate'
import type { Capture } from './capture'
import type { ConnEntry, InfoResult, StatsResult } from './protocol'

/** What the handlers need to know about the stack they serve. */
export interface ControlTarget {
  binding: NativeBinding
  log: StackLog
  capture: Capture
  info(): Omit<InfoResult, 'uptimeMs' | 'logLevel' | 'linkUp' | 'connections'>
  startedAt: number
  closed(): boolean
}

const COMMANDS = ['info', 'stats', 'conns', 'latency', 'loglevel', 'capture', 'faults'] as const
const DEFAULT_SNAPLEN = 65535

function endpoint(ip: number, port: number): string {
  return `${formatIPv4(ip)}:${port}`
}

export function connEntry(c: NativeConnInfo): ConnEntry {
  const { localIp, localPort, remoteIp, remotePort, ...rest } = c
  return {
    ...rest,
    local: endpoint(localIp, localPort),
    remote: c.state === 'LISTEN' ? '*:*' : endpoint(remoteIp, remotePort),
  }
}

export function handleRequest(target: ControlTarget, req: unknown): unknown {
  if (!isObject(req)) throw invalidOption('request', 'a JSON object like {"cmd":"stats"}', req)
  const cmd = oneOf(req.cmd, 'request.cmd', COMMANDS)
  if (target.closed()) throw new GazelleError('ERR_GAZELLE_STACK_CLOSED', 'the stack is closed')
  const b = target.binding
  switch (cmd) {
    case 'info':
      return {
        ...target.info(),
        linkUp: b.stackLinkUp(),
        uptimeMs: Date.now() - target.startedAt,
        connections: b.tcpList().filter((c) => c.state !== 'LISTEN').length,
        logLevel: target.log.level,
      } satisfies InfoResult
    case 'stats':
      return { time: Date.now(), uptimeMs: Date.now() - target.startedAt, counters: b.stackStats() } satisfies StatsResult
    case 'conns':
      return b.tcpList().map(connEntry)
    case 'latency': {
      const result = b.stackLatency()
      if (req.reset === true) b.stackLatencyReset()
      return result
    }
    case 'loglevel':
      if (req.level !== undefined) {
        const level = oneOf(req.level, 'request.level', LOG_LEVELS)
        target.log.setLevel(level)
        target.log.write('info', 'loglevel', { level }, `log level set to ${level}`)
      }
      return { level: target.log.level }
    case 'capture':
      return capture(target, req)
    case 'faults':
      if (req.spec !== undefined) {
        const spec = string(req.spec, 'request.spec', 'a fault spec like "drop=1%,delay=2ms" or "off"', () => true)
        b.stackSetFaults(resolveFaults(spec, 'request.spec'))
        target.log.write('warn', 'faults', { spec }, `fault injection set to ${spec}`)
      }
      return b.stackStats().faults ?? {}
  }
}

function capture(target: ControlTarget, req: Record<string, unknown>): unknown {
  const action = oneOf(req.action, 'request.action', ['start', 'stop', 'status'] as const)
  if (action === 'status') return target.capture.status()
  if (action === 'stop') return target.capture.stop()
  const path = string(req.path, 'request.path', 'an absolute file path', (s) => isAbsolute(s) && !s.includes('\0'))
  const count = integer(req.count, 'request.count', 0, Number.MAX_SAFE_INTEGER, 0)
  const snaplen = integer(req.snaplen, 'request.snaplen', 64, 262144, DEFAULT_SNAPLEN)
  const status = target.capture.start({ path, count, snaplen })
  target.log.write('info', 'capture-start', { path, count }, `capture to ${path} started`)
  return status
}
