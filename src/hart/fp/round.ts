// The one exact rounding routine every slow path ends in: a sign, an exponent and a 64-bit significand
// (two unsigned 32-bit halves) are rounded to binary16, binary32 or binary64 under a RISC-V rounding mode, with
// IEEE flags (tininess detected after rounding, as RISC-V requires). The destination is a FloatFormat
// (precision, exponent range, where the fields sit), so one routine serves every width; roundPack is the
// binary32/binary64 spelling the older callers use.
//
// "Jamming": callers that had to drop low-order bits OR a 1 into the least significant bit instead
// (sticky). Such a value must arrive already normalized (top bit of hi set) so that the jam bit stays
// far below every rounding position (bit 11 for binary64, 40 for binary32).

import {
  FLAG_NX, FLAG_OF, FLAG_UF, RM_RDN, RM_RMM, RM_RNE, RM_RTZ, RM_RUP,
  fpOut, sF64, sI32,
} from './state.js';

/** TWO_POW[i] = 2^i, exact, 0 <= i <= 64 */
const TWO_POW = new Float64Array(65);
for (let i = 0; i <= 64; i++) TWO_POW[i] = 2 ** i;

/** set by roundAt: the bits discarded were not all zero */
let roundInexact = false;

/**
 * The 64-bit significand (hi, lo unsigned) divided by 2^s and rounded to an integer under rm, for a value
 * of the given sign. s >= 1. Returns a double (at most 2^54, exact); sets roundInexact.
 */
function roundAt(hi: number, lo: number, s: number, sign: number, rm: number): number {
  let q: number;
  let half: boolean;
  let sticky: boolean;
  if (s < 32) {
    q = hi * TWO_POW[32 - s] + (lo >>> s);
    half = ((lo >>> (s - 1)) & 1) !== 0;
    sticky = (lo & ((1 << (s - 1)) - 1)) !== 0;
  } else if (s === 32) {
    q = hi;
    half = (lo >>> 31) !== 0;
    sticky = (lo & 0x7fffffff) !== 0;
  } else if (s < 64) {
    q = hi >>> (s - 32);
    half = ((hi >>> (s - 33)) & 1) !== 0;
    sticky = (hi & ((1 << (s - 33)) - 1)) !== 0 || lo !== 0;
  } else if (s === 64) {
    q = 0;
    half = (hi >>> 31) !== 0;
    sticky = (hi & 0x7fffffff) !== 0 || lo !== 0;
  } else {
    q = 0;
    half = false;
    sticky = hi !== 0 || lo !== 0;
  }
  roundInexact = half || sticky;
  if (!roundInexact) return q;
  let up: boolean;
  switch (rm) {
    case RM_RNE: up = half && (sticky || q % 2 === 1); break;
    case RM_RTZ: up = false; break;
    case RM_RDN: up = sign !== 0; break;
    case RM_RUP: up = sign === 0; break;
    case RM_RMM: up = half; break;
    default: up = false;
  }
  return up ? q + 1 : q;
}

/** An IEEE binary interchange format as the rounding routine needs it. */
export interface FloatFormat {
  /** precision in bits, the implicit bit included */
  readonly p: number;
  readonly emin: number;
  readonly emax: number;
  /** bit position of the exponent field in the word holding it (binary64: the high word) */
  readonly expShift: number;
  /** the format's width: 16, 32 or 64 */
  readonly bits: 16 | 32 | 64;
}
export const F16: FloatFormat = { p: 11, emin: -14, emax: 15, expShift: 10, bits: 16 };
export const F32: FloatFormat = { p: 24, emin: -126, emax: 127, expShift: 23, bits: 32 };
export const F64: FloatFormat = { p: 53, emin: -1022, emax: 1023, expShift: 20, bits: 64 };

/**
 * Write a result to fpOut from its sign and its magnitude bits (binary64: high word `top`, low word `low`; the
 * narrower formats: `top` alone), NaN-boxed as a 64-bit f register holds it (binary16: upper 48 bits ones).
 */
function put(fmt: FloatFormat, sign: number, top: number, low: number): void {
  if (fmt.bits === 64) { fpOut[0] = low; fpOut[1] = (sign << 31) | top; return; }
  fpOut[0] = fmt.bits === 32 ? (sign << 31) | top : 0xffff0000 | (sign << 15) | top;
  fpOut[1] = -1;
}

/** Write the overflow result for the rounding mode (infinity or the largest finite value) and return OF|NX. */
function overflowResult(sign: number, fmt: FloatFormat, rm: number): number {
  const toInfinity = rm === RM_RNE || rm === RM_RMM || (rm === RM_RDN && sign !== 0) || (rm === RM_RUP && sign === 0);
  const inf = (2 * fmt.emax + 1) << fmt.expShift;
  put(fmt, sign, toInfinity ? inf : inf - 1, toInfinity ? 0 : -1);
  return FLAG_OF | FLAG_NX;
}

