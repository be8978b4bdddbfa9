// Instruction decoding from declarative tables (name, match, mask, operand format, extension), like QEMU's
// decodetree or Spike's opcode list. Every extension file exports its table; the Decoder keeps only the rows whose
// extension is in the hart's ISA, so anything else decodes as ILLEGAL.
//
// Decoded form (what the per-page decode cache stores): word0 = op | 2*rd<<10 | 2*rs1<<17 | 2*rs2<<24 | (len==2)<<31
// (register numbers pre-doubled: they index lo/hi int32 pairs directly),
// word1 = immediate (sign-extended as the format says), word2 = raw instruction bits.
// An integer rd of x0 is redirected to the scratch register 32, so the interpreter never tests rd == 0.
import { Op } from './ops.js';

export type Fmt =
  | 'R' | 'I' | 'S' | 'B' | 'U' | 'J' | 'SH6' | 'SH5' | 'CSR' | 'NONE' | 'R4'
  // compressed formats: how fields and immediates are scattered in the 16-bit word
  | 'C_ADDI4SPN' | 'C_LW' | 'C_LD' | 'C_SW' | 'C_SD' | 'C_ADDI' | 'C_LI' | 'C_ADDI16SP' | 'C_LUI'
  | 'C_SHIFT' | 'C_ANDI' | 'C_ALU' | 'C_J' | 'C_JAL' | 'C_BZ' | 'C_SLLI' | 'C_LWSP' | 'C_LDSP' | 'C_SWSP' | 'C_SDSP'
  | 'C_JR' | 'C_JALR' | 'C_MV' | 'C_ADD' | 'C_LBU' | 'C_LH' | 'C_SB' | 'C_SH' | 'C_UNARY' | 'C_NOT' | 'C_ZEXTB' | 'C_NONE';

export interface InsnDef {
  name: string;
  /** extension(s) that must all be in the ISA, '+'-separated (e.g. 'zcb+zbb') */
  ext: string;
  match: number;
  mask: number;
  fmt: Fmt;
  op: Op;
  /** rd names an FP register (so x0 redirection does not apply) */
  frd?: boolean;
  /** extra validity rule (reserved encodings that match/mask cannot express) */
  valid?: (insn: number) => boolean;
}

export const X_SCRATCH = 32;

const bits = (v: number, hi: number, lo: number): number => (v >>> lo) & ((1 << (hi - lo + 1)) - 1);
const sext = (v: number, width: number): number => (v << (32 - width)) >> (32 - width);

/** Fields of a decoded instruction before packing. */
interface Fields { rd: number; rs1: number; rs2: number; imm: number }
const f: Fields = { rd: 0, rs1: 0, rs2: 0, imm: 0 };

