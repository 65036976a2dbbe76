import type { LatencyResult } from '@gazelle/stack'
import { request } from '../client'
import type { Context } from '../context'
import { pick } from '../discover'
import { formatLatency } from '../latency-view'

export async function latency(ctx: Context): Promise<void> {
  const t = pick(ctx.args.dir, ctx.args.positional[0], ctx.args.socket)
  const l = await request<LatencyResult>(t.path, { cmd: 'latency', reset: ctx.args.flags.reset === true })
  if (ctx.args.json) ctx.io.out(JSON.stringify(l))
  else formatLatency(l).forEach((x) => ctx.io.out(x))
}
