// The CSR file of the hart: the instruction-level access rules (privilege, read-only, counter enables, TVM, Sstc,
// FS), the raw reads and the WARL writes. Functions over the Hart rather than methods so the privileged
// architecture can grow here (H's HS and VS CSRs) without hart.ts growing; none of them is on the hot path.
import type { Hart } from './hart.js';
import {
  CSR, MSTATUS, MSTATUS_WMASK, SSTATUS_MASK, MSTATUS_HI, S_IRQ_MASK, CAUSE, VS_SWAPPED, HSTATUS, HSTATUS_WMASK,
  MSTATUS_HI_GVA, MSTATUS_HI_MPV, VS_IRQ_MASK, H_IRQ_MASK,
  ENVCFG_HI_STCE, ENVCFG_HI_PBMTE, ENVCFG_HI_ADUE, ENVCFG_CBIE, ENVCFG_CBCFE, ENVCFG_CBZE,
} from './csr.js';
import { toU64Number } from './int64.js';
import { F_BREAK, TWO32 } from './defs.js';
import { effectiveMip, sstcActive } from './trap.js';
import { flushTlb, flushVirtTlb, selectTlb } from './mmu.js';
import { pmmWarl } from './pointer-masking.js';
import { LCOFI_BIT, hpmRead, hpmReadEvent, hpmSync, hpmWriteCounter, hpmWriteEvent, scountovf, updateActive } from './hpm.js';

/** CSR writes after which the run loop re-checks interrupts and timers before going on */
const SLICE_ENDING_CSRS = new Set<number>([
  CSR.sie, CSR.mie, CSR.sip, CSR.mip, CSR.mideleg, CSR.medeleg, CSR.stimecmp, CSR.menvcfg, CSR.satp, CSR.mcountinhibit,
  CSR.hstatus, CSR.hedeleg, CSR.hideleg, CSR.hie, CSR.hip, CSR.hvip, CSR.htimedelta, CSR.henvcfg, CSR.hgatp,
  CSR.vsstatus, CSR.vsie, CSR.vsip, CSR.vstimecmp, CSR.vsatp,
]);

/** mhpmcounter / mhpmevent writes move an overflow point: the run loop must bound the next slice anew */
const isHpmConfig = (csr: number): boolean => (csr >= CSR.mhpmcounter3 && csr <= CSR.mhpmcounter31) || (csr >= CSR.mhpmevent3 && csr <= CSR.mhpmevent31);

/** the instruction-level CSR access (csrrw/s/c and immediates); raises illegal-instruction on a rule violation */
export function csrAccess(h: Hart, csr: number, raw: number, write: boolean, kind: 0 | 1 | 2, vlo: number, vhi: number): number {
  const priv = (csr >>> 8) & 3, m = h.mode;
  const readOnly = (csr >>> 10) === 3;
  // HS-mode reaches the hypervisor CSRs (privilege field 2); VS and VU only what their nominal level names
  if (h.virt === 0 ? m < priv && !(m === 1 && priv === 2 && h.hasH) : m < priv) {
    // from V=1, an access HS-mode could make raises virtual-instruction (H: "virtual instruction" cases)
    if (h.virt !== 0 && priv <= 2 && !(write && readOnly) && csrRead(h, csr) !== undefined) h.virtualInsn(raw);
    h.illegal(raw);
  }
  if (write && readOnly) h.illegal(raw);
  const gate = csrAllowed(h, csr);
  if (gate !== 0) { if (gate === 2) h.virtualInsn(raw); h.illegal(raw); }
  if (h.virt !== 0 && VS_SWAPPED.has(csr)) csr += 0x100; // V=1: the S CSRs are the VS ones
  const oldLo0 = csrRead(h, csr);
  if (oldLo0 === undefined) return h.illegal(raw);
  let oldLo = oldLo0, oldHi = h.csrHi;
  if (h.virt !== 0 && csr === CSR.time) { // VS/VU see time + htimedelta
    const t = (oldHi >>> 0) * TWO32 + (oldLo >>> 0) + h.htimedelta;
    oldLo = splitNum(h, t < 0 ? t + 2 ** 64 : t >= 2 ** 64 ? t - 2 ** 64 : t); oldHi = h.csrHi;
  }
  if (write) {
    let nlo = vlo, nhi = vhi;
    if (kind === 1) { nlo = oldLo | vlo; nhi = oldHi | vhi; } else if (kind === 2) { nlo = oldLo & ~vlo; nhi = oldHi & ~vhi; }
    const oldStatus = h.mstatus;
    if (!csrWrite(h, csr, nlo, nhi, false)) h.illegal(raw);
    // what can make an interrupt deliverable (or change the timer) ends the run slice, so it is taken at once;
    // translation changes (satp, SUM, MXR, MPRV) end it through flushTlb / selectTlb
    if (SLICE_ENDING_CSRS.has(csr) || isHpmConfig(csr) || ((h.mstatus ^ oldStatus) & (MSTATUS.SIE | MSTATUS.MIE)) !== 0) h.flags |= F_BREAK;
  }
  h.csrHi = oldHi;
  return oldLo;
}

