// V 1.0 floating point (OPFVV / OPFVF) on the hart's exact IEEE library (../fp): single-width arithmetic,
// fused multiply-adds, sign injection, min/max, compares, classify, merge and moves, slides, conversions
// (single-width, widening, narrowing, round-towards-odd), reductions (ordered; the unordered sum is summed in
// element order too, which the spec allows), widening arithmetic. SEW 16 needs Zvfh (binary16 elements on the
// library's f16.ts; Zvfhmin alone allows only vfwcvt.f.f.v and vfncvt.f.f.w at SEW 16), SEW 32 Zve32f, SEW 64
// Zve64d. Rounding is frm; flags accrue in fflags.
import { Op } from '../ops.js';
import type { InsnDef } from '../decode.js';
import { exact, type Semantics, type ExecFn } from './enc.js';
import type { Hart } from '../hart.js';
import type { VectorUnit } from '../vector/unit.js';
import * as fp from '../fp/index.js';
import { E, align, overlaps, vconf, vdOf, vs1Of, vs2Of, vmOf } from './v-common.js';

const OPV = 0x57;
const FVV = 1, FVF = 5;

export const encodings: InsnDef[] = [
  exact('vop.fvv', 'zve32f', Op.VOPF, (FVV << 12) | OPV, 0x707f, 'NONE'),
  exact('vop.fvf', 'zve32f', Op.VOPF, (FVF << 12) | OPV, 0x707f, 'NONE'),
];

type Handler = (h: Hart, raw: number, f3: number) => void;
const table: (Handler | undefined)[] = new Array(2 * 64);
const def = (f3s: number[], f6: number, fn: Handler): void => { for (const f3 of f3s) table[(f3 === FVF ? 64 : 0) | f6] = fn; };

const out = fp.fpOut;
let flags = 0;

/** FS on, valid vtype, FP SEW supported, frm valid; returns the vector unit and sets `rm` */
let rm = 0;
function fpconf(h: Hart, raw: number, sew: (v: VectorUnit) => number = (v) => v.sew): VectorUnit {
  const v = vconf(h, raw);
  if (h.fsOff()) h.illegal(raw);
  if (!floatOk(h, sew(v))) h.illegal(raw);
  rm = h.frm;
  if (rm > 4) h.illegal(raw);
  flags = 0;
  return v;
}
/** whether elements of `w` bits may be floating point: binary16 with Zvfh, binary32, binary64 with Zve64d */
function floatOk(h: Hart, w: number): boolean {
  return w === 32 || (w === 64 && h.isa.has('zve64d')) || (w === 16 && h.isa.has('zvfh'));
}
/** the narrow (SEW) operands of a widening op must be floating point too: binary16 needs Zvfh */
function narrowOk(h: Hart, raw: number, v: VectorUnit): void {
  if (!floatOk(h, v.sew)) h.illegal(raw);
}
/** widen the floating-point element a of `sew` bits (16 or 32) to 2 * SEW: result in fpOut, flags returned */
const widen2 = (a: number, sew: number): number => (sew === 16 ? fp.f16ToF32(a) : fp.f32ToF64(a));

function finish(h: Hart, v: VectorUnit): void {
  if (flags) h.fflags |= flags;
  h.markFsDirty();
  v.vstart = 0;
  h.markVsDirty();
}

/** scalar f[rs1] as an element of sew bits (binary32 and binary16 must be NaN-boxed, else the canonical NaN) */
function fscalar(h: Hart, rs1: number, sew: number): number {
  if (sew === 64) { E.hi = h.fr[rs1 * 2 + 1]!; return h.fr[rs1 * 2]!; }
  E.hi = 0;
  const boxed = h.fr[rs1 * 2 + 1] === -1 && (sew === 32 || (h.fr[rs1 * 2]! >>> 16) === 0xffff);
  return !boxed ? (sew === 32 ? fp.F32_CANONICAL_NAN : fp.F16_CANONICAL_NAN) : sew === 32 ? h.fr[rs1 * 2]! : h.fr[rs1 * 2]! & 0xffff;
}
function operandB(h: Hart, v: VectorUnit, f3: number, raw: number, i: number, sew: number): number {
  return f3 === FVV ? v.get(vs1Of(raw), i, sew, false) : fscalar(h, vs1Of(raw), sew);
}

