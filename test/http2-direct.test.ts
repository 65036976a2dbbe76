// node:http2 on stack sockets over memif with the stack's own stream handle
// (offerStreamHandle, what @gazelle/grpc does for plaintext): http2 reads and writes the
// socket through it instead of wrapping it in a JSStreamSocket. What a user of http2
// relies on must hold either way: bodies intact both ways under backpressure, the
// session's socket with its addresses, and the session and socket closing when either
// side closes.
import t from 'tap'
import { cleanup } from './helpers/cleanup'
import { memifPair, needStack } from './helpers/harness'

cleanup.hook(t)
const MiB = 1024 * 1024

t.test('http2 over memif on the stack socket\'s own stream handle', needStack(), async (t) => {
  const { server, client, serverIp, clientIp } = await memifPair(t)
  await server.use('http2')
  await client.use('http2')
  const { port } = await server.call('h2Serve', { direct: true })

  await t.test('8 streams at once, 2 MiB up and 3 MiB down each, sha256-checked', async (t) => {
    // 16 MiB up and 24 MiB down: far more than the send buffers and windows, so writes
    // wait for room and data arrives while http2 is not reading (it stops during writes).
    const r = await client.call('h2Requests', { host: serverIp, port, streams: 8, bytes: 2 * MiB, replyBytes: 3 * MiB }, 120_000)
    t.ok(r.direct, 'the client session runs on the stack socket itself')
    t.equal(r.results, 8)
    t.ok(r.allIntact, 'every body arrived intact, both ways')
    t.ok(r.bytesWritten >= 16 * MiB, `bytesWritten counts what http2 wrote (${r.bytesWritten})`)
    t.ok(r.bytesRead >= 24 * MiB, `bytesRead counts what it read (${r.bytesRead})`)
    t.ok(r.socketDestroyed, 'the client closing its session closes the stack socket')
    const seen = await server.call('h2ServerSeen')
    t.equal(seen.direct, seen.sessions, 'the server sessions run on the stack sockets too')
    t.match(seen.peers[0], new RegExp(`^${clientIp.replace(/\./g, '\\.')}:\\d+$`), `session.socket.remoteAddress is the peer (${seen.peers[0]})`)
  })

  await t.test('the server closing its session ends the client\'s', async (t) => {
    const pending = client.call('h2Requests', { host: serverIp, port, streams: 2, bytes: 100, replyBytes: 100, waitServerClose: true }, 60_000)
    // (the client's requests are answered first; then the server closes every session)
    let closed = 0
    for (let i = 0; i < 100 && closed === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      const seen = await server.call('h2ServerSeen')
      if (seen.sessions >= 2) closed = await server.call('h2ServerClose')
    }
    t.ok(closed >= 1, 'the server closed the session')
    const r = await pending
    t.ok(r.direct && r.allIntact, 'the requests before it completed')
    t.ok(r.socketDestroyed, 'the client session and its stack socket closed')
  })

  await t.test('a socket not offered is wrapped by http2 as before, and works the same', async (t) => {
    const r = await client.call('h2Requests', { host: serverIp, port, direct: false, streams: 2, bytes: 256 * 1024, replyBytes: 256 * 1024 }, 60_000)
    t.notOk(r.direct, 'http2 wrapped it (JSStreamSocket)')
    t.ok(r.allIntact, 'bodies intact both ways')
    t.ok(r.socketDestroyed, 'and it closed')
  })
})
