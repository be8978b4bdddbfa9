// Hand-written known answers from the IEEE 754 / RISC-V F, D and Zfa rules.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fp from '../../../src/hart/fp/index.js';

const NV = 16, DZ = 8, OF = 4, UF = 2, NX = 1;
const RNE = 0, RTZ = 1, RDN = 2, RUP = 3, RMM = 4;

const view = new DataView(new ArrayBuffer(8));
/** binary64 bits of a JS double as [lo, hi] */
function d(x: number): [number, number] {
  view.setFloat64(0, x);
  return [view.getInt32(4), view.getInt32(0)];
}
function s(x: number): number {
  view.setFloat32(0, x);
  return view.getInt32(0);
}
function got64(): string {
  return '0x' + ((BigInt(fp.fpOut[1] >>> 0) << 32n) | BigInt(fp.fpOut[0] >>> 0)).toString(16).padStart(16, '0');
}
function got32(): string {
  return '0x' + (fp.fpOut[0] >>> 0).toString(16).padStart(8, '0');
}
const D_CANONICAL_NAN = '0x7ff8000000000000';
const S_CANONICAL_NAN = '0x7fc00000';
const D_SNAN: [number, number] = [1, 0x7ff00000];
const D_QNAN: [number, number] = [0, 0x7ff80001];
const S_SNAN = 0x7f800001;
const S_QNAN = 0x7fc00001;

function expect64(flags: number, bits: string, wantFlags: number, what: string) {
  assert.equal(got64(), bits, what);
  assert.equal(flags, wantFlags, `${what} flags`);
}
function expect32(flags: number, bits: string, wantFlags: number, what: string) {
  assert.equal(got32(), bits, what);
  assert.equal(fp.fpOut[1], -1, `${what} NaN-boxed`);
  assert.equal(flags, wantFlags, `${what} flags`);
}

test('division by zero, 0/0, sqrt of negatives', () => {
  expect64(fp.f64Div(...d(1), ...d(0), RNE), '0x7ff0000000000000', DZ, '1/+0');
  expect64(fp.f64Div(...d(1), ...d(-0), RNE), '0xfff0000000000000', DZ, '1/-0');
  expect64(fp.f64Div(...d(0), ...d(0), RNE), D_CANONICAL_NAN, NV, '0/0');
  expect64(fp.f64Div(...d(Infinity), ...d(-Infinity), RNE), D_CANONICAL_NAN, NV, 'inf/inf');
  expect32(fp.f32Div(s(1), s(0), RNE), '0x7f800000', DZ, '1/0 (s)');
  expect64(fp.f64Sqrt(...d(-1), RNE), D_CANONICAL_NAN, NV, 'sqrt(-1)');
  expect64(fp.f64Sqrt(...d(-0), RNE), '0x8000000000000000', 0, 'sqrt(-0)');
  expect32(fp.f32Sqrt(s(-1), RNE), S_CANONICAL_NAN, NV, 'sqrt(-1) (s)');
  expect64(fp.f64Sqrt(...D_QNAN, RNE), D_CANONICAL_NAN, 0, 'sqrt(qNaN)');
  expect64(fp.f64Sqrt(...D_SNAN, RNE), D_CANONICAL_NAN, NV, 'sqrt(sNaN)');
  expect64(fp.f64Sqrt(...d(2), RNE), '0x3ff6a09e667f3bcd', NX, 'sqrt(2) RNE');
  expect64(fp.f64Sqrt(...d(2), RUP), '0x3ff6a09e667f3bcd', NX, 'sqrt(2) RUP (RNE result is above)');
  expect64(fp.f64Sqrt(...d(2), RTZ), '0x3ff6a09e667f3bcc', NX, 'sqrt(2) RTZ');
});

