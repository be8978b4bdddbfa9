// binary16 (Zfh, Zfhmin, Zfa's .h forms) in the exact library against the BigInt reference: every unary
// operation and conversion from binary16 over all 65536 encodings in every rounding mode, the binary and
// ternary operations and the conversions to binary16 on random edge-biased operands; then the instructions
// on the hart, interpreted and translated (the translator sends them to the interpreter's semantics).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fp from '../../../src/hart/fp/index.js';
import {
  ALL_RM, F16, F32, F64, NV, Rng, compareValues, decode, halves, randomFloat, refAdd, refConvert, refDiv, refFma,
  refFromInt, refMul, refRoundIntegral, refSqrt, refToInt, canonicalNaN, type IntKind, type Result,
} from './reference.js';
import { Mismatches, out16, out32, out64, pair } from './harness.js';
import { runOnHart, type Shape } from './on-hart.js';

const n16 = (v: bigint): number => Number(v & 0xffffn);
const lib16 = (flags: number): Result => ({ bits: out16(), flags });
const intBits = (): bigint => BigInt.asUintN(64, (BigInt(fp.fpOut[1]!) << 32n) | BigInt(fp.fpOut[0]! >>> 0));

test('binary16: sqrt, fround, froundnx, conversions to S, D and integers: all 65536 inputs, every rounding mode', () => {
  const m = new Mismatches();
  let total = 0;
  const kinds: IntKind[] = ['w', 'wu', 'l', 'lu'];
  for (let a = 0; a < 0x10000; a++) {
    const A = BigInt(a);
    for (const rm of ALL_RM) {
      m.check(`fsqrt.h ${a.toString(16)} rm${rm}`, lib16(fp.f16Sqrt(a, rm)), refSqrt(F16, A, rm), 16);
      m.check(`fround.h ${a.toString(16)} rm${rm}`, lib16(fp.f16Round(a, rm, false)), refRoundIntegral(F16, A, rm, false), 16);
      m.check(`froundnx.h ${a.toString(16)} rm${rm}`, lib16(fp.f16Round(a, rm, true)), refRoundIntegral(F16, A, rm, true), 16);
      kinds.forEach((k, kind) => {
        const flags = fp.f16ToInt(a, rm, kind);
        m.check(`fcvt.${k}.h ${a.toString(16)} rm${rm}`, { bits: intBits(), flags }, refToInt(F16, A, k, rm), 64);
      });
      total += 7;
    }
    m.check(`fcvt.s.h ${a.toString(16)}`, (() => { const f = fp.f16ToF32(a); return { bits: out32(), flags: f }; })(), refConvert(F16, F32, A, 0), 32);
    m.check(`fcvt.d.h ${a.toString(16)}`, (() => { const f = fp.f16ToF64(a); return { bits: out64(), flags: f }; })(), refConvert(F16, F64, A, 0), 64);
    // fclass from the reference decoding
    const v = decode(A, F16), neg = (a & 0x8000) !== 0;
    const want = v.kind === 'inf' ? (neg ? 1 : 1 << 7) : v.kind === 'nan' ? (v.signaling ? 1 << 8 : 1 << 9)
      : v.m === 0n ? (neg ? 1 << 3 : 1 << 4) : v.m < 1024n ? (neg ? 1 << 2 : 1 << 5) : (neg ? 1 << 1 : 1 << 6);
    assert.equal(fp.f16Class(a), want, `fclass.h ${a.toString(16)}`);
    total += 2;
  }
  m.assertNone(total);
});

