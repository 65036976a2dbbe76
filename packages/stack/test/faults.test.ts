// Fault injection options: the string form (GAZELLE_FAULTS, gazellectl set faults) and
// the object form resolve to the same rates; bad specs name what is wrong.
import t from 'tap'
import { parseFaultSpec, resolveFaults } from '../src/faults'

t.test('string specs', async (t) => {
  t.same(parseFaultSpec('drop=1%,dup=1%,reorder=5%,delay=2ms,corrupt=0.1%', 'x'), {
    drop: 0.01, duplicate: 0.01, reorder: 0.05, delayMs: 2, corrupt: 0.001,
  })
  t.same(parseFaultSpec('rx.loss=0.03, tx.delay=500us, seed=42', 'x'), { rx: { drop: 0.03 }, tx: { delayMs: 0.5 }, seed: 42 })
  for (const off of ['off', '', ' none ']) t.equal(parseFaultSpec(off, 'x'), null)
  for (const bad of ['drop', 'drop=x', 'jitter=1%', 'drop=1ms', 'delay=5%', 'up.drop=1%']) {
    t.throws(() => parseFaultSpec(bad, 'GAZELLE_FAULTS'), { code: 'ERR_GAZELLE_INVALID_OPTION', message: /GAZELLE_FAULTS/ }, bad)
  }
})

t.test('resolved rates: top level for both directions, rx/tx override', async (t) => {
  const r = resolveFaults({ drop: 0.01, delayMs: 1, tx: { drop: 0.05 }, seed: 7 })!
  t.same(r, {
    rx: { drop: 0.01, duplicate: 0, reorder: 0, corrupt: 0, delayUs: 1000 },
    tx: { drop: 0.05, duplicate: 0, reorder: 0, corrupt: 0, delayUs: 1000 },
    seed: 7,
  })
  t.same(resolveFaults('rx.dup=2%,seed=1'), {
    rx: { drop: 0, duplicate: 0.02, reorder: 0, corrupt: 0, delayUs: 0 },
    tx: { drop: 0, duplicate: 0, reorder: 0, corrupt: 0, delayUs: 0 },
    seed: 1,
  })
  t.ok(resolveFaults('drop=1%')!.seed > 0, 'a random seed by default')
  for (const none of [undefined, null, 'off', { drop: 0 }]) t.equal(resolveFaults(none), null, `${JSON.stringify(none)}: off`)
})

t.test('bad objects name the option', async (t) => {
  t.throws(() => resolveFaults({ drop: 2 }), { message: /options\.faults\.drop must be a fraction from 0 to 1/ })
  t.throws(() => resolveFaults({ loss: 0.1 }), { message: /options\.faults\.loss/ })
  t.throws(() => resolveFaults({ rx: { jitter: 1 } }), { message: /options\.faults\.rx\.jitter/ })
  t.throws(() => resolveFaults({ delayMs: -1 }), { message: /options\.faults\.delayMs/ })
  t.throws(() => resolveFaults({ seed: 1.5 }), { message: /options\.faults\.seed/ })
  t.throws(() => resolveFaults(42), { message: /options\.faults must be/ })
})
