// Differential tests of conversions (float <-> integer, binary32 <-> binary64), comparisons, min/max
// and fclass against the BigInt reference and the IEEE / RISC-V rules.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fp from '../../../src/hart/fp/index.js';
import {
  ALL_RM, F32, F64, Fmt, IntKind, NV, Rng, Val, canonicalNaN, compareValues, decode, halves, hex,
  randomFloat, refConvert, refFromInt, refToInt,
} from './reference.js';
import { Mismatches, out32, out64, outOf, pair } from './harness.js';

const PER_RM = 2000;

/** floats biased toward the integer ranges: exponents up to 2^66, halves, boundaries */
function floatForIntegers(rng: Rng, f: Fmt): bigint {
  if (rng.int(4) === 0) return randomFloat(rng, f);
  const fb = f.p - 1;
  const exp = f.emax + rng.int(68) - 2; // [2^-2, 2^65]
  const k = rng.pick([0, 1, 2, 3, 8, fb]);
  let frac = k === 0 ? 0n : rng.bits(k) << BigInt(fb - k);
  if (rng.int(4) === 0) frac = (1n << BigInt(fb)) - 1n; // just below a power of two
  const sign = BigInt(rng.int(2)) << BigInt(f.width - 1);
  return sign | (BigInt(exp) << BigInt(fb)) | frac;
}

const TO_INT: [string, Fmt, IntKind, (bits: bigint, rm: number) => number][] = [
  ['fcvt.w.d', F64, 'w', (b, rm) => fp.f64ToI32(...halves(b), rm)],
  ['fcvt.wu.d', F64, 'wu', (b, rm) => fp.f64ToU32(...halves(b), rm)],
  ['fcvt.l.d', F64, 'l', (b, rm) => fp.f64ToI64(...halves(b), rm)],
  ['fcvt.lu.d', F64, 'lu', (b, rm) => fp.f64ToU64(...halves(b), rm)],
  ['fcvt.w.s', F32, 'w', (b, rm) => fp.f32ToI32(Number(b), rm)],
  ['fcvt.wu.s', F32, 'wu', (b, rm) => fp.f32ToU32(Number(b), rm)],
  ['fcvt.l.s', F32, 'l', (b, rm) => fp.f32ToI64(Number(b), rm)],
  ['fcvt.lu.s', F32, 'lu', (b, rm) => fp.f32ToU64(Number(b), rm)],
];

for (const [k, [name, f, kind, lib]] of TO_INT.entries()) {
  test(`${name}: ${PER_RM} random cases per rounding mode match the reference (saturation, NV, NX)`, () => {
    const rng = new Rng(300 + k);
    const bad = new Mismatches();
    for (const rm of ALL_RM) {
      for (let i = 0; i < PER_RM; i++) {
        const a = floatForIntegers(rng, f);
        const flags = lib(a, rm);
        bad.check(`${name}(${hex(a, f.width)}) rm=${rm}`, { bits: out64(), flags }, refToInt(f, a, kind, rm), 64);
      }
    }
    bad.assertNone(PER_RM * ALL_RM.length);
  });
}

/** integers biased toward powers of two, their neighbours, the 2^24 / 2^53 precision limits and extremes */
function randomInteger(rng: Rng, bits: 32 | 64, signed: boolean): bigint {
  let v: bigint;
  switch (rng.int(5)) {
    case 4: v = rng.pick([0n, 1n, (1n << 31n) - 1n, 1n << 31n, (1n << 32n) - 1n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n]); break;
    case 0: v = (1n << BigInt(rng.int(bits))) + BigInt(rng.int(7) - 3); break;
    case 1: v = rng.bits(rng.int(bits) + 1); break;
    case 2: v = rng.bits(bits); break;
    default: v = ((1n << BigInt(rng.pick([23, 24, 25, 52, 53, 54, 62, 63]))) | rng.bits(rng.int(12))) << BigInt(rng.int(8)); break;
  }
  v = BigInt.asUintN(bits, rng.int(3) === 0 ? -v : v);
  return signed ? BigInt.asIntN(bits, v) : v;
}

