// Zcb: more compressed forms (byte/half loads and stores, zero/sign extension, not, mul). Forms that expand to a
// Zbb/Zba/M instruction need that extension as well.
import { Op } from '../ops.js';
import type { InsnDef } from '../decode.js';
import { c } from './enc.js';

export const encodings: InsnDef[] = [
  c('c.lbu', 'zcb', Op.LBU, 0x8000, 0xfc03, 'C_LBU'),
  c('c.lhu', 'zcb', Op.LHU, 0x8400, 0xfc43, 'C_LH'),
  c('c.lh', 'zcb', Op.LH, 0x8440, 0xfc43, 'C_LH'),
  c('c.sb', 'zcb', Op.SB, 0x8800, 0xfc03, 'C_SB'),
  c('c.sh', 'zcb', Op.SH, 0x8c00, 0xfc43, 'C_SH'),
  c('c.zext.b', 'zcb', Op.ANDI, 0x9c61, 0xfc7f, 'C_ZEXTB'),
  c('c.sext.b', 'zcb+zbb', Op.SEXT_B, 0x9c65, 0xfc7f, 'C_UNARY'),
  c('c.zext.h', 'zcb+zbb', Op.ZEXT_H, 0x9c69, 0xfc7f, 'C_UNARY'),
  c('c.sext.h', 'zcb+zbb', Op.SEXT_H, 0x9c6d, 0xfc7f, 'C_UNARY'),
  c('c.zext.w', 'zcb+zba', Op.ADD_UW, 0x9c71, 0xfc7f, 'C_UNARY'),
  c('c.not', 'zcb', Op.XORI, 0x9c75, 0xfc7f, 'C_NOT'),
  c('c.mul', 'zcb+m', Op.MUL, 0x9c41, 0xfc63, 'C_ALU'),
];
