// gazellectl: what a running gazelle stack is doing, through its control socket.
import { parseArgs } from './args'
import { CtlError } from './client'
import { capture } from './commands/capture'
import { conns } from './commands/conns'
import { latency } from './commands/latency'
import { list } from './commands/list'
import { rates } from './commands/rates'
import { set } from './commands/set'
import { stats } from './commands/stats'
import { Context, Io, UsageError } from './context'

export const USAGE = `usage: gazellectl [--json] [--dir DIR | --socket PATH] COMMAND [ARGS]

commands:
  list                          running stacks: pid, device, ip, uptime, conns
  stats [PID]                   port, mempool, poll-loop and LwIP counters
  rates [PID] [--watch]         the same per second [--interval MS]
                                [--samples N]
  conns [PID]                   TCP connections, like ss -ti
  latency [PID] [--reset]       latency by stage: percentiles and histograms
  set loglevel LEVEL [PID]      error, warn, info or debug
  set faults SPEC [PID]         inject faults into rx/tx frames, like
                                "drop=1%,dup=1%,reorder=5%,delay=2ms" ("off")
  capture [PID] --out FILE      pcap of rx/tx frames [--count N] [--duration S]
                                [--snaplen BYTES]

PID may be left out when one stack runs. --json prints JSON for scripts.
Control sockets are found in --dir (default: GAZELLE_CTL_DIR, /run/gazelle/ctl
for root, else $XDG_RUNTIME_DIR/gazelle/ctl).`

const COMMANDS: Record<string, (ctx: Context) => Promise<void>> = {
  list, stats, rates, conns, latency, set, capture,
}

const stdio: Io = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
  tty: process.stdout.isTTY === true,
}

/** Runs one command; returns the exit code (0 ok, 1 failed, 2 usage). */
export async function main(argv: readonly string[], io: Io = stdio): Promise<number> {
  let interrupted = false
  const wakers = new Set<() => void>()
  const onSigint = () => {
    interrupted = true
    for (const w of wakers) w()
  }
  const ctx = (args: Context['args']): Context => ({
    args,
    io,
    interrupted: () => interrupted,
    sleep: (ms) => new Promise((resolve) => {
      if (interrupted) return resolve(false)
      const wake = () => {
        clearTimeout(timer)
        wakers.delete(wake)
        resolve(false)
      }
      const timer = setTimeout(() => {
        wakers.delete(wake)
        resolve(true)
      }, ms)
      wakers.add(wake)
    }),
  })
  process.on('SIGINT', onSigint)
  try {
    const args = parseArgs(argv)
    if (args.flags.help || args.command === 'help') {
      io.out(USAGE)
      return 0
    }
    const run = COMMANDS[args.command]
    if (!run) throw new UsageError(`unknown command ${JSON.stringify(args.command)}`)
    await run(ctx(args))
    return 0
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`gazellectl: ${e.message}`)
      io.err(USAGE)
      return 2
    }
    const code = e instanceof CtlError ? ` [${e.code}]` : ''
    io.err(`gazellectl: ${(e as Error).message}${code}`)
    return 1
  } finally {
    process.off('SIGINT', onSigint)
  }
}
