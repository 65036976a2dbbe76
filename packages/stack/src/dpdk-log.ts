// DPDK's own log lines: the addon captures them (native/src/dpdk_log.c) instead of letting
// them reach stderr. An open-time failure carries the ones that explain it; while a stack
// runs, they go to its logger as 'dpdk' events (or nowhere, without a logger). Lines whose
// meaning the stack already reports in its own words are demoted to debug.
import type { LogLevel, StackLog } from './log'
import type { NativeBinding } from './native'

/** rte_log levels: 1 emergency .. 4 error, 5 warning, 6 notice, 7 info, 8 debug. */
const RTE_LOG_ERR = 4
const RTE_LOG_WARNING = 5
const RTE_LOG_INFO = 7

interface Known {
  pattern: RegExp
  /** What it means here, said in the log line's fields. */
  meaning: string
}

/** Lines the stack reports itself (memif-connect/-disconnect, ERR_GAZELLE_LINK_DOWN) or
 * that do not concern it: logged at debug, with what they mean. */
const KNOWN: readonly Known[] = [
  { pattern: /memif_connect_client\(\): Failed to connect socket/, meaning: 'no memif server on the socket yet (see memif-connect / ERR_GAZELLE_LINK_DOWN)' },
  { pattern: /qdisc kind is unknown|Disabling rte flow support|tap_nl_dump_ext_ack|could not create multiq qdisc/, meaning: 'harmless: the kernel has no multiq qdisc; DPDK flow rules are not used' },
]

export interface DpdkLine {
  level: LogLevel
  text: string
  /** For lines the stack explains itself. */
  meaning?: string
}

/** How one captured line is logged. */
export function classifyDpdkLine(rteLevel: number, text: string): DpdkLine {
  const known = KNOWN.find((k) => k.pattern.test(text))
  if (known) return { level: 'debug', text, meaning: known.meaning }
  const level: LogLevel = rteLevel <= RTE_LOG_WARNING ? 'warn' : rteLevel <= RTE_LOG_INFO ? 'info' : 'debug'
  return { level, text }
}

/** What to do about an EAL failure, from what DPDK logged. */
function advice(texts: string[]): string | undefined {
  const all = texts.join('\n')
  if (/Permission denied|Operation not permitted/.test(all)) return 'run as root'
  if (/hugepage|huge page|hugetlbfs|Cannot allocate memory|No free/i.test(all)) {
    return 'check the hugepages: `npm run setup` as root reserves and mounts them'
  }
  return undefined
}

/**
 * The message of an open-time failure with what DPDK logged for it: its error lines
 * (at most `max`, the last ones) and what to do about them.
 */
export function explainWithDpdkLines(message: string, lines: [number, string][], max = 3): string {
  const errors = lines.filter(([level, text]) => level <= RTE_LOG_ERR && !KNOWN.some((k) => k.pattern.test(text))).map(([, t]) => t)
  if (errors.length === 0) return message
  const shown = errors.slice(-max)
  const what = advice(errors)
  return `${message} (DPDK: ${shown.join('; ')})${what ? `: ${what}` : ''}`
}

/** Drains the addon's captured lines into the stack's log once a second. */
export class DpdkLogRelay {
  readonly #binding: NativeBinding
  readonly #log: StackLog
  #timer: NodeJS.Timeout | null = null

  constructor(binding: NativeBinding, log: StackLog) {
    this.#binding = binding
    this.#log = log
  }

  start(periodMs = 1000): void {
    this.drain()
    this.#timer = setInterval(() => this.drain(), periodMs)
    this.#timer.unref()
  }

  drain(): void {
    const { lines, dropped } = this.#binding.dpdkLogTake()
    if (!this.#log.active) return
    for (const [rteLevel, text] of lines) {
      const l = classifyDpdkLine(rteLevel, text)
      this.#log.write(l.level, 'dpdk', l.meaning ? { line: text, meaning: l.meaning } : { line: text }, text)
    }
    if (dropped > 0) this.#log.write('warn', 'dpdk', { dropped }, `${dropped} DPDK log line(s) lost (too many at once)`)
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    this.drain()
  }
}
