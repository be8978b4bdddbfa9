// Entries learned from where the interpreter arrives (Hart.jitArrival): a translation's entries are only where
// control arrives inside its page, so a page entered from elsewhere at another instruction is interpreted up to
// its next entry, until that instruction has been arrived at often enough to be an entry of its next translation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GuestMemory, Hart } from '../../src/hart/index.js';
import { RAM, I, R, B, J, addi, encode, isaSet, type Insn } from './asm.js';

const ISA = 'i m a c zca zicsr zifencei zicntr';

function makeHart(prog: Insn[], jit: boolean, jitHot = 0): Hart {
  const mem = new GuestMemory({ maxRamBytes: 1 << 20 });
  mem.addRam(RAM, 1 << 20);
  const bytes = encode(prog);
  mem.ram(RAM, bytes.length).set(bytes);
  const hart = new Hart({ memory: mem, isa: isaSet(ISA), hartId: 0, clock: 'icount', jit, jitHot });
  hart.setPc(BigInt(RAM));
  return hart;
}

// page A calls into the middle of page B's loop (B + 8, which falls through from B + 4: no entry of its own)
const CALLER = [
  addi(5, 0, 50), // loop: x5 = 50
  J(0x1000 + 8 - 4, 1), // jal ra, B + 8
  addi(13, 13, 1),
  J(-12, 0), // j loop
];
const CALLEE = [
  addi(6, 0, 1), // B
  addi(6, 6, 3), // B + 4: the loop
  R(0, 6, 7, 0, 7, 0x33), // B + 8: add x7, x7, x6
  addi(5, 5, -1),
  B(-12, 0, 5, 1), // bne x5, x0, B + 4
  I(0, 1, 0, 0, 0x67), // ret
];
const PROG = [...CALLER, ...new Array<Insn>(1024 - CALLER.length).fill(addi(0, 0, 0)), ...CALLEE];

/** whether the translation of the page holding gpa has an entry there (undefined: no translation) */
const entryOf = (h: Hart) => (gpa: number): number | undefined => {
  const host = h.mem.hostOffset(gpa, 4);
  return h.jitPages[host >>> 12]?.entry[(host & 0xfff) >>> 1];
};

test('an instruction arrived at from another page becomes an entry of its page, and the state matches the interpreter', () => {
  const interp = makeHart(PROG, false), jit = makeHart(PROG, true);
  const entryAt = entryOf(jit);
  jit.run(10_007); interp.run(10_007); // some 48 calls: fewer than JIT_ARRIVALS
  assert.equal(entryAt(RAM + 0x1004), 1, 'the loop head is an entry');
  assert.equal(entryAt(RAM + 0x1008), 0, 'B + 8 is no entry yet');
  const retranslated = jit.jitStats.retranslated;
  for (let k = 0; k < 9; k++) { jit.run(10_007); interp.run(10_007); }
  assert.equal(entryAt(RAM + 0x1008), 1, 'B + 8 is an entry now');
  assert.ok(jit.jitStats.retranslated > retranslated, JSON.stringify(jit.jitStats));
  // once it is, the calls run translated from page to page: the last slice retires nearly all of it translated
  const before = jit.jitStats.retiredTranslated;
  jit.run(10_007); interp.run(10_007);
  assert.ok(jit.jitStats.retiredTranslated - before > 9_900, `translated ${jit.jitStats.retiredTranslated - before} of 10007`);
  for (let r = 0; r < 32; r++) assert.equal(jit.getX(r), interp.getX(r), `x${r}`);
  assert.equal(jit.getPc(), interp.getPc(), 'pc');
  assert.equal(jit.instret, interp.instret, 'instret');
  assert.equal(jit.jitStats.failed, 0, jit.jitStats.firstFailure);
});

test('where the interpreter entered a page before it was translated is an entry of its first translation', () => {
  const interp = makeHart(PROG, false), jit = makeHart(PROG, true, 5000);
  const entryAt = entryOf(jit);
  for (let k = 0; k < 4; k++) { jit.run(10_007); interp.run(10_007); }
  assert.equal(entryAt(RAM + 0x1008), 1, 'B + 8 is an entry');
  assert.equal(jit.jitStats.retranslated, 0, JSON.stringify(jit.jitStats));
  for (let r = 0; r < 32; r++) assert.equal(jit.getX(r), interp.getX(r), `x${r}`);
  assert.equal(jit.instret, interp.instret, 'instret');
});
