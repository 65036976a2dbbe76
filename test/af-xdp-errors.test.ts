// What an af_xdp stack says when it cannot run, before it touches the interface: each
// case is made for real inside a network namespace made for the test (a missing
// interface, one without an address or link, an MTU above an AF_XDP frame, a veth whose
// XDP the kernel refuses, more queues than the stack takes, another program on the
// interface, a program the verifier rejects, missing privileges, a second stack).
import t from 'tap'
import type { Test } from 'tap'
import { cleanup, execIn } from './helpers/cleanup'
import { needStack, StackProcess } from './helpers/harness'
import { ipIn, xdpFixture, xdpLink, xdpProgramOn } from './helpers/xdp'

cleanup.hook(t)

interface Outcome { ok: boolean; code?: string; message?: string }

t.test('af_xdp: typed errors', needStack(), async (t) => {
  const { srv } = await xdpLink(t)
  const child = await StackProcess.start(t, { name: 'xdp-errors', netns: srv })
  const attempt = (device: Record<string, unknown>, more: Record<string, unknown> = {}) =>
    child.call('tryCreateStack', { options: { device: { type: 'af_xdp', ...device }, ip: 'auto', ...more } }, 60_000) as Promise<Outcome>
  const expect = async (t: Test, what: string, r: Outcome, code: string, message: RegExp) => {
    t.equal(r.code, code, `${what}: ${r.code}: ${r.message}`)
    t.match(r.message ?? '', message, `${what}: says why`)
  }

  await t.test('the interface is missing', async (t) => {
    await expect(t, 'ip auto', await attempt({ iface: 'gznone' }), 'ERR_GAZELLE_DEVICE_NOT_FOUND', /gznone/)
    await expect(t, 'ip given', await attempt({ iface: 'gznone' }, { ip: '10.31.0.2/24', mtu: 1500 }),
      'ERR_GAZELLE_DEVICE_NOT_FOUND', /gznone/)
  })

  await t.test('bifurcation shares the interface\'s address: another one is refused', async (t) => {
    await expect(t, 'other address', await attempt({ iface: 'gzsrv' }, { ip: '10.31.0.9/24' }),
      'ERR_GAZELLE_INVALID_OPTION', /an address of gzsrv \(10\.31\.0\.2\/24\)/)
    await expect(t, 'other prefix', await attempt({ iface: 'gzsrv' }, { ip: '10.31.0.2/16' }),
      'ERR_GAZELLE_INVALID_OPTION', /the stack shares it with the kernel, got "10\.31\.0\.2\/16"/)
  })

  await t.test('no address for ip "auto", link down', async (t) => {
    ipIn(srv, ['link', 'add', 'gzbare', 'type', 'veth', 'peer', 'name', 'gzbare1'])
    await expect(t, 'no address', await attempt({ iface: 'gzbare' }), 'ERR_GAZELLE_NO_ADDRESS', /gzbare has no IPv4 address/)
    ipIn(srv, ['addr', 'add', '10.32.0.2/24', 'dev', 'gzbare'])
    await expect(t, 'down', await attempt({ iface: 'gzbare' }), 'ERR_GAZELLE_LINK_DOWN', /gzbare is down/)
    ipIn(srv, ['link', 'del', 'gzbare'])
  })

  await t.test('an MTU above an AF_XDP frame', async (t) => {
    ipIn(srv, ['link', 'set', 'gzsrv', 'mtu', '4000'])
    await expect(t, 'the interface\'s', await attempt({ iface: 'gzsrv' }), 'ERR_GAZELLE_MTU', /MTU 4000 \(gzsrv's\) is above the largest AF_XDP frame/)
    ipIn(srv, ['link', 'set', 'gzsrv', 'mtu', '1500'])
    await expect(t, 'asked for', await attempt({ iface: 'gzsrv' }, { mtu: 3500 }), 'ERR_GAZELLE_MTU', /MTU 3500 is above/)
  })

  await t.test('the kernel refuses XDP on the interface', async (t) => {
    // veth: XDP needs at least as many rx queues as the peer has tx queues
    ipIn(srv, ['link', 'add', 'gzq1', 'numtxqueues', '1', 'numrxqueues', '1', 'type', 'veth',
      'peer', 'name', 'gzq2', 'numtxqueues', '2', 'numrxqueues', '2'])
    for (const i of ['gzq1', 'gzq2']) ipIn(srv, ['link', 'set', i, 'up'])
    ipIn(srv, ['addr', 'add', '10.33.0.1/24', 'dev', 'gzq1'])
    ipIn(srv, ['addr', 'add', '10.33.0.2/24', 'dev', 'gzq2'])
    await expect(t, 'refused', await attempt({ iface: 'gzq1' }), 'ERR_GAZELLE_XDP_UNSUPPORTED', /rx queues not less than peer tx queues/)
    await expect(t, 'a queue left out', await attempt({ iface: 'gzq2' }), 'ERR_GAZELLE_XDP_QUEUES', /gzq2 has 2 rx queues/)
    await expect(t, 'no channels', await attempt({ iface: 'gzq2', queues: 2 }), 'ERR_GAZELLE_XDP_QUEUES', /combined channels/)
    ipIn(srv, ['link', 'del', 'gzq1'])
  })

  await t.test('another program owns the interface', async (t) => {
    const other = xdpFixture('other')
    ipIn(srv, ['link', 'set', 'dev', 'gzsrv', 'xdp', 'obj', other, 'sec', 'xdp'])
    await expect(t, 'busy', await attempt({ iface: 'gzsrv' }), 'ERR_GAZELLE_XDP_BUSY', /"someone_elses"\) that is not gazelle's/)
    t.equal(xdpProgramOn(srv, 'gzsrv'), 'someone_elses', 'left as it was')
    ipIn(srv, ['link', 'set', 'dev', 'gzsrv', 'xdp', 'off'])
  })

  await t.test('the program fails to load: the verifier\'s words', async (t) => {
    const rejected = xdpFixture('rejected')
    await expect(t, 'rejected', await attempt({ iface: 'gzsrv', program: rejected }), 'ERR_GAZELLE_XDP_PROGRAM',
      /failed to load \(Permission denied\): invalid access to packet.*outside of the packet/)
    t.equal(xdpProgramOn(srv, 'gzsrv'), '', 'nothing attached')
  })

  await t.test('no privileges', async (t) => {
    const script = `require('@gazelle/stack').createStack({ device: { type: 'af_xdp', iface: 'gzsrv' }, ip: 'auto' })` +
      `.then(() => console.log('opened'), (e) => console.log(e.code))`
    const r = await execIn(srv, 'setpriv', ['--bounding-set=-net_admin,-bpf,-sys_admin', process.execPath, '-e', script], 30_000)
    t.equal(r.stdout.trim(), 'ERR_GAZELLE_NOT_ROOT', r.stderr)
  })

  await t.test('a second stack on an interface in use', async (t) => {
    const first = await StackProcess.start(t, { name: 'xdp-first', netns: srv })
    await first.createStack({ device: { type: 'af_xdp', iface: 'gzsrv' }, ip: 'auto' })
    await expect(t, 'in use', await attempt({ iface: 'gzsrv' }), 'ERR_GAZELLE_XDP_BUSY', new RegExp(`stack of pid ${first.pid}`))
    await first.call('closeStack')
    const again = await attempt({ iface: 'gzsrv' })
    t.equal(again.ok, true, `free again once it closed ${again.code ?? ''} ${again.message ?? ''}`)
  })
})
