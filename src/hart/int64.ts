// 64-bit integer arithmetic on (lo, hi) int32 pairs without BigInt or allocation.
// Results: the function returns the low word; the high word is left in `r.hi` (and extra words in r.w2/r.w3).

export const r = { hi: 0, w2: 0, w3: 0, remLo: 0, remHi: 0 };

const TWO32 = 4294967296;

/** unsigned 32x32 -> 64; returns low word, high word in r.hi */
export function umul32(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const t = a0 * b0;
  const mid = a1 * b0 + a0 * b1;
  r.hi = (a1 * b1 + Math.floor((mid + (t >>> 16)) / 65536)) >>> 0 | 0;
  return Math.imul(a, b);
}

/** low 64 bits of a 64x64 product */
export function mul64(alo: number, ahi: number, blo: number, bhi: number): number {
  const lo = umul32(alo, blo);
  r.hi = (r.hi + Math.imul(ahi, blo) + Math.imul(alo, bhi)) | 0;
  return lo;
}

/** full unsigned 128-bit product: returns w0; w1 in r.hi, w2 in r.w2, w3 in r.w3 */
export function mulu128(alo: number, ahi: number, blo: number, bhi: number): number {
  const w0 = umul32(alo, blo); const c0 = r.hi >>> 0;
  const p1lo = umul32(ahi, blo) >>> 0; const p1hi = r.hi >>> 0;
  const p2lo = umul32(alo, bhi) >>> 0; const p2hi = r.hi >>> 0;
  const p3lo = umul32(ahi, bhi) >>> 0; const p3hi = r.hi >>> 0;
  let s = c0 + p1lo + p2lo;
  const w1 = s >>> 0; let carry = Math.floor(s / TWO32);
  s = p1hi + p2hi + p3lo + carry;
  const w2 = s >>> 0; carry = Math.floor(s / TWO32);
  const w3 = (p3hi + carry) >>> 0;
  r.hi = w1 | 0; r.w2 = w2 | 0; r.w3 = w3 | 0;
  return w0;
}

/** high 64 bits of signed x signed (s=3), signed x unsigned (s=1), unsigned x unsigned (s=0); low word returned, high in r.hi */
export function mulh64(alo: number, ahi: number, blo: number, bhi: number, signedA: boolean, signedB: boolean): number {
  mulu128(alo, ahi, blo, bhi);
  // signed operands: subtract b << 64 when a < 0 and a << 64 when b < 0. Masks and an arithmetic borrow instead of
  // branches on the operands' signs, so no path depends on the data (the Zkt row in the ISA catalogue says why)
  const ma = signedA ? ahi >> 31 : 0, mb = signedB ? bhi >> 31 : 0;
  let lo = r.w2, hi = r.w3;
  let slo = blo & ma, shi = bhi & ma, d = (lo - slo) | 0;
  hi = (hi - shi - (((~lo & slo) | (~(lo ^ slo) & d)) >>> 31)) | 0; lo = d;
  slo = alo & mb; shi = ahi & mb; d = (lo - slo) | 0;
  hi = (hi - shi - (((~lo & slo) | (~(lo ^ slo) & d)) >>> 31)) | 0; lo = d;
  r.hi = hi;
  return lo;
}

/** unsigned 64-bit division: quotient low returned, quotient high in r.hi, remainder in r.remLo/r.remHi. d != 0. */
export function divu64(nlo: number, nhi: number, dlo: number, dhi: number): number {
  const n = (nhi >>> 0) * TWO32 + (nlo >>> 0);
  const d = (dhi >>> 0) * TWO32 + (dlo >>> 0);
  if (nhi >>> 0 < 0x100000 && dhi >>> 0 < 0x100000) { // both below 2^52: exact with one correction step
    let q = Math.floor(n / d);
    let rem = n - q * d;
    if (rem < 0) { q--; rem += d; } else if (rem >= d) { q++; rem -= d; }
    r.remLo = rem % TWO32 | 0; r.remHi = Math.floor(rem / TWO32) | 0;
    r.hi = Math.floor(q / TWO32) | 0;
    return q % TWO32 | 0;
  }
  // restoring long division, one bit at a time
  let qlo = 0, qhi = 0, rlo = 0, rhi = 0;
  for (let i = 63; i >= 0; i--) {
    rhi = (rhi << 1) | (rlo >>> 31); rlo = rlo << 1;
    const bit = i >= 32 ? (nhi >>> (i - 32)) & 1 : (nlo >>> i) & 1;
    rlo |= bit;
    if ((rhi >>> 0) > (dhi >>> 0) || ((rhi >>> 0) === (dhi >>> 0) && (rlo >>> 0) >= (dlo >>> 0))) {
      const b = (rlo >>> 0) < (dlo >>> 0) ? 1 : 0;
      rlo = (rlo - dlo) | 0; rhi = (rhi - dhi - b) | 0;
      if (i >= 32) qhi |= 1 << (i - 32); else qlo |= 1 << i;
    }
  }
  r.remLo = rlo; r.remHi = rhi; r.hi = qhi;
  return qlo;
}

/** signed 64-bit division with RISC-V rules (÷0: q=-1, r=n; overflow: q=n, r=0); remainder in r.remLo/remHi */
export function div64(nlo: number, nhi: number, dlo: number, dhi: number): number {
  if (dlo === 0 && dhi === 0) { r.remLo = nlo; r.remHi = nhi; r.hi = -1; return -1; }
  if (dlo === -1 && dhi === -1 && nlo === 0 && nhi === (0x80000000 | 0)) { r.remLo = 0; r.remHi = 0; r.hi = nhi; return 0; }
  const nneg = nhi < 0, dneg = dhi < 0;
  let alo = nlo, ahi = nhi, blo = dlo, bhi = dhi;
  if (nneg) { alo = (-nlo) | 0; ahi = (~nhi + (nlo === 0 ? 1 : 0)) | 0; }
  if (dneg) { blo = (-dlo) | 0; bhi = (~dhi + (dlo === 0 ? 1 : 0)) | 0; }
  let qlo = divu64(alo, ahi, blo, bhi), qhi = r.hi;
  if (nneg !== dneg) { const l = (-qlo) | 0; qhi = (~qhi + (qlo === 0 ? 1 : 0)) | 0; qlo = l; }
  if (nneg) { const l = (-r.remLo) | 0; r.remHi = (~r.remHi + (r.remLo === 0 ? 1 : 0)) | 0; r.remLo = l; }
  r.hi = qhi;
  return qlo;
}

/** 64-bit value as an unsigned double (inexact above 2^53; used for comparisons with time) */
export function toU64Number(lo: number, hi: number): number {
  return (hi >>> 0) * TWO32 + (lo >>> 0);
}
