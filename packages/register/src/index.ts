// @gazelle/register/api: the register's configuration types and helpers, and this
// process's route report. The register itself is loaded with
// `node --import @gazelle/register app.js` (or -r, or NODE_OPTIONS).
export type {
  RegisterConfig, ResolvedConfig, ListenMode, ConnectRules, ListenRules, UdpRules, RegisterLogLevel,
} from './config/types'
export { loadConfig, resolveConfig, defaultHostIp } from './config/resolve'
export { ENV_NAMES } from './config/env'
export { registerCodes } from './errors'
export type { RegisterErrorCode } from './errors'
export { ROUTE_CHANNEL } from './router'
export type { RouteDecision, RouteKind, RouteReport, StackCounters, StackState } from './router'
export { RouteTable, isRouteRule } from './rules'
export type { Target } from './rules'
import { registerState } from './preload'
import type { RouteReport } from './router'

/** This process's route counts, or null when the register routes nothing here. */
export function routeReport(): RouteReport | null {
  const router = registerState()?.router
  return router ? router.snapshot() : null
}

/** Why the register routes nothing in this process (GAZELLE_OFF, a worker thread,
 * another process owns the stack...), or null when it routes. */
export function notRoutingReason(): string | null {
  const state = registerState()
  return state === undefined ? 'the register is not loaded' : state.skipped
}
