// binary16 (Zfh, Zfhmin, and the half-precision Zfa instructions) through doubles, as binary32 is in f32.ts.
// A binary16 operand is its 16 bits (the hart checks NaN-boxing first and passes the canonical NaN 0x7e00 for
// an improperly boxed value); every result is NaN-boxed: fpOut[0] = 0xffff0000 | bits, fpOut[1] = -1.
// Why doubles suffice: binary16 values span 2^-24 .. 2^16, so a sum of two is exact in a double (41 bits),
// a product exact (22 bits); a quotient, a square root and the sum of an FMA are the double result plus the
// sign of its exact error, which roundDoubleTo(F16, ...) rounds exactly (its rounding points lie at least 42 bits
// above the double's last bit). Comparisons and fclass work on the bits.

import { F16, roundDoubleTo } from './round.js';
import { fmaZeroSign, productError, sqrtResidual, sumError } from './exact.js';
import { floatToInteger, integerToFloat, integralInexact, roundToIntegral } from './convert.js';
import {
  FLAG_DZ, FLAG_NV, FLAG_NX, RM_RDN, RM_RTZ, f32FromBits, f64FromBits, fpOut, outF32, outF32CanonicalNaN, outF64,
  outF64CanonicalNaN,
} from './state.js';
import { isNaN32, isSignalingNaN32 } from './f32.js';
import { isNaN64, isSignalingNaN64 } from './f64.js';
import { classMask } from './compare.js';

export const F16_CANONICAL_NAN = 0x7e00;

export function isNaN16(a: number): boolean {
  return (a & 0x7c00) === 0x7c00 && (a & 0x3ff) !== 0;
}

export function isSignalingNaN16(a: number): boolean {
  return isNaN16(a) && (a & 0x200) === 0;
}

const isZero16 = (a: number): boolean => (a & 0x7fff) === 0;
const isSpecial16 = (a: number): boolean => (a & 0x7c00) === 0x7c00;

/** The double equal to the binary16 bits (not NaN). */
export function f16Value(a: number): number {
  const e = (a >>> 10) & 0x1f, f = a & 0x3ff;
  const m = e === 0 ? f * 5.960464477539063e-8 /* 2^-24 */ : e === 0x1f ? Infinity : (f + 1024) * 2 ** (e - 25);
  return (a & 0x8000) !== 0 ? -m : m;
}

/** a binary16 result, NaN-boxed */
function out16(bits: number): void {
  fpOut[0] = 0xffff0000 | (bits & 0xffff);
  fpOut[1] = -1;
}
function outNaN(): void { out16(F16_CANONICAL_NAN); }

function nanResult2(a: number, b: number): number {
  outNaN();
  return isSignalingNaN16(a) || isSignalingNaN16(b) ? FLAG_NV : 0;
}

/** round the exact value x + err (err its exact error, or just its sign) to binary16 */
function finish(x: number, err: number, rm: number): number {
  return roundDoubleTo(F16, x, err > 0 ? 1 : err < 0 ? -1 : 0, rm);
}

export function f16Add(a: number, b: number, rm: number): number {
  if (isSpecial16(a) || isSpecial16(b)) {
    if (isNaN16(a) || isNaN16(b)) return nanResult2(a, b);
    const aInf = isSpecial16(a), bInf = isSpecial16(b);
    if (aInf && bInf && ((a ^ b) & 0x8000) !== 0) { outNaN(); return FLAG_NV; }
    out16(((aInf ? a : b) & 0x8000) | 0x7c00);
    return 0;
  }
  const x = f16Value(a) + f16Value(b); // exact
  if (x === 0) {
    if (rm === RM_RDN && ((a | b) & 0xffff) !== 0) out16(0x8000);
    else out16(a & b & 0x8000);
    return 0;
  }
  return finish(x, 0, rm);
}

export function f16Sub(a: number, b: number, rm: number): number {
  return f16Add(a, b ^ 0x8000, rm);
}

export function f16Mul(a: number, b: number, rm: number): number {
  const sign = (a ^ b) & 0x8000;
  if (isSpecial16(a) || isSpecial16(b)) {
    if (isNaN16(a) || isNaN16(b)) return nanResult2(a, b);
    if (isZero16(a) || isZero16(b)) { outNaN(); return FLAG_NV; }
    out16(sign | 0x7c00);
    return 0;
  }
  if (isZero16(a) || isZero16(b)) { out16(sign); return 0; }
  return finish(f16Value(a) * f16Value(b), 0, rm); // exact
}

