// Runs unmodified programs under @gazelle/register inside a test network namespace:
// `node --import @gazelle/register app.js`, `node -r @gazelle/register app.js`, or with
// NODE_OPTIONS. The stack's tap device is created by the app's own stack in the
// namespace; its kernel side (10.20.0.1) is where kernel peers and clients live.
import { spawn, type ChildProcess } from 'node:child_process'
import * as path from 'node:path'
import { cleanup, createNetns, tapName } from './cleanup'
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

  /** SIGTERM (node's default: exit, so 'exit' handlers print the report), SIGKILL after 5 s. */
  async stop(): Promise<{ code: number | null; signal: string | null }> {
    if (this.exitInfo) return this.exitInfo
    this.child.kill('SIGTERM')
    try {
      return await this.exited(5000)
    } catch {
      this.child.kill('SIGKILL')
      return this.exited(5000)
    }
  }
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
  })
  cleanup.child(child)
  const app = new App(child, `${opts.name ?? path.basename(script)}[${opts.mode}]:${child.pid}`)
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
