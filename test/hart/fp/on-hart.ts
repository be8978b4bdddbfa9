// Runs F/D/Zfh instructions on the software hart itself, interpreted or translated to WebAssembly (jitHot 0: the loop
// below is translated before its second iteration), so the oracle and reference tests check the instructions
// the guest executes and not only the library behind them. One guest loop per batch: per case it sets frm, clears
// fflags, loads the operands from memory (fld / flw / ld), executes the instruction, stores the result register
// and fflags. The instruction word comes from the ISA tables (src/hart/ext/fd.ts, zfh.ts) by its name.
import assert from 'node:assert/strict';
import { GuestMemory, Hart } from '../../../src/hart/index.js';
import { encodings as fdEncodings } from '../../../src/hart/ext/fd.js';
import { encodings as zfhEncodings } from '../../../src/hart/ext/zfh.js';
import { RAM, I, S, B, J, encode, isaSet, addi, ld, sd, csrrw, csrrs, type Insn } from '../asm.js';

export type Shape = 'D2' | 'D1' | 'D3' | 'XDD' | 'XD' | 'DX' | 'S2' | 'S1' | 'S3' | 'XSS' | 'XS' | 'SX'
  | 'H2' | 'H1' | 'H3' | 'XHH' | 'XH' | 'HX';
export interface HartCase { a: bigint; b: bigint; c: bigint; rm: number }
export interface HartRun { results: bigint[]; flags: number[]; translated: number }

const ISA = 'i m a f d c zca zcd zicsr zifencei zicntr zfhmin zfh zfa';
const CSR_FFLAGS = 1, CSR_FRM = 2, CSR_MSTATUS = 0x300;
const DATA = RAM + 0x10000, CASE_BYTES = 48;
const T0 = 5, T1 = 6, T2 = 7, T3 = 28, A0 = 10, A1 = 11;

/** the instruction word of `insn` with rd, rs1, rs2, rs3 and the rounding-mode field rm (7 = dynamic) */
export function fpWord(insn: string, rd: number, rs1: number, rs2: number, rs3: number, rm: number): number {
  const e = [...fdEncodings, ...zfhEncodings].find((x) => x.name === insn);
  if (!e) throw new Error(`no encoding named ${insn}`);
  let w = e.match | (rd << 7) | (rs1 << 15);
  if ((e.mask & 0x01f00000) === 0) w |= rs2 << 20;
  if ((e.mask & 0xf8000000) === 0) w |= rs3 << 27;
  if ((e.mask & 0x7000) === 0) w |= rm << 12;
  return w >>> 0;
}

const flw = (rd: number, rs1: number, imm: number): number => I(imm, rs1, 2, rd, 0x07);
const fld = (rd: number, rs1: number, imm: number): number => I(imm, rs1, 3, rd, 0x07);
const fsd = (rs2: number, rs1: number, imm: number): number => S(imm, rs2, rs1, 3, 0x27);

/**
 * Run `insn` of `shape` on every case, interpreted or translated. staticRm: the case's rounding mode goes into the
 * instruction (one batch per mode) instead of frm with the dynamic mode. fflagsIn: fflags before each case (0..31).
 * The result is the 64-bit register the instruction wrote (f registers NaN-boxed), and fflags.
 */
