// A warm-up of the interpreter loop (interp.ts runSlice), run once per process before the first real hart runs
// (or, with HartOptions.warmupAfter, once a hart has retired that many instructions).
// runSlice is one large function that V8 optimizes early (it loops), and an optimized function that reaches code
// it has never run before (no type feedback there: an op the guest had not used yet, the first trap, the first
// MMIO load, the first store into a code page) is deoptimized and later optimized again: on the Debian boot that
// happened 17-25 times, each a TurboFan compile of the whole loop. This program runs every case of the loop's
// switch, its traps, slow paths and its entry into translated code once, on a scratch hart of its own, so the
// first optimization already knows them all.
import { GuestMemory } from './memory.js';
import { Exit } from './defs.js';
import type { Hart } from './hart.js';

const RAM = 0x80000000;
const MMIO = 0x7fff0000;

const R = (f7: number, rs2: number, rs1: number, f3: number, rd: number, op: number): number =>
  ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const I = (imm: number, rs1: number, f3: number, rd: number, op: number): number =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const S = (imm: number, rs2: number, rs1: number, f3: number): number =>
  ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 31) << 7) | 0x23) >>> 0;
const B = (imm: number, rs2: number, rs1: number, f3: number): number =>
  ((((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
    (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | 0x63) >>> 0;
const U = (imm20: number, rd: number, op: number): number => (((imm20 & 0xfffff) << 12) | (rd << 7) | op) >>> 0;
const J = (imm: number, rd: number): number =>
  ((((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) | (((imm >> 12) & 0xff) << 12) | (rd << 7) | 0x6f) >>> 0;

/** the program: x10 = data (RAM + 0x2000), x11 = the MMIO window, x12 = loop count; traps return past the insn
 *  (the handler is M-mode and returns with mret) */
function program(): number[] {
  const p: number[] = [];
  p.push(U(2, 10, 0x17)); // auipc x10, 2
  p.push(U(-16, 11, 0x17)); // auipc x11, -16: MMIO (RAM - 0x10000)
  const setVector = p.length;
  p.push(U(0, 5, 0x17), 0, I(0x305, 5, 1, 0, 0x73)); // mtvec = handler (the addi is patched below)
  p.push(I(4, 0, 0, 12, 0x13)); // x12 = 4 rounds
  const loop = p.length;
  // ALU register-register and immediate forms the switch has inline
  for (const [f7, f3] of [[0, 0], [0x20, 0], [0, 1], [0, 2], [0, 3], [0, 4], [0, 5], [0x20, 5], [0, 6], [0, 7], [1, 0]]) p.push(R(f7!, 12, 10, f3!, 13, 0x33));
  for (const [f7, f3] of [[0, 0], [0x20, 0], [0, 1], [0, 5], [0x20, 5], [1, 0]]) p.push(R(f7!, 12, 10, f3!, 14, 0x3b));
  for (const f3 of [0, 2, 3, 4, 6, 7]) p.push(I(-5, 10, f3, 15, 0x13));
  p.push(I(3, 10, 1, 15, 0x13), I(3, 10, 5, 15, 0x13), I(0x403, 10, 5, 15, 0x13)); // slli srli srai
  p.push(I(7, 10, 0, 16, 0x1b), I(3, 10, 1, 16, 0x1b), I(3, 10, 5, 16, 0x1b), I(0x403, 10, 5, 16, 0x1b)); // *w
  p.push(U(0x12345, 17, 0x37), I(0, 0, 0, 0, 0x0f)); // lui, fence
  // loads and stores of every size (a TLB miss the first time), an MMIO load and store, a store into this page
  for (const f3 of [0, 1, 2, 3, 4, 5, 6]) p.push(I(8, 10, f3, 18, 0x03));
  for (const f3 of [0, 1, 2, 3]) p.push(S(16, 13, 10, f3));
  p.push(I(0, 11, 3, 19, 0x03), I(0, 11, 2, 19, 0x03), I(0, 11, 0, 19, 0x03), S(0, 19, 11, 3), S(0, 19, 11, 0));
  p.push(U(-32, 23, 0x17), I(0, 23, 3, 19, 0x03)); // a load from the window with no handler: an MMIO exit
  p.push(I(0, 0, 3, 0, 0x03)); // ld from address 0: an access fault (in translated code too, from round 2 on)
  const storeCode = p.length;
  p.push(U(0, 20, 0x17), 0, 0); // auipc x20, 0; sw and sb x0 into the data word after the handler (patched below)
  // branches both ways, a call and a return, then the traps (illegal, ecall, ebreak) and a CSR read
  for (const f3 of [0, 1, 4, 5, 6, 7]) p.push(B(8, 12, 10, f3), I(1, 21, 0, 21, 0x13));
  p.push(J(8, 1), J(8, 0), I(0, 1, 0, 0, 0x67), 0); // jal x1, +8; j +8; jalr x0, 0(x1); illegal (c.unimp x2)
  p.push(0x00000073, 0x00100073, I(0xc00, 0, 2, 22, 0x73)); // ecall, ebreak, rdcycle
  p.push(I(-1, 12, 0, 12, 0x13), B((loop - p.length) * 4, 0, 12, 1)); // addi x12, -1; bnez loop
  p.push(J(0, 0)); // done: spin
  const handler = p.length;
  p.push(I(0x341, 0, 2, 5, 0x73), I(4, 5, 0, 5, 0x13), I(0x341, 5, 1, 0, 0x73), 0x30200073); // mepc += 4; mret
  const data = p.length;
  p.push(0);
  p[setVector + 1] = I(4 * (handler - setVector), 5, 0, 5, 0x13);
  p[storeCode + 1] = S(4 * (data - storeCode), 0, 20, 2);
  p[storeCode + 2] = S(4 * (data - storeCode), 0, 20, 0);
  return p;
}

let warmed = false;
/** whether this process has run the warm-up */
export const warmedUp = (): boolean => warmed;

/** Runs the program once per process (about 2000 instructions and two small translations, a few ms; but V8 then
 *  optimizes runSlice on a background thread, which a short process waits for at exit: see HartOptions.warmupAfter). */
export function warmInterpreter(HartClass: typeof Hart): void {
  if (warmed) return;
  warmed = true;
  runWarmup(HartClass);
}

/** What the warm-up did, per mode (for its test): where it ended, its loop counter, MMIO exits, translations. */
export interface WarmupRun { mode: number; pc: bigint; rounds: bigint; mmioExits: number; translations: number }

export function runWarmup(HartClass: typeof Hart): WarmupRun[] {
  const prog = program();
  const mem = new GuestMemory({ maxRamBytes: 64 << 10 });
  mem.addRam(RAM, 64 << 10);
  mem.addMmio(MMIO, 4096, { read: () => 0, write: () => {} });
  mem.addMmio(MMIO - 0x10000, 4096);
  const bytes = mem.ram(RAM, prog.length * 4);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  prog.forEach((w, k) => dv.setUint32(4 * k, w, true));
  const isa = new Set(['i', 'm', 'a', 'f', 'd', 'c', 'zca', 'zcd', 'zicsr', 'zifencei', 'zicntr']);
  const h = new HartClass({ memory: mem, isa, hartId: 0, clock: 'icount', jit: true, jitHot: 200 });
  const out: WarmupRun[] = [];
  // in M-mode, then again in S-mode (ecall from S; csrw mtvec and rdcycle trap there, the handler skips them)
  for (const mode of [3, 1] as const) {
    h.setPc(BigInt(RAM)); h.setMode(mode);
    let mmioExits = 0;
    for (let k = 0; k < 8; k++) if (h.run(97) === Exit.Mmio) { h.completeMmio(); mmioExits++; }
    out.push({ mode, pc: h.getPc(), rounds: h.getX(12), mmioExits, translations: h.jitStats.pages });
  }
  return out;
}

/** the address of the program's final spin (for the test) */
export const WARMUP_END = BigInt(RAM + 4 * (program().length - 6)); // before the handler (4) and the data word
