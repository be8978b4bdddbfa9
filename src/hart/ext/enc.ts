// Helpers that build match/mask pairs for the standard 32-bit instruction layouts.
import type { Fmt, InsnDef } from '../decode.js';
import type { Op } from '../ops.js';
import type { Hart } from '../hart.js';

/** Out-of-line semantics: w = packed decoded word (op, rd, rs1, rs2), imm = immediate, raw = instruction bits. */
export type ExecFn = (h: Hart, w: number, imm: number, raw: number) => void;
export type Semantics = ReadonlyArray<readonly [Op, ExecFn]>;

// register numbers from a decoded word (stored doubled, see decode.ts)
export const rdOf = (w: number): number => ((w >>> 10) & 127) >>> 1;
export const rs1Of = (w: number): number => ((w >>> 17) & 127) >>> 1;
export const rs2Of = (w: number): number => ((w >>> 24) & 127) >>> 1;

const M_R = 0xfe00707f, M_I = 0x0000707f;

/** R-type: funct7, funct3, opcode */
export function r(name: string, ext: string, op: Op, funct7: number, funct3: number, opcode: number, extra?: Partial<InsnDef>): InsnDef {
  return { name, ext, op, fmt: 'R', match: ((funct7 << 25) | (funct3 << 12) | opcode) >>> 0, mask: M_R, ...extra };
}
/** I/S/B-type (funct3 + opcode) */
export function i(name: string, ext: string, op: Op, funct3: number, opcode: number, fmt: Fmt = 'I', extra?: Partial<InsnDef>): InsnDef {
  return { name, ext, op, fmt, match: (funct3 << 12) | opcode, mask: M_I, ...extra };
}
/** fully specified word with an explicit mask */
export function exact(name: string, ext: string, op: Op, match: number, mask: number, fmt: Fmt, extra?: Partial<InsnDef>): InsnDef {
  return { name, ext, op, fmt, match: match >>> 0, mask: mask >>> 0, ...extra };
}
/** unary R-type where rs2 is part of the opcode (e.g. clz: funct7, rs2 field, funct3) */
export function r1(name: string, ext: string, op: Op, funct7: number, rs2: number, funct3: number, opcode: number): InsnDef {
  return { name, ext, op, fmt: 'R', match: ((funct7 << 25) | (rs2 << 20) | (funct3 << 12) | opcode) >>> 0, mask: 0xfff0707f };
}
/** shift-immediate with a funct6 (RV64 6-bit shamt) or funct7 (5-bit, W forms) */
export function sh6(name: string, ext: string, op: Op, funct6: number, funct3: number, opcode: number): InsnDef {
  return { name, ext, op, fmt: 'SH6', match: ((funct6 << 26) | (funct3 << 12) | opcode) >>> 0, mask: 0xfc00707f };
}
export function sh5(name: string, ext: string, op: Op, funct7: number, funct3: number, opcode: number): InsnDef {
  return { name, ext, op, fmt: 'SH5', match: ((funct7 << 25) | (funct3 << 12) | opcode) >>> 0, mask: M_R };
}
/** compressed: funct3 (bits 15:13), quadrant, plus extra fixed bits given as (match, mask) over the whole halfword */
export function c(name: string, ext: string, op: Op, match: number, mask: number, fmt: Fmt, valid?: (i: number) => boolean, extra?: Partial<InsnDef>): InsnDef {
  return { name, ext, op, fmt, match, mask, ...(valid ? { valid } : {}), ...extra };
}
