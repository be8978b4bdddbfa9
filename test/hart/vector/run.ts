// Runs a generated vector program (gen.ts) on rvkvm's hart in M-mode: code, input and output blocks in RAM,
// ra pointing at a "j ." so the program's final ret ends the run.
import { GuestMemory, Hart } from '../../../src/hart/index.js';
import { expandExtensions } from '../../../src/isa/index.js';
import type { Program } from './gen.js';
import { RAM as TEST_RAM, encode, CSR_MTVEC, CSR_MSTATUS, CSR_MCAUSE, type Insn } from '../asm.js';

const RAM = 0x80000000;
const CODE = RAM + 0x10000, INPUT = RAM + 0x200000, OUT = RAM + 0x400000;

export function runOnHart(p: Program, vlen: number, jit = false): { out: Uint8Array; hart: Hart } {
  const mem = new GuestMemory({ maxRamBytes: 8 << 20 });
  mem.addRam(RAM, 8 << 20);
  const ram = mem.ram(RAM, 8 << 20);
  ram.set([0x6f, 0, 0, 0], 0); // j .
  ram.set(new Uint8Array(p.code.buffer, p.code.byteOffset, p.code.byteLength), CODE - RAM);
  ram.set(p.input, INPUT - RAM);
  const isa = expandExtensions(['i', 'm', 'a', 'f', 'd', 'c', 'zicsr', 'zifencei', 'v'], 64);
  const hart = new Hart({ memory: mem, isa, hartId: 0, clock: 'icount', jit, ...(jit ? { jitHot: 1 } : {}), vlen });
  hart.setPc(BigInt(CODE));
  hart.setX(1, BigInt(RAM)); hart.setX(10, BigInt(INPUT)); hart.setX(11, BigInt(OUT));
  for (let n = 0; n < 2000 && hart.getPc() !== BigInt(RAM); n++) hart.run(100_000);
  if (hart.getPc() !== BigInt(RAM)) throw new Error(`vector program did not finish (pc 0x${hart.getPc().toString(16)})`);
  return { out: mem.ram(OUT, p.outBytes).slice(), hart };
}

export const VECTOR_RAM_BYTES = 1 << 20;

/**
 * A hart for unit tests of vector instructions: the program at RAM (1 MiB), the trap vector at RAM + 0x800, RV64IMAFD
 * plus `ext`, VS = Initial unless vsOn is false.
 */
export function vectorHart(prog: Insn[], ext: string[] = ['v'], vlen = 128, vsOn = true): { h: Hart; mem: GuestMemory } {
  const mem = new GuestMemory({ maxRamBytes: VECTOR_RAM_BYTES });
  mem.addRam(TEST_RAM, VECTOR_RAM_BYTES);
  mem.ram(TEST_RAM, prog.length * 4 + 8).set(encode(prog));
  const h = new Hart({ memory: mem, isa: expandExtensions(['i', 'm', 'a', 'f', 'd', 'zicsr', ...ext], 64), hartId: 0, clock: 'icount', vlen });
  h.setPc(BigInt(TEST_RAM));
  h.setCsr(CSR_MTVEC, BigInt(TEST_RAM + 0x800));
  if (vsOn) h.setCsr(CSR_MSTATUS, 1n << 9n); // VS = Initial
  return { h, mem };
}

/** whether a vectorHart took the exception `cause` (it is at the trap vector) */
export const vectorTrapped = (h: Hart, cause: bigint): boolean => h.getPc() === BigInt(TEST_RAM + 0x800) && h.getCsr(CSR_MCAUSE) === cause;
