// Command-line parsing: `gazellectl [--json] [--dir DIR] [--socket PATH] COMMAND [ARGS] [--flag[=value]]`.
import { defaultControlDir } from '@gazelle/stack'
import { Args, UsageError } from './context'

/** Flags that take a value (the next argument when not written --flag=value). */
const VALUED = new Set(['dir', 'socket', 'interval', 'count', 'out', 'snaplen', 'duration', 'samples'])
const BOOLEAN = new Set(['json', 'watch', 'reset', 'help'])

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Args {
  const positional: string[] = []
  const flags: Record<string, string | true> = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '-h') {
      flags.help = true
    } else if (a.startsWith('--')) {
      const eq = a.indexOf('=')
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq)
      if (!VALUED.has(name) && !BOOLEAN.has(name)) throw new UsageError(`unknown option --${name}`)
      if (eq >= 0) {
        flags[name] = a.slice(eq + 1)
      } else if (VALUED.has(name)) {
        if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`)
        flags[name] = argv[++i]
      } else {
        flags[name] = true
      }
    } else {
      positional.push(a)
    }
  }
  const dir = flags.dir
  const socket = flags.socket
  return {
    command: positional.shift() ?? (flags.help ? 'help' : 'list'),
    positional,
    json: flags.json === true,
    dir: typeof dir === 'string' ? dir : defaultControlDir(env),
    socket: typeof socket === 'string' ? socket : undefined,
    flags,
  }
}
