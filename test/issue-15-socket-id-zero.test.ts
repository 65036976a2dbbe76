// Socket id 0 was handed to LwIP as a NULL callback argument, which is also what a
// connection JS has closed carries: the stack counted a live socket 0 as one JS closed
// that is still sending ("lingering"), so stack.close() waited for it and an unref'd
// stack kept the process alive while it had data in flight.
import t from 'tap'
import { cleanup } from './helpers/cleanup'
import { memifPair, needStack } from './helpers/harness'

cleanup.hook(t)

t.test('a live connection with id 0 does not linger; once closed with data in flight, it does', needStack(), async (t) => {
  const { server, client, serverIp } = await memifPair(t)
  // A reader that does not read for the length of the test: its 2 MiB window fills and
  // the rest of 3 MiB waits in the client's send buffer (which takes it all: no write
  // is left pending in JS, so destroy() closes gracefully rather than resetting).
  const { port } = await server.call('listen', { mode: 'sink', opts: { pauseMs: 60_000 } })
  await client.call('use', { role: 'linger' })
  const held = await client.call('holdInFlight', { host: serverIp, port, bytes: 3 << 20 })
  t.equal(held.id, 0, "the client stack's first socket has id 0")
  t.ok(held.inFlight > 0, `${held.inFlight} bytes in flight`)
  t.equal(await client.call('draining'), false, 'a live connection is not counted as closing')
  await client.call('closeHeld')
  t.equal(await client.call('draining'), true, 'closed with data unacked: the stack drains it before closing')
})
