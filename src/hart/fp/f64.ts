// binary64 arithmetic: add, sub, mul, div, sqrt, fused multiply-add.
// Fast path: native doubles (round-to-nearest-even) plus an exact error term (TwoSum, Dekker's product,
// division/sqrt residuals) that decides the flags and the directed-rounding correction. Operands whose
// exponents could make those error terms inexact go to the exact integer paths in wide.ts.

import { finishInexact, finishNoTie } from './finish.js';
import { SPLIT, productError } from './exact.js';
import { divideSignificands, mulSignificands, opC, opP, wideSum } from './wide.js';
import {
  FLAG_DZ, FLAG_NV, FLAG_NX, RM_RDN, RM_RTZ, RM_RUP,
  f64FromBits, fpOut, outF64, outF64CanonicalNaN, nextToward, pow2, sF64, sI32,
} from './state.js';


export function isNaN64(lo: number, hi: number): boolean {
  return (hi & 0x7ff00000) === 0x7ff00000 && ((hi & 0xfffff) | lo) !== 0;
}

export function isSignalingNaN64(lo: number, hi: number): boolean {
  return isNaN64(lo, hi) && (hi & 0x80000) === 0;
}

function isZero64(lo: number, hi: number): boolean {
  return ((hi & 0x7fffffff) | lo) === 0;
}

/** canonical NaN result; NV when either operand is a signaling NaN */
function nanResult2(aLo: number, aHi: number, bLo: number, bHi: number): number {
  outF64CanonicalNaN();
  return isSignalingNaN64(aLo, aHi) || isSignalingNaN64(bLo, bHi) ? FLAG_NV : 0;
}

function outInfinity(sign: number): void {
  fpOut[0] = 0;
  fpOut[1] = (sign << 31) | 0x7ff00000;
}

function outZero(sign: number): void {
  fpOut[0] = 0;
  fpOut[1] = sign << 31;
}

/** significand high part (with the implicit bit) and the exponent of its last bit */
function sigHi(hi: number): number {
  return (hi & 0xfffff) | ((hi & 0x7ff00000) !== 0 ? 0x100000 : 0);
}
function lsbExponent(hi: number): number {
  const e = (hi >>> 20) & 0x7ff;
  return (e !== 0 ? e : 1) - 1075;
}

// ---------------------------------------------------------------- add / sub

export function f64Add(aLo: number, aHi: number, bLo: number, bHi: number, rm: number): number {
  if ((aHi & 0x7ff00000) === 0x7ff00000 || (bHi & 0x7ff00000) === 0x7ff00000) {
    if (isNaN64(aLo, aHi) || isNaN64(bLo, bHi)) return nanResult2(aLo, aHi, bLo, bHi);
    const aInf = (aHi & 0x7ff00000) === 0x7ff00000;
    const bInf = (bHi & 0x7ff00000) === 0x7ff00000;
    if (aInf && bInf && (aHi ^ bHi) < 0) {
      outF64CanonicalNaN();
      return FLAG_NV;
    }
    outInfinity((aInf ? aHi : bHi) >>> 31);
    return 0;
  }
  const a = f64FromBits(aLo, aHi);
  const b = f64FromBits(bLo, bHi);
  const x = a + b;
  if (x === 0) {
    // exact zero: -0 + -0 = -0 in every mode, other exact zeros are +0 except under RDN
    if (rm === RM_RDN && (aLo | aHi | bLo | bHi) !== 0) outZero(1);
    else outF64(x);
    return 0;
  }
  if (x - x === 0) {
    const bv = x - a;
    const err = (a - (x - bv)) + (b - bv);
    if (err === 0) {
      outF64(x);
      return 0;
    }
    if (err - err === 0) return finishInexact(x, err, rm);
  }
  // overflow boundary (or a non-finite error term): exact path
  opP[0] = aLo; opP[1] = sigHi(aHi); opP[2] = 0; opP[3] = 0;
  opC[0] = bLo; opC[1] = sigHi(bHi); opC[2] = 0; opC[3] = 0;
  return wideSum(aHi >>> 31, lsbExponent(aHi), true, bHi >>> 31, lsbExponent(bHi), true, rm);
}

