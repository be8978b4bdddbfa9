// Zbc: carry-less multiplication (low, high and reversed halves of the 128-bit carry-less product).
import { Op } from '../ops.js';
import type { InsnDef } from '../decode.js';
import { r, type Semantics } from './enc.js';
import { bin64, res } from './alu.js';

const OP = 0x33;
export const encodings: InsnDef[] = [
  r('clmul', 'zbc', Op.CLMUL, 0x05, 1, OP), r('clmulr', 'zbc', Op.CLMULR, 0x05, 2, OP), r('clmulh', 'zbc', Op.CLMULH, 0x05, 3, OP),
];

// 128-bit carry-less product in four words (p[0] lowest; Zvbc uses it too)
const p = [0, 0, 0, 0];
export function clmul128(alo: number, ahi: number, blo: number, bhi: number): void {
  p[0] = 0; p[1] = 0; p[2] = 0; p[3] = 0;
  for (let i = 0; i < 64; i++) {
    const bit = i < 32 ? (blo >>> i) & 1 : (bhi >>> (i - 32)) & 1;
    if (!bit) continue;
    // xor (a << i) into p
    const w = i >>> 5, s = i & 31;
    p[w] ^= alo << s;
    p[w + 1] ^= s ? (alo >>> (32 - s)) | (ahi << s) : ahi;
    if (s) p[w + 2] ^= ahi >>> (32 - s);
  }
}
/** word k (0 lowest) of the last clmul128 product */
export const pw = (k: number): number => p[k]! | 0;

export const semantics: Semantics = [
  [Op.CLMUL, bin64((a, b, c, d) => { clmul128(a, b, c, d); res.hi = pw(1); return pw(0); })],
  [Op.CLMULH, bin64((a, b, c, d) => { clmul128(a, b, c, d); res.hi = pw(3); return pw(2); })],
  // clmulr = bits 126:63 of the product
  [Op.CLMULR, bin64((a, b, c, d) => {
    clmul128(a, b, c, d);
    res.hi = (pw(2) >>> 31) | (pw(3) << 1);
    return (pw(1) >>> 31) | (pw(2) << 1);
  })],
];
