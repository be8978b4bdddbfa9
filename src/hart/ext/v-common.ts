// Shared pieces of the V extension's semantics: instruction fields, the checks every vector instruction makes
// (VS on, vtype valid, register groups aligned), 64-bit element arithmetic on (lo, hi) pairs (result high word
// in E.hi), fixed-point rounding per vxrm, and element loads/stores through the hart's data TLB.
import type { Hart } from '../hart.js';
import { E, type VectorUnit } from '../vector/unit.js';
import { vecAccess } from '../vector/access.js';

export { E };

export const vdOf = (raw: number): number => (raw >>> 7) & 31;
export const vs1Of = (raw: number): number => (raw >>> 15) & 31;
export const vs2Of = (raw: number): number => (raw >>> 20) & 31;
export const vmOf = (raw: number): boolean => ((raw >>> 25) & 1) !== 0;

/** the vector unit for an instruction that needs VS on (else illegal) */
export function vunit(h: Hart, raw: number): VectorUnit {
  const v = h.vec;
  if (v === null || h.vsOff()) return h.illegal(raw);
  return v;
}

/** ... that also needs a valid vtype */
export function vconf(h: Hart, raw: number): VectorUnit {
  const v = vunit(h, raw);
  if (v.vill) h.illegal(raw);
  return v;
}

/** register group alignment: reg must be a multiple of regs (a group of LMUL >= 1 registers) */
export function align(h: Hart, raw: number, reg: number, regs: number): void {
  if ((reg & (regs - 1)) !== 0 || reg + regs > 32) h.illegal(raw);
}

/** whether groups [a, a+an) and [b, b+bn) share a register */
export function overlaps(a: number, an: number, b: number, bn: number): boolean {
  return a < b + bn && b < a + an;
}

/** the scalar operand x[rs1] as an element of `sew` bits, sign- or zero-extended to 64 (lo, E.hi) */
export function scalar(h: Hart, rs1: number, sew: number, signed: boolean): number {
  const lo = h.x[rs1 * 2]!, hi = h.x[rs1 * 2 + 1]!;
  return extend(lo, hi, sew, signed);
}

/** the low `sew` bits of (lo, hi), sign- or zero-extended to 64 */
export function extend(lo: number, hi: number, sew: number, signed: boolean): number {
  if (sew === 64) { E.hi = hi; return lo; }
  if (sew === 32) { E.hi = signed ? lo >> 31 : 0; return lo; }
  const sh = 32 - sew;
  const v = signed ? (lo << sh) >> sh : (lo << sh) >>> sh;
  E.hi = signed ? v >> 31 : 0;
  return v | 0;
}

// ---- 64-bit pair arithmetic

export function add64(alo: number, ahi: number, blo: number, bhi: number): number {
  const lo = (alo + blo) | 0;
  E.hi = (ahi + bhi + ((lo >>> 0) < (alo >>> 0) ? 1 : 0)) | 0;
  return lo;
}
export function sub64(alo: number, ahi: number, blo: number, bhi: number): number {
  const lo = (alo - blo) | 0;
  E.hi = (ahi - bhi - ((alo >>> 0) < (blo >>> 0) ? 1 : 0)) | 0;
  return lo;
}
export function ltu64(alo: number, ahi: number, blo: number, bhi: number): boolean {
  return (ahi >>> 0) < (bhi >>> 0) || (ahi === bhi && (alo >>> 0) < (blo >>> 0));
}
export function lt64(alo: number, ahi: number, blo: number, bhi: number): boolean {
  return ahi < bhi || (ahi === bhi && (alo >>> 0) < (blo >>> 0));
}
export function sll64(lo: number, hi: number, s: number): number {
  s &= 63;
  if (s === 0) { E.hi = hi; return lo; }
  if (s >= 32) { E.hi = lo << (s - 32); return 0; }
  E.hi = (hi << s) | (lo >>> (32 - s));
  return lo << s;
}
export function srl64(lo: number, hi: number, s: number): number {
  s &= 63;
  if (s === 0) { E.hi = hi; return lo; }
  if (s >= 32) { E.hi = 0; return hi >>> (s - 32) | 0; }
  E.hi = hi >>> s | 0;
  return ((lo >>> s) | (hi << (32 - s))) | 0;
}
export function sra64(lo: number, hi: number, s: number): number {
  s &= 63;
  if (s === 0) { E.hi = hi; return lo; }
  if (s >= 32) { E.hi = hi >> 31; return hi >> (s - 32); }
  E.hi = hi >> s;
  return ((lo >>> s) | (hi << (32 - s))) | 0;
}
/** bit k (0..63) of a pair */
export function bit64(lo: number, hi: number, k: number): number {
  return k < 32 ? (lo >>> k) & 1 : (hi >>> (k - 32)) & 1;
}
/** whether bits k-1..0 of a pair are not all zero (k 0..64) */
export function anyBelow(lo: number, hi: number, k: number): boolean {
  if (k <= 0) return false;
  if (k >= 64) return lo !== 0 || hi !== 0;
  if (k >= 32) return lo !== 0 || (k > 32 && (hi << (64 - k)) !== 0);
  return (lo << (32 - k)) !== 0;
}

