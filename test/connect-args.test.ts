// stack.connect() splits its failures as net.connect() does: wrong argument types and bad
// ports throw at the call; what node:net finds out later (a name to look up, a local
// address to bind) arrives as an 'error' event. Each case runs on node:net too, as the
// reference.
import t from 'tap'
import { cleanup, memifSocket } from './helpers/cleanup'
import { needStack, StackProcess } from './helpers/harness'

cleanup.hook(t)

t.test('stack.connect(): what throws and what is an error event, as in node:net', needStack(), async (t) => {
  const stack = await StackProcess.start(t, { name: 'connect-args' })
  await stack.createStack({ device: { type: 'memif', role: 'server', socket: memifSocket() }, ip: '10.10.7.1/24' })
  const kernel = await StackProcess.start(t, { kernel: true, name: 'kernel-reference' })

  const cases: { what: string; options: Record<string, unknown>; threw: boolean; code: string; stackCode?: string; message?: RegExp }[] = [
    { what: 'a host name (node looks it up, later)', options: { host: 'localhost', port: 9 }, threw: false, code: 'ECONNREFUSED',
      stackCode: 'ERR_GAZELLE_INVALID_OPTION', message: /options\.host must be an IPv4 address like "10\.0\.0\.2" \(the stack does no DNS lookups\), got "localhost"/ },
    { what: 'a host that is not a string', options: { host: 123, port: 9 }, threw: true, code: 'ERR_INVALID_ARG_TYPE' },
    { what: 'a bad port', options: { host: '10.10.7.2', port: 70000 }, threw: true, code: 'ERR_SOCKET_BAD_PORT' },
    { what: 'a localAddress that is no IP', options: { host: '10.10.7.2', port: 9, localAddress: 'nope' }, threw: true, code: 'ERR_INVALID_IP_ADDRESS' },
    { what: 'a localAddress this host does not have (bind fails, later)', options: { host: '10.10.7.2', port: 9, localAddress: '10.99.9.9' },
      threw: false, code: 'EADDRNOTAVAIL' },
  ]
  for (const c of cases) {
    await t.test(c.what, async (t) => {
      const ref = await kernel.call('connectOutcome', { options: c.options })
      t.equal(ref.threw, c.threw, `node:net ${c.threw ? 'throws' : "emits 'error'"} (${ref.code})`)
      t.equal(ref.code, c.code, `node:net: ${ref.code}`)
      const r = await stack.call('connectOutcome', { options: c.options })
      t.equal(r.threw, c.threw, `the stack ${c.threw ? 'throws' : "emits 'error'"} too: ${r.message}`)
      t.equal(r.code, c.stackCode ?? c.code, `the stack: ${r.code}`)
      if (c.message) t.match(r.message, c.message)
    })
  }
})