test('binary16: add, sub, mul, div, fma family, min/max, compares on random operands, every rounding mode', () => {
  const rng = new Rng(1616);
  const m = new Mismatches();
  let total = 0;
  for (let i = 0; i < 30000; i++) {
    const [A, B] = pair(rng, F16);
    const C = randomFloat(rng, F16);
    const a = n16(A), b = n16(B), c = n16(C);
    const rm = ALL_RM[i % 5]!;
    const at = `a=${a.toString(16)} b=${b.toString(16)} c=${c.toString(16)} rm${rm}`;
    m.check(`fadd.h ${at}`, lib16(fp.f16Add(a, b, rm)), refAdd(F16, A, B, rm), 16);
    m.check(`fsub.h ${at}`, lib16(fp.f16Sub(a, b, rm)), refAdd(F16, A, B, rm, true), 16);
    m.check(`fmul.h ${at}`, lib16(fp.f16Mul(a, b, rm)), refMul(F16, A, B, rm), 16);
    m.check(`fdiv.h ${at}`, lib16(fp.f16Div(a, b, rm)), refDiv(F16, A, B, rm), 16);
    m.check(`fmadd.h ${at}`, lib16(fp.f16MulAdd(a, b, c, rm)), refFma(F16, A, B, C, rm), 16);
    m.check(`fmsub.h ${at}`, lib16(fp.f16MulSub(a, b, c, rm)), refFma(F16, A, B, C, rm, false, true), 16);
    m.check(`fnmsub.h ${at}`, lib16(fp.f16NegMulSub(a, b, c, rm)), refFma(F16, A, B, C, rm, true, false), 16);
    m.check(`fnmadd.h ${at}`, lib16(fp.f16NegMulAdd(a, b, c, rm)), refFma(F16, A, B, C, rm, true, true), 16);
    total += 8;
    // min/max/compares: the reference order
    const va = decode(A, F16), vb = decode(B, F16);
    const nanA = va.kind === 'nan', nanB = vb.kind === 'nan';
    const snan = (va.kind === 'nan' && va.signaling) || (vb.kind === 'nan' && vb.signaling) ? NV : 0;
    const o = nanA || nanB ? NaN : compareValues(va, vb);
    const ordered = o === 0 ? ((a & 0x8000) === (b & 0x8000) ? 0 : (a & 0x8000) !== 0 ? -1 : 1) : o;
    for (const [isMax, propagate] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const want = nanA || nanB ? ((nanA && nanB) || propagate ? canonicalNaN(F16) : nanA ? B : A)
        : (isMax ? ordered >= 0 : ordered <= 0) ? A : B;
      m.check(`f${isMax ? 'max' : 'min'}${propagate ? 'm' : ''}.h ${at}`, lib16(fp.f16MinMax(a, b, isMax, propagate)), { bits: want, flags: snan }, 16);
    }
    const cmp = (flags: number): Result => ({ bits: BigInt(fp.fpOut[0]!), flags });
    const unordered = nanA || nanB;
    m.check(`feq.h ${at}`, cmp(fp.f16Eq(a, b)), { bits: !unordered && o === 0 ? 1n : 0n, flags: snan }, 8);
    m.check(`flt.h ${at}`, cmp(fp.f16Lt(a, b)), { bits: !unordered && o < 0 ? 1n : 0n, flags: unordered ? NV : 0 }, 8);
    m.check(`fle.h ${at}`, cmp(fp.f16Le(a, b)), { bits: !unordered && o <= 0 ? 1n : 0n, flags: unordered ? NV : 0 }, 8);
    m.check(`fltq.h ${at}`, cmp(fp.f16Lt(a, b, true)), { bits: !unordered && o < 0 ? 1n : 0n, flags: snan }, 8);
    m.check(`fleq.h ${at}`, cmp(fp.f16Le(a, b, true)), { bits: !unordered && o <= 0 ? 1n : 0n, flags: snan }, 8);
    total += 9;
  }
  m.assertNone(total);
});