/** privilege-dependent gating beyond the address bits (counter enables, TVM/VTVM, Sstc, FS): 0 = allowed,
 *  1 = illegal instruction, 2 = virtual instruction (V=1 and only a hypervisor control forbids it) */
export function csrAllowed(h: Hart, csr: number): 0 | 1 | 2 {
  const m = h.mode, v = h.virt;
  if (csr >= 0xc00 && csr <= 0xc1f) {
    const bit = 1 << (csr & 31);
    if (m < 3 && !(h.mcounteren & bit)) return 1;
    if (v !== 0) return !(h.hcounteren & bit) || (m === 0 && !(h.scounteren & bit)) ? 2 : 0;
    if (m === 0 && !(h.scounteren & bit)) return 1;
    return 0;
  }
  if (m < 3 && h.stateen) { const g = stateenGate(h, csr); if (g !== 0) return g; }
  if (csr === CSR.satp && m === 1) {
    if (v === 0 && (h.mstatus & MSTATUS.TVM)) return 1;
    if (v !== 0 && (h.hstatus & HSTATUS.VTVM)) return 2;
  }
  if (csr === CSR.hgatp && m === 1 && (h.mstatus & MSTATUS.TVM)) return 1;
  if ((csr === CSR.stimecmp || csr === CSR.vstimecmp) && m < 3) {
    if (!(h.mcounteren & 2) || !(h.menvcfgHi & ENVCFG_HI_STCE)) return 1;
    if (v !== 0 && (!(h.hcounteren & 2) || !(h.henvcfgHi & ENVCFG_HI_STCE))) return 2;
  }
  if (csr <= 3 && h.fsOff()) return 1;
  if (h.vec !== null && h.vsOff() && h.vec.isCsr(csr)) return 1;
  return 0;
}

export function hasF(h: Hart): boolean { return h.isa.has('f'); }

// ---------------------------------------------------------------- Smstateen / Ssstateen

/** the state-enable bits rvkvm has state behind (high words): SE0/SE (63) in every register, ENVCFG (62) in 0 */
const STATEEN_SE = 1 << 31, STATEEN_ENVCFG = 1 << 30;
const stateenBits = (n: number): number => (n === 0 ? STATEEN_SE | STATEEN_ENVCFG : STATEEN_SE);

/**
 * What mstateen (and with V=1 hstateen) forbids below M: sstateenN and hstateenN without SE, senvcfg and henvcfg
 * without ENVCFG. Every other state-enable bit guards state rvkvm does not have (AIA, IMSIC, CSRIND, CONTEXT,
 * custom, Zfinx's fcsr, Zcmt's jvt), so those bits are read-only zero and sstateen0..3 are all zero.
 */
function stateenGate(h: Hart, csr: number): 0 | 1 | 2 {
  let n: number, bit: number;
  if (csr >= CSR.sstateen0 && csr <= CSR.sstateen0 + 3) { n = csr - CSR.sstateen0; bit = STATEEN_SE; }
  else if (csr >= CSR.hstateen0 && csr <= CSR.hstateen0 + 3) { n = csr - CSR.hstateen0; bit = STATEEN_SE; }
  else if (csr === CSR.senvcfg || csr === CSR.henvcfg) { n = 0; bit = STATEEN_ENVCFG; }
  else return 0;
  if ((h.mstateenHi[n]! & bit) === 0) return 1;
  // from V=1 only the VS-visible ones reach here (hstateen and henvcfg already failed the privilege check)
  if (h.virt !== 0 && (h.hstateenHi[n]! & bit) === 0) return 2;
  return 0;
}

