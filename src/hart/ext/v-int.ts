// V 1.0 integer instructions (OPIVV/OPIVX/OPIVI and OPMVV/OPMVX): single-width, widening and narrowing
// arithmetic, carries, compares, merge/move, fixed-point (vxrm rounding, vxsat saturation), reductions, mask
// logic and mask utilities, slides, gathers, compress, scalar moves and whole-register moves.
// One Op (VOPI / VOPM) per encoding group; a table indexed by funct3 and funct6, built once, picks the
// handler. Element operations work on 64-bit (lo, hi) pairs with operands extended from SEW, so each one is
// written once for every SEW; results are truncated to SEW when written.
import { Op } from '../ops.js';
import type { InsnDef } from '../decode.js';
import { exact, type Semantics, type ExecFn } from './enc.js';
import type { Hart } from '../hart.js';
import type { VectorUnit } from '../vector/unit.js';
import { mul64, mulh64, divu64, div64, r as i64 } from '../int64.js';
import {
  E, add64, sub64, ltu64, lt64, sll64, srl64, sra64, bit64, roundInc, maxS, minS, maxU, extend, scalar,
  align, overlaps, vconf, vunit, vdOf, vs1Of, vs2Of, vmOf,
} from './v-common.js';

const OPV = 0x57;
export const IVV = 0, MVV = 2, IVI = 3, IVX = 4, MVX = 6;

export const encodings: InsnDef[] = [
  exact('vop.ivv', 'zve32x', Op.VOP, (IVV << 12) | OPV, 0x707f, 'NONE'),
  exact('vop.mvv', 'zve32x', Op.VOP, (MVV << 12) | OPV, 0x707f, 'NONE'),
  exact('vop.ivi', 'zve32x', Op.VOP, (IVI << 12) | OPV, 0x707f, 'NONE'),
  exact('vop.ivx', 'zve32x', Op.VOP, (IVX << 12) | OPV, 0x707f, 'NONE'),
  exact('vop.mvx', 'zve32x', Op.VOP, (MVX << 12) | OPV, 0x707f, 'NONE'),
];

/** one instruction of an encoding group (f3 = funct3); exported for the extensions that add rows to the group */
export type Handler = (h: Hart, raw: number, f3: number) => void;
const table: (Handler | undefined)[] = new Array(8 * 64);
function def(f3s: number[], funct6: number, fn: Handler): void {
  for (const f3 of f3s) table[(f3 << 6) | funct6] = fn;
}

/** element op: a = vs2 element, b = vs1 element / scalar / immediate; returns lo, E.hi */
export type ElemOp = (alo: number, ahi: number, blo: number, bhi: number, sew: number) => number;

/** second operand of element i: vs1[i], x[rs1] or the immediate, extended to 64 bits */
function operandB(h: Hart, v: VectorUnit, f3: number, raw: number, i: number, sew: number, signed: boolean, uimm: boolean): number {
  const rs1 = vs1Of(raw);
  if (f3 === IVV || f3 === MVV) return v.get(rs1, i, sew, signed);
  if (f3 === IVI) {
    const imm = uimm ? rs1 : (rs1 << 27) >> 27;
    return extend(imm, imm >> 31, sew, signed);
  }
  return scalar(h, rs1, sew, signed);
}

export function done(h: Hart, v: VectorUnit): void {
  v.vstart = 0;
  h.markVsDirty();
}

/** single-width vd[i] = op(vs2[i], b); `signed` reads b (and vs2, unless signedA says otherwise) sign-extended */
export function binary(op: ElemOp, signed: boolean, uimm = false, signedA = signed): Handler {
  return (h, raw, f3) => {
    const v = vconf(h, raw);
    const vd = vdOf(raw), vs2 = vs2Of(raw), vm = vmOf(raw), g = v.groupRegs, sew = v.sew;
    align(h, raw, vd, g); align(h, raw, vs2, g);
    if (f3 === IVV || f3 === MVV) align(h, raw, vs1Of(raw), g);
    if (!vm && vd === 0) h.illegal(raw);
    for (let i = v.vstart; i < v.vl; i++) {
      if (!v.active(vm, i)) continue;
      const blo = operandB(h, v, f3, raw, i, sew, signed, uimm), bhi = E.hi;
      const alo = v.get(vs2, i, sew, signedA);
      const lo = op(alo, E.hi, blo, bhi, sew);
      v.set(vd, i, sew, lo, E.hi);
    }
    done(h, v);
  };
}

/** vd[i] = op(vs2[i], b, vd[i]) for the multiply-adds: (a, b) products with the old vd */
function ternary(fn: (alo: number, ahi: number, blo: number, bhi: number, dlo: number, dhi: number, sew: number) => number): Handler {
  return (h, raw, f3) => {
    const v = vconf(h, raw);
    const vd = vdOf(raw), vs2 = vs2Of(raw), vm = vmOf(raw), g = v.groupRegs, sew = v.sew;
    align(h, raw, vd, g); align(h, raw, vs2, g);
    if (f3 === MVV) align(h, raw, vs1Of(raw), g);
    if (!vm && vd === 0) h.illegal(raw);
    for (let i = v.vstart; i < v.vl; i++) {
      if (!v.active(vm, i)) continue;
      const blo = operandB(h, v, f3, raw, i, sew, true, false), bhi = E.hi;
      const alo = v.get(vs2, i, sew, true), ahi = E.hi;
      const dlo = v.get(vd, i, sew, true);
      const lo = fn(alo, ahi, blo, bhi, dlo, E.hi, sew);
      v.set(vd, i, sew, lo, E.hi);
    }
    done(h, v);
  };
}