function extract(fmt: Fmt, i: number): void {
  f.rd = 0; f.rs1 = 0; f.rs2 = 0; f.imm = 0;
  switch (fmt) {
    case 'R': case 'R4': f.rd = bits(i, 11, 7); f.rs1 = bits(i, 19, 15); f.rs2 = bits(i, 24, 20); break;
    case 'I': f.rd = bits(i, 11, 7); f.rs1 = bits(i, 19, 15); f.imm = i >> 20; break;
    case 'S': f.rs1 = bits(i, 19, 15); f.rs2 = bits(i, 24, 20); f.imm = ((i >> 25) << 5) | bits(i, 11, 7); break;
    case 'B':
      f.rs1 = bits(i, 19, 15); f.rs2 = bits(i, 24, 20);
      f.imm = ((i >> 31) << 12) | (bits(i, 7, 7) << 11) | (bits(i, 30, 25) << 5) | (bits(i, 11, 8) << 1);
      break;
    case 'U': f.rd = bits(i, 11, 7); f.imm = i & 0xfffff000; break;
    case 'J':
      f.rd = bits(i, 11, 7);
      f.imm = ((i >> 31) << 20) | (bits(i, 19, 12) << 12) | (bits(i, 20, 20) << 11) | (bits(i, 30, 21) << 1);
      break;
    case 'SH6': f.rd = bits(i, 11, 7); f.rs1 = bits(i, 19, 15); f.imm = bits(i, 25, 20); break;
    case 'SH5': f.rd = bits(i, 11, 7); f.rs1 = bits(i, 19, 15); f.imm = bits(i, 24, 20); break;
    case 'CSR': f.rd = bits(i, 11, 7); f.rs1 = bits(i, 19, 15); f.imm = bits(i, 31, 20); break;
    case 'NONE': break;
    // ---- compressed (rd'/rs' are x8..x15) ----
    case 'C_ADDI4SPN':
      f.rd = 8 + bits(i, 4, 2); f.rs1 = 2;
      f.imm = (bits(i, 12, 11) << 4) | (bits(i, 10, 7) << 6) | (bits(i, 6, 6) << 2) | (bits(i, 5, 5) << 3);
      break;
    case 'C_LW': f.rd = 8 + bits(i, 4, 2); f.rs1 = 8 + bits(i, 9, 7); f.imm = (bits(i, 12, 10) << 3) | (bits(i, 6, 6) << 2) | (bits(i, 5, 5) << 6); break;
    case 'C_LD': f.rd = 8 + bits(i, 4, 2); f.rs1 = 8 + bits(i, 9, 7); f.imm = (bits(i, 12, 10) << 3) | (bits(i, 6, 5) << 6); break;
    case 'C_SW': f.rs2 = 8 + bits(i, 4, 2); f.rs1 = 8 + bits(i, 9, 7); f.imm = (bits(i, 12, 10) << 3) | (bits(i, 6, 6) << 2) | (bits(i, 5, 5) << 6); break;
    case 'C_SD': f.rs2 = 8 + bits(i, 4, 2); f.rs1 = 8 + bits(i, 9, 7); f.imm = (bits(i, 12, 10) << 3) | (bits(i, 6, 5) << 6); break;
    case 'C_ADDI': f.rd = bits(i, 11, 7); f.rs1 = f.rd; f.imm = sext((bits(i, 12, 12) << 5) | bits(i, 6, 2), 6); break;
    case 'C_LI': f.rd = bits(i, 11, 7); f.rs1 = 0; f.imm = sext((bits(i, 12, 12) << 5) | bits(i, 6, 2), 6); break;
    case 'C_ADDI16SP':
      f.rd = 2; f.rs1 = 2;
      f.imm = sext((bits(i, 12, 12) << 9) | (bits(i, 6, 6) << 4) | (bits(i, 5, 5) << 6) | (bits(i, 4, 3) << 7) | (bits(i, 2, 2) << 5), 10);
      break;
    case 'C_LUI': f.rd = bits(i, 11, 7); f.imm = sext((bits(i, 12, 12) << 17) | (bits(i, 6, 2) << 12), 18); break;
    case 'C_SHIFT': f.rd = 8 + bits(i, 9, 7); f.rs1 = f.rd; f.imm = (bits(i, 12, 12) << 5) | bits(i, 6, 2); break;
    case 'C_ANDI': f.rd = 8 + bits(i, 9, 7); f.rs1 = f.rd; f.imm = sext((bits(i, 12, 12) << 5) | bits(i, 6, 2), 6); break;
    case 'C_ALU': f.rd = 8 + bits(i, 9, 7); f.rs1 = f.rd; f.rs2 = 8 + bits(i, 4, 2); break;
    case 'C_J': case 'C_JAL':
      f.rd = fmt === 'C_J' ? 0 : 1;
      f.imm = sext((bits(i, 12, 12) << 11) | (bits(i, 11, 11) << 4) | (bits(i, 10, 9) << 8) | (bits(i, 8, 8) << 10) |
        (bits(i, 7, 7) << 6) | (bits(i, 6, 6) << 7) | (bits(i, 5, 3) << 1) | (bits(i, 2, 2) << 5), 12);
      break;
    case 'C_BZ':
      f.rs1 = 8 + bits(i, 9, 7); f.rs2 = 0;
      f.imm = sext((bits(i, 12, 12) << 8) | (bits(i, 11, 10) << 3) | (bits(i, 6, 5) << 6) | (bits(i, 4, 3) << 1) | (bits(i, 2, 2) << 5), 9);
      break;
    case 'C_SLLI': f.rd = bits(i, 11, 7); f.rs1 = f.rd; f.imm = (bits(i, 12, 12) << 5) | bits(i, 6, 2); break;
    case 'C_LWSP': f.rd = bits(i, 11, 7); f.rs1 = 2; f.imm = (bits(i, 12, 12) << 5) | (bits(i, 6, 4) << 2) | (bits(i, 3, 2) << 6); break;
    case 'C_LDSP': f.rd = bits(i, 11, 7); f.rs1 = 2; f.imm = (bits(i, 12, 12) << 5) | (bits(i, 6, 5) << 3) | (bits(i, 4, 2) << 6); break;
    case 'C_SWSP': f.rs2 = bits(i, 6, 2); f.rs1 = 2; f.imm = (bits(i, 12, 9) << 2) | (bits(i, 8, 7) << 6); break;
    case 'C_SDSP': f.rs2 = bits(i, 6, 2); f.rs1 = 2; f.imm = (bits(i, 12, 10) << 3) | (bits(i, 9, 7) << 6); break;
    case 'C_JR': f.rd = 0; f.rs1 = bits(i, 11, 7); break;
    case 'C_JALR': f.rd = 1; f.rs1 = bits(i, 11, 7); break;
    case 'C_MV': f.rd = bits(i, 11, 7); f.rs1 = 0; f.rs2 = bits(i, 6, 2); break;
    case 'C_ADD': f.rd = bits(i, 11, 7); f.rs1 = f.rd; f.rs2 = bits(i, 6, 2); break;
    case 'C_LBU': f.rd = 8 + bits(i, 4, 2); f.rs1 = 8 + bits(i, 9, 7); f.imm = (bits(i, 5, 5) << 1) | bits(i, 6, 6); break;
    case 'C_LH': f.rd = 8 + bits(i, 4, 2); f.rs1 = 8 + bits(i, 9, 7); f.imm = bits(i, 5, 5) << 1; break;
    case 'C_SB': f.rs2 = 8 + bits(i, 4, 2); f.rs1 = 8 + bits(i, 9, 7); f.imm = (bits(i, 5, 5) << 1) | bits(i, 6, 6); break;
    case 'C_SH': f.rs2 = 8 + bits(i, 4, 2); f.rs1 = 8 + bits(i, 9, 7); f.imm = bits(i, 5, 5) << 1; break;
    case 'C_UNARY': f.rd = 8 + bits(i, 9, 7); f.rs1 = f.rd; break;
    case 'C_NOT': f.rd = 8 + bits(i, 9, 7); f.rs1 = f.rd; f.imm = -1; break;
    case 'C_ZEXTB': f.rd = 8 + bits(i, 9, 7); f.rs1 = f.rd; f.imm = 255; break;
    case 'C_NONE': break;
  }
}

