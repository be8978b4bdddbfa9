// binary32 arithmetic through doubles. Every binary32 operand is an exact double, products of two are
// exact, and all error terms (TwoSum, residuals) stay in the double normal range. A single f32 op computed
// in double and rounded once more to binary32 is correctly rounded for RNE (53 >= 2*24 + 2); for directed
// modes, and for FMA, the double plus the sign of its error is rounded exactly by roundDoubleToF32.

import { roundDoubleToF32 } from './round.js';
import { fmaZeroSign, productError, sqrtResidual, sumError } from './exact.js';
import {
  FLAG_DZ, FLAG_NV, FLAG_NX, RM_RDN, RM_RNE,
  f32FromBits, fpOut, outF32, outF32CanonicalNaN,
} from './state.js';

const F32_MIN_NORMAL = 1.1754943508222875e-38; // 2^-126

export function isNaN32(a: number): boolean {
  return (a & 0x7f800000) === 0x7f800000 && (a & 0x7fffff) !== 0;
}

export function isSignalingNaN32(a: number): boolean {
  return isNaN32(a) && (a & 0x400000) === 0;
}

function isZero32(a: number): boolean {
  return (a & 0x7fffffff) === 0;
}

function nanResult2(a: number, b: number): number {
  outF32CanonicalNaN();
  return isSignalingNaN32(a) || isSignalingNaN32(b) ? FLAG_NV : 0;
}

function outInfinity(sign: number): void {
  fpOut[0] = (sign << 31) | 0x7f800000;
  fpOut[1] = -1;
}

function outZero(sign: number): void {
  fpOut[0] = sign << 31;
  fpOut[1] = -1;
}

/**
 * Round the exact value x + err to binary32 (x a nonzero double, err its exact error or just its sign).
 * singleOp: x is the double result of one +,-,*,/,sqrt on binary32 operands (double rounding harmless).
 */
function finish(x: number, err: number, rm: number, singleOp: boolean): number {
  if (rm === RM_RNE && (singleOp || err === 0)) {
    const r = Math.fround(x);
    const ar = Math.abs(r);
    if (ar > F32_MIN_NORMAL && ar !== Infinity) {
      outF32(r);
      return err !== 0 || r !== x ? FLAG_NX : 0;
    }
  } else if (err === 0) {
    const r = Math.fround(x);
    if (r === x) {
      outF32(r);
      return 0;
    }
  }
  return roundDoubleToF32(x, err > 0 ? 1 : err < 0 ? -1 : 0, rm);
}

export function f32Add(a: number, b: number, rm: number): number {
  if ((a & 0x7f800000) === 0x7f800000 || (b & 0x7f800000) === 0x7f800000) {
    if (isNaN32(a) || isNaN32(b)) return nanResult2(a, b);
    const aInf = (a & 0x7f800000) === 0x7f800000;
    const bInf = (b & 0x7f800000) === 0x7f800000;
    if (aInf && bInf && (a ^ b) < 0) {
      outF32CanonicalNaN();
      return FLAG_NV;
    }
    outInfinity((aInf ? a : b) >>> 31);
    return 0;
  }
  const x = f32FromBits(a) + f32FromBits(b);
  if (x === 0) {
    if (rm === RM_RDN && (a | b) !== 0) outZero(1);
    else outZero((a & b) >>> 31);
    return 0;
  }
  const av = f32FromBits(a);
  const bv = f32FromBits(b);
  const bPart = x - av;
  const err = (av - (x - bPart)) + (bv - bPart);
  return finish(x, err, rm, true);
}

export function f32Sub(a: number, b: number, rm: number): number {
  return f32Add(a, b ^ 0x80000000, rm);
}

export function f32Mul(a: number, b: number, rm: number): number {
  const sign = (a ^ b) >>> 31;
  if ((a & 0x7f800000) === 0x7f800000 || (b & 0x7f800000) === 0x7f800000) {
    if (isNaN32(a) || isNaN32(b)) return nanResult2(a, b);
    if (isZero32(a) || isZero32(b)) {
      outF32CanonicalNaN();
      return FLAG_NV;
    }
    outInfinity(sign);
    return 0;
  }
  if (isZero32(a) || isZero32(b)) {
    outZero(sign);
    return 0;
  }
  return finish(f32FromBits(a) * f32FromBits(b), 0, rm, true); // 48-bit product: exact in double
}

