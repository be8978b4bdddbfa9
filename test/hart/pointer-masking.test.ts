// Pointer masking (src/hart/pointer-masking.ts): mseccfg.PMM (M), senvcfg.PMM (U, and M-mode data accesses under
// MPRV with MPP = U), PMLEN 16 and 7, zero extension for physical addresses, MXR turning it off, the WARL value 1,
// fetches never masked, and a tagged pointer that worked through the TLB faulting once masking is switched off.
// Interpreted and translated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GuestMemory, Hart } from '../../src/hart/index.js';
import { RAM, I, J, addi, csrrw, csrrs, ecall, encode, isaSet, ld, lui, mret, sd, type Insn } from './asm.js';

const ISA = 'i m a zicsr zicntr ssnpm smnpm smmpm';
const MSECCFG = 0x747, SENVCFG = 0x10a, MTVEC = 0x305, MCAUSE = 0x342, MTVAL = 0x343, MSTATUS = 0x300, MEPC = 0x341;
const T0 = 5, T1 = 6, T3 = 28, S1 = 9, S2 = 18, S3 = 19, A1 = 11, A2 = 12, A3 = 13, A4 = 14, A5 = 15, A6 = 16, A7 = 17;
const DATA = RAM + 0x8000;
const TAG16 = 0xabcdn << 48n, TAG7 = 0x7fn << 57n;
const csrrc = (rd: number, csr: number, rs1: number): number => I(csr, rs1, 3, rd, 0x73);
const auipc = (rd: number, imm: number): number => ((imm & 0xfffff000) | (rd << 7) | 0x17) >>> 0;
const jalr = (rd: number, rs1: number, imm: number): number => I(imm, rs1, 0, rd, 0x67);

function run(prog: Insn[], handler: Insn[], regs: Record<number, bigint>, jit: boolean, isa = ISA, csrs: Record<number, bigint> = {}): Hart {
  const mem = new GuestMemory({ maxRamBytes: 1 << 20 });
  mem.addRam(RAM, 1 << 20);
  const all = [...prog, J(0, 0), ...handler, J(0, 0)];
  mem.ram(RAM, all.length * 4).set(encode(all));
  const dv = new DataView(mem.ram(DATA, 64).buffer, mem.ram(DATA, 64).byteOffset, 64);
  dv.setBigUint64(0, 0x1122334455667788n, true);
  const hart = new Hart({ memory: mem, isa: isaSet(isa), hartId: 0, clock: 'icount', jit, jitHot: 0 });
  hart.setPc(BigInt(RAM));
  for (const [c, v] of Object.entries(csrs)) hart.setCsr(Number(c), v);
  hart.setCsr(MTVEC, BigInt(RAM + 4 * (prog.length + 1)));
  for (const [r, v] of Object.entries(regs)) hart.setX(Number(r), BigInt.asUintN(64, v));
  const ends = [RAM + 4 * prog.length, RAM + 4 * (all.length - 1)].map(BigInt);
  for (let k = 0; k < 100 && !ends.includes(hart.getPc()); k++) hart.run(500);
  assert.ok(ends.includes(hart.getPc()), `stuck at ${hart.getPc().toString(16)}`);
  return hart;
}
const handler: Insn[] = [csrrs(A7, MCAUSE, 0), csrrs(T3, MTVAL, 0)];

