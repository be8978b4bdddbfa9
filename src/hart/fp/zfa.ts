// Zfa: fli constants, fround/froundnx, fcvtmod.w.d. (fminm/fmaxm and fleq/fltq are the propagateNaN /
// quiet variants in compare.ts.)

import { isNaN32, isSignalingNaN32 } from './f32.js';
import { isNaN64, isSignalingNaN64 } from './f64.js';
import { integralInexact, roundToIntegral } from './convert.js';
import {
  FLAG_NV, FLAG_NX, f32FromBits, f64FromBits, fpOut, outF32, outF32CanonicalNaN, outF64,
  outF64CanonicalNaN,
} from './state.js';

/**
 * The 32 fli constants (ratified Zfa, table "Immediate values loaded by the FLI.S instruction"), indexed
 * by rs1. Entry 1 is the format's minimum positive normal and entry 31 the canonical NaN: both are
 * format-specific and handled in fliF32/fliF64 (the NaN placeholder here is never written).
 */
const FLI_VALUES: readonly number[] = [
  -1, NaN, 2 ** -16, 2 ** -15, 2 ** -8, 2 ** -7, 0.0625, 0.125,
  0.25, 0.3125, 0.375, 0.4375, 0.5, 0.625, 0.75, 0.875,
  1, 1.25, 1.5, 1.75, 2, 2.5, 3, 4,
  8, 16, 128, 256, 2 ** 15, 2 ** 16, Infinity, NaN,
];

/** fli.s: index 0..31 (rs1). Never raises flags. */
export function f32Fli(index: number): number {
  if (index === 1) { fpOut[0] = 0x00800000; fpOut[1] = -1; }
  else if (index === 31) outF32CanonicalNaN();
  else outF32(FLI_VALUES[index & 31]);
  return 0;
}

/** fli.d: index 0..31 (rs1). Never raises flags. */
export function f64Fli(index: number): number {
  if (index === 1) { fpOut[0] = 0; fpOut[1] = 0x00100000; }
  else if (index === 31) outF64CanonicalNaN();
  else outF64(FLI_VALUES[index & 31]);
  return 0;
}

/**
 * fround.d (exact = false) / froundnx.d (exact = true): round to an integral value in binary64 under rm.
 * Zeros, infinities and values already integral (|x| >= 2^52) are returned unchanged; NaN -> canonical
 * NaN with NV only for signaling NaNs; froundnx also raises NX when the value changed.
 */
export function f64Round(lo: number, hi: number, rm: number, exact: boolean): number {
  if (isNaN64(lo, hi)) {
    outF64CanonicalNaN();
    return isSignalingNaN64(lo, hi) ? FLAG_NV : 0;
  }
  if (((hi >>> 20) & 0x7ff) >= 1023 + 52) {
    fpOut[0] = lo;
    fpOut[1] = hi;
    return 0;
  }
  outF64(roundToIntegral(f64FromBits(lo, hi), rm));
  return exact && integralInexact ? FLAG_NX : 0;
}

/** fround.s / froundnx.s */
export function f32Round(a: number, rm: number, exact: boolean): number {
  if (isNaN32(a)) {
    outF32CanonicalNaN();
    return isSignalingNaN32(a) ? FLAG_NV : 0;
  }
  if (((a >>> 23) & 0xff) >= 127 + 23) {
    fpOut[0] = a;
    fpOut[1] = -1;
    return 0;
  }
  outF32(roundToIntegral(f32FromBits(a), rm));
  return exact && integralInexact ? FLAG_NX : 0;
}

/**
 * fcvtmod.w.d: truncate, keep the low 32 bits of the unbounded integer (sign-extended into fpOut[1]);
 * ±inf and NaN give 0. Flags as fcvt.w.d with RTZ: NV when out of int32 range or NaN/inf, else NX if inexact.
 */
export function f64CvtModW(lo: number, hi: number): number {
  if ((hi & 0x7ff00000) === 0x7ff00000) {
    fpOut[0] = 0;
    fpOut[1] = 0;
    return FLAG_NV;
  }
  const x = f64FromBits(lo, hi);
  const t = Math.trunc(x);
  const w = t | 0; // ToInt32 is exactly "low 32 bits, two's complement" for any integral double
  fpOut[0] = w;
  fpOut[1] = w >> 31;
  if (t < -2147483648 || t > 2147483647) return FLAG_NV;
  return t !== x ? FLAG_NX : 0;
}