/** binary op on (a = vs2, b = vs1/f) at sew: result in fpOut, flags returned */
type Bin = (alo: number, ahi: number, blo: number, bhi: number, sew: number) => number;
type Narrow = (a: number, b: number, rm: number) => number;
const bin = (f16: Narrow, f32: Narrow, f64: (al: number, ah: number, bl: number, bh: number, rm: number) => number): Bin =>
  (a, ah, b, bh, sew) => (sew === 32 ? f32(a, b, rm) : sew === 16 ? f16(a, b, rm) : f64(a, ah, b, bh, rm));
const fadd = bin(fp.f16Add, fp.f32Add, fp.f64Add), fsub = bin(fp.f16Sub, fp.f32Sub, fp.f64Sub);
const fmul = bin(fp.f16Mul, fp.f32Mul, fp.f64Mul), fdiv = bin(fp.f16Div, fp.f32Div, fp.f64Div);
const swap = (f: Bin): Bin => (a, ah, b, bh, sew) => f(b, bh, a, ah, sew);
const minMax = (max: boolean): Bin => (a, ah, b, bh, sew) =>
  (sew === 32 ? fp.f32MinMax(a, b, max) : sew === 16 ? fp.f16MinMax(a, b, max) : fp.f64MinMax(a, ah, b, bh, max));
const fmin = minMax(false), fmax = minMax(true);
function sgnj(kind: 0 | 1 | 2): Bin {
  return (a, ah, b, bh, sew) => {
    // the word holding the sign, shifted so the sign is bit 31
    const up = sew === 16 ? 16 : 0;
    const hiA = (sew === 64 ? ah : a) << up, hiB = (sew === 64 ? bh : b) << up;
    const sign = kind === 0 ? hiB & 0x80000000 : kind === 1 ? ~hiB & 0x80000000 : (hiA ^ hiB) & 0x80000000;
    const hi = ((hiA & 0x7fffffff) | sign) >>> up;
    if (sew === 64) { out[0] = a; out[1] = hi; } else out[0] = hi;
    return 0;
  };
}

function write(v: VectorUnit, vd: number, i: number, sew: number): void {
  v.set(vd, i, sew, out[0]!, out[1]!);
}

/** vd[i] = f(vs2[i], b) at SEW */
function binary(f: Bin): Handler {
  return (h, raw, f3) => {
    const v = fpconf(h, raw);
    const vd = vdOf(raw), vs2 = vs2Of(raw), vm = vmOf(raw), g = v.groupRegs, sew = v.sew;
    align(h, raw, vd, g); align(h, raw, vs2, g);
    if (f3 === FVV) align(h, raw, vs1Of(raw), g);
    if (!vm && vd === 0) h.illegal(raw);
    for (let i = v.vstart; i < v.vl; i++) {
      if (!v.active(vm, i)) continue;
      const b = operandB(h, v, f3, raw, i, sew), bh = E.hi;
      const a = v.get(vs2, i, sew, false);
      flags |= f(a, E.hi, b, bh, sew);
      write(v, vd, i, sew);
    }
    finish(h, v);
  };
}

type Fma3 = (xl: number, xh: number, yl: number, yh: number, zl: number, zh: number, sew: number) => number;
type Narrow3 = (a: number, b: number, c: number, rm: number) => number;
const fma = (f16: Narrow3, f32: Narrow3, f64: (al: number, ah: number, bl: number, bh: number, cl: number, ch: number, rm: number) => number): Fma3 =>
  (xl, xh, yl, yh, zl, zh, sew) => (sew === 32 ? f32(xl, yl, zl, rm) : sew === 16 ? f16(xl, yl, zl, rm) : f64(xl, xh, yl, yh, zl, zh, rm));