test('float -> integer conversions: saturation, NV, NX (brief examples)', () => {
  const cases: [string, number, number, number, number, number][] = [
    // name, result of call, expected low word, expected high word, flags
  ];
  const run = (what: string, flags: number, lo: number, hi: number, wantFlags: number) => {
    assert.deepEqual([fp.fpOut[0], fp.fpOut[1], flags], [lo | 0, hi | 0, wantFlags], what);
  };
  run('fcvt.w.s(NaN)', fp.f32ToI32(S_QNAN, RNE), 0x7fffffff, 0, NV);
  run('fcvt.w.s(-inf)', fp.f32ToI32(s(-Infinity), RNE), 0x80000000, -1, NV);
  run('fcvt.wu.s(-1.0)', fp.f32ToU32(s(-1), RNE), 0, 0, NV);
  run('fcvt.w.s(-0.5) RNE', fp.f32ToI32(s(-0.5), RNE), 0, 0, NX);
  run('fcvt.wu.s(-0.5) RTZ is 0, inexact, valid', fp.f32ToU32(s(-0.5), RTZ), 0, 0, NX);
  run('fcvt.wu.s(-0.5) RDN is -1: invalid', fp.f32ToU32(s(-0.5), RDN), 0, 0, NV);
  run('fcvt.wu.d(4294967295) sign-extended', fp.f64ToU32(...d(4294967295), RNE), -1, -1, 0);
  run('fcvt.w.d(2.5) RNE', fp.f64ToI32(...d(2.5), RNE), 2, 0, NX);
  run('fcvt.w.d(2.5) RMM', fp.f64ToI32(...d(2.5), RMM), 3, 0, NX);
  run('fcvt.w.d(-2.5) RUP', fp.f64ToI32(...d(-2.5), RUP), -2, -1, NX);
  run('fcvt.w.d(2147483647.5) RNE rounds to 2^31: out of range', fp.f64ToI32(...d(2147483647.5), RNE), 0x7fffffff, 0, NV);
  run('fcvt.w.d(-2147483648.9) RTZ', fp.f64ToI32(...d(-2147483648.9), RTZ), 0x80000000, -1, NX);
  run('fcvt.l.d(2^63)', fp.f64ToI64(...d(2 ** 63), RNE), -1, 0x7fffffff, NV);
  run('fcvt.l.d(-2^63)', fp.f64ToI64(...d(-(2 ** 63)), RNE), 0, 0x80000000, 0);
  run('fcvt.lu.d(2^64)', fp.f64ToU64(...d(2 ** 64), RNE), -1, -1, NV);
  run('fcvt.lu.d(-0)', fp.f64ToU64(...d(-0), RNE), 0, 0, 0);
  run('fcvt.lu.d(NaN)', fp.f64ToU64(...D_QNAN, RNE), -1, -1, NV);
  assert.equal(cases.length, 0);
});

test('integer -> float rounding per mode', () => {
  // 2^53 + 1 is a tie between 2^53 and 2^53 + 2
  expect64(fp.f64FromI64(1, 0x200000, RNE), '0x4340000000000000', NX, 'fcvt.d.l(2^53+1) RNE');
  expect64(fp.f64FromI64(1, 0x200000, RMM), '0x4340000000000001', NX, 'fcvt.d.l(2^53+1) RMM');
  expect64(fp.f64FromI64(-1, -1, RNE), '0xbff0000000000000', 0, 'fcvt.d.l(-1)');
  expect64(fp.f64FromU64(-1, -1, RNE), '0x43f0000000000000', NX, 'fcvt.d.lu(2^64-1) RNE');
  expect64(fp.f64FromU64(-1, -1, RTZ), '0x43efffffffffffff', NX, 'fcvt.d.lu(2^64-1) RTZ');
  expect64(fp.f64FromI64(0, 0x80000000, RNE), '0xc3e0000000000000', 0, 'fcvt.d.l(-2^63)');
  expect32(fp.f32FromI32(16777217, RNE), '0x4b800000', NX, 'fcvt.s.w(2^24+1) RNE');
  expect32(fp.f32FromI32(16777217, RUP), '0x4b800001', NX, 'fcvt.s.w(2^24+1) RUP');
  expect32(fp.f32FromU32(-1, RDN), '0x4f7fffff', NX, 'fcvt.s.wu(2^32-1) RDN');
  expect64(fp.f64FromI32(0, RDN), '0x0000000000000000', 0, 'fcvt.d.w(0) is +0 even under RDN');
});

