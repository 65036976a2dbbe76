// Loads the native addon, turning every way that can fail (not built, DPDK shared
// libraries missing, built for another Node) into one error that says what to do.
import { GazelleError } from './errors'
import type { NativeBinding } from './native'

const REQUIRED: readonly (keyof NativeBinding)[] = [
  'stackOpen', 'stackClose', 'stackRef', 'stackStats', 'stackLinkUp', 'stackMac',
  'tcpListen', 'tcpLocalPort', 'tcpConnect', 'tcpWrite', 'tcpShutdown',
  'tcpClose', 'tcpAbort', 'tcpPause', 'tcpSetNoDelay', 'tcpSetKeepAlive',
  'stackLatency', 'stackLatencyReset', 'tcpList', 'captureStart', 'captureStop',
  'captureStatus', 'captureTake', 'peerCred',
  'udpOpen', 'udpBind', 'udpConnect', 'udpDisconnect', 'udpClose', 'udpSend',
  'udpSetOption', 'udpGetOption', 'udpMembership', 'udpAddress', 'udpCounters',
  'xdpPrepare', 'xdpLoadLog', 'xdpStart', 'xdpStop', 'xdpInfo', 'xdpMaxMtu',
]

let loaded: NativeBinding | undefined

function hint(message: string): string {
  if (/librte_|libdpdk|libnuma/.test(message)) return 'the DPDK shared libraries are missing'
  if (/Cannot find module/.test(message)) return 'the native addon is not built'
  if (/NODE_MODULE_VERSION|was compiled against/.test(message)) return 'the native addon was built for another Node.js'
  return 'the native addon could not be loaded'
}

/** The addon (loaded once; a failure is not cached, so a later call retries). */
export function loadBinding(): NativeBinding {
  if (loaded !== undefined) return loaded
  let addon: Partial<NativeBinding>
  try {
    addon = require('@gazelle/native') as Partial<NativeBinding>
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err)
    throw new GazelleError(
      'ERR_GAZELLE_NO_DPDK',
      `${hint(message)} (${message}): run \`npm run setup\``,
      { cause: err },
    )
  }
  const missing = REQUIRED.filter((name) => typeof addon[name] !== 'function')
  if (missing.length) {
    throw new GazelleError(
      'ERR_GAZELLE_NO_DPDK',
      `the native addon is out of date (no ${missing.join(', ')}): run \`npm run setup\``,
    )
  }
  loaded = addon as NativeBinding
  return loaded
}