/** fixed-point rounding increment for shifting (lo, hi) right by d bits under vxrm (spec 3.8) */
export function roundInc(vxrm: number, lo: number, hi: number, d: number): number {
  if (d === 0) return 0;
  switch (vxrm) {
    case 0: return bit64(lo, hi, d - 1);
    case 1: return bit64(lo, hi, d - 1) & (anyBelow(lo, hi, d - 1) || bit64(lo, hi, d) ? 1 : 0);
    case 2: return 0;
    default: return !bit64(lo, hi, d) && anyBelow(lo, hi, d) ? 1 : 0;
  }
}

/** signed / unsigned bounds of `sew` bits as pairs */
export function maxS(sew: number): number { E.hi = sew === 64 ? 0x7fffffff : 0; return sew === 64 ? -1 : sew === 32 ? 0x7fffffff : (1 << (sew - 1)) - 1; }
export function minS(sew: number): number { E.hi = sew === 64 ? 0x80000000 | 0 : -1; return sew === 64 ? 0 : sew === 32 ? 0x80000000 | 0 : -(1 << (sew - 1)); }
export function maxU(sew: number): number { E.hi = sew === 64 ? -1 : 0; return sew >= 32 ? -1 : (1 << sew) - 1; }

// ---- element memory access (through the hart's data TLB; page-crossing elements byte by byte)

export function memRead(h: Hart, lo: number, hi: number, bytes: number): number {
  const off = vecAccess(h, lo, hi, bytes, false);
  const dv = h.mem.dv;
  if (off >= 0) {
    switch (bytes) {
      case 1: E.hi = 0; return dv.getUint8(off);
      case 2: E.hi = 0; return dv.getUint16(off, true);
      case 4: E.hi = 0; return dv.getInt32(off, true);
      default: E.hi = dv.getInt32(off + 4, true); return dv.getInt32(off, true);
    }
  }
  let vlo = 0, vhi = 0;
  for (let k = 0; k < bytes; k++) {
    const blo = (lo + k) | 0;
    const bhi = (blo >>> 0) < (lo >>> 0) ? (hi + 1) | 0 : hi;
    const b = dv.getUint8(vecAccess(h, blo, bhi, 1, false));
    if (k < 4) vlo |= b << (8 * k); else vhi |= b << (8 * (k - 4));
  }
  E.hi = vhi;
  return vlo;
}

export function memWrite(h: Hart, lo: number, hi: number, bytes: number, vlo: number, vhi: number): void {
  const dv = h.mem.dv;
  const off = vecAccess(h, lo, hi, bytes, true);
  if (off >= 0) {
    switch (bytes) {
      case 1: dv.setUint8(off, vlo); return;
      case 2: dv.setUint16(off, vlo, true); return;
      case 4: dv.setInt32(off, vlo, true); return;
      default: dv.setInt32(off, vlo, true); dv.setInt32(off + 4, vhi, true); return;
    }
  }
  // page-crossing: translate every byte before writing any, so a fault leaves memory untouched
  let first = 0, second = 0;
  for (let k = 0; k < bytes; k++) {
    const blo = (lo + k) | 0;
    const bhi = (blo >>> 0) < (lo >>> 0) ? (hi + 1) | 0 : hi;
    const o = vecAccess(h, blo, bhi, 1, true);
    if (k === 0) first = o; else if (((blo & 0xfff) === 0)) second = o - k;
  }
  for (let k = 0; k < bytes; k++) {
    const o = ((lo + k) & 0xfff) >= (lo & 0xfff) ? first + k : second + k;
    dv.setUint8(o, k < 4 ? vlo >>> (8 * k) : vhi >>> (8 * (k - 4)));
  }
}
