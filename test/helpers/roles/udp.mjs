// UDP commands of the test child (stack-child.mjs): the same code runs on node:dgram
// (kernel children) and on stack.createSocket (stack children).
//
// Datagrams carry [seq u32][length u32][payload], the payload a function of seq, so
// every receiver checks every byte without the sender telling it anything.
import dgram from 'node:dgram'

const HEADER = 8

export function payloadByte(seq, i) {
  return (seq * 31 + i * 7 + (i >> 8)) & 255
}

export function makeDatagram(seq, size) {
  const b = Buffer.allocUnsafe(Math.max(size, HEADER))
  b.writeUInt32BE(seq >>> 0, 0)
  b.writeUInt32BE(b.length, 4)
  for (let i = HEADER; i < b.length; i++) b[i] = payloadByte(seq, i)
  return b
}

/** The seq of an intact datagram, or -1. */
export function checkDatagram(b) {
  if (b.length < HEADER || b.readUInt32BE(4) !== b.length) return -1
  const seq = b.readUInt32BE(0)
  for (let i = HEADER; i < b.length; i++) if (b[i] !== payloadByte(seq, i)) return -1
  return seq
}

function errInfo(e) {
  return { name: e?.name, code: e?.code, message: String(e?.message ?? e) }
}

const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve))