test('overflow and underflow, tininess detected after rounding', () => {
  const MAX = 1.7976931348623157e308;
  expect64(fp.f64Add(...d(MAX), ...d(MAX), RNE), '0x7ff0000000000000', OF | NX, 'max+max RNE');
  expect64(fp.f64Add(...d(MAX), ...d(MAX), RTZ), '0x7fefffffffffffff', OF | NX, 'max+max RTZ');
  expect64(fp.f64Add(...d(-MAX), ...d(-MAX), RUP), '0xffefffffffffffff', OF | NX, '-max-max RUP');
  expect64(fp.f64Mul(...d(MAX), ...d(1 + 2 ** -52), RUP), '0x7ff0000000000000', OF | NX, 'max*(1+ulp) RUP');
  // min subnormal * 0.5: exact value is a tie between 0 and 2^-1074
  expect64(fp.f64Mul(...d(5e-324), ...d(0.5), RNE), '0x0000000000000000', UF | NX, 'minsub/2 RNE');
  expect64(fp.f64Mul(...d(5e-324), ...d(0.5), RUP), '0x0000000000000001', UF | NX, 'minsub/2 RUP');
  expect64(fp.f64Mul(...d(-5e-324), ...d(0.5), RMM), '0x8000000000000001', UF | NX, '-minsub/2 RMM');
  // (1 - 2^-53) * 2^-1022: representable with 53 bits and unbounded exponent -> tiny; rounds up to 2^-1022
  expect64(fp.f64Mul(...d(1 - 2 ** -53), ...d(2 ** -1022), RNE), '0x0010000000000000', UF | NX, 'tiny, rounds to min normal');
  // (1 - 2^-25) * 2^-126 to binary32: a 24-bit tie that rounds to 2^-126 -> not tiny after rounding
  expect32(fp.f64ToF32(...d((1 - 2 ** -25) * 2 ** -126), RNE), '0x00800000', NX, 'fcvt.s.d not tiny after rounding');
  expect32(fp.f64ToF32(...d((1 - 2 ** -25) * 2 ** -126), RTZ), '0x007fffff', UF | NX, 'fcvt.s.d RTZ tiny');
  expect32(fp.f64ToF32(...d(MAX), RTZ), '0x7f7fffff', OF | NX, 'fcvt.s.d(max double) RTZ');
  expect32(fp.f64ToF32(...d(MAX), RNE), '0x7f800000', OF | NX, 'fcvt.s.d(max double) RNE');
  expect32(fp.f64ToF32(...D_SNAN, RNE), S_CANONICAL_NAN, NV, 'fcvt.s.d(sNaN)');
  expect64(fp.f32ToF64(S_SNAN), D_CANONICAL_NAN, NV, 'fcvt.d.s(sNaN)');
  // exact subnormal results raise nothing
  expect64(fp.f64Sub(...d(3 * 2 ** -1022), ...d(2.5 * 2 ** -1022), RNE), '0x0008000000000000', 0, 'exact subnormal difference');
});

test('signed zeros of exact zero sums', () => {
  expect64(fp.f64Add(...d(1), ...d(-1), RNE), '0x0000000000000000', 0, '1 + -1 RNE');
  expect64(fp.f64Add(...d(1), ...d(-1), RDN), '0x8000000000000000', 0, '1 + -1 RDN');
  expect64(fp.f64Add(...d(-0), ...d(-0), RNE), '0x8000000000000000', 0, '-0 + -0');
  expect64(fp.f64Add(...d(0), ...d(-0), RDN), '0x8000000000000000', 0, '+0 + -0 RDN');
  expect64(fp.f64MulAdd(...d(1), ...d(1), ...d(-1), RDN), '0x8000000000000000', 0, 'fmadd(1,1,-1) RDN');
  expect64(fp.f64NegMulAdd(...d(0), ...d(1), ...d(0), RNE), '0x8000000000000000', 0, 'fnmadd(+0,1,+0) = -0 - 0');
  expect32(fp.f32Add(s(-0), s(0), RUP), '0x00000000', 0, '-0 + +0 RUP (s)');
});

