// Dekker's error-free product on doubles, shared by the binary32 and binary64 fast paths, and the error-free sum
// and the exact-zero sign rule the binary16 and binary32 fused multiply-adds share.
import { RM_RDN } from './state.js';

/** 2^27 + 1: Veltkamp's splitter, cuts a 53-bit significand into two halves whose products are exact */
export const SPLIT = 134217729;

/** a * b - p exactly, for p = the double product of a and b (no overflow or underflow in the partial products) */
export function productError(a: number, b: number, p: number): number {
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

/** v - s * s exactly, for s = Math.sqrt(v) (s * s and its error stay in the normal range) */
export function sqrtResidual(v: number, s: number): number {
  const p = s * s;
  return (v - p) - productError(s, s, p);
}

/** p + c - x exactly, for x = the double sum of p and c (Knuth's two-sum) */
export function sumError(p: number, c: number, x: number): number {
  const cPart = x - p;
  return (p - (x - cPart)) + (c - cPart);
}

/**
 * The sign bit of a fused multiply-add whose exact result is zero: p the double product (sign bit sp), c the
 * addend's value (sign bit cSign). Two zeros of one sign keep it; any other exact zero is +0, or -0 under RDN.
 */
export function fmaZeroSign(rm: number, p: number, sp: number, c: number, cSign: number): number {
  if (rm === RM_RDN) return p === 0 && sp === 0 && c === 0 && cSign === 0 ? 0 : 1;
  return p === 0 && c === 0 ? sp & cSign : 0;
}
