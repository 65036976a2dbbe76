// Finding running stacks: the control sockets in the control directory, named <pid>.sock.
import * as fs from 'node:fs'
import { join } from 'node:path'
import { pidOfSocketName, processAlive } from '@gazelle/stack'
import { CtlError } from './client'

export interface Target {
  pid: number | undefined
  path: string
}

/** Control sockets of live processes in dir (leftovers of dead ones are skipped). */
export function discover(dir: string): Target[] {
  let names: string[]
  try {
    names = fs.readdirSync(dir)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return []
    throw new CtlError(code ?? 'EIO', `cannot read ${dir}: ${(e as Error).message}`)
  }
  const out: Target[] = []
  for (const name of names) {
    const pid = pidOfSocketName(name)
    if (pid !== undefined && processAlive(pid)) out.push({ pid, path: join(dir, name) })
  }
  return out.sort((a, b) => a.pid! - b.pid!)
}

/** The stack a command is about: --socket, the PID given, or the only one running. */
export function pick(dir: string, pidArg: string | undefined, socket: string | undefined): Target {
  if (socket !== undefined) return { pid: undefined, path: socket }
  if (pidArg !== undefined) {
    if (!/^\d+$/.test(pidArg)) throw new CtlError('EINVAL', `PID must be a process id, got ${JSON.stringify(pidArg)}`)
    const pid = Number(pidArg)
    const path = join(dir, `${pid}.sock`)
    if (!fs.existsSync(path)) throw new CtlError('ENOENT', `no stack with pid ${pid} (no ${path}): see gazellectl list`)
    return { pid, path }
  }
  const all = discover(dir)
  if (all.length === 1) return all[0]
  if (all.length === 0) throw new CtlError('ENOENT', `no running stack has a control socket in ${dir}`)
  throw new CtlError('EINVAL', `${all.length} stacks are running (${all.map((t) => t.pid).join(', ')}): give a PID`)
}
