// The one exact rounding routine every slow path ends in: a sign, an exponent and a 64-bit significand
// (two unsigned 32-bit halves) are rounded to binary32 or binary64 under a RISC-V rounding mode, with
// IEEE flags (tininess detected after rounding, as RISC-V requires).
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

/** Write the overflow result for the rounding mode (infinity or the largest finite value) and return OF|NX. */
function overflowResult(sign: number, is64: boolean, rm: number): number {
  const toInfinity = rm === RM_RNE || rm === RM_RMM || (rm === RM_RDN && sign !== 0) || (rm === RM_RUP && sign === 0);
  const s = sign << 31;
  if (is64) {
    fpOut[0] = toInfinity ? 0 : -1;
    fpOut[1] = s | (toInfinity ? 0x7ff00000 : 0x7fefffff);
  } else {
    fpOut[0] = s | (toInfinity ? 0x7f800000 : 0x7f7fffff);
    fpOut[1] = -1;
  }
  return FLAG_OF | FLAG_NX;
}

/**
 * Round (-1)^sign * (hi * 2^32 + lo) * 2^e to binary64 (is64) or binary32, write it to fpOut and return the
 * flags. hi/lo may be given as int32 or uint32.
 */
export function roundPack(sign: number, e: number, hi: number, lo: number, is64: boolean, rm: number): number {
  hi >>>= 0;
  lo >>>= 0;
  if (hi === 0 && lo === 0) {
    // not produced by any caller; a signed zero keeps the routine total
    fpOut[0] = is64 ? 0 : sign << 31;
    fpOut[1] = is64 ? sign << 31 : -1;
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
  const p = is64 ? 53 : 24;
  const emin = is64 ? -1022 : -126;
  const emax = is64 ? 1023 : 127;
  if (exp > emax) return overflowResult(sign, is64, rm);
  let q: number;
  let tiny = false;
  if (exp >= emin) {
    q = roundAt(hi, lo, 64 - p, sign, rm);
    if (q === TWO_POW[p]) {
      q = TWO_POW[p - 1];
      exp++;
      if (exp > emax) return overflowResult(sign, is64, rm);
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
  const expBits = tiny || exp < emin ? 0 : exp + (is64 ? 1022 : 126);
  if (is64) {
    const qHi = Math.floor(q / 4294967296);
    fpOut[0] = (q - qHi * 4294967296) | 0;
    fpOut[1] = (sign << 31) | ((expBits << 20) + qHi);
  } else {
    fpOut[0] = (sign << 31) | ((expBits << 23) + q);
    fpOut[1] = -1;
  }
  return flags;
}

/**
 * Round x + err to binary32, where x is a double and err an unknown error of sign errSign (-1, 0, +1) and
 * magnitude at most half an ulp of x: the double result of an f32 operation plus the sign of its rounding
 * error. Exact because binary32 rounding points lie 29 bits above the double's last bit.
 */
export function roundDoubleToF32(x: number, errSign: number, rm: number): number {
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
    fpOut[0] = sign << 31;
    fpOut[1] = -1;
    return 0;
  }
  // jam the error into the last bit: below x in magnitude -> one unit less, above -> one unit more
  const magnitudeErr = sign !== 0 ? -errSign : errSign;
  if (magnitudeErr > 0) lo64 = (lo64 | 1) >>> 0;
  else if (magnitudeErr < 0) {
    if (lo64 === 0) hi64 = (hi64 - 1) >>> 0;
    lo64 = (lo64 - 1) >>> 0;
  }
  return roundPack(sign, e, hi64, lo64, false, rm);
}
