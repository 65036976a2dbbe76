// One place turns the file and the environment into a ResolvedConfig. Every error is
// ERR_GAZELLE_INVALID_OPTION naming the key as the user wrote it: the variable
// ("GAZELLE_LISTEN") or the file and path ("/etc/gazelle/node.json: listen.ports.7000").
// Stack options other than the device and address are createStack()'s to check.
import { formatIPv4, invalidOption, parseCidr, prefixToNetmask } from '@gazelle/stack'
import type { DeviceOptions, StackOptions } from '@gazelle/stack'
import { RULE_EXPECTED, isRouteRule } from '../rules'
import { ENV_NAMES, LISTEN_MODES, deviceFromEnv, flagFromEnv, listFromEnv, listenFromEnv } from './env'
import { findConfigFile } from './file'
import { interfaceCidr } from './interface-address'
import type { ListenMode, RegisterConfig, RegisterLogLevel, ResolvedConfig } from './types'

const TOP_KEYS = ['stack', 'connect', 'listen', 'udp', 'fallback', 'strict', 'log', 'report', 'process'] as const
const LOG_LEVELS: readonly RegisterLogLevel[] = ['silent', 'error', 'warn', 'info', 'debug']
const POLL_MODES = ['busy', 'adaptive', 'interrupt'] as const

type Obj = Record<string, unknown>

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Reads a config object section by section, naming keys as "<file>: a.b". */
class Reader {
  constructor(readonly prefix: string) {}

  name(key: string): string {
    return `${this.prefix}${key}`
  }

  object(parent: Obj, key: string, allowed: readonly string[]): Obj {
    const v = parent[key]
    if (v === undefined) return {}
    if (!isObj(v)) throw invalidOption(this.name(key), 'an object', v)
    this.known(v, allowed, `${key}.`)
    return v
  }

  known(o: Obj, allowed: readonly string[], path = ''): void {
    for (const k of Object.keys(o)) {
      if (!allowed.includes(k)) {
        throw invalidOption(this.name(`${path}${k}`), `absent (known keys: ${allowed.join(', ')})`, o[k])
      }
    }
  }
}

function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalidOption(name, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, value)
  }
  return value as T
}

function rules(value: unknown, name: string): string[] {
  if (!Array.isArray(value)) throw invalidOption(name, `an array of ${RULE_EXPECTED}`, value)
  value.forEach((entry, i) => {
    if (!isRouteRule(entry)) throw invalidOption(`${name}[${i}]`, RULE_EXPECTED, entry)
  })
  return (value as string[]).map((s) => s.trim())
}

function portKey(key: string, name: string): number {
  const n = /^\d+$/.test(key) ? Number(key) : NaN
  if (!(n >= 1 && n <= 65535)) throw invalidOption(name, 'a port number from 1 to 65535', key)
  return n
}

/** The kernel side of a tap when none is given: the subnet's first host address that is
 * not the stack's own ("10.20.0.2/24" → "10.20.0.1/24"). */
export function defaultHostIp(stackIp: string): string | undefined {
  const c = parseCidr(stackIp)
  if (!c || c.prefix > 30) return undefined
  const net = (c.ip & prefixToNetmask(c.prefix)) >>> 0
  const host = net + 1 === c.ip ? net + 2 : net + 1
  return `${formatIPv4(host)}/${c.prefix}`
}

