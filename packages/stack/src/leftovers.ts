// What a stack process leaves behind when a signal kills it (no exit handlers run): its
// control socket (<control dir>/<pid>.sock), DPDK's runtime directory (gazelle-<pid> under
// /var/run/dpdk, or $XDG_RUNTIME_DIR/dpdk when not root) and hugepage files
// (gazelle-<pid>map_N, which hold hugepages until removed). The next stack, and
// gazellectl, remove those of processes that are gone. A leftover is only removed when
// its pid is not running and no process holds a lock on it (DPDK locks its config file
// and hugepage files; /proc/locks sees every pid namespace).
import * as fs from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defaultControlDir, pidOfSocketName } from './control/paths'

export interface Leftover {
  path: string
  pid: number
  kind: 'control socket' | 'DPDK runtime directory' | 'hugepage file'
}

export interface LeftoverDirs {
  control?: string
  dpdkRuntime?: string
  /** The hugetlbfs mount, or false for none. */
  hugepages?: string | false
}

/** DPDK's runtime directory parent for this user (eal_get_runtime_dir's rule). */
export function dpdkRuntimeDir(env: NodeJS.ProcessEnv = process.env): string {
  if ((process.geteuid?.() ?? 0) === 0) return '/var/run/dpdk'
  return join(env.XDG_RUNTIME_DIR ?? tmpdir(), 'dpdk')
}

/** The pid in a DPDK file prefix of this package ("gazelle-1234", "gazelle-1234map_0"). */
export function pidOfPrefix(name: string): number | undefined {
  const m = /^gazelle-(\d+)(?!\d)/.exec(name)
  return m ? Number(m[1]) : undefined
}

/** Whether a process with this pid exists (EPERM: it does, as another user's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Inodes some process holds a lock on ("1: POSIX ADVISORY WRITE 1234 00:19:5678 0 EOF"). */
export function lockedInodes(locksText: string): Set<number> {
  const out = new Set<number>()
  for (const line of locksText.split('\n')) {
    const m = /\s(?:[0-9a-f]+):(?:[0-9a-f]+):(\d+)\s/.exec(line)
    if (m) out.add(Number(m[1]))
  }
  return out
}

function list(dir: string): string[] {
  try {
    return fs.readdirSync(dir)
  } catch {
    return []
  }
}

function inode(path: string): number | undefined {
  try {
    return fs.statSync(path).ino
  } catch {
    return undefined
  }
}

/** Leftovers of processes that are gone, in the given (or this user's default) places. */
export function findLeftovers(dirs: LeftoverDirs = {}): Leftover[] {
  let locked: Set<number>
  try {
    locked = lockedInodes(fs.readFileSync('/proc/locks', 'utf8'))
  } catch {
    locked = new Set()
  }
  const free = (path: string) => {
    const ino = inode(path)
    return ino !== undefined && !locked.has(ino)
  }
  const out: Leftover[] = []
  const control = dirs.control ?? defaultControlDir()
  for (const name of list(control)) {
    const pid = pidOfSocketName(name)
    if (pid !== undefined && pid !== process.pid && !processAlive(pid)) out.push({ path: join(control, name), pid, kind: 'control socket' })
  }
  const runtime = dirs.dpdkRuntime ?? dpdkRuntimeDir()
  for (const name of list(runtime)) {
    const pid = pidOfPrefix(name)
    const path = join(runtime, name)
    if (pid === undefined || pid === process.pid || processAlive(pid)) continue
    // DPDK's primary process keeps a write lock on <dir>/config while it runs.
    if (!fs.existsSync(join(path, 'config')) || free(join(path, 'config'))) out.push({ path, pid, kind: 'DPDK runtime directory' })
  }
  const huge = dirs.hugepages === undefined ? '/dev/hugepages' : dirs.hugepages
  if (huge !== false) {
    for (const name of list(huge)) {
      const pid = pidOfPrefix(name)
      const path = join(huge, name)
      if (pid !== undefined && pid !== process.pid && !processAlive(pid) && free(path)) out.push({ path, pid, kind: 'hugepage file' })
    }
  }
  return out
}

/** Removes the leftovers of processes that are gone; returns what was removed (what this
 * user may not remove is left, silently: it is another user's). */
export function sweepLeftovers(dirs: LeftoverDirs = {}): Leftover[] {
  const removed: Leftover[] = []
  for (const l of findLeftovers(dirs)) {
    try {
      fs.rmSync(l.path, { recursive: true, force: true })
      removed.push(l)
    } catch {
      // not ours to remove
    }
  }
  return removed
}
