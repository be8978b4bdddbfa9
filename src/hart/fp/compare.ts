// Comparisons, min/max (IEEE 754-2019 minimumNumber/maximumNumber as RISC-V F/D define fmin/fmax, and
// the NaN-propagating minimum/maximum of Zfa), and fclass, for binary32 and binary64.
// Boolean results go to fpOut[0] (fpOut[1] = 0); min/max results are the chosen operand's bits.

import { isNaN32, isSignalingNaN32 } from './f32.js';
import { isNaN64, isSignalingNaN64 } from './f64.js';
import { FLAG_NV, f32FromBits, f64FromBits, fpOut, outF32CanonicalNaN, outF64CanonicalNaN } from './state.js';

function outBool(v: boolean): void {
  fpOut[0] = v ? 1 : 0;
  fpOut[1] = 0;
}

// ---------------------------------------------------------------- binary64

/** 0 equal, -1 a < b, 1 a > b; operands must not be NaN */
function order64(aLo: number, aHi: number, bLo: number, bHi: number): number {
  const a = f64FromBits(aLo, aHi);
  const b = f64FromBits(bLo, bHi);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** feq.d: quiet, NV only for a signaling NaN */
export function f64Eq(aLo: number, aHi: number, bLo: number, bHi: number): number {
  if (isNaN64(aLo, aHi) || isNaN64(bLo, bHi)) {
    outBool(false);
    return isSignalingNaN64(aLo, aHi) || isSignalingNaN64(bLo, bHi) ? FLAG_NV : 0;
  }
  outBool(order64(aLo, aHi, bLo, bHi) === 0);
  return 0;
}

/** flt.d (signaling: NV for any NaN) or, quiet, fltq.d (Zfa) */
export function f64Lt(aLo: number, aHi: number, bLo: number, bHi: number, quiet = false): number {
  if (isNaN64(aLo, aHi) || isNaN64(bLo, bHi)) {
    outBool(false);
    return !quiet || isSignalingNaN64(aLo, aHi) || isSignalingNaN64(bLo, bHi) ? FLAG_NV : 0;
  }
  outBool(order64(aLo, aHi, bLo, bHi) < 0);
  return 0;
}

/** fle.d (signaling) or, quiet, fleq.d (Zfa) */
export function f64Le(aLo: number, aHi: number, bLo: number, bHi: number, quiet = false): number {
  if (isNaN64(aLo, aHi) || isNaN64(bLo, bHi)) {
    outBool(false);
    return !quiet || isSignalingNaN64(aLo, aHi) || isSignalingNaN64(bLo, bHi) ? FLAG_NV : 0;
  }
  outBool(order64(aLo, aHi, bLo, bHi) <= 0);
  return 0;
}

/**
 * fmin.d / fmax.d (isMax), or with propagateNaN the Zfa fminm.d / fmaxm.d. -0 orders below +0.
 * fmin/fmax: one NaN operand gives the other operand, two give the canonical NaN; fminm/fmaxm: any NaN
 * gives the canonical NaN. NV only for signaling NaNs.
 */
export function f64MinMax(aLo: number, aHi: number, bLo: number, bHi: number, isMax: boolean, propagateNaN = false): number {
  const aNaN = isNaN64(aLo, aHi);
  const bNaN = isNaN64(bLo, bHi);
  if (aNaN || bNaN) {
    const flags = isSignalingNaN64(aLo, aHi) || isSignalingNaN64(bLo, bHi) ? FLAG_NV : 0;
    if ((aNaN && bNaN) || propagateNaN) outF64CanonicalNaN();
    else if (aNaN) { fpOut[0] = bLo; fpOut[1] = bHi; }
    else { fpOut[0] = aLo; fpOut[1] = aHi; }
    return flags;
  }
  let o = order64(aLo, aHi, bLo, bHi);
  if (o === 0) o = (aHi >>> 31) === (bHi >>> 31) ? 0 : (aHi >>> 31) !== 0 ? -1 : 1; // -0 < +0
  const pickA = isMax ? o >= 0 : o <= 0;
  fpOut[0] = pickA ? aLo : bLo;
  fpOut[1] = pickA ? aHi : bHi;
  return 0;
}

/** fclass.d: the 10-bit class mask (returned directly: fclass raises no flags) */
export function f64Class(lo: number, hi: number): number {
  const exp = (hi >>> 20) & 0x7ff;
  return classMask((hi >>> 31) !== 0, exp === 0x7ff, exp === 0, ((hi & 0xfffff) | lo) === 0, (hi & 0x80000) !== 0);
}

/** The fclass mask of any format from its fields (quiet: the fraction's top bit). */
export function classMask(negative: boolean, expAllOnes: boolean, expZero: boolean, fractionZero: boolean, quiet: boolean): number {
  if (expAllOnes) {
    if (fractionZero) return negative ? 1 << 0 : 1 << 7;
    return quiet ? 1 << 9 : 1 << 8;
  }
  if (expZero) {
    if (fractionZero) return negative ? 1 << 3 : 1 << 4;
    return negative ? 1 << 2 : 1 << 5;
  }
  return negative ? 1 << 1 : 1 << 6;
}

// ---------------------------------------------------------------- binary32

function order32(a: number, b: number): number {
  const av = f32FromBits(a);
  const bv = f32FromBits(b);
  return av < bv ? -1 : av > bv ? 1 : 0;
}

export function f32Eq(a: number, b: number): number {
  if (isNaN32(a) || isNaN32(b)) {
    outBool(false);
    return isSignalingNaN32(a) || isSignalingNaN32(b) ? FLAG_NV : 0;
  }
  outBool(order32(a, b) === 0);
  return 0;
}

export function f32Lt(a: number, b: number, quiet = false): number {
  if (isNaN32(a) || isNaN32(b)) {
    outBool(false);
    return !quiet || isSignalingNaN32(a) || isSignalingNaN32(b) ? FLAG_NV : 0;
  }
  outBool(order32(a, b) < 0);
  return 0;
}

export function f32Le(a: number, b: number, quiet = false): number {
  if (isNaN32(a) || isNaN32(b)) {
    outBool(false);
    return !quiet || isSignalingNaN32(a) || isSignalingNaN32(b) ? FLAG_NV : 0;
  }
  outBool(order32(a, b) <= 0);
  return 0;
}

export function f32MinMax(a: number, b: number, isMax: boolean, propagateNaN = false): number {
  const aNaN = isNaN32(a);
  const bNaN = isNaN32(b);
  if (aNaN || bNaN) {
    const flags = isSignalingNaN32(a) || isSignalingNaN32(b) ? FLAG_NV : 0;
    if ((aNaN && bNaN) || propagateNaN) outF32CanonicalNaN();
    else { fpOut[0] = aNaN ? b : a; fpOut[1] = -1; }
    return flags;
  }
  let o = order32(a, b);
  if (o === 0) o = (a >>> 31) === (b >>> 31) ? 0 : (a >>> 31) !== 0 ? -1 : 1;
  const pickA = isMax ? o >= 0 : o <= 0;
  fpOut[0] = pickA ? a : b;
  fpOut[1] = -1;
  return 0;
}

export function f32Class(a: number): number {
  const exp = (a >>> 23) & 0xff;
  return classMask((a & 0x80000000) !== 0, exp === 0xff, exp === 0, (a & 0x7fffff) === 0, (a & 0x400000) !== 0);
}
