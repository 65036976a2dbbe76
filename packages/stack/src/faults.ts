// Fault injection, as Gazelle has it: received (rx) and sent (tx) frames are dropped,
// duplicated, reordered, delayed and corrupted at given rates, and counted (stats()
// group "faults", gazellectl stats). For tests and drills, never for production traffic.
//
// Given as the createStack option `faults`, the GAZELLE_FAULTS environment variable, or
// at run time with stack.setFaults() and `gazellectl set faults SPEC`. Either an object
//   { drop: 0.01, duplicate: 0.01, reorder: 0.05, corrupt: 0.001, delayMs: 2, rx: {...}, tx: {...}, seed }
// (rates are fractions; top-level values apply to both directions, rx/tx override them),
// or a string: comma-separated key=value, rates as fractions or percentages, keys
// prefixed "rx." or "tx." for one direction, delay in ms (or with "us"/"ms"):
//   "drop=1%,dup=1%,reorder=5%,delay=2ms,corrupt=0.1%"    "rx.drop=3%,seed=42"    "off"
import { invalidOption, isObject } from './validate'

export interface FaultRates {
  /** Share of frames lost, 0..1. */
  drop?: number
  /** Share of frames sent twice. */
  duplicate?: number
  /** Share of frames held back behind 1-3 later frames (2 ms at most, or the delay). */
  reorder?: number
  /** Share of frames with one bit flipped past the Ethernet header (checksums must catch it). */
  corrupt?: number
  /** Every frame waits this long (0-10000 ms). */
  delayMs?: number
}

export interface FaultOptions extends FaultRates {
  /** Received frames only (overrides the top-level rates). */
  rx?: FaultRates
  /** Sent frames only (overrides the top-level rates). */
  tx?: FaultRates
  /** Seed of the random choices (reproducible runs); default: random. */
  seed?: number
}

/** What the addon takes; null turns faults off. */
export interface NativeFaults {
  rx: Required<Omit<FaultRates, 'delayMs'>> & { delayUs: number }
  tx: Required<Omit<FaultRates, 'delayMs'>> & { delayUs: number }
  seed: number
}

const RATES = ['drop', 'duplicate', 'reorder', 'corrupt'] as const
const ALIASES: Record<string, keyof FaultRates> = {
  drop: 'drop', loss: 'drop', dup: 'duplicate', duplicate: 'duplicate', reorder: 'reorder',
  corrupt: 'corrupt', delay: 'delayMs', delayms: 'delayMs',
}
const MAX_DELAY_MS = 10_000
const EXAMPLE = '"drop=1%,dup=1%,reorder=5%,delay=2ms,corrupt=0.1%" (keys may start with "rx." or "tx."; "off" for none)'

function rate(value: unknown, name: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw invalidOption(name, 'a fraction from 0 to 1', value)
  return value
}

const RATE_KEYS = [...RATES, 'delayMs'] as const

function onlyKeys(o: Record<string, unknown>, name: string, keys: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!keys.includes(k)) throw invalidOption(`${name}.${k}`, `absent: ${name} takes ${keys.join(', ')}`, o[k])
  }
}

function rates(value: unknown, name: string, base?: NativeFaults['rx']): NativeFaults['rx'] {
  const out = base ? { ...base } : { drop: 0, duplicate: 0, reorder: 0, corrupt: 0, delayUs: 0 }
  if (value === undefined) return out
  if (!isObject(value)) throw invalidOption(name, 'an object like { drop: 0.01, delayMs: 2 }', value)
  if (base) onlyKeys(value, name, RATE_KEYS)
  for (const k of RATES) if (value[k] !== undefined) out[k] = rate(value[k], `${name}.${k}`)
  if (value.delayMs !== undefined) {
    const d = value.delayMs
    if (typeof d !== 'number' || !(d >= 0 && d <= MAX_DELAY_MS)) throw invalidOption(`${name}.delayMs`, `a number of ms from 0 to ${MAX_DELAY_MS}`, d)
    out.delayUs = Math.round(d * 1000)
  }
  return out
}

/** Parses the string form (GAZELLE_FAULTS, gazellectl) into the object form. */
export function parseFaultSpec(spec: string, name: string): FaultOptions | null {
  const text = spec.trim()
  if (text === '' || text === 'off' || text === 'none') return null
  const out: FaultOptions & Record<string, unknown> = {}
  for (const part of text.split(',')) {
    const m = /^\s*(?:(rx|tx)\.)?([a-z]+)\s*=\s*([0-9.]+)\s*(%|ms|us)?\s*$/i.exec(part)
    if (!m) throw invalidOption(name, `a fault spec like ${EXAMPLE}`, spec)
    const [, dir, rawKey, num, unit] = m
    const value = Number(num)
    if (rawKey.toLowerCase() === 'seed' && !dir && unit === undefined) {
      out.seed = value
      continue
    }
    const key = ALIASES[rawKey.toLowerCase()]
    if (!key || Number.isNaN(value)) throw invalidOption(name, `a fault spec like ${EXAMPLE}`, spec)
    let v: number
    if (key === 'delayMs') {
      if (unit === '%') throw invalidOption(name, `a fault spec like ${EXAMPLE} (a delay in ms or us)`, spec)
      v = unit === 'us' ? value / 1000 : value
    } else {
      if (unit === 'ms' || unit === 'us') throw invalidOption(name, `a fault spec like ${EXAMPLE} (a rate, not a time)`, spec)
      v = unit === '%' ? value / 100 : value
    }
    const target = dir ? ((out[dir] as FaultRates | undefined) ?? (out[dir] = {})) as FaultRates : out
    target[key] = v
  }
  return out
}

/**
 * Validates faults (object, string or null/undefined) into what the addon takes;
 * null when no fault is set.
 */
export function resolveFaults(value: unknown, name = 'options.faults'): NativeFaults | null {
  if (value === undefined || value === null || value === false) return null
  const o = typeof value === 'string' ? parseFaultSpec(value, name) : value
  if (o === null) return null
  if (!isObject(o)) throw invalidOption(name, `an object like { drop: 0.01 } or a string like ${EXAMPLE}`, value)
  onlyKeys(o, name, [...RATE_KEYS, 'rx', 'tx', 'seed'])
  const both = rates(o, name)
  let seed = Math.floor(Math.random() * 2 ** 48) + 1
  if (o.seed !== undefined) {
    if (!Number.isSafeInteger(o.seed) || (o.seed as number) < 0) throw invalidOption(`${name}.seed`, 'a non-negative integer', o.seed)
    seed = o.seed as number
  }
  const out = { rx: rates(o.rx, `${name}.rx`, both), tx: rates(o.tx, `${name}.tx`, both), seed }
  const any = (r: NativeFaults['rx']) => RATES.some((k) => r[k] > 0) || r.delayUs > 0
  return any(out.rx) || any(out.tx) ? out : null
}