/** raw CSR read; undefined when not implemented. High word in csrHi. */
export function csrRead(h: Hart, csr: number): number | undefined {
  h.csrHi = 0;
  const isa = h.isa;
  switch (csr) {
    case CSR.fflags: if (!hasF(h)) return undefined; return h.fflags;
    case CSR.frm: if (!hasF(h)) return undefined; return h.frm;
    case CSR.fcsr: if (!hasF(h)) return undefined; return (h.frm << 5) | h.fflags;
    case CSR.cycle: case CSR.mcycle: {
      if (csr === CSR.cycle && !isa.has('zicntr')) return undefined;
      return splitNum(h, h.mcountinhibit & 1 ? h.cycleHeld : h.retired() + h.cycleOffset);
    }
    case CSR.instret: case CSR.minstret: {
      if (csr === CSR.instret && !isa.has('zicntr')) return undefined;
      return splitNum(h, h.mcountinhibit & 4 ? h.instretHeld : h.retired() + h.instretOffset);
    }
    case CSR.time: if (!isa.has('zicntr')) return undefined; return splitNum(h, h.readTime());
    case CSR.sstatus: {
      const v = h.mstatus & SSTATUS_MASK;
      h.csrHi = 0x2 | sdBit(h);
      return v;
    }
    case CSR.mstatus:
      h.csrHi = MSTATUS_HI | h.mstatusHi | sdBit(h);
      return h.mstatus;
    case CSR.sie: return h.mie & h.mideleg;
    case CSR.sip: return effectiveMip(h) & h.mideleg;
    case CSR.mie: return h.mie;
    case CSR.mip: return effectiveMip(h);
    case CSR.stvec: h.csrHi = h.stvecHi; return h.stvecLo;
    case CSR.mtvec: h.csrHi = h.mtvecHi; return h.mtvecLo;
    case CSR.scounteren: return h.scounteren;
    case CSR.mcounteren: return h.mcounteren;
    case CSR.mcountinhibit: return h.mcountinhibit;
    case CSR.scountovf: if (!isa.has('sscofpmf')) return undefined; return scountovf(h);
    case CSR.senvcfg: h.csrHi = h.senvcfgHi; return h.senvcfgLo;
    case CSR.mseccfg: if (!isa.has('smmpm')) return undefined; h.csrHi = h.mseccfgHi; return 0;
    case CSR.menvcfg: h.csrHi = h.menvcfgHi; return h.menvcfgLo;
    case CSR.sscratch: h.csrHi = h.sscratchHi; return h.sscratchLo;
    case CSR.mscratch: h.csrHi = h.mscratchHi; return h.mscratchLo;
    case CSR.sepc: h.csrHi = h.sepcHi; return h.sepcLo & ~(1 | h.misalignMask);
    case CSR.mepc: h.csrHi = h.mepcHi; return h.mepcLo & ~(1 | h.misalignMask);
    case CSR.scause: h.csrHi = h.scauseHi; return h.scauseLo;
    case CSR.mcause: h.csrHi = h.mcauseHi; return h.mcauseLo;
    case CSR.stval: h.csrHi = h.stvalHi; return h.stvalLo;
    case CSR.mtval: h.csrHi = h.mtvalHi; return h.mtvalLo;
    case CSR.satp: h.csrHi = h.satpHi; return h.satpLo;
    case CSR.stimecmp: if (!isa.has('sstc')) return undefined; h.csrHi = h.stimecmpHi; return h.stimecmpLo;
    case CSR.medeleg: return h.medeleg;
    case CSR.mideleg: return h.mideleg | (h.hasH ? H_IRQ_MASK : 0);
    case CSR.misa: {
      h.csrHi = 2 << 30;
      let v = 0;
      for (const l of 'acdfhimsuv') {
        if (l === 's' || l === 'u' || isa.has(l)) v |= 1 << (l.charCodeAt(0) - 97);
      }
      return v;
    }
    case CSR.mhartid: return h.hartId;
    case CSR.mvendorid: case CSR.marchid: case CSR.mimpid: case CSR.mconfigptr: return 0;
    case CSR.tselect: case CSR.tdata1: case CSR.tdata2: case CSR.tdata3: return 0;
  }
  if (h.stateen) {
    if (csr >= CSR.mstateen0 && csr <= CSR.mstateen0 + 3 && isa.has('smstateen')) { h.csrHi = h.mstateenHi[csr - CSR.mstateen0]!; return 0; }
    if (csr >= CSR.hstateen0 && csr <= CSR.hstateen0 + 3 && h.hasH) { h.csrHi = h.hstateenHi[csr - CSR.hstateen0]!; return 0; }
    if (csr >= CSR.sstateen0 && csr <= CSR.sstateen0 + 3) return 0;
  }
  if (h.hasH) { const v = hCsrRead(h, csr); if (v !== undefined) return v; }
  if (csr >= CSR.hpmcounter3 && csr <= CSR.hpmcounter31) return isa.has('zihpm') ? hpmRead(h, csr & 31) : undefined;
  if (csr >= CSR.mhpmcounter3 && csr <= CSR.mhpmcounter31) return hpmRead(h, csr & 31);
  if (csr >= CSR.mhpmevent3 && csr <= CSR.mhpmevent31) return hpmReadEvent(h, csr & 31);
  if (csr >= CSR.pmpcfg0 && csr <= CSR.pmpcfg15) {
    if (csr & 1) return undefined; // odd pmpcfg do not exist on RV64
    const k = (csr - CSR.pmpcfg0) * 2;
    h.csrHi = h.pmpcfg[k + 1]!; return h.pmpcfg[k]!;
  }
  if (csr >= CSR.pmpaddr0 && csr <= CSR.pmpaddr63) {
    const k = (csr - CSR.pmpaddr0) * 2;
    h.csrHi = h.pmpaddr[k + 1]!; return h.pmpaddr[k]!;
  }
  if (h.vec !== null) return h.vec.csrRead(csr);
  return undefined;
}

