import * as fs from 'node:fs'
import type { InfoResult } from '@gazelle/stack'
import { sweepLeftovers } from '@gazelle/stack'
import { request } from '../client'
import type { Context } from '../context'
import { discover } from '../discover'
import { table, uptime } from '../format'

type Row = { pid: number | undefined; path: string; info?: InfoResult; error?: string }

/** Where root's stacks keep their control sockets (0700: others cannot look inside). */
const ROOT_CONTROL_DIR = '/run/gazelle/ctl'

/** For a user who is not root: root's stacks are elsewhere, and not theirs to see. */
function rootHint(dir: string): string | undefined {
  if ((process.geteuid?.() ?? 0) === 0 || dir === ROOT_CONTROL_DIR || !fs.existsSync(ROOT_CONTROL_DIR)) return undefined
  return `stacks run by root are not listed (their control sockets are in ${ROOT_CONTROL_DIR}): sudo gazellectl list`
}

export async function list(ctx: Context): Promise<void> {
  // Control sockets, DPDK runtime directories and hugepage files of stacks killed by a signal.
  const swept = sweepLeftovers({ control: ctx.args.dir })
  if (swept.length > 0) {
    ctx.io.err(`removed ${swept.length} leftover(s) of stacks that are gone: ${swept.map((l) => l.path).join(', ')}`)
  }
  const hint = rootHint(ctx.args.dir)
  const rows: Row[] = await Promise.all(discover(ctx.args.dir).map(async (t) => {
    try {
      return { ...t, info: await request<InfoResult>(t.path, { cmd: 'info' }, 1500) }
    } catch (e) {
      return { ...t, error: (e as Error).message }
    }
  }))
  if (ctx.args.json) {
    ctx.io.out(JSON.stringify(rows.map((r) => r.info ?? { pid: r.pid, control: r.path, error: r.error })))
    return
  }
  if (rows.length === 0) {
    ctx.io.out(`no running stacks (control sockets in ${ctx.args.dir})`)
    if (hint) ctx.io.out(hint)
    return
  }
  const lines = table(
    [{ title: 'PID', right: true }, { title: 'Device', shrink: true }, { title: 'IP' }, { title: 'Link' },
      { title: 'Uptime', right: true }, { title: 'Conns', right: true }],
    rows.map((r) => r.info
      ? [String(r.info.pid), r.info.device, r.info.ip, r.info.linkUp ? 'up' : 'down', uptime(r.info.uptimeMs), String(r.info.connections)]
      : [String(r.pid), `(${r.error})`, '', '', '', '']),
  )
  lines.forEach((l) => ctx.io.out(l))
  if (hint) ctx.io.out(hint)
}
