// Zihpm and Sscofpmf: mhpmcounter3..31 counting the events their mhpmevent selects, per privilege mode, with
// the overflow bit and the local counter overflow interrupt (LCOFI, mip bit 13), scountovf and mcountinhibit.
//
// Nothing is counted per instruction. The hart already counts retired instructions, and notes the retired
// count at every privilege change (Hart.noteModeLeave: trap entry, xRET, setMode); those notes add up the
// instructions retired in each of the five mode classes (U, S, VS, M, VU). A counter's value is its value at
// the last sync plus the instructions retired since then in the classes it does not inhibit. The run loop
// bounds each slice by the smallest distance to an overflow (an event count never exceeds the instructions
// retired, so the bound is conservative) and syncs after it, so OF and LCOFIP are set when the counter wraps,
// and the interrupt is taken before the next instruction. With no counter active the run loop does nothing more.
//
// Event encoding (mhpmevent bits 55:0; WARL, any other value reads back 0 = no event, counter holds still):
//   1 = cycles, 2 = instructions retired (the SBI PMU hardware event codes SBI_PMU_HW_CPU_CYCLES and
//   SBI_PMU_HW_INSTRUCTIONS). rvkvm's hart retires one instruction per cycle (mcycle = minstret - offset),
//   so the two count the same thing; both are offered so that software selecting either gets a counter.
// mhpmevent bits 63 OF, 62 MINH, 61 SINH, 60 UINH, 59 VSINH, 58 VUINH (the last two with H only).
import type { Hart } from './hart.js';
import { TWO32 } from './defs.js';

export const HPM_EVENT_CYCLES = 1, HPM_EVENT_INSTRET = 2;
/** high-word bits of mhpmevent */
export const HPM_OF = 1 << 31, HPM_MINH = 1 << 30, HPM_SINH = 1 << 29, HPM_UINH = 1 << 28, HPM_VSINH = 1 << 27, HPM_VUINH = 1 << 26;
/** the inhibit bit of each mode class (index: 0 U, 1 S, 2 VS, 3 M, 4 VU) */
const CLASS_INHIBIT = [HPM_UINH, HPM_SINH, HPM_VSINH, HPM_MINH, HPM_VUINH];
export const LCOFI_BIT = 1 << 13;

/** Per-hart counter state (not touched by translated code, so plain arrays). */
export class HpmState {
  /** mhpmevent k: event selector (bits 31:0; the hart keeps only 0, 1, 2) and high word (OF and inhibits) */
  readonly eventLo = new Int32Array(32);
  readonly eventHi = new Int32Array(32);
  /** value at the last sync (unsigned halves) */
  readonly valLo = new Float64Array(32);
  readonly valHi = new Float64Array(32);
  /** counted(k) at the last sync */
  readonly countedAt = new Float64Array(32);
  /** instructions retired in each mode class up to Hart.modeSince */
  readonly classRetired = new Float64Array(5);
  /** bit k: counter k counts (an event is selected and mcountinhibit bit k is clear) */
  active = 0;
}

/** the mode class of the hart now */
export function modeClass(h: Hart): number {
  return h.virt !== 0 ? (h.mode === 0 ? 4 : 2) : h.mode;
}

/** instructions counter k has counted since power-on under its current inhibit bits (exact below 2^53) */
function counted(h: Hart, k: number): number {
  const s = h.hpm, inh = s.eventHi[k]!, cur = modeClass(h);
  let n = 0;
  for (let c = 0; c < 5; c++) {
    if ((inh & CLASS_INHIBIT[c]!) !== 0) continue;
    n += s.classRetired[c]!;
    if (c === cur) n += h.retired() - h.modeSince;
  }
  return n;
}

