// Zihpm and Sscofpmf on the hart (src/hart/hpm.ts): mhpmcounters count the selected event exactly, per mode
// (MINH/SINH/UINH), mcountinhibit holds them (and mcycle/minstret), a counter wrapping past 2^64 - 1 sets OF
// and takes LCOFI (interrupt 13) before the next instruction, scountovf shows OF; interpreted and translated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GuestMemory, Hart } from '../../src/hart/index.js';
import { RAM, I, J, addi, csrrw, csrrs, ecall, encode, isaSet, lui, mret, type Insn } from './asm.js';

const ISA = 'i m a f d c zca zcd zicsr zifencei zicntr zihpm sscofpmf';
const MHPMEVENT3 = 0x323, MHPMEVENT4 = 0x324, MHPMCOUNTER3 = 0xb03, MHPMCOUNTER4 = 0xb04, MCOUNTINHIBIT = 0x320;
const SCOUNTOVF = 0xda0, MTVEC = 0x305, MIE = 0x304, MIP = 0x344, MSTATUS = 0x300, MEPC = 0x341, MCAUSE = 0x342, MINSTRET = 0xb02;
const T0 = 5, T1 = 6, T2 = 7, T3 = 28, A0 = 10, A1 = 11, A2 = 12, A3 = 13, A4 = 14, A5 = 15;
const csrrc = (rd: number, csr: number, rs1: number): number => I(csr, rs1, 3, rd, 0x73);
const auipc = (rd: number, imm: number): number => ((imm & 0xfffff000) | (rd << 7) | 0x17) >>> 0;

function boot(prog: Insn[], jit: boolean, isa = ISA, regs: Record<number, bigint> = {}): Hart {
  const mem = new GuestMemory({ maxRamBytes: 1 << 20 });
  mem.addRam(RAM, 1 << 20);
  const code = encode(prog);
  mem.ram(RAM, code.length).set(code);
  const hart = new Hart({ memory: mem, isa: isaSet(isa), hartId: 0, clock: 'icount', jit, jitHot: 0 });
  hart.setPc(BigInt(RAM));
  for (const [r, v] of Object.entries(regs)) hart.setX(Number(r), BigInt.asUintN(64, v));
  return hart;
}
/** run until the pc sits on a `j .` (the program's end) */
function finish(h: Hart, endPc: number): void {
  for (let k = 0; k < 100 && h.getPc() !== BigInt(endPc); k++) h.run(1000);
  assert.equal(h.getPc(), BigInt(endPc), 'the program did not reach its end');
}
const adds = (n: number): Insn[] => Array.from({ length: n }, () => addi(A0, A0, 1));

