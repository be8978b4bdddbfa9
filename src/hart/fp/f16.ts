// binary16 (IEEE half precision) for Zvfh/Zvfhmin (and Zfh): arithmetic, compares, classify, conversions.
// Every binary16 value is an exact double, and so are sums, differences and products of two (at most 40 and 22
// significant bits in range); a quotient or square root in double plus the sign of its residual, and a fused
// multiply-add's double sum plus its TwoSum error sign, are rounded exactly by roundDoubleTo(F16) (the rounding
// points lie 42 bits above the double's last bit). Conventions are the library's (index.ts): operands are raw
// bits (the low 16 bits count), results in fpOut NaN-boxed (fpOut[0] = 0xffff0000 | bits, fpOut[1] = -1),
// flags returned.
import { F16, roundDoubleTo } from './round.js';
import { productError, SPLIT } from './exact.js';
import { FLAG_DZ, FLAG_NV, FLAG_NX, RM_RDN, RM_RTZ, fpOut, outF32, pow2 } from './state.js';
import { isNaN32, isSignalingNaN32 } from './f32.js';

export const F16_CANONICAL_NAN = 0x7e00;

export function isNaN16(a: number): boolean {
  return (a & 0x7c00) === 0x7c00 && (a & 0x3ff) !== 0;
}
export function isSignalingNaN16(a: number): boolean {
  return isNaN16(a) && (a & 0x200) === 0;
}
const isInf16 = (a: number): boolean => (a & 0x7fff) === 0x7c00;
const isZero16 = (a: number): boolean => (a & 0x7fff) === 0;

/** the double a binary16 (not NaN) stands for */
export function f16ToDouble(a: number): number {
  const e = (a >>> 10) & 31, f = a & 0x3ff;
  const m = e === 0 ? f * pow2(-24) : e === 31 ? Infinity : (1024 + f) * pow2(e - 25);
  return (a & 0x8000) !== 0 ? -m : m;
}

function put(bits: number): void {
  fpOut[0] = 0xffff0000 | bits;
  fpOut[1] = -1;
}
function canonicalNaN(): void {
  put(F16_CANONICAL_NAN);
}
/** a NaN result from NaN operands: canonical, NV when one is signaling */
function nanResult(a: number, b: number, c = 0): number {
  canonicalNaN();
  return isSignalingNaN16(a) || isSignalingNaN16(b) || isSignalingNaN16(c) ? FLAG_NV : 0;
}
/** the nonzero exact x + err (err's sign given) rounded to binary16 */
const round = (x: number, err: number, rm: number): number => roundDoubleTo(F16, x, err > 0 ? 1 : err < 0 ? -1 : 0, rm);

export function f16Add(a: number, b: number, rm: number): number {
  if (isNaN16(a) || isNaN16(b)) return nanResult(a, b);
  if (isInf16(a) || isInf16(b)) {
    if (isInf16(a) && isInf16(b) && ((a ^ b) & 0x8000) !== 0) { canonicalNaN(); return FLAG_NV; }
    put((isInf16(a) ? a : b) & 0xfc00);
    return 0;
  }
  const x = f16ToDouble(a) + f16ToDouble(b); // exact
  if (x === 0) {
    // an exact zero: -0 only when both are -0, or under RDN when the operands were not both +0
    put(rm === RM_RDN && !(isZero16(a) && isZero16(b) && ((a | b) & 0x8000) === 0) ? 0x8000 : a & b & 0x8000);
    return 0;
  }
  return round(x, 0, rm);
}
export function f16Sub(a: number, b: number, rm: number): number {
  return f16Add(a, b ^ 0x8000, rm);
}

