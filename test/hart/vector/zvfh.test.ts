// Zvfh and Zvfhmin on the hart: SEW 16 vector floating point against the BigInt reference (test/hart/fp/reference.ts,
// independent of src/hart/fp), every rounding mode through frm, accrued fflags compared too; .vv and .vf forms (the
// scalar NaN-boxed as binary16), widening to binary32, narrowing from it, integer conversions, an ordered reduction;
// and what Zvfhmin alone allows (vfwcvt.f.f.v and vfncvt.f.f.w at SEW 16, nothing else).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { step, I, CSR_MSTATUS } from '../asm.js';
import { opv, vsetvli } from './gen.js';
import { vectorHart, vectorTrapped } from './run.js';
import {
  ALL_RM, F16, F32, Rng, randomFloat, refAdd, refConvert, refFma, refFromInt, refMul, refDiv, refSqrt, refToInt, type Result,
} from '../fp/reference.js';

const FVV = 1, FVF = 5;
const E16 = 1 << 3;
const ISA = ['v', 'zfhmin', 'zvfh'];
const or = (...rs: Result[]): number => rs.reduce((f, r) => f | r.flags, 0);
const w16 = (b: Uint8Array, i: number): bigint => BigInt(b[2 * i]! | (b[2 * i + 1]! << 8));
const w32 = (b: Uint8Array, i: number): bigint => BigInt(new DataView(b.buffer, b.byteOffset).getUint32(4 * i, true));
const cvt = (x: bigint): Result => refConvert(F16, F32, x, 0);

interface Case {
  name: string; f6: number; f3: number; vs1?: number;
  /** result width (bits) and the per-element reference from a = vs2[i], b = vs1[i] or f[10], d = old vd[i] */
  out: 16 | 32; wideSrc?: boolean;
  ref: (a: bigint, b: bigint, d: bigint, rm: number) => Result;
}
const CASES: Case[] = [
  { name: 'vfadd.vv', f6: 0x00, f3: FVV, out: 16, ref: (a, b, _d, rm) => refAdd(F16, a, b, rm) },
  { name: 'vfsub.vf', f6: 0x02, f3: FVF, out: 16, ref: (a, b, _d, rm) => refAdd(F16, a, b, rm, true) },
  { name: 'vfmul.vv', f6: 0x24, f3: FVV, out: 16, ref: (a, b, _d, rm) => refMul(F16, a, b, rm) },
  { name: 'vfdiv.vf', f6: 0x20, f3: FVF, out: 16, ref: (a, b, _d, rm) => refDiv(F16, a, b, rm) },
  { name: 'vfrdiv.vf', f6: 0x21, f3: FVF, out: 16, ref: (a, b, _d, rm) => refDiv(F16, b, a, rm) },
  { name: 'vfmacc.vv', f6: 0x2c, f3: FVV, out: 16, ref: (a, b, d, rm) => refFma(F16, b, a, d, rm) },
  { name: 'vfnmsub.vf', f6: 0x2b, f3: FVF, out: 16, ref: (a, b, d, rm) => refFma(F16, b, d, a, rm, true, false) },
  { name: 'vfsqrt.v', f6: 0x13, f3: FVV, vs1: 0, out: 16, ref: (a, _b, _d, rm) => refSqrt(F16, a, rm) },
  { name: 'vfsgnjn.vv', f6: 0x09, f3: FVV, out: 16, ref: (a, b) => ({ bits: (a & 0x7fffn) | (~b & 0x8000n), flags: 0 }) },
  { name: 'vfwadd.vv', f6: 0x30, f3: FVV, out: 32, ref: (a, b, _d, rm) => { const x = cvt(a), y = cvt(b), r = refAdd(F32, x.bits, y.bits, rm); return { bits: r.bits, flags: or(x, y, r) }; } },
  { name: 'vfwmacc.vf', f6: 0x3c, f3: FVF, out: 32, ref: (a, b, d, rm) => { const x = cvt(a), y = cvt(b), r = refFma(F32, y.bits, x.bits, d, rm); return { bits: r.bits, flags: or(x, y, r) }; } },
  { name: 'vfwcvt.f.f.v', f6: 0x12, f3: FVV, vs1: 12, out: 32, ref: (a) => cvt(a) },
  { name: 'vfncvt.f.f.w', f6: 0x12, f3: FVV, vs1: 20, out: 16, wideSrc: true, ref: (a, _b, _d, rm) => refConvert(F32, F16, a, rm) },
  { name: 'vfcvt.x.f.v', f6: 0x12, f3: FVV, vs1: 1, out: 16, ref: (a, _b, _d, rm) => {
    const r = refToInt(F16, a, 'w', rm), v = BigInt.asIntN(32, r.bits);
    if (v > 32767n || v < -32768n) return { bits: v > 0n ? 0x7fffn : 0x8000n, flags: 16 };
    return { bits: BigInt.asUintN(16, v), flags: r.flags };
  } },
  { name: 'vfcvt.f.x.v', f6: 0x12, f3: FVV, vs1: 3, out: 16, ref: (a, _b, _d, rm) => refFromInt(F16, BigInt.asIntN(16, a), rm) },
];