export function f16Div(a: number, b: number, rm: number): number {
  const sign = (a ^ b) & 0x8000;
  if (isSpecial16(a) || isSpecial16(b)) {
    if (isNaN16(a) || isNaN16(b)) return nanResult2(a, b);
    if (isSpecial16(a) && isSpecial16(b)) { outNaN(); return FLAG_NV; }
    out16(isSpecial16(a) ? sign | 0x7c00 : sign);
    return 0;
  }
  if (isZero16(b)) {
    if (isZero16(a)) { outNaN(); return FLAG_NV; }
    out16(sign | 0x7c00);
    return FLAG_DZ;
  }
  if (isZero16(a)) { out16(sign); return 0; }
  const av = f16Value(a), bv = f16Value(b);
  const q = av / bv;
  const p = q * bv;
  const residual = (av - p) - productError(q, bv, p);
  return finish(q, residual === 0 ? 0 : (residual > 0) === (bv > 0) ? 1 : -1, rm);
}

export function f16Sqrt(a: number, rm: number): number {
  if (isNaN16(a)) { outNaN(); return isSignalingNaN16(a) ? FLAG_NV : 0; }
  if (isZero16(a)) { out16(a & 0x8000); return 0; }
  if ((a & 0x8000) !== 0) { outNaN(); return FLAG_NV; }
  if (isSpecial16(a)) { out16(0x7c00); return 0; }
  const v = f16Value(a);
  const s = Math.sqrt(v);
  return finish(s, sqrtResidual(v, s), rm);
}

/** fmadd.h: round(a*b + c) once; the product is exact, TwoSum gives the sum's error. */
export function f16MulAdd(a: number, b: number, c: number, rm: number): number {
  const sp = (a ^ b) & 0x8000;
  const aS = isSpecial16(a), bS = isSpecial16(b), cS = isSpecial16(c);
  if (aS || bS || cS) {
    const invalidProduct = (aS && !isNaN16(a) && isZero16(b)) || (bS && !isNaN16(b) && isZero16(a));
    if (isNaN16(a) || isNaN16(b) || isNaN16(c)) {
      outNaN();
      return isSignalingNaN16(a) || isSignalingNaN16(b) || isSignalingNaN16(c) || invalidProduct ? FLAG_NV : 0;
    }
    if (invalidProduct) { outNaN(); return FLAG_NV; }
    if (aS || bS) {
      if (cS && (c & 0x8000) !== sp) { outNaN(); return FLAG_NV; }
      out16(sp | 0x7c00);
      return 0;
    }
    out16((c & 0x8000) | 0x7c00);
    return 0;
  }
  const p = f16Value(a) * f16Value(b);
  const cv = f16Value(c);
  const x = p + cv;
  if (x === 0) {
    out16(fmaZeroSign(rm, p, sp >>> 15, cv, (c >>> 15) & 1) << 15);
    return 0;
  }
  return finish(x, sumError(p, cv, x), rm);
}
export function f16MulSub(a: number, b: number, c: number, rm: number): number { return f16MulAdd(a, b, c ^ 0x8000, rm); }
export function f16NegMulSub(a: number, b: number, c: number, rm: number): number { return f16MulAdd(a ^ 0x8000, b, c, rm); }
export function f16NegMulAdd(a: number, b: number, c: number, rm: number): number { return f16MulAdd(a ^ 0x8000, b, c ^ 0x8000, rm); }

// ---------------------------------------------------------------- comparisons, min/max, fclass

function outBool(v: boolean): void {
  fpOut[0] = v ? 1 : 0;
  fpOut[1] = 0;
}

/** feq.h: quiet */
export function f16Eq(a: number, b: number): number {
  if (isNaN16(a) || isNaN16(b)) { outBool(false); return isSignalingNaN16(a) || isSignalingNaN16(b) ? FLAG_NV : 0; }
  outBool(f16Value(a) === f16Value(b));
  return 0;
}
/** flt.h (signaling) or, quiet, fltq.h */
export function f16Lt(a: number, b: number, quiet = false): number {
  if (isNaN16(a) || isNaN16(b)) { outBool(false); return !quiet || isSignalingNaN16(a) || isSignalingNaN16(b) ? FLAG_NV : 0; }
  outBool(f16Value(a) < f16Value(b));
  return 0;
}
/** fle.h (signaling) or, quiet, fleq.h */
export function f16Le(a: number, b: number, quiet = false): number {
  if (isNaN16(a) || isNaN16(b)) { outBool(false); return !quiet || isSignalingNaN16(a) || isSignalingNaN16(b) ? FLAG_NV : 0; }
  outBool(f16Value(a) <= f16Value(b));
  return 0;
}

/** fmin.h / fmax.h, or with propagateNaN fminm.h / fmaxm.h (as f32MinMax) */
export function f16MinMax(a: number, b: number, isMax: boolean, propagateNaN = false): number {
  const aNaN = isNaN16(a), bNaN = isNaN16(b);
  if (aNaN || bNaN) {
    const flags = isSignalingNaN16(a) || isSignalingNaN16(b) ? FLAG_NV : 0;
    if ((aNaN && bNaN) || propagateNaN) outNaN();
    else out16(aNaN ? b : a);
    return flags;
  }
  const av = f16Value(a), bv = f16Value(b);
  let o = av < bv ? -1 : av > bv ? 1 : 0;
  if (o === 0) o = (a & 0x8000) === (b & 0x8000) ? 0 : (a & 0x8000) !== 0 ? -1 : 1; // -0 < +0
  out16((isMax ? o >= 0 : o <= 0) ? a : b);
  return 0;
}

