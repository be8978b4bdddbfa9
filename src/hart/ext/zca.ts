// Zca (and Zcd): the RV64 compressed instructions. Each expands to its 32-bit base operation (same Op id, operands
// extracted by a compressed format), so execution is shared with the base ISA. Reserved encodings (nzimm = 0,
// rd = x0 where the spec reserves it) fail their `valid` rule and decode as illegal.
import { Op } from '../ops.js';
import type { InsnDef } from '../decode.js';
import { c } from './enc.js';

const rd = (i: number): number => (i >>> 7) & 31;
const rs2 = (i: number): number => (i >>> 2) & 31;
const ciImmNonZero = (i: number): boolean => (i & 0x107c) !== 0; // bit 12 and bits 6:2

export const encodings: InsnDef[] = [
  // quadrant 0
  c('c.addi4spn', 'zca', Op.ADDI, 0x0000, 0xe003, 'C_ADDI4SPN', (i) => (i & 0x1fe0) !== 0),
  c('c.fld', 'zcd', Op.FLD, 0x2000, 0xe003, 'C_LD', undefined, { frd: true }),
  c('c.lw', 'zca', Op.LW, 0x4000, 0xe003, 'C_LW'),
  c('c.ld', 'zca', Op.LD, 0x6000, 0xe003, 'C_LD'),
  c('c.fsd', 'zcd', Op.FSD, 0xa000, 0xe003, 'C_SD'),
  c('c.sw', 'zca', Op.SW, 0xc000, 0xe003, 'C_SW'),
  c('c.sd', 'zca', Op.SD, 0xe000, 0xe003, 'C_SD'),
  // quadrant 1
  c('c.addi', 'zca', Op.ADDI, 0x0001, 0xe003, 'C_ADDI'),
  c('c.addiw', 'zca', Op.ADDIW, 0x2001, 0xe003, 'C_ADDI', (i) => rd(i) !== 0),
  c('c.li', 'zca', Op.ADDI, 0x4001, 0xe003, 'C_LI'),
  c('c.addi16sp', 'zca', Op.ADDI, 0x6101, 0xef83, 'C_ADDI16SP', ciImmNonZero),
  c('c.lui', 'zca', Op.LUI, 0x6001, 0xe003, 'C_LUI', (i) => rd(i) !== 2 && ciImmNonZero(i)),
  c('c.srli', 'zca', Op.SRLI, 0x8001, 0xec03, 'C_SHIFT'),
  c('c.srai', 'zca', Op.SRAI, 0x8401, 0xec03, 'C_SHIFT'),
  c('c.andi', 'zca', Op.ANDI, 0x8801, 0xec03, 'C_ANDI'),
  c('c.sub', 'zca', Op.SUB, 0x8c01, 0xfc63, 'C_ALU'),
  c('c.xor', 'zca', Op.XOR, 0x8c21, 0xfc63, 'C_ALU'),
  c('c.or', 'zca', Op.OR, 0x8c41, 0xfc63, 'C_ALU'),
  c('c.and', 'zca', Op.AND, 0x8c61, 0xfc63, 'C_ALU'),
  c('c.subw', 'zca', Op.SUBW, 0x9c01, 0xfc63, 'C_ALU'),
  c('c.addw', 'zca', Op.ADDW, 0x9c21, 0xfc63, 'C_ALU'),
  c('c.j', 'zca', Op.JAL, 0xa001, 0xe003, 'C_J'),
  c('c.beqz', 'zca', Op.BEQ, 0xc001, 0xe003, 'C_BZ'),
  c('c.bnez', 'zca', Op.BNE, 0xe001, 0xe003, 'C_BZ'),
  // quadrant 2
  c('c.slli', 'zca', Op.SLLI, 0x0002, 0xe003, 'C_SLLI'),
  c('c.fldsp', 'zcd', Op.FLD, 0x2002, 0xe003, 'C_LDSP', undefined, { frd: true }),
  c('c.lwsp', 'zca', Op.LW, 0x4002, 0xe003, 'C_LWSP', (i) => rd(i) !== 0),
  c('c.ldsp', 'zca', Op.LD, 0x6002, 0xe003, 'C_LDSP', (i) => rd(i) !== 0),
  c('c.jr', 'zca', Op.JALR, 0x8002, 0xf07f, 'C_JR', (i) => rd(i) !== 0),
  c('c.mv', 'zca', Op.ADD, 0x8002, 0xf003, 'C_MV', (i) => rs2(i) !== 0),
  c('c.ebreak', 'zca', Op.EBREAK, 0x9002, 0xffff, 'C_NONE'),
  c('c.jalr', 'zca', Op.JALR, 0x9002, 0xf07f, 'C_JALR', (i) => rd(i) !== 0),
  c('c.add', 'zca', Op.ADD, 0x9002, 0xf003, 'C_ADD', (i) => rs2(i) !== 0),
  c('c.fsdsp', 'zcd', Op.FSD, 0xa002, 0xe003, 'C_SDSP'),
  c('c.swsp', 'zca', Op.SW, 0xc002, 0xe003, 'C_SWSP'),
  c('c.sdsp', 'zca', Op.SD, 0xe002, 0xe003, 'C_SDSP'),
];
