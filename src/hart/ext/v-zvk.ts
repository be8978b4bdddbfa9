// What every vector crypto instruction (Zvkned, Zvknh[ab], Zvksed, Zvksh, Zvkg; major opcode OP-VE 0x77) shares:
// the element-group rules and the group accessors. An element group is EGS consecutive elements treated as one
// EGW-bit value (AES, SM4, GHASH, SHA-256: 4 x 32 bits; SHA-512: 4 x 64; SM3: 8 x 32). vl and vstart must be
// multiples of EGS and a register group must hold a whole element group (LMUL * VLEN >= EGW), else the
// instruction is reserved: rvkvm raises illegal instruction, as Sail does. The instructions are unmasked (vm = 1 is
// part of every encoding) and never read or write anything outside the element groups below vl.
//
// Zvkt (data-independent execution latency) is a property, not instructions. What rvkvm guarantees: every
// instruction Zvkt lists (these, vclmul[h], Zvkb's, and V's integer, merge, move, slide and gather ops) retires
// as one instruction whatever its element values, with control flow and memory accesses of the guest that
// depend only on vl, vtype and the register numbers, so the guest's own clocks (cycle and instret, and time
// under --clock icount) cannot tell data apart. On the host, S-box lookups are indexed by data like any
// table-based software AES: rvkvm makes no claim against an observer of the host's caches.
import type { Hart } from '../hart.js';
import type { VectorUnit } from '../vector/unit.js';
import { align, overlaps, vconf, vdOf, vs2Of } from './v-common.js';

export const OPVE = 0x77;
/** funct6, vm = 1, OPMVV (funct3 2), OP-VE; vs1 a fixed selector when given */
export const zvkMatch = (f6: number, vs1 = 0): number => ((f6 << 26) | (1 << 25) | (vs1 << 15) | (2 << 12) | OPVE) >>> 0;
export const ZVK_MASK = 0xfe00707f, ZVK_MASK_VS1 = 0xfe0ff07f;

/**
 * The vector unit for an element-group instruction, after the checks: valid vtype, SEW one of `sews`, vl and
 * vstart multiples of egs, LMUL * VLEN >= egw, vd (and the vs2 group unless vs2Single) aligned to LMUL.
 */
export function egConf(h: Hart, raw: number, egs: number, egw: number, sew64 = false, vs2Single = false): VectorUnit {
  const v = vconf(h, raw);
  const sew = v.sew;
  if (!(sew === 32 || (sew64 && sew === 64))) h.illegal(raw);
  if (v.vl % egs !== 0 || v.vstart % egs !== 0 || v.lmulOf(v.vlmul) * v.vlen < egw) h.illegal(raw);
  const g = v.groupRegs;
  align(h, raw, vdOf(raw), g);
  if (!vs2Single) align(h, raw, vs2Of(raw), g);
  return v;
}

/** the register group `a` (of LMUL registers) must not overlap `b` (bRegs registers): illegal otherwise */
export function disjoint(h: Hart, raw: number, v: VectorUnit, a: number, b: number, bRegs: number): void {
  if (overlaps(a, v.groupRegs, b, bRegs)) h.illegal(raw);
}

/** Four 32-bit words of element group `eg` of register group `reg` into out[at..at+3] (element 4*eg first). */
export function readGroup(v: VectorUnit, reg: number, eg: number, out: Int32Array, at = 0, n = 4): void {
  for (let k = 0; k < n; k++) out[at + k] = v.get(reg, eg * n + k, 32, false);
}
export function writeGroup(v: VectorUnit, reg: number, eg: number, src: Int32Array, at = 0, n = 4): void {
  for (let k = 0; k < n; k++) v.set(reg, eg * n + k, 32, src[at + k]!, 0);
}

/** rotate a 32-bit word left */
export const rotl32 = (x: number, s: number): number => ((x << s) | (x >>> (32 - s))) | 0;

/** vstart = 0 and VS dirty: the end of every vector crypto instruction */
export function egDone(h: Hart, v: VectorUnit): void {
  v.vstart = 0;
  h.markVsDirty();
}
