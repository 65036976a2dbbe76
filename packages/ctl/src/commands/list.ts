import type { InfoResult } from '@gazelle/stack'
import { request } from '../client'
import type { Context } from '../context'
import { discover } from '../discover'
import { table, uptime } from '../format'

type Row = { pid: number | undefined; path: string; info?: InfoResult; error?: string }

export async function list(ctx: Context): Promise<void> {
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
}
