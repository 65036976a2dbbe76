// Runs unmodified programs under @gazelle/register inside a test network namespace:
// `node --import @gazelle/register app.js`, `node -r @gazelle/register app.js`, or with
// NODE_OPTIONS. The stack's tap device is created by the app's own stack in the
// namespace; its kernel side (10.20.0.1) is where kernel peers and clients live.
import { spawn, type ChildProcess } from 'node:child_process'
import * as path from 'node:path'
import { cleanup, createNetns, run, tapName } from './cleanup'
import { REPO, waitFor } from './harness'

type T = { teardown(fn: () => unknown): void; comment(...a: unknown[]): void; passing?(): boolean }

export const FIXTURES = path.join(REPO, 'test/fixtures/register')
export const HOST_IP = '10.20.0.1'
export const STACK_IP = '10.20.0.2'

/** How the register is loaded. */
export type LoadMode = 'import' | 'require' | 'node-options' | 'none'

export interface AppOptions {
  netns: string
  /** Script path relative to test/fixtures/register, or absolute. */
  script: string
  mode: LoadMode
  args?: string[]
  env?: NodeJS.ProcessEnv
  name?: string
  /** Bound on the app's life (SIGKILL after it). */
  maxLifeMs?: number
}

const TAIL = 256 * 1024

/** The GAZELLE_* environment of a tap stack in the test namespace. */
export function stackEnv(tap: string): NodeJS.ProcessEnv {
  return { GAZELLE_DEVICE: `tap:${tap}`, GAZELLE_IP: `${STACK_IP}/24`, GAZELLE_HOST_IP: `${HOST_IP}/24`, GAZELLE_REPORT: '1' }
}

export class App {
  readonly child: ChildProcess
  readonly name: string
  #out = ''
  #exit: Promise<{ code: number | null; signal: string | null }>
  exitInfo: { code: number | null; signal: string | null } | null = null

  constructor(child: ChildProcess, name: string) {
    this.child = child
    this.name = name
    const keep = (d: Buffer) => {
      this.#out = (this.#out + d.toString()).slice(-TAIL)
      if (process.env.GAZELLE_TEST_VERBOSE) process.stderr.write(`[${name}] ${d}`)
    }
    child.stdout!.on('data', keep)
    child.stderr!.on('data', keep)
    this.#exit = new Promise((resolve) => child.once('exit', (code, signal) => {
      this.exitInfo = { code, signal }
      resolve(this.exitInfo)
      // A process it started (a cluster worker, a forked child) may still hold the pipes:
      // its output is not ours to wait for.
      setTimeout(() => {
        child.stdout?.destroy()
        child.stderr?.destroy()
      }, 1000).unref()
    }))
  }

  get pid(): number {
    return this.child.pid!
  }

  output(): string {
    return this.#out
  }

  /** Resolves with the first match of re in the output (waits up to timeoutMs). */
  async waitFor(re: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    return waitFor(() => {
      if (this.exitInfo && !re.test(this.#out)) throw new Error(`${this.name} exited ${JSON.stringify(this.exitInfo)}`)
      return this.#out.match(re)
    }, timeoutMs, `${re} in the output of ${this.name}:\n${this.#out.slice(-4000)}`, 50)
  }

  /** "RESULT <name> <json>" lines, by name (the last one wins). */
  results(): Record<string, any> {
    const out: Record<string, any> = {}
    for (const m of this.#out.matchAll(/^RESULT (\S+) (.*)$/gm)) out[m[1]] = JSON.parse(m[2])
    return out
  }

  /** The register's route report ("gazelle: report {...}", printed at exit). */
  report(): any {
    const m = /^gazelle: report (.*)$/m.exec(this.#out)
    return m ? JSON.parse(m[1]) : null
  }

  exited(timeoutMs: number): Promise<{ code: number | null; signal: string | null }> {
    let timer: NodeJS.Timeout | undefined
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.name} did not exit within ${timeoutMs} ms:\n${this.#out.slice(-4000)}`)), timeoutMs)
    })
    return Promise.race([this.#exit, limit]).finally(() => clearTimeout(timer))
  }

  /** Signals the app's whole process group (it leads one: its workers and children too). */
  kill(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, signal)
    } catch {
      this.child.kill(signal)
    }
  }

  /** SIGTERM (the register prints its report), SIGKILL after 5 s; then, if the app had a
   * tap, waits until the kernel has removed it (the next stack may reuse its subnet). */
  async stop(): Promise<{ code: number | null; signal: string | null }> {
    let info = this.exitInfo
    if (!info) {
      this.kill('SIGTERM')
      try {
        info = await this.exited(5000)
      } catch {
        this.kill('SIGKILL')
        info = await this.exited(5000)
      }
    }
    this.kill('SIGKILL') // whatever of its group is left
    // Only a tap its stack made (not one the test made to be in its way).
    if (this.tap && this.netns && this.#out.includes(`on tap:${this.tap} `)) {
      const { netns, tap } = this
      await waitFor(() => !run('ip', ['-n', netns, 'link', 'show', 'dev', tap], 5000).ok, 10_000, `tap ${tap} to go away`).catch(() => undefined)
    }
    return info
  }

  /** The app's tap device and namespace, when it has one. */
  tap: string | undefined
  netns: string | undefined
}

/** If the test process ends first, the app's process group goes with it. */
export function killGroupAtExit(pid: number): void {
  process.once('exit', () => {
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {
      // gone already
    }
  })
}

/** Starts a program with the register loaded as `mode` says, in the namespace. */
export function startApp(t: T, opts: AppOptions): App {
  cleanup.hook()
  const script = path.isAbsolute(opts.script) ? opts.script : path.join(FIXTURES, opts.script)
  const load = opts.mode === 'import' ? ['--import', '@gazelle/register']
    : opts.mode === 'require' ? ['-r', '@gazelle/register'] : []
  const nodeOptions = opts.mode === 'node-options' ? '--import @gazelle/register' : ''
  const child = spawn('ip', ['netns', 'exec', opts.netns, process.execPath, ...load, script, ...(opts.args ?? [])], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: nodeOptions, ...opts.env },
    detached: true, // its own process group, so stop() reaches the processes it starts
  })
  cleanup.child(child)
  killGroupAtExit(child.pid!)
  const app = new App(child, `${opts.name ?? path.basename(script)}[${opts.mode}]:${child.pid}`)
  app.netns = opts.netns
  app.tap = /^tap:(.+)$/.exec(opts.env?.GAZELLE_DEVICE ?? '')?.[1]
  const life = setTimeout(() => child.kill('SIGKILL'), opts.maxLifeMs ?? 120_000)
  child.once('exit', () => clearTimeout(life))
  t.teardown(async () => {
    if (t.passing && !t.passing()) t.comment(`${app.name} output (tail):\n${app.output().slice(-8000)}`)
    await app.stop()
    cleanup.releasePid(child.pid!)
  })
  return app
}

/** A namespace for one test file and a fresh tap name for each app in it. */
export function registerNetns(t: T): { netns: string; tap: () => string } {
  const netns = createNetns(t)
  return { netns, tap: () => tapName() }
}