/** mstatus.SD (bit 63): FS or VS dirty */
function sdBit(h: Hart): number { return dirtyBit(h.mstatus); }
/** SD of a status word (bit 31 of its high half): its FS or VS field is Dirty */
function dirtyBit(status: number): number {
  return (status & MSTATUS.FS) === MSTATUS.FS || (status & MSTATUS.VS) === MSTATUS.VS ? 1 << 31 : 0;
}

export function splitNum(h: Hart, v: number): number {
  h.csrHi = Math.floor(v / TWO32) | 0;
  return (v % TWO32) | 0;
}

/** raw CSR write with WARL masking; false when the CSR does not exist (or is read-only for `raw` = false) */
export function csrWrite(h: Hart, csr: number, lo: number, hi: number, raw: boolean): boolean {
  const isa = h.isa;
  switch (csr) {
    case CSR.fflags: if (!hasF(h)) return false; h.fflags = lo & 31; h.markFsDirty(); return true;
    case CSR.frm: if (!hasF(h)) return false; h.frm = lo & 7; h.markFsDirty(); return true;
    case CSR.fcsr: if (!hasF(h)) return false; h.fflags = lo & 31; h.frm = (lo >>> 5) & 7; h.markFsDirty(); return true;
    case CSR.mcycle:
      if (h.mcountinhibit & 1) h.cycleHeld = (hi >>> 0) * TWO32 + (lo >>> 0);
      else h.cycleOffset = (hi >>> 0) * TWO32 + (lo >>> 0) - h.retired() - (raw ? 0 : 1);
      return true;
    case CSR.minstret:
      if (h.mcountinhibit & 4) h.instretHeld = (hi >>> 0) * TWO32 + (lo >>> 0);
      else h.instretOffset = (hi >>> 0) * TWO32 + (lo >>> 0) - h.retired() - (raw ? 0 : 1);
      return true;
    case CSR.time: if (!raw) return false; h.guestClock.offsetTicks += (hi >>> 0) * TWO32 + (lo >>> 0) - h.readTime(); return true;
    case CSR.cycle: case CSR.instret: return false;
    case CSR.sstatus: writeMstatus(h, (h.mstatus & ~SSTATUS_MASK) | (lo & SSTATUS_MASK)); return true;
    case CSR.mstatus: {
      writeMstatus(h, lo);
      if (h.hasH) {
        const n = hi & (MSTATUS_HI_GVA | MSTATUS_HI_MPV);
        if (((n ^ h.mstatusHi) & MSTATUS_HI_MPV) && (h.mstatus & MSTATUS.MPRV)) flushTlb(h); // MPRV data: V=MPV
        h.mstatusHi = n;
      }
      return true;
    }
    case CSR.sie: h.mie = (h.mie & ~h.mideleg) | (lo & h.mideleg); return true;
    case CSR.sip: { const w = h.mideleg & ((1 << 1) | (isa.has('sscofpmf') ? LCOFI_BIT : 0)); h.mip = (h.mip & ~w) | (lo & w); return true; }
    case CSR.mie: h.mie = lo & (0x2aaa | (h.hasH ? H_IRQ_MASK : 0)); return true;
    case CSR.mip: {
      let w = (1 << 1) | (1 << 9) | (sstcActive(h) ? 0 : 1 << 5) | (h.hasH ? 1 << 2 : 0) | (isa.has('sscofpmf') ? LCOFI_BIT : 0);
      if (raw) w = 0xffff;
      h.mip = (h.mip & ~w) | (lo & w);
      return true;
    }
    case CSR.stvec: h.stvecLo = lo & ~2; h.stvecHi = hi; return true;
    case CSR.mtvec: h.mtvecLo = lo & ~2; h.mtvecHi = hi; return true;
    case CSR.scounteren: h.scounteren = lo; return true;
    case CSR.mcounteren: h.mcounteren = lo; return true;
    case CSR.mcountinhibit: {
      // CY (0) and IR (2) hold mcycle / minstret where they are; TM (1) does not exist; 3..31 the hpm counters
      hpmSync(h);
      const n = lo & ~2, old = h.mcountinhibit;
      if ((n ^ old) & 1) {
        if (n & 1) h.cycleHeld = h.retired() + h.cycleOffset; else h.cycleOffset = h.cycleHeld - h.retired();
      }
      if ((n ^ old) & 4) {
        if (n & 4) h.instretHeld = h.retired() + h.instretOffset; else h.instretOffset = h.instretHeld - h.retired();
      }
      h.mcountinhibit = n;
      updateActive(h);
      return true;
    }
    case CSR.senvcfg: {
      h.senvcfgLo = lo & (ENVCFG_CBIE | ENVCFG_CBCFE | ENVCFG_CBZE | 1);
      const pmm = isa.has('ssnpm') ? pmmWarl(hi) : 0; // U / VU pointer masking
      if (pmm !== h.senvcfgHi) { h.senvcfgHi = pmm; flushTlb(h); }
      return true;
    }
    case CSR.mseccfg: {
      if (!isa.has('smmpm')) return false;
      h.mseccfgHi = pmmWarl(hi); // only PMM (M-mode pointer masking); Smepmp and Zkr seeds are not there
      flushTlb(h);
      return true;
    }
    case CSR.menvcfg: {
      h.menvcfgLo = lo & (ENVCFG_CBIE | ENVCFG_CBCFE | ENVCFG_CBZE | 1);
      h.menvcfgHi = (hi & ((isa.has('sstc') ? ENVCFG_HI_STCE : 0) | (isa.has('svpbmt') ? ENVCFG_HI_PBMTE : 0) | (isa.has('svadu') ? ENVCFG_HI_ADUE : 0))) |
        (isa.has('smnpm') ? pmmWarl(hi) : 0);
      flushTlb(h);
      return true;
    }
    case CSR.sscratch: h.sscratchLo = lo; h.sscratchHi = hi; return true;
    case CSR.mscratch: h.mscratchLo = lo; h.mscratchHi = hi; return true;
    case CSR.sepc: h.sepcLo = lo & ~1; h.sepcHi = hi; return true;
    case CSR.mepc: h.mepcLo = lo & ~1; h.mepcHi = hi; return true;
    case CSR.scause: h.scauseLo = lo; h.scauseHi = hi & (1 << 31); return true;
    case CSR.mcause: h.mcauseLo = lo; h.mcauseHi = hi & (1 << 31); return true;
    case CSR.stval: h.stvalLo = lo; h.stvalHi = hi; return true;
    case CSR.mtval: h.mtvalLo = lo; h.mtvalHi = hi; return true;
    case CSR.satp: {
      const mode = hi >>> 28;
      const supported = mode === 0 || mode === 8 || (mode === 9 && satpModeOk(h, 9)) || (mode === 10 && satpModeOk(h, 10));
      if (!supported) return true; // WARL: unsupported modes leave satp unchanged
      h.satpLo = lo; h.satpHi = mode === 0 ? 0 : hi & 0xf000ffff; // ASID (16 bits) kept, PPN 44 bits
      if (mode === 0) h.satpLo = 0;
      flushTlb(h);
      return true;
    }
    case CSR.stimecmp: {
      if (!isa.has('sstc')) return false;
      h.stimecmpLo = lo; h.stimecmpHi = hi; h.stimecmp = toU64Number(lo, hi);
      return true;
    }
    case CSR.medeleg: h.medeleg = lo & (0xb3ff | (h.hasH ? MEDELEG_H : 0)) & ~(1 << CAUSE.ECALL_M); return true;
    case CSR.mideleg: h.mideleg = lo & S_IRQ_MASK; return true;
    case CSR.misa: return true; // WARL, fixed
    case CSR.tselect: case CSR.tdata1: case CSR.tdata2: case CSR.tdata3: return true;
    case CSR.mhartid: case CSR.mvendorid: case CSR.marchid: case CSR.mimpid: case CSR.mconfigptr: return raw;
  }
  if (h.stateen) {
    if (csr >= CSR.mstateen0 && csr <= CSR.mstateen0 + 3 && isa.has('smstateen')) {
      const n = csr - CSR.mstateen0;
      h.mstateenHi[n] = hi & stateenBits(n);
      h.hstateenHi[n] = h.hstateenHi[n]! & h.mstateenHi[n]!; // a bit M clears is read-only zero below
      return true;
    }
    if (csr >= CSR.hstateen0 && csr <= CSR.hstateen0 + 3 && h.hasH) {
      const n = csr - CSR.hstateen0;
      h.hstateenHi[n] = hi & stateenBits(n) & h.mstateenHi[n]!;
      return true;
    }
    if (csr >= CSR.sstateen0 && csr <= CSR.sstateen0 + 3) return true; // no U-mode state to enable: all zero
  }
  if (h.hasH && hCsrWrite(h, csr, lo, hi)) return true;
  if (csr >= CSR.mhpmcounter3 && csr <= CSR.mhpmcounter31) { hpmWriteCounter(h, csr & 31, lo, hi, raw); return true; }
  if (csr >= CSR.mhpmevent3 && csr <= CSR.mhpmevent31) { hpmWriteEvent(h, csr & 31, lo, hi, raw); return true; }
  if (csr >= CSR.hpmcounter3 && csr <= CSR.hpmcounter31) return false;
  if (csr >= CSR.pmpcfg0 && csr <= CSR.pmpcfg15) {
    if (csr & 1) return false;
    const k = (csr - CSR.pmpcfg0) * 2;
    h.pmpcfg[k] = lo & 0x9f9f9f9f; h.pmpcfg[k + 1] = hi & 0x9f9f9f9f;
    return true;
  }
  if (csr >= CSR.pmpaddr0 && csr <= CSR.pmpaddr63) {
    const k = (csr - CSR.pmpaddr0) * 2;
    h.pmpaddr[k] = lo; h.pmpaddr[k + 1] = hi & 0x3fffff; // 54 bits (PA 56)
    return true;
  }
  if (h.vec !== null) return h.vec.csrWrite(csr, lo, hi, raw);
  return false;
}

