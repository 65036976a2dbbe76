// Backpressure between two stacks over memif: a reader that is paused for 3 s and then
// reads at 64 MiB/s, against a writer pushing 256 MiB as fast as write()/'drain' allow.
// write() must return false, 'drain' must follow, and the reader's RSS must stay bounded.
import t from 'tap'
import { cleanup } from './helpers/cleanup'
import { memifPair, needStack } from './helpers/harness'
import * as sc from './helpers/scenarios'

cleanup.hook(t)
const MiB = 1024 * 1024

t.test('memif: a slow reader does not grow memory without bound', needStack(), async (t) => {
  const { server, client, serverIp } = await memifPair(t)
  await sc.backpressure(t, server, client, serverIp, {
    bytes: 256 * MiB,
    pauseMs: 3000,
    rate: 64 * MiB,
    maxGrowth: 200 * MiB,
    timeoutMs: 150_000,
  })
})
