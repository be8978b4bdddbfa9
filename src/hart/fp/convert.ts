// Conversions: float -> integer (w, wu, l, lu) with RISC-V saturation, integer -> float rounded per rm,
// binary32 <-> binary64, and round-to-integral in floating point (shared with Zfa fround/fcvtmod).
// Integer results: fpOut[0] = low 32 bits, fpOut[1] = high 32 bits; 32-bit results (w and wu alike) are
// sign-extended into fpOut[1], as RV64 writes them to x registers.

import { isNaN32, isSignalingNaN32 } from './f32.js';
import { isNaN64, isSignalingNaN64 } from './f64.js';
import { F16, roundDoubleTo, roundPack, roundPackTo } from './round.js';
import {
  FLAG_NV, FLAG_NX, RM_RDN, RM_RMM, RM_RNE, RM_RUP,
  f32FromBits, f64FromBits, fpOut, outF32, outF32CanonicalNaN, outF64, outF64CanonicalNaN,
} from './state.js';

const F32_MIN_NORMAL = 1.1754943508222875e-38;

/** set by roundToIntegral: the argument was not an integer */
export let integralInexact = false;

/** x (finite) rounded to an integer-valued double under rm; keeps the sign of a zero result. */
export function roundToIntegral(x: number, rm: number): number {
  const t = Math.trunc(x);
  const frac = x - t; // exact
  if (frac === 0) {
    integralInexact = false;
    return t;
  }
  integralInexact = true;
  const f = Math.abs(frac);
  let away: boolean;
  switch (rm) {
    case RM_RNE: away = f > 0.5 || (f === 0.5 && t % 2 !== 0); break;
    case RM_RDN: away = x < 0; break;
    case RM_RUP: away = x > 0; break;
    case RM_RMM: away = f >= 0.5; break;
    default: away = false; // RTZ
  }
  return away ? (x < 0 ? t - 1 : t + 1) : t;
}

// integer kinds: signed/unsigned, 32/64 bits
const W = 0, WU = 1, L = 2, LU = 3;
const MIN_BY_KIND = [-2147483648, 0, -9223372036854775808, 0];
const MAX_BY_KIND = [2147483647, 4294967295, 9223372036854775807 /* = 2^63 */, 18446744073709551615 /* = 2^64 */];

function outInteger(v: number, kind: number): void {
  if (kind === W || kind === WU) {
    const w = v | 0; // ToInt32: two's complement of the low 32 bits
    fpOut[0] = w;
    fpOut[1] = w >> 31;
    return;
  }
  const hi = Math.floor(v / 4294967296);
  fpOut[0] = (v - hi * 4294967296) | 0;
  fpOut[1] = hi | 0;
}

/** x rounded to an integer of the given kind (0 w, 1 wu, 2 l, 3 lu) with saturation; NaN -> largest value; NV or NX. */
export function floatToInteger(x: number, nan: boolean, rm: number, kind: number): number {
  const min = MIN_BY_KIND[kind];
  const max = MAX_BY_KIND[kind];
  if (nan) {
    outIntegerSaturated(kind, true);
    return FLAG_NV;
  }
  const v = x === Infinity || x === -Infinity ? x : roundToIntegral(x, rm);
  // 64-bit maxima are stored as 2^63 / 2^64 (not representable minus one): those bounds are exclusive
  const above = kind >= L ? v >= max : v > max;
  if (v < min || above) {
    outIntegerSaturated(kind, !(v < min));
    return FLAG_NV;
  }
  outInteger(v, kind);
  return integralInexact ? FLAG_NX : 0;
}

function outIntegerSaturated(kind: number, positive: boolean): void {
  switch (kind) {
    case W: fpOut[0] = positive ? 0x7fffffff : -0x80000000; fpOut[1] = positive ? 0 : -1; break;
    case WU: fpOut[0] = positive ? -1 : 0; fpOut[1] = positive ? -1 : 0; break;
    case L: fpOut[0] = positive ? -1 : 0; fpOut[1] = positive ? 0x7fffffff : -0x80000000; break;
    default: fpOut[0] = positive ? -1 : 0; fpOut[1] = positive ? -1 : 0;
  }
}

// fcvt.{w,wu,l,lu}.d
export function f64ToI32(lo: number, hi: number, rm: number): number { return f64ToInteger(lo, hi, rm, W); }
export function f64ToU32(lo: number, hi: number, rm: number): number { return f64ToInteger(lo, hi, rm, WU); }
export function f64ToI64(lo: number, hi: number, rm: number): number { return f64ToInteger(lo, hi, rm, L); }
export function f64ToU64(lo: number, hi: number, rm: number): number { return f64ToInteger(lo, hi, rm, LU); }
function f64ToInteger(lo: number, hi: number, rm: number, kind: number): number {
  integralInexact = false;
  const nan = isNaN64(lo, hi);
  return floatToInteger(nan ? 0 : f64FromBits(lo, hi), nan, rm, kind);
}

