// A service that makes one request through a global GazelleAgent and then has nothing
// left to do: with an idle keep-alive connection in the pool, it must exit by itself.
// argv[2]: {socket, ip, url, ca?}. Prints one JSON line {status, text} once answered.
import { createRequire } from 'node:module'
import { createStack } from '@gazelle/stack'
import { GazelleAgent } from '@gazelle/undici'

const require = createRequire(import.meta.url)
const { setGlobalDispatcher } = require(createRequire(require.resolve('@gazelle/undici')).resolve('undici'))
const cfg = JSON.parse(process.argv[2])
const life = setTimeout(() => process.exit(3), 120_000)
life.unref()

const stack = await createStack({ device: { type: 'memif', role: 'client', socket: cfg.socket }, ip: cfg.ip })
setGlobalDispatcher(new GazelleAgent({ stack, keepAliveTimeout: 60_000, connect: cfg.ca ? { ca: cfg.ca } : undefined }))
const res = await fetch(cfg.url)
console.log(JSON.stringify({ status: res.status, text: await res.text(), at: Date.now() }))
