// Constants the hart's modules share (hart.ts: state and API; interp.ts: the interpreter loop; csrfile.ts: the CSR
// file; trap.ts: traps and interrupts; mmu.ts: address translation and the slow memory paths). They are plain
// module constants so V8 folds them into the hot code of every module alike.
import { TLB_ENTRIES } from './memory.js';

/** Debug: the next instruction is at a debugger breakpoint (setBreakpoints); it has not executed. */
export const Exit = { Budget: 0, Mmio: 1, MachineTrap: 2, Wfi: 3, Stopped: 4, Debug: 5 } as const;
export type Exit = (typeof Exit)[keyof typeof Exit];

export class HartError extends Error {
  override name = 'HartError';
}

/** thrown (never allocated again) to unwind to the run loop when an instruction traps or needs an MMIO exit */
export const TRAP = { kind: 'trap' };
export const MMIO_EXIT = { kind: 'mmio' };
export const DEBUG_EXIT = { kind: 'debug' };

export const TLB_SIZE = TLB_ENTRIES;
export const TLB_MASK = TLB_SIZE - 1;
// Decoded page layout (one Int32Array per 4 KiB host page, indexed by page offset po, which is even): the hot
// words [po] = packed op word, [po + 1] = immediate (decode.ts words 0 and 1) fill the first half, so the run loop
// touches 8 bytes per 2 bytes of code; the cold words [RAW_BASE + po] = raw instruction bits and
// [RAW_BASE + po + 1] = retired count (profile/trace) fill the second half.
export const RAW_BASE = 4096;
export const PAGE_MASK = ~0xfff;
export const PWC_SIZE = 64, PWC_MASK = PWC_SIZE - 1;
export const TWO32 = 4294967296;
export const MAX_PHYS = 2 ** 53;

// out-of-line flags (Hart.flags): the run loop leaves its inner loop when any is set after an out-of-line op
export const F_REDIRECT = 1; // exec set pcLo/pcHi
export const F_BREAK = 2; // re-check interrupts / TLB / fetch page
export const F_WFI = 4;

export const ACC_FETCH = 0, ACC_LOAD = 1, ACC_STORE = 2;

// Hart.instrument bits
export const INSTR_COUNT = 1, INSTR_TRACE = 2;

// pending-MMIO load destinations
export const DEST_X = 0, DEST_F32 = 1, DEST_F64 = 2, DEST_F16 = 3;

// A translated page is translated again once the interpreter has decoded this many new instructions in it
// (doubling each time); its old translation runs until the new one is installed (Hart.retranslateJit). A profiled
// translation is dropped instead, and made again after a quarter of JIT_HOT instructions.
export const JIT_RETRANSLATE = 16;

export function pairToBig(lo: number, hi: number): bigint {
  return BigInt.asUintN(64, (BigInt(hi | 0) << 32n) | BigInt(lo >>> 0));
}
