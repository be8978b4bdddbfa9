import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Plic } from '../../../src/vmm/devices/plic.js';
import { VmmError } from '../../../src/vmm/errors.js';

// riscv,plic0 layout (from the PLIC specification, independent of the device's constants)
const prio = (id: number) => 4 * id;
const pendingWord = (w: number) => 0x1000 + 4 * w;
const enableWord = (ctx: number, w: number) => 0x2000 + 0x80 * ctx + 4 * w;
const threshold = (ctx: number) => 0x200000 + 0x1000 * ctx;
const claim = (ctx: number) => 0x200004 + 0x1000 * ctx;

function setup(ndev = 40, contexts = 2) {
  const levels: boolean[][] = Array.from({ length: contexts }, () => []);
  const plic = new Plic({ base: 0xc000000, ndev, contexts, onContextChange: (c, l) => levels[c].push(l) });
  const r = (o: number) => plic.read(o, 4);
  const w = (o: number, v: number) => plic.write(o, 4, v);
  const out = (ctx: number) => plic.contextLevel(ctx);
  return { plic, r, w, out, levels };
}

test('plic: a level source pends, raises only enabled contexts above threshold, claim/complete', () => {
  const { plic, r, w, out, levels } = setup();
  const line = plic.irqLine(10);
  line.set(true);
  assert.equal(r(pendingWord(0)), 1 << 10);
  assert.equal(out(0), false, 'priority 0 never interrupts');
  w(prio(10), 3);
  assert.equal(out(0), false, 'not enabled');
  w(enableWord(0, 0), 1 << 10);
  assert.equal(out(0), true);
  assert.equal(out(1), false, 'context 1 did not enable it');
  w(threshold(0), 3);
  assert.equal(out(0), false, 'priority must exceed the threshold');
  w(threshold(0), 2);
  assert.equal(out(0), true);
  assert.equal(r(claim(0)), 10);
  assert.equal(out(0), false, 'claimed: no longer pending');
  assert.equal(r(pendingWord(0)), 0);
  assert.equal(r(claim(0)), 0, 'nothing else to claim');
  w(claim(0), 10); // complete with the line still high: pends again
  assert.equal(out(0), true);
  assert.equal(r(claim(0)), 10);
  line.set(false);
  w(claim(0), 10);
  assert.equal(out(0), false);
  assert.deepEqual(levels[0], [true, false, true, false, true, false]);
});

test('plic: highest priority wins, ties go to the lowest id; sources above 32 use the next word', () => {
  const { plic, r, w } = setup();
  for (const id of [5, 7, 33]) {
    w(prio(id), id === 33 ? 6 : 4);
    plic.irqLine(id).set(true);
  }
  w(enableWord(1, 0), (1 << 5) | (1 << 7));
  w(enableWord(1, 1), 1 << 1);
  assert.equal(r(pendingWord(1)), 1 << 1);
  assert.equal(r(claim(1)), 33);
  assert.equal(r(claim(1)), 5);
  assert.equal(r(claim(1)), 7);
  assert.equal(r(claim(1)), 0);
});

test('plic: completion of a source not enabled for the context is ignored', () => {
  const { plic, r, w } = setup();
  w(prio(3), 1);
  w(enableWord(0, 0), 1 << 3);
  plic.irqLine(3).set(true);
  assert.equal(r(claim(0)), 3);
  w(claim(1), 3); // context 1 has not enabled source 3
  assert.equal(r(pendingWord(0)), 0, 'still in service');
  w(claim(0), 3);
  assert.equal(r(pendingWord(0)), 1 << 3);
});

test('plic: registers: priority clamps to 7, source 0 and sources beyond ndev are not writable', () => {
  const { r, w } = setup(40);
  w(prio(1), 0xffffffff);
  assert.equal(r(prio(1)), 7);
  w(prio(0), 5);
  assert.equal(r(prio(0)), 0);
  w(enableWord(0, 0), 0xffffffff);
  assert.equal(r(enableWord(0, 0)), 0xfffffffe);
  w(enableWord(0, 1), 0xffffffff);
  assert.equal(r(enableWord(0, 1)), (1 << 9) - 1, 'ids 32..40');
  w(pendingWord(0), 0xffffffff);
  assert.equal(r(pendingWord(0)), 0, 'pending is read-only');
  w(threshold(1), 4);
  assert.equal(r(threshold(1)), 4);
  assert.equal(r(threshold(2)), 0, 'no such context');
});

test('plic: bad configuration and source ids are errors', () => {
  const { plic } = setup(40);
  assert.throws(() => plic.irqLine(0), VmmError);
  assert.throws(() => plic.irqLine(41), /outside 1..40/);
  assert.throws(() => new Plic({ base: 0, ndev: 0, contexts: 1, onContextChange: () => {} }), /ndev 0/);
  assert.throws(() => new Plic({ base: 0, ndev: 1024, contexts: 1, onContextChange: () => {} }), /ndev 1024/);
});