export function f16Mul(a: number, b: number, rm: number): number {
  const sign = (a ^ b) & 0x8000;
  if (isNaN16(a) || isNaN16(b)) return nanResult(a, b);
  if (isInf16(a) || isInf16(b)) {
    if (isZero16(a) || isZero16(b)) { canonicalNaN(); return FLAG_NV; }
    put(sign | 0x7c00);
    return 0;
  }
  if (isZero16(a) || isZero16(b)) { put(sign); return 0; }
  return round(f16ToDouble(a) * f16ToDouble(b), 0, rm); // 22-bit product: exact
}

export function f16Div(a: number, b: number, rm: number): number {
  const sign = (a ^ b) & 0x8000;
  if (isNaN16(a) || isNaN16(b)) return nanResult(a, b);
  if (isInf16(a)) {
    if (isInf16(b)) { canonicalNaN(); return FLAG_NV; }
    put(sign | 0x7c00);
    return 0;
  }
  if (isInf16(b)) { put(sign); return 0; }
  if (isZero16(b)) {
    if (isZero16(a)) { canonicalNaN(); return FLAG_NV; }
    put(sign | 0x7c00);
    return FLAG_DZ;
  }
  if (isZero16(a)) { put(sign); return 0; }
  const av = f16ToDouble(a), bv = f16ToDouble(b);
  const q = av / bv, p = q * bv;
  const residual = (av - p) - productError(q, bv, p);
  return round(q, residual === 0 ? 0 : (residual > 0) === (bv > 0) ? 1 : -1, rm);
}

export function f16Sqrt(a: number, rm: number): number {
  if (isNaN16(a)) return nanResult(a, a);
  if (isZero16(a)) { put(a & 0x8000); return 0; }
  if ((a & 0x8000) !== 0) { canonicalNaN(); return FLAG_NV; }
  if (isInf16(a)) { put(0x7c00); return 0; }
  const v = f16ToDouble(a);
  const s = Math.sqrt(v);
  const t = SPLIT * s, sh = t - (t - s), sl = s - sh;
  const p = s * s;
  return round(s, (v - p) - (((sh * sh - p) + 2 * sh * sl) + sl * sl), rm);
}

/** round(a * b + c) once: the product is exact in double, TwoSum gives the sum's error */
export function f16MulAdd(a: number, b: number, c: number, rm: number): number {
  const sp = (a ^ b) & 0x8000;
  const invalidProduct = (isInf16(a) && isZero16(b)) || (isInf16(b) && isZero16(a));
  if (isNaN16(a) || isNaN16(b) || isNaN16(c)) {
    const f = nanResult(a, b, c);
    return invalidProduct ? FLAG_NV : f;
  }
  if (invalidProduct) { canonicalNaN(); return FLAG_NV; }
  if (isInf16(a) || isInf16(b)) {
    if (isInf16(c) && (c & 0x8000) !== sp) { canonicalNaN(); return FLAG_NV; }
    put(sp | 0x7c00);
    return 0;
  }
  if (isInf16(c)) { put(c & 0xfc00); return 0; }
  const p = f16ToDouble(a) * f16ToDouble(b), cv = f16ToDouble(c);
  const x = p + cv;
  if (x === 0) {
    const exactZeros = p === 0 && cv === 0;
    if (rm === RM_RDN && !(exactZeros && sp === 0 && (c & 0x8000) === 0)) put(0x8000);
    else put(exactZeros ? sp & c & 0x8000 : 0);
    return 0;
  }
  const cPart = x - p;
  return round(x, (p - (x - cPart)) + (cv - cPart), rm);
}
export const f16MulSub = (a: number, b: number, c: number, rm: number): number => f16MulAdd(a, b, c ^ 0x8000, rm);
export const f16NegMulAdd = (a: number, b: number, c: number, rm: number): number => f16MulAdd(a ^ 0x8000, b, c ^ 0x8000, rm);
export const f16NegMulSub = (a: number, b: number, c: number, rm: number): number => f16MulAdd(a ^ 0x8000, b, c, rm);

// ---- compares (fpOut[0] = 0 or 1), min/max, classify

