// Zicond: conditional zero.
import { Op } from '../ops.js';
import type { InsnDef } from '../decode.js';
import { r, type Semantics } from './enc.js';
import { bin64, res } from './alu.js';

export const encodings: InsnDef[] = [
  r('czero.eqz', 'zicond', Op.CZERO_EQZ, 0x07, 5, 0x33), r('czero.nez', 'zicond', Op.CZERO_NEZ, 0x07, 7, 0x33),
];
export const semantics: Semantics = [
  [Op.CZERO_EQZ, bin64((a, b, c, d) => { const z = c === 0 && d === 0; res.hi = z ? 0 : b; return z ? 0 : a; })],
  [Op.CZERO_NEZ, bin64((a, b, c, d) => { const z = c === 0 && d === 0; res.hi = z ? b : 0; return z ? a : 0; })],
];
