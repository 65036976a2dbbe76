// The TCP scenarios of issue 2, written once and run against any pair of processes:
// two stacks over memif (the real tests) or two node:net processes (the harness
// self-check, which also shows that each scenario passes on the kernel's TCP).
import type { Test } from 'tap'
import type { StackProcess } from './harness'

type T = Test

const MiB = 1024 * 1024

export async function echoBulk(
  t: T,
  server: StackProcess,
  client: StackProcess,
  host: string,
  { conns = 32, bytesPerConn = 2 * MiB, timeoutMs = 180_000, listenHost = undefined as string | undefined } = {},
) {
  const { port } = await server.call('listen', { mode: 'echo', host: listenHost })
  const { results, ms } = await client.call('echoClients', { host, port, conns, bytesPerConn, timeoutMs }, timeoutMs + 10_000)
  t.equal(results.length, conns, `${conns} connections finished`)
  let bad = 0
  let total = 0
  for (const [i, r] of results.entries()) {
    total += r.received
    if (r.written !== bytesPerConn || r.received !== bytesPerConn || r.sent !== r.got || !r.gotEnd) {
      bad++
      if (bad <= 5) t.comment(`connection ${i}: ${JSON.stringify(r)}`)
    }
  }
  t.equal(bad, 0, 'every connection got back exactly what it sent (sha256), then FIN')
  t.equal(total, conns * bytesPerConn, `${(conns * bytesPerConn) / MiB} MiB echoed`)
  const reports = await server.call('serverReports', { port, count: conns, timeoutMs: 20_000 }, 25_000)
  const sentHashes = new Set(results.map((r: any) => r.sent))
  t.equal(
    reports.filter((r: any) => r.bytes === bytesPerConn && sentHashes.has(r.sha) && !r.error).length,
    conns,
    'the server received each connection intact (sha256) with no error',
  )
  const mbps = ((2 * conns * bytesPerConn * 8) / (ms / 1000) / 1e6).toFixed(0)
  t.comment(`echo: ${conns} x ${bytesPerConn / MiB} MiB both ways in ${ms.toFixed(0)} ms (${mbps} Mbit/s counting both directions)`)
  await server.call('closeServer', { port })
}

/** Client end() first: the server sees 'end', still sends, then ends. */
export async function halfCloseClientFirst(t: T, server: StackProcess, client: StackProcess, host: string) {
  const { port } = await server.call('listen', { mode: 'halfCloseReply', allowHalfOpen: true })
  const c = await client.call('halfCloseClient', { host, port })
  const [s] = await server.call('serverReports', { port, count: 1 })
  t.equal(s.received, 'ping', 'server got the data sent before FIN')
  t.same(s.events, ['end', 'write:true'], "server saw 'end', then could still write")
  t.equal(s.error, null, 'no error on the server')
  t.equal(c.received, 'reply-after-end:ping', 'client received the reply sent after its FIN')
  t.same(c.events, ['ended', 'end', 'close'], "client: end(), then the server's data and 'end', then 'close'")
  await server.call('closeServer', { port })
}

/** Server end() first; the client (allowHalfOpen) still sends after 'end', then ends. */
export async function halfCloseServerFirst(t: T, server: StackProcess, client: StackProcess, host: string) {
  const { port } = await server.call('listen', { mode: 'endFirst', allowHalfOpen: true })
  const c = await client.call('endFirstClient', { host, port })
  const [s] = await server.call('serverReports', { port, count: 1 })
  t.equal(c.received, 'bye-from-server', 'client got the data sent before the FIN')
  t.same(c.events, ['end', 'write:true', 'ended', 'close'], "client saw 'end' and could still write, then ended")
  t.equal(s.received, 'after-end:bye-from-server', 'server received what the client sent after the server ended')
  t.same(s.events, ['ended', 'end'], "server: end(), later the client's 'end'")
  t.equal(s.error, null, 'no error on the server')
  await server.call('closeServer', { port })
}