/** compares: mask bit vd[i] = cmp(vs2[i], b) */
function compare(cmp: (alo: number, ahi: number, blo: number, bhi: number) => boolean, signed: boolean): Handler {
  return (h, raw, f3) => {
    const v = vconf(h, raw);
    const vd = vdOf(raw), vs2 = vs2Of(raw), vm = vmOf(raw), g = v.groupRegs, sew = v.sew;
    align(h, raw, vs2, g);
    if (f3 === IVV) align(h, raw, vs1Of(raw), g);
    if (g > 1 && overlaps(vd, 1, vs2, g) && vd !== vs2) h.illegal(raw);
    for (let i = v.vstart; i < v.vl; i++) {
      if (!v.active(vm, i)) continue;
      const blo = operandB(h, v, f3, raw, i, sew, signed, false), bhi = E.hi;
      const alo = v.get(vs2, i, sew, signed);
      v.setMaskBit(vd, i, cmp(alo, E.hi, blo, bhi));
    }
    done(h, v);
  };
}

// ---- element operations

const opAdd: ElemOp = (a, ah, b, bh) => add64(a, ah, b, bh);
const opSub: ElemOp = (a, ah, b, bh) => sub64(a, ah, b, bh);
const opRsub: ElemOp = (a, ah, b, bh) => sub64(b, bh, a, ah);
const opAnd: ElemOp = (a, ah, b, bh) => { E.hi = ah & bh; return a & b; };
const opOr: ElemOp = (a, ah, b, bh) => { E.hi = ah | bh; return a | b; };
const opXor: ElemOp = (a, ah, b, bh) => { E.hi = ah ^ bh; return a ^ b; };
const opMinu: ElemOp = (a, ah, b, bh) => (ltu64(a, ah, b, bh) ? (E.hi = ah, a) : (E.hi = bh, b));
const opMin: ElemOp = (a, ah, b, bh) => (lt64(a, ah, b, bh) ? (E.hi = ah, a) : (E.hi = bh, b));
const opMaxu: ElemOp = (a, ah, b, bh) => (ltu64(a, ah, b, bh) ? (E.hi = bh, b) : (E.hi = ah, a));
const opMax: ElemOp = (a, ah, b, bh) => (lt64(a, ah, b, bh) ? (E.hi = bh, b) : (E.hi = ah, a));
export const opSll: ElemOp = (a, ah, b, _bh, sew) => sll64(a, ah, b & (sew - 1));
const opSrl: ElemOp = (a, ah, b, _bh, sew) => srl64(a, ah, b & (sew - 1));
const opSra: ElemOp = (a, ah, b, _bh, sew) => sra64(a, ah, b & (sew - 1));
const opMul: ElemOp = (a, ah, b, bh) => { const lo = mul64(a, ah, b, bh); E.hi = i64.hi; return lo; };
/** high half of the SEW x SEW product (operands already extended as the instruction says) */
function mulHigh(signedA: boolean, signedB: boolean): ElemOp {
  return (a, ah, b, bh, sew) => {
    if (sew === 64) { const lo = mulh64(a, ah, b, bh, signedA, signedB); E.hi = i64.hi; return lo; }
    const lo = mul64(a, ah, b, bh); // exact: |product| < 2^64 for extended SEW <= 32 operands
    return sra64(lo, i64.hi, sew);
  };
}
const opDivu: ElemOp = (a, ah, b, bh) => {
  if (b === 0 && bh === 0) { E.hi = -1; return -1; }
  const lo = divu64(a, ah, b, bh); E.hi = i64.hi; return lo;
};
const opRemu: ElemOp = (a, ah, b, bh) => {
  if (b === 0 && bh === 0) { E.hi = ah; return a; }
  divu64(a, ah, b, bh); E.hi = i64.remHi; return i64.remLo;
};
// signed division of SEW-bit values extended to 64 bits: the overflow case (min / -1) gives 2^(SEW-1),
// which truncates to min as the spec requires; only SEW = 64 needs div64's rule
const opDiv: ElemOp = (a, ah, b, bh) => { const lo = div64(a, ah, b, bh); E.hi = i64.hi; return lo; };
const opRem: ElemOp = (a, ah, b, bh) => { div64(a, ah, b, bh); E.hi = i64.remHi; return i64.remLo; };

// ---- fixed point (vxrm, vxsat)

let vxsat = 0;
let vxrm = 0;

