// Zbb: basic bit manipulation.
import { Op } from '../ops.js';
import type { InsnDef } from '../decode.js';
import { r, r1, sh6, sh5, type Semantics } from './enc.js';
import { bin64, imm64, word, shl64, shr64, res, popcnt32, ctz32 } from './alu.js';

const OP = 0x33, OP32 = 0x3b, OPIMM = 0x13, OPIMM32 = 0x1b;
export const encodings: InsnDef[] = [
  r('andn', 'zbb', Op.ANDN, 0x20, 7, OP), r('orn', 'zbb', Op.ORN, 0x20, 6, OP), r('xnor', 'zbb', Op.XNOR, 0x20, 4, OP),
  r1('clz', 'zbb', Op.CLZ, 0x30, 0, 1, OPIMM), r1('ctz', 'zbb', Op.CTZ, 0x30, 1, 1, OPIMM), r1('cpop', 'zbb', Op.CPOP, 0x30, 2, 1, OPIMM),
  r1('clzw', 'zbb', Op.CLZW, 0x30, 0, 1, OPIMM32), r1('ctzw', 'zbb', Op.CTZW, 0x30, 1, 1, OPIMM32), r1('cpopw', 'zbb', Op.CPOPW, 0x30, 2, 1, OPIMM32),
  r('max', 'zbb', Op.MAX, 0x05, 6, OP), r('maxu', 'zbb', Op.MAXU, 0x05, 7, OP), r('min', 'zbb', Op.MIN, 0x05, 4, OP), r('minu', 'zbb', Op.MINU, 0x05, 5, OP),
  r1('sext.b', 'zbb', Op.SEXT_B, 0x30, 4, 1, OPIMM), r1('sext.h', 'zbb', Op.SEXT_H, 0x30, 5, 1, OPIMM), r1('zext.h', 'zbb', Op.ZEXT_H, 0x04, 0, 4, OP32),
  r('rol', 'zbb', Op.ROL, 0x30, 1, OP), r('ror', 'zbb', Op.ROR, 0x30, 5, OP), r('rolw', 'zbb', Op.ROLW, 0x30, 1, OP32), r('rorw', 'zbb', Op.RORW, 0x30, 5, OP32),
  sh6('rori', 'zbb', Op.RORI, 0x18, 5, OPIMM), sh5('roriw', 'zbb', Op.RORIW, 0x30, 5, OPIMM32),
  r1('orc.b', 'zbb', Op.ORC_B, 0x14, 0x07, 5, OPIMM), r1('rev8', 'zbb', Op.REV8, 0x35, 0x18, 5, OPIMM),
];

const ror64 = (lo: number, hi: number, s: number): number => {
  s &= 63;
  const l1 = shr64(lo, hi, s), h1 = res.hi;
  const l2 = shl64(lo, hi, 64 - s), h2 = s === 0 ? 0 : res.hi;
  res.hi = h1 | h2; return l1 | (s === 0 ? 0 : l2);
};
const rol32 = (a: number, s: number): number => { s &= 31; return (a << s) | (s ? a >>> (32 - s) : 0); };
const ror32 = (a: number, s: number): number => { s &= 31; return (a >>> s) | (s ? a << (32 - s) : 0); };
const lt = (alo: number, ahi: number, blo: number, bhi: number, signed: boolean): boolean =>
  ahi !== bhi ? (signed ? ahi < bhi : (ahi >>> 0) < (bhi >>> 0)) : (alo >>> 0) < (blo >>> 0);
const orc = (v: number): number => {
  let o = 0;
  for (let k = 0; k < 32; k += 8) if ((v >>> k) & 0xff) o |= 0xff << k;
  return o;
};
const bswap = (v: number): number => ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);

export const semantics: Semantics = [
  [Op.ANDN, bin64((a, b, c, d) => { res.hi = b & ~d; return a & ~c; })],
  [Op.ORN, bin64((a, b, c, d) => { res.hi = b | ~d; return a | ~c; })],
  [Op.XNOR, bin64((a, b, c, d) => { res.hi = ~(b ^ d); return ~(a ^ c); })],
  [Op.CLZ, imm64((lo, hi) => { res.hi = 0; return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo); })],
  [Op.CTZ, imm64((lo, hi) => { res.hi = 0; return lo !== 0 ? ctz32(lo) : 32 + ctz32(hi); })],
  [Op.CPOP, imm64((lo, hi) => { res.hi = 0; return popcnt32(lo) + popcnt32(hi); })],
  [Op.CLZW, word((a) => Math.clz32(a))], [Op.CTZW, word((a) => ctz32(a))], [Op.CPOPW, word((a) => popcnt32(a))],
  [Op.MAX, bin64((a, b, c, d) => { const l = lt(a, b, c, d, true); res.hi = l ? d : b; return l ? c : a; })],
  [Op.MAXU, bin64((a, b, c, d) => { const l = lt(a, b, c, d, false); res.hi = l ? d : b; return l ? c : a; })],
  [Op.MIN, bin64((a, b, c, d) => { const l = lt(a, b, c, d, true); res.hi = l ? b : d; return l ? a : c; })],
  [Op.MINU, bin64((a, b, c, d) => { const l = lt(a, b, c, d, false); res.hi = l ? b : d; return l ? a : c; })],
  [Op.SEXT_B, imm64((lo) => { const v = (lo << 24) >> 24; res.hi = v >> 31; return v; })],
  [Op.SEXT_H, imm64((lo) => { const v = (lo << 16) >> 16; res.hi = v >> 31; return v; })],
  [Op.ZEXT_H, imm64((lo) => { res.hi = 0; return lo & 0xffff; })],
  [Op.ROL, bin64((a, b, c) => ror64(a, b, 64 - (c & 63)))],
  [Op.ROR, bin64((a, b, c) => ror64(a, b, c))],
  [Op.RORI, imm64((a, b, s) => ror64(a, b, s))],
  [Op.ROLW, word((a, b) => rol32(a, b))], [Op.RORW, word((a, b) => ror32(a, b))], [Op.RORIW, word((a, s) => ror32(a, s), true)],
  [Op.ORC_B, imm64((lo, hi) => { res.hi = orc(hi); return orc(lo); })],
  [Op.REV8, imm64((lo, hi) => { res.hi = bswap(lo); return bswap(hi); })],
];
