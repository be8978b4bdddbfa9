// Dekker's error-free product on doubles, shared by the binary32 and binary64 fast paths.

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
