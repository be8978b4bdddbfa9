// F, D and Zfa: register file with NaN-boxing, fcsr (frm/fflags), FS dirty tracking, loads/stores, moves,
// sign injection; arithmetic, comparisons, conversions and classification come from the exact IEEE-754
// library in ../fp. One Op per operation; the fmt field (bits 26:25: 0 = S, 1 = D) picks the precision.
import { Op } from '../ops.js';
import type { InsnDef } from '../decode.js';
import { i, exact, rdOf, rs1Of, rs2Of, type Semantics, type ExecFn } from './enc.js';
import type { Hart } from '../hart.js';
import { DEST_F16, DEST_F32, DEST_F64 } from '../defs.js';
import { load, store } from '../mmu.js';
import * as fp from '../fp/index.js';

const OPFP = 0x53;
const fmtExt = (fmt: number): string => (fmt === 0 ? 'f' : 'd');
const sfx = (fmt: number): string => (fmt === 0 ? 's' : 'd');

/** OP-FP row: funct5, fmt, optional rs2 / funct3 fixed */
export function opfp(name: string, ext: string, op: Op, funct5: number, fmt: number, opts: { rs2?: number; funct3?: number; frd?: boolean }): InsnDef {
  let match = (funct5 << 27) | (fmt << 25) | OPFP, mask = 0xfe00007f;
  if (opts.rs2 !== undefined) { match |= opts.rs2 << 20; mask |= 0x01f00000; }
  if (opts.funct3 !== undefined) { match |= opts.funct3 << 12; mask |= 0x7000; }
  return exact(name, ext, op, match, mask, 'R', opts.frd ? { frd: true } : {});
}

function rowsFor(fmt: number): InsnDef[] {
  const e = fmtExt(fmt), s = sfx(fmt), zfa = `zfa+${e}`;
  const fr = { frd: true };
  return [
    exact(`fmadd.${s}`, e, Op.FMADD, 0x43 | (fmt << 25), 0x0600007f, 'R4', fr),
    exact(`fmsub.${s}`, e, Op.FMSUB, 0x47 | (fmt << 25), 0x0600007f, 'R4', fr),
    exact(`fnmsub.${s}`, e, Op.FNMSUB, 0x4b | (fmt << 25), 0x0600007f, 'R4', fr),
    exact(`fnmadd.${s}`, e, Op.FNMADD, 0x4f | (fmt << 25), 0x0600007f, 'R4', fr),
    opfp(`fadd.${s}`, e, Op.FADD, 0x00, fmt, fr), opfp(`fsub.${s}`, e, Op.FSUB, 0x01, fmt, fr),
    opfp(`fmul.${s}`, e, Op.FMUL, 0x02, fmt, fr), opfp(`fdiv.${s}`, e, Op.FDIV, 0x03, fmt, fr),
    opfp(`fsqrt.${s}`, e, Op.FSQRT, 0x0b, fmt, { rs2: 0, frd: true }),
    opfp(`fsgnj.${s}`, e, Op.FSGNJ, 0x04, fmt, { funct3: 0, frd: true }),
    opfp(`fsgnjn.${s}`, e, Op.FSGNJN, 0x04, fmt, { funct3: 1, frd: true }),
    opfp(`fsgnjx.${s}`, e, Op.FSGNJX, 0x04, fmt, { funct3: 2, frd: true }),
    opfp(`fmin.${s}`, e, Op.FMIN, 0x05, fmt, { funct3: 0, frd: true }),
    opfp(`fmax.${s}`, e, Op.FMAX, 0x05, fmt, { funct3: 1, frd: true }),
    opfp(`fcvt.w.${s}`, e, Op.FCVT_W, 0x18, fmt, { rs2: 0 }), opfp(`fcvt.wu.${s}`, e, Op.FCVT_WU, 0x18, fmt, { rs2: 1 }),
    opfp(`fcvt.l.${s}`, e, Op.FCVT_L, 0x18, fmt, { rs2: 2 }), opfp(`fcvt.lu.${s}`, e, Op.FCVT_LU, 0x18, fmt, { rs2: 3 }),
    opfp(`fcvt.${s}.w`, e, Op.FCVT_FROM_W, 0x1a, fmt, { rs2: 0, frd: true }),
    opfp(`fcvt.${s}.wu`, e, Op.FCVT_FROM_WU, 0x1a, fmt, { rs2: 1, frd: true }),
    opfp(`fcvt.${s}.l`, e, Op.FCVT_FROM_L, 0x1a, fmt, { rs2: 2, frd: true }),
    opfp(`fcvt.${s}.lu`, e, Op.FCVT_FROM_LU, 0x1a, fmt, { rs2: 3, frd: true }),
    opfp(`fmv.x.${fmt === 0 ? 'w' : 'd'}`, e, Op.FMV_X, 0x1c, fmt, { rs2: 0, funct3: 0 }),
    opfp(`fclass.${s}`, e, Op.FCLASS, 0x1c, fmt, { rs2: 0, funct3: 1 }),
    opfp(`fmv.${fmt === 0 ? 'w' : 'd'}.x`, e, Op.FMV_F, 0x1e, fmt, { rs2: 0, funct3: 0, frd: true }),
    opfp(`feq.${s}`, e, Op.FEQ, 0x14, fmt, { funct3: 2 }), opfp(`flt.${s}`, e, Op.FLT, 0x14, fmt, { funct3: 1 }),
    opfp(`fle.${s}`, e, Op.FLE, 0x14, fmt, { funct3: 0 }),
    // Zfa
    opfp(`fli.${s}`, zfa, Op.FLI, 0x1e, fmt, { rs2: 1, funct3: 0, frd: true }),
    opfp(`fminm.${s}`, zfa, Op.FMINM, 0x05, fmt, { funct3: 2, frd: true }),
    opfp(`fmaxm.${s}`, zfa, Op.FMAXM, 0x05, fmt, { funct3: 3, frd: true }),
    opfp(`fround.${s}`, zfa, Op.FROUND, 0x08, fmt, { rs2: 4, frd: true }),
    opfp(`froundnx.${s}`, zfa, Op.FROUNDNX, 0x08, fmt, { rs2: 5, frd: true }),
    opfp(`fleq.${s}`, zfa, Op.FLEQ, 0x14, fmt, { funct3: 4 }), opfp(`fltq.${s}`, zfa, Op.FLTQ, 0x14, fmt, { funct3: 5 }),
  ];
}

