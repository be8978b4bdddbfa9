// Smstateen / Ssstateen on the hart: which state-enable bits are writable (SE0/SE, ENVCFG), that a bit M clears is
// read-only zero in hstateen, and the access rules: without mstateen0.SE0 / ENVCFG, S-mode gets an illegal
// instruction for sstateen0, hstateen0, senvcfg and henvcfg; with them but without hstateen0's, VS-mode gets a
// virtual-instruction exception for sstateen0 and senvcfg.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GuestMemory, Hart } from '../../src/hart/index.js';
import { RAM, J, addi, csrrs, csrrw, encode, isaSet, mret, sd, type Insn } from './asm.js';

const ISA = 'i m a zicsr zicntr h smstateen ssstateen';
const MSTATEEN0 = 0x30c, MSTATEEN1 = 0x30d, HSTATEEN0 = 0x60c, SSTATEEN0 = 0x10c, SENVCFG = 0x10a, HENVCFG = 0x60a;
const MSTATUS = 0x300, MEPC = 0x341, MTVEC = 0x305, MCAUSE = 0x342;
const SE0 = 1n << 63n, ENVCFG = 1n << 62n;
const S0 = 8, A0 = 10, T4 = 29;
const SLOTS = RAM + 0x8000;

/** enter S (virt false) or VS (true) with the given state enables and make each CSR read; the trap cause per read (-1: none) */
function causes(csrs: number[], mstateen0: bigint, hstateen0: bigint, virt: boolean): number[] {
  const body: Insn[] = [mret];
  for (const c of csrs) body.push(csrrs(A0, c, 0), addi(S0, S0, 8));
  body.push(J(0, 0));
  const handler = body.length;
  // record mcause in the current slot, step over the faulting instruction, return to the mode it came from
  body.push(csrrs(T4, MCAUSE, 0), sd(T4, S0, 0), csrrs(T4, MEPC, 0), addi(T4, T4, 4), csrrw(0, MEPC, T4), mret);
  const mem = new GuestMemory({ maxRamBytes: 1 << 20 });
  mem.addRam(RAM, 1 << 20);
  mem.ram(RAM, body.length * 4).set(encode(body));
  mem.ram(SLOTS, 8 * csrs.length).fill(0xff);
  const h = new Hart({ memory: mem, isa: isaSet(ISA), hartId: 0, clock: 'icount' });
  h.setPc(BigInt(RAM));
  h.setCsr(MSTATEEN0, mstateen0);
  h.setCsr(HSTATEEN0, hstateen0);
  h.setCsr(MTVEC, BigInt(RAM + 4 * handler));
  h.setCsr(MEPC, BigInt(RAM + 4));
  h.setCsr(MSTATUS, (1n << 11n) | (virt ? 1n << 39n : 0n)); // MPP = S, MPV
  h.setX(S0, BigInt(SLOTS));
  for (let k = 0; k < 20 && h.getPc() !== BigInt(RAM + 4 * (handler - 1)); k++) h.run(100);
  assert.equal(h.getPc(), BigInt(RAM + 4 * (handler - 1)), 'the reads did not finish');
  const dv = new DataView(mem.ram(SLOTS, 8 * csrs.length).buffer, mem.ram(SLOTS, 8).byteOffset, 8 * csrs.length);
  return csrs.map((_, k) => Number(dv.getBigInt64(8 * k, true)));
}

test('mstateen/hstateen/sstateen: only SE and ENVCFG are writable, and hstateen follows mstateen', () => {
  const h = new Hart({ memory: (() => { const m = new GuestMemory({ maxRamBytes: 1 << 16 }); m.addRam(RAM, 1 << 16); return m; })(), isa: isaSet(ISA), hartId: 0 });
  const ones = (1n << 64n) - 1n;
  h.setCsr(MSTATEEN0, ones); h.setCsr(MSTATEEN1, ones); h.setCsr(HSTATEEN0, ones); h.setCsr(SSTATEEN0, ones);
  assert.equal(h.getCsr(MSTATEEN0), SE0 | ENVCFG);
  assert.equal(h.getCsr(MSTATEEN1), SE0);
  assert.equal(h.getCsr(HSTATEEN0), SE0 | ENVCFG);
  assert.equal(h.getCsr(SSTATEEN0), 0n, 'no U-mode state to enable');
  h.setCsr(MSTATEEN0, ENVCFG);
  assert.equal(h.getCsr(HSTATEEN0), ENVCFG, 'SE0 cleared in mstateen0 is read-only zero in hstateen0');
  h.setCsr(HSTATEEN0, ones);
  assert.equal(h.getCsr(HSTATEEN0), ENVCFG);
});

test('S-mode: sstateen0/hstateen0 need mstateen0.SE0, senvcfg/henvcfg need mstateen0.ENVCFG (illegal instruction)', () => {
  const csrs = [SSTATEEN0, HSTATEEN0, SENVCFG, HENVCFG];
  assert.deepEqual(causes(csrs, 0n, 0n, false), [2, 2, 2, 2]);
  assert.deepEqual(causes(csrs, ENVCFG, 0n, false), [2, 2, -1, -1]);
  assert.deepEqual(causes(csrs, SE0, 0n, false), [-1, -1, 2, 2]);
  assert.deepEqual(causes(csrs, SE0 | ENVCFG, 0n, false), [-1, -1, -1, -1], 'HS-mode does not depend on hstateen0');
});

test('VS-mode: sstateen0 needs hstateen0.SE0 and senvcfg hstateen0.ENVCFG (virtual instruction); mstateen0 first (illegal)', () => {
  const csrs = [SSTATEEN0, SENVCFG];
  assert.deepEqual(causes(csrs, SE0 | ENVCFG, 0n, true), [22, 22]);
  assert.deepEqual(causes(csrs, SE0 | ENVCFG, SE0 | ENVCFG, true), [-1, -1]);
  assert.deepEqual(causes(csrs, 0n, 0n, true), [2, 2], 'mstateen0 forbids it: illegal instruction even from VS');
  assert.deepEqual(causes(csrs, SE0 | ENVCFG, ENVCFG, true), [22, -1]);
});