const FROM_INT: [string, Fmt, 32 | 64, boolean, (v: bigint, rm: number) => number][] = [
  ['fcvt.d.w', F64, 32, true, (v, rm) => fp.f64FromI32(Number(BigInt.asIntN(32, v)), rm)],
  ['fcvt.d.wu', F64, 32, false, (v, rm) => fp.f64FromU32(Number(BigInt.asIntN(32, v)), rm)],
  ['fcvt.d.l', F64, 64, true, (v, rm) => fp.f64FromI64(...halves(v), rm)],
  ['fcvt.d.lu', F64, 64, false, (v, rm) => fp.f64FromU64(...halves(v), rm)],
  ['fcvt.s.w', F32, 32, true, (v, rm) => fp.f32FromI32(Number(BigInt.asIntN(32, v)), rm)],
  ['fcvt.s.wu', F32, 32, false, (v, rm) => fp.f32FromU32(Number(BigInt.asIntN(32, v)), rm)],
  ['fcvt.s.l', F32, 64, true, (v, rm) => fp.f32FromI64(...halves(v), rm)],
  ['fcvt.s.lu', F32, 64, false, (v, rm) => fp.f32FromU64(...halves(v), rm)],
];

for (const [k, [name, f, bits, signed, lib]] of FROM_INT.entries()) {
  test(`${name}: ${PER_RM} random integers per rounding mode round like the reference`, () => {
    const rng = new Rng(400 + k);
    const bad = new Mismatches();
    for (const rm of ALL_RM) {
      for (let i = 0; i < PER_RM; i++) {
        const v = randomInteger(rng, bits, signed);
        const flags = lib(BigInt.asUintN(64, v), rm);
        bad.check(`${name}(${v}) rm=${rm}`, { bits: outOf(f), flags }, refFromInt(f, v, rm), f.width);
      }
    }
    bad.assertNone(PER_RM * ALL_RM.length);
  });
}

test(`fcvt.s.d: ${PER_RM} random cases per rounding mode (overflow, underflow, NaN) match the reference`, () => {
  const rng = new Rng(500);
  const bad = new Mismatches();
  for (const rm of ALL_RM) {
    for (let i = 0; i < PER_RM; i++) {
      let a = randomFloat(rng, F64);
      if (rng.int(2)) {
        // exponents around the binary32 range, significands with bits just at/after the 24th
        const exp = 1023 + rng.int(300) - 160;
        // binary32 keeps fraction bits 51..29; bit 28 is its half-ulp, lower bits the sticky part
        const below = rng.int(2) ? 0n : rng.bits(rng.int(28) + 1);
        const frac = rng.int(3) === 0 ? rng.bits(52) : (rng.bits(23) << 29n) | (BigInt(rng.int(2)) << 28n) | below;
        a = (a & (1n << 63n)) | (BigInt(exp) << 52n) | (frac & ((1n << 52n) - 1n));
      }
      const flags = fp.f64ToF32(...halves(a), rm);
      bad.check(`fcvt.s.d(${hex(a, 64)}) rm=${rm}`, { bits: out32(), flags }, refConvert(F64, F32, a, rm), 32);
    }
  }
  bad.assertNone(PER_RM * ALL_RM.length);
});

test('fcvt.d.s: exact for every class; NaN -> canonical NaN', () => {
  const rng = new Rng(501);
  const bad = new Mismatches();
  for (let i = 0; i < 5000; i++) {
    const a = randomFloat(rng, F32);
    const flags = fp.f32ToF64(Number(a));
    bad.check(`fcvt.d.s(${hex(a, 32)})`, { bits: out64(), flags }, refConvert(F32, F64, a, 0), 64);
  }
  bad.assertNone(5000);
});

// ------------------------------------------------------------------ comparisons, min/max, fclass

interface CmpCase { f: Fmt; a: bigint; b: bigint }

function cmpCases(f: Fmt, seed: number, n: number): CmpCase[] {
  const rng = new Rng(seed);
  const out: CmpCase[] = [];
  for (let i = 0; i < n; i++) {
    const [a, b] = pair(rng, f);
    out.push({ f, a, b });
  }
  // equal values and signed zeros explicitly
  const zeroNeg = 1n << BigInt(f.width - 1);
  out.push({ f, a: 0n, b: zeroNeg }, { f, a: zeroNeg, b: 0n });
  return out;
}

const isNaNVal = (v: Val) => v.kind === 'nan';
const isSig = (v: Val) => v.kind === 'nan' && v.signaling;

