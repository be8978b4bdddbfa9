// The interpreter's warm-up (src/hart/warmup.ts): its program must really run every path it is there for, in both
// modes, to its end; a program that trapped in a loop or stopped early would give V8 no feedback for the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hart } from '../../src/hart/index.js';
import { runWarmup, WARMUP_END } from '../../src/hart/warmup.js';

test('the warm-up program runs all its rounds in M-mode and in S-mode, with MMIO exits and translated code', () => {
  const runs = runWarmup(Hart);
  assert.deepEqual(runs.map((r) => r.mode), [3, 1]);
  for (const r of runs) {
    assert.equal(r.rounds, 0n, `mode ${r.mode}: loop counter`);
    assert.equal(r.pc, WARMUP_END, `mode ${r.mode}: ends in its final spin`);
    assert.equal(r.mmioExits, 4, `mode ${r.mode}: one MMIO exit a round`);
    assert.ok(r.translations >= 1, `mode ${r.mode}: entered translated code`);
  }
});