function runCase(c: Case, rm: number, rng: Rng, sew = 16): { a: bigint[]; b: bigint[]; d: bigint[]; out: Uint8Array; fflags: number } {
  const vd = 4;
  const prog = [vsetvli(0, 5, Math.log2(sew / 8) << 3), I(0x002, rm, 5, 0, 0x73), opv(c.f6, 1, 2, c.f3 === FVF ? 10 : c.vs1 ?? 3, c.f3, vd), I(0x001, 0, 2, 6, 0x73)];
  const { h } = vectorHart(prog, ISA);
  h.setCsr(CSR_MSTATUS, (1n << 9n) | (1n << 13n)); // VS, FS = Initial
  h.setX(5, 8n);
  const a = Array.from({ length: 8 }, () => c.wideSrc ? randomFloat(rng, F32) : randomFloat(rng, F16));
  const b = Array.from({ length: 8 }, () => randomFloat(rng, F16));
  const d = Array.from({ length: 8 }, () => (c.out === 32 ? randomFloat(rng, F32) : randomFloat(rng, F16)));
  const bytes = (vals: bigint[], width: number) => {
    const out = new Uint8Array(32);
    vals.forEach((v, i) => { for (let k = 0; k < width / 8; k++) out[i * width / 8 + k] = Number((v >> BigInt(8 * k)) & 0xffn); });
    return out;
  };
  const A = bytes(a, c.wideSrc ? 32 : 16), D = bytes(d, c.out === 32 ? 32 : 16);
  h.vec!.writeReg(2, A.subarray(0, 16)); h.vec!.writeReg(3, c.wideSrc ? A.subarray(16) : bytes(b, 16).subarray(0, 16));
  h.vec!.writeReg(vd, D.subarray(0, 16)); h.vec!.writeReg(vd + 1, D.subarray(16));
  h.setF(10, 0xffffffffffff0000n | b[0]!); // the .vf scalar: element 0 of b, NaN-boxed
  step(h, 4);
  assert.ok(!vectorTrapped(h, 2n), `${c.name} executes`);
  const out = new Uint8Array([...h.vec!.readReg(vd), ...h.vec!.readReg(vd + 1)]);
  return { a, b: c.f3 === FVF ? b.map(() => b[0]!) : b, d, out, fflags: Number(h.getX(6)) };
}

test('Zvfh: SEW 16 arithmetic, fused, widening, narrowing and conversions match the exact reference in every rounding mode', () => {
  const rng = new Rng(1617);
  for (const c of CASES) {
    for (const rm of ALL_RM) {
      for (let rep = 0; rep < 6; rep++) {
        const { a, b, d, out, fflags } = runCase(c, rm, rng);
        let flags = 0;
        for (let i = 0; i < 8; i++) {
          const want = c.ref(a[i]!, b[i]!, d[i]!, rm);
          flags |= want.flags;
          const got = c.out === 32 ? w32(out, i) : w16(out, i);
          assert.equal(got.toString(16), want.bits.toString(16), `${c.name} rm=${rm} element ${i}: a=${a[i]!.toString(16)} b=${b[i]!.toString(16)} d=${d[i]!.toString(16)}`);
        }
        assert.equal(fflags, flags, `${c.name} rm=${rm}: accrued flags`);
      }
    }
  }
});

test('Zvfh: vfredosum at SEW 16 sums in element order; vfmv.f.s NaN-boxes; an improperly boxed scalar is the canonical NaN', () => {
  const rng = new Rng(1618);
  const prog = [vsetvli(0, 5, E16), opv(0x03, 1, 2, 3, FVV, 4), opv(0x10, 1, 4, 0, FVV, 11), opv(0x00, 1, 2, 12, FVF, 5)];
  const { h } = vectorHart(prog, ISA);
  h.setCsr(CSR_MSTATUS, (1n << 9n) | (1n << 13n));
  h.setX(5, 8n);
  const a = Array.from({ length: 8 }, () => randomFloat(rng, F16) & 0x7bffn); // finite
  const init = 0x3c00n; // 1.0
  const bytes = new Uint8Array(16); a.forEach((v, i) => { bytes[2 * i] = Number(v & 0xffn); bytes[2 * i + 1] = Number(v >> 8n); });
  h.vec!.writeReg(2, bytes); h.vec!.writeReg(3, Uint8Array.from([0x00, 0x3c]));
  h.setF(12, 0x3c00n); // not NaN-boxed
  step(h, 4);
  let acc = init;
  for (const x of a) acc = refAdd(F16, acc, x, 0).bits;
  assert.equal(h.getF(11), 0xffffffffffff0000n | acc, 'vfmv.f.s of the sum, boxed');
  const r5 = h.vec!.readReg(5);
  assert.equal(r5[0]! | (r5[1]! << 8), 0x7e00, 'x + canonical NaN');
});

