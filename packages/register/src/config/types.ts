// The register's configuration: a JSON file (GAZELLE_CONFIG, ./gazelle.json or
// /etc/gazelle/node.json) and/or GAZELLE_* environment variables, which override the file.
import type { StackOptions } from '@gazelle/stack'

/** Where a listener listens: the stack, the kernel, or both on one port (Gazelle's way). */
export type ListenMode = 'both' | 'stack' | 'kernel'

/** The register's own log lines (stderr, prefixed "gazelle:"). */
export type RegisterLogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug'

export interface ConnectRules {
  /**
   * Destinations reached through the stack besides its own subnet (always routed):
   * "a.b.c.d", "a.b.c.d/len", "default" (every IPv4 address: needs `stack.gateway`) or
   * "subnet", each optionally with ":port" or ":low-high". Default: none.
   */
  stack?: string[]
  /** Exceptions that stay on the kernel, checked before `stack`. Same syntax. */
  kernel?: string[]
}

export interface ListenRules {
  /** For `listen(port)`, `'0.0.0.0'` and `'::'`. Default "both". A host given to listen()
   * decides by itself: the stack's address → stack; any other address (loopback!) → kernel. */
  default?: ListenMode
  /** Per port ("9229": "kernel"), before `default`. */
  ports?: Record<string, ListenMode>
}

export interface UdpRules {
  /** dgram sockets bound to 0.0.0.0 (or implicitly by send/connect). Default "both".
   * Sends go by the connect rules; a socket bound to the stack's address is stack-only. */
  bind?: ListenMode
}

export interface RegisterConfig {
  /** createStack() options, as @gazelle/stack documents them. */
  stack: StackOptions
  connect?: ConnectRules
  listen?: ListenRules
  udp?: UdpRules
  /** When the stack cannot be opened, or a routed case cannot be served by it: "error"
   * (default) fails loudly; "kernel" warns once and uses the kernel. */
  fallback?: 'error' | 'kernel'
  /** Cases a stack rule matches but that cannot be routed (cluster, listen({fd}), TLS
   * sockets made without tls.connect) throw ERR_GAZELLE_NOT_ROUTABLE instead of warning. */
  strict?: boolean
  /** Default "info": one line when the stack opens, warnings, errors. */
  log?: RegisterLogLevel
  /** Print the route counts at exit. */
  report?: boolean
  /** Which process opens the stack: "main" (default: the first Node process of a tree
   * that loads the register, skipping npm/npx/yarn/pnpm) or a regular expression tested
   * against the script path (process.argv[1]). */
  process?: string
}

/** The configuration after validation: every field present. */
export interface ResolvedConfig {
  stack: StackOptions
  /** The stack's address with its prefix ("10.20.0.2/24"): what routing uses. */
  address: string
  connect: { stack: string[]; kernel: string[] }
  listen: { default: ListenMode; ports: Map<number, ListenMode> }
  udp: { bind: ListenMode }
  fallback: 'error' | 'kernel'
  strict: boolean
  log: RegisterLogLevel
  report: boolean
  process: 'main' | RegExp
  /** Where the configuration came from, for the start line and error messages. */
  sources: string[]
  /** How to name a stack option in an error: "GAZELLE_IP", "/etc/gazelle/node.json: stack.mtu". */
  stackKeyName(key: string): string
}
