// Exact integer slow paths for binary64: a 192-bit window (six 32-bit limbs) that holds
// ±P·2^xp ± C·2^xc exactly (P up to 128 bits, e.g. a 106-bit product; C up to 128 bits), and a long
// division producing 64 quotient bits plus a sticky bit. Both end in roundPack.
// Used only for hard cases (subnormal results, overflow boundaries, extreme exponents) and for FMA.

import { roundPack } from './round.js';
import { RM_RDN, fpOut } from './state.js';

const LIMBS = 6;
const accA = new Uint32Array(LIMBS);
const accB = new Uint32Array(LIMBS);

/** First operand of wideSum (4 limbs, little-endian): a significand or a significand product. */
export const opP = new Uint32Array(4);
/** Second operand of wideSum (4 limbs, little-endian). */
export const opC = new Uint32Array(4);

function bitLength4(m: Uint32Array): number {
  for (let i = 3; i >= 0; i--) if (m[i] !== 0) return 32 * i + 32 - Math.clz32(m[i]);
  return 0;
}

/** dst = src · 2^shift; for negative shifts the bits shifted out are jammed into bit 0. */
function place(dst: Uint32Array, src: Uint32Array, shift: number): void {
  dst.fill(0);
  if (shift >= 0) {
    const ls = shift >>> 5;
    const bs = shift & 31;
    for (let i = 0; i < 4; i++) {
      const v = src[i];
      if (v === 0) continue;
      const k = i + ls;
      if (k < LIMBS) dst[k] |= v << bs;
      if (bs !== 0 && k + 1 < LIMBS) dst[k + 1] |= v >>> (32 - bs);
    }
    return;
  }
  const r = -shift;
  if (r >= 128) {
    dst[0] = bitLength4(src) !== 0 ? 1 : 0;
    return;
  }
  const ls = r >>> 5;
  const bs = r & 31;
  for (let i = 0; i + ls < 4; i++) {
    const lower = src[i + ls];
    const upper = i + ls + 1 < 4 ? src[i + ls + 1] : 0;
    dst[i] = bs === 0 ? lower : (lower >>> bs) | (upper << (32 - bs));
  }
  let sticky = 0;
  for (let i = 0; i < 4; i++) {
    const low = 32 * i;
    if (low + 32 <= r) sticky |= src[i];
    else if (low < r) sticky |= src[i] & ((1 << (r - low)) - 1);
  }
  if (sticky !== 0) dst[0] |= 1;
}

/** 32 bits of the window starting at bit `start` (bits below 0 read as zero). */
function wordAt(a: Uint32Array, start: number): number {
  if (start <= -32) return 0;
  if (start < 0) return (a[0] << -start) >>> 0;
  const li = start >>> 5;
  const bs = start & 31;
  const lower = li < LIMBS ? a[li] : 0;
  if (bs === 0) return lower;
  const upper = li + 1 < LIMBS ? a[li + 1] : 0;
  return ((lower >>> bs) | (upper << (32 - bs))) >>> 0;
}

/**
 * Round (-1)^sp·opP·2^xp + (-1)^sc·opC·2^xc (the second term only when hasC) to binary64/32, write fpOut,
 * return flags. opP must be nonzero. An exactly zero sum gives +0, or -0 under RDN.
 */
