// Shared helpers for register-to-register semantics: a 64-bit result is returned as lo with hi in `res.hi`.
import { rdOf, rs1Of, rs2Of, type ExecFn } from './enc.js';
import type { Hart } from '../hart.js';

export const res = { hi: 0 };

/** rd = f(rs1, rs2) on full 64-bit registers */
export function bin64(fn: (alo: number, ahi: number, blo: number, bhi: number) => number): ExecFn {
  return (h: Hart, w: number) => {
    const x = h.x, a = rs1Of(w) << 1, b = rs2Of(w) << 1, d = rdOf(w) << 1;
    const lo = fn(x[a]!, x[a + 1]!, x[b]!, x[b + 1]!);
    x[d] = lo; x[d + 1] = res.hi;
  };
}
/** rd = f(rs1, imm) */
export function imm64(fn: (alo: number, ahi: number, imm: number) => number): ExecFn {
  return (h: Hart, w: number, imm: number) => {
    const x = h.x, a = rs1Of(w) << 1, d = rdOf(w) << 1;
    const lo = fn(x[a]!, x[a + 1]!, imm);
    x[d] = lo; x[d + 1] = res.hi;
  };
}
/** W form: rd = sext32(f(rs1[31:0], rs2[31:0] or imm)) */
export function word(fn: (a: number, b: number) => number, useImm = false): ExecFn {
  return (h: Hart, w: number, imm: number) => {
    const x = h.x, d = rdOf(w) << 1;
    const v = fn(x[rs1Of(w) << 1]!, useImm ? imm : x[rs2Of(w) << 1]!) | 0;
    x[d] = v; x[d + 1] = v >> 31;
  };
}

export function shl64(lo: number, hi: number, s: number): number {
  s &= 63;
  if (s === 0) { res.hi = hi; return lo; }
  if (s < 32) { res.hi = (hi << s) | (lo >>> (32 - s)); return lo << s; }
  res.hi = lo << (s - 32); return 0;
}
export function shr64(lo: number, hi: number, s: number): number {
  s &= 63;
  if (s === 0) { res.hi = hi; return lo; }
  if (s < 32) { res.hi = hi >>> s; return (lo >>> s) | (hi << (32 - s)); }
  res.hi = 0; return hi >>> (s - 32);
}
export function sar64(lo: number, hi: number, s: number): number {
  s &= 63;
  if (s === 0) { res.hi = hi; return lo; }
  if (s < 32) { res.hi = hi >> s; return (lo >>> s) | (hi << (32 - s)); }
  res.hi = hi >> 31; return hi >> (s - 32);
}
export function add64(alo: number, ahi: number, blo: number, bhi: number): number {
  const lo = (alo + blo) | 0;
  res.hi = (ahi + bhi + ((lo >>> 0) < (alo >>> 0) ? 1 : 0)) | 0;
  return lo;
}
export function popcnt32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}
export function ctz32(v: number): number {
  return v === 0 ? 32 : 31 - Math.clz32(v & -v);
}