// fcvt.{w,wu,l,lu}.s
export function f32ToI32(a: number, rm: number): number { return f32ToInteger(a, rm, W); }
export function f32ToU32(a: number, rm: number): number { return f32ToInteger(a, rm, WU); }
export function f32ToI64(a: number, rm: number): number { return f32ToInteger(a, rm, L); }
export function f32ToU64(a: number, rm: number): number { return f32ToInteger(a, rm, LU); }
function f32ToInteger(a: number, rm: number, kind: number): number {
  integralInexact = false;
  const nan = isNaN32(a);
  return floatToInteger(nan ? 0 : f32FromBits(a), nan, rm, kind);
}

/** The integer (lo, hi) (two's complement when signed) rounded to binary64 / binary32 / (half) binary16. */
export function integerToFloat(lo: number, hi: number, signed: boolean, is64: boolean, rm: number, half = false): number {
  let mLo = lo >>> 0;
  let mHi = hi >>> 0;
  let sign = 0;
  if (signed && (hi >>> 31) !== 0) {
    sign = 1;
    mLo = (~lo + 1) >>> 0;
    mHi = (~hi + (mLo === 0 ? 1 : 0)) >>> 0;
  }
  if (mHi < 0x200000) {
    // below 2^53: exact as a double
    const v = mHi * 4294967296 + mLo;
    const signed_v = sign !== 0 ? -v : v;
    if (half) return v === 0 ? roundDoubleTo(F16, 0, 0, rm) : roundDoubleTo(F16, signed_v, 0, rm);
    if (is64) {
      outF64(v === 0 ? 0 : signed_v);
      return 0;
    }
    const r = Math.fround(signed_v);
    if (r === signed_v) {
      outF32(v === 0 ? 0 : r);
      return 0;
    }
  }
  return half ? roundPackTo(F16, sign, 0, mHi, mLo, rm) : roundPack(sign, 0, mHi, mLo, is64, rm);
}

// fcvt.d.{w,wu,l,lu}: 32-bit sources take the register's low word
export function f64FromI32(x: number, rm: number): number { return integerToFloat(x, x >> 31, true, true, rm); }
export function f64FromU32(x: number, rm: number): number { return integerToFloat(x, 0, false, true, rm); }
export function f64FromI64(lo: number, hi: number, rm: number): number { return integerToFloat(lo, hi, true, true, rm); }
export function f64FromU64(lo: number, hi: number, rm: number): number { return integerToFloat(lo, hi, false, true, rm); }
// fcvt.s.{w,wu,l,lu}
export function f32FromI32(x: number, rm: number): number { return integerToFloat(x, x >> 31, true, false, rm); }
export function f32FromU32(x: number, rm: number): number { return integerToFloat(x, 0, false, false, rm); }
export function f32FromI64(lo: number, hi: number, rm: number): number { return integerToFloat(lo, hi, true, false, rm); }
export function f32FromU64(lo: number, hi: number, rm: number): number { return integerToFloat(lo, hi, false, false, rm); }

/** fcvt.d.s: exact; NaN -> canonical NaN (NV for a signaling one) */
export function f32ToF64(a: number): number {
  if (isNaN32(a)) {
    outF64CanonicalNaN();
    return isSignalingNaN32(a) ? FLAG_NV : 0;
  }
  outF64(f32FromBits(a));
  return 0;
}

/** fcvt.s.d: rounded per rm with overflow/underflow flags; NaN -> canonical NaN */
export function f64ToF32(lo: number, hi: number, rm: number): number {
  if (isNaN64(lo, hi)) {
    outF32CanonicalNaN();
    return isSignalingNaN64(lo, hi) ? FLAG_NV : 0;
  }
  const x = f64FromBits(lo, hi);
  const r = Math.fround(x);
  if (r === x) {
    outF32(r); // exact, including zeros and infinities
    return 0;
  }
  const ar = Math.abs(r);
  if (rm === RM_RNE && ar > F32_MIN_NORMAL && ar !== Infinity) {
    outF32(r);
    return FLAG_NX;
  }
  const exp = (hi >>> 20) & 0x7ff;
  const sig = (hi & 0xfffff) | (exp !== 0 ? 0x100000 : 0);
  return roundPack(hi >>> 31, (exp !== 0 ? exp : 1) - 1075, sig, lo, false, rm);
}