export default function udpRole(ctx) {
  const kernel = () => !!ctx.cfg.kernel
  const stack = () => ctx.transport()
  const withTimeout = ctx.withTimeout
  const sockets = new Map() // port -> { socket, received: Map, bad, total }

  const create = (options) => (kernel() ? dgram.createSocket(options) : stack().createSocket(options))

  function bound(socket, port = 0, address) {
    return new Promise((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(port, address, () => {
        socket.off('error', reject)
        resolve(socket.address().port)
      })
    })
  }

  function track(port, socket) {
    const entry = { socket, seqs: new Set(), total: 0, bad: 0, from: new Set() }
    sockets.set(port, entry)
    return entry
  }

  // Echoes every datagram back to its sender.
  async function udpEcho({ port = 0, address, recvBufferSize } = {}) {
    const socket = create({ type: 'udp4', ...(recvBufferSize ? { recvBufferSize } : {}) })
    socket.on('message', (msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address))
    socket.on('error', () => {})
    const p = await bound(socket, port, address)
    track(p, socket)
    return { port: p }
  }

  // Collects and checks datagrams; joins groups (on iface) once bound.
  async function udpReceiver({ port = 0, address, groups = [], iface, reuseAddr = false, recvBufferSize } = {}) {
    const socket = create({ type: 'udp4', reuseAddr, ...(recvBufferSize ? { recvBufferSize } : {}) })
    const p = await bound(socket, port, address)
    const entry = track(p, socket)
    socket.on('message', (msg, rinfo) => {
      entry.total++
      entry.from.add(`${rinfo.address}`)
      const seq = checkDatagram(msg)
      if (seq < 0 || rinfo.size !== msg.length) entry.bad++
      else entry.seqs.add(seq)
    })
    for (const g of groups) socket.addMembership(g, iface)
    return { port: p }
  }

  async function udpReceived({ port }) {
    const e = sockets.get(port)
    if (!e) throw new Error(`no UDP socket on ${port}`)
    return {
      total: e.total,
      distinct: e.seqs.size,
      bad: e.bad,
      from: [...e.from],
      stats: typeof e.socket.stats === 'function' ? e.socket.stats() : null,
    }
  }

  async function udpMembership({ port, group, iface, join }) {
    const e = sockets.get(port)
    if (join) e.socket.addMembership(group, iface)
    else e.socket.dropMembership(group, iface)
    return true
  }

  // Sends count datagrams of size bytes to host:port (multicast options optional),
  // yielding to the event loop every burst datagrams (and pausing pauseMs: a receiver in
  // another process must keep up, or its socket buffer drops, as on any host); resolves once every send's
  // callback ran, with how many failed, whether they ran in send order, and how many
  // sends waited in the socket's queue right after the loop.
  async function udpBlast({ host, port, count, size = 64, burst = 16, pauseMs = 0, ttl, multicastInterface, loopback, broadcast, firstSeq = 0, timeoutMs = 60000 }) {
    const socket = create('udp4')
    socket.on('error', () => {})
    await bound(socket)
    if (broadcast) socket.setBroadcast(true)
    if (ttl !== undefined) socket.setMulticastTTL(ttl)
    if (multicastInterface) socket.setMulticastInterface(multicastInterface)
    if (loopback !== undefined) socket.setMulticastLoopback(loopback)
    let errors = 0
    let completed = 0
    let outOfOrder = 0
    let maxQueued = 0
    let allDone
    const finished = new Promise((resolve) => (allDone = resolve))
    const t0 = Date.now()
    for (let i = 0; i < count; i++) {
      socket.send(makeDatagram(firstSeq + i, size), port, host, (err) => {
        if (err) errors++
        if (completed++ !== i) outOfOrder++
        if (completed === count) allDone()
      })
      if (i % burst === burst - 1) {
        maxQueued = Math.max(maxQueued, socket.getSendQueueCount())
        if (pauseMs) await new Promise((resolve) => setTimeout(resolve, pauseMs))
        else await yieldToLoop()
      }
    }
    maxQueued = Math.max(maxQueued, socket.getSendQueueCount())
    await withTimeout(finished, timeoutMs, `${count} send callbacks`, () => `${completed} done`)
    const ms = Date.now() - t0
    const stats = typeof socket.stats === 'function' ? socket.stats() : null
    await new Promise((resolve) => socket.close(resolve))
    return { sent: count, errors, outOfOrder, maxQueued, ms, stats }
  }

  // Sends count datagrams (sizes cycle) with at most window unanswered, checks every
  // echo byte for byte, and sends again what got no echo within retryMs.
  async function udpExchange({ host, port, count, sizes = [64], window = 32, retryMs = 200, timeoutMs = 120000, connect = false }) {
    const socket = create('udp4')
    await bound(socket)
    if (connect) await new Promise((resolve, reject) => socket.connect(port, host, (err) => (err ? reject(err) : resolve())))
    const outstanding = new Map() // seq -> time sent
    const done = new Set()
    let next = 0
    let mismatches = 0
    let duplicates = 0
    let retransmits = 0
    let sendErrors = 0
    const t0 = Date.now()
    const send = (seq) => {
      outstanding.set(seq, Date.now())
      const msg = makeDatagram(seq, sizes[seq % sizes.length])
      const done = (err) => { if (err) sendErrors++ }
      if (connect) socket.send(msg, done)
      else socket.send(msg, port, host, done)
    }
    const fill = () => {
      while (outstanding.size < window && next < count) send(next++)
    }
    const finished = new Promise((resolve) => {
      socket.on('message', (msg) => {
        const seq = checkDatagram(msg)
        if (seq < 0 || msg.length !== Math.max(sizes[seq % sizes.length], HEADER)) {
          mismatches++
          return
        }
        if (done.has(seq)) {
          duplicates++
          return
        }
        done.add(seq)
        outstanding.delete(seq)
        if (done.size === count) return resolve()
        fill()
      })
    })
    const retry = setInterval(() => {
      const now = Date.now()
      for (const [seq, at] of outstanding) {
        if (now - at >= retryMs) {
          retransmits++
          send(seq)
        }
      }
    }, Math.max(10, retryMs / 2))
    fill()
    try {
      await withTimeout(finished, timeoutMs, `UDP exchange of ${count} datagrams`, () => `${done.size} echoed, ${retransmits} resent`)
    } finally {
      clearInterval(retry)
    }
    const ms = Date.now() - t0
    const stats = typeof socket.stats === 'function' ? socket.stats() : null
    await new Promise((resolve) => socket.close(resolve))
    return { count, echoed: done.size, mismatches, duplicates, retransmits, sendErrors, ms, stats }
  }

  // One datagram of size bytes to host:port; what the send callback said.
  // Keeps JS busy for ms in a loop that calls the stack (a datagram every 200 us), once
  // `marker` (a file) says it has begun: JS that holds the polls off, but not the calls.
  async function udpBusySend({ host, port, ms, marker }) {
    const socket = create('udp4')
    socket.on('error', () => {})
    await bound(socket)
    const fs = await import('node:fs')
    fs.writeFileSync(marker, String(process.pid))
    const msg = makeDatagram(0, 64)
    let sent = 0
    for (const end = Date.now() + ms; Date.now() < end; sent++) {
      socket.send(msg, port, host)
      for (const next = performance.now() + 0.2; performance.now() < next;);
    }
    await new Promise((resolve) => socket.close(resolve))
    return { sent }
  }

  async function udpSendOne({ host, port, size }) {
    const socket = create('udp4')
    const result = await new Promise((resolve) => {
      socket.send(Buffer.alloc(size, 1), port, host, (err, bytes) => resolve(err ? { error: errInfo(err) } : { bytes }))
    })
    await new Promise((resolve) => socket.close(resolve))
    return result
  }

  async function udpCloseAll() {
    for (const [port, e] of sockets) {
      sockets.delete(port)
      await new Promise((resolve) => e.socket.close(resolve))
    }
    return true
  }

  // Calls whose outcome depends on the socket's state; the same list runs on node:dgram
  // and on the stack, and the test compares the two outcomes.
  async function udpStateErrors({ peer }) {
    const out = []
    const record = (label, fn) => {
      try {
        const r = fn()
        out.push({ label, ok: true, result: r === undefined || typeof r === 'object' ? null : r })
      } catch (e) {
        out.push({ label, ...errInfo(e) })
      }
    }
    const s = create('udp4')
    record('address unbound', () => s.address())
    record('setTTL unbound', () => s.setTTL(5))
    record('setBroadcast unbound', () => s.setBroadcast(true))
    record('setMulticastTTL unbound', () => s.setMulticastTTL(5))
    record('setMulticastLoopback unbound', () => s.setMulticastLoopback(true))
    record('getRecvBufferSize unbound', () => s.getRecvBufferSize())
    record('setSendBufferSize unbound', () => s.setSendBufferSize(4096))
    record('disconnect unbound', () => s.disconnect())
    record('remoteAddress unbound', () => s.remoteAddress())
    await bound(s)
    record('bind twice', () => s.bind(0))
    record('setTTL 0', () => s.setTTL(0))
    record('setTTL 256', () => s.setTTL(256))
    record('setTTL 64', () => s.setTTL(64))
    record('setTTL 1.5', () => s.setTTL(1.5))
    record('setMulticastTTL 256', () => s.setMulticastTTL(256))
    record('setMulticastTTL 0', () => s.setMulticastTTL(0))
    record('setMulticastLoopback', () => s.setMulticastLoopback(false))
    record('setMulticastInterface bad', () => s.setMulticastInterface('abc'))
    record('setMulticastInterface any', () => s.setMulticastInterface('0.0.0.0'))
    record('setMulticastInterface other', () => s.setMulticastInterface('10.99.99.99'))
    record('addMembership unicast', () => s.addMembership('10.1.2.3'))
    record('addMembership bad', () => s.addMembership('abc'))
    record('addMembership missing', () => s.addMembership())
    record('addMembership other iface', () => s.addMembership('239.1.2.3', '10.99.99.99'))
    record('addMembership', () => s.addMembership('239.1.2.3'))
    record('addMembership twice', () => s.addMembership('239.1.2.3'))
    record('dropMembership', () => s.dropMembership('239.1.2.3'))
    record('dropMembership again', () => s.dropMembership('239.1.2.3'))
    record('setRecvBufferSize 1.5', () => s.setRecvBufferSize(1.5))
    record('setRecvBufferSize -1', () => s.setRecvBufferSize(-1))
    record('setBroadcast', () => s.setBroadcast(true))
    record('disconnect not connected', () => s.disconnect())
    const sendResult = (args) => new Promise((resolve) => {
      s.send(...args, (err, n) => resolve(err ? { code: err.code, syscall: err.syscall, message: err.message } : { bytes: n }))
    })
    out.push({ label: 'send 65508', ...(await sendResult([Buffer.alloc(65508), 9, peer])) })
    s.setBroadcast(false)
    out.push({ label: 'send broadcast without setBroadcast', ...(await sendResult([Buffer.alloc(4), 9, '255.255.255.255'])) })
    await new Promise((resolve, reject) => s.connect(9, peer, (err) => (err ? reject(err) : resolve())))
    record('connect again', () => s.connect(9, peer))
    record('remoteAddress', () => JSON.stringify(s.remoteAddress()))
    record('send with port when connected', () => s.send('x', 9, peer))
    record('disconnect', () => s.disconnect())
    record('remoteAddress after disconnect', () => s.remoteAddress())
    await new Promise((resolve) => s.close(resolve))
    record('send closed', () => s.send('x', 9, peer))
    record('close closed', () => s.close())
    record('bind closed', () => s.bind(0))
    record('address closed', () => s.address())
    record('addMembership closed', () => s.addMembership('239.1.2.3'))

    const a = create('udp4')
    const port = await bound(a)
    const b = create('udp4')
    const inUse = await new Promise((resolve) => {
      b.once('error', (e) => resolve({ code: e.code, syscall: e.syscall, port: e.port, message: e.message }))
      b.bind(port, () => resolve({ listening: true }))
    })
    out.push({ label: 'bind in use', ...inUse, message: inUse.message?.replace(/ \S+:\d+$/, ' ADDR:PORT'), port: inUse.port === port })
    const c = create('udp4')
    const notAvail = await new Promise((resolve) => {
      c.once('error', (e) => resolve({ code: e.code, syscall: e.syscall, message: e.message }))
      c.bind(0, '10.99.99.99', () => resolve({ listening: true }))
    })
    out.push({ label: 'bind address not local', ...notAvail })
    const r1 = create({ type: 'udp4', reuseAddr: true })
    const rport = await bound(r1)
    const r2 = create({ type: 'udp4', reuseAddr: true })
    const reuse = await bound(r2, rport).then(() => ({ listening: true }), (e) => ({ code: e.code }))
    out.push({ label: 'bind reuseAddr twice', ...reuse })
    for (const x of [a, r1, r2]) await new Promise((resolve) => x.close(resolve))
    return out
  }

  return {
    udpEcho, udpReceiver, udpReceived, udpMembership, udpBlast, udpExchange, udpSendOne, udpCloseAll,
    udpStateErrors, udpBusySend,
  }
}