test('fused multiply-add: one rounding, RISC-V NaN rules', () => {
  // a*b = 1 + 2^-29 + 2^-60; c = -(1 + 2^-29): the result is the exact low part 2^-60
  const a = 1 + 2 ** -30;
  expect64(fp.f64MulAdd(...d(a), ...d(a), ...d(-(1 + 2 ** -29)), RNE), '0x3c30000000000000', 0, 'fma error term');
  // binary32: exact sum 2^24 + 3 - 2^-40 must round down to 2^24 + 2; rounding through double would tie up
  expect32(fp.f32MulAdd(s(1 + 2 ** -20), s(1 - 2 ** -20), s(2 ** 24 + 2), RNE), '0x4b800001', NX, 'fmadd.s no double rounding');
  expect64(fp.f64MulAdd(...d(Infinity), ...d(0), ...D_QNAN, RNE), D_CANONICAL_NAN, NV, 'fmadd(inf, 0, qNaN) raises NV');
  expect64(fp.f64MulAdd(...d(1), ...d(1), ...D_QNAN, RNE), D_CANONICAL_NAN, 0, 'fmadd(1, 1, qNaN)');
  expect64(fp.f64MulAdd(...d(1), ...d(1), ...D_SNAN, RNE), D_CANONICAL_NAN, NV, 'fmadd(1, 1, sNaN)');
  expect64(fp.f64MulAdd(...d(Infinity), ...d(1), ...d(-Infinity), RNE), D_CANONICAL_NAN, NV, 'inf - inf');
  expect32(fp.f32MulAdd(s(0), s(Infinity), S_QNAN, RNE), S_CANONICAL_NAN, NV, 'fmadd.s(0, inf, qNaN)');
});

test('min/max and comparisons on NaNs and signed zeros', () => {
  expect64(fp.f64MinMax(...D_QNAN, ...d(1), false), '0x3ff0000000000000', 0, 'fmin(qNaN, 1)');
  expect64(fp.f64MinMax(...D_SNAN, ...d(1), false), '0x3ff0000000000000', NV, 'fmin(sNaN, 1)');
  expect64(fp.f64MinMax(...D_QNAN, ...D_QNAN, true), D_CANONICAL_NAN, 0, 'fmax(qNaN, qNaN)');
  expect64(fp.f64MinMax(...d(-0), ...d(0), false), '0x8000000000000000', 0, 'fmin(-0, +0)');
  expect64(fp.f64MinMax(...d(-0), ...d(0), true), '0x0000000000000000', 0, 'fmax(-0, +0)');
  expect64(fp.f64MinMax(...D_QNAN, ...d(1), false, true), D_CANONICAL_NAN, 0, 'fminm(qNaN, 1)');
  expect32(fp.f32MinMax(s(2), S_SNAN, true, true), S_CANONICAL_NAN, NV, 'fmaxm.s(2, sNaN)');
  const cmp = (flags: number) => [fp.fpOut[0], flags];
  assert.deepEqual(cmp(fp.f64Eq(...D_QNAN, ...d(1))), [0, 0], 'feq(qNaN, 1) quiet');
  assert.deepEqual(cmp(fp.f64Eq(...D_SNAN, ...d(1))), [0, NV], 'feq(sNaN, 1)');
  assert.deepEqual(cmp(fp.f64Lt(...D_QNAN, ...d(1))), [0, NV], 'flt(qNaN, 1) signaling');
  assert.deepEqual(cmp(fp.f64Lt(...D_QNAN, ...d(1), true)), [0, 0], 'fltq(qNaN, 1) quiet');
  assert.deepEqual(cmp(fp.f64Le(...d(-0), ...d(0))), [1, 0], 'fle(-0, +0)');
  assert.deepEqual(cmp(fp.f64Lt(...d(-0), ...d(0))), [0, 0], 'flt(-0, +0)');
  assert.deepEqual(cmp(fp.f32Le(S_SNAN, s(1), true)), [0, NV], 'fleq.s(sNaN, 1)');
});

