// Zca / Zcd / Zcb: each compressed form must behave exactly like its 32-bit expansion (ISA manual tables);
// reserved forms trap; without Zca every 16-bit word is illegal. Encoders here are written from the manual.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, step, RAM, RV64GC, R, I, S, B, J, CSR_MCAUSE, CSR_MTVAL, CSR_MTVEC, type Insn } from './asm.js';
import type { Hart, GuestMemory } from '../../src/hart/index.js';

const bit = (v: number, hi: number, lo = hi): number => (v >>> lo) & ((1 << (hi - lo + 1)) - 1);
const CI = (f3: number, imm6: number, rd: number, op: number): number => (f3 << 13) | (bit(imm6, 5) << 12) | (rd << 7) | (bit(imm6, 4, 0) << 2) | op;
const p = (r: number): number => r - 8;

const c = {
  addi: (rd: number, imm: number) => CI(0, imm, rd, 1),
  addiw: (rd: number, imm: number) => CI(1, imm, rd, 1),
  li: (rd: number, imm: number) => CI(2, imm, rd, 1),
  lui: (rd: number, imm6: number) => CI(3, imm6, rd, 1),
  addi16sp: (imm: number) => (3 << 13) | (bit(imm, 9) << 12) | (2 << 7) | (bit(imm, 4) << 6) | (bit(imm, 6) << 5) | (bit(imm, 8, 7) << 3) | (bit(imm, 5) << 2) | 1,
  addi4spn: (rd: number, imm: number) => (bit(imm, 5, 4) << 11) | (bit(imm, 9, 6) << 7) | (bit(imm, 2) << 6) | (bit(imm, 3) << 5) | (p(rd) << 2),
  srli: (rd: number, sh: number) => (4 << 13) | (bit(sh, 5) << 12) | (0 << 10) | (p(rd) << 7) | (bit(sh, 4, 0) << 2) | 1,
  srai: (rd: number, sh: number) => (4 << 13) | (bit(sh, 5) << 12) | (1 << 10) | (p(rd) << 7) | (bit(sh, 4, 0) << 2) | 1,
  andi: (rd: number, imm: number) => (4 << 13) | (bit(imm, 5) << 12) | (2 << 10) | (p(rd) << 7) | (bit(imm, 4, 0) << 2) | 1,
  alu: (f: number, w: number, rd: number, rs2: number) => (4 << 13) | (w << 12) | (3 << 10) | (p(rd) << 7) | (f << 5) | (p(rs2) << 2) | 1,
  slli: (rd: number, sh: number) => CI(0, sh, rd, 2),
  mv: (rd: number, rs2: number) => (4 << 13) | (rd << 7) | (rs2 << 2) | 2,
  add: (rd: number, rs2: number) => (4 << 13) | (1 << 12) | (rd << 7) | (rs2 << 2) | 2,
  lw: (rd: number, rs1: number, off: number) => (2 << 13) | (bit(off, 5, 3) << 10) | (p(rs1) << 7) | (bit(off, 2) << 6) | (bit(off, 6) << 5) | (p(rd) << 2),
  ld: (rd: number, rs1: number, off: number) => (3 << 13) | (bit(off, 5, 3) << 10) | (p(rs1) << 7) | (bit(off, 7, 6) << 5) | (p(rd) << 2),
  fld: (rd: number, rs1: number, off: number) => (1 << 13) | (bit(off, 5, 3) << 10) | (p(rs1) << 7) | (bit(off, 7, 6) << 5) | (p(rd) << 2),
  sw: (rs2: number, rs1: number, off: number) => (6 << 13) | (bit(off, 5, 3) << 10) | (p(rs1) << 7) | (bit(off, 2) << 6) | (bit(off, 6) << 5) | (p(rs2) << 2),
  sd: (rs2: number, rs1: number, off: number) => (7 << 13) | (bit(off, 5, 3) << 10) | (p(rs1) << 7) | (bit(off, 7, 6) << 5) | (p(rs2) << 2),
  lwsp: (rd: number, off: number) => (2 << 13) | (bit(off, 5) << 12) | (rd << 7) | (bit(off, 4, 2) << 4) | (bit(off, 7, 6) << 2) | 2,
  ldsp: (rd: number, off: number) => (3 << 13) | (bit(off, 5) << 12) | (rd << 7) | (bit(off, 4, 3) << 5) | (bit(off, 8, 6) << 2) | 2,
  swsp: (rs2: number, off: number) => (6 << 13) | (bit(off, 5, 2) << 9) | (bit(off, 7, 6) << 7) | (rs2 << 2) | 2,
  sdsp: (rs2: number, off: number) => (7 << 13) | (bit(off, 5, 3) << 10) | (bit(off, 8, 6) << 7) | (rs2 << 2) | 2,
  j: (off: number) => (5 << 13) | (bit(off, 11) << 12) | (bit(off, 4) << 11) | (bit(off, 9, 8) << 9) | (bit(off, 10) << 8) | (bit(off, 6) << 7) | (bit(off, 7) << 6) | (bit(off, 3, 1) << 3) | (bit(off, 5) << 2) | 1,
  bz: (ne: number, rs1: number, off: number) => ((6 + ne) << 13) | (bit(off, 8) << 12) | (bit(off, 4, 3) << 10) | (p(rs1) << 7) | (bit(off, 7, 6) << 5) | (bit(off, 2, 1) << 3) | (bit(off, 5) << 2) | 1,
  jr: (rs1: number) => (4 << 13) | (rs1 << 7) | 2,
  jalr: (rs1: number) => (4 << 13) | (1 << 12) | (rs1 << 7) | 2,
  // Zcb
  lbu: (rd: number, rs1: number, u: number) => (0x20 << 10) | (p(rs1) << 7) | (bit(u, 0) << 6) | (bit(u, 1) << 5) | (p(rd) << 2),
  lhu: (rd: number, rs1: number, u: number) => (0x21 << 10) | (p(rs1) << 7) | (bit(u, 1) << 5) | (p(rd) << 2),
  lh: (rd: number, rs1: number, u: number) => (0x21 << 10) | (p(rs1) << 7) | (1 << 6) | (bit(u, 1) << 5) | (p(rd) << 2),
  sb: (rs2: number, rs1: number, u: number) => (0x22 << 10) | (p(rs1) << 7) | (bit(u, 0) << 6) | (bit(u, 1) << 5) | (p(rs2) << 2),
  sh: (rs2: number, rs1: number, u: number) => (0x23 << 10) | (p(rs1) << 7) | (bit(u, 1) << 5) | (p(rs2) << 2),
  unary: (rd: number, f: number) => (0x27 << 10) | (p(rd) << 7) | (3 << 5) | (f << 2) | 1,
  mul: (rd: number, rs2: number) => (0x27 << 10) | (p(rd) << 7) | (2 << 5) | (p(rs2) << 2) | 1,
};

