// Host-side work around the port: prerequisite checks (hugepages, names, sockets)
// before the addon is called, and the kernel side of a tap after it.
import { existsSync, mkdirSync, readFileSync, statSync, unlinkSync } from 'node:fs'
import { connect } from 'node:net'
import { dirname } from 'node:path'
import { loadBinding } from './binding'
import { GazelleError } from './errors'
import type { DeviceOptions, ResolvedOptions } from './options'
import { configureTap, prepareTap, releaseTap } from './tap'
import { invalidOption } from './validate'

const SETUP_HINT = 'run `npm run setup` (as root)'
/** Lower bound of the pool's footprint per mbuf (2176 B buffer + headers); DPDK needs more. */
const MBUF_BYTES = 2304
const MEMIF_PROBE_MS = 1000

export interface Mount {
  source: string
  target: string
  type: string
}

/** /proc/mounts lines; octal escapes (\040 for a space) decoded. */
export function parseMounts(text: string): Mount[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))
  const mounts: Mount[] = []
  for (const line of text.split('\n')) {
    const [source, target, type] = line.split(' ')
    if (type !== undefined) mounts.push({ source: unescape(source), target: unescape(target), type })
  }
  return mounts
}

/** /proc/meminfo as numbers (kB values stay in kB). */
export function parseMeminfo(text: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const line of text.split('\n')) {
    const m = /^([\w()]+):\s+(\d+)/.exec(line)
    if (m) out[m[1]] = Number(m[2])
  }
  return out
}

/**
 * Problem with the hugepage set-up for this many mbufs, or undefined if it looks usable.
 * Pure, so it can be tested on canned /proc text.
 */
export function hugepageProblem(mountsText: string, meminfoText: string, path: string, mbufs: number): string | undefined {
  const mounts = parseMounts(mountsText).filter((m) => m.type === 'hugetlbfs')
  if (!mounts.some((m) => m.target === path)) {
    const elsewhere = mounts.length ? ` (hugetlbfs is mounted on ${mounts.map((m) => m.target).join(', ')}: set options.hugepages)` : ''
    return `hugetlbfs is not mounted on ${path}${elsewhere}`
  }
  const info = parseMeminfo(meminfoText)
  const free = info.HugePages_Free ?? 0
  const pageKb = info.Hugepagesize ?? 2048
  if (free === 0) return `there are no free hugepages (HugePages_Total ${info.HugePages_Total ?? 0})`
  const needMb = Math.ceil((mbufs * MBUF_BYTES) / 2 ** 20)
  const freeMb = Math.floor((free * pageKb) / 1024)
  if (freeMb < needMb) {
    return `${mbufs} mbufs need at least ${needMb} MiB of hugepages, ${freeMb} MiB are free`
  }
  return undefined
}

export function checkHugepages(o: ResolvedOptions): void {
  if (o.hugepages === false || o.eal.some((a) => a === '--no-huge')) return
  let mounts: string
  let meminfo: string
  try {
    mounts = readFileSync('/proc/mounts', 'utf8')
    meminfo = readFileSync('/proc/meminfo', 'utf8')
    /* c8 ignore next 3 */
  } catch {
    return // not Linux /proc: let EAL report what it finds
  }
  const problem = hugepageProblem(mounts, meminfo, o.hugepages, o.mbufs)
  if (problem !== undefined) {
    throw new GazelleError('ERR_GAZELLE_NO_HUGEPAGES', `${problem}: ${SETUP_HINT}`)
  }
}

function interfaceExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`)
}

/**
 * Resolves true if a process listens on the unix socket at path. Only "connection refused"
 * (or the file vanishing) means nobody does: DPDK's memif socket is SOCK_SEQPACKET, so a
 * live one answers this stream connect with EPROTOTYPE.
 */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path)
    const done = (answered: boolean) => {
      clearTimeout(timer)
      s.destroy()
      resolve(answered)
    }
    /* c8 ignore next */
    const timer = setTimeout(() => done(true), MEMIF_PROBE_MS) // a hung server still holds it
    s.once('connect', () => done(true))
    s.once('error', (err: NodeJS.ErrnoException) => done(err.code !== 'ECONNREFUSED' && err.code !== 'ENOENT'))
  })
}

/** Checks and host-side preparation before the port is created; stackIp: the stack's
 * own address (a tap's subnet must be free for it). */
export async function prepareDevice(device: Readonly<DeviceOptions>, stackIp: number): Promise<void> {
  switch (device.type) {
    case 'tap':
      return prepareTap(device, stackIp)
    case 'af_packet':
    case 'af_xdp':   // af_xdp's own checks: af-xdp.ts, once the addon is loaded
      if (!interfaceExists(device.iface)) {
        throw new GazelleError(
          'ERR_GAZELLE_DEVICE_NOT_FOUND',
          `options.device.iface names no network interface: /sys/class/net/${device.iface} does not exist`,
        )
      }
      return
    case 'memif':
      if (device.role === 'server') await prepareMemifServer(device.socket)
      return
    case 'pci':
      return
  }
}

/** The one place the stack creates a missing memif socket directory (as root, silently
 * elsewhere would turn a typo in a path into a directory tree). */
export const MEMIF_RUN_DIR = '/run/gazelle'

async function prepareMemifServer(path: string): Promise<void> {
  const dir = dirname(path)
  if (dir === MEMIF_RUN_DIR || dir.startsWith(`${MEMIF_RUN_DIR}/`)) {
    mkdirSync(dir, { recursive: true })
  } else if (!existsSync(dir)) {
    throw invalidOption('options.device.socket',
      `a path in a directory that exists (${dir} does not; the stack creates missing directories only under ${MEMIF_RUN_DIR})`, path)
  }
  let isSocket: boolean
  try {
    isSocket = statSync(path).isSocket()
  } catch {
    return // nothing there
  }
  if (!isSocket) throw invalidOption('options.device.socket', 'a path that is free or a unix socket', path)
  if (await socketAnswers(path)) {
    throw new GazelleError(
      'ERR_GAZELLE_MEMIF_IN_USE',
      `another process is serving the memif socket ${path}: close it or choose another options.device.socket`,
    )
  }
  try {
    unlinkSync(path) // stale: left by a process that died
    /* c8 ignore next 3 */
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}

/** After the port exists: give the kernel side of a tap its address and bring it up. */
export async function configureDevice(device: Readonly<DeviceOptions>, stackIp: number): Promise<void> {
  if (device.type === 'tap') await configureTap(device, stackIp)
}

/** After the port is closed (or failed to open): give back what prepareDevice claimed.
 * af_xdp: the stack's ports and ephemeral range go back to the kernel. */
export function releaseDevice(device: Readonly<DeviceOptions>): void {
  if (device.type === 'tap') releaseTap(device)
  if (device.type === 'af_xdp') loadBinding().xdpStop()
}
