// What `node --import @gazelle/register` and `node -r @gazelle/register` run before the
// app: read the configuration, decide whether this process opens a stack, check node's
// internals, install the hooks and open the stack.
//
// --import awaits the stack (a failure stops the process before the app runs); -r cannot
// await, so sockets and listeners that route wait for the stack in the meantime.
import { isMainThread } from 'node:worker_threads'
import { createStack, deviceLabel, GazelleError, processAlive } from '@gazelle/stack'
import { loadConfig } from './config/resolve'
import type { ResolvedConfig } from './config/types'
import { flagFromEnv } from './config/env'
import { registerError } from './errors'
import { installConnectHook } from './hooks/connect'
import { installDgramHook } from './hooks/dgram'
import { installListenHook } from './hooks/listen'
import { installResetHook } from './hooks/reset'
import { installTlsHook } from './hooks/tls'
import { installTransferHook } from './hooks/transfer'
import { installWriteHook } from './hooks/write'
import { probeInternals } from './internals'
import { RegisterLog } from './log'
import { Router } from './router'

export type Entry = 'import' | 'require'

/** This process's register: why it routes nothing, or its router. */
export interface RegisterState {
  router: Router | null
  /** Why nothing is routed in this process (null when a router runs). */
  skipped: string | null
  /** Settles once the stack opened or failed (at once when skipped). */
  ready: Promise<void>
}

const kState = Symbol.for('gazelle.register.state')
const LAUNCHER = /(?:^|[\\/])(?:npm-cli|npx-cli|npm|npx|yarn|pnpm|corepack)(?:\.c?js)?$/

/** Why this process must not open the stack, or null. */
function processSkip(config: ResolvedConfig, env: NodeJS.ProcessEnv): string | null {
  const script = process.argv[1] ?? ''
  if (config.process instanceof RegExp) {
    return config.process.test(script) ? null : `the script ${script || '(none)'} does not match GAZELLE_PROCESS ${config.process}`
  }
  const owner = Number(env.GAZELLE_STACK_OWNER)
  if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processAlive(owner)) {
    return `process ${owner} owns the stack (GAZELLE_STACK_OWNER); set GAZELLE_PROCESS to open one here`
  }
  if (LAUNCHER.test(script)) return `${script} is a package manager; the script it runs opens the stack`
  return null
}

/** createStack()'s option errors name "options.x": name the key as the user set it. */
function renameOptionError(err: unknown, config: ResolvedConfig): unknown {
  const e = err as GazelleError
  if (!(e instanceof GazelleError) || e.code !== 'ERR_GAZELLE_INVALID_OPTION') return err
  const m = /^options\.([A-Za-z.]+)( .*)$/s.exec(e.message)
  if (!m) return err
  return new GazelleError('ERR_GAZELLE_INVALID_OPTION', `${config.stackKeyName(m[1])}${m[2]}`, { cause: err })
}

function open(router: Router, entry: Entry): Promise<void> {
  const { config, log } = router
  return createStack(config.stack).then((stack) => {
    router.opened(stack)
    log.info(`${stack.ip}/${stack.prefixLength} on ${deviceLabel(stack.device)} (pid ${process.pid}); ${router.describeRoutes()}`)
  }, (cause: unknown) => {
    const err = renameOptionError(cause, config) as Error
    router.failed(err)
    if (config.fallback === 'kernel') {
      router.warnOnce('stack-open', `the stack could not be opened (${err.message}); everything stays on the kernel`)
      return
    }
    if (entry === 'import') throw err
    // -r: the app is already running; without its stack it must not go on quietly.
    log.error(`the stack could not be opened: ${err.message}`)
    process.nextTick(() => { throw err })
  })
}

/**
 * GAZELLE_REPORT=1: the route counts on stderr when the process ends, also when a signal
 * ends it (SIGTERM/SIGINT). The signal handler only watches: alone, it re-raises the
 * signal so the process still ends by it, as without the register.
 */
function printReportAtExit(router: Router): void {
  let printed = false
  const print = () => {
    if (printed) return
    printed = true
    process.stderr.write(`gazelle: report ${JSON.stringify(router.snapshot())}\n`)
  }
  process.on('exit', print)
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const onSignal = () => {
      print()
      if (process.listenerCount(signal) === 1) {
        process.off(signal, onSignal)
        process.kill(process.pid, signal)
      }
    }
    process.on(signal, onSignal)
  }
}

function install(router: Router): void {
  installConnectHook(router)
  installTlsHook(router)
  installResetHook()
  installWriteHook()
  installListenHook(router)
  installDgramHook(router)
  installTransferHook()
}

/** Installs the register in this process (once; a second entry gets the first's state). */
export function start(entry: Entry): RegisterState {
  const g = globalThis as { [kState]?: RegisterState }
  const existing = g[kState]
  if (existing) return existing
  const state: RegisterState = { router: null, skipped: null, ready: Promise.resolve() }
  g[kState] = state
  const env = process.env
  if (env.GAZELLE_OFF !== undefined && flagFromEnv('GAZELLE_OFF', env.GAZELLE_OFF)) {
    state.skipped = 'GAZELLE_OFF is set'
    return state
  }
  if (!isMainThread) {
    state.skipped = 'a worker thread (one stack per process: the main thread owns it)'
    return state
  }
  if (env.NODE_UNIQUE_ID !== undefined) {
    state.skipped = 'a cluster worker (its listeners are the primary\'s kernel sockets)'
    return state
  }
  const config = loadConfig(env)
  const log = new RegisterLog(config.log)
  const skip = processSkip(config, env)
  if (skip) {
    state.skipped = skip
    log.debug(`no stack in this process: ${skip}`)
    return state
  }
  const internals = probeInternals()
  if (Array.isArray(internals)) {
    const message = `Node.js ${process.version} lacks ${internals.join(', ')}, which the register needs`
    if (config.fallback !== 'kernel') throw registerError('ERR_GAZELLE_UNSUPPORTED_RUNTIME', message)
    state.skipped = message
    log.warn(`${message}: everything stays on the kernel`, 'GAZELLE_KERNEL_FALLBACK')
    return state
  }
  const router = new Router(config, internals, log)
  state.router = router
  install(router)
  env.GAZELLE_STACK_OWNER = String(process.pid)
  if (config.report) printReportAtExit(router)
  state.ready = open(router, entry)
  return state
}

/** The register of this process, if one was started. */
export function registerState(): RegisterState | undefined {
  return (globalThis as { [kState]?: RegisterState })[kState]
}