/**
 * Round (-1)^sign * (hi * 2^32 + lo) * 2^e to binary64 (is64) or binary32, write it to fpOut and return the
 * flags. hi/lo may be given as int32 or uint32.
 */
export function roundPack(sign: number, e: number, hi: number, lo: number, is64: boolean, rm: number): number {
  return roundPackTo(is64 ? F64 : F32, sign, e, hi, lo, rm);
}

/** roundPack to any FloatFormat. */
export function roundPackTo(fmt: FloatFormat, sign: number, e: number, hi: number, lo: number, rm: number): number {
  hi >>>= 0;
  lo >>>= 0;
  if (hi === 0 && lo === 0) {
    // not produced by any caller; a signed zero keeps the routine total
    put(fmt, sign, 0, 0);
    return 0;
  }
  if (hi === 0) {
    hi = lo;
    lo = 0;
    e -= 32;
  }
  const n = Math.clz32(hi);
  if (n !== 0) {
    hi = ((hi << n) | (lo >>> (32 - n))) >>> 0;
    lo = (lo << n) >>> 0;
    e -= n;
  }
  let exp = e + 63; // exponent of the leading bit
  const p = fmt.p, emin = fmt.emin, emax = fmt.emax;
  if (exp > emax) return overflowResult(sign, fmt, rm);
  let q: number;
  let tiny = false;
  if (exp >= emin) {
    q = roundAt(hi, lo, 64 - p, sign, rm);
    if (q === TWO_POW[p]) {
      q = TWO_POW[p - 1];
      exp++;
      if (exp > emax) return overflowResult(sign, fmt, rm);
    }
  } else {
    // tiny unless rounding to p bits with an unbounded exponent reaches 2^emin
    tiny = exp < emin - 1 || roundAt(hi, lo, 64 - p, sign, rm) !== TWO_POW[p];
    q = roundAt(hi, lo, 64 - p + (emin - exp), sign, rm);
  }
  let flags = 0;
  if (roundInexact) flags = tiny ? FLAG_NX | FLAG_UF : FLAG_NX;
  // Biased exponent minus one plus q: q's leading (implicit) bit adds the missing one, and a subnormal
  // that rounded up to 2^emin carries into the exponent field by itself.
  const expBits = tiny || exp < emin ? 0 : exp + emax - 1;
  if (fmt.bits === 64) {
    const qHi = Math.floor(q / 4294967296);
    put(fmt, sign, (expBits << 20) + qHi, (q - qHi * 4294967296) | 0);
  } else {
    put(fmt, sign, (expBits << fmt.expShift) + q, 0);
  }
  return flags;
}

/**
 * Round x + err to binary32, where x is a double and err an unknown error of sign errSign (-1, 0, +1) and
 * magnitude at most half an ulp of x: the double result of an f32 operation plus the sign of its rounding
 * error. Exact because binary32 rounding points lie 29 bits above the double's last bit.
 */
export function roundDoubleToF32(x: number, errSign: number, rm: number): number {
  return roundDoubleTo(F32, x, errSign, rm);
}

/** roundDoubleToF32 for binary16 (rounding points 42 bits above the double's last bit) or binary32. */
export function roundDoubleTo(fmt: FloatFormat, x: number, errSign: number, rm: number): number {
  sF64[0] = x;
  const lo = sI32[0] >>> 0;
  const hiWord = sI32[1];
  const sign = hiWord >>> 31;
  const expField = (hiWord >>> 20) & 0x7ff;
  const sigHi = (hiWord & 0xfffff) | (expField !== 0 ? 0x100000 : 0);
  let hi64 = ((sigHi << 11) | (lo >>> 21)) >>> 0;
  let lo64 = (lo << 11) >>> 0;
  const e = (expField !== 0 ? expField : 1) - 1086;
  if (x === 0) {
    // an exact zero (an operation whose double result is 0 has no rounding error)
    put(fmt, sign, 0, 0);
    return 0;
  }
  // jam the error into the last bit: below x in magnitude -> one unit less, above -> one unit more
  const magnitudeErr = sign !== 0 ? -errSign : errSign;
  if (magnitudeErr > 0) lo64 = (lo64 | 1) >>> 0;
  else if (magnitudeErr < 0) {
    if (lo64 === 0) hi64 = (hi64 - 1) >>> 0;
    lo64 = (lo64 - 1) >>> 0;
  }
  return roundPackTo(fmt, sign, e, hi64, lo64, rm);
}