/** createStack()'s options, and the stack's address with its prefix (what routing uses). */
function stackOptions(data: Obj, r: Reader, env: NodeJS.ProcessEnv): { stack: StackOptions; address: string } {
  const given = data.stack
  if (given !== undefined && !isObj(given)) throw invalidOption(r.name('stack'), 'an object (createStack() options)', given)
  const stack: Obj = { ...(given ?? {}) }
  const fromEnv = deviceFromEnv(env)
  if (fromEnv) stack.device = fromEnv
  if (env.GAZELLE_IP) stack.ip = env.GAZELLE_IP
  if (env.GAZELLE_GATEWAY) stack.gateway = env.GAZELLE_GATEWAY
  if (env.GAZELLE_POLL) stack.poll = oneOf(env.GAZELLE_POLL, 'GAZELLE_POLL', POLL_MODES)
  if (env.GAZELLE_SPIN_MICROS) {
    const n = Number(env.GAZELLE_SPIN_MICROS)
    if (!Number.isInteger(n) || n < 0) throw invalidOption('GAZELLE_SPIN_MICROS', 'a non-negative integer', env.GAZELLE_SPIN_MICROS)
    stack.spinMicros = n
  }

  const ipName = env.GAZELLE_IP ? 'GAZELLE_IP' : r.name('stack.ip')
  const deviceName = fromEnv ? (env.GAZELLE_DEVICE ? 'GAZELLE_DEVICE' : 'GAZELLE_TAP') : r.name('stack.device')
  if (stack.device === undefined) {
    throw invalidOption(deviceName, 'a device (set GAZELLE_DEVICE, e.g. "tap:gz0", or "stack.device")', undefined)
  }
  if (!isObj(stack.device)) throw invalidOption(deviceName, 'an object like { "type": "tap", "name": "gz0" }', stack.device)
  const device = { ...stack.device } as Obj
  let address: string
  if (device.type === 'af_xdp' && typeof device.iface === 'string' &&
    (stack.ip === undefined || stack.ip === 'auto' || (typeof stack.ip === 'string' && !stack.ip.includes('/')))) {
    // The interface's own address: the stack is given it bare, to take the interface's
    // prefix and default gateway as it does for "auto".
    address = interfaceCidr(device.iface, (stack.ip as string | undefined) ?? 'auto', ipName)
    stack.ip = address.split('/')[0]
  } else {
    if (stack.ip === undefined) {
      throw invalidOption(ipName, 'the stack\'s address and prefix like "10.20.0.2/24" (set GAZELLE_IP or "stack.ip")', undefined)
    }
    if (!parseCidr(stack.ip)) throw invalidOption(ipName, 'an IPv4 address with a prefix length like "10.20.0.2/24"', stack.ip)
    address = stack.ip as string
  }
  if (device.type === 'tap') {
    if (env.GAZELLE_HOST_IP) device.hostIp = env.GAZELLE_HOST_IP
    else if (device.hostIp === undefined) device.hostIp = defaultHostIp(address)
    if (device.hostIp === undefined) {
      throw invalidOption('GAZELLE_HOST_IP', 'the kernel side of the tap like "10.20.0.1/24" (none can be derived from a /31 or /32)', undefined)
    }
  }
  stack.device = device as unknown as DeviceOptions
  return { stack: stack as unknown as StackOptions, address }
}

/**
 * The register's configuration from the environment and the config file (see
 * RegisterConfig). Throws ERR_GAZELLE_INVALID_OPTION / ERR_GAZELLE_CONFIG_FILE.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): ResolvedConfig {
  const file = findConfigFile(env, cwd)
  return resolveConfig(file?.data ?? {}, env, file?.path)
}

/** Resolves a config object (as a file would hold it) with the environment's overrides.
 * `source` names the object in error messages (a file path). */
