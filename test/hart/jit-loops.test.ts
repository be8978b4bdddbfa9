// Which pages the optimizing translation gives x registers in locals (jit.ts loopRegisters): those with a long loop
// of their own (48 instructions or more, all translated inline, no call, return or indirect jump in it). The
// pages come decoded from the interpreter; the translated code itself is tested in jit.test.ts ([optimized]).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GuestMemory, Hart } from '../../src/hart/index.js';
import { loopRegisters } from '../../src/hart/jit.js';
import { RAM, B, J, encode, isaSet, addi, type Insn } from './asm.js';

/** the page the program lies in, decoded by interpreting it for a while */
function decodedPage(prog: Insn[]): Int32Array {
  const mem = new GuestMemory({ maxRamBytes: 1 << 20 });
  mem.addRam(RAM, 1 << 20);
  const bytes = encode(prog);
  mem.ram(RAM, bytes.length).set(bytes);
  const hart = new Hart({ memory: mem, isa: isaSet('i m c zca zicsr'), hartId: 0, clock: 'icount', jit: false });
  hart.setPc(BigInt(RAM));
  hart.setX(6, 3n);
  hart.run(2000);
  const pages = hart.decoded.filter((d): d is Int32Array => d !== undefined);
  assert.equal(pages.length, 1);
  return pages[0]!;
}

/** x6 counts down from 3: `body` instructions (the last k of them given), then the back edge; then a spin */
function loop(body: number, last: Insn[] = []): Insn[] {
  const prog: Insn[] = [];
  for (let k = 0; k < body - last.length - 1; k++) prog.push(addi(5, 5, 1));
  prog.push(...last, addi(6, 6, -1), B(-4 * body, 0, 6, 1) /* bne x6, x0, start */, J(0, 0));
  return prog;
}

test('a page with a long loop of its own: the loop\'s registers', () => {
  const regs = loopRegisters(decodedPage(loop(60, [addi(7, 8, 2)])), 0);
  assert.ok(regs !== null);
  for (const r of [5, 6, 7, 8]) assert.equal(regs[r], 1, `x${r}`);
  for (const r of [1, 2, 9, 31]) assert.equal(regs[r], 0, `x${r}`);
});

test('no registers in locals for a short loop, a loop that calls, or code without loops', () => {
  assert.equal(loopRegisters(decodedPage(loop(20)), 0), null, 'short');
  // jal ra, +4 (to the next instruction): a call inside the loop
  assert.equal(loopRegisters(decodedPage(loop(60, [J(4, 1)])), 0), null, 'call');
  const straight: Insn[] = [];
  for (let k = 0; k < 100; k++) straight.push(addi(5, 5, 1));
  straight.push(J(0, 0));
  // the spin at the end is a jump to itself: a loop of one instruction
  assert.equal(loopRegisters(decodedPage(straight), 0), null, 'straight');
});