const OPIMM = 0x13, OP = 0x33;
/** [name, compressed, 32-bit equivalent] */
const CASES: [string, number, number][] = [
  ['c.addi', c.addi(10, -7), I(-7, 10, 0, 10, OPIMM)],
  ['c.addiw', c.addiw(11, 31), I(31, 11, 0, 11, 0x1b)],
  ['c.li', c.li(12, -32), I(-32, 0, 0, 12, OPIMM)],
  ['c.lui', c.lui(13, 0x21), (0xfffe1000 | (13 << 7) | 0x37) >>> 0],
  ['c.addi16sp', c.addi16sp(-512), I(-512, 2, 0, 2, OPIMM)],
  ['c.addi4spn', c.addi4spn(9, 1020), I(1020, 2, 0, 9, OPIMM)],
  ['c.srli', c.srli(8, 63), I(63, 8, 5, 8, OPIMM)],
  ['c.srai', c.srai(9, 33), I(0x400 | 33, 9, 5, 9, OPIMM)],
  ['c.andi', c.andi(10, -3), I(-3, 10, 7, 10, OPIMM)],
  ['c.sub', c.alu(0, 0, 11, 12), R(0x20, 12, 11, 0, 11, OP)],
  ['c.xor', c.alu(1, 0, 11, 12), R(0, 12, 11, 4, 11, OP)],
  ['c.or', c.alu(2, 0, 11, 12), R(0, 12, 11, 6, 11, OP)],
  ['c.and', c.alu(3, 0, 11, 12), R(0, 12, 11, 7, 11, OP)],
  ['c.subw', c.alu(0, 1, 13, 14), R(0x20, 14, 13, 0, 13, 0x3b)],
  ['c.addw', c.alu(1, 1, 13, 14), R(0, 14, 13, 0, 13, 0x3b)],
  ['c.slli', c.slli(20, 45), I(45, 20, 1, 20, OPIMM)],
  ['c.mv', c.mv(21, 22), R(0, 22, 0, 0, 21, OP)],
  ['c.add', c.add(23, 24), R(0, 24, 23, 0, 23, OP)],
  ['c.lw', c.lw(8, 9, 124), I(124, 9, 2, 8, 0x03)],
  ['c.ld', c.ld(10, 11, 248), I(248, 11, 3, 10, 0x03)],
  ['c.sw', c.sw(12, 13, 68), S(68, 12, 13, 2, 0x23)],
  ['c.sd', c.sd(14, 15, 136), S(136, 14, 15, 3, 0x23)],
  ['c.lwsp', c.lwsp(5, 252), I(252, 2, 2, 5, 0x03)],
  ['c.ldsp', c.ldsp(6, 504), I(504, 2, 3, 6, 0x03)],
  ['c.swsp', c.swsp(7, 252), S(252, 7, 2, 2, 0x23)],
  ['c.sdsp', c.sdsp(28, 504), S(504, 28, 2, 3, 0x23)],
  ['c.fld', c.fld(9, 10, 16), I(16, 10, 3, 9, 0x07)],
  ['c.lbu', c.lbu(8, 9, 3), I(3, 9, 4, 8, 0x03)],
  ['c.lhu', c.lhu(10, 11, 2), I(2, 11, 5, 10, 0x03)],
  ['c.lh', c.lh(12, 13, 2), I(2, 13, 1, 12, 0x03)],
  ['c.sb', c.sb(14, 15, 1), S(1, 14, 15, 0, 0x23)],
  ['c.sh', c.sh(8, 9, 2), S(2, 8, 9, 1, 0x23)],
  ['c.zext.b', c.unary(10, 0), I(255, 10, 7, 10, OPIMM)],
  ['c.sext.b', c.unary(11, 1), R(0x30, 4, 11, 1, 11, OPIMM)],
  ['c.zext.h', c.unary(12, 2), R(0x04, 0, 12, 4, 12, 0x3b)],
  ['c.sext.h', c.unary(13, 3), R(0x30, 5, 13, 1, 13, OPIMM)],
  ['c.zext.w', c.unary(14, 4), R(0x04, 0, 14, 0, 14, 0x3b)],
  ['c.not', c.unary(15, 5), I(-1, 15, 4, 15, OPIMM)],
  ['c.mul', c.mul(8, 9), R(1, 9, 8, 0, 8, OP)],
];

