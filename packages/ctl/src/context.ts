// What every command gets: parsed arguments, where to print, and the control directory.
export interface Io {
  out(line: string): void
  err(line: string): void
  /** Whether out is a terminal (rates --watch redraws in place only there). */
  tty: boolean
}

export interface Args {
  command: string
  positional: string[]
  json: boolean
  dir: string
  socket?: string
  flags: Record<string, string | true>
}

export interface Context {
  args: Args
  io: Io
  /** Resolves after ms, or early when the user interrupts (returns false then). */
  sleep(ms: number): Promise<boolean>
  interrupted(): boolean
}

export class UsageError extends Error {
  name = 'UsageError'
}

export function flagNumber(args: Args, name: string, fallback: number, min = 0): number {
  const v = args.flags[name]
  if (v === undefined) return fallback
  const n = Number(v)
  if (v === true || !Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number >= ${min}, got ${v === true ? 'nothing' : v}`)
  return n
}

export function flagString(args: Args, name: string): string | undefined {
  const v = args.flags[name]
  if (v === true) throw new UsageError(`--${name} needs a value`)
  return v
}