export function runOnHart(insn: string, shape: Shape, cases: readonly HartCase[], jit: boolean, staticRm = false, fflagsIn = 0): HartRun {
  const results = new Array<bigint>(cases.length), flags = new Array<number>(cases.length);
  let translated = 0;
  const groups = staticRm ? [0, 1, 2, 3, 4] : [7];
  for (const g of groups) {
    const idx = cases.map((_, k) => k).filter((k) => g === 7 || cases[k]!.rm === g);
    if (idx.length === 0) continue;
    const intIn = shape === 'DX' || shape === 'SX' || shape === 'HX';
    const xOut = shape[0] === 'X';
    const load = (shape.startsWith('S') && shape !== 'SX') || shape === 'XSS' || shape === 'XS' ? flw : fld;
    const nOps = shape.endsWith('3') ? 3 : shape.endsWith('2') || shape === 'XDD' || shape === 'XSS' || shape === 'XHH' ? 2 : 1;
    // binary16 operands of 16 bits are NaN-boxed here (wider values go in as they are: improperly boxed ones)
    const half = shape.startsWith('H') && shape !== 'HX' || shape === 'XHH' || shape === 'XH';
    const body: Insn[] = [ld(T2, A0, 24), csrrw(0, CSR_FRM, T2), I(CSR_FFLAGS, fflagsIn, 5, 0, 0x73)] // ld t2, rm; csrw frm, t2; csrwi fflags, fflagsIn;
    if (intIn) body.push(ld(T0, A0, 0));
    else for (let k = 0; k < nOps; k++) body.push(load(1 + k, A0, 8 * k));
    body.push(fpWord(insn, xOut ? T1 : 4, intIn ? T0 : 1, 2, 3, g));
    body.push(xOut ? sd(T1, A0, 32) : fsd(4, A0, 32));
    body.push(csrrs(T3, CSR_FFLAGS, 0), sd(T3, A0, 40), addi(A0, A0, CASE_BYTES), addi(A1, A1, -1));
    body.push(B(-4 * body.length, 0, A1, 1)); // bne a1, x0, loop
    // FS = Initial: the first FP write makes it dirty (both modes must agree on that too)
    const prog: Insn[] = [0x000022b7, csrrs(0, CSR_MSTATUS, T0), ...body, J(0, 0)]; // lui t0, 2 (0x2000); csrs mstatus, t0
    const mem = new GuestMemory({ maxRamBytes: 8 << 20 });
    mem.addRam(RAM, 8 << 20);
    const code = encode(prog);
    mem.ram(RAM, code.length).set(code);
    const data = mem.ram(DATA, idx.length * CASE_BYTES);
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    idx.forEach((k, j) => {
      const cs = cases[k]!, at = j * CASE_BYTES;
      const box = (v: bigint): bigint => (load === flw ? v | 0xffffffff00000000n : half && v < 0x10000n ? v | 0xffffffffffff0000n : v);
      dv.setBigUint64(at, BigInt.asUintN(64, box(cs.a)), true);
      dv.setBigUint64(at + 8, BigInt.asUintN(64, box(cs.b)), true);
      dv.setBigUint64(at + 16, BigInt.asUintN(64, box(cs.c)), true);
      dv.setBigUint64(at + 24, BigInt(cs.rm), true);
    });
    const hart = new Hart({ memory: mem, isa: isaSet(ISA), hartId: 0, clock: 'icount', jit, jitHot: 0 });
    hart.setPc(BigInt(RAM));
    hart.setX(A0, BigInt(DATA));
    hart.setX(A1, BigInt(idx.length));
    const total = 2 + idx.length * body.length;
    hart.run(1); // the page is entered (and translated, with jitHot 0) when the next run starts
    for (let guard = 0; hart.instret < total && guard < 1_000_000; guard++) hart.run(total - hart.instret);
    assert.equal(hart.getPc(), BigInt(RAM + 4 * (2 + body.length)), `${insn}: the batch loop did not finish (pc ${hart.getPc().toString(16)})`);
    const out = mem.ram(DATA, idx.length * CASE_BYTES);
    const ov = new DataView(out.buffer, out.byteOffset, out.byteLength);
    idx.forEach((k, j) => {
      results[k] = ov.getBigUint64(j * CASE_BYTES + 32, true);
      flags[k] = Number(ov.getBigUint64(j * CASE_BYTES + 40, true));
    });
    assert.equal(hart.getCsr(CSR_MSTATUS) & 0x6000n, 0x6000n, `${insn}: FS must be dirty after FP writes`);
    translated += hart.jitStats.instructions;
  }
  return { results, flags, translated };
}
