// Structured logs for operators: events go to a pino-compatible logger the user passes
// (`logger.info(obj, msg)`), filtered by a level that gazellectl can change at run time.
// Default: silent. A throwing logger never breaks the stack.

export type LogLevel = 'error' | 'warn' | 'info' | 'debug'
export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug']

/** What the stack calls: pino, bole, console-shaped wrappers... Objects first, then a message. */
export interface Logger {
  error(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  debug(obj: object, msg?: string): void
  /** pino keeps its own threshold here: the stack sets it with its own. */
  level?: string
}

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 }

export class StackLog {
  #logger: Logger | undefined
  #level: LogLevel
  #last = new Map<string, number>()

  constructor(logger: Logger | undefined, level: LogLevel) {
    this.#logger = logger
    this.#level = level
    this.setLevel(level)
  }

  /** Whether a logger was given (nothing to watch for otherwise). */
  get active(): boolean {
    return this.#logger !== undefined
  }

  get level(): LogLevel {
    return this.#level
  }

  setLevel(level: LogLevel): void {
    this.#level = level
    const l = this.#logger
    if (l !== undefined && typeof l.level === 'string') {
      try {
        l.level = level
      } catch {
        // a logger with a read-only level: the stack's own filter still applies
      }
    }
  }

  enabled(level: LogLevel): boolean {
    return this.#logger !== undefined && RANK[level] <= RANK[this.#level]
  }

  write(level: LogLevel, event: string, fields: object, msg: string): void {
    if (!this.enabled(level)) return
    try {
      this.#logger![level]({ event, ...fields }, msg)
    } catch {
      // the logger's failure is not the stack's
    }
  }

  /** Like write, at most once per intervalMs for key; returns whether it wrote. */
  limited(key: string, intervalMs: number, level: LogLevel, event: string, fields: object, msg: string): boolean {
    if (!this.enabled(level)) return false
    const now = Date.now()
    const last = this.#last.get(key)
    if (last !== undefined && now - last < intervalMs) return false
    this.#last.set(key, now)
    this.write(level, event, fields, msg)
    return true
  }
}
