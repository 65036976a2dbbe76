// Runs gazellectl (packages/ctl/bin) as a child process, optionally as another user.
import { execFile } from 'node:child_process'
import * as path from 'node:path'
import { cleanup } from './cleanup'
import { REPO } from './harness'

export const GAZELLECTL = path.join(REPO, 'packages/ctl/bin/gazellectl.js')

export interface CtlRun {
  code: number | null
  stdout: string
  stderr: string
}

/** gazellectl ARGS; with user, through `setpriv` as that user (no supplementary groups). */
export function gazellectl(args: string[], opts: { user?: { uid: number; gid: number }; timeoutMs?: number } = {}): Promise<CtlRun> {
  // `env -i`: tap's process-info hooks ride in the environment, and would make a child
  // of another user fail writing into .tap/
  const node = ['env', '-i', `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`, process.execPath, GAZELLECTL, ...args]
  const [file, argv] = opts.user
    ? ['setpriv', [`--reuid=${opts.user.uid}`, `--regid=${opts.user.gid}`, '--clear-groups', ...node]]
    : [node[0], node.slice(1)]
  return new Promise((resolve) => {
    const c = execFile(file, argv, { timeout: opts.timeoutMs ?? 30_000, killSignal: 'SIGKILL', cwd: '/' }, (err: any, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout: String(stdout), stderr: String(stderr) })
    })
    cleanup.child(c)
  })
}

/** gazellectl --json ARGS, parsed; throws with stderr when it fails. */
export async function ctlJson<R = any>(args: string[]): Promise<R> {
  const r = await gazellectl(['--json', ...args])
  if (r.code !== 0) throw new Error(`gazellectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout) as R
}
