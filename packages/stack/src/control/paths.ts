// Where control sockets live: one per stack, named after the process id, in a
// directory only the owner can enter. gazellectl looks in the same place.
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/** GAZELLE_CTL_DIR, else /run/gazelle/ctl for root, else $XDG_RUNTIME_DIR/gazelle/ctl
 * (or <tmpdir>/gazelle-<uid>/ctl). */
export function defaultControlDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GAZELLE_CTL_DIR) return resolve(env.GAZELLE_CTL_DIR)
  const uid = process.getuid?.() ?? 0
  if (uid === 0) return '/run/gazelle/ctl'
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'gazelle', 'ctl')
  return join(tmpdir(), `gazelle-${uid}`, 'ctl')
}

export function controlSocketPath(pid: number, dir = defaultControlDir()): string {
  return join(dir, `${pid}.sock`)
}

/** The pid in a default socket name ("1234.sock"), or undefined. */
export function pidOfSocketName(name: string): number | undefined {
  const m = /^(\d+)\.sock$/.exec(name)
  return m ? Number(m[1]) : undefined
}
