// A and Zacas: LR/SC reservations, every AMO against a BigInt reference, alignment and access rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, step, RAM, RV64GC, R, CSR_MCAUSE, CSR_MTVAL, CSR_MTVEC, u64, s64 } from './asm.js';
import type { GuestMemory } from '../../src/hart/index.js';

const amo = (f5: number, f3: number, rd: number, rs1: number, rs2: number): number => R(f5 << 2, rs2, rs1, f3, rd, 0x2f);
const ADDR = RAM + 0x8000;
const mem64 = (m: GuestMemory, a: number): DataView => new DataView(m.ram(a, 16).buffer, m.ram(a, 16).byteOffset, 16);

type Ref = (old: bigint, v: bigint) => bigint;
const OPS: [string, number, Ref][] = [
  ['amoswap', 0x01, (_o, v) => v], ['amoadd', 0x00, (o, v) => o + v], ['amoxor', 0x04, (o, v) => o ^ v],
  ['amoand', 0x0c, (o, v) => o & v], ['amoor', 0x08, (o, v) => o | v],
  ['amomin', 0x10, (o, v) => (o < v ? o : v)], ['amomax', 0x14, (o, v) => (o > v ? o : v)],
  ['amominu', 0x18, (o, v) => (o < v ? o : v)], ['amomaxu', 0x1c, (o, v) => (o > v ? o : v)],
];
const VALUES = [0n, 1n, u64(-1n), 0x7fffffffn, 0x80000000n, 0x8000000000000000n, 0x123456789abcdef0n, u64(-5n)];

for (const [name, f5, ref] of OPS) {
  for (const width of ['w', 'd'] as const) {
    test(`${name}.${width}: memory and rd match the reference for all operand pairs`, () => {
      const bits = width === 'w' ? 32 : 64;
      const signed = name === 'amomin' || name === 'amomax';
      const norm = (v: bigint): bigint => (signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v));
      const { hart, mem } = fixture([amo(f5, width === 'w' ? 2 : 3, 5, 6, 7)], RV64GC);
      for (const o of VALUES) for (const v of VALUES) {
        hart.setPc(BigInt(RAM)); hart.setX(6, BigInt(ADDR)); hart.setX(7, v);
        const dv = mem64(mem, ADDR);
        dv.setBigUint64(0, o, true); dv.setBigUint64(8, 0xaaaaaaaaaaaaaaaan, true);
        step(hart, 1);
        const memOld = BigInt.asUintN(bits, o);
        const expectMem = BigInt.asUintN(bits, ref(norm(memOld), norm(v)));
        const got = width === 'w' ? BigInt(dv.getUint32(0, true)) : dv.getBigUint64(0, true);
        assert.equal(got, expectMem, `${name}.${width} mem old=0x${o.toString(16)} v=0x${v.toString(16)}`);
        assert.equal(hart.getX(5), u64(BigInt.asIntN(bits, memOld)), `${name}.${width} rd (sign-extended old value)`);
        if (width === 'w') assert.equal(dv.getUint32(4, true), Number(o >> 32n), 'upper word untouched');
      }
    });
  }
}

test('LR/SC: SC succeeds after LR to the same address (rd=0), fails without a reservation (rd=1)', () => {
  const lr = amo(0x02, 3, 5, 6, 0), sc = amo(0x03, 3, 8, 6, 7);
  const { hart, mem } = fixture([lr, sc, sc], RV64GC);
  hart.setX(6, BigInt(ADDR)); hart.setX(7, 0x1234n);
  mem64(mem, ADDR).setBigUint64(0, 99n, true);
  step(hart, 2);
  assert.equal(hart.getX(5), 99n);
  assert.equal(hart.getX(8), 0n);
  assert.equal(mem64(mem, ADDR).getBigUint64(0, true), 0x1234n);
  hart.setX(7, 0x5678n);
  step(hart, 1);
  assert.equal(hart.getX(8), 1n, 'reservation consumed by the first SC');
  assert.equal(mem64(mem, ADDR).getBigUint64(0, true), 0x1234n);
});

test('LR.W sign-extends; misaligned AMO raises store/AMO address-misaligned (6), misaligned LR raises 4', () => {
  const { hart, mem } = fixture([amo(0x02, 2, 5, 6, 0)], RV64GC);
  hart.setX(6, BigInt(ADDR));
  mem64(mem, ADDR).setUint32(0, 0x80000001, true);
  step(hart, 1);
  assert.equal(s64(hart.getX(5)), -0x7fffffffn);
  for (const [insn, cause] of [[amo(0x00, 3, 5, 6, 7), 6n], [amo(0x02, 3, 5, 6, 0), 4n]] as const) {
    const f = fixture([insn], RV64GC);
    f.hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x400));
    f.hart.setX(6, BigInt(ADDR + 4));
    step(f.hart, 1);
    assert.equal(f.hart.getCsr(CSR_MCAUSE), cause);
    assert.equal(f.hart.getCsr(CSR_MTVAL), BigInt(ADDR + 4));
  }
});

test('AMO to MMIO is an access fault (7)', () => {
  const { hart, mem } = fixture([amo(0x00, 3, 5, 6, 7)], RV64GC);
  mem.addMmio(0x10000000, 0x1000, { read: () => 0, write: () => {} });
  hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x400));
  hart.setX(6, 0x10000000n);
  step(hart, 1);
  assert.equal(hart.getCsr(CSR_MCAUSE), 7n);
});

test('Zacas: amocas.w/d swap only on a match; amocas.q uses register pairs; absent Zacas -> illegal', () => {
  const { hart, mem } = fixture([amo(0x05, 3, 10, 6, 12)], `${RV64GC} zacas`);
  const dv = mem64(mem, ADDR);
  for (const [memv, expect, newv, stored] of [[5n, 5n, 9n, 9n], [5n, 6n, 9n, 5n]] as const) {
    hart.setPc(BigInt(RAM)); dv.setBigUint64(0, memv, true);
    hart.setX(6, BigInt(ADDR)); hart.setX(10, expect); hart.setX(12, newv);
    step(hart, 1);
    assert.equal(dv.getBigUint64(0, true), stored);
    assert.equal(hart.getX(10), memv);
  }
  const q = fixture([amo(0x05, 4, 10, 6, 12)], `${RV64GC} zacas`);
  const qv = mem64(q.mem, ADDR);
  qv.setBigUint64(0, 1n, true); qv.setBigUint64(8, 2n, true);
  q.hart.setX(6, BigInt(ADDR)); q.hart.setX(10, 1n); q.hart.setX(11, 2n); q.hart.setX(12, 7n); q.hart.setX(13, 8n);
  step(q.hart, 1);
  assert.deepEqual([qv.getBigUint64(0, true), qv.getBigUint64(8, true)], [7n, 8n]);
  assert.deepEqual([q.hart.getX(10), q.hart.getX(11)], [1n, 2n]);
  const off = fixture([amo(0x05, 3, 10, 6, 12)], RV64GC);
  off.hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x400));
  step(off.hart, 1);
  assert.equal(off.hart.getCsr(CSR_MCAUSE), 2n);
});