const MADD = fma(fp.f16MulAdd, fp.f32MulAdd, fp.f64MulAdd), MSUB = fma(fp.f16MulSub, fp.f32MulSub, fp.f64MulSub);
const NMADD = fma(fp.f16NegMulAdd, fp.f32NegMulAdd, fp.f64NegMulAdd), NMSUB = fma(fp.f16NegMulSub, fp.f32NegMulSub, fp.f64NegMulSub);

/** fused multiply-add family: `acc` = true: d = f(b, a, d) (vfmacc...); false: d = f(b, d, a) (vfmadd...) */
function fused(f: Fma3, acc: boolean, widen = false): Handler {
  return (h, raw, f3) => {
    const v = fpconf(h, raw, widen ? (u) => 2 * u.sew : undefined);
    const vd = vdOf(raw), vs2 = vs2Of(raw), vm = vmOf(raw), g = v.groupRegs, sew = v.sew;
    const dsew = widen ? 2 * sew : sew;
    if (widen) { narrowOk(h, raw, v); if (v.lmulOf(v.vlmul) > 4) h.illegal(raw); }
    const dg = widen && v.vlmul < 4 ? 2 * g : g;
    align(h, raw, vd, dg); align(h, raw, vs2, g);
    if (f3 === FVV) align(h, raw, vs1Of(raw), g);
    if (!vm && vd === 0) h.illegal(raw);
    if (widen && (overlaps(vd, dg, vs2, g) || (f3 === FVV && overlaps(vd, dg, vs1Of(raw), g)))) h.illegal(raw);
    for (let i = v.vstart; i < v.vl; i++) {
      if (!v.active(vm, i)) continue;
      let b = operandB(h, v, f3, raw, i, sew), bh = E.hi;
      let a = v.get(vs2, i, sew, false), ah = E.hi;
      if (widen) {
        flags |= widen2(b, sew); b = out[0]!; bh = out[1]!;
        flags |= widen2(a, sew); a = out[0]!; ah = out[1]!;
      }
      const d = v.get(vd, i, dsew, false), dh = E.hi;
      flags |= acc ? f(b, bh, a, ah, d, dh, dsew) : f(b, bh, d, dh, a, ah, dsew);
      write(v, vd, i, dsew);
    }
    finish(h, v);
  };
}

/** compares into mask bits */
function compare(f: (a: number, ah: number, b: number, bh: number, sew: number) => number, negate = false): Handler {
  return (h, raw, f3) => {
    const v = fpconf(h, raw);
    const vd = vdOf(raw), vs2 = vs2Of(raw), vm = vmOf(raw), g = v.groupRegs, sew = v.sew;
    align(h, raw, vs2, g);
    if (f3 === FVV) align(h, raw, vs1Of(raw), g);
    if (g > 1 && overlaps(vd, 1, vs2, g) && vd !== vs2) h.illegal(raw);
    for (let i = v.vstart; i < v.vl; i++) {
      if (!v.active(vm, i)) continue;
      const b = operandB(h, v, f3, raw, i, sew), bh = E.hi;
      const a = v.get(vs2, i, sew, false);
      flags |= f(a, E.hi, b, bh, sew);
      v.setMaskBit(vd, i, (out[0] === 1) !== negate);
    }
    finish(h, v);
  };
}
type Cmp = (a: number, ah: number, b: number, bh: number, sew: number) => number;
const cmp = (f16: (a: number, b: number) => number, f32: (a: number, b: number) => number, f64: (al: number, ah: number, bl: number, bh: number) => number): Cmp =>
  (a, ah, b, bh, sew) => (sew === 32 ? f32(a, b) : sew === 16 ? f16(a, b) : f64(a, ah, b, bh));
const feq = cmp(fp.f16Eq, fp.f32Eq, fp.f64Eq), flt = cmp(fp.f16Lt, fp.f32Lt, fp.f64Lt), fle = cmp(fp.f16Le, fp.f32Le, fp.f64Le);

