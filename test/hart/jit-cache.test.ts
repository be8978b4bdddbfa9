// The content-keyed translation cache (src/hart/jit-cache.ts): a page translated to the same WebAssembly bytes
// again (another hart, the same code re-loaded after a store dropped it) is instantiated from the module compiled
// the first time, runs exactly as interpreted, and the cache keeps to its byte budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GuestMemory, Hart } from '../../src/hart/index.js';
import { TranslationCache } from '../../src/hart/jit-cache.js';
import { RAM, B, J, encode, isaSet, addi } from './asm.js';

const ISA = 'i m a c zca zicsr zicntr';

function program(seed: number): Uint8Array {
  return encode([
    addi(1, 0, 0), addi(2, 0, seed), addi(3, 0, 1000),
    0x00110133, // add x2, x2, x1
    addi(1, 1, 1),
    B(-8, 3, 1, 4), // blt x1, x3, -8
    J(0, 0),
  ]);
}

function load(bytes: Uint8Array, jit: boolean, jitAsync = false): { hart: Hart; mem: GuestMemory } {
  const mem = new GuestMemory({ maxRamBytes: 1 << 20 });
  mem.addRam(RAM, 1 << 20);
  mem.ram(RAM, bytes.length).set(bytes);
  const hart = new Hart({ memory: mem, isa: isaSet(ISA), hartId: 0, clock: 'icount', jit, jitHot: 0, jitAsync });
  hart.setPc(BigInt(RAM));
  return { hart, mem };
}

function run(bytes: Uint8Array, jit: boolean, budget: number): { hart: Hart; mem: GuestMemory } {
  const { hart, mem } = load(bytes, jit);
  for (let k = 0; k < budget; k += 500) hart.run(500); // every run() enters the page again: translated by the second
  return { hart, mem };
}

test('the same page content translated by a second hart comes from the cache and runs as interpreted', () => {
  const bytes = program(7 + Math.floor(Math.random() * 1000)); // content no other test translated
  const first = run(bytes, true, 5000);
  assert.ok(first.hart.jitStats.pages >= 1, 'translated');
  const second = run(bytes, true, 5000);
  assert.ok(second.hart.jitStats.cacheHits >= 1, 'the module came from the cache');
  const interp = run(bytes, false, 5000);
  for (const h of [first.hart, second.hart]) {
    assert.equal(h.getX(2), interp.hart.getX(2));
    assert.equal(h.getPc(), interp.hart.getPc());
    assert.equal(h.instret, interp.hart.instret);
    assert.ok(h.jitStats.retiredTranslated > 0 && h.jitStats.retiredTranslated <= h.instret, 'counted where they ran');
  }
});

test('a page whose code is dropped by a store and written back unchanged is not compiled again', () => {
  const bytes = program(3000 + Math.floor(Math.random() * 1000));
  const { hart, mem } = run(bytes, true, 5000);
  const made = hart.jitStats.pages, hits = hart.jitStats.cacheHits;
  mem.ram(RAM, bytes.length).set(bytes); mem.invalidate(RAM, bytes.length); // DMA re-loads the same code
  hart.setPc(BigInt(RAM));
  for (let k = 0; k < 10; k++) hart.run(500);
  assert.equal(hart.jitStats.pages, made + 1, 'translated again');
  assert.equal(hart.jitStats.cacheHits, hits + 1, 'from the cache');
});

test('the cache evicts the least recently used modules beyond its byte budget', () => {
  const mod = new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  const c = new TranslationCache(100);
  const b = (v: number): Uint8Array => new Uint8Array(40).fill(v);
  c.insert(b(1), mod); c.insert(b(2), mod);
  assert.equal(c.lookup(b(1)), mod); // 1 is now the most recently used
  c.insert(b(3), mod); // 120 bytes > 100: 2 goes
  assert.equal(c.size, 2);
  assert.equal(c.lookup(b(2)), undefined);
  assert.equal(c.lookup(b(1)), mod);
  assert.equal(c.lookup(b(3)), mod);
  assert.equal(c.lookup(new Uint8Array(40).fill(4)), undefined);
});

