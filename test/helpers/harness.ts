// Runs a stack (or a node:net peer) in a second Node process: one stack per process.
// The child is test/helpers/stack-child.mjs; commands go over IPC with a bounded
// timeout each, and every child is registered with cleanup before it can create anything.
import { spawn, type ChildProcess } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { cleanup, createNetns, memifSocket, tapName } from './cleanup'

export const CHILD = path.join(__dirname, 'stack-child.mjs')
export const REPO = path.resolve(__dirname, '..', '..')

type T = { teardown(fn: () => unknown): void; comment(...a: unknown[]): void; passing?(): boolean }

export interface ChildOptions {
  /** node:net instead of a stack (a kernel-side peer, or the reference behaviour). */
  kernel?: boolean
  /** Run inside this network namespace (ip netns exec). */
  netns?: string
  /** A label for logs. */
  name?: string
  /** Bound on the child's whole life (it exits by itself after that). */
  maxLifeMs?: number
  readyTimeoutMs?: number
  env?: NodeJS.ProcessEnv
}

export class RemoteError extends Error {
  code?: string
  remoteStack?: string
  constructor(cmd: string, e: { code?: string; message: string; stack?: string }) {
    super(`${cmd}: ${e.message}${e.code ? ` [${e.code}]` : ''}`)
    this.code = e.code
    this.remoteStack = e.stack
  }
}

const TAIL = 64 * 1024

export class StackProcess {
  readonly child: ChildProcess
  readonly name: string
  readonly pid: number
  #next = 1
  #pending = new Map<number, { resolve(v: any): void; reject(e: Error): void; timer: NodeJS.Timeout; cmd: string }>()
  #output = ''
  #exited: Promise<{ code: number | null; signal: string | null }>
  exitInfo: { code: number | null; signal: string | null } | null = null

