// An af_xdp stack shares its interface's address with the kernel (ip "auto", or one of
// the interface's addresses without a prefix). The register routes by that address before
// the stack opens, so it reads it here, as the stack will: the interface's first IPv4
// address (or the one named) with its prefix.
import { networkInterfaces } from 'node:os'
import { GazelleError, invalidOption } from '@gazelle/stack'

/** "a.b.c.d/len" of iface: the first IPv4 one for "auto", else the one named. */
export function interfaceCidr(iface: string, ip: string, name: string): string {
  const v4 = (networkInterfaces()[iface] ?? []).filter((a) => a.family === 'IPv4' && a.cidr)
  const found = ip === 'auto' ? v4[0] : v4.find((a) => a.address === ip)
  if (found) return found.cidr!
  if (ip === 'auto') {
    throw new GazelleError('ERR_GAZELLE_NO_ADDRESS',
      `${name} "auto": ${iface} has no IPv4 address: give it one (\`ip addr add A.B.C.D/N dev ${iface}\`) or set ${name}`)
  }
  throw invalidOption(name, `"auto" or an address of ${iface} (${v4.map((a) => a.cidr).join(', ') || 'none'}), or an address with prefix length`, ip)
}
