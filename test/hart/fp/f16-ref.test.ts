// binary16 (src/hart/fp/f16.ts, as Zvfh/Zvfhmin use it; f16.test.ts covers the scalar Zfh side) against the BigInt reference: add/sub/mul/div/sqrt and the four
// fused forms in every rounding mode, binary32 -> binary16 (and round-to-odd), binary16 -> binary32, integers ->
// binary16, compares and min/max; results must be NaN-boxed (upper 48 bits ones). Every binary16 operand pair
// of a few exponents is tried exhaustively for add and mul at RNE, plus random operands biased to edge cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fp from '../../../src/hart/fp/index.js';
import { ALL_RM, F16, F32, NV, Rng, decode, hex, randomFloat, refAdd, refConvert, refDiv, refFma, refFromInt, refMul, refSqrt, type Result } from './reference.js';
import { Mismatches, pair } from './harness.js';

/** binary16 result: the low half, NaN-boxed */
function out16(): bigint {
  assert.equal(fp.fpOut[1], -1, 'binary16 result NaN-boxed (fpOut[1] = -1)');
  assert.equal(fp.fpOut[0]! >>> 16, 0xffff, 'binary16 result NaN-boxed (upper half of fpOut[0])');
  return BigInt(fp.fpOut[0]! & 0xffff);
}
const lib2 = (fn: (a: number, b: number, rm: number) => number) => (a: bigint, b: bigint, rm: number): Result => {
  const flags = fn(Number(a), Number(b), rm);
  return { bits: out16(), flags };
};
const N = 3000;

for (const [name, lib, ref, seed] of [
  ['add', lib2(fp.f16Add), (a: bigint, b: bigint, rm: number) => refAdd(F16, a, b, rm), 161],
  ['sub', lib2(fp.f16Sub), (a: bigint, b: bigint, rm: number) => refAdd(F16, a, b, rm, true), 162],
  ['mul', lib2(fp.f16Mul), (a: bigint, b: bigint, rm: number) => refMul(F16, a, b, rm), 163],
  ['div', lib2(fp.f16Div), (a: bigint, b: bigint, rm: number) => refDiv(F16, a, b, rm), 164],
] as const) {
  test(`f16 ${name}: ${N} random cases per rounding mode match the exact reference`, () => {
    const rng = new Rng(seed), bad = new Mismatches();
    for (const rm of ALL_RM) for (let i = 0; i < N; i++) {
      const [a, b] = pair(rng, F16);
      bad.check(`${name}(${hex(a, 16)}, ${hex(b, 16)}) rm=${rm}`, lib(a, b, rm), ref(a, b, rm), 16);
    }
    bad.assertNone(N * ALL_RM.length);
  });
}

test('f16 add and mul: every operand pair with exponents 0, 1, 14, 15, 29, 30 (subnormals, 1, overflow), RNE and RDN', () => {
  const bad = new Mismatches();
  const vals: bigint[] = [];
  for (const e of [0, 1, 14, 15, 29, 30]) for (let f = 0; f < 1024; f += 37) for (const s of [0n, 0x8000n]) vals.push(s | (BigInt(e) << 10n) | BigInt(f));
  let n = 0;
  for (const a of vals) for (const b of vals) for (const rm of [0, 2]) {
    bad.check(`add(${hex(a, 16)}, ${hex(b, 16)}) rm=${rm}`, lib2(fp.f16Add)(a, b, rm), refAdd(F16, a, b, rm), 16);
    bad.check(`mul(${hex(a, 16)}, ${hex(b, 16)}) rm=${rm}`, lib2(fp.f16Mul)(a, b, rm), refMul(F16, a, b, rm), 16);
    n += 2;
  }
  bad.assertNone(n);
});

test('f16 sqrt and the fused multiply-adds match the exact reference in every rounding mode', () => {
  const rng = new Rng(165), bad = new Mismatches();
  const fused = [[fp.f16MulAdd, false, false], [fp.f16MulSub, false, true], [fp.f16NegMulAdd, true, true], [fp.f16NegMulSub, true, false]] as const;
  for (const rm of ALL_RM) for (let i = 0; i < N; i++) {
    let a = randomFloat(rng, F16);
    if (rng.int(2)) a &= 0x7fffn;
    const flags = fp.f16Sqrt(Number(a), rm);
    bad.check(`sqrt(${hex(a, 16)}) rm=${rm}`, { bits: out16(), flags }, refSqrt(F16, a, rm), 16);
    const [x, y] = pair(rng, F16), z = randomFloat(rng, F16);
    for (const [fn, negP, negA] of fused) {
      const f = fn(Number(x), Number(y), Number(z), rm);
      bad.check(`fma${negP ? 'n' : ''}${negA ? 's' : 'a'}(${hex(x, 16)}, ${hex(y, 16)}, ${hex(z, 16)}) rm=${rm}`, { bits: out16(), flags: f },
        refFma(F16, x, y, z, rm, negP, negA), 16);
    }
  }
  bad.assertNone(N * ALL_RM.length * 5);
});

