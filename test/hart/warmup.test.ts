// The interpreter's warm-up (src/hart/warmup.ts): its program must really run every path it is there for, in both
// modes, to its end; a program that trapped in a loop or stopped early would give V8 no feedback for the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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

test('HartOptions.warmupAfter: the warm-up waits until the hart has retired that many instructions (a fresh process)', () => {
  // a loop of 1000 rounds (3000 instructions), run in slices of 100: no warm-up before 2000, then one
  const script = `
    import { Hart, GuestMemory } from './src/hart/index.js';
    import { warmedUp } from './src/hart/warmup.js';
    const mem = new GuestMemory({ maxRamBytes: 1 << 20 });
    mem.addRam(0x80000000, 1 << 20);
    const code = new Uint32Array([0x3e800513, 0xfff50513, 0xfe051ee3, 0x0000006f]); // li a0,1000; addi a0,-1; bnez a0,-4; j .
    mem.ram(0x80000000, 16).set(new Uint8Array(code.buffer));
    const hart = new Hart({ memory: mem, isa: new Set(['i']), hartId: 0, clock: 'icount', warmupAfter: 2000 });
    hart.setPc(0x80000000n);
    const seen = [];
    for (let k = 0; k < 30; k++) { hart.run(100); seen.push(hart.instret + ':' + warmedUp()); }
    console.log(seen.join(' '));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('../..', import.meta.url), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const steps = r.stdout.trim().split(' ').map((s) => s.split(':'));
  for (const [n, w] of steps) {
    // run() checks before its slice: warmed once a slice starts at or past 2000
    assert.equal(w, Number(n) > 2000 ? 'true' : 'false', r.stdout);
  }
});
