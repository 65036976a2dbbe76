// Names a process holds inside its network namespace (a tap device name, the lock around
// address set-up): one abstract unix socket per name, bound while the process holds it.
//  - binding is atomic: a second process gets EADDRINUSE, so check-then-create races
//    between processes (cluster workers, PM2 instances, an overlapping restart) cannot
//    both win;
//  - the kernel unbinds it when the process dies: no stale lock after a crash;
//  - abstract names are per network namespace, as interface names are.
// The owner is found through /proc (the socket's inode among the processes' fds), so it
// can be named even while its event loop is busy (in rte_eal_init, say).
import { readFileSync, readdirSync, readlinkSync } from 'node:fs'
import { createServer } from 'node:net'
import type { Server } from 'node:net'

/** A held name; release() gives it back (idempotent). */
export interface Claim {
  readonly name: string
  release(): void
}

function socketPath(name: string): string {
  return `\0gazelle/${name}`
}

/** Claims name in this network namespace; resolves null if another process holds it. */
export function claim(name: string): Promise<Claim | null> {
  return new Promise((resolve, reject) => {
    const server: Server = createServer((c) => c.destroy())
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') resolve(null)
      else reject(err)
    })
    server.listen(socketPath(name), () => {
      server.unref()
      let held = true
      resolve({
        name,
        release() {
          if (!held) return
          held = false
          server.close()
        },
      })
    })
  })
}

/** Claims name, retrying while another process holds it (for short critical sections). */
export async function claimWithin(name: string, timeoutMs: number): Promise<Claim | null> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const c = await claim(name)
    if (c !== null || Date.now() >= end) return c
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** The inode of the abstract socket bound to name, from /proc/net/unix (this netns). */
export function socketInode(unixTable: string, name: string): number | undefined {
  const want = `@gazelle/${name}`
  for (const line of unixTable.split('\n')) {
    const fields = line.trim().split(/\s+/)
    // Num RefCount Protocol Flags Type St Inode Path; listening sockets have flags 00010000.
    // Node binds abstract names padded with NULs to the whole sun_path: shown as '@'.
    if (fields.length >= 8 && fields[3] === '00010000' && fields[7].replace(/@+$/, '') === want) return Number(fields[6])
  }
  return undefined
}

/** The pid of the process holding name, if it can be found (root sees every process). */
export function holderOf(name: string): number | undefined {
  let inode: number | undefined
  try {
    inode = socketInode(readFileSync('/proc/net/unix', 'utf8'), name)
  } catch {
    return undefined
  }
  if (inode === undefined) return undefined
  const link = `socket:[${inode}]`
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let fds: string[]
    try {
      fds = readdirSync(`/proc/${entry}/fd`)
    } catch {
      continue // gone, or another user's
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${entry}/fd/${fd}`) === link) return Number(entry)
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined
}