/** resetAndDestroy() on either side: the peer sees ECONNRESET; destroy() ends cleanly. */
export async function destroyAndReset(t: T, server: StackProcess, client: StackProcess, host: string) {
  {
    const { port } = await server.call('listen', { mode: 'record' })
    await client.call('destroyClient', { host, port })
    const [s] = await server.call('serverReports', { port, count: 1 })
    t.equal(s.error, 'ECONNRESET', "client resetAndDestroy(): the server socket emits 'error' ECONNRESET")
    t.equal(s.bytes, 'about to reset'.length, 'data sent before the reset arrived')
    await server.call('closeServer', { port })
  }
  {
    const { port } = await server.call('listen', { mode: 'destroyOnData' })
    const c = await client.call('expectErrorClient', { host, port, send: 'x' })
    t.equal(c.code, 'ECONNRESET', `server resetAndDestroy(): the client socket emits 'error' ECONNRESET (events ${c.events})`)
    await server.call('closeServer', { port })
  }
  {
    const { port } = await server.call('listen', { mode: 'record' })
    await client.call('destroyClient', { host, port, reset: false })
    const [s] = await server.call('serverReports', { port, count: 1 })
    t.same({ gotEnd: s.gotEnd, error: s.error }, { gotEnd: true, error: null }, "client destroy(): the server sees a clean 'end', as with node:net")
    t.equal(s.bytes, 'about to reset'.length, 'data sent before destroy() arrived')
    await server.call('closeServer', { port })
  }
}

/** Connecting to a port nobody listens on: ECONNREFUSED. */
export async function refused(t: T, client: StackProcess, host: string, port = 9) {
  const c = await client.call('expectErrorClient', { host, port, send: '' })
  t.equal(c.code, 'ECONNREFUSED', `connect to ${host}:${port} (closed) gives ECONNREFUSED (events ${c.events})`)
}

/** Two servers on one port: the second gets EADDRINUSE. */
export async function listenTwice(t: T, server: StackProcess, port = 7300) {
  const r = await server.call('listenTwice', { port })
  t.equal(r.code, 'EADDRINUSE', `second listen on ${r.port} fails with EADDRINUSE (${r.how}: ${r.message})`)
}

/** A paused, then slow reader against a fast writer. */
export async function backpressure(
  t: T,
  server: StackProcess,
  client: StackProcess,
  host: string,
  { bytes = 256 * MiB, pauseMs = 3000, rate = 64 * MiB, maxGrowth = 200 * MiB, maxWhilePaused = 64 * MiB, timeoutMs = 150_000 } = {},
) {
  const { port } = await server.call('listen', { mode: 'sink', opts: { pauseMs, rate } })
  const w = await client.call('flood', { host, port, bytes, timeoutMs }, timeoutMs + 10_000)
  const [r] = await server.call('serverReports', { port, count: 1, timeoutMs: 30_000 }, 35_000)
  const { timeline, ...summary } = w
  t.comment(`writer: ${JSON.stringify(summary)}`)
  t.comment(`reader: ${JSON.stringify(r)}`)
  t.equal(w.written, bytes, `writer wrote ${bytes / MiB} MiB`)
  t.equal(r.bytes, bytes, 'reader received all of it')
  t.equal(r.sha, w.sha, 'content intact (sha256)')
  t.equal(r.error, null, 'no error on the reader')
  t.ok(w.falseCount > 0, `write() returned false (${w.falseCount} times)`)
  t.ok(w.drainCount > 0, `'drain' came later (${w.drainCount} times, first after ${w.firstDrainMs} ms)`)
  // While the reader was paused the writer must have been held back (receive window closed).
  const before = (timeline as [number, number][]).filter(([at]) => at <= r.readStartEpoch).pop()?.[1] ?? 0
  t.ok(before < maxWhilePaused, `while the reader was paused ${pauseMs} ms, only ${(before / MiB).toFixed(1)} MiB went out (< ${maxWhilePaused / MiB} MiB)`)
  const growth = r.rssMax - r.rssBase
  t.ok(growth < maxGrowth, `reader RSS grew ${(growth / MiB).toFixed(1)} MiB (< ${maxGrowth / MiB} MiB) while ${bytes / MiB} MiB went through`)
  const wgrowth = w.rssMax - w.rssBase
  t.ok(wgrowth < maxGrowth, `writer RSS grew ${(wgrowth / MiB).toFixed(1)} MiB (< ${maxGrowth / MiB} MiB)`)
  await server.call('closeServer', { port })
}