export function resolveConfig(config: RegisterConfig | Record<string, unknown>, env: NodeJS.ProcessEnv = {}, source?: string): ResolvedConfig {
  if (!isObj(config)) throw invalidOption(source ?? 'config', 'an object', config)
  const data = config as Obj
  const r = new Reader(source ? `${source}: ` : '')
  r.known(data, TOP_KEYS)
  const { stack, address } = stackOptions(data, r, env)

  const connect = r.object(data, 'connect', ['stack', 'kernel'])
  const stackRules = env.GAZELLE_ROUTES !== undefined
    ? rules(listFromEnv(env.GAZELLE_ROUTES), 'GAZELLE_ROUTES')
    : connect.stack === undefined ? [] : rules(connect.stack, r.name('connect.stack'))
  const kernelRules = env.GAZELLE_KERNEL_ROUTES !== undefined
    ? rules(listFromEnv(env.GAZELLE_KERNEL_ROUTES), 'GAZELLE_KERNEL_ROUTES')
    : connect.kernel === undefined ? [] : rules(connect.kernel, r.name('connect.kernel'))

  const listen = r.object(data, 'listen', ['default', 'ports'])
  const envListen = env.GAZELLE_LISTEN ? listenFromEnv(env.GAZELLE_LISTEN) : undefined
  const listenDefault: ListenMode = envListen?.default
    ?? (listen.default === undefined ? 'both' : oneOf(listen.default, r.name('listen.default'), LISTEN_MODES))
  const ports = new Map<number, ListenMode>()
  if (listen.ports !== undefined) {
    if (!isObj(listen.ports)) throw invalidOption(r.name('listen.ports'), 'an object like { "9229": "kernel" }', listen.ports)
    for (const [k, v] of Object.entries(listen.ports)) {
      const name = r.name(`listen.ports.${k}`)
      ports.set(portKey(k, name), oneOf(v, name, LISTEN_MODES))
    }
  }
  for (const [k, v] of Object.entries(envListen?.ports ?? {})) {
    ports.set(portKey(k, `GAZELLE_LISTEN port "${k}"`), oneOf(v, `GAZELLE_LISTEN port ${k}`, LISTEN_MODES))
  }

  const udp = r.object(data, 'udp', ['bind'])
  const udpBind: ListenMode = env.GAZELLE_UDP
    ? oneOf(env.GAZELLE_UDP, 'GAZELLE_UDP', LISTEN_MODES)
    : udp.bind === undefined ? 'both' : oneOf(udp.bind, r.name('udp.bind'), LISTEN_MODES)

  const fallback = env.GAZELLE_FALLBACK
    ? oneOf(env.GAZELLE_FALLBACK, 'GAZELLE_FALLBACK', ['error', 'kernel'] as const)
    : data.fallback === undefined ? 'error' : oneOf(data.fallback, r.name('fallback'), ['error', 'kernel'] as const)
  const flag = (envName: string, key: string): boolean => {
    const v = env[envName]
    if (v !== undefined) return flagFromEnv(envName, v)
    if (data[key] === undefined) return false
    if (typeof data[key] !== 'boolean') throw invalidOption(r.name(key), 'a boolean', data[key])
    return data[key] as boolean
  }
  const log = env.GAZELLE_LOG
    ? oneOf(env.GAZELLE_LOG, 'GAZELLE_LOG', LOG_LEVELS)
    : data.log === undefined ? 'info' : oneOf(data.log, r.name('log'), LOG_LEVELS)

  const processText = env.GAZELLE_PROCESS || (data.process as string | undefined) || 'main'
  const processName = env.GAZELLE_PROCESS ? 'GAZELLE_PROCESS' : r.name('process')
  if (typeof processText !== 'string') throw invalidOption(processName, '"main" or a regular expression', processText)
  let processRule: 'main' | RegExp = 'main'
  if (processText !== 'main') {
    try {
      processRule = new RegExp(processText)
    } catch {
      throw invalidOption(processName, '"main" or a valid regular expression', processText)
    }
  }

  const fromEnv: Record<string, string | undefined> = {
    device: env.GAZELLE_DEVICE ? 'GAZELLE_DEVICE' : env.GAZELLE_TAP ? 'GAZELLE_TAP' : undefined,
    'device.hostIp': env.GAZELLE_HOST_IP ? 'GAZELLE_HOST_IP' : undefined,
    ip: env.GAZELLE_IP ? 'GAZELLE_IP' : undefined,
    gateway: env.GAZELLE_GATEWAY ? 'GAZELLE_GATEWAY' : undefined,
    poll: env.GAZELLE_POLL ? 'GAZELLE_POLL' : undefined,
    spinMicros: env.GAZELLE_SPIN_MICROS ? 'GAZELLE_SPIN_MICROS' : undefined,
  }
  const stackKeyName = (key: string): string =>
    fromEnv[key] ?? (key.startsWith('device.') && !fromEnv['device.hostIp'] ? fromEnv.device : undefined) ?? r.name(`stack.${key}`)
  const sources = [source ?? null, Object.keys(env).some((k) => ENV_NAMES.has(k)) ? 'environment' : null]
  return {
    stack,
    address,
    connect: { stack: stackRules, kernel: kernelRules },
    listen: { default: listenDefault, ports },
    udp: { bind: udpBind },
    fallback,
    strict: flag('GAZELLE_STRICT', 'strict'),
    log,
    report: flag('GAZELLE_REPORT', 'report'),
    process: processRule,
    sources: sources.filter((s): s is string => s !== null),
    stackKeyName,
  }
}