/** clamp a 64-bit pair (an exact result of SEW < 64 operands) to the signed range of sew */
function clampS(lo: number, hi: number, sew: number): number {
  const mxl = maxS(sew), mxh = E.hi;
  if (lt64(mxl, mxh, lo, hi)) { vxsat = 1; E.hi = mxh; return mxl; }
  const mnl = minS(sew), mnh = E.hi;
  if (lt64(lo, hi, mnl, mnh)) { vxsat = 1; E.hi = mnh; return mnl; }
  E.hi = hi; return lo;
}
function clampU(lo: number, hi: number, sew: number): number {
  const mxl = maxU(sew), mxh = E.hi;
  if (ltu64(mxl, mxh, lo, hi)) { vxsat = 1; E.hi = mxh; return mxl; }
  E.hi = hi; return lo;
}
const opSaddu: ElemOp = (a, ah, b, bh, sew) => {
  const lo = add64(a, ah, b, bh), hi = E.hi;
  if (sew === 64) { if (ltu64(lo, hi, a, ah)) { vxsat = 1; E.hi = -1; return -1; } E.hi = hi; return lo; }
  return clampU(lo, hi, sew);
};
const opSadd: ElemOp = (a, ah, b, bh, sew) => {
  const lo = add64(a, ah, b, bh), hi = E.hi;
  if (sew === 64) {
    if (((ah ^ bh) >= 0) && ((hi ^ ah) < 0)) { vxsat = 1; return ah < 0 ? minS(64) : maxS(64); }
    E.hi = hi; return lo;
  }
  return clampS(lo, hi, sew);
};
const opSsubu: ElemOp = (a, ah, b, bh, sew) => {
  if (ltu64(a, ah, b, bh)) { vxsat = 1; E.hi = 0; return 0; }
  void sew;
  return sub64(a, ah, b, bh);
};
const opSsub: ElemOp = (a, ah, b, bh, sew) => {
  const lo = sub64(a, ah, b, bh), hi = E.hi;
  if (sew === 64) {
    if (((ah ^ bh) < 0) && ((hi ^ ah) < 0)) { vxsat = 1; return ah < 0 ? minS(64) : maxS(64); }
    E.hi = hi; return lo;
  }
  return clampS(lo, hi, sew);
};
/** averaging add/subtract: (a +/- b) >> 1 with rounding, computed on 65 bits */
function averaging(subtract: boolean, signed: boolean): ElemOp {
  return (a, ah, b, bh) => {
    const lo = subtract ? sub64(a, ah, b, bh) : add64(a, ah, b, bh), hi = E.hi;
    const carry = subtract ? ((ah >>> 0) < (bh >>> 0) || (ah === bh && (a >>> 0) < (b >>> 0)) ? 1 : 0) : ltu64(lo, hi, a, ah) ? 1 : 0;
    const aTop = signed ? ah >> 31 : 0, bTop = signed ? bh >> 31 : 0;
    const top = (subtract ? aTop - bTop - carry : aTop + bTop + carry) & 1;
    const inc = roundInc(vxrm, lo, hi, 1);
    let rlo = srl64(lo, hi, 1), rhi = E.hi | (top << 31);
    const nlo = (rlo + inc) | 0;
    if (inc && (nlo >>> 0) < (rlo >>> 0)) rhi = (rhi + 1) | 0;
    rlo = nlo;
    E.hi = rhi;
    return rlo;
  };
}
/** vsmul: (a * b) >> (SEW - 1), rounded, saturated */
const opSmul: ElemOp = (a, ah, b, bh, sew) => {
  const mnl = minS(sew), mnh = E.hi;
  if (a === mnl && ah === mnh && b === mnl && bh === mnh) { vxsat = 1; return maxS(sew); }
  if (sew < 64) {
    const plo = mul64(a, ah, b, bh), phi = i64.hi;
    const inc = roundInc(vxrm, plo, phi, sew - 1);
    const rlo = sra64(plo, phi, sew - 1);
    return add64(rlo, E.hi, inc, 0);
  }
  const plo = mul64(a, ah, b, bh), phi = i64.hi;
  const hlo = mulh64(a, ah, b, bh, true, true), hhi = i64.hi;
  // (P >> 63) of the 128-bit product: high part << 1 | bit 63 of the low part
  const inc = roundInc(vxrm, plo, phi, 63);
  const rlo = ((hlo << 1) | (phi >>> 31)) | 0, rhi = ((hhi << 1) | (hlo >>> 31)) | 0;
  return add64(rlo, rhi, inc, 0);
};
function roundingShift(arith: boolean): ElemOp {
  return (a, ah, b, _bh, sew) => {
    const s = b & (sew - 1);
    const inc = roundInc(vxrm, a, ah, s);
    const lo = arith ? sra64(a, ah, s) : srl64(a, ah, s);
    return add64(lo, E.hi, inc, 0);
  };
}

/** fixed-point handlers publish vxsat (sticky) and read vxrm */
function fixed(inner: Handler): Handler {
  return (h, raw, f3) => {
    const v = vunit(h, raw);
    vxsat = 0; vxrm = v.vxrm;
    inner(h, raw, f3);
    if (vxsat) v.vxsat = 1;
  };
}

// ---- widening and narrowing