export function wideSum(sp: number, xp: number, hasC: boolean, sc: number, xc: number, is64: boolean, rm: number): number {
  const lenP = bitLength4(opP);
  const lenC = hasC ? bitLength4(opC) : 0;
  const topP = xp + lenP;
  const topC = lenC !== 0 ? xc + lenC : -Infinity;
  // the larger operand sits just under the top (one spare bit for a carry) and always fits whole
  const lsbExp = Math.max(topP, topC) + 1 - 32 * LIMBS;
  place(accA, opP, xp - lsbExp);
  let sign = sp;
  if (lenC !== 0) {
    place(accB, opC, xc - lsbExp);
    if (sp === sc) {
      let carry = 0;
      for (let i = 0; i < LIMBS; i++) {
        const s = accA[i] + accB[i] + carry;
        accA[i] = s;
        carry = s > 0xffffffff ? 1 : 0;
      }
    } else {
      let cmp = 0;
      for (let i = LIMBS - 1; i >= 0 && cmp === 0; i--) cmp = accA[i] > accB[i] ? 1 : accA[i] < accB[i] ? -1 : 0;
      if (cmp === 0) {
        const negative = rm === RM_RDN ? 1 : 0;
        fpOut[0] = is64 ? 0 : negative << 31;
        fpOut[1] = is64 ? negative << 31 : -1;
        return 0;
      }
      const big = cmp > 0 ? accA : accB;
      const small = cmp > 0 ? accB : accA;
      if (cmp < 0) sign = sc;
      let borrow = 0;
      for (let i = 0; i < LIMBS; i++) {
        const d = big[i] - small[i] - borrow;
        accA[i] = d;
        borrow = d < 0 ? 1 : 0;
      }
    }
  }
  let k = LIMBS - 1;
  while (accA[k] === 0) k--;
  const msb = 32 * k + 31 - Math.clz32(accA[k]);
  const hi = wordAt(accA, msb - 31);
  let lo = wordAt(accA, msb - 63);
  // bits below the 64 taken become the jam bit
  const cut = msb - 63;
  if (cut > 0) {
    let sticky = 0;
    for (let i = 0; i < LIMBS; i++) {
      const low = 32 * i;
      if (low + 32 <= cut) sticky |= accA[i];
      else if (low < cut) sticky |= accA[i] & ((1 << (cut - low)) - 1);
    }
    if (sticky !== 0) lo = (lo | 1) >>> 0;
  }
  return roundPack(sign, lsbExp + msb - 63, hi, lo, is64, rm);
}

/** opP = (aHi·2^32 + aLo) · (bHi·2^32 + bLo) for significands of at most 53 bits (schoolbook, 16-bit digits). */
export function mulSignificands(aHi: number, aLo: number, bHi: number, bLo: number): void {
  const a0 = aLo & 0xffff, a1 = aLo >>> 16, a2 = aHi & 0xffff, a3 = aHi >>> 16;
  const b0 = bLo & 0xffff, b1 = bLo >>> 16, b2 = bHi & 0xffff, b3 = bHi >>> 16;
  // column sums stay below 2^35: exact in doubles
  let c = a0 * b0;
  const d0 = c % 65536;
  c = (c - d0) / 65536 + a0 * b1 + a1 * b0;
  const d1 = c % 65536;
  c = (c - d1) / 65536 + a0 * b2 + a1 * b1 + a2 * b0;
  const d2 = c % 65536;
  c = (c - d2) / 65536 + a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0;
  const d3 = c % 65536;
  c = (c - d3) / 65536 + a1 * b3 + a2 * b2 + a3 * b1;
  const d4 = c % 65536;
  c = (c - d4) / 65536 + a2 * b3 + a3 * b2;
  const d5 = c % 65536;
  c = (c - d5) / 65536 + a3 * b3;
  const d6 = c % 65536;
  const d7 = (c - d6) / 65536;
  opP[0] = d0 + d1 * 65536;
  opP[1] = d2 + d3 * 65536;
  opP[2] = d4 + d5 * 65536;
  opP[3] = d6 + d7 * 65536;
}

/**
 * Round (-1)^sign · (ma·2^ea) / (mb·2^eb) for nonzero significands ma, mb < 2^53 (given as doubles),
 * by restoring long division to 64 quotient bits plus a sticky bit.
 */
export function divideSignificands(sign: number, ma: number, ea: number, mb: number, eb: number, is64: boolean, rm: number): number {
  while (ma < 4503599627370496) { ma *= 2; ea--; } // normalize both to [2^52, 2^53)
  while (mb < 4503599627370496) { mb *= 2; eb--; }
  let r = ma;
  if (r < mb) { r *= 2; ea--; }
  // r < 2·mb < 2^54 and even whenever it exceeds 2^53: every step is exact in doubles
  let qHi = 0;
  let qLo = 0;
  for (let i = 0; i < 32; i++) {
    qHi *= 2;
    if (r >= mb) { r -= mb; qHi += 1; }
    r *= 2;
  }
  for (let i = 0; i < 32; i++) {
    qLo *= 2;
    if (r >= mb) { r -= mb; qLo += 1; }
    r *= 2;
  }
  if (r !== 0) qLo = (qLo | 1) >>> 0;
  return roundPack(sign, ea - eb - 63, qHi, qLo, is64, rm);
}
