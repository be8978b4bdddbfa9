// V 1.0: configuration (vsetvli, vsetivli, vsetvl) and every vector load and store: unit-stride (and the mask
// forms vlm/vsm), strided, indexed (ordered and unordered), segment (nf > 1), whole-register, fault-only-first.
// Elements are accessed one at a time through the hart's data TLB; vstart holds the element being accessed, so
// a trap leaves it where the instruction must restart (and the restarted instruction begins there).
import { Op } from '../ops.js';
import type { InsnDef } from '../decode.js';
import { exact, type Semantics, type ExecFn } from './enc.js';
import type { Hart } from '../hart.js';
import { isTrapSignal, vecAccess } from '../vector/access.js';
import { mul64, r as i64 } from '../int64.js';
import type { VectorUnit } from '../vector/unit.js';
import { E, align, memRead, memWrite, vconf, vdOf, vmOf, vs2Of, vunit, vs1Of, add64 } from './v-common.js';

const OPV = 0x57;

export const encodings: InsnDef[] = [
  exact('vsetvli', 'zve32x', Op.VSETVLI, 0x7000 | OPV, 0x8000707f, 'NONE'),
  exact('vsetivli', 'zve32x', Op.VSETIVLI, 0xc0007000 | OPV, 0xc000707f, 'NONE'),
  exact('vsetvl', 'zve32x', Op.VSETVL, 0x80007000 | OPV, 0xfe00707f, 'NONE'),
  // vector loads/stores share LOAD-FP/STORE-FP with F/D; widths 0, 5, 6, 7 are the vector ones (8..64-bit EEW)
  ...[0, 5, 6, 7].flatMap((w) => [
    exact(`vl.e${w === 0 ? 8 : 8 << (w - 4)}`, 'zve32x', Op.VLOAD, (w << 12) | 0x07, 0x707f, 'NONE'),
    exact(`vs.e${w === 0 ? 8 : 8 << (w - 4)}`, 'zve32x', Op.VSTORE, (w << 12) | 0x27, 0x707f, 'NONE'),
  ]),
];

// ---- configuration

function writeRd(h: Hart, rd: number, v: number): void {
  if (rd === 0) return;
  h.x[rd * 2] = v; h.x[rd * 2 + 1] = 0;
}

/** AVL from rs1 (its 64-bit value, capped: anything >= 2^32 is more than any VLMAX) */
function avlOf(h: Hart, rs1: number): number {
  return h.x[rs1 * 2 + 1] !== 0 ? 0xffffffff : h.x[rs1 * 2]! >>> 0;
}

const vsetvli: ExecFn = (h, _w, _imm, raw) => {
  const v = vunit(h, raw);
  const rd = vdOf(raw), rs1 = vs1Of(raw);
  const keep = rs1 === 0 && rd === 0;
  const avl = rs1 !== 0 ? avlOf(h, rs1) : 0xffffffff;
  writeRd(h, rd, v.configure((raw >>> 20) & 0x7ff, 0, avl, keep));
  h.markVsDirty();
};
const vsetivli: ExecFn = (h, _w, _imm, raw) => {
  const v = vunit(h, raw);
  writeRd(h, vdOf(raw), v.configure((raw >>> 20) & 0x3ff, 0, vs1Of(raw), false));
  h.markVsDirty();
};
const vsetvl: ExecFn = (h, _w, _imm, raw) => {
  const v = vunit(h, raw);
  const rd = vdOf(raw), rs1 = vs1Of(raw), rs2 = vs2Of(raw);
  const keep = rs1 === 0 && rd === 0;
  const avl = rs1 !== 0 ? avlOf(h, rs1) : 0xffffffff;
  writeRd(h, rd, v.configure(h.x[rs2 * 2]!, h.x[rs2 * 2 + 1]!, avl, keep));
  h.markVsDirty();
};

// ---- loads and stores