const ISA = `${RV64GC} zcb zba zbb`;
const DATA = RAM + 0x10000;

function setup(prog: Insn[]): { hart: Hart; mem: GuestMemory } {
  const f = fixture(prog, ISA);
  for (let i = 1; i < 32; i++) f.hart.setX(i, BigInt(DATA + i * 0x400) | (i >= 16 && i !== 28 ? 0xfedc000000000000n + BigInt(i * 0x1111) : 0n));
  f.hart.setX(2, BigInt(DATA + 0x8000));
  const data = f.mem.ram(DATA, 0x10000);
  for (let k = 0; k < data.length; k++) data[k] = (k * 37 + 11) & 0xff;
  f.hart.setCsr(0x300, 1n << 13n); // FS on for c.fld
  return f;
}

for (const [name, cInsn, wide] of CASES) {
  test(`${name} behaves as its 32-bit expansion`, () => {
    const a = setup([{ c: cInsn }]);
    const b = setup([wide]);
    step(a.hart, 1); step(b.hart, 1);
    assert.equal(a.hart.getPc(), BigInt(RAM + 2));
    for (let i = 0; i < 32; i++) {
      assert.equal(a.hart.getX(i), b.hart.getX(i), `${name}: x${i}`);
      assert.equal(a.hart.getF(i), b.hart.getF(i), `${name}: f${i}`);
    }
    assert.deepEqual(a.mem.ram(DATA, 0x10000), b.mem.ram(DATA, 0x10000), `${name}: memory`);
  });
}

