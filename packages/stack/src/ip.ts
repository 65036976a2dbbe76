// IPv4 addresses as unsigned 32-bit numbers in host order (10.0.0.1 === 0x0a000001),
// the form they take across the native boundary.

const OCTET = /^(?:0|[1-9]\d{0,2})$/

/** Parses a dotted-quad IPv4 address ("10.0.0.1"); undefined if it is not one. */
export function parseIPv4(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  let n = 0
  for (const part of parts) {
    if (!OCTET.test(part)) return undefined
    const v = Number(part)
    if (v > 255) return undefined
    n = n * 256 + v
  }
  return n
}

export function isIPv4(text: unknown): text is string {
  return parseIPv4(text) !== undefined
}

export function formatIPv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
}

export interface Cidr {
  ip: number
  prefix: number
}

/** Parses "a.b.c.d/len" with len 0-32; undefined if it is not that. */
export function parseCidr(text: unknown): Cidr | undefined {
  if (typeof text !== 'string') return undefined
  const slash = text.indexOf('/')
  if (slash < 0) return undefined
  const ip = parseIPv4(text.slice(0, slash))
  const len = text.slice(slash + 1)
  if (ip === undefined || !/^(?:\d|[12]\d|3[0-2])$/.test(len)) return undefined
  return { ip, prefix: Number(len) }
}

/** 24 -> 0xffffff00 */
export function prefixToNetmask(prefix: number): number {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    throw new RangeError(`prefix must be an integer 0-32, got ${prefix}`)
  }
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
}

export function sameSubnet(a: number, b: number, prefix: number): boolean {
  const mask = prefixToNetmask(prefix)
  return ((a & mask) >>> 0) === ((b & mask) >>> 0)
}

/** Ev.Accept packs the remote address as ip * 65536 + port (exact in a double). */
export function unpackAddress(packed: number): { ip: number; port: number } {
  return { ip: Math.floor(packed / 65536), port: packed % 65536 }
}