/** EEW of a width field (0, 5, 6, 7), or 0 for a reserved one */
const eewOf = (width: number): number => (width === 0 ? 8 : width >= 5 ? 8 << (width - 4) : 0);

function access(h: Hart, raw: number, store: boolean): void {
  const v = vunit(h, raw);
  const eew = eewOf((raw >>> 12) & 7);
  if (eew > v.elen || ((raw >>> 28) & 1) !== 0) h.illegal(raw); // mew = 1 is reserved
  const mop = (raw >>> 26) & 3, vm = vmOf(raw), nf = ((raw >>> 29) & 7) + 1;
  const vd = vdOf(raw), rs1 = vs1Of(raw), umop = vs2Of(raw);
  const baseLo = h.x[rs1 * 2]!, baseHi = h.x[rs1 * 2 + 1]!;
  const bytes = eew >>> 3;

  if (mop === 0 && umop === 8) { // whole registers: nf registers, independent of vtype and vl
    if (!vm || (nf & (nf - 1)) !== 0 || (store && eew !== 8)) h.illegal(raw); // vs<nr>r.v: EEW 8 only
    align(h, raw, vd, nf);
    const evl = (nf * v.vlenb) / bytes;
    for (let i = v.vstart; i < evl; i++) {
      v.vstart = i;
      const alo = (baseLo + i * bytes) | 0, ahi = (alo >>> 0) < (baseLo >>> 0) ? (baseHi + 1) | 0 : baseHi;
      if (store) memWrite(h, alo, ahi, bytes, v.get(vd, i, eew, false), E.hi);
      else { const lo = memRead(h, alo, ahi, bytes); v.set(vd, i, eew, lo, E.hi); }
    }
    v.vstart = 0;
    h.markVsDirty();
    return;
  }
  if (v.vill) h.illegal(raw);
  if (mop === 0 && umop === 0xb) { // vlm.v / vsm.v: ceil(vl / 8) bytes, unmasked
    if (eew !== 8 || !vm || nf !== 1) h.illegal(raw);
    const evl = (v.vl + 7) >>> 3;
    for (let i = v.vstart; i < evl; i++) {
      v.vstart = i;
      const alo = (baseLo + i) | 0, ahi = (alo >>> 0) < (baseLo >>> 0) ? (baseHi + 1) | 0 : baseHi;
      if (store) memWrite(h, alo, ahi, 1, v.get(vd, i, 8, false), 0);
      else v.set(vd, i, 8, memRead(h, alo, ahi, 1), 0);
    }
    v.vstart = 0;
    h.markVsDirty();
    return;
  }
  const indexed = (mop & 1) === 1;
  const faultFirst = !store && mop === 0 && umop === 0x10;
  if (mop === 0 && umop !== 0 && !faultFirst) h.illegal(raw);
  const sew = v.sew, lmul = v.lmulOf(v.vlmul);
  const dataEew = indexed ? sew : eew;
  const emul = (dataEew / sew) * lmul;
  if (emul > 8 || emul < 1 / 8) h.illegal(raw);
  const regs = emul < 1 ? 1 : emul;
  if (nf * regs > 8 || vd + nf * regs > 32) h.illegal(raw);
  align(h, raw, vd, regs);
  const vs2 = umop;
  if (indexed) {
    const iemul = (eew / sew) * lmul;
    if (iemul > 8 || iemul < 1 / 8) h.illegal(raw);
    align(h, raw, vs2, iemul < 1 ? 1 : iemul);
    // a load's destination may not overlap its index vector (different EEW) nor, masked, v0
    if (!store && vd < vs2 + (iemul < 1 ? 1 : iemul) && vs2 < vd + nf * regs && dataEew !== eew) h.illegal(raw);
  }
  if (!store && !vm && vd === 0) h.illegal(raw);
  const dbytes = dataEew >>> 3;
  let strideLo = 0, strideHi = 0;
  if (mop === 2) { strideLo = h.x[vs2 * 2]!; strideHi = h.x[vs2 * 2 + 1]!; }
  const vl = v.vl;
  if (mop === 0 && nf === 1 && vm && !faultFirst && v.vstart < vl) {
    unitStride(h, v, store, vd, baseLo, baseHi, dbytes, v.vstart, vl);
    return;
  }
  for (let i = v.vstart; i < vl; i++) {
    if (!v.active(vm, i)) continue;
    v.vstart = i;
    // element i's base address (field 0)
    let olo: number, ohi: number;
    if (indexed) { olo = v.get(vs2, i, eew, false); ohi = E.hi; }
    else if (mop === 2) { olo = mul64(i, 0, strideLo, strideHi); ohi = i64.hi; }
    else { olo = i * nf * dbytes; ohi = 0; }
    const elo = add64(baseLo, baseHi, olo, ohi), ehi = E.hi;
    for (let f = 0; f < nf; f++) {
      const alo = (elo + f * dbytes) | 0, ahi = (alo >>> 0) < (elo >>> 0) ? (ehi + 1) | 0 : ehi;
      const reg = vd + f * regs;
      if (store) { memWrite(h, alo, ahi, dbytes, v.get(reg, i, dataEew, false), E.hi); continue; }
      if (faultFirst && i > 0) {
        // a trap after element 0 only shortens vl (and nothing from element i on is written)
        let lo: number;
        try {
          lo = memRead(h, alo, ahi, dbytes);
        } catch (e) {
          if (!isTrapSignal(e)) throw e;
          v.vl = i;
          v.vstart = 0;
          h.markVsDirty();
          return;
        }
        v.set(reg, i, dataEew, lo, E.hi);
        continue;
      }
      const lo = memRead(h, alo, ahi, dbytes);
      v.set(reg, i, dataEew, lo, E.hi);
    }
  }
  v.vstart = 0;
  h.markVsDirty();
}

