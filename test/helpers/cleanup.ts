// Cleanup that always runs: on t.teardown, on process 'exit' and on SIGTERM/SIGINT/SIGHUP
// (tap's per-test timeout sends SIGTERM). Everything a test creates is registered here
// first: child processes, tap devices, network namespaces, memif socket files, and the
// pids whose DPDK files (hugepages, runtime dir) must not outlive them.
//
// Names are unique per test process so tests never clash with each other, with a
// user's devices (gz0) or with a previous run.
import { execFile, execFileSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'

// Self-check: compiled without test/tsconfig.json (ES5 target), for-of over a Set runs
// zero times and cleanup would silently do nothing. Refuse to run like that.
{
  let iterates = false
  for (const _ of new Set([1])) iterates = true
  if (!iterates) {
    throw new Error('test/ must be compiled with test/tsconfig.json: run scripts/test.sh, or tap --tsconfig=test/tsconfig.json')
  }
}

export const RUN_DIR = '/run/gazelle'
export const HUGE_DIR = process.env.GAZELLE_HUGE_DIR ?? '/dev/hugepages'
export const DPDK_RUN_DIR = '/var/run/dpdk'

let seq = 0
const pidTag = process.pid.toString(36)

/** A tap device name, unique for this process: 'gzt' + pid (base 36) + '-' + counter
 * (< 16 chars); scripts/test.sh removes leftovers whose pid is gone. */
export function tapName(): string {
  const name = `gzt${pidTag}-${(seq++).toString(36)}${randomBytes(1).toString('hex')}`
  if (name.length > 15) throw new Error(`tap name too long: ${name}`)
  return name
}

/** A network namespace name, unique for this process. */
export function netnsName(): string {
  return `gzt-${process.pid}-${seq++}`
}

/** A memif socket path under /run/gazelle, unique and not existing yet. */
export function memifSocket(): string {
  fs.mkdirSync(RUN_DIR, { recursive: true })
  const p = path.join(RUN_DIR, `test-${randomBytes(6).toString('hex')}.sock`)
  cleanup.files.add(p)
  return p
}

/** A TCP port for a test (the stack's port space is per stack, so no clash is possible
 * across processes; on the kernel side the tap network lives in the test's namespace). */
export function testPort(): number {
  return 20000 + Math.floor(Math.random() * 20000)
}

/** Runs a command synchronously with a bound on time; never throws. */
export function run(cmd: string, args: string[], timeoutMs = 10_000): { ok: boolean; out: string } {
  try {
    const out = execFileSync(cmd, args, { timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] })
    return { ok: true, out: out.toString() }
  } catch (e: any) {
    return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}${e.message ?? ''}` }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e: any) {
    return e.code === 'EPERM'
  }
}

/** DPDK files left by a process started with --file-prefix=gazelle-<pid>. */
export function dpdkFilesOf(pid: number): string[] {
  const prefix = `gazelle-${pid}`
  const found: string[] = []
  // Hugepage files are "<prefix>map_<n>"; the prefix must not match gazelle-<pid>1...
  const owned = (name: string) => name === prefix || (name.startsWith(prefix) && !/^\d/.test(name.slice(prefix.length)))
  for (const dir of [HUGE_DIR, DPDK_RUN_DIR]) {
    let names: string[] = []
    try {
      names = fs.readdirSync(dir)
    } catch {
      continue
    }
    for (const n of names) if (owned(n)) found.push(path.join(dir, n))
  }
  return found
}

function linkExists(name: string, netns?: string): boolean {
  const args = netns ? ['-n', netns, 'link', 'show', 'dev', name] : ['link', 'show', 'dev', name]
  return run('ip', args, 5000).ok
}

function netnsExists(name: string): boolean {
  return fs.existsSync(path.join('/run/netns', name))
}

class Cleanup {
  children = new Set<ChildProcess>()
  links = new Set<string>()
  namespaces = new Set<string>()
  files = new Set<string>()
  dpdkPids = new Set<number>()
  #hooked = false

  /** Registers the process-level hooks once; with t (a test file's root t), a teardown
   * that cleans up everything. Helpers call it without t and tear down only their own. */
  hook(t?: { teardown(fn: () => unknown): void }) {
    if (t) t.teardown(() => this.run())
    if (this.#hooked) return
    this.#hooked = true
    process.on('exit', () => this.runSync())
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      process.once(sig, () => {
        this.runSync()
        process.kill(process.pid, sig)
      })
    }
  }

  child(c: ChildProcess) {
    this.children.add(c)
    if (c.pid) this.dpdkPids.add(c.pid)
    c.once('exit', () => this.children.delete(c))
  }

  /** Asynchronous cleanup: children get SIGTERM and up to 3 s before SIGKILL. */
  async run() {
    const waits = [...this.children].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve()
          const timer = setTimeout(() => {
            c.kill('SIGKILL')
            setTimeout(resolve, 500)
          }, 3000)
          c.once('exit', () => {
            clearTimeout(timer)
            resolve()
          })
          c.kill('SIGTERM')
        }),
    )
    await Promise.all(waits)
    this.runSync()
  }

  /** Synchronous cleanup (safe in 'exit' handlers): SIGKILL, then remove everything. */
  runSync() {
    for (const c of this.children) {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    }
    this.children.clear()
    for (const name of this.links) {
      if (linkExists(name)) run('ip', ['link', 'del', 'dev', name])
    }
    this.links.clear()
    for (const ns of this.namespaces) {
      if (netnsExists(ns)) run('ip', ['netns', 'del', ns])
    }
    this.namespaces.clear()
    for (const f of this.files) fs.rmSync(f, { force: true })
    this.files.clear()
    for (const pid of this.dpdkPids) {
      if (alive(pid)) continue // killed above; its files go at the next run's sweep
      for (const f of dpdkFilesOf(pid)) fs.rmSync(f, { force: true, recursive: true })
      this.dpdkPids.delete(pid)
    }
  }

  /** After a child has exited: removes its DPDK files (hugepages, runtime dir). */
  releasePid(pid: number) {
    if (alive(pid)) return
    for (const f of dpdkFilesOf(pid)) fs.rmSync(f, { force: true, recursive: true })
    this.dpdkPids.delete(pid)
  }

  /** What is still there among what was registered (for self-checks). */
  leftovers(): string[] {
    const left: string[] = []
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) left.push(`child ${c.pid}`)
    for (const l of this.links) if (linkExists(l)) left.push(`link ${l}`)
    for (const ns of this.namespaces) if (netnsExists(ns)) left.push(`netns ${ns}`)
    for (const f of this.files) if (fs.existsSync(f)) left.push(`file ${f}`)
    for (const pid of this.dpdkPids) if (!alive(pid)) left.push(...dpdkFilesOf(pid))
    return left
  }
}

export const cleanup = new Cleanup()

/** Creates a network namespace with lo up; removed at cleanup. */
export function createNetns(t?: { teardown(fn: () => unknown): void }): string {
  cleanup.hook()
  const ns = netnsName()
  cleanup.namespaces.add(ns)
  t?.teardown(() => {
    if (netnsExists(ns)) run('ip', ['netns', 'del', ns])
    cleanup.namespaces.delete(ns)
  })
  const r = run('ip', ['netns', 'add', ns])
  if (!r.ok) throw new Error(`ip netns add ${ns} failed: ${r.out}`)
  const up = run('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
  if (!up.ok) throw new Error(`ip -n ${ns} link set lo up failed: ${up.out}`)
  return ns
}

/** Creates a kernel tap device (to make a name "taken"); removed at cleanup. */
export function createKernelTap(name: string, netns?: string, t?: { teardown(fn: () => unknown): void }) {
  cleanup.hook()
  if (!netns) cleanup.links.add(name)
  t?.teardown(() => {
    if (linkExists(name, netns)) run('ip', [...(netns ? ['-n', netns] : []), 'link', 'del', 'dev', name])
    if (!netns) cleanup.links.delete(name)
  })
  const args = [...(netns ? ['-n', netns] : []), 'tuntap', 'add', 'dev', name, 'mode', 'tap']
  const r = run('ip', args)
  if (!r.ok) throw new Error(`ip ${args.join(' ')} failed: ${r.out}`)
}

/** Runs a command inside a namespace, bounded in time; resolves with code and output. */
export function execIn(
  netns: string | undefined,
  cmd: string,
  args: string[],
  timeoutMs = 20_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [file, argv] = netns ? ['ip', ['netns', 'exec', netns, cmd, ...args]] : [cmd, args]
  return new Promise((resolve) => {
    const c = execFile(file, argv, { timeout: timeoutMs, killSignal: 'SIGKILL' }, (err: any, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout: String(stdout), stderr: String(stderr) + (err && err.killed ? `\n(killed after ${timeoutMs} ms)` : '') })
    })
    cleanup.child(c)
  })
}
