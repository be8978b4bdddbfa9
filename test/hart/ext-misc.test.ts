// Smaller extensions: Zicbom/Zicboz/Zicbop, Zawrs, Svinval, Svpbmt, Zihintpause, Zfa, F/D state rules
// (FS off, reserved rounding modes, dirty tracking) and the counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, step, RAM, RV64GC, R, I, CSR_MCAUSE, CSR_MTVEC, CSR_MSTATUS, CSR_SATP } from './asm.js';

const cbo = (funct12: number, rs1: number): number => ((funct12 << 20) | (rs1 << 15) | (2 << 12) | 0x0f) >>> 0;
const CBO_ZERO = cbo(4, 6), CBO_CLEAN = cbo(1, 6), CBO_FLUSH = cbo(2, 6), CBO_INVAL = cbo(0, 6);
const MENVCFG = 0x30a, SENVCFG = 0x10a;

function trapsIllegal(insn: number, isa: string, mode: 0 | 1 | 3 = 3, setup?: (h: ReturnType<typeof fixture>['hart']) => void): boolean {
  const { hart } = fixture([insn], isa);
  hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x400));
  hart.setX(6, BigInt(RAM + 0x8000));
  setup?.(hart);
  hart.setMode(mode);
  step(hart, 1);
  return hart.getPc() === BigInt(RAM + 0x400) && hart.getCsr(CSR_MCAUSE) === 2n;
}

test('cbo.zero clears the whole 64-byte block containing the address', () => {
  const { hart, mem } = fixture([CBO_ZERO], `${RV64GC} zicboz`);
  const blk = mem.ram(RAM + 0x8000, 192);
  blk.fill(0xee);
  hart.setX(6, BigInt(RAM + 0x8040 + 13));
  step(hart, 1);
  assert.ok(blk.subarray(0, 64).every((b) => b === 0xee));
  assert.ok(blk.subarray(64, 128).every((b) => b === 0));
  assert.ok(blk.subarray(128).every((b) => b === 0xee));
});

test('CBO enables: S-mode needs menvcfg, U-mode also senvcfg; absent extension -> illegal', () => {
  const isa = `${RV64GC} zicbom zicboz`;
  for (const [insn, bit] of [[CBO_ZERO, 1n << 7n], [CBO_CLEAN, 1n << 6n], [CBO_FLUSH, 1n << 6n], [CBO_INVAL, 1n << 4n]] as const) {
    assert.equal(trapsIllegal(insn, isa, 3), false, 'M-mode always allowed');
    assert.equal(trapsIllegal(insn, isa, 1), true, 'S without menvcfg');
    assert.equal(trapsIllegal(insn, isa, 1, (h) => h.setCsr(MENVCFG, bit)), false, 'S with menvcfg');
    assert.equal(trapsIllegal(insn, isa, 0, (h) => h.setCsr(MENVCFG, bit)), true, 'U without senvcfg');
    assert.equal(trapsIllegal(insn, isa, 0, (h) => { h.setCsr(MENVCFG, bit); h.setCsr(SENVCFG, bit); }), false, 'U with both');
  }
  assert.equal(trapsIllegal(CBO_ZERO, RV64GC), true);
  assert.equal(trapsIllegal(CBO_CLEAN, RV64GC), true);
});

test('Zicbop prefetch hints and Zihintpause pause execute as no-ops in any ISA', () => {
  const prefetchR = I(1, 6, 6, 0, 0x13); // ori x0, x6, 1 (prefetch.r 0(x6))
  const pause = 0x0100000f;
  const { hart } = fixture([prefetchR, pause], 'i zicsr');
  step(hart, 2);
  assert.equal(hart.getPc(), BigInt(RAM + 8));
});

test('Zihintntl: ntl.p1/pall/s1/all (add x0, x0, x2..x5) and c.ntl.* (c.add x0, x2..x5) are no-ops', () => {
  const prog = [2, 3, 4, 5].map((r) => R(0, r, 0, 0, 0, 0x33));
  const cprog = [2, 3, 4, 5].map((r) => ({ c: (4 << 13) | (1 << 12) | (0 << 7) | (r << 2) | 2 }));
  const { hart } = fixture([...prog, ...cprog], RV64GC);
  for (let i = 1; i < 32; i++) hart.setX(i, BigInt(i));
  step(hart, 8);
  assert.equal(hart.getPc(), BigInt(RAM + 16 + 8));
  for (let i = 1; i < 32; i++) assert.equal(hart.getX(i), BigInt(i));
});

test('Zawrs: wrs.nto / wrs.sto complete on a single hart; illegal without Zawrs', () => {
  for (const insn of [0x00d00073, 0x01d00073]) {
    assert.equal(trapsIllegal(insn, `${RV64GC} zawrs`), false);
    assert.equal(trapsIllegal(insn, RV64GC), true);
  }
});

test('Svinval: sinval.vma / sfence.w.inval / sfence.inval.ir in S-mode; illegal in U-mode or without Svinval', () => {
  for (const insn of [0x16000073, 0x18000073, 0x18100073]) {
    assert.equal(trapsIllegal(insn, `${RV64GC} svinval`, 1), false);
    assert.equal(trapsIllegal(insn, `${RV64GC} svinval`, 0), true);
    assert.equal(trapsIllegal(insn, RV64GC, 1), true);
  }
  // sfence.vma / sinval.vma trap in S-mode when mstatus.TVM is set
  assert.equal(trapsIllegal(0x12000073, RV64GC, 1, (h) => h.setCsr(CSR_MSTATUS, 1n << 20n)), true);
});