export function f64Sub(aLo: number, aHi: number, bLo: number, bHi: number, rm: number): number {
  return f64Add(aLo, aHi, bLo, bHi ^ 0x80000000, rm);
}

// ---------------------------------------------------------------- mul

export function f64Mul(aLo: number, aHi: number, bLo: number, bHi: number, rm: number): number {
  const ea = (aHi >>> 20) & 0x7ff;
  const eb = (bHi >>> 20) & 0x7ff;
  const sign = (aHi ^ bHi) >>> 31;
  if (ea === 0x7ff || eb === 0x7ff) {
    if (isNaN64(aLo, aHi) || isNaN64(bLo, bHi)) return nanResult2(aLo, aHi, bLo, bHi);
    if (isZero64(aLo, aHi) || isZero64(bLo, bHi)) {
      outF64CanonicalNaN(); // inf * 0
      return FLAG_NV;
    }
    outInfinity(sign);
    return 0;
  }
  if (isZero64(aLo, aHi) || isZero64(bLo, bHi)) {
    outZero(sign);
    return 0;
  }
  // Dekker's product is exact when both exponents are in [-485, 511]: no split overflow and the error
  // term (a multiple of 2^(ea+eb-104)) is representable.
  if (ea >= 538 && ea <= 1534 && eb >= 538 && eb <= 1534) {
    const a = f64FromBits(aLo, aHi);
    const b = f64FromBits(bLo, bHi);
    const x = a * b;
    if (x - x === 0) {
      const err = productError(a, b, x);
      if (err === 0) {
        outF64(x);
        return 0;
      }
      if (err - err === 0) return finishInexact(x, err, rm);
    }
  }
  mulSignificands(sigHi(aHi), aLo, sigHi(bHi), bLo);
  return wideSum(sign, lsbExponent(aHi) + lsbExponent(bHi), false, 0, 0, true, rm);
}

// ---------------------------------------------------------------- div

export function f64Div(aLo: number, aHi: number, bLo: number, bHi: number, rm: number): number {
  const ea = (aHi >>> 20) & 0x7ff;
  const eb = (bHi >>> 20) & 0x7ff;
  const sign = (aHi ^ bHi) >>> 31;
  if (ea === 0x7ff || eb === 0x7ff) {
    if (isNaN64(aLo, aHi) || isNaN64(bLo, bHi)) return nanResult2(aLo, aHi, bLo, bHi);
    if (ea === 0x7ff && eb === 0x7ff) {
      outF64CanonicalNaN(); // inf / inf
      return FLAG_NV;
    }
    if (ea === 0x7ff) outInfinity(sign);
    else outZero(sign);
    return 0;
  }
  const aZero = isZero64(aLo, aHi);
  if (isZero64(bLo, bHi)) {
    if (aZero) {
      outF64CanonicalNaN(); // 0 / 0
      return FLAG_NV;
    }
    outInfinity(sign);
    return FLAG_DZ;
  }
  if (aZero) {
    outZero(sign);
    return 0;
  }
  // exponents in [-900, 900] with difference in [-900, 900]: quotient, its product with b and the residual
  // are all far from overflow and underflow, so the residual a - q*b is exact.
  if (ea >= 123 && ea <= 1923 && eb >= 123 && eb <= 1923 && ea - eb <= 900 && eb - ea <= 900) {
    const a = f64FromBits(aLo, aHi);
    const b = f64FromBits(bLo, bHi);
    const q = a / b;
    const p = q * b;
    const pErr = productError(q, b, p);
    const residual = (a - p) - pErr;
    if (residual === 0) {
      outF64(q);
      return 0;
    }
    // a/b - q = residual/b; quotients of normal numbers are never exactly halfway
    return finishNoTie(q, (residual > 0) === (b > 0) ? 1 : -1, rm);
  }
  return divideSignificands(
    sign, sigHi(aHi) * 4294967296 + (aLo >>> 0), lsbExponent(aHi),
    sigHi(bHi) * 4294967296 + (bLo >>> 0), lsbExponent(bHi), true, rm);
}

