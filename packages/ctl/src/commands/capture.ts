import { resolve } from 'node:path'
import type { CaptureStatus } from '@gazelle/stack'
import { request } from '../client'
import { Context, UsageError, flagNumber, flagString } from '../context'
import { pick } from '../discover'
import { bytes } from '../format'

const POLL_MS = 200

/** `capture PID --out FILE [--count N] [--snaplen N] [--duration S]`: the stack process
 * writes the file; this waits until N frames, S seconds or Ctrl-C, then stops it. */
export async function capture(ctx: Context): Promise<void> {
  const out = flagString(ctx.args, 'out')
  if (out === undefined) throw new UsageError('capture: --out FILE is required')
  const count = flagNumber(ctx.args, 'count', 0, 0)
  const snaplen = flagNumber(ctx.args, 'snaplen', 65535, 64)
  const seconds = flagNumber(ctx.args, 'duration', Infinity, 0)
  const t = pick(ctx.args.dir, ctx.args.positional[0], ctx.args.socket)
  const path = resolve(out)
  let status = await request<CaptureStatus>(t.path, { cmd: 'capture', action: 'start', path, count, snaplen })
  if (!ctx.args.json) ctx.io.err(`capturing to ${path}${count ? ` (${count} frames)` : ''}; Ctrl-C stops`)
  const end = Date.now() + seconds * 1000
  while (!status.done) {
    if (Date.now() >= end || !(await ctx.sleep(Math.min(POLL_MS, Math.max(0, end - Date.now()))))) {
      status = await request<CaptureStatus>(t.path, { cmd: 'capture', action: 'stop' })
      break
    }
    status = await request<CaptureStatus>(t.path, { cmd: 'capture', action: 'status' })
  }
  if (ctx.args.json) {
    ctx.io.out(JSON.stringify(status))
    return
  }
  ctx.io.out(`${status.packets} frames (${bytes(status.written)}) written to ${status.path}` +
    `${status.dropped ? `, ${status.dropped} dropped (capture buffer full)` : ''}`)
  if (status.error) throw new Error(`capture failed: ${status.error}`)
}