for (const jit of [false, true]) {
  const how = jit ? 'translated' : 'interpreted';

  test(`hpm counters count retired instructions exactly, and only in the modes not inhibited (${how})`, () => {
    // part 1: M-mode, event 2 (instructions), nothing inhibited
    const p1: Insn[] = [csrrw(0, MHPMEVENT3, T1), csrrw(0, MHPMCOUNTER3, 0), ...adds(50), csrrs(A1, MHPMCOUNTER3, 0)];
    // part 2: event 1 (cycles) with MINH, then 30 instructions in U-mode (mstatus.MPP = U) and an ecall back
    const prog: Insn[] = [...p1, csrrw(0, MHPMEVENT4, T2), csrrw(0, MHPMCOUNTER4, 0), csrrw(0, MTVEC, T3),
      lui(T0, 2), addi(T0, T0, -2048), csrrc(0, MSTATUS, T0), // clear MPP (0x1800)
      auipc(T0, 0), addi(T0, T0, 16), csrrw(0, MEPC, T0), mret];
    prog.push(...adds(30), ecall);
    const handler = prog.length;
    prog.push(csrrs(A2, MHPMCOUNTER4, 0), csrrs(A3, MCAUSE, 0), J(0, 0));
    const h = boot(prog, jit, ISA, { [T1]: 2n, [T2]: 1n | (1n << 62n), [T3]: BigInt(RAM + 4 * handler) });
    finish(h, RAM + 4 * (handler + 2));
    assert.equal(h.getX(A1), 50n, 'mhpmcounter3 after 50 instructions');
    assert.equal(h.getX(A3), 8n, 'the ecall from U came back');
    assert.equal(h.getX(A2), 30n, 'MINH: only the 30 U-mode instructions counted');
    assert.equal(h.getCsr(MHPMEVENT4) >> 62n, 1n, 'MINH reads back');
  });

  test(`a counter wrapping past 2^64 - 1 sets OF and takes LCOFI before the next instruction (${how})`, () => {
    const prog: Insn[] = [csrrw(0, MTVEC, T3), csrrw(0, MIE, T2), I(MSTATUS, 8, 6, 0, 0x73) /* csrrsi mstatus, 8: MIE */];
    prog.push(csrrw(0, MHPMEVENT3, T1), csrrw(0, MHPMCOUNTER3, T0), ...adds(200), J(0, 0));
    const handler = prog.length;
    prog.push(csrrs(A1, MCAUSE, 0), csrrs(A2, MHPMCOUNTER3, 0), csrrs(A3, MHPMEVENT3, 0), csrrs(A4, SCOUNTOVF, 0),
      csrrs(A5, MIP, 0), J(0, 0));
    const h = boot(prog, jit, ISA, { [T0]: -100n, [T1]: 2n, [T2]: 1n << 13n, [T3]: BigInt(RAM + 4 * handler) });
    finish(h, RAM + 4 * (handler + 5));
    assert.equal(h.getX(A0), 100n, 'exactly 100 instructions ran after the write');
    assert.equal(h.getX(A1), (1n << 63n) | 13n, 'mcause: interrupt 13 (LCOFI)');
    assert.equal(h.getX(A2), 1n, 'the counter wrapped to 0 and counted the handler\'s first instruction');
    assert.equal(h.getX(A3), (1n << 63n) | 2n, 'OF set in mhpmevent3');
    assert.equal(h.getX(A4), 1n << 3n, 'scountovf bit 3');
    assert.equal((h.getX(A5) >> 13n) & 1n, 1n, 'LCOFIP pending');
    assert.equal(h.getCsr(MEPC), BigInt(RAM + 4 * (5 + 100)), 'mepc: the 101st instruction after the write');
  });
}

test('mcountinhibit holds minstret and an hpm counter; without Sscofpmf the OF/inhibit bits and scountovf are absent', () => {
  const prog: Insn[] = [csrrw(0, MHPMEVENT3, T1), csrrw(0, MCOUNTINHIBIT, T2), ...adds(40), csrrs(A1, MHPMCOUNTER3, 0),
    csrrs(A2, MINSTRET, 0), csrrw(0, MCOUNTINHIBIT, 0), ...adds(10), csrrs(A3, MHPMCOUNTER3, 0), J(0, 0)];
  const h = boot(prog, false, ISA, { [T1]: 2n, [T2]: (1n << 3n) | 4n });
  finish(h, RAM + 4 * (prog.length - 1));
  assert.equal(h.getX(A1), 1n, 'held from the mcountinhibit write on (only the write itself counted)');
  assert.equal(h.getX(A2), 1n, 'minstret held at the mcountinhibit write (one instruction before it)');
  assert.equal(h.getX(A3), 1n + 11n, 'counting again from the mcountinhibit write that clears it: it and 10 more');

  const plain = boot([csrrw(0, MHPMEVENT3, T1), csrrs(A1, MHPMEVENT3, 0), csrrs(A2, SCOUNTOVF, 0), J(0, 0)], false,
    'i m a zicsr zicntr zihpm', { [T1]: (1n << 62n) | 2n });
  plain.run(3);
  assert.equal(plain.getX(A1), 2n, 'no Sscofpmf: the inhibit bits do not exist');
  assert.equal(plain.getCsr(MCAUSE), 2n, 'no Sscofpmf: scountovf is an illegal instruction');
});