test('compressed control transfer: c.j, c.beqz/c.bnez, c.jr, c.jalr (link = pc + 2)', () => {
  const cases: [string, number, (h: Hart) => void, bigint][] = [
    ['c.j +0x7fe', c.j(0x7fe), () => {}, BigInt(RAM + 0x7fe)],
    ['c.j -0x800', c.j(-0x800), () => {}, BigInt(RAM - 0x800)],
    ['c.beqz taken', c.bz(0, 8, -256), (h) => h.setX(8, 0n), BigInt(RAM - 256)],
    ['c.beqz not taken', c.bz(0, 8, 254), (h) => h.setX(8, 1n), BigInt(RAM + 2)],
    ['c.bnez taken', c.bz(1, 15, 254), (h) => h.setX(15, 1n << 40n), BigInt(RAM + 254)],
    ['c.jr', c.jr(5), (h) => h.setX(5, BigInt(RAM + 0x123)), BigInt(RAM + 0x122)],
    ['c.jalr', c.jalr(6), (h) => h.setX(6, BigInt(RAM + 0x200)), BigInt(RAM + 0x200)],
  ];
  for (const [name, insn, init, target] of cases) {
    const { hart } = fixture([{ c: insn }], RV64GC, { ramBytes: 4 << 20 });
    hart.setX(1, 0n);
    init(hart);
    step(hart, 1);
    assert.equal(hart.getPc(), target, name);
    if (name === 'c.jalr') assert.equal(hart.getX(1), BigInt(RAM + 2), 'c.jalr links pc+2');
  }
});

test('reserved compressed encodings trap as illegal with the 16-bit value in mtval', () => {
  const reserved: [string, number][] = [
    ['all-zero halfword', 0x0000],
    ['c.addi4spn nzuimm=0', c.addi4spn(9, 0) | 0],
    ['c.addiw rd=0', c.addiw(0, 1)],
    ['c.addi16sp imm=0', c.addi16sp(0)],
    ['c.lui rd=4 imm=0', c.lui(4, 0)],
    ['c.lwsp rd=0', c.lwsp(0, 4)],
    ['c.ldsp rd=0', c.ldsp(0, 8)],
    ['c.jr rs1=0', c.jr(0)],
  ];
  for (const [name, bits] of reserved) {
    const { hart } = fixture([{ c: bits }], RV64GC);
    hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x400));
    step(hart, 1);
    assert.equal(hart.getCsr(CSR_MCAUSE), 2n, name);
    assert.equal(hart.getCsr(CSR_MTVAL), BigInt(bits), name);
  }
});

test('Zcb forms trap when Zcb is not in the ISA; every compressed form traps without Zca', () => {
  const { hart } = fixture([{ c: c.lbu(8, 9, 0) }], RV64GC);
  hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x400));
  step(hart, 1);
  assert.equal(hart.getCsr(CSR_MCAUSE), 2n);
  const noC = fixture([{ c: c.addi(10, 1) }, { c: 0 }], 'i m a zicsr');
  noC.hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x400));
  step(noC.hart, 1);
  assert.equal(noC.hart.getCsr(CSR_MCAUSE), 2n);
  assert.equal(noC.hart.getCsr(CSR_MTVAL), BigInt(c.addi(10, 1)));
});

test('without C, a jump to a 2-byte aligned target raises instruction-address-misaligned (cause 0)', () => {
  const { hart } = fixture([J(6, 0)], 'i zicsr');
  hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x400));
  step(hart, 1);
  assert.equal(hart.getCsr(CSR_MCAUSE), 0n);
  assert.equal(hart.getCsr(CSR_MTVAL), BigInt(RAM + 6));
  assert.equal(hart.getCsr(0x341), BigInt(RAM));
});

test('a 32-bit instruction straddling a page boundary executes, and the branch form links correctly', () => {
  // place addi at RAM+0xffe (crossing into the next page), reached by a jump
  const { hart, mem } = fixture([J(0xffe, 0)], RV64GC);
  const addi = I(77, 0, 0, 10, OPIMM);
  const v = mem.ram(RAM + 0xffe, 4);
  v[0] = addi & 0xff; v[1] = (addi >>> 8) & 0xff; v[2] = (addi >>> 16) & 0xff; v[3] = addi >>> 24;
  step(hart, 2);
  assert.equal(hart.getX(10), 77n);
  assert.equal(hart.getPc(), BigInt(RAM + 0x1002));
  void B;
});
