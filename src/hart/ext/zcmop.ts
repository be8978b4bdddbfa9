// Zcmop: C.MOP.n for odd n = 1..15, the reserved C.LUI code points with imm = 0 and rd = n.
// Architecturally a no-op (writes no register). Without Zcmop these words stay reserved C.LUI forms -> illegal.
import { Op } from '../ops.js';
import type { InsnDef } from '../decode.js';
import { c } from './enc.js';

export const CMOP_N = [1, 3, 5, 7, 9, 11, 13, 15] as const;

/** one exact row per c.mop.n: 011 0 0 n[3:1] 1 00000 01 */
export const encodings: InsnDef[] = CMOP_N.map((n) => c(`c.mop.${n}`, 'zcmop', Op.C_MOP, 0x6001 | (n << 7), 0xffff, 'C_NONE'));
