// Element access for vector loads and stores through the hart's data TLB (mmu.ts), and the trap signal test
// fault-only-first loads need. Kept beside the vector unit so the MMU stays the hart's own.
import type { Hart } from '../hart.js';
import { TRAP, ACC_LOAD, ACC_STORE, TLB_MASK, PAGE_MASK } from '../defs.js';
import { CAUSE } from '../csr.js';
import { fillTlb, physFor } from '../mmu.js';

/** Whether e is the hart's trap signal (raise() threw it): vector fault-only-first loads catch it. */
export function isTrapSignal(e: unknown): boolean {
  return e === TRAP;
}

/**
 * Host offset of one vector element access in RAM (size bytes at virtual lo/hi), through the data TLB; raises
 * page and access faults (MMIO is an access fault for vector accesses). -1 when the access crosses a page:
 * the caller then accesses it byte by byte. A run of several elements names its element size: with the hart's
 * misaligned: 'trap', an element not aligned to it raises address-misaligned (its first one, the restart point).
 */
export function vecAccess(h: Hart, lo: number, hi: number, size: number, write: boolean, elementBytes = size): number {
  if ((lo & h.alignTrap & (elementBytes - 1)) !== 0) h.raise(write ? CAUSE.STORE_MISALIGNED : CAUSE.LOAD_MISALIGNED, lo, hi);
  const po = lo & 0xfff;
  if (po + size > 4096) return -1;
  const acc = write ? ACC_STORE : ACC_LOAD;
  const idx = (lo >>> 12) & TLB_MASK;
  const tag = h.tlbTag[acc]!;
  let host: number;
  if (tag[2 * idx] === (lo & PAGE_MASK) && tag[2 * idx + 1] === hi) host = h.tlbOff[acc]![idx]!;
  else {
    host = fillTlb(h, lo, hi, acc);
    if (host < 0) { physFor(h, lo, hi, acc); h.raise(write ? CAUSE.STORE_ACCESS : CAUSE.LOAD_ACCESS, lo, hi); }
  }
  if (write && h.mem.codePage[host >>> 12] !== 0) h.mem.invalidateHostPage(host >>> 12);
  return host + po;
}
