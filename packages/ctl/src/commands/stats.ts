import type { InfoResult, StatsResult } from '@gazelle/stack'
import { request } from '../client'
import type { Context } from '../context'
import { formatCounters } from '../counters-view'
import { pick } from '../discover'
import { WIDTH, ellipsize, uptime } from '../format'

export function header(info: InfoResult): string {
  const fixed = `pid ${info.pid}  ${info.ip}    up ${uptime(info.uptimeMs)}`
  return `pid ${info.pid}  ${info.ip}  ${ellipsize(info.device, WIDTH - fixed.length)}  up ${uptime(info.uptimeMs)}`
}

export async function stats(ctx: Context): Promise<void> {
  const t = pick(ctx.args.dir, ctx.args.positional[0], ctx.args.socket)
  const s = await request<StatsResult>(t.path, { cmd: 'stats' })
  if (ctx.args.json) {
    ctx.io.out(JSON.stringify(s))
    return
  }
  const info = await request<InfoResult>(t.path, { cmd: 'info' })
  ;[header(info), '', ...formatCounters(s.counters, 'total')].forEach((l) => ctx.io.out(l))
}