/** widening: vd (2*SEW) = op(ext(vs2[i]) or vs2 wide when `wideA`, ext(b)); uimm: the immediate is unsigned */
export function widening(op: ElemOp, signedA: boolean, signedB: boolean, wideA = false, acc?: 'add' | 'macc', uimm = false): Handler {
  return (h, raw, f3) => {
    const v = vconf(h, raw);
    const vd = vdOf(raw), vs2 = vs2Of(raw), vm = vmOf(raw), g = v.groupRegs, sew = v.sew, wsew = 2 * sew;
    if (wsew > v.elen || v.lmulOf(v.vlmul) > 4) h.illegal(raw);
    const wg = v.vlmul < 4 ? 2 * g : 1;
    align(h, raw, vd, wg); align(h, raw, vs2, wideA ? wg : g);
    const vv = f3 === MVV || f3 === IVV; // vwsll.vv (Zvbb) is the one OPIVV widening op
    if (vv) align(h, raw, vs1Of(raw), g);
    if (!vm && vd === 0) h.illegal(raw);
    // the destination may overlap a narrow source only in its highest part (then elements are read first)
    if (!wideA && overlaps(vd, wg, vs2, g) && !(g > 1 && vs2 === vd + g)) h.illegal(raw);
    if (vv && overlaps(vd, wg, vs1Of(raw), g) && !(g > 1 && vs1Of(raw) === vd + g)) h.illegal(raw);
    for (let i = v.vstart; i < v.vl; i++) {
      if (!v.active(vm, i)) continue;
      const blo = operandB(h, v, f3, raw, i, sew, signedB, uimm), bhi = E.hi;
      const alo = wideA ? v.get(vs2, i, wsew, signedA) : v.get(vs2, i, sew, signedA), ahi = E.hi;
      let lo = op(alo, ahi, blo, bhi, wsew), hi = E.hi;
      if (acc === 'macc') { const dlo = v.get(vd, i, wsew, true); lo = add64(lo, hi, dlo, E.hi); hi = E.hi; }
      v.set(vd, i, wsew, lo, hi);
    }
    done(h, v);
  };
}
/** vwmaccus / vwmaccsu: products with mixed signedness (b = vs1 / rs1 signedness, a = vs2 signedness) */

/** narrowing shift / clip: vd (SEW) = f(vs2[i] (2*SEW), b) */
function narrowing(fn: (alo: number, ahi: number, s: number, sew: number) => number, signed: boolean): Handler {
  return (h, raw, f3) => {
    const v = vconf(h, raw);
    const vd = vdOf(raw), vs2 = vs2Of(raw), vm = vmOf(raw), g = v.groupRegs, sew = v.sew, wsew = 2 * sew;
    if (wsew > v.elen || v.lmulOf(v.vlmul) > 4) h.illegal(raw);
    const wg = v.vlmul < 4 ? 2 * g : 1;
    align(h, raw, vd, g); align(h, raw, vs2, wg);
    if (f3 === IVV) align(h, raw, vs1Of(raw), g);
    if (!vm && vd === 0) h.illegal(raw);
    if (overlaps(vd, g, vs2, wg) && vd !== vs2) h.illegal(raw);
    for (let i = v.vstart; i < v.vl; i++) {
      if (!v.active(vm, i)) continue;
      const s = operandB(h, v, f3, raw, i, sew, false, true) & (wsew - 1);
      const alo = v.get(vs2, i, wsew, signed);
      const lo = fn(alo, E.hi, s, sew);
      v.set(vd, i, sew, lo, E.hi);
    }
    done(h, v);
  };
}
const nsrl = (a: number, ah: number, s: number): number => srl64(a, ah, s);
const nsra = (a: number, ah: number, s: number): number => sra64(a, ah, s);
const nclipu = (a: number, ah: number, s: number, sew: number): number => {
  const inc = roundInc(vxrm, a, ah, s);
  const lo = srl64(a, ah, s);
  const r = add64(lo, E.hi, inc, 0);
  return clampU(r, E.hi, sew);
};
const nclip = (a: number, ah: number, s: number, sew: number): number => {
  const inc = roundInc(vxrm, a, ah, s);
  const lo = sra64(a, ah, s);
  const r = add64(lo, E.hi, inc, 0);
  return clampS(r, E.hi, sew);
};

// ---- carry / borrow

function carryOp(subtract: boolean, maskOut: boolean): Handler {
  return (h, raw, f3) => {
    const v = vconf(h, raw);
    const vd = vdOf(raw), vs2 = vs2Of(raw), vm = vmOf(raw), g = v.groupRegs, sew = v.sew;
    align(h, raw, vs2, g);
    if (f3 === IVV) align(h, raw, vs1Of(raw), g);
    if (!maskOut) { if (vm || vd === 0) h.illegal(raw); align(h, raw, vd, g); }
    for (let i = v.vstart; i < v.vl; i++) {
      const c = !vm && v.maskBit(0, i) ? 1 : 0;
      const blo = operandB(h, v, f3, raw, i, sew, false, false), bhi = E.hi;
      const alo = v.get(vs2, i, sew, false), ahi = E.hi;
      let lo = subtract ? sub64(alo, ahi, blo, bhi) : add64(alo, ahi, blo, bhi), hi = E.hi;
      lo = subtract ? sub64(lo, hi, c, 0) : add64(lo, hi, c, 0); hi = E.hi;
      if (!maskOut) { v.set(vd, i, sew, lo, hi); continue; }
      // carry/borrow out of bit SEW-1: operands are zero-extended, so it is bit SEW of the exact result
      let out: boolean;
      if (sew < 64) out = bit64(lo, hi, sew) !== 0;
      else if (subtract) out = ltu64(alo, ahi, blo, bhi) || (c === 1 && alo === blo && ahi === bhi);
      else out = ltu64(lo, hi, alo, ahi) || (c === 1 && lo === alo && hi === ahi);
      v.setMaskBit(vd, i, out);
    }
    done(h, v);
  };
}

