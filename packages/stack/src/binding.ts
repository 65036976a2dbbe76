// Loads the native addon, turning every way that can fail (not built, DPDK shared
// libraries missing, built for another Node, built from other sources) into one error
// that says what to do.
import { constants as os } from 'node:os'
import { GazelleError } from './errors'
import { API_VERSION, EVENT_SLOTS, Ev, NativeBinding, PollMode, UdpOption } from './native'

let loaded: NativeBinding | undefined

/** How to build the addon: in this repository's checkout, or in an app that installed it. */
const BUILD_HINT = 'run `npm run setup` (in the gazelle-node repository) or `npm rebuild @gazelle/native` (in an app: it says what is missing)'

function hint(message: string): string {
  if (/librte_|libdpdk|libnuma/.test(message)) return 'the DPDK shared libraries are missing'
  if (/Cannot find module/.test(message)) return 'the native addon is not built'
  if (/NODE_MODULE_VERSION|was compiled against/.test(message)) return 'the native addon was built for another Node.js'
  return 'the native addon could not be loaded'
}

/** The members of a numeric TS enum, without its reverse mapping. */
function members(e: Record<string, string | number>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [k, v] of Object.entries(e)) if (typeof v === 'number') out[k] = v
  return out
}

/** Where two name -> number tables differ: "Ev.Data is 3 here, 4 in the addon". */
function differences(table: string, ours: Record<string, number>, theirs: unknown): string[] {
  if (typeof theirs !== 'object' || theirs === null) return [`no ${table} table in the addon`]
  const t = theirs as Record<string, unknown>
  const out: string[] = []
  for (const name of new Set([...Object.keys(ours), ...Object.keys(t)])) {
    if (ours[name] !== t[name]) {
      out.push(`${table}.${name} is ${ours[name] ?? 'unknown'} here, ${t[name] ?? 'unknown'} in the addon`)
    }
  }
  return out
}

/**
 * Checks that an addon speaks this package's contract (native.ts): its API version and the
 * constants both sides use. Returns what differs; empty when it matches.
 */
export function contractMismatches(addon: Record<string, unknown>): string[] {
  if (addon.apiVersion !== API_VERSION) {
    return [`API version ${typeof addon.apiVersion === 'number' ? addon.apiVersion : 'none'}, this package needs ${API_VERSION}`]
  }
  const c = (addon.constants ?? {}) as Record<string, unknown>
  const errno = members(os.errno as unknown as Record<string, number>)
  const theirErrno = (typeof c.errno === 'object' && c.errno !== null ? c.errno : {}) as Record<string, unknown>
  const ourErrno: Record<string, number> = {}
  for (const name of Object.keys(theirErrno)) ourErrno[name] = errno[name]
  return [
    ...(c.eventSlots === EVENT_SLOTS ? [] : [`eventSlots is ${EVENT_SLOTS} here, ${c.eventSlots ?? 'unknown'} in the addon`]),
    ...differences('Ev', members(Ev), c.Ev),
    ...differences('UdpOption', members(UdpOption), c.UdpOption),
    ...differences('PollMode', members(PollMode), c.PollMode),
    ...differences('errno', ourErrno, c.errno),
  ]
}

/** The addon (loaded once; a failure is not cached, so a later call retries). */
export function loadBinding(): NativeBinding {
  if (loaded !== undefined) return loaded
  let addon: Record<string, unknown>
  try {
    addon = require('@gazelle/native') as Record<string, unknown>
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err)
    throw new GazelleError(
      'ERR_GAZELLE_NO_DPDK',
      `${hint(message)} (${message}): ${BUILD_HINT}`,
      { cause: err },
    )
  }
  const mismatches = contractMismatches(addon)
  if (mismatches.length) {
    throw new GazelleError(
      'ERR_GAZELLE_NO_DPDK',
      `the native addon is out of date for this package (${mismatches.join('; ')}): ${BUILD_HINT}`,
    )
  }
  loaded = addon as unknown as NativeBinding
  return loaded
}
