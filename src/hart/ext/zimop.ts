// Zimop: MOP.R.n (n = 0..31) and MOP.RR.n (n = 0..7) in SYSTEM opcode space. Each writes 0 to rd and does
// nothing else. Without Zimop they are not decoded and trap as illegal instructions.
import { Op } from '../ops.js';
import type { InsnDef } from '../decode.js';
import { exact, rdOf, type Semantics } from './enc.js';

/** MOP.R.n: bit31=1, bit30=n[4], bits27:26=n[3:2], bits25:22=0111, bits21:20=n[1:0], funct3=100, opcode SYSTEM */
export function mopRMatch(n: number): number {
  return (0x81c04073 | (((n >> 4) & 1) << 30) | (((n >> 2) & 3) << 26) | ((n & 3) << 20)) >>> 0;
}
/** MOP.RR.n: bit31=1, bit30=n[2], bits27:26=n[1:0], bit25=1, funct3=100, opcode SYSTEM */
export function mopRRMatch(n: number): number {
  return (0x82004073 | (((n >> 2) & 1) << 30) | ((n & 3) << 26)) >>> 0;
}

export const encodings: InsnDef[] = [
  ...Array.from({ length: 32 }, (_, n) => exact(`mop.r.${n}`, 'zimop', Op.MOP_R, mopRMatch(n), 0xfff0707f, 'R')),
  ...Array.from({ length: 8 }, (_, n) => exact(`mop.rr.${n}`, 'zimop', Op.MOP_RR, mopRRMatch(n), 0xfe00707f, 'R')),
];

const writeZero = (h: { x: Int32Array }, w: number): void => {
  const d = rdOf(w) << 1;
  h.x[d] = 0; h.x[d + 1] = 0;
};

export const semantics: Semantics = [
  [Op.MOP_R, writeZero],
  [Op.MOP_RR, writeZero],
];