test('conversions: binary32 -> binary16 (and round to odd), binary16 -> binary32, integers -> binary16', () => {
  const rng = new Rng(166), bad = new Mismatches();
  for (const rm of ALL_RM) for (let i = 0; i < N; i++) {
    // binary32 values around binary16's range
    let a = randomFloat(rng, F32);
    if (rng.int(2)) a = (a & 0x807fffffn) | (BigInt(127 - 26 + rng.int(45)) << 23n);
    let flags = fp.f32ToF16(Number(BigInt.asIntN(32, a)), rm);
    bad.check(`f32ToF16(${hex(a, 32)}) rm=${rm}`, { bits: out16(), flags }, refConvert(F32, F16, a, rm), 16);
    const v = BigInt(rng.int(2) ? rng.int(70000) - 35000 : rng.int(2 ** 31) * (rng.int(2) ? 1 : -1));
    flags = fp.f16FromInt(Number(BigInt.asIntN(32, v)), v < 0n ? -1 : 0, true, rm);
    bad.check(`f16FromInt(${v}) rm=${rm}`, { bits: out16(), flags }, refFromInt(F16, v, rm), 16);
  }
  for (let i = 0; i < N; i++) {
    // round to odd = truncate, then set the last bit when inexact (NaN and infinity excepted)
    const a = randomFloat(rng, F32);
    const flags = fp.f32ToF16(Number(BigInt.asIntN(32, a)), 0, true);
    const t = refConvert(F32, F16, a, 1);
    const odd = (t.flags & 1) !== 0 && (t.bits & 0x7c00n) !== 0x7c00n ? t.bits | 1n : t.bits;
    bad.check(`rod(${hex(a, 32)})`, { bits: out16(), flags }, { bits: odd, flags: t.flags }, 16);
  }
  for (let h = 0; h < 0x10000; h++) { // every binary16 widens exactly
    const flags = fp.f16ToF32(h);
    assert.equal(fp.fpOut[1], -1);
    bad.check(`f16ToF32(${hex(BigInt(h), 16)})`, { bits: BigInt(fp.fpOut[0]! >>> 0), flags }, refConvert(F16, F32, BigInt(h), 0), 32);
  }
  bad.assertNone(N * ALL_RM.length * 2 + N + 0x10000);
});

test('compares, min/max and classify over all binary16 specials and random values', () => {
  const rng = new Rng(167);
  const specials = [0, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x7d00, 0x0001, 0x8001, 0x3c00, 0xbc00, 0x7bff];
  const vals = [...specials, ...Array.from({ length: 40 }, () => Number(randomFloat(rng, F16)))];
  const num = (b: number): number | null => { const d = decode(BigInt(b), F16); return d.kind === 'nan' ? null : fp.f16Value(b); };
  for (const a of vals) for (const b of vals) {
    const x = num(a), y = num(b), nan = x === null || y === null;
    const snan = [a, b].some((v) => fp.isSignalingNaN16(v));
    assert.equal(fp.f16Eq(a, b), snan ? NV : 0); assert.equal(fp.fpOut[0], !nan && x === y ? 1 : 0);
    assert.equal(fp.f16Lt(a, b), nan ? NV : 0); assert.equal(fp.fpOut[0], !nan && x! < y! ? 1 : 0);
    assert.equal(fp.f16Le(a, b), nan ? NV : 0); assert.equal(fp.fpOut[0], !nan && x! <= y! ? 1 : 0);
    for (const max of [false, true]) {
      assert.equal(fp.f16MinMax(a, b, max), snan ? NV : 0);
      const got = Number(out16());
      if (x === null && y === null) assert.equal(got, 0x7e00);
      else if (x === null || y === null) assert.equal(got, x === null ? b : a);
      else if (x === y) assert.equal(got, (((a & 0x8000) !== 0) !== max) ? a : b, 'min(-0, +0) = -0, max = +0');
      else assert.equal(got, (x < y) !== max ? a : b);
    }
  }
  const cls = (b: number) => fp.f16Class(b);
  assert.deepEqual([0xfc00, 0xbc00, 0x8001, 0x8000, 0, 1, 0x3c00, 0x7c00, 0x7d00, 0x7e00].map(cls), [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]);
});