// ---------------------------------------------------------------- H: hypervisor and VS CSRs

/** medeleg bits H adds: ecall from VS, the guest-page faults and virtual instruction */
const MEDELEG_H = (1 << CAUSE.ECALL_VS) | (0xf << CAUSE.FETCH_GUEST_PAGE);
/** hedeleg: what HS can hand to VS (not the ecalls from S/VS/M nor the guest-page faults and virtual instruction) */
const HEDELEG_MASK = 0xb1ff;
const ENVCFG_LO_MASK = ENVCFG_CBIE | ENVCFG_CBCFE | ENVCFG_CBZE | 1;

/** the H CSRs (hypervisor, VS, mtval2/mtinst); undefined when csr is none of them */
function hCsrRead(h: Hart, csr: number): number | undefined {
  switch (csr) {
    case CSR.hstatus: h.csrHi = 2 | h.hstatusHi; return h.hstatus; // VSXL = 64, HUPMM
    case CSR.hedeleg: return h.hedeleg;
    case CSR.hideleg: return h.hideleg;
    case CSR.hie: return h.mie & H_IRQ_MASK;
    case CSR.hip: return effectiveMip(h) & H_IRQ_MASK;
    case CSR.hvip: return h.mip & VS_IRQ_MASK;
    case CSR.hgeie: case CSR.hgeip: return 0; // GEILEN = 0: no guest external interrupt files
    case CSR.hcounteren: return h.hcounteren;
    case CSR.htimedelta: h.csrHi = h.htimedeltaHi; return h.htimedeltaLo;
    case CSR.htval: h.csrHi = h.htvalHi; return h.htvalLo;
    case CSR.htinst: h.csrHi = h.htinstHi; return h.htinstLo;
    case CSR.hgatp: h.csrHi = h.hgatpHi; return h.hgatpLo;
    case CSR.henvcfg: h.csrHi = h.henvcfgHi; return h.henvcfgLo;
    case CSR.mtval2: h.csrHi = h.mtval2Hi; return h.mtval2Lo;
    case CSR.mtinst: h.csrHi = h.mtinstHi; return h.mtinstLo;
    case CSR.vsstatus: h.csrHi = 0x2 | dirtyBit(h.vsstatus); return h.vsstatus;
    case CSR.vsie: return (h.mie & h.hideleg & VS_IRQ_MASK) >>> 1;
    case CSR.vsip: return (effectiveMip(h) & h.hideleg & VS_IRQ_MASK) >>> 1;
    case CSR.vstvec: h.csrHi = h.vstvecHi; return h.vstvecLo;
    case CSR.vsscratch: h.csrHi = h.vsscratchHi; return h.vsscratchLo;
    case CSR.vsepc: h.csrHi = h.vsepcHi; return h.vsepcLo & ~(1 | h.misalignMask);
    case CSR.vscause: h.csrHi = h.vscauseHi; return h.vscauseLo;
    case CSR.vstval: h.csrHi = h.vstvalHi; return h.vstvalLo;
    case CSR.vsatp: h.csrHi = h.vsatpHi; return h.vsatpLo;
    case CSR.vstimecmp: if (!h.isa.has('sstc')) return undefined; h.csrHi = h.vstimecmpHi; return h.vstimecmpLo;
  }
  return undefined;
}

