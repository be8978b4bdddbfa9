// Zfhmin, Zfh and Zfa's half-precision forms: binary16 in the f registers, NaN-boxed (the upper 48 bits all
// ones; an improperly boxed operand reads as the canonical NaN 0x7e00), on the exact library's f16.ts.
// Their own ops (not fd.ts's ops with fmt = 2) so that the translator, which knows S and D only, sends every
// one of them to these semantics through its exit path instead of mistaking one for binary32.
// Zfhmin: flh, fsh, fmv.x.h, fmv.h.x, fcvt.s.h, fcvt.h.s (and fcvt.d.h, fcvt.h.d with D); Zfh: the rest.
import { Op } from '../ops.js';
import type { InsnDef } from '../decode.js';
import { i, exact, rdOf, rs1Of, rs2Of, type Semantics, type ExecFn } from './enc.js';
import type { Hart } from '../hart.js';
import { opfp, prologue, writeF, writeX, fpLoad, fpStore } from './fd.js';
import * as fp from '../fp/index.js';

const H = 2; // the fmt field of binary16
const fr = { frd: true };

export const encodings: InsnDef[] = [
  i('flh', 'zfhmin', Op.FLH, 1, 0x07, 'I', fr), i('fsh', 'zfhmin', Op.FSH, 1, 0x27, 'S'),
  opfp('fmv.x.h', 'zfhmin', Op.FMV_X_H, 0x1c, H, { rs2: 0, funct3: 0 }),
  opfp('fmv.h.x', 'zfhmin', Op.FMV_H_X, 0x1e, H, { rs2: 0, funct3: 0, frd: true }),
  opfp('fcvt.s.h', 'zfhmin', Op.FCVT_S_H, 0x08, 0, { rs2: 2, frd: true }),
  opfp('fcvt.h.s', 'zfhmin', Op.FCVT_H_S, 0x08, H, { rs2: 0, frd: true }),
  opfp('fcvt.d.h', 'zfhmin+d', Op.FCVT_D_H, 0x08, 1, { rs2: 2, frd: true }),
  opfp('fcvt.h.d', 'zfhmin+d', Op.FCVT_H_D, 0x08, H, { rs2: 1, frd: true }),
  exact('fmadd.h', 'zfh', Op.FMADD_H, 0x43 | (H << 25), 0x0600007f, 'R4', fr),
  exact('fmsub.h', 'zfh', Op.FMSUB_H, 0x47 | (H << 25), 0x0600007f, 'R4', fr),
  exact('fnmsub.h', 'zfh', Op.FNMSUB_H, 0x4b | (H << 25), 0x0600007f, 'R4', fr),
  exact('fnmadd.h', 'zfh', Op.FNMADD_H, 0x4f | (H << 25), 0x0600007f, 'R4', fr),
  opfp('fadd.h', 'zfh', Op.FADD_H, 0x00, H, fr), opfp('fsub.h', 'zfh', Op.FSUB_H, 0x01, H, fr),
  opfp('fmul.h', 'zfh', Op.FMUL_H, 0x02, H, fr), opfp('fdiv.h', 'zfh', Op.FDIV_H, 0x03, H, fr),
  opfp('fsqrt.h', 'zfh', Op.FSQRT_H, 0x0b, H, { rs2: 0, frd: true }),
  opfp('fsgnj.h', 'zfh', Op.FSGNJ_H, 0x04, H, { funct3: 0, frd: true }),
  opfp('fsgnjn.h', 'zfh', Op.FSGNJN_H, 0x04, H, { funct3: 1, frd: true }),
  opfp('fsgnjx.h', 'zfh', Op.FSGNJX_H, 0x04, H, { funct3: 2, frd: true }),
  opfp('fmin.h', 'zfh', Op.FMIN_H, 0x05, H, { funct3: 0, frd: true }),
  opfp('fmax.h', 'zfh', Op.FMAX_H, 0x05, H, { funct3: 1, frd: true }),
  opfp('fcvt.w.h', 'zfh', Op.FCVT_W_H, 0x18, H, { rs2: 0 }), opfp('fcvt.wu.h', 'zfh', Op.FCVT_WU_H, 0x18, H, { rs2: 1 }),
  opfp('fcvt.l.h', 'zfh', Op.FCVT_L_H, 0x18, H, { rs2: 2 }), opfp('fcvt.lu.h', 'zfh', Op.FCVT_LU_H, 0x18, H, { rs2: 3 }),
  opfp('fcvt.h.w', 'zfh', Op.FCVT_H_W, 0x1a, H, { rs2: 0, frd: true }),
  opfp('fcvt.h.wu', 'zfh', Op.FCVT_H_WU, 0x1a, H, { rs2: 1, frd: true }),
  opfp('fcvt.h.l', 'zfh', Op.FCVT_H_L, 0x1a, H, { rs2: 2, frd: true }),
  opfp('fcvt.h.lu', 'zfh', Op.FCVT_H_LU, 0x1a, H, { rs2: 3, frd: true }),
  opfp('fclass.h', 'zfh', Op.FCLASS_H, 0x1c, H, { rs2: 0, funct3: 1 }),
  opfp('feq.h', 'zfh', Op.FEQ_H, 0x14, H, { funct3: 2 }), opfp('flt.h', 'zfh', Op.FLT_H, 0x14, H, { funct3: 1 }),
  opfp('fle.h', 'zfh', Op.FLE_H, 0x14, H, { funct3: 0 }),
  // Zfa: these exist when Zfh does (fli.h also with Zvfh, which rvkvm's vector unit does not have)
  opfp('fli.h', 'zfa+zfh', Op.FLI_H, 0x1e, H, { rs2: 1, funct3: 0, frd: true }),
  opfp('fminm.h', 'zfa+zfh', Op.FMINM_H, 0x05, H, { funct3: 2, frd: true }),
  opfp('fmaxm.h', 'zfa+zfh', Op.FMAXM_H, 0x05, H, { funct3: 3, frd: true }),
  opfp('fround.h', 'zfa+zfh', Op.FROUND_H, 0x08, H, { rs2: 4, frd: true }),
  opfp('froundnx.h', 'zfa+zfh', Op.FROUNDNX_H, 0x08, H, { rs2: 5, frd: true }),
  opfp('fleq.h', 'zfa+zfh', Op.FLEQ_H, 0x14, H, { funct3: 4 }), opfp('fltq.h', 'zfa+zfh', Op.FLTQ_H, 0x14, H, { funct3: 5 }),
];

