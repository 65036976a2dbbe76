// A stack killed by a signal runs no exit handlers: its control socket and DPDK's runtime
// directory stay. The next stack, and gazellectl, remove those of processes that are
// gone (and never a live one's). gazellectl run by another user says where root's stacks are.
import t, { type Test } from 'tap'
import * as fs from 'node:fs'
import { cleanup, memifSocket } from './helpers/cleanup'
import { gazellectl } from './helpers/ctl'
import { needStack, StackProcess } from './helpers/harness'

cleanup.hook(t)
const NOBODY = { uid: 65534, gid: 65534 }
const controlSocket = (pid: number) => `/run/gazelle/ctl/${pid}.sock`
const runtimeDir = (pid: number) => `/var/run/dpdk/gazelle-${pid}`

/** A stack process killed with SIGKILL; returns its pid once its leftovers are there. */
async function killedStack(t: Test, ip: string): Promise<number> {
  const p = await StackProcess.start(t, { name: 'killed' })
  await p.createStack({ device: { type: 'memif', role: 'server', socket: memifSocket() }, ip })
  p.child.kill('SIGKILL')
  await p.exited()
  t.ok(fs.existsSync(controlSocket(p.pid)), `its control socket is left: ${controlSocket(p.pid)}`)
  t.ok(fs.existsSync(runtimeDir(p.pid)), `its DPDK runtime directory is left: ${runtimeDir(p.pid)}`)
  return p.pid
}

t.test('leftovers of killed stacks are swept; a live stack\'s are not', needStack(), async (t) => {
  const live = await StackProcess.start(t, { name: 'live' })
  await live.createStack({ device: { type: 'memif', role: 'server', socket: memifSocket() }, ip: '10.10.9.1/24' })

  await t.test('by the next stack', async (t) => {
    const dead = await killedStack(t, '10.10.9.2/24')
    const next = await StackProcess.start(t, { name: 'next' })
    await next.createStack({ device: { type: 'memif', role: 'server', socket: memifSocket() }, ip: '10.10.9.3/24' })
    t.notOk(fs.existsSync(controlSocket(dead)), 'the dead one\'s control socket is gone')
    t.notOk(fs.existsSync(runtimeDir(dead)), 'and its DPDK runtime directory')
    t.ok(fs.existsSync(controlSocket(live.pid)), 'the live stack\'s control socket stays')
    t.ok(fs.existsSync(runtimeDir(live.pid)), 'and its runtime directory')
    await next.stop()
  })

  await t.test('by gazellectl list', async (t) => {
    const dead = await killedStack(t, '10.10.9.4/24')
    const r = await gazellectl(['list'])
    t.equal(r.code, 0, r.stderr)
    t.match(r.stderr, new RegExp(`removed \\d+ leftover\\(s\\) of stacks that are gone: .*${controlSocket(dead)}`), 'says what it removed')
    t.notOk(fs.existsSync(controlSocket(dead)))
    t.notOk(fs.existsSync(runtimeDir(dead)))
    t.match(r.stdout, new RegExp(`^\\s*${live.pid}\\s+memif`, 'm'), 'and lists the live stack')
  })

  await t.test('gazellectl list as another user points at root\'s stacks', async (t) => {
    const r = await gazellectl(['list'], { user: NOBODY })
    t.equal(r.code, 0, r.stderr)
    t.match(r.stdout, /no running stacks/)
    t.match(r.stdout, /stacks run by root are not listed \(their control sockets are in \/run\/gazelle\/ctl\): sudo gazellectl list/)
  })
})