test('fclass examples', () => {
  assert.equal(fp.f64Class(...d(-Infinity)), 1 << 0);
  assert.equal(fp.f64Class(...d(-1)), 1 << 1);
  assert.equal(fp.f64Class(...d(-5e-324)), 1 << 2);
  assert.equal(fp.f64Class(...d(-0)), 1 << 3);
  assert.equal(fp.f64Class(...d(0)), 1 << 4);
  assert.equal(fp.f64Class(...d(5e-324)), 1 << 5);
  assert.equal(fp.f64Class(...d(1)), 1 << 6);
  assert.equal(fp.f64Class(...d(Infinity)), 1 << 7);
  assert.equal(fp.f64Class(...D_SNAN), 1 << 8);
  assert.equal(fp.f64Class(...D_QNAN), 1 << 9);
  assert.equal(fp.f32Class(S_SNAN), 1 << 8);
  assert.equal(fp.f32Class(0x80000001), 1 << 2);
});

test('Zfa round-to-integral and fcvtmod examples', () => {
  expect64(fp.f64Round(...d(-0.5), RNE, false), '0x8000000000000000', 0, 'fround(-0.5) = -0');
  expect64(fp.f64Round(...d(-0.5), RNE, true), '0x8000000000000000', NX, 'froundnx(-0.5)');
  expect64(fp.f64Round(...d(2.5), RMM, true), '0x4008000000000000', NX, 'froundnx(2.5) RMM = 3');
  expect64(fp.f64Round(...d(-2.5), RNE, true), '0xc000000000000000', NX, 'froundnx(-2.5) RNE = -2');
  expect64(fp.f64Round(...d(0.25), RUP, false), '0x3ff0000000000000', 0, 'fround(0.25) RUP = 1');
  expect64(fp.f64Round(...D_SNAN, RNE, true), D_CANONICAL_NAN, NV, 'fround(sNaN)');
  expect32(fp.f32Round(s(-Infinity), RNE, true), '0xff800000', 0, 'fround.s(-inf)');
  const mod = (flags: number) => [fp.fpOut[0], fp.fpOut[1], flags];
  assert.deepEqual(mod(fp.f64CvtModW(...d(2 ** 32 + 5.5))), [5, 0, NV], 'fcvtmod(2^32 + 5.5)');
  assert.deepEqual(mod(fp.f64CvtModW(...d(-1.5))), [-1, -1, NX], 'fcvtmod(-1.5)');
  assert.deepEqual(mod(fp.f64CvtModW(...d(2 ** 31))), [-2147483648, -1, NV], 'fcvtmod(2^31)');
  assert.deepEqual(mod(fp.f64CvtModW(...d(-Infinity))), [0, 0, NV], 'fcvtmod(-inf)');
  assert.deepEqual(mod(fp.f64CvtModW(...d(-(2 ** 31)))), [-2147483648, -1, 0], 'fcvtmod(-2^31)');
});

test('halves given as uint32 (e.g. from >>> 0) give the same results as int32 halves', () => {
  const u = (x: [number, number]): [number, number] => [x[0] >>> 0, x[1] >>> 0];
  const values = [-1.5, -0, 2 ** -1070, -(2 ** 63), 3e300, -Infinity].map(d);
  for (const a of values) {
    for (const b of values) {
      const ops: ((x: [number, number], y: [number, number]) => number)[] = [
        (x, y) => fp.f64Add(...x, ...y, RNE), (x, y) => fp.f64Mul(...x, ...y, RDN),
        (x, y) => fp.f64Div(...x, ...y, RUP), (x, y) => fp.f64MulAdd(...x, ...y, ...x, RTZ),
        (x, y) => fp.f64MinMax(...x, ...y, false), (x, y) => fp.f64Lt(...x, ...y),
        (x) => fp.f64Sqrt(...x, RNE), (x) => fp.f64ToI64(...x, RNE), (x) => fp.f64FromI64(...x, RNE),
        (x) => fp.f64ToF32(...x, RNE), (x) => fp.f64Class(...x), (x) => fp.f64Round(...x, RMM, true),
      ];
      for (const [k, op] of ops.entries()) {
        const f1 = op(a, b);
        const r1 = [fp.fpOut[0], fp.fpOut[1]];
        const f2 = op(u(a), u(b));
        assert.deepEqual([fp.fpOut[0], fp.fpOut[1], f2], [...r1, f1], `op ${k} on ${a} ${b}`);
      }
    }
  }
});