export const encodings: InsnDef[] = [
  i('flw', 'f', Op.FLW, 2, 0x07, 'I', { frd: true }), i('fld', 'd', Op.FLD, 3, 0x07, 'I', { frd: true }),
  i('fsw', 'f', Op.FSW, 2, 0x27, 'S'), i('fsd', 'd', Op.FSD, 3, 0x27, 'S'),
  ...rowsFor(0), ...rowsFor(1),
  opfp('fcvt.s.d', 'd', Op.FCVT_S_D, 0x08, 0, { rs2: 1, frd: true }),
  opfp('fcvt.d.s', 'd', Op.FCVT_D_S, 0x08, 1, { rs2: 0, frd: true }),
  opfp('fcvtmod.w.d', 'zfa+d', Op.FCVTMOD_W_D, 0x18, 1, { rs2: 8, funct3: 1 }),
];

// ---- helpers

const isD = (raw: number): boolean => ((raw >>> 25) & 3) === 1;

/** f32 operand with NaN-boxing check: an improperly boxed value reads as the canonical NaN */
const s32 = (h: Hart, reg: number): number => (h.fr[reg * 2 + 1] === -1 ? h.fr[reg * 2]! : fp.F32_CANONICAL_NAN);

/** check FS and resolve the rounding mode (raw bits 14:12; 7 = dynamic from frm); illegal for reserved values */
export function prologue(h: Hart, raw: number, needsRm: boolean): number {
  if (h.fsOff()) h.illegal(raw);
  if (!needsRm) return 0;
  let rm = (raw >>> 12) & 7;
  if (rm === 7) rm = h.frm;
  if (rm > 4) h.illegal(raw);
  return rm;
}