/** vfmerge.vfm (vm = 0) and vfmv.v.f (vm = 1, vs2 = 0) */
const merge: Handler = (h, raw) => {
  const v = fpconf(h, raw);
  const vd = vdOf(raw), vs2 = vs2Of(raw), vm = vmOf(raw), g = v.groupRegs, sew = v.sew;
  align(h, raw, vd, g);
  if (vm) { if (vs2 !== 0) h.illegal(raw); } else { if (vd === 0) h.illegal(raw); align(h, raw, vs2, g); }
  const f = fscalar(h, vs1Of(raw), sew), fh = E.hi;
  for (let i = v.vstart; i < v.vl; i++) {
    if (vm || v.maskBit(0, i)) v.set(vd, i, sew, f, fh);
    else { const lo = v.get(vs2, i, sew, false); v.set(vd, i, sew, lo, E.hi); }
  }
  finish(h, v);
};

/** vfmv.f.s (FVV, vs1 = 0) and vfmv.s.f (FVF, vs2 = 0) */
const scalarMove: Handler = (h, raw, f3) => {
  const v = fpconf(h, raw);
  const vd = vdOf(raw), vs2 = vs2Of(raw), sew = v.sew;
  if (!vmOf(raw)) h.illegal(raw);
  if (f3 === FVV) {
    if (vs1Of(raw) !== 0) h.illegal(raw);
    const lo = v.get(vs2, 0, sew, false);
    h.fr[vd * 2] = sew === 16 ? 0xffff0000 | lo : lo; h.fr[vd * 2 + 1] = sew === 64 ? E.hi : -1;
    h.markFsDirty();
  } else {
    if (vs2 !== 0) h.illegal(raw);
    if (v.vstart < v.vl) { const f = fscalar(h, vs1Of(raw), sew); v.set(vd, 0, sew, f, E.hi); }
  }
  finish(h, v);
};

function slide1(down: boolean): Handler {
  return (h, raw) => {
    const v = fpconf(h, raw);
    const vd = vdOf(raw), vs2 = vs2Of(raw), vm = vmOf(raw), g = v.groupRegs, sew = v.sew;
    align(h, raw, vd, g); align(h, raw, vs2, g);
    if (!vm && vd === 0) h.illegal(raw);
    if (!down && overlaps(vd, g, vs2, g)) h.illegal(raw);
    const f = fscalar(h, vs1Of(raw), sew), fh = E.hi;
    for (let i = v.vstart; i < v.vl; i++) {
      if (!v.active(vm, i)) continue;
      const src = down ? i + 1 : i - 1;
      if ((down && i === v.vl - 1) || (!down && i === 0)) v.set(vd, i, sew, f, fh);
      else { const lo = v.get(vs2, src, sew, false); v.set(vd, i, sew, lo, E.hi); }
    }
    finish(h, v);
  };
}

/** reductions: vd[0] = fold(vs1[0], active vs2[i]) in element order; widen: SEW -> 2*SEW */
function reduction(f: Bin, widen = false): Handler {
  return (h, raw) => {
    const v = fpconf(h, raw, widen ? (u) => 2 * u.sew : undefined);
    if (v.vstart !== 0) h.illegal(raw);
    const vd = vdOf(raw), vs2 = vs2Of(raw), vs1 = vs1Of(raw), vm = vmOf(raw), g = v.groupRegs, sew = v.sew;
    const rsew = widen ? 2 * sew : sew;
    if (widen) narrowOk(h, raw, v);
    align(h, raw, vs2, g);
    if (v.vl === 0) { finish(h, v); return; }
    let acc = v.get(vs1, 0, rsew, false), acch = E.hi;
    for (let i = 0; i < v.vl; i++) {
      if (!v.active(vm, i)) continue;
      let a = v.get(vs2, i, sew, false), ah = E.hi;
      if (widen) { flags |= widen2(a, sew); a = out[0]!; ah = out[1]!; }
      flags |= f(acc, acch, a, ah, rsew);
      acc = out[0]!; acch = out[1]!;
    }
    v.set(vd, 0, rsew, acc, acch);
    finish(h, v);
  };
}