function compareOut(r: boolean): void { fpOut[0] = r ? 1 : 0; fpOut[1] = 0; }
/** feq: quiet (NV only for signaling NaNs) */
export function f16Eq(a: number, b: number): number {
  if (isNaN16(a) || isNaN16(b)) { compareOut(false); return isSignalingNaN16(a) || isSignalingNaN16(b) ? FLAG_NV : 0; }
  compareOut(f16ToDouble(a) === f16ToDouble(b));
  return 0;
}
/** flt / fle: signaling (NV for any NaN) */
export function f16Lt(a: number, b: number): number {
  if (isNaN16(a) || isNaN16(b)) { compareOut(false); return FLAG_NV; }
  compareOut(f16ToDouble(a) < f16ToDouble(b));
  return 0;
}
export function f16Le(a: number, b: number): number {
  if (isNaN16(a) || isNaN16(b)) { compareOut(false); return FLAG_NV; }
  compareOut(f16ToDouble(a) <= f16ToDouble(b));
  return 0;
}
/** fmin / fmax: IEEE 754-2019 minimumNumber / maximumNumber, -0 < +0 */
export function f16MinMax(a: number, b: number, max: boolean): number {
  const flags = isSignalingNaN16(a) || isSignalingNaN16(b) ? FLAG_NV : 0;
  if (isNaN16(a) && isNaN16(b)) canonicalNaN();
  else if (isNaN16(a)) put(b & 0xffff);
  else if (isNaN16(b)) put(a & 0xffff);
  else {
    const av = f16ToDouble(a), bv = f16ToDouble(b);
    const aWins = av === bv ? ((a & 0x8000) !== 0) !== max : (av < bv) !== max;
    put((aWins ? a : b) & 0xffff);
  }
  return flags;
}
/** fclass's 10-bit mask */
export function f16Class(a: number): number {
  const neg = (a & 0x8000) !== 0, e = (a >>> 10) & 31, f = a & 0x3ff;
  if (e === 31) return f === 0 ? (neg ? 1 : 1 << 7) : (f & 0x200) !== 0 ? 1 << 9 : 1 << 8;
  if (e === 0) return f === 0 ? (neg ? 1 << 3 : 1 << 4) : neg ? 1 << 2 : 1 << 5;
  return neg ? 1 << 1 : 1 << 6;
}

// ---- conversions

/** binary16 -> binary32 (exact; a NaN becomes the canonical NaN, NV when signaling) */
export function f16ToF32(a: number): number {
  if (isNaN16(a)) { fpOut[0] = 0x7fc00000; fpOut[1] = -1; return isSignalingNaN16(a) ? FLAG_NV : 0; }
  outF32(f16ToDouble(a));
  return 0;
}

/** binary32 -> binary16 under rm; odd = round to odd (vfncvt.rod: truncate, then set the last bit if inexact) */
export function f32ToF16(a: number, rm: number, odd = false): number {
  if (isNaN32(a)) { canonicalNaN(); return isSignalingNaN32(a) ? FLAG_NV : 0; }
  const sign = (a >>> 16) & 0x8000;
  if ((a & 0x7fffffff) === 0x7f800000) { put(sign | 0x7c00); return 0; }
  if ((a & 0x7fffffff) === 0) { put(sign); return 0; }
  const e = (a >>> 23) & 255, f = a & 0x7fffff;
  const m = (e === 0 ? f * pow2(-149) : (0x800000 + f) * pow2(e - 150));
  const flags = round(sign ? -m : m, 0, odd ? RM_RTZ : rm);
  if (odd && (flags & FLAG_NX) !== 0 && (fpOut[0]! & 0x7c00) !== 0x7c00) fpOut[0] = fpOut[0]! | 1;
  return flags;
}

/** a signed or unsigned integer of at most 53 bits (as a double) -> binary16 under rm */
export function f16FromInt(v: number, rm: number): number {
  if (v === 0) { put(0); return 0; }
  return round(v, 0, rm);
}