// ---- merge / move

const merge: Handler = (h, raw, f3) => {
  const v = vconf(h, raw);
  const vd = vdOf(raw), vs2 = vs2Of(raw), vm = vmOf(raw), g = v.groupRegs, sew = v.sew;
  align(h, raw, vd, g);
  if (vm) { if (vs2 !== 0) h.illegal(raw); } else { if (vd === 0) h.illegal(raw); align(h, raw, vs2, g); }
  if (f3 === IVV) align(h, raw, vs1Of(raw), g);
  for (let i = v.vstart; i < v.vl; i++) {
    let lo: number;
    if (vm || v.maskBit(0, i)) lo = operandB(h, v, f3, raw, i, sew, true, false);
    else lo = v.get(vs2, i, sew, false);
    v.set(vd, i, sew, lo, E.hi);
  }
  done(h, v);
};

// ---- reductions: vd[0] = fold(vs1[0], active vs2[i])

function reduction(op: ElemOp, signed: boolean, wide = false): Handler {
  return (h, raw) => {
    const v = vconf(h, raw);
    if (v.vstart !== 0) h.illegal(raw);
    const vd = vdOf(raw), vs2 = vs2Of(raw), vs1 = vs1Of(raw), vm = vmOf(raw), g = v.groupRegs, sew = v.sew;
    const rsew = wide ? 2 * sew : sew;
    if (rsew > v.elen) h.illegal(raw);
    align(h, raw, vs2, g);
    if (v.vl === 0) { done(h, v); return; }
    let lo = v.get(vs1, 0, rsew, signed), hi = E.hi;
    for (let i = 0; i < v.vl; i++) {
      if (!v.active(vm, i)) continue;
      const alo = v.get(vs2, i, sew, signed);
      lo = op(lo, hi, alo, E.hi, rsew); hi = E.hi;
    }
    v.set(vd, 0, rsew, lo, hi);
    done(h, v);
  };
}

// ---- mask logic and utilities

function maskLogic(fn: (a: boolean, b: boolean) => boolean): Handler {
  return (h, raw) => {
    const v = vconf(h, raw);
    if (!vmOf(raw)) h.illegal(raw);
    const vd = vdOf(raw), vs2 = vs2Of(raw), vs1 = vs1Of(raw);
    for (let i = v.vstart; i < v.vl; i++) v.setMaskBit(vd, i, fn(v.maskBit(vs2, i), v.maskBit(vs1, i)));
    done(h, v);
  };
}

function writeX(h: Hart, rd: number, lo: number, hi: number): void {
  if (rd === 0) return;
  h.x[rd * 2] = lo; h.x[rd * 2 + 1] = hi;
}

/** VWXUNARY0 (vmv.x.s, vcpop.m, vfirst.m) and VRXUNARY0 (vmv.s.x) */
const wxunary: Handler = (h, raw, f3) => {
  const v = vunit(h, raw);
  const rd = vdOf(raw), vs2 = vs2Of(raw), vm = vmOf(raw), sel = vs1Of(raw);
  if (f3 === MVX) { // vmv.s.x
    if (vs2 !== 0 || !vm || v.vill) h.illegal(raw);
    if (v.vstart < v.vl) { const lo = scalar(h, sel, v.sew, true); v.set(rd, 0, v.sew, lo, E.hi); }
    done(h, v);
    return;
  }
  if (v.vill) h.illegal(raw);
  if (sel === 0) { // vmv.x.s: sign-extended element 0, whatever vl and vstart
    if (!vm) h.illegal(raw);
    const lo = v.get(vs2, 0, v.sew, true);
    writeX(h, rd, lo, E.hi);
  } else if (sel === 16 || sel === 17) {
    if (v.vstart !== 0) h.illegal(raw);
    let count = 0, first = -1;
    for (let i = 0; i < v.vl; i++) {
      if (!v.active(vm, i) || !v.maskBit(vs2, i)) continue;
      count++;
      if (first < 0) first = i;
    }
    if (sel === 16) writeX(h, rd, count, 0); else writeX(h, rd, first, first < 0 ? -1 : 0);
  } else h.illegal(raw);
  done(h, v);
};

/** VXUNARY0: vzext/vsext.vf2/vf4/vf8 */
const xunary: Handler = (h, raw) => {
  const v = vconf(h, raw);
  const sel = vs1Of(raw);
  if (sel < 2 || sel > 7) h.illegal(raw);
  const f = 1 << (4 - (sel >>> 1)); // 2,3 -> 8; 4,5 -> 4; 6,7 -> 2
  const signed = (sel & 1) === 1;
  const sew = v.sew, ssew = sew / f;
  if (ssew < 8) h.illegal(raw);
  const vd = vdOf(raw), vs2 = vs2Of(raw), vm = vmOf(raw), g = v.groupRegs;
  const lmul = v.lmulOf(v.vlmul), sg = lmul / f < 1 ? 1 : lmul / f;
  align(h, raw, vd, g); align(h, raw, vs2, sg);
  if (!vm && vd === 0) h.illegal(raw);
  if (overlaps(vd, g, vs2, sg) && !(g > 1 && vs2 === vd + g - sg)) h.illegal(raw);
  for (let i = v.vstart; i < v.vl; i++) {
    if (!v.active(vm, i)) continue;
    const lo = v.get(vs2, i, ssew, signed);
    v.set(vd, i, sew, lo, E.hi);
  }
  done(h, v);
};