/** widening binary: vd (2*SEW) = f(widen(vs2) or vs2 when wideA, widen(b)) */
function widening(f: Bin, wideA: boolean): Handler {
  return (h, raw, f3) => {
    const v = fpconf(h, raw, (u) => 2 * u.sew);
    const vd = vdOf(raw), vs2 = vs2Of(raw), vm = vmOf(raw), g = v.groupRegs, sew = v.sew;
    narrowOk(h, raw, v);
    if (v.lmulOf(v.vlmul) > 4) h.illegal(raw);
    const wg = v.vlmul < 4 ? 2 * g : 1;
    align(h, raw, vd, wg); align(h, raw, vs2, wideA ? wg : g);
    if (f3 === FVV) align(h, raw, vs1Of(raw), g);
    if (!vm && vd === 0) h.illegal(raw);
    if ((!wideA && overlaps(vd, wg, vs2, g)) || (f3 === FVV && overlaps(vd, wg, vs1Of(raw), g))) h.illegal(raw);
    for (let i = v.vstart; i < v.vl; i++) {
      if (!v.active(vm, i)) continue;
      let b = operandB(h, v, f3, raw, i, sew), bh = E.hi;
      flags |= widen2(b, sew); b = out[0]!; bh = out[1]!;
      let a: number, ah: number;
      if (wideA) { a = v.get(vs2, i, 2 * sew, false); ah = E.hi; } else {
        a = v.get(vs2, i, sew, false);
        flags |= widen2(a, sew); a = out[0]!; ah = out[1]!;
      }
      flags |= f(a, ah, b, bh, 2 * sew);
      write(v, vd, i, 2 * sew);
    }
    finish(h, v);
  };
}

// ---- unary: conversions, sqrt, classify

/** integer of `bits` (8..64) from a float result of fp's 32/64-bit conversion, saturating narrower ones */
function saturate(lo: number, hi: number, bits: number, signed: boolean, f: number): number {
  if (bits >= 32) return f;
  const max = signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1, min = signed ? -(1 << (bits - 1)) : 0;
  const val = signed ? lo : lo >>> 0;
  // fp's 32-bit conversions saturate at 32 bits; out of range for `bits` is invalid (NV), not inexact
  if (val > max) { out[0] = max; return fp.FLAG_NV; }
  if (val < min) { out[0] = min; return fp.FLAG_NV; }
  return f;
}

/** float (fsew) -> integer (isew), with rounding mode r */
function toInt(a: number, ah: number, fsew: number, isew: number, signed: boolean, r: number): number {
  let f = 0;
  if (fsew === 16) { f = fp.f16ToF32(a); a = out[0]!; fsew = 32; } // exact, so the binary32 conversion rounds it once
  if (fsew === 32) f |= isew === 64 ? (signed ? fp.f32ToI64(a, r) : fp.f32ToU64(a, r)) : signed ? fp.f32ToI32(a, r) : fp.f32ToU32(a, r);
  else f = isew === 64 ? (signed ? fp.f64ToI64(a, ah, r) : fp.f64ToU64(a, ah, r)) : signed ? fp.f64ToI32(a, ah, r) : fp.f64ToU32(a, ah, r);
  return saturate(out[0]!, out[1]!, isew, signed, f);
}
/** integer (isew, extended in (a, ah)) -> float (fsew) */
function fromInt(a: number, ah: number, isew: number, fsew: number, signed: boolean): number {
  if (fsew === 16) return fp.f16FromInt(a, ah, signed, rm);
  if (isew <= 32) return fsew === 32 ? (signed ? fp.f32FromI32(a, rm) : fp.f32FromU32(a, rm)) : signed ? fp.f64FromI32(a, rm) : fp.f64FromU32(a, rm);
  return fsew === 32 ? (signed ? fp.f32FromI64(a, ah, rm) : fp.f32FromU64(a, ah, rm)) : signed ? fp.f64FromI64(a, ah, rm) : fp.f64FromU64(a, ah, rm);
}