export function writeF(h: Hart, w: number, flags: number): void {
  const d = rdOf(w) * 2;
  h.fr[d] = fp.fpOut[0]!; h.fr[d + 1] = fp.fpOut[1]!;
  h.fflags |= flags;
  h.markFsDirty();
}
export function writeX(h: Hart, w: number, flags: number): void {
  const d = rdOf(w) * 2;
  h.x[d] = fp.fpOut[0]!; h.x[d + 1] = fp.fpOut[1]!;
  if (flags) { h.fflags |= flags; h.markFsDirty(); }
}

/** binary FP op writing an f register */
function binF(f32: (a: number, b: number, rm: number) => number, f64: (al: number, ah: number, bl: number, bh: number, rm: number) => number, rm = true): ExecFn {
  return (h, w, _imm, raw) => {
    const r = prologue(h, raw, rm), a = rs1Of(w), b = rs2Of(w);
    const fl = isD(raw) ? f64(h.fr[a * 2]!, h.fr[a * 2 + 1]!, h.fr[b * 2]!, h.fr[b * 2 + 1]!, r) : f32(s32(h, a), s32(h, b), r);
    writeF(h, w, fl);
  };
}
/** comparison writing an x register */
function cmpX(f32: (a: number, b: number) => number, f64: (al: number, ah: number, bl: number, bh: number) => number): ExecFn {
  return (h, w, _imm, raw) => {
    prologue(h, raw, false);
    const a = rs1Of(w), b = rs2Of(w);
    const fl = isD(raw) ? f64(h.fr[a * 2]!, h.fr[a * 2 + 1]!, h.fr[b * 2]!, h.fr[b * 2 + 1]!) : f32(s32(h, a), s32(h, b));
    writeX(h, w, fl);
  };
}
/** fused multiply-add family: rs3 in raw bits 31:27 */
function fma(f32: (a: number, b: number, c: number, rm: number) => number,
  f64: (al: number, ah: number, bl: number, bh: number, cl: number, ch: number, rm: number) => number): ExecFn {
  return (h, w, _imm, raw) => {
    const r = prologue(h, raw, true), a = rs1Of(w), b = rs2Of(w), c = raw >>> 27;
    const F = h.fr;
    const fl = isD(raw) ? f64(F[a * 2]!, F[a * 2 + 1]!, F[b * 2]!, F[b * 2 + 1]!, F[c * 2]!, F[c * 2 + 1]!, r)
      : f32(s32(h, a), s32(h, b), s32(h, c), r);
    writeF(h, w, fl);
  };
}
/** sign injection: kind 0 = copy sign of rs2, 1 = negated, 2 = xor */
function sgnj(kind: 0 | 1 | 2): ExecFn {
  return (h, w, _imm, raw) => {
    prologue(h, raw, false);
    const a = rs1Of(w), b = rs2Of(w);
    if (isD(raw)) {
      const ah = h.fr[a * 2 + 1]!, bh = h.fr[b * 2 + 1]!;
      const sign = kind === 0 ? bh & 0x80000000 : kind === 1 ? ~bh & 0x80000000 : (ah ^ bh) & 0x80000000;
      fp.fpOut[0] = h.fr[a * 2]!; fp.fpOut[1] = (ah & 0x7fffffff) | sign;
    } else {
      const av = s32(h, a), bv = s32(h, b);
      const sign = kind === 0 ? bv & 0x80000000 : kind === 1 ? ~bv & 0x80000000 : (av ^ bv) & 0x80000000;
      fp.fpOut[0] = (av & 0x7fffffff) | sign; fp.fpOut[1] = -1;
    }
    writeF(h, w, 0);
  };
}
/** float -> integer conversions */
function toInt(f32: (a: number, rm: number) => number, f64: (lo: number, hi: number, rm: number) => number): ExecFn {
  return (h, w, _imm, raw) => {
    const r = prologue(h, raw, true), a = rs1Of(w);
    const fl = isD(raw) ? f64(h.fr[a * 2]!, h.fr[a * 2 + 1]!, r) : f32(s32(h, a), r);
    writeX(h, w, fl);
  };
}
/** integer -> float; wide = the source is 64 bits */
function fromInt(f32: (lo: number, hi: number, rm: number) => number, f64: (lo: number, hi: number, rm: number) => number): ExecFn {
  return (h, w, _imm, raw) => {
    const r = prologue(h, raw, true), a = rs1Of(w) * 2;
    const fl = isD(raw) ? f64(h.x[a]!, h.x[a + 1]!, r) : f32(h.x[a]!, h.x[a + 1]!, r);
    writeF(h, w, fl);
  };
}