export function f32Div(a: number, b: number, rm: number): number {
  const sign = (a ^ b) >>> 31;
  const aSpecial = (a & 0x7f800000) === 0x7f800000;
  const bSpecial = (b & 0x7f800000) === 0x7f800000;
  if (aSpecial || bSpecial) {
    if (isNaN32(a) || isNaN32(b)) return nanResult2(a, b);
    if (aSpecial && bSpecial) {
      outF32CanonicalNaN();
      return FLAG_NV;
    }
    if (aSpecial) outInfinity(sign);
    else outZero(sign);
    return 0;
  }
  if (isZero32(b)) {
    if (isZero32(a)) {
      outF32CanonicalNaN();
      return FLAG_NV;
    }
    outInfinity(sign);
    return FLAG_DZ;
  }
  if (isZero32(a)) {
    outZero(sign);
    return 0;
  }
  const av = f32FromBits(a);
  const bv = f32FromBits(b);
  const q = av / bv;
  const p = q * bv;
  const residual = (av - p) - productError(q, bv, p);
  return finish(q, residual === 0 ? 0 : (residual > 0) === (bv > 0) ? 1 : -1, rm, true);
}

export function f32Sqrt(a: number, rm: number): number {
  if (isNaN32(a)) {
    outF32CanonicalNaN();
    return isSignalingNaN32(a) ? FLAG_NV : 0;
  }
  if (isZero32(a)) {
    outZero(a >>> 31);
    return 0;
  }
  if ((a & 0x80000000) !== 0) {
    outF32CanonicalNaN();
    return FLAG_NV;
  }
  if ((a & 0x7f800000) === 0x7f800000) {
    outInfinity(0);
    return 0;
  }
  const v = f32FromBits(a);
  const s = Math.sqrt(v);
  return finish(s, sqrtResidual(v, s), rm, true);
}

/** fmadd.s: round(a*b + c) once. The product is exact in double; TwoSum gives the sum's exact error. */
export function f32MulAdd(a: number, b: number, c: number, rm: number): number {
  const sp = (a ^ b) >>> 31;
  const aSpecial = (a & 0x7f800000) === 0x7f800000;
  const bSpecial = (b & 0x7f800000) === 0x7f800000;
  const cSpecial = (c & 0x7f800000) === 0x7f800000;
  if (aSpecial || bSpecial || cSpecial) {
    const invalidProduct = (aSpecial && !isNaN32(a) && isZero32(b)) || (bSpecial && !isNaN32(b) && isZero32(a));
    if (isNaN32(a) || isNaN32(b) || isNaN32(c)) {
      outF32CanonicalNaN();
      const signaling = isSignalingNaN32(a) || isSignalingNaN32(b) || isSignalingNaN32(c);
      return signaling || invalidProduct ? FLAG_NV : 0;
    }
    if (invalidProduct) {
      outF32CanonicalNaN();
      return FLAG_NV;
    }
    if (aSpecial || bSpecial) {
      if (cSpecial && c >>> 31 !== sp) {
        outF32CanonicalNaN();
        return FLAG_NV;
      }
      outInfinity(sp);
      return 0;
    }
    outInfinity(c >>> 31);
    return 0;
  }
  const p = f32FromBits(a) * f32FromBits(b);
  const cv = f32FromBits(c);
  const x = p + cv;
  if (x === 0) {
    outZero(fmaZeroSign(rm, p, sp, cv, c >>> 31));
    return 0;
  }
  return finish(x, sumError(p, cv, x), rm, false);
}

export function f32MulSub(a: number, b: number, c: number, rm: number): number {
  return f32MulAdd(a, b, c ^ 0x80000000, rm);
}

export function f32NegMulSub(a: number, b: number, c: number, rm: number): number {
  return f32MulAdd(a ^ 0x80000000, b, c, rm);
}

export function f32NegMulAdd(a: number, b: number, c: number, rm: number): number {
  return f32MulAdd(a ^ 0x80000000, b, c ^ 0x80000000, rm);
}