/** VFUNARY0: vfcvt / vfwcvt / vfncvt (vs1 selects) */
const convert: Handler = (h, raw) => {
  const sel = vs1Of(raw);
  const kind = sel >>> 3; // 0 single, 1 widening, 2 narrowing
  const op = sel & 7;
  if (kind > 2 || (kind === 0 && (op === 4 || op === 5)) || (kind === 1 && op === 5)) h.illegal(raw);
  // which SEW must be a supported float: the float side
  const v0 = vconf(h, raw);
  const sew = v0.sew;
  const srcW = kind === 2 ? 2 * sew : sew, dstW = kind === 1 ? 2 * sew : sew;
  const fromFloat = op === 0 || op === 1 || op === 6 || op === 7 || (op === 4 && kind > 0) || op === 5;
  const toFloat = op === 2 || op === 3 || op === 4 || op === 5;
  const floatW = fromFloat && toFloat ? Math.max(srcW, dstW) : fromFloat ? srcW : dstW;
  const v = fpconf(h, raw, () => floatW);
  // float <-> float: the narrow side must be floating point too; Zvfhmin gives binary16 for vfwcvt.f.f.v and
  // vfncvt.f.f.w (not .rod) alone
  const narrowW = Math.min(srcW, dstW);
  if (fromFloat && toFloat && !floatOk(h, narrowW) && !(narrowW === 16 && op === 4 && h.isa.has('zvfhmin'))) h.illegal(raw);
  if (kind > 0 && (v.lmulOf(v.vlmul) > 4 || 2 * sew > v.elen)) h.illegal(raw);
  const vd = vdOf(raw), vs2 = vs2Of(raw), vm = vmOf(raw), g = v.groupRegs;
  const wg = v.vlmul < 4 ? 2 * g : 1;
  const dg = kind === 1 ? wg : g, sg = kind === 2 ? wg : g;
  align(h, raw, vd, dg); align(h, raw, vs2, sg);
  if (!vm && vd === 0) h.illegal(raw);
  if (kind !== 0 && overlaps(vd, dg, vs2, sg) && !(kind === 2 && vd === vs2) && !(kind === 1 && g > 1 && vs2 === vd + g)) h.illegal(raw);
  const signed = (op & 1) === 1;
  for (let i = v.vstart; i < v.vl; i++) {
    if (!v.active(vm, i)) continue;
    const a = v.get(vs2, i, srcW, signed && !fromFloat), ah = E.hi;
    if (fromFloat && !toFloat) flags |= toInt(a, ah, srcW, dstW, signed, op >= 6 ? fp.RM_RTZ : rm);
    else if (!fromFloat) flags |= fromInt(a, ah, srcW, dstW, signed);
    else if (kind === 1) flags |= widen2(a, srcW);
    else if (dstW === 16) flags |= fp.f32ToF16(a, rm, op === 5);
    else if (op === 4) flags |= fp.f64ToF32(a, ah, rm);
    else { // rod: truncate, then make the last bit 1 when anything was lost
      const f = fp.f64ToF32(a, ah, fp.RM_RTZ);
      if (f & fp.FLAG_NX && (out[0]! & 0x7f800000) !== 0x7f800000) out[0] = out[0]! | 1;
      flags |= f;
    }
    write(v, vd, i, dstW);
  }
  finish(h, v);
};

