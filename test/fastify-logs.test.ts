// Logs when the Fastify plugin creates the stack: the stack's events reach Fastify's
// logger without any option, and DPDK's own lines go there too (as 'dpdk' events)
// instead of the process's stderr.
import t from 'tap'
import { cleanup, memifSocket } from './helpers/cleanup'
import { needStack, StackProcess } from './helpers/harness'

cleanup.hook(t)

t.test('the plugin\'s stack logs to Fastify\'s logger; DPDK lines too, not to stderr', needStack(), async (t) => {
  const app = await StackProcess.start(t, { name: 'fastify-logs' })
  await app.use('fastify')
  const socket = memifSocket()
  // A memif debug line DPDK writes while the port opens ("Memif listener socket ... created").
  const stackOptions = { device: { type: 'memif', role: 'server', socket }, ip: '10.10.11.1/24', eal: ['--log-level=pmd.net.memif:debug'] }
  const lines: { level: number; msg: string; event?: string; module?: string; line?: string }[] =
    await app.call('fastify', { fn: 'ownStackLogs', stackOptions, level: 'debug' }, 60_000)
  const events = lines.filter((l) => l.module === 'gazelle').map((l) => l.event)
  t.ok(events.includes('stack-open'), `stack-open in Fastify's log: ${events}`)
  t.ok(events.includes('stack-close'), 'stack-close too')
  const dpdk = lines.filter((l) => l.event === 'dpdk')
  t.ok(dpdk.some((l) => /Memif listener socket .* created/.test(l.line ?? '')), `DPDK's own line as a 'dpdk' event: ${JSON.stringify(dpdk)}`)
  t.notMatch(app.output(), /memif_socket_create|Memif listener socket/, 'and not on the process\'s stderr')

  const quiet: typeof lines = await app.call('fastify', { fn: 'ownStackLogs', stackOptions: { ...stackOptions, eal: undefined }, level: 'warn' }, 60_000)
  t.equal(quiet.filter((l) => l.module === 'gazelle').length, 0, 'at level warn, an ordinary open and close log nothing')
})