// ---------------------------------------------------------------- sqrt

export function f64Sqrt(aLo: number, aHi: number, rm: number): number {
  const ea = (aHi >>> 20) & 0x7ff;
  if (isNaN64(aLo, aHi)) {
    outF64CanonicalNaN();
    return isSignalingNaN64(aLo, aHi) ? FLAG_NV : 0;
  }
  if (isZero64(aLo, aHi)) {
    outZero(aHi >>> 31); // sqrt(-0) = -0
    return 0;
  }
  if ((aHi >>> 31) !== 0) {
    outF64CanonicalNaN();
    return FLAG_NV;
  }
  if (ea === 0x7ff) {
    outInfinity(0);
    return 0;
  }
  // scale by an even power of two so that s*s and its error term stay in the normal range
  let v = f64FromBits(aLo, aHi);
  let unscale = 1;
  if (ea < 123) {
    v *= pow2(1000);
    unscale = pow2(-500);
  } else if (ea > 1923) {
    v *= pow2(-1000);
    unscale = pow2(500);
  }
  let s = Math.sqrt(v);
  const t = SPLIT * s;
  const sh = t - (t - s);
  const sl = s - sh;
  const p = s * s;
  const pErr = ((sh * sh - p) + 2 * sh * sl) + sl * sl;
  const residual = (v - p) - pErr;
  if (residual === 0) {
    outF64(s * unscale);
    return 0;
  }
  // square roots are never exactly halfway: only directed modes may move off the nearest result
  if (residual > 0 ? rm === RM_RUP : rm === RM_RDN || rm === RM_RTZ) s = nextToward(s, residual > 0 ? 1 : -1);
  outF64(s * unscale);
  return FLAG_NX;
}

// ---------------------------------------------------------------- fused multiply-add

/** round(a*b + c) with a single rounding (RISC-V fmadd.d). */
export function f64MulAdd(aLo: number, aHi: number, bLo: number, bHi: number, cLo: number, cHi: number, rm: number): number {
  const ea = (aHi >>> 20) & 0x7ff;
  const eb = (bHi >>> 20) & 0x7ff;
  const ec = (cHi >>> 20) & 0x7ff;
  const sp = (aHi ^ bHi) >>> 31;
  const sc = cHi >>> 31;
  const aZero = isZero64(aLo, aHi);
  const bZero = isZero64(bLo, bHi);
  if (ea === 0x7ff || eb === 0x7ff || ec === 0x7ff) {
    // 0 * inf is invalid even when c is a quiet NaN (RISC-V)
    const invalidProduct = (ea === 0x7ff && !isNaN64(aLo, aHi) && bZero) || (eb === 0x7ff && !isNaN64(bLo, bHi) && aZero);
    if (isNaN64(aLo, aHi) || isNaN64(bLo, bHi) || isNaN64(cLo, cHi)) {
      outF64CanonicalNaN();
      const signaling = isSignalingNaN64(aLo, aHi) || isSignalingNaN64(bLo, bHi) || isSignalingNaN64(cLo, cHi);
      return signaling || invalidProduct ? FLAG_NV : 0;
    }
    if (invalidProduct) {
      outF64CanonicalNaN();
      return FLAG_NV;
    }
    if (ea === 0x7ff || eb === 0x7ff) {
      if (ec === 0x7ff && sc !== sp) {
        outF64CanonicalNaN(); // inf - inf
        return FLAG_NV;
      }
      outInfinity(sp);
      return 0;
    }
    outInfinity(sc);
    return 0;
  }
  const cZero = isZero64(cLo, cHi);
  if (aZero || bZero) {
    if (!cZero) {
      fpOut[0] = cLo;
      fpOut[1] = cHi;
    } else outZero(sp === sc ? sp : rm === RM_RDN ? 1 : 0);
    return 0;
  }
  if (ea >= 538 && ea <= 1534 && eb >= 538 && eb <= 1534) {
    const flags = fmaFast(f64FromBits(aLo, aHi), f64FromBits(bLo, bHi), f64FromBits(cLo, cHi), rm);
    if (flags >= 0) return flags;
  }
  mulSignificands(sigHi(aHi), aLo, sigHi(bHi), bLo);
  const xp = lsbExponent(aHi) + lsbExponent(bHi);
  if (cZero) return wideSum(sp, xp, false, 0, 0, true, rm);
  opC[0] = cLo; opC[1] = sigHi(cHi); opC[2] = 0; opC[3] = 0;
  return wideSum(sp, xp, true, sc, lsbExponent(cHi), true, rm);
}