// vfrec7 / vfrsqrt7 estimate tables: 7 output significand bits per 7 input bits, the value nearest the exact
// reciprocal (square root) at the input interval's midpoint (the spec's tables; the QEMU oracle checks them).
const REC7 = new Uint8Array(128), RSQRT7 = new Uint8Array(128);
for (let i = 0; i < 128; i++) REC7[i] = Math.min(127, Math.round(128 * (2 / (1 + (i + 0.5) / 128) - 1)));
for (let i = 0; i < 128; i++) {
  // index bit 6 is the exponent's parity; with an odd bias, odd exponents are even powers of two
  const odd = i >> 6, x = 2 ** (odd ? 0 : 1) * (1 + ((i & 63) + 0.5) / 64);
  const outE = odd ? -1 : -1; // 1/sqrt(x) for x in [1, 4) lies in (1/2, 1]
  RSQRT7[i] = Math.min(127, Math.max(0, Math.round(128 * (1 / Math.sqrt(x) / 2 ** outE - 1))));
}

/** vfrec7 (rsqrt = false) / vfrsqrt7 (true) of one element; result in fpOut, flags returned */
const EST_P: Record<number, number> = { 16: 10, 32: 23, 64: 52 }, EST_BIAS: Record<number, number> = { 16: 15, 32: 127, 64: 1023 };
function estimate(a: number, ah: number, sew: number, rsqrt: boolean): number {
  const p = EST_P[sew]!, bias = EST_BIAS[sew]!, emax = 2 * bias + 1;
  const sign = sew === 64 ? ah >>> 31 : (a >>> (sew - 1)) & 1;
  let exp = sew === 64 ? (ah >>> 20) & 0x7ff : (a >>> p) & emax;
  let sig = sew === 64 ? (ah & 0xfffff) * 4294967296 + (a >>> 0) : a & ((1 << p) - 1);
  const put = (sg: number, e: number, m: number): void => {
    if (sew === 64) { out[0] = m % 4294967296 | 0; out[1] = (sg << 31) | (e << 20) | Math.floor(m / 4294967296); return; }
    out[0] = (sg << (sew - 1)) | (e << p) | m; out[1] = -1;
  };
  const nan = (): void => {
    if (sew === 64) { out[0] = 0; out[1] = 0x7ff80000; } else { out[0] = sew === 32 ? fp.F32_CANONICAL_NAN : fp.F16_CANONICAL_NAN; out[1] = -1; }
  };
  const pm = 2 ** p;
  if (exp === emax) { // inf / NaN
    if (sig !== 0) { nan(); return sig < pm / 2 ? fp.FLAG_NV : 0; }
    if (rsqrt && sign) { nan(); return fp.FLAG_NV; }
    put(sign, 0, 0); return 0;
  }
  if (exp === 0 && sig === 0) { put(sign, emax, 0); return fp.FLAG_DZ; }
  if (rsqrt && sign) { nan(); return fp.FLAG_NV; }
  if (exp === 0) { // normalize a subnormal
    while (sig < pm / 2) { sig *= 2; exp--; }
    sig = (sig * 2) % pm;
  }
  if (rsqrt) {
    const idx = ((exp & 1) << 6) | Math.floor(sig / 2 ** (p - 6));
    put(0, Math.floor((3 * bias - 1 - exp) / 2), RSQRT7[idx]! * 2 ** (p - 7));
    return 0;
  }
  let outExp = 2 * bias - 1 - exp;
  if (outExp > 2 * bias) { // the input is so small that the reciprocal overflows
    const toMax = rm === fp.RM_RTZ || (rm === fp.RM_RDN && !sign) || (rm === fp.RM_RUP && sign);
    if (toMax) put(sign, emax - 1, pm - 1); else put(sign, emax, 0);
    return fp.FLAG_OF | fp.FLAG_NX;
  }
  let m = REC7[Math.floor(sig / 2 ** (p - 7))]! * 2 ** (p - 7);
  if (outExp <= 0) { // subnormal result: the hidden bit comes in, shifted by 1 or 2
    m = (pm + m) / 2;
    if (outExp === -1) m = m / 2;
    m = Math.floor(m);
    outExp = 0;
  }
  put(sign, outExp, m);
  return 0;
}