/** WARL writes of the H CSRs; false when csr is none of them (or read-only) */
function hCsrWrite(h: Hart, csr: number, lo: number, hi: number): boolean {
  switch (csr) {
    case CSR.hstatus: h.hstatus = lo & HSTATUS_WMASK; h.hstatusHi = h.isa.has('ssnpm') ? pmmWarl(hi >>> 16) << 16 : 0; return true;
    case CSR.hedeleg: h.hedeleg = lo & HEDELEG_MASK; return true;
    case CSR.hideleg: h.hideleg = lo & VS_IRQ_MASK; return true;
    case CSR.hie: h.mie = (h.mie & ~H_IRQ_MASK) | (lo & VS_IRQ_MASK); return true; // SGEIE: GEILEN = 0
    case CSR.hip: h.mip = (h.mip & ~(1 << 2)) | (lo & (1 << 2)); return true; // only VSSIP is writable here
    case CSR.hvip: h.mip = (h.mip & ~VS_IRQ_MASK) | (lo & VS_IRQ_MASK); return true;
    case CSR.hgeie: return true;
    case CSR.hcounteren: h.hcounteren = lo; return true;
    case CSR.htimedelta: h.htimedeltaLo = lo; h.htimedeltaHi = hi; h.htimedelta = hi * TWO32 + (lo >>> 0); return true;
    case CSR.htval: h.htvalLo = lo; h.htvalHi = hi; return true;
    case CSR.htinst: h.htinstLo = lo; h.htinstHi = hi; return true;
    case CSR.hgatp: {
      const mode = hi >>> 28;
      // Shgatpa: each satp mode offered has its x4 G-stage mode; others leave hgatp unchanged (WARL)
      const supported = mode === 0 || mode === 8 || (mode === 9 && satpModeOk(h, 9)) || (mode === 10 && satpModeOk(h, 10));
      if (!supported) return true;
      h.hgatpLo = lo & ~3; h.hgatpHi = hi & 0xf3ffffff; // VMID 14 bits (57:44), PPN 44 bits with bits 1:0 zero
      flushVirtTlb(h);
      return true;
    }
    case CSR.henvcfg: {
      h.henvcfgLo = lo & ENVCFG_LO_MASK;
      h.henvcfgHi = (hi & h.menvcfgHi & (ENVCFG_HI_STCE | ENVCFG_HI_PBMTE | ENVCFG_HI_ADUE)) | (h.isa.has('ssnpm') ? pmmWarl(hi) : 0);
      flushVirtTlb(h);
      return true;
    }
    case CSR.mtval2: h.mtval2Lo = lo; h.mtval2Hi = hi; return true;
    case CSR.mtinst: h.mtinstLo = lo; h.mtinstHi = hi; return true;
    case CSR.vsstatus: {
      const old = h.vsstatus;
      let n = lo & SSTATUS_MASK;
      if (!hasF(h)) n &= ~MSTATUS.FS;
      if (h.vec === null) n &= ~MSTATUS.VS;
      h.vsstatus = n;
      if ((old ^ n) & MSTATUS.MXR) flushVirtTlb(h);
      else if (((old ^ n) & MSTATUS.SUM) && h.virt !== 0) selectTlb(h);
      return true;
    }
    case CSR.vsie: { const w = h.hideleg & VS_IRQ_MASK; h.mie = (h.mie & ~w) | ((lo << 1) & w); return true; }
    case CSR.vsip: { const w = h.hideleg & (1 << 2); h.mip = (h.mip & ~w) | ((lo << 1) & w); return true; }
    case CSR.vstvec: h.vstvecLo = lo & ~2; h.vstvecHi = hi; return true;
    case CSR.vsscratch: h.vsscratchLo = lo; h.vsscratchHi = hi; return true;
    case CSR.vsepc: h.vsepcLo = lo & ~1; h.vsepcHi = hi; return true;
    case CSR.vscause: h.vscauseLo = lo; h.vscauseHi = hi & (1 << 31); return true;
    case CSR.vstval: h.vstvalLo = lo; h.vstvalHi = hi; return true;
    case CSR.vsatp: {
      const mode = hi >>> 28;
      const supported = mode === 0 || mode === 8 || (mode === 9 && satpModeOk(h, 9)) || (mode === 10 && satpModeOk(h, 10));
      if (!supported) return true;
      h.vsatpLo = mode === 0 ? 0 : lo; h.vsatpHi = mode === 0 ? 0 : hi & 0xf000ffff;
      flushVirtTlb(h);
      return true;
    }
    case CSR.vstimecmp: {
      if (!h.isa.has('sstc')) return false;
      h.vstimecmpLo = lo; h.vstimecmpHi = hi; h.vstimecmp = toU64Number(lo, hi);
      return true;
    }
  }
  return false;
}