const FMA_FAST_MIN = pow2(-960);

/**
 * a*b + c from error-free transformations: Dekker's product p + pe = a*b, then TwoSums give
 * a*b + c = r + e3 + e2 exactly with r = RN(s1 + s2). When e2 = 0 that is an ordinary rounded sum; otherwise
 * r is still the correctly rounded result as long as e3 + e2 stays strictly inside r's rounding interval,
 * and the sign of e3 + e2 then decides directed rounding (no tie is possible). Returns -1 when it cannot
 * decide (overflow, tiny results, a boundary too close): the caller takes the exact path.
 * Exponents of a and b must be in [-485, 511] (see f64Mul).
 */
function fmaFast(a: number, b: number, c: number, rm: number): number {
  const p = a * b;
  const pe = productError(a, b, p);
  const s1 = p + c;
  let v = s1 - p;
  const e1 = (p - (s1 - v)) + (c - v);
  const s2 = e1 + pe;
  v = s2 - e1;
  const e2 = (e1 - (s2 - v)) + (pe - v);
  const r = s1 + s2;
  v = r - s1;
  const e3 = (s1 - (r - v)) + (s2 - v);
  if (!(r - r === 0 && e3 - e3 === 0 && Math.abs(r) >= FMA_FAST_MIN)) return -1;
  if (e2 === 0) {
    if (e3 === 0) {
      outF64(r);
      return 0;
    }
    return finishInexact(r, e3, rm);
  }
  const err = e3 + e2; // its sign is exact; |err| >= half below implies the exact |e3 + e2| does too
  sF64[0] = r;
  const rHi = sI32[1];
  const powerOfTwo = (rHi & 0xfffff) === 0 && sI32[0] === 0;
  let half = pow2(((rHi >>> 20) & 0x7ff) - 1076); // half an ulp of r
  if (powerOfTwo && (err > 0) !== (r > 0)) half *= 0.5; // the gap below a power of two is half as wide
  if (!(Math.abs(err) < half)) return -1;
  return finishNoTie(r, err > 0 ? 1 : -1, rm);
}

/** fmsub.d: round(a*b - c) */
export function f64MulSub(aLo: number, aHi: number, bLo: number, bHi: number, cLo: number, cHi: number, rm: number): number {
  return f64MulAdd(aLo, aHi, bLo, bHi, cLo, cHi ^ 0x80000000, rm);
}

/** fnmsub.d: round(-(a*b) + c) */
export function f64NegMulSub(aLo: number, aHi: number, bLo: number, bHi: number, cLo: number, cHi: number, rm: number): number {
  return f64MulAdd(aLo, aHi ^ 0x80000000, bLo, bHi, cLo, cHi, rm);
}

/** fnmadd.d: round(-(a*b) - c) */
export function f64NegMulAdd(aLo: number, aHi: number, bLo: number, bHi: number, cLo: number, cHi: number, rm: number): number {
  return f64MulAdd(aLo, aHi ^ 0x80000000, bLo, bHi, cLo, cHi ^ 0x80000000, rm);
}
