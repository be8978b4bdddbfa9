// Zbs: single-bit set/clear/invert/extract (index = rs2 or shamt, mod 64).
import { Op } from '../ops.js';
import type { InsnDef } from '../decode.js';
import { r, sh6, type Semantics } from './enc.js';
import { bin64, imm64, res } from './alu.js';

const OP = 0x33, OPIMM = 0x13;
export const encodings: InsnDef[] = [
  r('bclr', 'zbs', Op.BCLR, 0x24, 1, OP), r('bext', 'zbs', Op.BEXT, 0x24, 5, OP),
  r('binv', 'zbs', Op.BINV, 0x34, 1, OP), r('bset', 'zbs', Op.BSET, 0x14, 1, OP),
  sh6('bclri', 'zbs', Op.BCLRI, 0x12, 1, OPIMM), sh6('bexti', 'zbs', Op.BEXTI, 0x12, 5, OPIMM),
  sh6('binvi', 'zbs', Op.BINVI, 0x1a, 1, OPIMM), sh6('bseti', 'zbs', Op.BSETI, 0x0a, 1, OPIMM),
];

type BitOp = (lo: number, hi: number, idx: number) => number;
const clr: BitOp = (lo, hi, i) => { i &= 63; res.hi = i >= 32 ? hi & ~(1 << (i - 32)) : hi; return i < 32 ? lo & ~(1 << i) : lo; };
const inv: BitOp = (lo, hi, i) => { i &= 63; res.hi = i >= 32 ? hi ^ (1 << (i - 32)) : hi; return i < 32 ? lo ^ (1 << i) : lo; };
const setb: BitOp = (lo, hi, i) => { i &= 63; res.hi = i >= 32 ? hi | (1 << (i - 32)) : hi; return i < 32 ? lo | (1 << i) : lo; };
const ext: BitOp = (lo, hi, i) => { i &= 63; res.hi = 0; return i >= 32 ? (hi >>> (i - 32)) & 1 : (lo >>> i) & 1; };

export const semantics: Semantics = [
  [Op.BCLR, bin64((a, b, c) => clr(a, b, c))], [Op.BEXT, bin64((a, b, c) => ext(a, b, c))],
  [Op.BINV, bin64((a, b, c) => inv(a, b, c))], [Op.BSET, bin64((a, b, c) => setb(a, b, c))],
  [Op.BCLRI, imm64(clr)], [Op.BEXTI, imm64(ext)], [Op.BINVI, imm64(inv)], [Op.BSETI, imm64(setb)],
];