/** let the event loop run until the hart's pending compile is ready (or give up after ~10 s) */
async function compiled(hart: Hart): Promise<void> {
  for (let k = 0; k < 2000 && [...hart.jitPending.values()].some((p) => p.module === null); k++) {
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('jitAsync: the page is interpreted while V8 compiles it, and translated from the first entry after', async () => {
  const bytes = program(5000 + Math.floor(Math.random() * 1000));
  const { hart } = load(bytes, true, true);
  hart.run(500); hart.run(500);
  assert.equal(hart.jitStats.pages, 0, 'nothing installed before the event loop ran');
  assert.equal(hart.jitPending.size, 1, 'one compile in flight');
  await compiled(hart);
  for (let k = 0; k < 8; k++) hart.run(500);
  assert.equal(hart.jitStats.pages, 1, 'installed');
  assert.equal(hart.jitPending.size, 0);
  assert.ok(hart.jitStats.retiredTranslated > 0, 'ran translated');
  const interp = run(bytes, false, 5000);
  assert.equal(hart.getX(2), interp.hart.getX(2));
  assert.equal(hart.instret, interp.hart.instret);
  assert.equal(hart.getPc(), interp.hart.getPc());
});

test('jitAsync: a compile of code that a store changed meanwhile is never installed', async () => {
  const bytes = program(6000 + Math.floor(Math.random() * 1000));
  const { hart, mem } = load(bytes, true, true);
  hart.run(500); hart.run(500);
  assert.equal(hart.jitPending.size, 1);
  const other = program(7000 + Math.floor(Math.random() * 1000));
  mem.ram(RAM, other.length).set(other); mem.invalidate(RAM, other.length); // new code in the page
  assert.equal(hart.jitPending.size, 0, 'the pending compile is forgotten');
  await new Promise((r) => setTimeout(r, 50));
  hart.setPc(BigInt(RAM));
  for (let k = 0; k < 10; k++) hart.run(500);
  await compiled(hart);
  for (let k = 0; k < 10; k++) hart.run(500);
  const interp = run(other, false, 5000);
  assert.equal(hart.getX(2), interp.hart.getX(2), 'the new code ran');
});

test('jitAsync: a page with new code is translated again while its old translation keeps running', async () => {
  // a loop that calls a block at +0x200 once x6 is set: the block is reached only through jalr, so the page's
  // first translation does not hold it and the interpreter decodes it (20 new instructions: enough to translate
  // the page again, interp.ts decodeSlot)
  const seed = 8000 + Math.floor(Math.random() * 1000);
  const loop = encode([
    addi(5, 5, 1), // 0
    B(8, 0, 6, 0), // 4: beq x6, x0, +8
    0x000380e7, // 8: jalr x1, 0(x7)
    J(-12, 0), // 12
  ]);
  const block = encode([addi(2, 0, seed), ...Array.from({ length: 20 }, () => addi(8, 8, 1)), 0x00008067 /* ret */]);
  const bytes = new Uint8Array(0x200 + block.length);
  bytes.set(loop); bytes.set(block, 0x200);
  const start = (jit: boolean): Hart => {
    const { hart } = load(bytes, jit, true);
    hart.setX(7, BigInt(RAM + 0x200));
    return hart;
  };
  const hart = start(true), interp = start(false);
  const both = (f: (h: Hart) => void): void => { f(hart); f(interp); };
  both((h) => { h.run(500); h.run(500); });
  await compiled(hart);
  both((h) => { for (let k = 0; k < 4; k++) h.run(500); });
  assert.equal(hart.jitStats.pages, 1, 'first translation installed');
  both((h) => { h.setX(6, 1n); for (let k = 0; k < 4; k++) h.run(500); }); // the block runs: new code
  assert.equal(hart.jitStats.retranslated, 1, JSON.stringify(hart.jitStats));
  assert.equal(hart.jitPending.size, 1, 'the new translation compiles');
  const ranBefore = hart.jitStats.retiredTranslated;
  both((h) => { for (let k = 0; k < 4; k++) h.run(500); });
  assert.ok(hart.jitStats.retiredTranslated > ranBefore, 'the old translation runs meanwhile');
  await compiled(hart);
  assert.equal(hart.jitStats.pages, 2, 'the new translation replaced it');
  const x8 = hart.getX(8);
  both((h) => { for (let k = 0; k < 8; k++) h.run(500); });
  assert.ok(hart.getX(8) > x8);
  assert.equal(hart.jitStats.retranslated, 1, 'the block is in the new translation');
  assert.equal(hart.jitStats.dropped, 0);
  for (let r = 0; r < 32; r++) assert.equal(hart.getX(r), interp.getX(r), `x${r}`);
  assert.equal(hart.instret, interp.instret);
  assert.equal(hart.getPc(), interp.getPc());
});
