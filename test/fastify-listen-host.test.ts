// Mode 'replace' never widens a listen: a loopback host (127.0.0.1, ::1, 'localhost') asks
// for a service only this machine reaches, and the stack can only serve on its network
// address, so listen() fails with a typed error and nothing listens, on the stack or the
// kernel. A wildcard or the stack's own address is served on the stack, and the caller's
// listen options object is left as it was.
import t from 'tap'
import { cleanup, execIn } from './helpers/cleanup'
import { curl, startApp } from './helpers/fastify'
import { needStack, tapStack } from './helpers/harness'
import type { Test } from 'tap'

type T = Test

cleanup.hook(t)

t.test('Fastify mode "replace": loopback listen hosts are refused, never served on the stack', needStack(), async (t) => {
  const { netns, stack, stackIp } = await tapStack(t)
  const port = 7100
  const nothingListens = async (t: T) => {
    const ss = await execIn(netns, 'ss', ['-Hltn'], 5000)
    t.equal(ss.stdout.trim(), '', `no kernel socket listens: ${ss.stdout}`)
    const r = await curl(netns, [`http://${stackIp}:${port}/hello`])
    t.not(r.code, 0, `the stack does not serve it either (curl exit ${r.code})`)
  }

  for (const host of ['127.0.0.1', 'localhost', '::1']) {
    await t.test(`plugin, listen({ host: ${JSON.stringify(host)} })`, async (t) => {
      await t.rejects(startApp(stack, { port, listenHost: host }), {
        code: 'ERR_GAZELLE_INVALID_OPTION',
        message: new RegExp(`listen options\\.host "${host.replace(/\./g, '\\.')}" is a loopback host: in mode "replace" only the stack listens`),
      })
      await nothingListens(t)
    })
  }

  await t.test('serverFactory, listen() without a host (Fastify passes "localhost"): refused, saying why', async (t) => {
    await t.rejects(startApp(stack, { form: 'factory', port }), {
      code: 'ERR_GAZELLE_INVALID_OPTION',
      message: /"localhost" is a loopback host \("localhost" is also what Fastify passes when listen\(\) is given no host/,
    })
    await nothingListens(t)
  })

  await t.test('another address than the stack\'s is refused', async (t) => {
    await t.rejects(startApp(stack, { port, listenHost: '10.20.0.77' }), {
      code: 'ERR_GAZELLE_INVALID_OPTION', message: /"10\.20\.0\.77" is not the stack's address/,
    })
  })

  const served = async (t: T, opts: Parameters<typeof startApp>[1], what: string) => {
    const app = await startApp(stack, { port, ...opts })
    t.equal(app.url, `http://${stackIp}:${port}`, `${what}: served on the stack's address`)
    t.equal(app.listenOptionsAfter, 'unchanged', 'the caller\'s listen options object is unchanged')
    const r = await curl(netns, [`http://${stackIp}:${port}/hello`])
    t.equal(r.status, 200, `curl reaches it ${r.stderr}`)
    const ss = await execIn(netns, 'ss', ['-Hltn'], 5000)
    t.equal(ss.stdout.trim(), '', 'and no kernel socket listens')
    await stack.call('fastify', { fn: 'close' })
  }
  await t.test('plugin, no host', (t) => served(t, {}, 'no host'))
  await t.test('plugin, host "0.0.0.0"', (t) => served(t, { listenHost: '0.0.0.0' }, '0.0.0.0'))
  await t.test('plugin, the stack\'s address', (t) => served(t, { listenHost: stackIp }, 'stack address'))
  await t.test('serverFactory, host "0.0.0.0"', (t) => served(t, { form: 'factory', listenHost: '0.0.0.0' }, 'factory'))
})