/** binary16 operand with the NaN-boxing check */
export const h16 = (h: Hart, reg: number): number =>
  (h.fr[reg * 2 + 1] === -1 && (h.fr[reg * 2]! >>> 16) === 0xffff ? h.fr[reg * 2]! & 0xffff : fp.F16_CANONICAL_NAN);

/** fn(rs1, rs2) of binary16 operands written to f[rd]; rm: the instruction has a rounding-mode field */
function binH(fn: (a: number, b: number, rm: number) => number, rm = true): ExecFn {
  return (h, w, _imm, raw) => {
    const r = prologue(h, raw, rm);
    writeF(h, w, fn(h16(h, rs1Of(w)), h16(h, rs2Of(w)), r));
  };
}
/** fn(rs1, rs2) of binary16 operands written to x[rd] */
function cmpH(fn: (a: number, b: number) => number): ExecFn {
  return (h, w, _imm, raw) => { prologue(h, raw, false); writeX(h, w, fn(h16(h, rs1Of(w)), h16(h, rs2Of(w)))); };
}
function fmaH(fn: (a: number, b: number, c: number, rm: number) => number): ExecFn {
  return (h, w, _imm, raw) => {
    const r = prologue(h, raw, true);
    writeF(h, w, fn(h16(h, rs1Of(w)), h16(h, rs2Of(w)), h16(h, raw >>> 27), r));
  };
}
/** sign injection: kind 0 = copy sign of rs2, 1 = negated, 2 = xor */
function sgnjH(kind: 0 | 1 | 2): ExecFn {
  return (h, w, _imm, raw) => {
    prologue(h, raw, false);
    const a = h16(h, rs1Of(w)), b = h16(h, rs2Of(w));
    const sign = kind === 0 ? b & 0x8000 : kind === 1 ? ~b & 0x8000 : (a ^ b) & 0x8000;
    fp.fpOut[0] = 0xffff0000 | (a & 0x7fff) | sign; fp.fpOut[1] = -1;
    writeF(h, w, 0);
  };
}
/** fcvt.{w,wu,l,lu}.h */
function toIntH(kind: number): ExecFn {
  return (h, w, _imm, raw) => { const r = prologue(h, raw, true); writeX(h, w, fp.f16ToInt(h16(h, rs1Of(w)), r, kind)); };
}
/** fcvt.h.{w,wu,l,lu}: word sources are the register's low 32 bits, extended as their signedness says */
function fromIntH(word: boolean, signed: boolean): ExecFn {
  return (h, w, _imm, raw) => {
    const r = prologue(h, raw, true), a = rs1Of(w) * 2, lo = h.x[a]!;
    const hi = word ? (signed ? lo >> 31 : 0) : h.x[a + 1]!;
    writeF(h, w, fp.f16FromInt(lo, hi, signed, r));
  };
}

