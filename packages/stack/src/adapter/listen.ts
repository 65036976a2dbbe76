// Listen-and-await, and what a listen host means for a stack. The stack has one network
// address: a host is either a wildcard (the stack's address), that address, or something
// the stack cannot serve. A loopback host is the important case: it asks for a service
// reachable from this machine only, and serving it on the stack's network address would
// make it public. Adapters keep such a bind on the kernel or refuse it; never widen it.
import { isIP } from 'node:net'
import { parseIPv4 } from '../ip'
import type { ListenOptions, Server } from '../server'
import type { AddressInfo } from '../socket'

/**
 * - 'any': a wildcard (undefined, '', '0.0.0.0', '::'): served on the stack's address;
 * - 'stack': the stack's own address;
 * - 'loopback': 'localhost' (or a name under .localhost), 127.0.0.0/8, ::1, ::ffff:127.x;
 * - 'other': any other address or name (the kernel's interfaces, say).
 */
export type ListenHostKind = 'any' | 'stack' | 'loopback' | 'other'

const WILDCARDS = new Set(['', '0.0.0.0', '::', '[::]', '::0'])

/** Whether host names this machine's loopback (a name, IPv4 or IPv6). */
export function isLoopbackHost(host: unknown): boolean {
  if (typeof host !== 'string') return false
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '')
  if (h === 'localhost' || h.endsWith('.localhost')) return true
  const v4 = parseIPv4(h.startsWith('::ffff:') ? h.slice(7) : h)
  if (v4 !== undefined) return v4 >>> 24 === 127
  return isIP(h) === 6 && /^(?:0{0,4}:){2,7}0{0,3}1$|^::1$/.test(h)
}

/** What a listen host means on a stack whose address is stackIp. */
export function listenHostKind(host: unknown, stackIp: string): ListenHostKind {
  if (host === undefined || host === null || (typeof host === 'string' && WILDCARDS.has(host))) return 'any'
  if (host === stackIp) return 'stack'
  if (isLoopbackHost(host)) return 'loopback'
  return 'other'
}

/** Listens and resolves with the address once listening; rejects with the listen error. */
export function listenOnStack(server: Server, options: ListenOptions = {}): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening)
      reject(err)
    }
    const onListening = () => {
      server.off('error', onError)
      resolve(server.address()!)
    }
    server.once('error', onError)
    server.once('listening', onListening)
    try {
      server.listen(options)
    } catch (err) {
      server.off('error', onError)
      server.off('listening', onListening)
      reject(err)
    }
  })
}
