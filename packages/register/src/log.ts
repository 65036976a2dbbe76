// The register's own lines on stderr, prefixed "gazelle:", filtered by GAZELLE_LOG.
// Warnings go through process.emitWarning (so --no-warnings and 'warning' listeners work
// as for node's own), with a code operators can grep for.
import type { RegisterLogLevel } from './config/types'

const RANK: Record<RegisterLogLevel, number> = { silent: -1, error: 0, warn: 1, info: 2, debug: 3 }

export class RegisterLog {
  readonly level: RegisterLogLevel

  constructor(level: RegisterLogLevel) {
    this.level = level
  }

  enabled(level: Exclude<RegisterLogLevel, 'silent'>): boolean {
    return RANK[level] <= RANK[this.level]
  }

  error(message: string): void {
    if (this.enabled('error')) process.stderr.write(`gazelle: error: ${message}\n`)
  }

  warn(message: string, code: string): void {
    if (this.enabled('warn')) process.emitWarning(`gazelle: ${message}`, { code })
  }

  info(message: string): void {
    if (this.enabled('info')) process.stderr.write(`gazelle: ${message}\n`)
  }

  debug(message: string): void {
    if (this.enabled('debug')) process.stderr.write(`gazelle: debug: ${message}\n`)
  }
}