/** VMUNARY0: vmsbf, vmsof, vmsif, viota, vid */
const munary: Handler = (h, raw) => {
  const v = vconf(h, raw);
  const sel = vs1Of(raw), vd = vdOf(raw), vs2 = vs2Of(raw), vm = vmOf(raw), sew = v.sew, g = v.groupRegs;
  if (sel >= 1 && sel <= 3) {
    if (v.vstart !== 0 || vd === vs2 || (!vm && vd === 0)) h.illegal(raw);
    let seen = false;
    for (let i = 0; i < v.vl; i++) {
      if (!v.active(vm, i)) continue;
      const b = v.maskBit(vs2, i);
      let out: boolean;
      if (sel === 1) out = !seen && !b; // sbf: before first
      else if (sel === 3) out = !seen; // sif: including first
      else out = !seen && b; // sof: only first
      if (b) seen = true;
      v.setMaskBit(vd, i, out);
    }
  } else if (sel === 16) { // viota
    if (v.vstart !== 0 || overlaps(vd, g, vs2, 1) || (!vm && vd === 0)) h.illegal(raw);
    align(h, raw, vd, g);
    let count = 0;
    for (let i = 0; i < v.vl; i++) {
      if (!v.active(vm, i)) continue;
      v.set(vd, i, sew, count, 0);
      if (v.maskBit(vs2, i)) count++;
    }
  } else if (sel === 17) { // vid
    if (vs2 !== 0 || (!vm && vd === 0)) h.illegal(raw);
    align(h, raw, vd, g);
    for (let i = v.vstart; i < v.vl; i++) if (v.active(vm, i)) v.set(vd, i, sew, i, 0);
  } else h.illegal(raw);
  done(h, v);
};

// ---- permutations

/** the slide/gather offset from rs1 or the immediate, as a number (anything >= 2^32 saturates) */
function offsetOf(h: Hart, f3: number, raw: number): number {
  const rs1 = vs1Of(raw);
  if (f3 === IVI) return rs1;
  return h.x[rs1 * 2 + 1] !== 0 ? 0xffffffff : h.x[rs1 * 2]! >>> 0;
}

function slide(down: boolean): Handler {
  return (h, raw, f3) => {
    const v = vconf(h, raw);
    const vd = vdOf(raw), vs2 = vs2Of(raw), vm = vmOf(raw), g = v.groupRegs, sew = v.sew;
    align(h, raw, vd, g); align(h, raw, vs2, g);
    if (!vm && vd === 0) h.illegal(raw);
    const off = offsetOf(h, f3, raw), vlmax = v.vlmax;
    if (!down) {
      if (overlaps(vd, g, vs2, g)) h.illegal(raw);
      for (let i = Math.max(v.vstart, off); i < v.vl; i++) {
        if (!v.active(vm, i)) continue;
        const lo = v.get(vs2, i - off, sew, false);
        v.set(vd, i, sew, lo, E.hi);
      }
    } else {
      for (let i = v.vstart; i < v.vl; i++) {
        if (!v.active(vm, i)) continue;
        const src = i + off;
        if (src < vlmax) { const lo = v.get(vs2, src, sew, false); v.set(vd, i, sew, lo, E.hi); } else v.set(vd, i, sew, 0, 0);
      }
    }
    done(h, v);
  };
}

function slide1(down: boolean): Handler {
  return (h, raw) => {
    const v = vconf(h, raw);
    const vd = vdOf(raw), vs2 = vs2Of(raw), vm = vmOf(raw), g = v.groupRegs, sew = v.sew;
    align(h, raw, vd, g); align(h, raw, vs2, g);
    if (!vm && vd === 0) h.illegal(raw);
    if (!down && overlaps(vd, g, vs2, g)) h.illegal(raw);
    const xlo = scalar(h, vs1Of(raw), sew, true), xhi = E.hi;
    for (let i = v.vstart; i < v.vl; i++) {
      if (!v.active(vm, i)) continue;
      if (down) {
        if (i === v.vl - 1) v.set(vd, i, sew, xlo, xhi);
        else { const lo = v.get(vs2, i + 1, sew, false); v.set(vd, i, sew, lo, E.hi); }
      } else if (i === 0) v.set(vd, 0, sew, xlo, xhi);
      else { const lo = v.get(vs2, i - 1, sew, false); v.set(vd, i, sew, lo, E.hi); }
    }
    done(h, v);
  };
}

