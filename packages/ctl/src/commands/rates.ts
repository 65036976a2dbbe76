import type { InfoResult, StatsResult } from '@gazelle/stack'
import { request } from '../client'
import { Context, flagNumber } from '../context'
import { formatCounters } from '../counters-view'
import { pick } from '../discover'
import { rates as perSecond } from '../rates'
import { header } from './stats'

const CLEAR = '\x1b[H\x1b[2J'

/** One rate sample per interval; with --watch until interrupted (or --samples N). */
export async function rates(ctx: Context): Promise<void> {
  const t = pick(ctx.args.dir, ctx.args.positional[0], ctx.args.socket)
  const interval = flagNumber(ctx.args, 'interval', 1000, 100)
  const watch = ctx.args.flags.watch === true
  const samples = flagNumber(ctx.args, 'samples', watch ? Infinity : 1, 1)
  const info = ctx.args.json ? null : await request<InfoResult>(t.path, { cmd: 'info' })
  let before = await request<StatsResult>(t.path, { cmd: 'stats' })
  for (let i = 0; i < samples; i++) {
    if (!(await ctx.sleep(interval))) break
    const after = await request<StatsResult>(t.path, { cmd: 'stats' })
    const r = perSecond(before, after)
    before = after
    if (ctx.args.json) {
      ctx.io.out(JSON.stringify({ time: after.time, intervalMs: interval, rates: r }))
      continue
    }
    const screen = [header(info!), `rates per second over ${interval} ms`, '', ...formatCounters(r, 'rate')]
    if (watch && ctx.io.tty) ctx.io.out(CLEAR + screen.join('\n'))
    else {
      if (i > 0) ctx.io.out('')
      screen.forEach((l) => ctx.io.out(l))
    }
  }
}