test('Svpbmt: PBMT bits in a leaf PTE fault without Svpbmt/PBMTE and are accepted with them', () => {
  for (const [isa, pbmte, ok] of [[RV64GC, false, false], [`${RV64GC} svpbmt`, false, false], [`${RV64GC} svpbmt`, true, true]] as const) {
    const { hart, mem } = fixture([I(0, 6, 3, 5, 0x03)], isa, { ramBytes: 8 << 20 });
    const root = RAM + 0x200000;
    const dv = (a: number): DataView => new DataView(mem.ram(a, 8).buffer, mem.ram(a, 8).byteOffset, 8);
    dv(root + 2 * 8).setBigUint64(0, ((BigInt(RAM) >> 12n) << 10n) | 0xcfn, true); // 1 GiB RWX AD at VA 0x80000000
    dv(root + 1 * 8).setBigUint64(0, ((BigInt(RAM) >> 12n) << 10n) | 0xc3n | (1n << 61n), true); // 1 GiB at VA 0x40000000, R, PBMT=NC
    hart.setCsr(CSR_SATP, (8n << 60n) | BigInt(root >>> 12));
    if (pbmte) hart.setCsr(MENVCFG, 1n << 62n);
    hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x400));
    hart.setMode(1);
    hart.setX(6, 0x40000000n);
    step(hart, 1);
    assert.equal(hart.getPc(), BigInt(ok ? RAM + 4 : RAM + 0x400), `${isa} PBMTE=${pbmte}`);
    if (!ok) assert.equal(hart.getCsr(CSR_MCAUSE), 13n);
  }
});

test('F/D state: FS=Off makes FP instructions and fcsr illegal; FP writes set FS=Dirty; reserved rm is illegal', () => {
  const faddD = R(0x01, 2, 1, 0, 3, 0x53); // fadd.d f3, f1, f2, rne
  const { hart } = fixture([faddD], RV64GC);
  hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x400));
  step(hart, 1);
  assert.equal(hart.getCsr(CSR_MCAUSE), 2n, 'FS=Off');
  const csrFcsr = I(0x003, 0, 2, 5, 0x73);
  assert.equal(trapsIllegal(csrFcsr, RV64GC), true, 'fcsr with FS=Off');
  const on = fixture([faddD], RV64GC);
  on.hart.setCsr(CSR_MSTATUS, 1n << 13n);
  on.hart.setF(1, 0x3ff0000000000000n); on.hart.setF(2, 0x4000000000000000n);
  step(on.hart, 1);
  assert.equal(on.hart.getF(3), 0x4008000000000000n, '1 + 2 = 3');
  assert.equal((on.hart.getCsr(CSR_MSTATUS) >> 13n) & 3n, 3n, 'FS = Dirty');
  for (const rm of [5, 6]) {
    const insn = R(0x01, 2, 1, rm, 3, 0x53);
    assert.equal(trapsIllegal(insn, RV64GC, 3, (h) => h.setCsr(CSR_MSTATUS, 1n << 13n)), true, `rm=${rm}`);
  }
  assert.equal(trapsIllegal(R(0x01, 2, 1, 7, 3, 0x53), RV64GC, 3, (h) => { h.setCsr(CSR_MSTATUS, 1n << 13n); h.setCsr(0x002, 6n); }), true, 'dyn with frm=6');
});

test('Zfa: fli.d, fminm.d with NaN, fround.d, fcvtmod.w.d; illegal without Zfa', () => {
  const fliD = (rd: number, idx: number): number => R(0x79, 1, idx, 0, rd, 0x53);
  const { hart } = fixture([fliD(1, 16), fliD(2, 30), R(0x15, 2, 1, 2, 3, 0x53) /* fminm.d f3,f1,f2 */,
    R(0x21, 4, 4, 2, 5, 0x53) /* fround.d f5, f4, rdn */, R(0x61, 8, 6, 1, 10, 0x53) /* fcvtmod.w.d x10, f6, rtz */], `${RV64GC} zfa`);
  hart.setCsr(CSR_MSTATUS, 1n << 13n);
  hart.setF(4, 0xc004000000000000n); // -2.5
  hart.setF(6, 0x41f0000000000005n); // 2^32 + something: result wraps modulo 2^32
  step(hart, 5);
  assert.equal(hart.getF(1), 0x3ff0000000000000n, 'fli.d 16 = 1.0');
  assert.equal(hart.getF(2), 0x7ff0000000000000n, 'fli.d 30 = +inf');
  assert.equal(hart.getF(3), 0x3ff0000000000000n, 'fminm(1, inf) = 1');
  assert.equal(hart.getF(5), 0xc008000000000000n, 'fround.d(-2.5, rdn) = -3');
  const n = fixture([fliD(1, 16)], RV64GC);
  n.hart.setCsr(CSR_MSTATUS, 1n << 13n); n.hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x400));
  step(n.hart, 1);
  assert.equal(n.hart.getCsr(CSR_MCAUSE), 2n);
});

test('counters: instret/cycle count retired instructions; time follows the icount clock (1 tick / 100 insns at 10 MHz)', () => {
  const rd = (csr: number, reg: number): number => I(csr, 0, 2, reg, 0x73);
  const prog = [rd(0xc02, 5), ...Array.from({ length: 998 }, () => I(0, 0, 0, 0, 0x13)), rd(0xc02, 6), rd(0xc00, 7)];
  const { hart } = fixture(prog, RV64GC);
  step(hart, 1001);
  assert.equal(hart.getX(6) - hart.getX(5), 999n);
  assert.ok(hart.getX(7) >= 1000n);
  hart.run(100_000);
  assert.equal(hart.getCsr(0xc01), BigInt(Math.floor(hart.instret / 100)));
});
