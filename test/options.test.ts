// Bad options and missing prerequisites: each gives a typed error that names the cause
// and what to do, and the same process can create a good stack right afterwards.
import t from 'tap'
import { cleanup, createKernelTap, createNetns, memifSocket, tapName } from './helpers/cleanup'
import { needStack, StackProcess } from './helpers/harness'

cleanup.hook(t)

interface Outcome {
  ok: boolean
  code?: string
  message?: string
  name?: string
  isError?: boolean
}

t.test('bad options and missing prerequisites give typed errors; the process stays usable', needStack(), async (t) => {
  const netns = createNetns(t)
  const child = await StackProcess.start(t, { name: 'options', netns })
  const good = () => ({ device: { type: 'tap', name: tapName(), hostIp: '10.20.1.1/24' }, ip: '10.20.1.2/24' })
  const memif = memifSocket()

  async function expectError(what: string, options: unknown, code: string, message: RegExp) {
    await t.test(what, async (t) => {
      const r: Outcome = await child.call('tryCreateStack', { options }, 60_000)
      t.equal(r.ok, false, 'createStack fails')
      t.equal(r.isError, true, 'with an Error')
      t.equal(r.code, code, `code ${code}`)
      t.match(r.message, message, `the message names the cause: ${r.message}`)
      const after: Outcome = await child.call('tryCreateStack', { options: good() }, 60_000)
      t.same(after, { ok: true }, 'the same process then creates (and closes) a good stack')
    })
  }

  await expectError('ip is not an address', { device: good().device, ip: 'not-an-ip' }, 'ERR_GAZELLE_INVALID_OPTION', /options\.ip/)
  await expectError('ip without a prefix length', { device: good().device, ip: '10.20.1.2' }, 'ERR_GAZELLE_INVALID_OPTION', /options\.ip/)
  await expectError('ip out of range', { device: good().device, ip: '10.20.1.300/24' }, 'ERR_GAZELLE_INVALID_OPTION', /options\.ip/)
  await expectError('ip is the loopback', { device: { type: 'memif', role: 'server', socket: memif }, ip: '127.0.0.1/8' }, 'ERR_GAZELLE_INVALID_OPTION', /options\.ip/)
  await expectError('unknown device type', { device: { type: 'wifi' }, ip: '10.20.1.2/24' }, 'ERR_GAZELLE_INVALID_OPTION', /options\.device\.type/)
  await expectError('no device', { ip: '10.20.1.2/24' }, 'ERR_GAZELLE_INVALID_OPTION', /options\.device/)
  await expectError('tap hostIp outside the stack subnet', { device: { type: 'tap', name: tapName(), hostIp: '10.99.0.1/24' }, ip: '10.20.1.2/24' }, 'ERR_GAZELLE_INVALID_OPTION', /hostIp/)
  await expectError('bad poll mode', { ...good(), poll: 'sometimes' }, 'ERR_GAZELLE_INVALID_OPTION', /options\.poll/)

  {
    const taken = tapName()
    createKernelTap(taken, netns, t)
    await expectError(
      'tap name taken (made first with ip tuntap add)',
      { device: { type: 'tap', name: taken, hostIp: '10.20.2.1/24' }, ip: '10.20.2.2/24' },
      'ERR_GAZELLE_DEVICE_EXISTS',
      new RegExp(`${taken}.*ip link del`),
    )
  }

  {
    // Another process serves the memif socket.
    const holder = await StackProcess.start(t, { name: 'memif-holder' })
    await holder.createStack({ device: { type: 'memif', role: 'server', socket: memif }, ip: '10.10.5.1/24' })
    await expectError(
      'memif socket in use by another process',
      { device: { type: 'memif', role: 'server', socket: memif }, ip: '10.10.5.2/24' },
      'ERR_GAZELLE_MEMIF_IN_USE',
      new RegExp(memif.replace(/[.]/g, '\\.')),
    )
    await holder.stop()
    // Once the holder is gone, its socket file is stale and the path is usable again.
    const r: Outcome = await child.call('tryCreateStack', { options: { device: { type: 'memif', role: 'server', socket: memif }, ip: '10.10.5.2/24' } }, 60_000)
    t.same(r, { ok: true }, 'the socket path is usable again after the holder exits')
  }

  await expectError(
    'memif client with no server on its socket',
    { device: { type: 'memif', role: 'client', socket: memifSocket() }, ip: '10.10.5.3/24' },
    'ERR_GAZELLE_LINK_DOWN',
    /no memif server is listening/,
  )

  await expectError(
    'hugepages option pointing at a directory that is not a hugetlbfs mount',
    { ...good(), hugepages: '/tmp' },
    'ERR_GAZELLE_NO_HUGEPAGES',
    /hugetlbfs is not mounted on \/tmp.*npm run setup/,
  )

  await expectError(
    "poll 'interrupt' on memif (no rx interrupts in DPDK 22.11)",
    { device: { type: 'memif', role: 'server', socket: memifSocket() }, ip: '10.10.6.1/24', poll: 'interrupt' },
    'ERR_GAZELLE_NO_INTERRUPT',
    /interrupt/,
  )

  await t.test('a second stack in one process: ERR_GAZELLE_STACK_OPEN, the first keeps working', async (t) => {
    await child.createStack(good())
    const r: Outcome = await child.call('tryCreateStack', { options: good() }, 60_000)
    t.equal(r.code, 'ERR_GAZELLE_STACK_OPEN', `second createStack: ${r.message}`)
    const l = await child.call('listen', { mode: 'echo', port: 7100 })
    t.equal(l.port, 7100, 'the first stack still listens')
    t.equal(await child.call('closeStack'), true, 'and closes')
  })

  await t.test('close and create again, several times in one process', async (t) => {
    for (let i = 0; i < 3; i++) {
      const r: Outcome = await child.call('tryCreateStack', { options: good() }, 60_000)
      t.same(r, { ok: true }, `round ${i + 1}`)
    }
  })
})
