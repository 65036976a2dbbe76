// The addon and this package agree on their contract (API version, event types, UDP
// options, poll modes, errno values), and a stale addon is named as such.
import t from 'tap'
import { contractMismatches } from '../src/binding'
import { API_VERSION, EVENT_SLOTS, Ev, PollMode, UdpOption } from '../src/native'
import { FakeBinding } from './helpers/fake-binding'

const addon = require('@gazelle/native') as Record<string, unknown>

t.test('the built addon speaks this package\'s contract', async (t) => {
  t.equal(addon.apiVersion, API_VERSION)
  t.same(contractMismatches(addon), [])
  const c = addon.constants as Record<string, Record<string, number>>
  t.equal(c.Ev.Data, Ev.Data)
  t.equal(c.UdpOption.SendBuffer, UdpOption.SendBuffer)
  t.equal(c.PollMode.Interrupt, PollMode.Interrupt)
  t.equal(addon.constants && (addon.constants as { eventSlots: number }).eventSlots, EVENT_SLOTS)
  t.ok(Object.keys(c.errno).length >= 10, 'the errno values the native calls return')
})

t.test('an addon built before the contract had a version is out of date', async (t) => {
  t.same(contractMismatches({ stackOpen() {} }), [`API version none, this package needs ${API_VERSION}`])
  t.same(contractMismatches({ apiVersion: API_VERSION + 1 }), [
    `API version ${API_VERSION + 1}, this package needs ${API_VERSION}`,
  ])
})

t.test('each constant that differs is named', async (t) => {
  const c = addon.constants as Record<string, Record<string, number>>
  const stale = {
    ...addon,
    constants: {
      ...c,
      eventSlots: 4,
      Ev: { ...c.Ev, Data: 99, Extra: 7 },
      PollMode: undefined,
      errno: { ...c.errno, EPIPE: 1 },
    },
  }
  t.same(contractMismatches(stale), [
    `eventSlots is ${EVENT_SLOTS} here, 4 in the addon`,
    'Ev.Data is 3 here, 99 in the addon',
    'Ev.Extra is unknown here, 7 in the addon',
    'no PollMode table in the addon',
    'errno.EPIPE is 32 here, 1 in the addon',
  ])
})

t.test("the addon's functions are NativeBinding's, no more, no less", async (t) => {
  // FakeBinding implements NativeBinding (the compiler checks it has every method).
  const declared = Object.getOwnPropertyNames(FakeBinding.prototype)
    .filter((k) => k !== 'constructor' && !['callsFor', 'sent', 'deliver'].includes(k))
    .sort()
  const exported = Object.keys(addon).filter((k) => typeof addon[k] === 'function').sort()
  t.same(exported, declared)
})
