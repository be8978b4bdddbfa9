// RV64I base integer ISA: encodings. Its semantics are executed inline in the interpreter's switch (interp.ts)
// because they are the hot path; FENCE/ECALL/EBREAK are handled there too.
import { Op } from '../ops.js';
import type { InsnDef } from '../decode.js';
import { r, i, sh6, sh5, exact } from './enc.js';

const OP = 0x33, OPIMM = 0x13, OP32 = 0x3b, OPIMM32 = 0x1b, LOAD = 0x03, STORE = 0x23, BRANCH = 0x63;

export const encodings: InsnDef[] = [
  exact('lui', 'i', Op.LUI, 0x37, 0x7f, 'U'),
  exact('auipc', 'i', Op.AUIPC, 0x17, 0x7f, 'U'),
  exact('jal', 'i', Op.JAL, 0x6f, 0x7f, 'J'),
  i('jalr', 'i', Op.JALR, 0, 0x67),
  i('beq', 'i', Op.BEQ, 0, BRANCH, 'B'), i('bne', 'i', Op.BNE, 1, BRANCH, 'B'),
  i('blt', 'i', Op.BLT, 4, BRANCH, 'B'), i('bge', 'i', Op.BGE, 5, BRANCH, 'B'),
  i('bltu', 'i', Op.BLTU, 6, BRANCH, 'B'), i('bgeu', 'i', Op.BGEU, 7, BRANCH, 'B'),
  i('lb', 'i', Op.LB, 0, LOAD), i('lh', 'i', Op.LH, 1, LOAD), i('lw', 'i', Op.LW, 2, LOAD), i('ld', 'i', Op.LD, 3, LOAD),
  i('lbu', 'i', Op.LBU, 4, LOAD), i('lhu', 'i', Op.LHU, 5, LOAD), i('lwu', 'i', Op.LWU, 6, LOAD),
  i('sb', 'i', Op.SB, 0, STORE, 'S'), i('sh', 'i', Op.SH, 1, STORE, 'S'), i('sw', 'i', Op.SW, 2, STORE, 'S'), i('sd', 'i', Op.SD, 3, STORE, 'S'),
  i('addi', 'i', Op.ADDI, 0, OPIMM), i('slti', 'i', Op.SLTI, 2, OPIMM), i('sltiu', 'i', Op.SLTIU, 3, OPIMM),
  i('xori', 'i', Op.XORI, 4, OPIMM), i('ori', 'i', Op.ORI, 6, OPIMM), i('andi', 'i', Op.ANDI, 7, OPIMM),
  sh6('slli', 'i', Op.SLLI, 0x00, 1, OPIMM), sh6('srli', 'i', Op.SRLI, 0x00, 5, OPIMM), sh6('srai', 'i', Op.SRAI, 0x10, 5, OPIMM),
  r('add', 'i', Op.ADD, 0, 0, OP), r('sub', 'i', Op.SUB, 0x20, 0, OP), r('sll', 'i', Op.SLL, 0, 1, OP),
  r('slt', 'i', Op.SLT, 0, 2, OP), r('sltu', 'i', Op.SLTU, 0, 3, OP), r('xor', 'i', Op.XOR, 0, 4, OP),
  r('srl', 'i', Op.SRL, 0, 5, OP), r('sra', 'i', Op.SRA, 0x20, 5, OP), r('or', 'i', Op.OR, 0, 6, OP), r('and', 'i', Op.AND, 0, 7, OP),
  i('addiw', 'i', Op.ADDIW, 0, OPIMM32),
  sh5('slliw', 'i', Op.SLLIW, 0x00, 1, OPIMM32), sh5('srliw', 'i', Op.SRLIW, 0x00, 5, OPIMM32), sh5('sraiw', 'i', Op.SRAIW, 0x20, 5, OPIMM32),
  r('addw', 'i', Op.ADDW, 0, 0, OP32), r('subw', 'i', Op.SUBW, 0x20, 0, OP32), r('sllw', 'i', Op.SLLW, 0, 1, OP32),
  r('srlw', 'i', Op.SRLW, 0, 5, OP32), r('sraw', 'i', Op.SRAW, 0x20, 5, OP32),
  // FENCE (any pred/succ/fm; PAUSE and FENCE.TSO are encodings of it): a no-op on one in-order hart
  i('fence', 'i', Op.FENCE, 0, 0x0f, 'NONE'),
  exact('ecall', 'i', Op.ECALL, 0x00000073, 0xffffffff, 'NONE'),
  exact('ebreak', 'i', Op.EBREAK, 0x00100073, 0xffffffff, 'NONE'),
];
