// One request to a stack's control socket: a JSON line out, a JSON line back.
import * as net from 'node:net'
import type { ControlRequest, ControlResponse } from '@gazelle/stack'

export class CtlError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
    this.name = 'CtlError'
  }
}

const DEFAULT_TIMEOUT_MS = 3000

export function request<R = unknown>(path: string, req: ControlRequest, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const sock = net.connect(path)
    let buf = ''
    let done = false
    const finish = (err: Error | null, value?: R) => {
      if (done) return
      done = true
      clearTimeout(timer)
      sock.destroy()
      if (err) reject(err)
      else resolve(value as R)
    }
    const timer = setTimeout(() => finish(new CtlError('ETIMEDOUT', `${path}: no answer within ${timeoutMs} ms`)), timeoutMs)
    sock.setEncoding('utf8')
    sock.on('connect', () => sock.write(`${JSON.stringify(req)}\n`))
    sock.on('data', (d: string) => {
      buf += d
      const nl = buf.indexOf('\n')
      if (nl < 0) return
      let res: ControlResponse
      try {
        res = JSON.parse(buf.slice(0, nl))
      } catch {
        return finish(new CtlError('EPROTO', `${path}: the answer is not JSON`))
      }
      if (res.ok) finish(null, res.result as R)
      else finish(new CtlError(res.error.code, res.error.message))
    })
    sock.on('error', (e: NodeJS.ErrnoException) => {
      const hint = e.code === 'EACCES' ? ': run gazellectl as the stack\'s owner or root' : ''
      finish(new CtlError(e.code ?? 'ECONNREFUSED', `${path}: ${e.message}${hint}`))
    })
    sock.on('end', () => finish(new CtlError('ECONNRESET', `${path}: closed without an answer`)))
  })
}