/** vrgather.vv/vx/vi and vrgatherei16.vv (ei16: 16-bit indices) */
function gather(ei16: boolean): Handler {
  return (h, raw, f3) => {
    const v = vconf(h, raw);
    const vd = vdOf(raw), vs2 = vs2Of(raw), vs1 = vs1Of(raw), vm = vmOf(raw), g = v.groupRegs, sew = v.sew;
    align(h, raw, vd, g); align(h, raw, vs2, g);
    if (!vm && vd === 0) h.illegal(raw);
    if (overlaps(vd, g, vs2, g)) h.illegal(raw);
    const isew = ei16 ? 16 : sew;
    let ig = g;
    if (f3 === IVV) {
      const iemul = (isew / sew) * v.lmulOf(v.vlmul);
      if (iemul > 8) h.illegal(raw);
      ig = iemul < 1 ? 1 : iemul;
      align(h, raw, vs1, ig);
      if (overlaps(vd, g, vs1, ig)) h.illegal(raw);
    }
    const vlmax = v.vlmax;
    const fixedIdx = f3 === IVV ? -1 : offsetOf(h, f3, raw);
    for (let i = v.vstart; i < v.vl; i++) {
      if (!v.active(vm, i)) continue;
      let idx: number;
      if (fixedIdx >= 0) idx = fixedIdx;
      else { const lo = v.get(vs1, i, isew, false); idx = E.hi !== 0 ? vlmax : lo >>> 0; }
      if (idx < vlmax) { const lo = v.get(vs2, idx, sew, false); v.set(vd, i, sew, lo, E.hi); } else v.set(vd, i, sew, 0, 0);
    }
    done(h, v);
  };
}

const compress: Handler = (h, raw) => {
  const v = vconf(h, raw);
  const vd = vdOf(raw), vs2 = vs2Of(raw), vs1 = vs1Of(raw), g = v.groupRegs, sew = v.sew;
  if (!vmOf(raw) || v.vstart !== 0) h.illegal(raw);
  align(h, raw, vd, g); align(h, raw, vs2, g);
  if (overlaps(vd, g, vs2, g) || overlaps(vd, g, vs1, 1)) h.illegal(raw);
  let k = 0;
  for (let i = 0; i < v.vl; i++) {
    if (!v.maskBit(vs1, i)) continue;
    const lo = v.get(vs2, i, sew, false);
    v.set(vd, k++, sew, lo, E.hi);
  }
  done(h, v);
};

/** vmv<nr>r.v (OPIVI funct6 100111): copies whole registers, independent of vtype */
const moveWhole: Handler = (h, raw) => {
  const v = vunit(h, raw);
  const nr = vs1Of(raw) + 1;
  if (!vmOf(raw) || (nr !== 1 && nr !== 2 && nr !== 4 && nr !== 8)) h.illegal(raw);
  const vd = vdOf(raw), vs2 = vs2Of(raw);
  align(h, raw, vd, nr); align(h, raw, vs2, nr);
  const sew = v.vill ? 8 : v.sew;
  const evl = (nr * v.vlen) / sew;
  if (vd !== vs2) {
    for (let i = v.vstart; i < evl; i++) { const lo = v.get(vs2, i, sew, false); v.set(vd, i, sew, lo, E.hi); }
  }
  done(h, v);
};

// ---- the table

const I3 = [IVV, IVX, IVI], I2 = [IVV, IVX], IXI = [IVX, IVI], M2 = [MVV, MVX];

def(I3, 0x00, binary(opAdd, true));
def(I2, 0x02, binary(opSub, true));
def(IXI, 0x03, binary(opRsub, true));
def(I2, 0x04, binary(opMinu, false));
def(I2, 0x05, binary(opMin, true));
def(I2, 0x06, binary(opMaxu, false));
def(I2, 0x07, binary(opMax, true));
def(I3, 0x09, binary(opAnd, true));
def(I3, 0x0a, binary(opOr, true));
def(I3, 0x0b, binary(opXor, true));
def(I3, 0x0c, gather(false));
def([IVV], 0x0e, gather(true));
def(IXI, 0x0e, slide(false));
def(IXI, 0x0f, slide(true));
def(I3, 0x10, carryOp(false, false));
def(I3, 0x11, carryOp(false, true));
def(I2, 0x12, carryOp(true, false));
def(I2, 0x13, carryOp(true, true));
def(I3, 0x17, merge);
def(I3, 0x18, compare((a, ah, b, bh) => a === b && ah === bh, true));
def(I3, 0x19, compare((a, ah, b, bh) => a !== b || ah !== bh, true));
def(I2, 0x1a, compare(ltu64, false));
def(I2, 0x1b, compare(lt64, true));
def(I3, 0x1c, compare((a, ah, b, bh) => !ltu64(b, bh, a, ah), false));
def(I3, 0x1d, compare((a, ah, b, bh) => !lt64(b, bh, a, ah), true));
def(IXI, 0x1e, compare((a, ah, b, bh) => ltu64(b, bh, a, ah), false));
def(IXI, 0x1f, compare((a, ah, b, bh) => lt64(b, bh, a, ah), true));
def(I3, 0x20, fixed(binary(opSaddu, false)));
def(I3, 0x21, fixed(binary(opSadd, true)));
def(I2, 0x22, fixed(binary(opSsubu, false)));
def(I2, 0x23, fixed(binary(opSsub, true)));
def(I3, 0x25, binary(opSll, false, true));
def(I2, 0x27, fixed(binary(opSmul, true)));
def([IVI], 0x27, moveWhole);
def(I3, 0x28, binary(opSrl, false, true));
def(I3, 0x29, binary(opSra, true, true));
def(I3, 0x2a, fixed(binary(roundingShift(false), false, true)));
def(I3, 0x2b, fixed(binary(roundingShift(true), true, true)));
def(I3, 0x2c, narrowing(nsrl, false));
def(I3, 0x2d, narrowing(nsra, true));
def(I3, 0x2e, fixed(narrowing(nclipu, false)));
def(I3, 0x2f, fixed(narrowing(nclip, true)));
def([IVV], 0x30, reduction(opAdd, false, true));
def([IVV], 0x31, reduction(opAdd, true, true));