/** flh / flw / fld: binary16 and binary32 values are NaN-boxed */
export function fpLoad(size: 2 | 4 | 8): ExecFn {
  return (h, w, imm, raw) => {
    if (h.fsOff()) h.illegal(raw);
    const a = rs1Of(w) * 2, base = h.x[a]!;
    const lo = (base + imm) | 0;
    const hi = (h.x[a + 1]! + (imm >> 31) + ((lo >>> 0) < (base >>> 0) ? 1 : 0)) | 0;
    const d = rdOf(w) * 2;
    const v = load(h, lo, hi, size, size === 2 ? DEST_F16 : size === 4 ? DEST_F32 : DEST_F64, rdOf(w));
    h.fr[d] = size === 2 ? v | 0xffff0000 : v; h.fr[d + 1] = size === 8 ? h.ldHi : -1;
    h.markFsDirty();
  };
}
/** fsh / fsw / fsd: the low bits of the register, boxed or not */
export function fpStore(size: 2 | 4 | 8): ExecFn {
  return (h, w, imm, raw) => {
    if (h.fsOff()) h.illegal(raw);
    const a = rs1Of(w) * 2, base = h.x[a]!;
    const lo = (base + imm) | 0;
    const hi = (h.x[a + 1]! + (imm >> 31) + ((lo >>> 0) < (base >>> 0) ? 1 : 0)) | 0;
    const s = rs2Of(w) * 2;
    store(h, lo, hi, size, h.fr[s]!, h.fr[s + 1]!);
  };
}

