import * as net from 'node:net'
import t from 'tap'
import { GazelleError } from '../src/errors'
import { boolean, describeValue, integer, invalidOption, oneOf, port, string } from '../src/validate'

t.test('invalidOption names option, expected and actual', async (t) => {
  const e = invalidOption('options.mtu', 'an integer from 576 to 9000', 'big')
  t.ok(e instanceof GazelleError)
  t.equal(e.code, 'ERR_GAZELLE_INVALID_OPTION')
  t.equal(e.message, 'options.mtu must be an integer from 576 to 9000, got "big"')
})

t.test('describeValue', async (t) => {
  t.equal(describeValue('x'), '"x"')
  t.equal(describeValue(3), '3')
  t.equal(describeValue(undefined), 'undefined')
  t.equal(describeValue(null), 'null')
  t.equal(describeValue({ a: 1 }), '{ a: 1 }')
  t.equal(describeValue(function named() {}), 'function named')
  t.equal(describeValue(() => {}), 'function (anonymous)')
})

t.test('helpers', async (t) => {
  t.equal(integer(undefined, 'n', 0, 9, 4), 4)
  t.equal(integer(9, 'n', 0, 9), 9)
  t.throws(() => integer(undefined, 'n', 0, 9), { message: 'n must be an integer from 0 to 9, got undefined' })
  t.equal(boolean(undefined, 'b', true), true)
  t.equal(boolean(false, 'b', true), false)
  t.throws(() => boolean(1, 'b', false), { code: 'ERR_GAZELLE_INVALID_OPTION', message: 'b must be a boolean, got 1' })
  t.equal(oneOf(undefined, 'm', ['a', 'b'], 'b'), 'b')
  t.throws(() => oneOf('c', 'm', ['a', 'b']), { message: 'm must be one of "a", "b", got "c"' })
  t.equal(string('ok', 's', 'ok', (s) => s === 'ok'), 'ok')
  t.throws(() => string(1, 's', 'a string', () => true), { message: 's must be a string, got 1' })
})

t.test('port: Node code and message', async (t) => {
  t.equal(port(80, 'options.port', false), 80)
  t.equal(port('8080', 'options.port', false), 8080)
  t.equal(port(0, 'options.port', true), 0)
  t.equal(port(65535, 'options.port', true), 65535)
  for (const bad of [0, -1, 65536, 1.5, NaN, '', ' ', 'http', null, undefined, {}]) {
    t.throws(() => port(bad, 'options.port', false), { code: 'ERR_SOCKET_BAD_PORT' }, String(bad))
  }
  // node:net's shape: a RangeError whose stack names the code, and node's message.
  t.throws(() => port(-1, 'options.port', true), {
    name: 'RangeError',
    message: 'options.port should be >= 0 and < 65536. Received type number (-1).',
  })
  t.throws(() => port('x', 'options.localPort', false), {
    message: "options.localPort should be > 0 and < 65536. Received type string ('x').",
  })
  let nodeErr: Error | undefined
  try {
    net.connect({ port: -1, host: '127.0.0.1' })
  } catch (err) {
    nodeErr = err as Error
  }
  let ours: Error | undefined
  try {
    port(-1, 'Port', true)
  } catch (err) {
    ours = err as Error
  }
  t.ok(ours instanceof RangeError)
  t.same({ message: ours?.message, keys: Object.keys(ours!), first: ours?.stack?.split('\n')[0] },
    { message: nodeErr?.message, keys: Object.keys(nodeErr!), first: nodeErr?.stack?.split('\n')[0] },
    'the same as net.connect({ port: -1 })')
})
