import type { ConnEntry } from '@gazelle/stack'
import { request } from '../client'
import type { Context } from '../context'
import { formatConns } from '../conns-view'
import { pick } from '../discover'

export async function conns(ctx: Context): Promise<void> {
  const t = pick(ctx.args.dir, ctx.args.positional[0], ctx.args.socket)
  const list = await request<ConnEntry[]>(t.path, { cmd: 'conns' })
  if (ctx.args.json) ctx.io.out(JSON.stringify(list))
  else formatConns(list).forEach((l) => ctx.io.out(l))
}
