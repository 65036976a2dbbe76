import { LOG_LEVELS, parseFaultSpec, type LogLevel } from '@gazelle/stack'
import { request } from '../client'
import { Context, UsageError } from '../context'
import { pick } from '../discover'

const WHAT = ['loglevel', 'faults']

/** `set loglevel LEVEL [PID]` | `set faults SPEC [PID]` (SPEC like "drop=1%,delay=2ms", or "off") */
export async function set(ctx: Context): Promise<void> {
  const [what, value, pid] = ctx.args.positional
  if (!WHAT.includes(what)) throw new UsageError(`set: one of ${WHAT.join(', ')} can be set, got ${JSON.stringify(what ?? '')}`)
  if (what === 'faults') {
    if (value === undefined) throw new UsageError('set faults: SPEC like "drop=1%,dup=1%,reorder=5%,delay=2ms,corrupt=0.1%" (rx./tx. prefixes for one direction), or "off"')
    try {
      parseFaultSpec(value, 'SPEC')
    } catch (e) {
      throw new UsageError(`set faults: ${(e as Error).message}`)
    }
    const t = pick(ctx.args.dir, pid, ctx.args.socket)
    const r = await request<Record<string, number>>(t.path, { cmd: 'faults', spec: value })
    if (ctx.args.json) ctx.io.out(JSON.stringify({ pid: t.pid, faults: r }))
    else ctx.io.out(`${target(t)}: fault injection ${r.active ? `on (${value})` : 'off'}`)
    return
  }
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new UsageError(`set loglevel: LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(value ?? '')}`)
  }
  const t = pick(ctx.args.dir, pid, ctx.args.socket)
  const r = await request<{ level: LogLevel }>(t.path, { cmd: 'loglevel', level: value as LogLevel })
  if (ctx.args.json) ctx.io.out(JSON.stringify({ pid: t.pid, ...r }))
  else ctx.io.out(`${target(t)}: log level ${r.level}`)
}

function target(t: { pid?: number; path: string }): string {
  return t.pid === undefined ? t.path : `pid ${t.pid}`
}