test('binary16: conversions from S, D and integers round per mode with overflow and underflow flags', () => {
  const rng = new Rng(1617);
  const m = new Mismatches();
  let total = 0;
  for (let i = 0; i < 20000; i++) {
    const rm = ALL_RM[i % 5]!;
    // binary32 / binary64 operands near binary16's range, or anywhere
    const s = rng.int(2) ? randomFloat(rng, F32) : BigInt((rng.int(2) << 31) | ((103 + rng.int(40)) << 23) | rng.int(1 << 23)) & 0xffffffffn;
    m.check(`fcvt.h.s ${s.toString(16)} rm${rm}`, lib16(fp.f32ToF16(Number(s) | 0, rm)), refConvert(F32, F16, s, rm), 16);
    const d = rng.int(2) ? randomFloat(rng, F64) : (BigInt(rng.int(2)) << 63n) | (BigInt(1000 + rng.int(40)) << 52n) | rng.bits(52);
    m.check(`fcvt.h.d ${d.toString(16)} rm${rm}`, lib16(fp.f64ToF16(...halves(d), rm)), refConvert(F64, F16, d, rm), 16);
    const x = rng.int(2) ? rng.bits(64) >> BigInt(rng.int(64)) : BigInt(rng.int(140000) - 70000);
    const [lo, hi] = halves(BigInt.asUintN(64, x));
    const signed64 = BigInt.asIntN(64, x), unsigned64 = BigInt.asUintN(64, x);
    const w = BigInt.asIntN(32, x), wu = BigInt.asUintN(32, x);
    m.check(`fcvt.h.l ${x} rm${rm}`, lib16(fp.f16FromInt(lo, hi, true, rm)), refFromInt(F16, signed64, rm), 16);
    m.check(`fcvt.h.lu ${x} rm${rm}`, lib16(fp.f16FromInt(lo, hi, false, rm)), refFromInt(F16, unsigned64, rm), 16);
    m.check(`fcvt.h.w ${x} rm${rm}`, lib16(fp.f16FromInt(lo, lo >> 31, true, rm)), refFromInt(F16, w, rm), 16);
    m.check(`fcvt.h.wu ${x} rm${rm}`, lib16(fp.f16FromInt(lo, 0, false, rm)), refFromInt(F16, wu, rm), 16);
    total += 6;
  }
  m.assertNone(total);
});

test('fli.h loads the Zfa table (2^-16 and 2^-15 as subnormals, 2^16 as +inf)', () => {
  const want = [-1, 2 ** -14, 2 ** -16, 2 ** -15, 2 ** -8, 2 ** -7, 0.0625, 0.125, 0.25, 0.3125, 0.375, 0.4375, 0.5,
    0.625, 0.75, 0.875, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 4, 8, 16, 128, 256, 2 ** 15, Infinity, Infinity];
  for (let k = 0; k < 32; k++) {
    assert.equal(fp.f16Fli(k), 0);
    const bits = Number(out16());
    if (k === 31) assert.equal(bits, 0x7e00);
    else assert.equal(fp.f16Value(bits), want[k], `fli.h ${k}`);
  }
});

// ---------------------------------------------------------------- on the hart

const box = (v: bigint): bigint => v | 0xffffffffffff0000n;
const libRun = (fn: () => number): [bigint, number] => { const f = fn(); return [BigInt.asUintN(64, (BigInt(fp.fpOut[1]!) << 32n) | BigInt(fp.fpOut[0]! >>> 0)), f]; };

