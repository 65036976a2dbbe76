// Shared checks for the gRPC tests: the four call types against a server, asserted
// the same way whatever carries them (memif, tap, the hook or the fallback channel).
import { memifPair, waitFor } from './harness'
import type { StackProcess } from './harness'
import type { Test } from 'tap'

type T = Test

export const MiB = 1024 * 1024

/** Unary (with metadata both ways and the server's view of the peer), server streaming,
 * client streaming and bidi, each checked by sha256. */
export async function fourCallTypes(t: T, client: StackProcess, opts: { clientIp?: string; bytes?: number } = {}) {
  const bytes = opts.bytes ?? 1000
  await t.test('unary: payload, metadata both ways, peer', async (t) => {
    const r = await client.call('grpcCall', { kind: 'unary', bytes, meta: 'hello-meta' })
    t.ok(r.ok, `ok ${JSON.stringify(r)}`)
    t.equal(r.serverSha, r.sent, 'the server got the payload intact')
    t.equal(r.echoed, r.sent, 'the reply carries it back intact')
    t.equal(r.meta, 'hello-meta', 'the server saw the request metadata')
    t.equal(r.replyMeta, 're:hello-meta', 'the client saw the response metadata')
    if (opts.clientIp) t.match(r.peer, new RegExp(`^${opts.clientIp.replace(/\./g, '\\.')}:\\d+$`), `server getPeer() is the client's address (${r.peer})`)
  })
  await t.test('server streaming', async (t) => {
    const r = await client.call('grpcCall', { kind: 'serverStream', count: 20, size: 64 * 1024 })
    t.ok(r.ok, `ok ${JSON.stringify(r)}`)
    t.equal(r.received, 20, 'every message arrived')
    t.ok(r.allIntact, 'each message matches its sha256')
    t.equal(JSON.stringify(r.indexes), JSON.stringify([...Array(20).keys()]), 'in order')
  })
  await t.test('client streaming', async (t) => {
    const r = await client.call('grpcCall', { kind: 'clientStream', count: 20, size: 64 * 1024, meta: 'cs' })
    t.ok(r.ok, `ok ${JSON.stringify(r)}`)
    t.equal(r.total, 20 * 64 * 1024, 'the server counted every byte')
    t.equal(r.serverSha, r.sent, 'and hashed the same stream')
  })
  await t.test('bidi streaming (ping-pong)', async (t) => {
    const r = await client.call('grpcCall', { kind: 'bidi', count: 50, size: 4096 })
    t.ok(r.ok, `ok ${JSON.stringify(r)}`)
    t.equal(r.received, 50)
    t.ok(r.match, 'replies match what was sent, in order')
  })
}

/** 4 MiB messages both ways, deadline exceeded and cancellation (the server sees both),
 * and the channel still working afterwards. */
export async function callSemantics(t: T, client: StackProcess, server: StackProcess) {
  await t.test('4 MiB messages both ways (sha256)', async (t) => {
    const r = await client.call('grpcCall', { kind: 'unary', bytes: 4 * MiB }, 60_000)
    t.ok(r.ok, `ok ${JSON.stringify({ ...r, sent: undefined })}`)
    t.equal(r.serverSha, r.sent, 'the server got 4 MiB intact')
    t.equal(r.echoed, r.sent, 'and sent it back intact')
    const s = await client.call('grpcCall', { kind: 'serverStream', count: 3, size: 4 * MiB }, 60_000)
    t.ok(s.ok && s.allIntact && s.received === 3, `three 4 MiB stream messages ${JSON.stringify(s)}`)
  })
  await t.test('deadline exceeded', async (t) => {
    await server.call('grpcServerSeen', { reset: true })
    const r = await client.call('grpcCall', { kind: 'unary', delayMs: 3000, deadlineMs: 300 })
    t.notOk(r.ok, 'the call fails')
    t.equal(r.code, 4, `DEADLINE_EXCEEDED (${r.details})`)
    t.ok(r.ms < 2500, `well before the server would answer (${r.ms} ms)`)
    const seen = await waitFor(async () => {
      const s = await server.call('grpcServerSeen')
      return s.cancelled >= 1 && s
    }, 5000, 'the server to see the call cancelled')
    t.ok(seen.cancelled >= 1, 'the server saw the call cancelled')
  })
  await t.test('cancel', async (t) => {
    const r = await client.call('grpcCall', { kind: 'unary', delayMs: 3000, cancelAfterMs: 200 })
    t.equal(r.code, 1, `CANCELLED (${r.details})`)
    const s = await client.call('grpcCall', { kind: 'serverStream', count: 1000, size: 1024, delayMs: 20, cancelAfterMs: 300 })
    t.equal(s.code, 1, 'a server stream can be cancelled midway')
    t.ok(s.received > 0 && s.received < 1000, `after some messages (${s.received})`)
    const after = await client.call('grpcCall', { kind: 'unary' })
    t.ok(after.ok, 'later calls on the same channel work')
  })
}

/** memifPair with the grpc commands loaded in both children. */
export async function grpcMemifPair(t: Parameters<typeof memifPair>[0], opts: Parameters<typeof memifPair>[1] = {}) {
  const pair = await memifPair(t, opts)
  await pair.server.use('grpc')
  await pair.client.use('grpc')
  return pair
}
