import { LOG_LEVELS, type LogLevel } from '@gazelle/stack'
import { request } from '../client'
import { Context, UsageError } from '../context'
import { pick } from '../discover'

/** `set loglevel LEVEL [PID]` */
export async function set(ctx: Context): Promise<void> {
  const [what, level, pid] = ctx.args.positional
  if (what !== 'loglevel') throw new UsageError(`set: only "loglevel" can be set, got ${JSON.stringify(what ?? '')}`)
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(`set loglevel: LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level ?? '')}`)
  }
  const t = pick(ctx.args.dir, pid, ctx.args.socket)
  const r = await request<{ level: LogLevel }>(t.path, { cmd: 'loglevel', level: level as LogLevel })
  if (ctx.args.json) ctx.io.out(JSON.stringify({ pid: t.pid, ...r }))
  else ctx.io.out(`${t.pid === undefined ? t.path : `pid ${t.pid}`}: log level ${r.level}`)
}