/** fclass.h: the 10-bit class mask */
export function f16Class(a: number): number {
  const exp = (a >>> 10) & 0x1f;
  return classMask((a & 0x8000) !== 0, exp === 0x1f, exp === 0, (a & 0x3ff) === 0, (a & 0x200) !== 0);
}

// ---------------------------------------------------------------- conversions

/** fcvt.{w,wu,l,lu}.h: kind 0 w, 1 wu, 2 l, 3 lu */
export function f16ToInt(a: number, rm: number, kind: number): number {
  const nan = isNaN16(a);
  return floatToInteger(nan ? 0 : f16Value(a), nan, rm, kind);
}
/** fcvt.h.{w,wu,l,lu}: the integer (lo, hi), 32-bit sources already extended by the caller */
export function f16FromInt(lo: number, hi: number, signed: boolean, rm: number): number {
  return integerToFloat(lo, hi, signed, false, rm, true);
}

/** fcvt.s.h: exact; NaN -> canonical NaN (NV for a signaling one) */
export function f16ToF32(a: number): number {
  if (isNaN16(a)) { outF32CanonicalNaN(); return isSignalingNaN16(a) ? FLAG_NV : 0; }
  outF32(f16Value(a));
  return 0;
}
/** fcvt.d.h: exact */
export function f16ToF64(a: number): number {
  if (isNaN16(a)) { outF64CanonicalNaN(); return isSignalingNaN16(a) ? FLAG_NV : 0; }
  outF64(f16Value(a));
  return 0;
}
/**
 * fcvt.h.s (and vfncvt.f.f.w): rounded per rm; odd = round to odd (vfncvt.rod.f.f.w: truncate, then set the
 * last bit when inexact, so a second rounding cannot round twice)
 */
export function f32ToF16(a: number, rm: number, odd = false): number {
  if (isNaN32(a)) { outNaN(); return isSignalingNaN32(a) ? FLAG_NV : 0; }
  if ((a & 0x7fffffff) === 0x7f800000) { out16(((a >>> 16) & 0x8000) | 0x7c00); return 0; }
  const flags = roundDoubleTo(F16, f32FromBits(a), 0, odd ? RM_RTZ : rm);
  if (odd && (flags & FLAG_NX) !== 0 && (fpOut[0]! & 0x7c00) !== 0x7c00) fpOut[0] = fpOut[0]! | 1;
  return flags;
}
/** fcvt.h.d: rounded per rm */
export function f64ToF16(lo: number, hi: number, rm: number): number {
  if (isNaN64(lo, hi)) { outNaN(); return isSignalingNaN64(lo, hi) ? FLAG_NV : 0; }
  if ((hi & 0x7fffffff) === 0x7ff00000 && lo === 0) { out16(((hi >>> 16) & 0x8000) | 0x7c00); return 0; }
  return roundDoubleTo(F16, f64FromBits(lo, hi), 0, rm);
}

// ---------------------------------------------------------------- Zfa

// fli.h (ratified Zfa table; entries 2 and 3, 2^-16 and 2^-15, are binary16 subnormals; entry 29, 2^16, is
// above binary16's range and loads +inf, as the table says for fli.h), by rs1
const FLI_H = [
  0xbc00, 0x0400, 0x0100, 0x0200, 0x1c00, 0x2000, 0x2c00, 0x3000,
  0x3400, 0x3500, 0x3600, 0x3700, 0x3800, 0x3900, 0x3a00, 0x3b00,
  0x3c00, 0x3d00, 0x3e00, 0x3f00, 0x4000, 0x4100, 0x4200, 0x4400,
  0x4800, 0x4c00, 0x5800, 0x5c00, 0x7800, 0x7c00, 0x7c00, 0x7e00,
];
export function f16Fli(index: number): number {
  out16(FLI_H[index & 31]!);
  return 0;
}

/** fround.h / froundnx.h (exact: NX when the value changed) */
export function f16Round(a: number, rm: number, exact: boolean): number {
  if (isNaN16(a)) { outNaN(); return isSignalingNaN16(a) ? FLAG_NV : 0; }
  if (((a >>> 10) & 0x1f) >= 15 + 10) { out16(a); return 0; } // integral already (or infinite)
  const r = roundToIntegral(f16Value(a), rm);
  out16(r === 0 ? a & 0x8000 : 0); // the zero keeps the operand's sign
  if (r !== 0) roundDoubleTo(F16, r, 0, rm); // integral and below 2^10: exact
  return exact && integralInexact ? FLAG_NX : 0;
}
