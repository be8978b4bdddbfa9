// Zba: address generation (shift-and-add, .uw forms zero-extend rs1's low word).
import { Op } from '../ops.js';
import type { InsnDef } from '../decode.js';
import { r, sh6, type Semantics } from './enc.js';
import { bin64, imm64, add64, shl64, res } from './alu.js';

const OP = 0x33, OP32 = 0x3b, OPIMM32 = 0x1b;
export const encodings: InsnDef[] = [
  r('sh1add', 'zba', Op.SH1ADD, 0x10, 2, OP), r('sh2add', 'zba', Op.SH2ADD, 0x10, 4, OP), r('sh3add', 'zba', Op.SH3ADD, 0x10, 6, OP),
  r('add.uw', 'zba', Op.ADD_UW, 0x04, 0, OP32), r('sh1add.uw', 'zba', Op.SH1ADD_UW, 0x10, 2, OP32),
  r('sh2add.uw', 'zba', Op.SH2ADD_UW, 0x10, 4, OP32), r('sh3add.uw', 'zba', Op.SH3ADD_UW, 0x10, 6, OP32),
  sh6('slli.uw', 'zba', Op.SLLI_UW, 0x02, 1, OPIMM32),
];

const shadd = (n: number, uw: boolean) => bin64((alo, ahi, blo, bhi) => {
  const lo = shl64(alo, uw ? 0 : ahi, n);
  return add64(lo, res.hi, blo, bhi);
});

export const semantics: Semantics = [
  [Op.SH1ADD, shadd(1, false)], [Op.SH2ADD, shadd(2, false)], [Op.SH3ADD, shadd(3, false)],
  [Op.ADD_UW, shadd(0, true)], [Op.SH1ADD_UW, shadd(1, true)], [Op.SH2ADD_UW, shadd(2, true)], [Op.SH3ADD_UW, shadd(3, true)],
  [Op.SLLI_UW, imm64((lo, _hi, s) => shl64(lo, 0, s))],
];