export const semantics: Semantics = [
  [Op.FLW, fpLoad(4)], [Op.FLD, fpLoad(8)], [Op.FSW, fpStore(4)], [Op.FSD, fpStore(8)],
  [Op.FADD, binF(fp.f32Add, fp.f64Add)], [Op.FSUB, binF(fp.f32Sub, fp.f64Sub)],
  [Op.FMUL, binF(fp.f32Mul, fp.f64Mul)], [Op.FDIV, binF(fp.f32Div, fp.f64Div)],
  [Op.FSQRT, (h, w, _i, raw) => {
    const r = prologue(h, raw, true), a = rs1Of(w);
    writeF(h, w, isD(raw) ? fp.f64Sqrt(h.fr[a * 2]!, h.fr[a * 2 + 1]!, r) : fp.f32Sqrt(s32(h, a), r));
  }],
  [Op.FMADD, fma(fp.f32MulAdd, fp.f64MulAdd)], [Op.FMSUB, fma(fp.f32MulSub, fp.f64MulSub)],
  [Op.FNMSUB, fma(fp.f32NegMulSub, fp.f64NegMulSub)], [Op.FNMADD, fma(fp.f32NegMulAdd, fp.f64NegMulAdd)],
  [Op.FSGNJ, sgnj(0)], [Op.FSGNJN, sgnj(1)], [Op.FSGNJX, sgnj(2)],
  [Op.FMIN, binF((a, b) => fp.f32MinMax(a, b, false), (a, b, c, d) => fp.f64MinMax(a, b, c, d, false), false)],
  [Op.FMAX, binF((a, b) => fp.f32MinMax(a, b, true), (a, b, c, d) => fp.f64MinMax(a, b, c, d, true), false)],
  [Op.FMINM, binF((a, b) => fp.f32MinMax(a, b, false, true), (a, b, c, d) => fp.f64MinMax(a, b, c, d, false, true), false)],
  [Op.FMAXM, binF((a, b) => fp.f32MinMax(a, b, true, true), (a, b, c, d) => fp.f64MinMax(a, b, c, d, true, true), false)],
  [Op.FEQ, cmpX(fp.f32Eq, fp.f64Eq)],
  [Op.FLT, cmpX((a, b) => fp.f32Lt(a, b), (a, b, c, d) => fp.f64Lt(a, b, c, d))],
  [Op.FLE, cmpX((a, b) => fp.f32Le(a, b), (a, b, c, d) => fp.f64Le(a, b, c, d))],
  [Op.FLTQ, cmpX((a, b) => fp.f32Lt(a, b, true), (a, b, c, d) => fp.f64Lt(a, b, c, d, true))],
  [Op.FLEQ, cmpX((a, b) => fp.f32Le(a, b, true), (a, b, c, d) => fp.f64Le(a, b, c, d, true))],
  [Op.FCVT_W, toInt(fp.f32ToI32, fp.f64ToI32)], [Op.FCVT_WU, toInt(fp.f32ToU32, fp.f64ToU32)],
  [Op.FCVT_L, toInt(fp.f32ToI64, fp.f64ToI64)], [Op.FCVT_LU, toInt(fp.f32ToU64, fp.f64ToU64)],
  [Op.FCVT_FROM_W, fromInt((lo, _hi, rm) => fp.f32FromI32(lo, rm), (lo, _hi, rm) => fp.f64FromI32(lo, rm))],
  [Op.FCVT_FROM_WU, fromInt((lo, _hi, rm) => fp.f32FromU32(lo, rm), (lo, _hi, rm) => fp.f64FromU32(lo, rm))],
  [Op.FCVT_FROM_L, fromInt(fp.f32FromI64, fp.f64FromI64)],
  [Op.FCVT_FROM_LU, fromInt(fp.f32FromU64, fp.f64FromU64)],
  [Op.FCVT_S_D, (h, w, _i, raw) => { const r = prologue(h, raw, true), a = rs1Of(w); writeF(h, w, fp.f64ToF32(h.fr[a * 2]!, h.fr[a * 2 + 1]!, r)); }],
  [Op.FCVT_D_S, (h, w, _i, raw) => { prologue(h, raw, true); writeF(h, w, fp.f32ToF64(s32(h, rs1Of(w)))); }],
  [Op.FCVTMOD_W_D, (h, w, _i, raw) => { prologue(h, raw, false); const a = rs1Of(w); writeX(h, w, fp.f64CvtModW(h.fr[a * 2]!, h.fr[a * 2 + 1]!)); }],
  [Op.FMV_X, (h, w, _i, raw) => {
    prologue(h, raw, false);
    const a = rs1Of(w) * 2, d = rdOf(w) * 2;
    const lo = h.fr[a]!;
    h.x[d] = lo; h.x[d + 1] = isD(raw) ? h.fr[a + 1]! : lo >> 31;
  }],
  [Op.FMV_F, (h, w, _i, raw) => {
    prologue(h, raw, false);
    const a = rs1Of(w) * 2, d = rdOf(w) * 2;
    h.fr[d] = h.x[a]!; h.fr[d + 1] = isD(raw) ? h.x[a + 1]! : -1;
    h.markFsDirty();
  }],
  [Op.FCLASS, (h, w, _i, raw) => {
    prologue(h, raw, false);
    const a = rs1Of(w), d = rdOf(w) * 2;
    h.x[d] = isD(raw) ? fp.f64Class(h.fr[a * 2]!, h.fr[a * 2 + 1]!) : fp.f32Class(s32(h, a)); h.x[d + 1] = 0;
  }],
  [Op.FLI, (h, w, _i, raw) => { prologue(h, raw, false); writeF(h, w, isD(raw) ? fp.f64Fli(rs1Of(w)) : fp.f32Fli(rs1Of(w))); }],
  [Op.FROUND, (h, w, _i, raw) => {
    const r = prologue(h, raw, true), a = rs1Of(w);
    writeF(h, w, isD(raw) ? fp.f64Round(h.fr[a * 2]!, h.fr[a * 2 + 1]!, r, false) : fp.f32Round(s32(h, a), r, false));
  }],
  [Op.FROUNDNX, (h, w, _i, raw) => {
    const r = prologue(h, raw, true), a = rs1Of(w);
    writeF(h, w, isD(raw) ? fp.f64Round(h.fr[a * 2]!, h.fr[a * 2 + 1]!, r, true) : fp.f32Round(s32(h, a), r, true));
  }],
];