/** VFUNARY1: vfsqrt, vfrsqrt7, vfrec7, vfclass */
const unary1: Handler = (h, raw) => {
  const sel = vs1Of(raw);
  if (sel !== 0 && sel !== 4 && sel !== 5 && sel !== 16) h.illegal(raw);
  const v = fpconf(h, raw);
  const vd = vdOf(raw), vs2 = vs2Of(raw), vm = vmOf(raw), g = v.groupRegs, sew = v.sew;
  align(h, raw, vd, g); align(h, raw, vs2, g);
  if (!vm && vd === 0) h.illegal(raw);
  for (let i = v.vstart; i < v.vl; i++) {
    if (!v.active(vm, i)) continue;
    const a = v.get(vs2, i, sew, false), ah = E.hi;
    if (sel === 0) { flags |= sew === 32 ? fp.f32Sqrt(a, rm) : sew === 16 ? fp.f16Sqrt(a, rm) : fp.f64Sqrt(a, ah, rm); write(v, vd, i, sew); }
    else if (sel !== 16) { flags |= estimate(a, ah, sew, sel === 4); write(v, vd, i, sew); }
    else v.set(vd, i, sew, sew === 32 ? fp.f32Class(a) : sew === 16 ? fp.f16Class(a) : fp.f64Class(a, ah), 0);
  }
  finish(h, v);
};

const FF = [FVV, FVF];
def(FF, 0x00, binary(fadd));
def([FVV], 0x01, reduction(fadd));
def(FF, 0x02, binary(fsub));
def([FVV], 0x03, reduction(fadd));
def(FF, 0x04, binary(fmin));
def([FVV], 0x05, reduction(fmin));
def(FF, 0x06, binary(fmax));
def([FVV], 0x07, reduction(fmax));
def(FF, 0x08, binary(sgnj(0)));
def(FF, 0x09, binary(sgnj(1)));
def(FF, 0x0a, binary(sgnj(2)));
def([FVF], 0x0e, slide1(false));
def([FVF], 0x0f, slide1(true));
def(FF, 0x10, scalarMove);
def([FVV], 0x12, convert);
def([FVV], 0x13, unary1);
def([FVF], 0x17, merge);
def(FF, 0x18, compare(feq));
def(FF, 0x19, compare(fle));
def(FF, 0x1b, compare(flt));
def(FF, 0x1c, compare(feq, true));
def([FVF], 0x1d, compare((a, ah, b, bh, sew) => flt(b, bh, a, ah, sew)));
def([FVF], 0x1f, compare((a, ah, b, bh, sew) => fle(b, bh, a, ah, sew)));
def(FF, 0x20, binary(fdiv));
def([FVF], 0x21, binary(swap(fdiv)));
def(FF, 0x24, binary(fmul));
def([FVF], 0x27, binary(swap(fsub)));
def(FF, 0x28, fused(MADD, false));
def(FF, 0x29, fused(NMADD, false));
def(FF, 0x2a, fused(MSUB, false));
def(FF, 0x2b, fused(NMSUB, false));
def(FF, 0x2c, fused(MADD, true));
def(FF, 0x2d, fused(NMADD, true));
def(FF, 0x2e, fused(MSUB, true));
def(FF, 0x2f, fused(NMSUB, true));
def(FF, 0x30, widening(fadd, false));
def([FVV], 0x31, reduction(fadd, true));
def(FF, 0x32, widening(fsub, false));
def([FVV], 0x33, reduction(fadd, true));
def(FF, 0x34, widening(fadd, true));
def(FF, 0x36, widening(fsub, true));
def(FF, 0x38, widening(fmul, false));
def(FF, 0x3c, fused(MADD, true, true));
def(FF, 0x3d, fused(NMADD, true, true));
def(FF, 0x3e, fused(MSUB, true, true));
def(FF, 0x3f, fused(NMSUB, true, true));

const vopf: ExecFn = (h, _w, _imm, raw) => {
  const f3 = (raw >>> 12) & 7;
  const fn = table[(f3 === FVF ? 64 : 0) | (raw >>> 26)];
  if (fn === undefined) h.illegal(raw);
  fn!(h, raw, f3);
};

export const semantics: Semantics = [[Op.VOPF, vopf]];
