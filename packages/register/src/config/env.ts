// GAZELLE_* environment variables, turned into the config file's shapes. They override
// the file. Each parser names its variable in the error it throws.
//
// The examples' names keep their meaning: GAZELLE_TAP (tap name), GAZELLE_HOST_IP (kernel
// side of the tap), GAZELLE_IP, GAZELLE_POLL, GAZELLE_DEVICE=memif with GAZELLE_MEMIF_SOCKET.
import { invalidOption } from '@gazelle/stack'
import type { DeviceOptions } from '@gazelle/stack'
import type { ListenMode } from './types'

/** Every variable the register reads. */
export const ENV_NAMES = new Set([
  'GAZELLE_CONFIG', 'GAZELLE_DEVICE', 'GAZELLE_TAP', 'GAZELLE_MEMIF_SOCKET', 'GAZELLE_IP', 'GAZELLE_HOST_IP',
  'GAZELLE_GATEWAY', 'GAZELLE_POLL', 'GAZELLE_SPIN_MICROS', 'GAZELLE_ROUTES', 'GAZELLE_KERNEL_ROUTES',
  'GAZELLE_LISTEN', 'GAZELLE_UDP', 'GAZELLE_FALLBACK', 'GAZELLE_STRICT', 'GAZELLE_LOG', 'GAZELLE_REPORT',
  'GAZELLE_PROCESS', 'GAZELLE_OFF',
])

export const LISTEN_MODES: readonly ListenMode[] = ['both', 'stack', 'kernel']
export const DEFAULT_TAP = 'gz0'
export const DEFAULT_MEMIF_SOCKET = '/run/gazelle/gazelle.sock'

const DEVICE_EXPECTED =
  '"tap:NAME", "memif:server|client:SOCKET[:ID]", "af_packet:IFACE", "af_xdp:IFACE[:QUEUES]", "pci:ADDRESS", "tap" or "memif"'

/**
 * GAZELLE_DEVICE: `tap:gz0`, `memif:client:/run/gazelle/a.sock:1`, `af_packet:veth1`,
 * `af_xdp:eth0[:queues]`, `pci:0000:00:04.0`; bare `tap` (GAZELLE_TAP or gz0) and bare `memif` (a memif server on
 * GAZELLE_MEMIF_SOCKET or /run/gazelle/gazelle.sock). Without GAZELLE_DEVICE, GAZELLE_TAP
 * alone means a tap device. The tap's hostIp is filled in later (GAZELLE_HOST_IP).
 */
export function deviceFromEnv(env: NodeJS.ProcessEnv): Partial<DeviceOptions> | undefined {
  const text = env.GAZELLE_DEVICE
  if (text === undefined || text === '') {
    return env.GAZELLE_TAP ? { type: 'tap', name: env.GAZELLE_TAP } : undefined
  }
  const [type, ...rest] = text.split(':')
  const bad = () => invalidOption('GAZELLE_DEVICE', DEVICE_EXPECTED, text)
  switch (type) {
    case 'tap':
      if (rest.length > 1) throw bad()
      return { type: 'tap', name: rest[0] || env.GAZELLE_TAP || DEFAULT_TAP }
    case 'memif': {
      if (rest.length === 0) {
        return { type: 'memif', role: 'server', socket: env.GAZELLE_MEMIF_SOCKET || DEFAULT_MEMIF_SOCKET }
      }
      const [role, socket, id, extra] = rest
      if ((role !== 'server' && role !== 'client') || !socket || extra !== undefined) throw bad()
      if (id !== undefined && !/^\d+$/.test(id)) throw bad()
      return { type: 'memif', role, socket, ...(id !== undefined && { id: Number(id) }) }
    }
    case 'af_packet':
      if (rest.length !== 1 || !rest[0]) throw bad()
      return { type: 'af_packet', iface: rest[0] }
    case 'af_xdp': {
      const [iface, queues, extra] = rest
      if (!iface || extra !== undefined || (queues !== undefined && !/^[1-9]\d*$/.test(queues))) throw bad()
      return { type: 'af_xdp', iface, ...(queues !== undefined && { queues: Number(queues) }) }
    }
    case 'pci':
      if (rest.length === 0) throw bad()
      return { type: 'pci', address: rest.join(':') }
    default:
      throw bad()
  }
}

/** "10.30.0.0/16, 10.40.0.5:6379" → entries (checked later against the rule syntax). */
export function listFromEnv(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '')
}

export function flagFromEnv(name: string, value: string): boolean {
  if (/^(1|true|yes|on)$/i.test(value)) return true
  if (/^(0|false|no|off|)$/i.test(value)) return false
  throw invalidOption(name, '1/true/yes/on or 0/false/no/off', value)
}

/**
 * GAZELLE_LISTEN: a mode ("both", "stack", "kernel"), per-port modes ("7000=stack,9229=kernel"),
 * or both ("kernel,7000=both").
 */
export function listenFromEnv(value: string): { default?: ListenMode; ports: Record<string, ListenMode> } {
  const out: { default?: ListenMode; ports: Record<string, ListenMode> } = { ports: {} }
  for (const item of listFromEnv(value)) {
    const eq = item.indexOf('=')
    if (eq < 0) {
      if (!(LISTEN_MODES as readonly string[]).includes(item) || out.default !== undefined) {
        throw invalidOption('GAZELLE_LISTEN', 'one mode ("both", "stack" or "kernel") and/or PORT=MODE items', value)
      }
      out.default = item as ListenMode
    } else {
      out.ports[item.slice(0, eq).trim()] = item.slice(eq + 1).trim() as ListenMode // checked with the file's ports
    }
  }
  return out
}
