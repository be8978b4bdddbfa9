// The part of the Hart contract (docs/architecture.md) the KVM layer uses. src/hart's Hart satisfies it
// structurally; spelling it out here keeps the dependency explicit and narrow.

export interface HartMmio {
  readonly addr: number;
  readonly size: 1 | 2 | 4 | 8;
  readonly isWrite: boolean;
  readonly data: Uint8Array;
}

/** A trap storm: the storm began with `cause` at `pc`; the handler at `vector` raises `vectorCause` itself. */
export interface HartTrapLoop {
  readonly pc: bigint;
  readonly cause: number;
  readonly interrupt: boolean;
  readonly vector: bigint;
  readonly vectorCause: number;
  readonly repeats: number;
}

import type { StateObject } from '../hart/snapshot.js';

export interface HartPort {
  /** the hart's whole state for a snapshot, and its restore (same ISA set and configuration; caches rebuilt) */
  saveState(): StateObject;
  loadState(s: StateObject): void;
  run(maxInstructions: number): number;
  readonly instret: number;
  /** instret plus traps entered: what run()'s budget counts, so a hart that only traps still uses it up */
  readonly workDone: number;
  /** non-null when the hart took the same exception at the same pc minRepeats times in a row, retiring nothing */
  trapLoop(minRepeats: number): HartTrapLoop | null;
  getPc(): bigint; setPc(v: bigint): void;
  getX(i: number): bigint; setX(i: number, v: bigint): void;
  getF(i: number): bigint; setF(i: number, v: bigint): void;
  getCsr(csr: number): bigint; setCsr(csr: number, v: bigint): void;
  /** vector registers (V): VLEN in bits, and register n as vlenb bytes */
  readonly vlen: number;
  getVectorReg(n: number): Uint8Array; setVectorReg(n: number, bytes: Uint8Array): void;
  getMode(): 0 | 1 | 3; setMode(m: 0 | 1 | 3): void;
  setIsa(isa: ReadonlySet<string>): void;
  /** Current guest time in timebase ticks (src/hart's Hart has it; the time CSR needs Zicntr, this does not). */
  readTime(): number;
  setInterruptPending(bit: number, level: boolean): void;
  flushTlb(): void;
  requestStop(): void;
  readonly mmio: HartMmio;
  completeMmio(): void;
  readonly trapCause: number;
  readonly trapTval: bigint;
  /** Debugger hooks: stop (hart exit Debug) before executing at these virtual pcs; MMU view without side effects. */
  setBreakpoints(pcs: readonly bigint[]): void;
  debugTranslate(va: bigint): number;
}

/** CSR numbers the KVM layer reads and writes (privileged spec). */
export const Csr = {
  fflags: 0x001, frm: 0x002, fcsr: 0x003,
  ssp: 0x011,
  sstatus: 0x100, sie: 0x104, stvec: 0x105, scounteren: 0x106, senvcfg: 0x10a, sstateen0: 0x10c,
  sscratch: 0x140, sepc: 0x141, scause: 0x142, stval: 0x143, sip: 0x144,
  stimecmp: 0x14d, satp: 0x180,
  time: 0xc01,
  menvcfg: 0x30a,
  vstart: 0x008, vcsr: 0x00f, vl: 0xc20, vtype: 0xc21, vlenb: 0xc22,
} as const;

/** Interrupt numbers (mip/sip bit positions). */
export const Irq = { SSI: 1, STI: 5, SEI: 9 } as const;

/** sstatus fields touched by KVM. */
export const SSTATUS_SIE = 1n << 1n;
export const SSTATUS_SPP = 1n << 8n;
export const SSTATUS_FS_SHIFT = 13n;
export const SSTATUS_FS_MASK = 3n << 13n;
export const FS_OFF = 0n;
export const FS_INITIAL = 1n;
export const SSTATUS_VS_SHIFT = 9n;
export const SSTATUS_VS_MASK = 3n << 9n;