test('Zvfhmin alone: only vfwcvt.f.f.v and vfncvt.f.f.w at SEW 16; vfwcvt.f.x.v e8 -> f16 and vfncvt.rod need Zvfh', () => {
  const runs = (ext: string[], sew: number, insn: number) => {
    const { h } = vectorHart([vsetvli(0, 5, Math.log2(sew / 8) << 3), insn], ext);
    h.setCsr(CSR_MSTATUS, (1n << 9n) | (1n << 13n));
    h.setX(5, 4n);
    step(h, 2);
    return !vectorTrapped(h, 2n);
  };
  const min = ['v', 'zvfhmin'];
  assert.ok(runs(min, 16, opv(0x12, 1, 2, 12, FVV, 4)), 'vfwcvt.f.f.v');
  assert.ok(runs(min, 16, opv(0x12, 1, 2, 20, FVV, 4)), 'vfncvt.f.f.w');
  for (const [insn, what] of [[opv(0x00, 1, 2, 3, FVV, 4), 'vfadd.vv'], [opv(0x12, 1, 2, 21, FVV, 4), 'vfncvt.rod.f.f.w'],
    [opv(0x30, 1, 2, 3, FVV, 4), 'vfwadd.vv'], [opv(0x12, 1, 2, 1, FVV, 4), 'vfcvt.x.f.v'], [opv(0x13, 1, 2, 16, FVV, 4), 'vfclass.v']] as const) {
    assert.equal(runs(min, 16, insn), false, `${what} with Zvfhmin only`);
    assert.equal(runs(ISA, 16, insn), true, `${what} with Zvfh`);
    assert.equal(runs(['v'], 16, insn), false, `${what} without either`);
  }
  assert.equal(runs(min, 8, opv(0x12, 1, 2, 11, FVV, 4)), false, 'vfwcvt.f.x.v e8 -> f16 with Zvfhmin');
  assert.equal(runs(ISA, 8, opv(0x12, 1, 2, 11, FVV, 4)), true, 'vfwcvt.f.x.v e8 -> f16 with Zvfh');
  assert.equal(runs(['v'], 16, opv(0x12, 1, 2, 12, FVV, 4)), false, 'vfwcvt.f.f.v at SEW 16 without Zvfhmin');
  assert.equal(runs(['v'], 32, opv(0x12, 1, 2, 12, FVV, 4)), true, 'vfwcvt.f.f.v at SEW 32 is V');
});

test('Zvfh: vfrec7 / vfrsqrt7 at SEW 16 give the estimate SEW 32 gives for the same value (normal inputs and results)', () => {
  const rng = new Rng(1619);
  for (const sel of [5, 4]) { // vfrec7, vfrsqrt7
    for (let rep = 0; rep < 40; rep++) {
      // binary16 normals with exponents 3..27 (reciprocals and reciprocal square roots stay normal)
      const hs = Array.from({ length: 4 }, () => BigInt((sel === 4 ? 0 : rng.int(2)) << 15 | ((3 + rng.int(25)) << 10) | rng.int(1024)));
      const est = (sew: number, vals: bigint[]) => {
        const { h } = vectorHart([vsetvli(0, 5, Math.log2(sew / 8) << 3), opv(0x13, 1, 2, sel, FVV, 4)], ISA);
        h.setCsr(CSR_MSTATUS, (1n << 9n) | (1n << 13n));
        h.setX(5, 4n);
        const b = new Uint8Array(16);
        vals.forEach((v, i) => { for (let k = 0; k < sew / 8; k++) b[i * sew / 8 + k] = Number((v >> BigInt(8 * k)) & 0xffn); });
        h.vec!.writeReg(2, b);
        step(h, 2);
        const out = h.vec!.readReg(4);
        return vals.map((_, i) => (sew === 16 ? w16(out, i) : w32(out, i)));
      };
      const narrow = est(16, hs), wide = est(32, hs.map((x) => cvt(x).bits));
      narrow.forEach((r, i) => assert.equal(cvt(r).bits, wide[i], `sel ${sel} of ${hs[i]!.toString(16)}`));
    }
  }
});