/** Sv48 / Sv57 are offered when the ISA set names them, or when no sv* name is given at all (then Sv39..Sv57). */
export function satpModeOk(h: Hart, mode: number): boolean {
  const named = h.isa.has('sv39') || h.isa.has('sv48') || h.isa.has('sv57');
  if (!named) return true;
  return mode === 9 ? h.isa.has('sv48') || h.isa.has('sv57') : h.isa.has('sv57');
}

export function writeMstatus(h: Hart, v: number): void {
  const old = h.mstatus;
  let n = (old & ~MSTATUS_WMASK) | (v & MSTATUS_WMASK);
  if (((n >>> MSTATUS.MPP_SHIFT) & 3) === 2) n &= ~MSTATUS.MPP; // WARL: reserved MPP value -> U
  if (!hasF(h)) n &= ~MSTATUS.FS;
  if (h.vec === null) n &= ~MSTATUS.VS;
  h.mstatus = n;
  if ((old ^ n) & (MSTATUS.MPRV | MSTATUS.MXR | MSTATUS.MPP)) flushTlb(h);
  else if ((old ^ n) & MSTATUS.SUM) {
    if (h.mode === 1) selectTlb(h); // S-mode: the SUM=0 and SUM=1 sets are both kept
    else flushTlb(h); // M-mode with MPRV: its one data set depends on SUM
  }
}