/**
 * Unmasked unit-stride elements [from, to): the bytes are contiguous in memory and in the register group, and
 * both live in the one WebAssembly.Memory, so each run of elements inside one page is a single copyWithin.
 * vstart advances page by page, so a fault restarts at the first element of the page that faulted (elements
 * are accessed in order within the page, which is all the spec asks of a restart point).
 */
function unitStride(h: Hart, v: VectorUnit, store: boolean, vd: number, baseLo: number, baseHi: number, bytes: number, from: number, to: number): void {
  const u8 = h.mem.u8;
  let i = from;
  while (i < to) {
    v.vstart = i;
    const alo = (baseLo + i * bytes) | 0, ahi = (alo >>> 0) < (baseLo >>> 0) ? (baseHi + 1) | 0 : baseHi;
    const inPage = Math.floor((4096 - (alo & 0xfff)) / bytes);
    if (inPage === 0) { // an element that crosses the page boundary
      if (store) memWrite(h, alo, ahi, bytes, v.get(vd, i, bytes * 8, false), E.hi);
      else { const lo = memRead(h, alo, ahi, bytes); v.set(vd, i, bytes * 8, lo, E.hi); }
      i++;
      continue;
    }
    const n = Math.min(inPage, to - i);
    const host = vecAccess(h, alo, ahi, n * bytes, store, bytes);
    const reg = v.regOffset(vd) + i * bytes;
    if (store) u8.copyWithin(host, reg, reg + n * bytes);
    else u8.copyWithin(reg, host, host + n * bytes);
    i += n;
  }
  v.vstart = 0;
  h.markVsDirty();
}

export const semantics: Semantics = [
  [Op.VSETVLI, vsetvli], [Op.VSETIVLI, vsetivli], [Op.VSETVL, vsetvl],
  [Op.VLOAD, (h, _w, _imm, raw) => access(h, raw, false)],
  [Op.VSTORE, (h, _w, _imm, raw) => access(h, raw, true)],
];

export { vconf };