/** Fold what every active counter counted into its value; a wrap past 2^64 - 1 sets OF and, if OF was clear, LCOFIP. */
export function hpmSync(h: Hart): void {
  const s = h.hpm;
  for (let m = s.active; m !== 0; m &= m - 1) {
    const k = 31 - Math.clz32(m & -m);
    const now = counted(h, k), d = now - s.countedAt[k]!;
    s.countedAt[k] = now;
    if (d === 0) continue;
    let lo = s.valLo[k]! + (d % TWO32), hi = s.valHi[k]! + Math.floor(d / TWO32);
    if (lo >= TWO32) { lo -= TWO32; hi++; }
    if (hi >= TWO32) {
      hi %= TWO32;
      if ((s.eventHi[k]! & HPM_OF) === 0) {
        s.eventHi[k] = s.eventHi[k]! | HPM_OF;
        if (h.isa.has('sscofpmf')) h.mip |= LCOFI_BIT;
      }
    }
    s.valLo[k] = lo; s.valHi[k] = hi;
  }
}

/** the fewest instructions after which an active counter can overflow (Infinity with none active) */
export function hpmDistance(h: Hart): number {
  const s = h.hpm;
  let best = Infinity;
  for (let m = s.active; m !== 0; m &= m - 1) {
    const k = 31 - Math.clz32(m & -m);
    const d = (TWO32 - 1 - s.valHi[k]!) * TWO32 + (TWO32 - s.valLo[k]!);
    if (d < best) best = d;
  }
  return best;
}

/** mhpmcounter k now; high word in h.csrHi */
export function hpmRead(h: Hart, k: number): number {
  hpmSync(h);
  h.csrHi = h.hpm.valHi[k]! | 0;
  return h.hpm.valLo[k]! | 0;
}

/** A counter write. From an instruction (not raw), the next instruction reads the value written, as minstret
 *  does: the writing instruction, which retires after this, is not counted. */
export function hpmWriteCounter(h: Hart, k: number, lo: number, hi: number, raw: boolean): void {
  hpmSync(h);
  const s = h.hpm;
  s.valLo[k] = lo >>> 0; s.valHi[k] = hi >>> 0;
  s.countedAt[k] = counted(h, k) + (raw || (s.eventHi[k]! & CLASS_INHIBIT[modeClass(h)]!) !== 0 ? 0 : 1);
}

export function hpmReadEvent(h: Hart, k: number): number {
  hpmSync(h);
  h.csrHi = h.hpm.eventHi[k]!;
  return h.hpm.eventLo[k]!;
}

/** An mhpmevent write; raw (the hypervisor's SBI PMU, a debugger): the filter bits the host hart has, whatever
 *  the guest's ISA says about Sscofpmf. */
export function hpmWriteEvent(h: Hart, k: number, lo: number, hi: number, raw = false): void {
  hpmSync(h);
  const s = h.hpm;
  const sel = (hi & 0x00ffffff) === 0 && (lo === HPM_EVENT_CYCLES || lo === HPM_EVENT_INSTRET) ? lo : 0; // bits 55:0
  let bits = HPM_MINH | HPM_SINH | HPM_UINH | (h.hasH ? HPM_VSINH | HPM_VUINH : 0);
  if (h.isa.has('sscofpmf') || raw) bits |= HPM_OF; else bits = 0; // without Sscofpmf the high bits are not there
  s.eventLo[k] = sel; s.eventHi[k] = hi & bits;
  s.countedAt[k] = counted(h, k);
  updateActive(h);
}

/** after mcountinhibit or an event changed: which counters count (each re-based on its own count) */
export function updateActive(h: Hart): void {
  const s = h.hpm;
  let a = 0;
  for (let k = 3; k < 32; k++) if (s.eventLo[k] !== 0 && (h.mcountinhibit & (1 << k)) === 0) a |= 1 << k;
  for (let m = a & ~s.active; m !== 0; m &= m - 1) { const k = 31 - Math.clz32(m & -m); s.countedAt[k] = counted(h, k); }
  s.active = a;
}

/** scountovf: the OF bits, each readable below M only where mcounteren (and with V=1 hcounteren) lets it */
export function scountovf(h: Hart): number {
  hpmSync(h);
  let v = 0;
  for (let k = 3; k < 32; k++) if (h.hpm.eventHi[k]! & HPM_OF) v |= 1 << k;
  if (h.mode < 3) v &= h.mcounteren;
  if (h.virt !== 0) v &= h.hcounteren;
  return v;
}