def([MVV], 0x00, reduction(opAdd, true));
def([MVV], 0x01, reduction(opAnd, true));
def([MVV], 0x02, reduction(opOr, true));
def([MVV], 0x03, reduction(opXor, true));
def([MVV], 0x04, reduction(opMinu, false));
def([MVV], 0x05, reduction(opMin, true));
def([MVV], 0x06, reduction(opMaxu, false));
def([MVV], 0x07, reduction(opMax, true));
def(M2, 0x08, fixed(binary(averaging(false, false), false)));
def(M2, 0x09, fixed(binary(averaging(false, true), true)));
def(M2, 0x0a, fixed(binary(averaging(true, false), false)));
def(M2, 0x0b, fixed(binary(averaging(true, true), true)));
def([MVX], 0x0e, slide1(false));
def([MVX], 0x0f, slide1(true));
def(M2, 0x10, wxunary);
def([MVV], 0x12, xunary);
def([MVV], 0x14, munary);
def([MVV], 0x17, compress);
def([MVV], 0x18, maskLogic((a, b) => a && !b));
def([MVV], 0x19, maskLogic((a, b) => a && b));
def([MVV], 0x1a, maskLogic((a, b) => a || b));
def([MVV], 0x1b, maskLogic((a, b) => a !== b));
def([MVV], 0x1c, maskLogic((a, b) => a || !b));
def([MVV], 0x1d, maskLogic((a, b) => !(a && b)));
def([MVV], 0x1e, maskLogic((a, b) => !(a || b)));
def([MVV], 0x1f, maskLogic((a, b) => a === b));
def(M2, 0x20, binary(opDivu, false));
def(M2, 0x21, binary(opDiv, true));
def(M2, 0x22, binary(opRemu, false));
def(M2, 0x23, binary(opRem, true));
def(M2, 0x24, binary(mulHigh(false, false), false));
def(M2, 0x25, binary(opMul, true));
def(M2, 0x27, binary(mulHigh(true, true), true));
// vmulhsu: vs2 signed, vs1/rs1 unsigned
def(M2, 0x26, (h, raw, f3) => mulhsu(h, raw, f3));
def(M2, 0x29, ternary((a, ah, b, bh, d, dh) => { const lo = mul64(b, bh, d, dh); return add64(lo, i64.hi, a, ah); })); // vmadd
def(M2, 0x2b, ternary((a, ah, b, bh, d, dh) => { const lo = mul64(b, bh, d, dh); return sub64(a, ah, lo, i64.hi); })); // vnmsub
def(M2, 0x2d, ternary((a, ah, b, bh, d, dh) => { const lo = mul64(b, bh, a, ah); return add64(lo, i64.hi, d, dh); })); // vmacc
def(M2, 0x2f, ternary((a, ah, b, bh, d, dh) => { const lo = mul64(b, bh, a, ah); return sub64(d, dh, lo, i64.hi); })); // vnmsac
def(M2, 0x30, widening(opAdd, false, false));
def(M2, 0x31, widening(opAdd, true, true));
def(M2, 0x32, widening(opSub, false, false));
def(M2, 0x33, widening(opSub, true, true));
def(M2, 0x34, widening(opAdd, false, false, true));
def(M2, 0x35, widening(opAdd, true, true, true));
def(M2, 0x36, widening(opSub, false, false, true));
def(M2, 0x37, widening(opSub, true, true, true));
def(M2, 0x38, widening(opMul, false, false));
def(M2, 0x3a, widening(opMul, true, false)); // vwmulsu: vs2 signed, vs1 unsigned
def(M2, 0x3b, widening(opMul, true, true));
def(M2, 0x3c, widening(opMul, false, false, false, 'macc'));
def(M2, 0x3d, widening(opMul, true, true, false, 'macc'));
def([MVX], 0x3e, widening(opMul, true, false, false, 'macc')); // vwmaccus: rs1 unsigned, vs2 signed
def(M2, 0x3f, widening(opMul, false, true, false, 'macc')); // vwmaccsu: vs1 signed, vs2 unsigned

const mulhsuOp = mulHigh(true, false);
const mulhsuHandler = binary(mulhsuOp, false, false, true); // vs2 signed, the other operand unsigned
function mulhsu(h: Hart, raw: number, f3: number): void { mulhsuHandler(h, raw, f3); }
const vop: ExecFn = (h, _w, _imm, raw) => {
  const f3 = (raw >>> 12) & 7;
  const fn = table[(f3 << 6) | (raw >>> 26)];
  if (fn === undefined) h.illegal(raw);
  fn!(h, raw, f3);
};

export const semantics: Semantics = [[Op.VOP, vop]];
