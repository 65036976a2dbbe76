// What a stack needs from the system beyond its options: files in the hugetlbfs mount,
// and for kernel-facing devices the network capabilities (root has them all). Checked
// before DPDK starts, so a user who is not root reads "run as root" and what is missing,
// not DPDK's own lines about hugepage files and a guess at the cause.
import { accessSync, constants, readFileSync } from 'node:fs'
import { GazelleError } from './errors'
import type { ResolvedOptions } from './options'

/** Linux capability numbers (linux/capability.h). */
const CAP_NET_ADMIN = 12
const CAP_NET_RAW = 13

export interface Privileges {
  uid: number
  /** The effective capability set (CapEff in /proc/self/status). */
  capabilities: bigint
  /** Whether this process may create files in the hugetlbfs mount (undefined: not used). */
  hugepagesWritable: boolean | undefined
}

function hasCap(caps: bigint, cap: number): boolean {
  return ((caps >> BigInt(cap)) & 1n) === 1n
}

/** What the device needs that the process lacks, or undefined. Pure, for tests. */
export function privilegeProblem(o: Pick<ResolvedOptions, 'device' | 'hugepages'>, p: Privileges): string | undefined {
  const missing: string[] = []
  if (p.hugepagesWritable === false) {
    missing.push(`write access to the hugetlbfs mount ${String(o.hugepages)} (DPDK creates its hugepage files there)`)
  }
  const d = o.device
  if (d.type === 'tap' && !hasCap(p.capabilities, CAP_NET_ADMIN)) {
    missing.push(`CAP_NET_ADMIN (to create the tap device ${d.name} and give it an address)`)
  }
  if ((d.type === 'af_packet' || d.type === 'af_xdp') && !hasCap(p.capabilities, CAP_NET_RAW)) {
    missing.push(`CAP_NET_RAW (to open raw sockets on ${d.iface})`)
  }
  if (d.type === 'af_xdp' && !hasCap(p.capabilities, CAP_NET_ADMIN)) {
    missing.push(`CAP_NET_ADMIN (to attach the XDP program to ${d.iface})`)
  }
  if (d.type === 'pci' && p.uid !== 0) missing.push(`root (to drive the NIC ${d.address} through vfio)`)
  if (missing.length === 0) return undefined
  return `this process (uid ${p.uid}) is not root and lacks ${missing.join(' and ')}`
}

function effectiveCapabilities(): bigint {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))
    return m ? BigInt(`0x${m[1]}`) : 0n
    /* c8 ignore next 3 */
  } catch {
    return 0n
  }
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK)
    return true
  } catch (err) {
    // A missing mount is checkHugepages' to report.
    return (err as NodeJS.ErrnoException).code !== 'EACCES' && (err as NodeJS.ErrnoException).code !== 'EPERM'
  }
}

/** Throws ERR_GAZELLE_PERMISSION, saying "run as root" and what is missing. Root passes. */
export function checkPrivileges(o: ResolvedOptions): void {
  const uid = process.geteuid?.() ?? 0
  if (uid === 0) return
  const usesHugepages = o.hugepages !== false && !o.eal.includes('--no-huge')
  const problem = privilegeProblem(o, {
    uid,
    capabilities: effectiveCapabilities(),
    hugepagesWritable: usesHugepages ? writable(o.hugepages as string) : undefined,
  })
  if (problem !== undefined) {
    throw new GazelleError('ERR_GAZELLE_PERMISSION', `${problem}: run it as root (sudo), or grant what is missing`)
  }
}