interface HartOp { insn: string; shape: Shape; run(a: number, b: number, c: number, rm: number, A: bigint): [bigint, number]; int?: boolean; from?: 's' | 'd' }
const HART_OPS: HartOp[] = [
  { insn: 'fadd.h', shape: 'H2', run: (a, b, _c, rm) => libRun(() => fp.f16Add(a, b, rm)) },
  { insn: 'fdiv.h', shape: 'H2', run: (a, b, _c, rm) => libRun(() => fp.f16Div(a, b, rm)) },
  { insn: 'fsgnjx.h', shape: 'H2', run: (a, b) => [box(BigInt((a & 0x7fff) | ((a ^ b) & 0x8000))), 0] },
  { insn: 'fmax.h', shape: 'H2', run: (a, b) => libRun(() => fp.f16MinMax(a, b, true)) },
  { insn: 'fminm.h', shape: 'H2', run: (a, b) => libRun(() => fp.f16MinMax(a, b, false, true)) },
  { insn: 'fsqrt.h', shape: 'H1', run: (a, _b, _c, rm) => libRun(() => fp.f16Sqrt(a, rm)) },
  { insn: 'froundnx.h', shape: 'H1', run: (a, _b, _c, rm) => libRun(() => fp.f16Round(a, rm, true)) },
  { insn: 'fcvt.s.h', shape: 'H1', run: (a) => libRun(() => fp.f16ToF32(a)) },
  { insn: 'fcvt.d.h', shape: 'H1', run: (a) => libRun(() => fp.f16ToF64(a)) },
  { insn: 'fmadd.h', shape: 'H3', run: (a, b, c, rm) => libRun(() => fp.f16MulAdd(a, b, c, rm)) },
  { insn: 'fnmsub.h', shape: 'H3', run: (a, b, c, rm) => libRun(() => fp.f16NegMulSub(a, b, c, rm)) },
  { insn: 'flt.h', shape: 'XHH', run: (a, b) => libRun(() => fp.f16Lt(a, b)) },
  { insn: 'fleq.h', shape: 'XHH', run: (a, b) => libRun(() => fp.f16Le(a, b, true)) },
  { insn: 'fcvt.w.h', shape: 'XH', run: (a, _b, _c, rm) => libRun(() => fp.f16ToInt(a, rm, 0)) },
  { insn: 'fcvt.lu.h', shape: 'XH', run: (a, _b, _c, rm) => libRun(() => fp.f16ToInt(a, rm, 3)) },
  { insn: 'fclass.h', shape: 'XH', run: (a) => [BigInt(fp.f16Class(a)), 0] },
  { insn: 'fmv.x.h', shape: 'XH', run: (a) => [BigInt.asUintN(64, BigInt((a << 16) >> 16)), 0] },
  { insn: 'fcvt.h.l', shape: 'HX', int: true, run: (_a, _b, _c, rm, A) => libRun(() => fp.f16FromInt(...halves(A), true, rm)) },
  { insn: 'fcvt.h.wu', shape: 'HX', int: true, run: (_a, _b, _c, rm, A) => libRun(() => fp.f16FromInt(halves(A)[0], 0, false, rm)) },
  { insn: 'fmv.h.x', shape: 'HX', int: true, run: (_a, _b, _c, _rm, A) => [box(A & 0xffffn), 0] },
  { insn: 'fcvt.h.s', shape: 'S1', from: 's', run: (_a, _b, _c, rm, A) => libRun(() => fp.f32ToF16(Number(A & 0xffffffffn) | 0, rm)) },
  { insn: 'fcvt.h.d', shape: 'D1', from: 'd', run: (_a, _b, _c, rm, A) => libRun(() => fp.f64ToF16(...halves(A), rm)) },
];

test('Zfh/Zfhmin/Zfa .h instructions on the hart, interpreted and translated, equal the library (NaN-boxing included)', () => {
  const rng = new Rng(1618);
  for (const op of HART_OPS) {
    const cases = Array.from({ length: 150 }, (_, i) => {
      let a: bigint, b: bigint;
      if (op.int) [a, b] = [rng.bits(64) >> BigInt(rng.int(64)), 0n];
      else if (op.from === 's') [a, b] = [randomFloat(rng, F32), 0n];
      else if (op.from === 'd') [a, b] = [randomFloat(rng, F64), 0n];
      else [a, b] = pair(rng, F16);
      let c = randomFloat(rng, F16);
      // some operands improperly boxed: they must read as the canonical NaN
      if (!op.int && !op.from && i % 17 === 3) c |= 0x1230000n;
      return { a, b, c, rm: i % 5 };
    });
    const want = cases.map((k) => {
      const unbox = (v: bigint): number => ((v >> 16n) === 0xffffffffffffn || v < 0x10000n ? Number(v & 0xffffn) : 0x7e00);
      return op.run(unbox(k.a), unbox(k.b), unbox(k.c), k.rm, k.a);
    });
    for (const jit of [false, true]) {
      const r = runOnHart(op.insn, op.shape, cases, jit);
      cases.forEach((k, j) => {
        assert.equal(r.results[j], want[j]![0], `${op.insn} ${jit ? 'translated' : 'interpreted'} a=${k.a.toString(16)} b=${k.b.toString(16)} c=${k.c.toString(16)} rm${k.rm}`);
        assert.equal(r.flags[j], want[j]![1], `${op.insn} flags a=${k.a.toString(16)} rm${k.rm}`);
      });
    }
  }
});
