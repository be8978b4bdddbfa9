// Zvbb (vector basic bit manipulation) with Zvkb, the subset the vector crypto suites require (vandn, vbrev8,
// vrev8, vrol, vror), and Zvbc (vector carry-less multiply, SEW = 64). The instructions sit in funct6 slots of
// the V encoding groups that V leaves reserved (vbrev..vcpop share VXUNARY0 with vzext/vsext, told apart by vs1),
// so their rows are more specific than v-int's group rows and win in the decoder; without the extension the
// group row decodes them and its table has no handler for the slot, so they stay illegal.
// Element operations use v-int's handlers (operand fetch, masking, alignment and vstart rules are V's).
import { Op } from '../ops.js';
import type { InsnDef } from '../decode.js';
import { exact, type Semantics, type ExecFn } from './enc.js';
import { popcnt32, ctz32 } from './alu.js';
import { clmul128, pw } from './zbc.js';
import { binary, widening, done, opSll, IVV, IVX, IVI, MVV, MVX, type ElemOp, type Handler } from './v-int.js';
import { E, sll64, srl64, align, vconf, vdOf, vs1Of, vs2Of, vmOf } from './v-common.js';

const OPV = 0x57;
const F6 = 0xfc00707f, F6_VS1 = 0xfc0ff07f, F5 = 0xf800707f;
const enc = (f6: number, f3: number, vs1 = 0): number => (f6 << 26) | (vs1 << 15) | (f3 << 12) | OPV;
const row = (name: string, ext: string, op: Op, match: number, mask = F6): InsnDef => exact(name, ext, op, match, mask, 'NONE');

export const encodings: InsnDef[] = [
  row('vandn.vv', 'zvkb', Op.VBITMANIP, enc(0x01, IVV)), row('vandn.vx', 'zvkb', Op.VBITMANIP, enc(0x01, IVX)),
  row('vbrev.v', 'zvbb', Op.VBITMANIP, enc(0x12, MVV, 0x0a), F6_VS1),
  row('vbrev8.v', 'zvkb', Op.VBITMANIP, enc(0x12, MVV, 0x08), F6_VS1),
  row('vrev8.v', 'zvkb', Op.VBITMANIP, enc(0x12, MVV, 0x09), F6_VS1),
  row('vclz.v', 'zvbb', Op.VBITMANIP, enc(0x12, MVV, 0x0c), F6_VS1),
  row('vctz.v', 'zvbb', Op.VBITMANIP, enc(0x12, MVV, 0x0d), F6_VS1),
  row('vcpop.v', 'zvbb', Op.VBITMANIP, enc(0x12, MVV, 0x0e), F6_VS1),
  row('vrol.vv', 'zvkb', Op.VBITMANIP, enc(0x15, IVV)), row('vrol.vx', 'zvkb', Op.VBITMANIP, enc(0x15, IVX)),
  row('vror.vv', 'zvkb', Op.VBITMANIP, enc(0x14, IVV)), row('vror.vx', 'zvkb', Op.VBITMANIP, enc(0x14, IVX)),
  // vror.vi: a 6-bit rotate amount, whose top bit is bit 26 (the low bit of funct6)
  row('vror.vi', 'zvkb', Op.VBITMANIP, enc(0x14, IVI), F5),
  row('vwsll.vv', 'zvbb', Op.VBITMANIP, enc(0x35, IVV)), row('vwsll.vx', 'zvbb', Op.VBITMANIP, enc(0x35, IVX)),
  row('vwsll.vi', 'zvbb', Op.VBITMANIP, enc(0x35, IVI)),
  row('vclmul.vv', 'zvbc', Op.VCLMUL, enc(0x0c, MVV)), row('vclmul.vx', 'zvbc', Op.VCLMUL, enc(0x0c, MVX)),
  row('vclmulh.vv', 'zvbc', Op.VCLMUL, enc(0x0d, MVV)), row('vclmulh.vx', 'zvbc', Op.VCLMUL, enc(0x0d, MVX)),
];

// ---- element operations on zero-extended SEW-bit values (lo, hi); results are truncated to SEW when written

/** bits of a 32-bit word reversed */
function rev32(x: number): number {
  x = ((x >>> 1) & 0x55555555) | ((x & 0x55555555) << 1);
  x = ((x >>> 2) & 0x33333333) | ((x & 0x33333333) << 2);
  x = ((x >>> 4) & 0x0f0f0f0f) | ((x & 0x0f0f0f0f) << 4);
  return bswap32(x);
}
function bswap32(x: number): number {
  return ((x >>> 24) | ((x >>> 8) & 0xff00) | ((x << 8) & 0xff0000) | (x << 24)) | 0;
}
/** bits of every byte reversed, bytes in place (GHASH's bit order, v-zvkg.ts, too) */
export function brev8w(x: number): number {
  return bswap32(rev32(x));
}

