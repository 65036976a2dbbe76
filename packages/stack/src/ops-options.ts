// Options for operators: the control socket, the logger and the periodic metrics line.
import { resolve } from 'node:path'
import { LOG_LEVELS, LogLevel, Logger } from './log'
import { SUN_PATH_MAX, checkKeys, integer, invalidOption, isObject, oneOf } from './validate'

export interface ControlOptions {
  /** Unix socket path. Default: <control dir>/<pid>.sock (see README, "Operating a stack"). */
  path?: string
}

export interface OpsOptions {
  /** The control socket gazellectl talks to; false: none. */
  control?: ControlOptions | false
  /** A pino-compatible logger; default: none (silent). */
  logger?: Logger
  /** Default 'info'. gazellectl `set loglevel` changes it at run time. */
  logLevel?: LogLevel
  /** Logs a metrics line every this many ms (0, the default: never). */
  metricsLogInterval?: number
}

export interface ResolvedOpsOptions {
  /** null: no control socket; undefined path: the default one. */
  control: { path?: string } | null
  logger: Logger | undefined
  logLevel: LogLevel
  metricsLogInterval: number
}

/** The createStack() keys this file resolves. */
export const OPS_OPTION_KEYS = ['control', 'logger', 'logLevel', 'metricsLogInterval'] as const
const LOGGER_METHODS = ['error', 'warn', 'info', 'debug'] as const

export function resolveOpsOptions(options: Record<string, unknown>): ResolvedOpsOptions {
  let control: ResolvedOpsOptions['control'] = {}
  const c = options.control
  if (c === false) {
    control = null
  } else if (c !== undefined) {
    const expected = 'false or an object like { path: "/run/gazelle/ctl/app.sock" }'
    if (!isObject(c)) throw invalidOption('options.control', expected, c)
    checkKeys(c, ['path'], 'options.control')
    if (c.path !== undefined) {
      const p = c.path
      if (typeof p !== 'string' || p === '' || p.includes('\0') || Buffer.byteLength(resolve(p)) > SUN_PATH_MAX) {
        throw invalidOption('options.control.path', `a unix socket file path of at most ${SUN_PATH_MAX} bytes`, p)
      }
      control = { path: resolve(p) }
    }
  }

  const logger = options.logger
  if (logger !== undefined) {
    const l = logger as Record<string, unknown>
    if (typeof logger !== 'object' || logger === null || LOGGER_METHODS.some((m) => typeof l[m] !== 'function')) {
      throw invalidOption('options.logger', 'a pino-compatible logger with error, warn, info and debug methods', logger)
    }
  }

  return {
    control,
    logger: logger as Logger | undefined,
    logLevel: oneOf(options.logLevel, 'options.logLevel', LOG_LEVELS, 'info'),
    metricsLogInterval: metricsInterval(options.metricsLogInterval),
  }
}

function metricsInterval(value: unknown): number {
  const n = integer(value, 'options.metricsLogInterval', 0, 86_400_000, 0)
  if (n !== 0 && n < 1000) throw invalidOption('options.metricsLogInterval', '0 (off) or at least 1000 ms', value)
  return n
}
