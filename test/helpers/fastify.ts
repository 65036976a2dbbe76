// Fastify test set-ups: an app on a stack (a child process, see fastify-app.mjs) that
// kernel programs reach through a tap in a test namespace, and the clients around it.
import { randomFillSync } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { cleanup, execIn } from './cleanup'
import { StackProcess, tapStack } from './harness'

type T = Parameters<typeof tapStack>[0]

export interface AppInfo {
  url: string
  stack: { address: string; port: number }
  kernel: { address: string; port: number } | null
  /** 'unchanged' if listen() left the options object it was given as it was, else its JSON */
  listenOptionsAfter: string
}

export interface StartOptions {
  form?: 'plugin' | 'factory'
  mode?: 'replace' | 'both'
  port?: number
  fastifyOptions?: Record<string, unknown>
  listenHost?: string
  /** server.maxConnections, set after listen() */
  maxConnections?: number
}

/** Starts the test app on a child's stack. */
export function startApp(child: StackProcess, opts: StartOptions = {}): Promise<AppInfo> {
  return child.use('fastify').then((c) => c.call('fastify', { fn: 'start', ...opts }, 60_000))
}

/** A tap stack in a fresh namespace serving the test app; base is its URL for the kernel. */
export async function fastifyOnTap(t: T, opts: StartOptions = {}) {
  const tap = await tapStack(t)
  const app = await startApp(tap.stack, opts)
  const scheme = opts.fastifyOptions?.https ? 'https' : 'http'
  return { ...tap, app, port: app.stack.port, base: `${scheme}://${tap.stackIp}:${app.stack.port}` }
}

export const CURL = ['-sS', '--noproxy', '*', '--max-time', '20']

/** curl inside the namespace; -w's variables come back after a marker line. */
export async function curl(netns: string, args: string[], timeoutMs = 30_000) {
  const r = await execIn(netns, 'curl', [...CURL, ...args, '-w', '\n--curl--%{http_code} %{num_connects} %{local_port} %{http_version}'], timeoutMs)
  const at = r.stdout.lastIndexOf('\n--curl--')
  const [status, connects, localPort, httpVersion] = (at < 0 ? '' : r.stdout.slice(at + 9)).trim().split(' ')
  return { ...r, body: at < 0 ? r.stdout : r.stdout.slice(0, at), status: Number(status), connects: Number(connects), localPort: Number(localPort), httpVersion }
}

/** A file of `bytes` random bytes, removed at cleanup. */
export function tempFile(bytes: number, tag: string): string {
  const file = path.join(os.tmpdir(), `gazelle-${tag}-${process.pid}-${Math.random().toString(36).slice(2)}.bin`)
  cleanup.files.add(file)
  const fd = fs.openSync(file, 'w')
  const chunk = Buffer.alloc(1 << 20)
  for (let left = bytes; left > 0; left -= chunk.length) {
    randomFillSync(chunk)
    fs.writeSync(fd, chunk, 0, Math.min(left, chunk.length))
  }
  fs.closeSync(fd)
  return file
}

/** A node:net / node:http peer in the kernel, inside the namespace. */
export function kernelPeer(t: T, netns: string, name = 'kernel-client') {
  return StackProcess.start(t, { kernel: true, netns, name }).then((p) => p.use('fastify'))
}
