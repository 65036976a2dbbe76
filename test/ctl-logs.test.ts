// Structured logs from a stack a kernel peer reaches over tap: malformed frames are
// counted and logged (rate-limited), link down/up is logged, gazellectl sees the drops.
import * as path from 'node:path'
import t from 'tap'
import { cleanup, createNetns, execIn, tapName } from './helpers/cleanup'
import { ctlJson } from './helpers/ctl'
import { StackProcess, needStack, waitFor } from './helpers/harness'

cleanup.hook(t)

const BAD_FRAMES = path.join(__dirname, 'helpers', 'bad-frames.py')

t.test('logs: malformed frames and link changes on a tap stack', needStack(), async (t) => {
  const netns = createNetns(t)
  const name = tapName()
  const stack = await (await StackProcess.start(t, { name: 'logs-stack', netns })).use('ops')
  cleanup.files.add(`/run/gazelle/ctl/${stack.pid}.sock`)
  await stack.call('createStackWithLog', {
    options: { device: { type: 'tap', name, hostIp: '10.20.0.1/24' }, ip: '10.20.0.2/24' },
  })
  const info = await ctlJson(['list'])
  const mine = info.find((s: any) => s.pid === stack.pid)
  t.ok(mine, 'gazellectl list finds the stack in the namespace (unix sockets are not per netns)')
  const records = () => stack.call<any[]>('logRecords')
  const malformed = async () => (await records()).filter((r) => r.event === 'malformed-dropped')
  const chkerr = async () => (await ctlJson(['stats', String(stack.pid)])).counters.ip.chkerr as number

  await t.test('bad IP checksums: counted, logged once per interval', async (t) => {
    const send = (n: number) => execIn(netns, 'python3', [BAD_FRAMES, name, mine.mac, '10.20.0.1', '10.20.0.2', String(n)])
    const sent = await send(5)
    t.equal(sent.code, 0, sent.stderr)
    const first = await waitFor(async () => (await malformed())[0], 10_000, 'a malformed-dropped line')
    t.equal(first.level, 'warn')
    // IPv6 frames the kernel sends on the tap are not malformed: only our bad frames count
    t.ok(first.dropped >= 1 && first.dropped <= 5, `dropped ${first.dropped}: ${JSON.stringify(first)}`)
    t.equal(first.byReason.chkerr, first.dropped, 'all for bad checksums')
    await send(5)
    await waitFor(async () => (await chkerr()) === 10, 10_000, 'ip.chkerr to reach 10')
    await new Promise((r) => setTimeout(r, 2500))   // more than two monitor checks
    t.equal((await malformed()).length, 1, 'the second burst is inside the 10 s window: no new line')
  })

  await t.test('link down and up on the kernel side', async (t) => {
    const down = await execIn(netns, 'ip', ['link', 'set', 'dev', name, 'down'])
    t.equal(down.code, 0, down.stderr)
    await waitFor(async () => (await records()).some((r) => r.event === 'link-down' && r.level === 'warn'), 10_000, 'link-down')
    const up = await execIn(netns, 'ip', ['link', 'set', 'dev', name, 'up'])
    t.equal(up.code, 0, up.stderr)
    await waitFor(async () => (await records()).some((r) => r.event === 'link-up'), 10_000, 'link-up')
    t.pass('link-down then link-up logged')
  })
})
