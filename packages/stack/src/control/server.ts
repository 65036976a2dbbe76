// The control socket: a unix socket in a directory only the owner can enter, mode
// 0600, and each client's uid checked with SO_PEERCRED (the owner and root only).
// Unref'd: it never keeps the process alive. Removed on close and at process exit.
import * as fs from 'node:fs'
import * as net from 'node:net'
import { dirname } from 'node:path'
import { GazelleError, errnoException } from '../errors'
import type { StackLog } from '../log'
import type { NativeBinding } from '../native'
import type { ControlResponse } from './protocol'

const MAX_LINE = 64 * 1024

export type RequestHandler = (req: unknown) => unknown

function controlError(message: string, cause?: unknown): GazelleError {
  return new GazelleError('ERR_GAZELLE_CONTROL', message, cause === undefined ? undefined : { cause })
}

/** Creates dir (0700) or checks that an existing one is ours and closed to others. */
function ownDirectory(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
  const st = fs.statSync(dir)
  const uid = process.getuid?.() ?? 0
  if (st.uid !== uid) throw controlError(`${dir} belongs to uid ${st.uid}, not to this process (uid ${uid})`)
  if ((st.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700)
}

/** Whether some process accepts connections on path (a live stack, not a leftover file). */
function inUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(path)
    c.once('connect', () => {
      c.destroy()
      resolve(true)
    })
    c.once('error', () => resolve(false))
  })
}

export class ControlServer {
  readonly path: string
  #server: net.Server
  #handle: RequestHandler
  #binding: NativeBinding
  #log: StackLog
  #clients = new Set<net.Socket>()
  #onExit = () => this.#unlink()
  #closed = false

  private constructor(path: string, binding: NativeBinding, log: StackLog, handle: RequestHandler) {
    this.path = path
    this.#binding = binding
    this.#log = log
    this.#handle = handle
    this.#server = net.createServer((s) => this.#accept(s))
  }

  static async open(path: string, binding: NativeBinding, log: StackLog, handle: RequestHandler): Promise<ControlServer> {
    try {
      ownDirectory(dirname(path))
    } catch (err) {
      if (err instanceof GazelleError) throw err
      throw controlError(`cannot prepare ${dirname(path)}: ${(err as Error).message}`, err)
    }
    if (fs.existsSync(path)) {
      if (await inUse(path)) throw controlError(`${path} is in use by another process`)
      fs.rmSync(path, { force: true })
    }
    const cs = new ControlServer(path, binding, log, handle)
    await new Promise<void>((resolve, reject) => {
      cs.#server.once('error', (err) => reject(controlError(`cannot listen on ${path}: ${err.message}`, err)))
      cs.#server.listen(path, () => resolve())
    })
    fs.chmodSync(path, 0o600)
    cs.#server.on('error', (err) => log.write('error', 'control-error', { path, error: err.message }, 'control socket error'))
    cs.#server.unref()
    process.on('exit', cs.#onExit)
    return cs
  }

  #allowed(sock: net.Socket): { ok: true } | { ok: false; why: string } {
    const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd
    if (typeof fd !== 'number' || fd < 0) return { ok: false, why: 'no file descriptor to check the peer' }
    const cred = this.#binding.peerCred(fd)
    if (typeof cred === 'number') return { ok: false, why: `SO_PEERCRED: ${errnoException(cred, 'getsockopt').message}` }
    const owner = process.getuid?.() ?? 0
    if (cred.uid === owner || cred.uid === 0) return { ok: true }
    return { ok: false, why: `uid ${cred.uid} (pid ${cred.pid}) is not the stack's owner (uid ${owner})` }
  }

  #accept(sock: net.Socket): void {
    sock.unref()
    const check = this.#allowed(sock)
    if (!check.ok) {
      this.#log.write('warn', 'control-refused', { path: this.path, reason: check.why }, 'control client refused')
      sock.on('error', () => {})
      sock.end(line({ ok: false, error: { code: 'EACCES', message: `permission denied: ${check.why}` } }))
      return
    }
    this.#clients.add(sock)
    sock.setEncoding('utf8')
    let pending = ''
    sock.on('data', (chunk: string) => {
      pending += chunk
      let nl: number
      while ((nl = pending.indexOf('\n')) >= 0) {
        const text = pending.slice(0, nl)
        pending = pending.slice(nl + 1)
        if (text.trim() !== '') sock.write(line(this.#respond(text)))
      }
      if (pending.length > MAX_LINE) {
        sock.end(line({ ok: false, error: { code: 'ERR_GAZELLE_INVALID_OPTION', message: `request longer than ${MAX_LINE} bytes` } }))
        pending = ''
      }
    })
    sock.on('error', () => {})
    sock.on('close', () => this.#clients.delete(sock))
  }

  #respond(text: string): ControlResponse {
    let req: unknown
    try {
      req = JSON.parse(text)
    } catch {
      return { ok: false, error: { code: 'ERR_GAZELLE_INVALID_OPTION', message: 'request must be one line of JSON' } }
    }
    const id = (req as { id?: unknown } | null)?.id
    try {
      const result = this.#handle(req)
      this.#log.write('debug', 'control-request', { cmd: (req as { cmd?: unknown }).cmd }, 'control request')
      return { id, ok: true, result }
    } catch (err) {
      const e = err as { code?: unknown; message?: unknown }
      return { id, ok: false, error: { code: typeof e.code === 'string' ? e.code : 'ERR_GAZELLE_CONTROL', message: String(e.message ?? err) } }
    }
  }

  #unlink(): void {
    try {
      fs.rmSync(this.path, { force: true })
    } catch {
      // gone already
    }
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    process.off('exit', this.#onExit)
    for (const c of this.#clients) c.destroy()
    this.#server.close()
    this.#unlink()
  }
}

function line(r: ControlResponse): string {
  return `${JSON.stringify(r)}\n`
}