function libCompare(f: Fmt, op: 'eq' | 'lt' | 'le' | 'ltq' | 'leq', a: bigint, b: bigint): [number, number] {
  let flags: number;
  if (f.width === 64) {
    const [aLo, aHi] = halves(a), [bLo, bHi] = halves(b);
    flags = op === 'eq' ? fp.f64Eq(aLo, aHi, bLo, bHi)
      : op === 'lt' || op === 'ltq' ? fp.f64Lt(aLo, aHi, bLo, bHi, op === 'ltq')
        : fp.f64Le(aLo, aHi, bLo, bHi, op === 'leq');
  } else {
    const x = Number(a), y = Number(b);
    flags = op === 'eq' ? fp.f32Eq(x, y)
      : op === 'lt' || op === 'ltq' ? fp.f32Lt(x, y, op === 'ltq') : fp.f32Le(x, y, op === 'leq');
  }
  assert.equal(fp.fpOut[1], 0);
  return [fp.fpOut[0], flags];
}

for (const f of [F32, F64]) {
  test(`binary${f.width} feq/flt/fle/fltq/fleq: result and NV per IEEE quiet/signaling rules`, () => {
    for (const { a, b } of cmpCases(f, 600 + f.width, 6000)) {
      const va = decode(a, f), vb = decode(b, f);
      const anyNaN = isNaNVal(va) || isNaNVal(vb);
      const anySig = isSig(va) || isSig(vb);
      const order = anyNaN ? NaN : compareValues(va, vb);
      const want: Record<string, [number, number]> = {
        eq: [order === 0 ? 1 : 0, anySig ? NV : 0],
        lt: [order === -1 ? 1 : 0, anyNaN ? NV : 0],
        le: [order === -1 || order === 0 ? 1 : 0, anyNaN ? NV : 0],
        ltq: [order === -1 ? 1 : 0, anySig ? NV : 0],
        leq: [order === -1 || order === 0 ? 1 : 0, anySig ? NV : 0],
      };
      for (const op of ['eq', 'lt', 'le', 'ltq', 'leq'] as const) {
        assert.deepEqual(libCompare(f, op, a, b), want[op], `${op}(${hex(a, f.width)}, ${hex(b, f.width)})`);
      }
    }
  });

  test(`binary${f.width} fmin/fmax/fminm/fmaxm: minimumNumber/maximumNumber and Zfa minimum/maximum`, () => {
    for (const { a, b } of cmpCases(f, 700 + f.width, 6000)) {
      const va = decode(a, f), vb = decode(b, f);
      const aNaN = isNaNVal(va), bNaN = isNaNVal(vb);
      const nv = isSig(va) || isSig(vb) ? NV : 0;
      // -0 < +0 for min/max: order by value, then by sign
      const negA = (a >> BigInt(f.width - 1)) === 1n;
      const order = aNaN || bNaN ? 0 : compareValues(va, vb) || (negA === ((b >> BigInt(f.width - 1)) === 1n) ? 0 : negA ? -1 : 1);
      for (const isMax of [false, true]) {
        for (const propagate of [false, true]) {
          let want: bigint;
          if (aNaN || bNaN) want = (aNaN && bNaN) || propagate ? canonicalNaN(f) : aNaN ? b : a;
          else want = (isMax ? order >= 0 : order <= 0) ? a : b;
          let flags: number;
          if (f.width === 64) flags = fp.f64MinMax(...halves(a), ...halves(b), isMax, propagate);
          else flags = fp.f32MinMax(Number(a), Number(b), isMax, propagate);
          const what = `${isMax ? 'max' : 'min'}${propagate ? 'm' : ''}(${hex(a, f.width)}, ${hex(b, f.width)})`;
          assert.equal(hex(outOf(f), f.width), hex(want, f.width), what);
          assert.equal(flags, nv, what);
        }
      }
    }
  });

  test(`binary${f.width} fclass: one bit per class, from the decoded value`, () => {
    const rng = new Rng(800 + f.width);
    for (let i = 0; i < 6000; i++) {
      const a = randomFloat(rng, f);
      const v = decode(a, f);
      let bit: number;
      if (v.kind === 'nan') bit = v.signaling ? 8 : 9;
      else if (v.kind === 'inf') bit = v.neg ? 0 : 7;
      else if (v.m === 0n) bit = v.neg ? 3 : 4;
      else {
        const subnormal = v.m < 1n << BigInt(f.p - 1);
        bit = v.neg ? (subnormal ? 2 : 1) : subnormal ? 5 : 6;
      }
      const got = f.width === 64 ? fp.f64Class(...halves(a)) : fp.f32Class(Number(a));
      assert.equal(got, 1 << bit, `fclass(${hex(a, f.width)})`);
    }
  });
}
