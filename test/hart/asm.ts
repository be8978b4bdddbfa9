// A tiny RV64 encoder and hart fixture for the hart unit tests (encodings written from the ISA manual's field
// layouts, independent of src/hart/decode.ts).
import { GuestMemory, Hart, Exit } from '../../src/hart/index.js';

export const RAM = 0x80000000;

export const R = (f7: number, rs2: number, rs1: number, f3: number, rd: number, op: number): number =>
  ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
export const I = (imm: number, rs1: number, f3: number, rd: number, op: number): number =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
export const S = (imm: number, rs2: number, rs1: number, f3: number, op: number): number =>
  ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 31) << 7) | op) >>> 0;
export const B = (imm: number, rs2: number, rs1: number, f3: number): number =>
  ((((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
    (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | 0x63) >>> 0;
export const U = (imm: number, rd: number, op: number): number => ((imm & 0xfffff000) | (rd << 7) | op) >>> 0;
export const J = (imm: number, rd: number): number =>
  ((((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) | (((imm >> 12) & 0xff) << 12) | (rd << 7) | 0x6f) >>> 0;

export const addi = (rd: number, rs1: number, imm: number): number => I(imm, rs1, 0, rd, 0x13);
export const lui = (rd: number, imm: number): number => U(imm << 12, rd, 0x37);
export const add = (rd: number, rs1: number, rs2: number): number => R(0, rs2, rs1, 0, rd, 0x33);
export const ld = (rd: number, rs1: number, imm: number): number => I(imm, rs1, 3, rd, 0x03);
export const lw = (rd: number, rs1: number, imm: number): number => I(imm, rs1, 2, rd, 0x03);
export const sd = (rs2: number, rs1: number, imm: number): number => S(imm, rs2, rs1, 3, 0x23);
export const sw = (rs2: number, rs1: number, imm: number): number => S(imm, rs2, rs1, 2, 0x23);
export const csrrw = (rd: number, csr: number, rs1: number): number => I(csr, rs1, 1, rd, 0x73);
export const csrrs = (rd: number, csr: number, rs1: number): number => I(csr, rs1, 2, rd, 0x73);
export const ecall = 0x00000073, ebreak = 0x00100073, mret = 0x30200073, sret = 0x10200073, wfi = 0x10500073;

/** an instruction word list; a {c} entry is a 16-bit compressed instruction */
export type Insn = number | { c: number };

export function encode(prog: Insn[]): Uint8Array {
  const out: number[] = [];
  for (const p of prog) {
    if (typeof p === 'number') out.push(p & 0xff, (p >>> 8) & 0xff, (p >>> 16) & 0xff, (p >>> 24) & 0xff);
    else out.push(p.c & 0xff, (p.c >>> 8) & 0xff);
  }
  return Uint8Array.from(out);
}

export const RV64GC = 'i m a f d c zca zcd zicsr zifencei zicntr';
export function isaSet(names: string): Set<string> {
  return new Set(names.split(/\s+/).filter(Boolean));
}

export interface Fixture { hart: Hart; mem: GuestMemory }

/** RAM of 1 MiB at 0x80000000 (plus extra), program at RAM, hart in M-mode unless opts say otherwise */
export function fixture(prog: Insn[], isa = RV64GC, opts: { hypervisor?: boolean; ramBytes?: number; clock?: 'wall' | 'icount' } = {}): Fixture {
  const mem = new GuestMemory({ maxRamBytes: opts.ramBytes ?? 4 << 20 });
  mem.addRam(RAM, opts.ramBytes ?? 4 << 20);
  mem.ram(RAM, prog.length * 4 + 8).set(encode(prog));
  const hart = new Hart({ memory: mem, isa: isaSet(isa), hartId: 0, hypervisor: opts.hypervisor, clock: opts.clock ?? 'icount' });
  hart.setPc(BigInt(RAM));
  return { hart, mem };
}

/** run n instructions and expect the budget to end the run */
export function step(h: Hart, n: number): void {
  const e = h.run(n);
  if (e !== Exit.Budget) throw new Error(`expected Exit.Budget, got ${e}`);
}

export const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
export const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);

/** load a 64-bit constant into register rd through setX (tests set inputs directly) */
export const CSR_MTVEC = 0x305, CSR_MCAUSE = 0x342, CSR_MEPC = 0x341, CSR_MTVAL = 0x343, CSR_MSTATUS = 0x300;
export const CSR_SCAUSE = 0x142, CSR_SEPC = 0x141, CSR_STVAL = 0x143, CSR_STVEC = 0x105, CSR_SATP = 0x180;