for (const jit of [false, true]) {
  const how = jit ? 'translated' : 'interpreted';

  test(`M-mode pointer masking through mseccfg.PMM: PMLEN 16 and 7, zero extension, then off again (${how})`, () => {
    const prog: Insn[] = [
      csrrw(0, MSECCFG, T0), ld(A1, S1, 0), ld(A2, S2, 0), sd(A3, S2, 8), ld(A4, S1, 8), // PMLEN 16
      csrrw(0, MSECCFG, T1), ld(A5, S3, 0), csrrs(A6, MSECCFG, 0), // PMLEN 7
      csrrw(0, MSECCFG, 0), ld(A2, S2, 0), // off: the tagged pointer is a physical address far outside RAM
    ];
    const h = run(prog, handler, { [T0]: 3n << 32n, [T1]: 2n << 32n, [S1]: BigInt(DATA), [S2]: TAG16 | BigInt(DATA), [S3]: TAG7 | BigInt(DATA), [A3]: 0x5a5an }, jit);
    assert.equal(h.getX(A1), 0x1122334455667788n);
    assert.equal(h.getX(A4), 0x5a5an, 'a store through a tagged pointer reached the untagged address');
    assert.equal(h.getX(A5), 0x1122334455667788n, 'PMLEN 7 masks bits 63:57');
    assert.equal(h.getX(A6), 2n << 32n, 'mseccfg.PMM reads back');
    assert.equal(h.getX(A7), 5n, 'masking off: the tagged load is an access fault');
    assert.equal(h.getX(T3), TAG16 | BigInt(DATA), 'mtval: the address as given (nothing masked it)');
    assert.equal(h.getX(A2), 0x1122334455667788n, 'the destination of the faulting load is unchanged');
  });

  test(`U-mode pointer masking through senvcfg.PMM, and M-mode data accesses under MPRV with MPP = U (${how})`, () => {
    const prog: Insn[] = [
      csrrw(0, SENVCFG, T0), // PMLEN 16 for U
      lui(T1, 2), addi(T1, T1, -2048), csrrc(0, MSTATUS, T1), // MPP = U
      lui(T1, 0x20), csrrs(0, MSTATUS, T1), ld(A5, S2, 0), csrrc(0, MSTATUS, T1), // MPRV: U's masking applies
      auipc(T1, 0), addi(T1, T1, 16), csrrw(0, MEPC, T1), mret,
      ld(A1, S2, 0), sd(A3, S2, 16), ld(A4, S1, 16), ecall, // U-mode
    ];
    const h = run(prog, handler, { [T0]: 3n << 32n, [S1]: BigInt(DATA), [S2]: TAG16 | BigInt(DATA), [A3]: 0x77n }, jit);
    assert.equal(h.getX(A7), 8n, 'U-mode ran to its ecall');
    assert.equal(h.getX(A5), 0x1122334455667788n, 'MPRV with MPP = U: senvcfg.PMM applies to M-mode loads');
    assert.equal(h.getX(A1), 0x1122334455667788n);
    assert.equal(h.getX(A4), 0x77n);
  });

  test(`no masking under MXR, for fetches, or with the reserved PMM value 1 (${how})`, () => {
    const mxr: Insn[] = [csrrw(0, MSECCFG, T0), lui(T1, 0x80), csrrs(0, MSTATUS, T1), ld(A1, S2, 0)];
    let h = run(mxr, handler, { [T0]: 3n << 32n, [S2]: TAG16 | BigInt(DATA) }, jit);
    assert.equal(h.getX(A7), 5n, 'MXR: pointer masking does not apply');
    const reserved: Insn[] = [csrrw(0, MSECCFG, T0), csrrs(A6, MSECCFG, 0), ld(A1, S2, 0)];
    h = run(reserved, handler, { [T0]: 1n << 32n, [S2]: TAG16 | BigInt(DATA) }, jit);
    assert.equal(h.getX(A6), 0n, 'PMM = 1 is reserved: reads back 0');
    assert.equal(h.getX(A7), 5n);
    const fetch: Insn[] = [csrrw(0, MSECCFG, T0), jalr(0, S2, 0)];
    h = run(fetch, handler, { [T0]: 3n << 32n, [S2]: TAG16 | BigInt(RAM) }, jit);
    assert.equal(h.getX(A7), 1n, 'a fetch from a tagged address is not masked: instruction access fault');
  });
}

test('H: henvcfg.PMM masks VS-mode accesses (zero extension: vsatp Bare, guest physical) and HLV with SPVP = 1, never HLVX', () => {
  const HENVCFG = 0x60a, HSTATUS = 0x600;
  const hlvd = (rd: number, rs1: number): number => ((0x36 << 25) | (rs1 << 15) | (4 << 12) | (rd << 7) | 0x73) >>> 0;
  const hlvxhu = (rd: number, rs1: number): number => ((0x32 << 25) | (3 << 20) | (rs1 << 15) | (4 << 12) | (rd << 7) | 0x73) >>> 0;
  const isa = ISA + ' h';
  const enter = [auipc(T1, 0), addi(T1, T1, 16), csrrw(0, MEPC, T1), mret];
  for (const jit of [false, true]) {
    // VS-mode: mstatus.MPP = S, MPV = 1
    let h = run([...enter, ld(A1, S2, 0), ecall], handler, { [S2]: TAG16 | BigInt(DATA) }, jit, isa,
      { [HENVCFG]: 3n << 32n, [MSTATUS]: (1n << 11n) | (1n << 39n) });
    assert.equal(h.getX(A7), 10n, 'VS-mode reached its ecall');
    assert.equal(h.getX(A1), 0x1122334455667788n, 'VS-mode load through a tagged pointer');
    // HS-mode: HLV.D with SPVP = 1 takes henvcfg.PMM (menvcfg.PMM, HS's own, is 0); HLVX.HU is never masked
    h = run([...enter, hlvd(A2, S2), hlvxhu(A3, S2)], handler, { [S2]: TAG16 | BigInt(DATA) }, jit, isa,
      { [HENVCFG]: 3n << 32n, [MSTATUS]: 1n << 11n, [HSTATUS]: 1n << 8n });
    assert.equal(h.getX(A2), 0x1122334455667788n, 'HLV.D through a tagged pointer');
    assert.equal(h.getX(A7), 5n, 'HLVX.HU of the tagged address: access fault');
  }
});

test('without Smmpm, mseccfg does not exist and M-mode is never masked', () => {
  const mem = new GuestMemory({ maxRamBytes: 1 << 20 });
  mem.addRam(RAM, 1 << 20);
  mem.ram(RAM, 8).set(encode([csrrw(0, MSECCFG, T0), J(0, 0)]));
  const h = new Hart({ memory: mem, isa: isaSet('i m a zicsr zicntr ssnpm'), hartId: 0, clock: 'icount' });
  h.setPc(BigInt(RAM));
  h.run(1);
  assert.equal(h.getCsr(MCAUSE), 2n, 'illegal instruction');
});