function popcount(v: number): number {
  let c = 0;
  for (let x = v >>> 0; x; x &= x - 1) c++;
  return c;
}

/** Decoder for one ISA: per major opcode (or compressed quadrant+funct3), candidate rows, most specific first. */
export class Decoder {
  private readonly wide: InsnDef[][] = []; // index: opcode bits 6:2
  private readonly narrow: InsnDef[][] = []; // index: (funct3 << 2) | quadrant
  readonly hasCompressed: boolean;

  constructor(defs: readonly InsnDef[], isa: ReadonlySet<string>) {
    for (let k = 0; k < 32; k++) { this.wide.push([]); this.narrow.push([]); }
    for (const d of defs) {
      if (!d.ext.split('+').every((e) => isa.has(e))) continue;
      if ((d.match & 3) === 3) this.wide[(d.match >>> 2) & 31]!.push(d);
      else this.narrow[(((d.match >>> 13) & 7) << 2) | (d.match & 3)]!.push(d);
    }
    const bySpecificity = (a: InsnDef, b: InsnDef): number => popcount(b.mask) - popcount(a.mask);
    for (const l of this.wide) l.sort(bySpecificity);
    for (const l of this.narrow) l.sort(bySpecificity);
    this.hasCompressed = isa.has('zca');
  }

  /** Decode one instruction into out[at..at+2]; returns its def (or undefined when illegal). */
  decode(insn: number, out: Int32Array, at: number): InsnDef | undefined {
    const compressed = (insn & 3) !== 3;
    const list = compressed
      ? (this.hasCompressed ? this.narrow[(((insn >>> 13) & 7) << 2) | (insn & 3)]! : [])
      : this.wide[(insn >>> 2) & 31]!;
    if (compressed) insn &= 0xffff;
    for (const d of list) {
      if (((insn & d.mask) >>> 0) !== (d.match >>> 0)) continue;
      if (d.valid && !d.valid(insn)) continue;
      extract(d.fmt, insn);
      let rd = f.rd;
      if (rd === 0 && !d.frd) rd = X_SCRATCH;
      out[at] = d.op | (rd << 11) | (f.rs1 << 18) | (f.rs2 << 25) | (compressed ? 1 << 31 : 0);
      out[at + 1] = f.imm;
      out[at + 2] = insn;
      return d;
    }
    out[at] = Op.ILLEGAL | (compressed ? 1 << 31 : 0);
    out[at + 1] = 0;
    out[at + 2] = insn;
    return undefined;
  }
}
