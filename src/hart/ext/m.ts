// M: integer multiply and divide (RISC-V rules: x/0 = all ones, x%0 = x, MIN/-1 = MIN, MIN%-1 = 0).
import { Op } from '../ops.js';
import type { InsnDef } from '../decode.js';
import { r as rt, rdOf, rs1Of, rs2Of, type Semantics, type ExecFn } from './enc.js';
import { r, mul64, mulh64, div64, divu64, umul32 } from '../int64.js';
import type { Hart } from '../hart.js';

const OP = 0x33, OP32 = 0x3b;
export const encodings: InsnDef[] = [
  rt('mul', 'm', Op.MUL, 1, 0, OP), rt('mulh', 'm', Op.MULH, 1, 1, OP), rt('mulhsu', 'm', Op.MULHSU, 1, 2, OP),
  rt('mulhu', 'm', Op.MULHU, 1, 3, OP), rt('div', 'm', Op.DIV, 1, 4, OP), rt('divu', 'm', Op.DIVU, 1, 5, OP),
  rt('rem', 'm', Op.REM, 1, 6, OP), rt('remu', 'm', Op.REMU, 1, 7, OP),
  rt('mulw', 'm', Op.MULW, 1, 0, OP32), rt('divw', 'm', Op.DIVW, 1, 4, OP32), rt('divuw', 'm', Op.DIVUW, 1, 5, OP32),
  rt('remw', 'm', Op.REMW, 1, 6, OP32), rt('remuw', 'm', Op.REMUW, 1, 7, OP32),
];

/** binary op on full registers: f gets (alo, ahi, blo, bhi), returns lo, leaves hi in r.hi */
function bin(fn: (alo: number, ahi: number, blo: number, bhi: number) => number): ExecFn {
  return (h: Hart, w: number) => {
    const x = h.x, a = rs1Of(w) << 1, b = rs2Of(w) << 1, d = rdOf(w) << 1;
    const lo = fn(x[a]!, x[a + 1]!, x[b]!, x[b + 1]!);
    x[d] = lo; x[d + 1] = r.hi;
  };
}
/** W op on the low 32 bits; result sign-extended */
function word(fn: (a: number, b: number) => number): ExecFn {
  return (h: Hart, w: number) => {
    const x = h.x, d = rdOf(w) << 1;
    const v = fn(x[rs1Of(w) << 1]!, x[rs2Of(w) << 1]!) | 0;
    x[d] = v; x[d + 1] = v >> 31;
  };
}

export const semantics: Semantics = [
  [Op.MUL, bin(mul64)],
  [Op.MULH, bin((a, b, c, d) => mulh64(a, b, c, d, true, true))],
  [Op.MULHSU, bin((a, b, c, d) => mulh64(a, b, c, d, true, false))],
  [Op.MULHU, bin((a, b, c, d) => mulh64(a, b, c, d, false, false))],
  [Op.DIV, bin(div64)],
  [Op.DIVU, bin((a, b, c, d) => {
    if (c === 0 && d === 0) { r.hi = -1; return -1; }
    return divu64(a, b, c, d);
  })],
  [Op.REM, bin((a, b, c, d) => { div64(a, b, c, d); r.hi = r.remHi; return r.remLo; })],
  [Op.REMU, bin((a, b, c, d) => {
    if (c === 0 && d === 0) { r.hi = b; return a; }
    divu64(a, b, c, d); r.hi = r.remHi; return r.remLo;
  })],
  [Op.MULW, word((a, b) => { umul32(a, b); return Math.imul(a, b); })],
  [Op.DIVW, word((a, b) => (b === 0 ? -1 : a === -0x80000000 && b === -1 ? a : (a / b) | 0))],
  [Op.DIVUW, word((a, b) => (b === 0 ? -1 : ((a >>> 0) / (b >>> 0)) | 0))],
  [Op.REMW, word((a, b) => (b === 0 ? a : a === -0x80000000 && b === -1 ? 0 : a % b))],
  [Op.REMUW, word((a, b) => (b === 0 ? a : (a >>> 0) % (b >>> 0)))],
];
