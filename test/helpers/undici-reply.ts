// What the undici role (roles/undici.mjs) answers for one request.
export interface UndiciReply {
  ok: boolean
  status?: number
  headers?: Record<string, string>
  text?: string
  /** sha256 of the request body the client sent, or null without a body. */
  sent?: string | null
  /** Connections the agent had opened so far. */
  connects: number
  /** Why the agent's connections ended so far (undici 'disconnect' events). */
  disconnects?: string[]
  error?: { code?: string; message: string; name?: string; causeCode?: string }
  ms: number
}

/** The body the web and http test servers answer with. */
export function helloBody(method: string, path: string, bytes: number, sha: string): string {
  return `hello from gazelle ${method} ${path} ${bytes} ${sha}\n`
}
