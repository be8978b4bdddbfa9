// Machine.step and translations compiled in the background (jitAsync): the compiled module reaches the hart only
// through the event loop, so while one is compiling a step under the wall clock ends after COMPILE_WAIT_MS
// instead of running its whole budget interpreted; under icount (reproducible runs) steps never end for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Machine } from '../../src/vmm/machine.js';
import { spinImage } from './helpers.js';

const machine = (clock: 'wall' | 'icount') =>
  new Machine({ kernel: spinImage(), memBytes: 16 << 20, rng: false, clock, console: () => {}, jit: true, jitHot: 1000, jitAsync: true });
const nextTask = () => new Promise<void>((r) => setImmediate(r));

test('wall clock: a step ends soon after a translation starts compiling, and the next steps run it once it is in', async () => {
  const m = machine('wall');
  // interpreted, 200 M instructions of "j ." take seconds: the step must end long before
  assert.equal(m.step(200_000_000, 60_000).kind, 'running');
  assert.ok(m.instructions < 50_000_000, `the first step ran ${m.instructions} instructions`);
  let k = 0;
  for (; k < 5000 && (m.translationStats()?.retiredTranslated ?? 0) === 0; k++) {
    await nextTask();
    m.step(1_000_000, 50);
  }
  const s = m.translationStats()!;
  assert.equal(s.pages, 1, JSON.stringify(s));
  assert.ok(s.retiredTranslated > 0, `translated code ran after ${k} steps`);
});

test('icount: a step runs its whole budget even while a translation compiles', () => {
  const m = machine('icount');
  assert.equal(m.step(3_000_000, Infinity).kind, 'running');
  assert.equal(m.instructions, 3_000_000);
});