export const semantics: Semantics = [
  [Op.FLH, fpLoad(2)], [Op.FSH, fpStore(2)],
  [Op.FMV_X_H, (h, w, _i, raw) => {
    prologue(h, raw, false);
    const d = rdOf(w) * 2, v = (h.fr[rs1Of(w) * 2]! << 16) >> 16; // the low 16 bits, sign-extended, unchecked
    h.x[d] = v; h.x[d + 1] = v >> 31;
  }],
  [Op.FMV_H_X, (h, w, _i, raw) => {
    prologue(h, raw, false);
    const d = rdOf(w) * 2;
    h.fr[d] = h.x[rs1Of(w) * 2]! | 0xffff0000; h.fr[d + 1] = -1;
    h.markFsDirty();
  }],
  [Op.FCVT_S_H, (h, w, _i, raw) => { prologue(h, raw, true); writeF(h, w, fp.f16ToF32(h16(h, rs1Of(w)))); }],
  [Op.FCVT_D_H, (h, w, _i, raw) => { prologue(h, raw, true); writeF(h, w, fp.f16ToF64(h16(h, rs1Of(w)))); }],
  [Op.FCVT_H_S, (h, w, _i, raw) => {
    const r = prologue(h, raw, true), a = rs1Of(w);
    writeF(h, w, fp.f32ToF16(h.fr[a * 2 + 1] === -1 ? h.fr[a * 2]! : fp.F32_CANONICAL_NAN, r));
  }],
  [Op.FCVT_H_D, (h, w, _i, raw) => { const r = prologue(h, raw, true), a = rs1Of(w); writeF(h, w, fp.f64ToF16(h.fr[a * 2]!, h.fr[a * 2 + 1]!, r)); }],
  [Op.FADD_H, binH(fp.f16Add)], [Op.FSUB_H, binH(fp.f16Sub)], [Op.FMUL_H, binH(fp.f16Mul)], [Op.FDIV_H, binH(fp.f16Div)],
  [Op.FSQRT_H, (h, w, _i, raw) => { const r = prologue(h, raw, true); writeF(h, w, fp.f16Sqrt(h16(h, rs1Of(w)), r)); }],
  [Op.FMADD_H, fmaH(fp.f16MulAdd)], [Op.FMSUB_H, fmaH(fp.f16MulSub)],
  [Op.FNMSUB_H, fmaH(fp.f16NegMulSub)], [Op.FNMADD_H, fmaH(fp.f16NegMulAdd)],
  [Op.FSGNJ_H, sgnjH(0)], [Op.FSGNJN_H, sgnjH(1)], [Op.FSGNJX_H, sgnjH(2)],
  [Op.FMIN_H, binH((a, b) => fp.f16MinMax(a, b, false), false)], [Op.FMAX_H, binH((a, b) => fp.f16MinMax(a, b, true), false)],
  [Op.FMINM_H, binH((a, b) => fp.f16MinMax(a, b, false, true), false)], [Op.FMAXM_H, binH((a, b) => fp.f16MinMax(a, b, true, true), false)],
  [Op.FCVT_W_H, toIntH(0)], [Op.FCVT_WU_H, toIntH(1)], [Op.FCVT_L_H, toIntH(2)], [Op.FCVT_LU_H, toIntH(3)],
  [Op.FCVT_H_W, fromIntH(true, true)], [Op.FCVT_H_WU, fromIntH(true, false)],
  [Op.FCVT_H_L, fromIntH(false, true)], [Op.FCVT_H_LU, fromIntH(false, false)],
  [Op.FEQ_H, cmpH(fp.f16Eq)], [Op.FLT_H, cmpH((a, b) => fp.f16Lt(a, b))], [Op.FLE_H, cmpH((a, b) => fp.f16Le(a, b))],
  [Op.FLTQ_H, cmpH((a, b) => fp.f16Lt(a, b, true))], [Op.FLEQ_H, cmpH((a, b) => fp.f16Le(a, b, true))],
  [Op.FCLASS_H, (h, w, _i, raw) => {
    prologue(h, raw, false);
    const d = rdOf(w) * 2;
    h.x[d] = fp.f16Class(h16(h, rs1Of(w))); h.x[d + 1] = 0;
  }],
  [Op.FLI_H, (h, w, _i, raw) => { prologue(h, raw, false); writeF(h, w, fp.f16Fli(rs1Of(w))); }],
  [Op.FROUND_H, (h, w, _i, raw) => { const r = prologue(h, raw, true); writeF(h, w, fp.f16Round(h16(h, rs1Of(w)), r, false)); }],
  [Op.FROUNDNX_H, (h, w, _i, raw) => { const r = prologue(h, raw, true); writeF(h, w, fp.f16Round(h16(h, rs1Of(w)), r, true)); }],
];