const opAndn: ElemOp = (a, ah, b, bh) => { E.hi = ah & ~bh; return a & ~b; };
/** vror.vi's sixth immediate bit (bit 26); every rotate sets it before it runs */
let immHi = 0;
function rotate(right: boolean): ElemOp {
  return (a, ah, b, _bh, sew) => {
    let s = (b | immHi) & (sew - 1);
    if (right && s !== 0) s = sew - s;
    if (s === 0) { E.hi = ah; return a; }
    const llo = sll64(a, ah, s), lhi = E.hi;
    const rlo = srl64(a, ah, sew - s);
    E.hi |= lhi;
    return llo | rlo;
  };
}
const opRol = rotate(false), opRor = rotate(true);

type Unary = (lo: number, hi: number, sew: number) => number;
const brev: Unary = (lo, hi, sew) => {
  if (sew === 64) { E.hi = rev32(lo); return rev32(hi); }
  E.hi = 0;
  return rev32(lo) >>> (32 - sew) | 0;
};
const brev8: Unary = (lo, hi) => { E.hi = brev8w(hi); return brev8w(lo); };
const rev8: Unary = (lo, hi, sew) => {
  if (sew === 64) { E.hi = bswap32(lo); return bswap32(hi); }
  E.hi = 0;
  return sew === 8 ? lo : bswap32(lo) >>> (32 - sew) | 0;
};
const clz: Unary = (lo, hi, sew) => {
  E.hi = 0;
  if (sew === 64) return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
  return lo === 0 ? sew : Math.clz32(lo) - (32 - sew);
};
const ctz: Unary = (lo, hi, sew) => {
  E.hi = 0;
  if (lo !== 0) return ctz32(lo);
  return sew === 64 && hi !== 0 ? 32 + ctz32(hi) : sew;
};
const cpop: Unary = (lo, hi) => { E.hi = 0; return popcnt32(lo) + popcnt32(hi); };
const UNARY: (Unary | undefined)[] = [];
UNARY[0x08] = brev8; UNARY[0x09] = rev8; UNARY[0x0a] = brev; UNARY[0x0c] = clz; UNARY[0x0d] = ctz; UNARY[0x0e] = cpop;

/** vd[i] = f(vs2[i]): the VXUNARY0 slots (vs1 selects the operation) */
const unary: Handler = (h, raw) => {
  const v = vconf(h, raw);
  const f = UNARY[vs1Of(raw)]!;
  const vd = vdOf(raw), vs2 = vs2Of(raw), vm = vmOf(raw), g = v.groupRegs, sew = v.sew;
  align(h, raw, vd, g); align(h, raw, vs2, g);
  if (!vm && vd === 0) h.illegal(raw);
  for (let i = v.vstart; i < v.vl; i++) {
    if (!v.active(vm, i)) continue;
    const lo = v.get(vs2, i, sew, false);
    const r = f(lo, E.hi, sew);
    v.set(vd, i, sew, r, E.hi);
  }
  done(h, v);
};

const andn = binary(opAndn, true), rol = binary(opRol, false), ror = binary(opRor, false, true);
const wsll = widening(opSll, false, false, false, undefined, true);

const bitmanip: ExecFn = (h, _w, _imm, raw) => {
  const f3 = (raw >>> 12) & 7, f6 = raw >>> 26;
  if (f6 === 0x01) andn(h, raw, f3);
  else if (f6 === 0x12) unary(h, raw, f3);
  else if (f6 === 0x35) wsll(h, raw, f3);
  else if (f6 === 0x15 && f3 !== IVI) { immHi = 0; rol(h, raw, f3); }
  else { // vror.vv / .vx / .vi (funct6 0x15 with IVI is vror.vi with the immediate's bit 5 set)
    immHi = f3 === IVI ? (f6 & 1) << 5 : 0;
    ror(h, raw, f3);
  }
};

// vclmul / vclmulh: the low / high 64 bits of the 128-bit carry-less product; SEW must be 64
const opClmul: ElemOp = (a, ah, b, bh) => { clmul128(a, ah, b, bh); E.hi = pw(1); return pw(0); };
const opClmulh: ElemOp = (a, ah, b, bh) => { clmul128(a, ah, b, bh); E.hi = pw(3); return pw(2); };
const clmul = binary(opClmul, false), clmulh = binary(opClmulh, false);
const vclmul: ExecFn = (h, _w, _imm, raw) => {
  const v = vconf(h, raw);
  if (v.sew !== 64) h.illegal(raw);
  ((raw >>> 26) === 0x0c ? clmul : clmulh)(h, raw, (raw >>> 12) & 7);
};

export const semantics: Semantics = [[Op.VBITMANIP, bitmanip], [Op.VCLMUL, vclmul]];