  private constructor(child: ChildProcess, name: string) {
    this.child = child
    this.name = name
    this.pid = child.pid!
    const keep = (d: Buffer) => {
      this.#output = (this.#output + d.toString()).slice(-TAIL)
      if (process.env.GAZELLE_TEST_VERBOSE) process.stderr.write(`[${name}] ${d}`)
    }
    child.stdout!.on('data', keep)
    child.stderr!.on('data', keep)
    child.on('message', (m: any) => {
      if (!m || typeof m.id !== 'number') return
      const p = this.#pending.get(m.id)
      if (!p) return
      this.#pending.delete(m.id)
      clearTimeout(p.timer)
      if (m.ok) p.resolve(m.result)
      else p.reject(new RemoteError(p.cmd, m.error))
    })
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal }
        for (const [id, p] of this.#pending) {
          clearTimeout(p.timer)
          p.reject(new Error(`${name} (pid ${this.pid}) exited (code ${code}, signal ${signal}) during ${p.cmd}\n--- child output (tail) ---\n${this.output()}`))
          this.#pending.delete(id)
        }
        resolve({ code, signal })
      })
    })
  }

  /** Starts the child and waits for its hello. Registered with cleanup at once. */
  static async start(t: T, opts: ChildOptions = {}): Promise<StackProcess> {
    cleanup.hook()
    if (!fs.existsSync(CHILD)) throw new Error(`missing ${CHILD}`)
    const cfg = JSON.stringify({ kernel: !!opts.kernel, maxLifeMs: opts.maxLifeMs ?? 600_000, verbose: !!process.env.GAZELLE_TEST_VERBOSE })
    const nodeArgs = [CHILD, cfg]
    const [file, args] = opts.netns
      ? ['ip', ['netns', 'exec', opts.netns, process.execPath, ...nodeArgs]]
      : [process.execPath, nodeArgs]
    const child = spawn(file, args, {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, NODE_OPTIONS: '', ...opts.env },
    })
    if (!child.pid) throw new Error(`could not start ${file}`)
    cleanup.child(child)
    const name = `${opts.name ?? (opts.kernel ? 'kernel' : 'stack')}:${child.pid}`
    const sp = new StackProcess(child, name)
    t.teardown(async () => {
      if (t.passing && !t.passing()) t.comment(`${name} output (tail):\n${sp.output()}`)
      await sp.stop()
      cleanup.releasePid(sp.pid)
    })
    const readyMs = opts.readyTimeoutMs ?? 20_000
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: no hello within ${readyMs} ms\n${sp.output()}`)), readyMs)
      const onMsg = (m: any) => {
        if (m && m.type === 'hello') {
          clearTimeout(timer)
          child.off('message', onMsg)
          resolve()
        }
      }
      child.on('message', onMsg)
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`${name} exited before hello (code ${code}, signal ${signal})\n${sp.output()}`))
      })
    })
    return sp
  }

  output(): string {
    return this.#output
  }

  /** Sends a command; rejects after timeoutMs, or if the child exits first. */
  call<R = any>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<R> {
    if (this.exitInfo) return Promise.reject(new Error(`${this.name} has exited (${JSON.stringify(this.exitInfo)}); cannot run ${cmd}\n${this.output()}`))
    const id = this.#next++
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(new Error(`${this.name}: ${cmd} got no answer within ${timeoutMs} ms\n--- child output (tail) ---\n${this.output()}`))
      }, timeoutMs)
      this.#pending.set(id, { resolve, reject, timer, cmd })
      this.child.send({ id, cmd, args }, (err) => {
        if (err && this.#pending.has(id)) {
          this.#pending.delete(id)
          clearTimeout(timer)
          reject(err)
        }
      })
    })
  }

  /** Loads command modules test/helpers/roles/<role>.mjs into the child. */
  async use(...roles: string[]): Promise<this> {
    for (const role of roles) await this.call('use', { role })
    return this
  }

  /** Creates the stack in the child (bounded). */
  createStack(options: unknown, timeoutMs = 60_000) {
    return this.call('createStack', { options }, timeoutMs)
  }

  /** Asks the child to close its stack and exit; SIGTERM after 8 s, SIGKILL after 3 s more. */
  async stop(): Promise<{ code: number | null; signal: string | null }> {
    if (this.exitInfo) return this.exitInfo
    if (this.child.connected) this.child.send({ id: 0, cmd: 'exit', args: {} }, () => {})
    const bounded = (ms: number) => {
      let timer: NodeJS.Timeout | undefined
      const limit = new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)))
      return Promise.race([this.#exited, limit]).finally(() => clearTimeout(timer))
    }
    if (await bounded(8000)) return this.exitInfo!
    this.child.kill('SIGTERM')
    if (await bounded(3000)) return this.exitInfo!
    this.child.kill('SIGKILL')
    await bounded(3000)
    return this.exitInfo ?? { code: null, signal: 'SIGKILL' }
  }

  exited() {
    return this.#exited
  }
}

/** Two processes joined by memif: a server-role stack and a client-role stack. */
export async function memifPair(
  t: T,
  opts: { serverIp?: string; clientIp?: string; poll?: string; mtu?: number; env?: NodeJS.ProcessEnv } = {},
) {
  const socket = memifSocket()
  const serverIp = opts.serverIp ?? '10.10.0.1'
  const clientIp = opts.clientIp ?? '10.10.0.2'
  const extra = { ...(opts.poll && { poll: opts.poll }), ...(opts.mtu && { mtu: opts.mtu }) }
  const server = await StackProcess.start(t, { name: 'memif-server', env: opts.env })
  await server.createStack({ device: { type: 'memif', role: 'server', socket }, ip: `${serverIp}/24`, ...extra })
  const client = await StackProcess.start(t, { name: 'memif-client', env: opts.env })
  await client.createStack({ device: { type: 'memif', role: 'client', socket }, ip: `${clientIp}/24`, ...extra })
  return { server, client, socket, serverIp, clientIp }
}

/** A stack on a tap device inside a fresh network namespace (the kernel side lives
 * there too, so no traffic ever touches the machine's own interfaces). */
export async function tapStack(t: T, opts: { hostIp?: string; stackIp?: string; poll?: string } = {}) {
  const netns = createNetns(t)
  const name = tapName()
  const hostIp = opts.hostIp ?? '10.20.0.1'
  const stackIp = opts.stackIp ?? '10.20.0.2'
  const stack = await StackProcess.start(t, { name: 'tap-stack', netns })
  await stack.createStack({
    device: { type: 'tap', name, hostIp: `${hostIp}/24` },
    ip: `${stackIp}/24`,
    ...(opts.poll ? { poll: opts.poll } : {}),
  })
  return { netns, name, hostIp, stackIp, stack }
}

/** Polls fn until it returns truthy, at most timeoutMs. */
export async function waitFor<R>(fn: () => R | null | undefined | false | Promise<R | null | undefined | false>, timeoutMs: number, what: string, everyMs = 100): Promise<R> {
  const end = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v) return v
    } catch (e) {
      last = e
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ''}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/** Whether the built stack is there (native addon + TS package). */
export function stackBuilt(): { ok: boolean; missing: string[] } {
  const need = [path.join(REPO, 'native/build/Release/gazelle.node'), path.join(REPO, 'packages/stack/dist/index.js')]
  const missing = need.filter((p) => !fs.existsSync(p))
  return { ok: missing.length === 0, missing }
}

/** Whether hugepages are reserved and mounted (setup does this). */
export function hugepagesReady(): boolean {
  const meminfo = fs.readFileSync('/proc/meminfo', 'utf8')
  const free = Number(/HugePages_Free:\s+(\d+)/.exec(meminfo)?.[1] ?? 0)
  const mounted = fs.readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[2] === 'hugetlbfs')
  return free > 0 && mounted
}

/** Options for t.test(...) that skip with a reason when the stack cannot run here. */
export function needStack(): { skip?: string } {
  // In CI (and with GAZELLE_TEST_REQUIRE_STACK=1) nothing is skipped: a missing build fails.
  if (process.env.CI || process.env.GAZELLE_TEST_REQUIRE_STACK === '1') return {}
  const b = stackBuilt()
  if (!b.ok) return { skip: `stack not built (${b.missing.join(', ')}): run npm run setup` }
  if (!hugepagesReady()) return { skip: 'no free hugepages or no hugetlbfs mount: run npm run setup as root' }
  if (process.getuid && process.getuid() !== 0) return { skip: 'needs root (DPDK, tap devices, network namespaces)' }
  return {}
}
