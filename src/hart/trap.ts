// Traps and interrupts of the hart: delivering a synchronous exception (or handing it to the hypervisor), entering
// a trap handler with the delegation rules, choosing the interrupt to take, xRET, WFI, and the timer lines that
// make interrupts pending. Functions over the Hart (V8 inlines them as it did the methods they were).
import type { Hart } from './hart.js';
import { MSTATUS, IRQ_PRIORITY, CAUSE, ENVCFG_HI_STCE } from './csr.js';
import { Exit, F_BREAK, F_REDIRECT, F_WFI, pairToBig } from './defs.js';
import { checkMprvChange, selectTlb } from './mmu.js';

export function deliverException(h: Hart): number {
  const cause = h.pendCause;
  if (h.profile !== null && cause === CAUSE.ILLEGAL) h.profile.addIllegalTrap(h.pendTvalLo);
  const toS = h.mode <= 1 && (h.medeleg & (1 << cause)) !== 0;
  if (h.hypervisor && !toS) {
    h.trapCause = cause;
    h.trapTval = pairToBig(h.pendTvalLo, h.pendTvalHi);
    return Exit.MachineTrap;
  }
  enterTrap(h, cause, h.pendTvalLo, h.pendTvalHi, false);
  return -1;
}

/** enter the trap handler (S if delegated and not from M, else M); pc is the trapping/interrupted pc */
export function enterTrap(h: Hart, cause: number, tvalLo: number, tvalHi: number, interrupt: boolean): void {
  const deleg = interrupt ? h.mideleg : h.medeleg;
  const prev = h.mode;
  h.noteModeLeave(h.retired());
  h.trapsTaken++;
  if (h.retired() !== h.trapMark) {
    h.trapMark = h.retired(); h.trapRepeats = 0; h.lastTrapCause = -1;
    h.stormPcLo = h.pcLo; h.stormPcHi = h.pcHi; h.stormCause = cause; h.stormInterrupt = interrupt;
  } else if (!interrupt && cause === h.lastTrapCause && h.pcLo === h.lastTrapPcLo && h.pcHi === h.lastTrapPcHi) {
    h.trapRepeats++;
  } else {
    h.trapRepeats = 0;
  }
  h.lastTrapPcLo = h.pcLo; h.lastTrapPcHi = h.pcHi; h.lastTrapCause = interrupt ? -1 : cause;
  let st = h.mstatus;
  if (prev <= 1 && (deleg & (1 << cause)) !== 0) {
    h.scauseLo = cause; h.scauseHi = interrupt ? 1 << 31 : 0;
    h.sepcLo = h.pcLo; h.sepcHi = h.pcHi;
    h.stvalLo = tvalLo; h.stvalHi = tvalHi;
    st = (st & ~(MSTATUS.SPP | MSTATUS.SPIE)) | (prev === 1 ? MSTATUS.SPP : 0) | ((st & MSTATUS.SIE) ? MSTATUS.SPIE : 0);
    st &= ~MSTATUS.SIE;
    h.mstatus = st;
    h.mode = 1;
    jumpToVector(h, h.stvecLo, h.stvecHi, cause, interrupt);
  } else {
    h.mcauseLo = cause; h.mcauseHi = interrupt ? 1 << 31 : 0;
    h.mepcLo = h.pcLo; h.mepcHi = h.pcHi;
    h.mtvalLo = tvalLo; h.mtvalHi = tvalHi;
    st = (st & ~(MSTATUS.MPP | MSTATUS.MPIE)) | (prev << MSTATUS.MPP_SHIFT) | ((st & MSTATUS.MIE) ? MSTATUS.MPIE : 0);
    st &= ~MSTATUS.MIE;
    checkMprvChange(h, h.mstatus, st);
    h.mstatus = st;
    h.mode = 3;
    jumpToVector(h, h.mtvecLo, h.mtvecHi, cause, interrupt);
  }
  h.reservation = -1;
  if (prev !== h.mode) selectTlb(h);
}

export function jumpToVector(h: Hart, lo: number, hi: number, cause: number, interrupt: boolean): void {
  const base = lo & ~3;
  const t = interrupt && (lo & 3) === 1 ? (base + 4 * cause) | 0 : base;
  h.pcLo = t; h.pcHi = (t >>> 0) < (base >>> 0) ? (hi + 1) | 0 : hi;
}

/** take the highest-priority enabled pending interrupt, if interrupts are enabled for it */
export function takeInterrupt(h: Hart, pending: number): boolean {
  const m = h.mode, st = h.mstatus;
  const mEnabled = m < 3 || (st & MSTATUS.MIE) !== 0;
  const sEnabled = m < 1 || (m === 1 && (st & MSTATUS.SIE) !== 0);
  for (const bit of IRQ_PRIORITY) {
    if (!(pending & (1 << bit))) continue;
    const deleg = (h.mideleg & (1 << bit)) !== 0;
    if (deleg ? (m <= 1 && sEnabled) : mEnabled) {
      h.flags &= ~F_WFI;
      enterTrap(h, bit, 0, 0, true);
      return true;
    }
  }
  return false;
}

/** xRET (called from system.ts) */
export function doMret(h: Hart, raw: number): void {
  if (h.mode !== 3) h.illegal(raw);
  let st = h.mstatus;
  const mpp = ((st >>> MSTATUS.MPP_SHIFT) & 3) as 0 | 1 | 3;
  st = (st & ~(MSTATUS.MIE | MSTATUS.MPP)) | ((st & MSTATUS.MPIE) ? MSTATUS.MIE : 0) | MSTATUS.MPIE;
  if (mpp !== 3) st &= ~MSTATUS.MPRV;
  checkMprvChange(h, h.mstatus, st);
  h.mstatus = st;
  h.noteModeLeave(h.retired() + 1); // the MRET itself retires in M-mode
  h.mode = mpp;
  h.pcLo = h.mepcLo & ~(1 | h.misalignMask); h.pcHi = h.mepcHi;
  h.flags |= F_REDIRECT | F_BREAK;
  selectTlb(h);
}

export function doSret(h: Hart, raw: number): void {
  if (h.mode === 0 || (h.mode === 1 && (h.mstatus & MSTATUS.TSR))) h.illegal(raw);
  let st = h.mstatus;
  const spp = (st & MSTATUS.SPP) ? 1 : 0;
  st = (st & ~(MSTATUS.SIE | MSTATUS.SPP)) | ((st & MSTATUS.SPIE) ? MSTATUS.SIE : 0) | MSTATUS.SPIE;
  st &= ~MSTATUS.MPRV;
  checkMprvChange(h, h.mstatus, st);
  h.mstatus = st;
  h.noteModeLeave(h.retired() + 1); // the SRET itself retires in the mode it leaves
  h.mode = spp;
  h.pcLo = h.sepcLo & ~(1 | h.misalignMask); h.pcHi = h.sepcHi;
  h.flags |= F_REDIRECT | F_BREAK;
  selectTlb(h);
}

export function doWfi(h: Hart, raw: number): void {
  if (h.mode === 0 || (h.mode === 1 && (h.mstatus & MSTATUS.TW) && !h.hypervisor)) h.illegal(raw);
  h.flags |= F_WFI;
}

export function doFenceI(h: Hart): void {
  // Decoded code is already coherent: every store path (and GuestMemory.invalidate for DMA) drops decoded
  // pages it writes, so FENCE.I has nothing left to flush; it only ends the run slice.
  h.flags |= F_BREAK;
}

export function sstcActive(h: Hart): boolean {
  return h.isa.has('sstc') && (h.menvcfgHi & ENVCFG_HI_STCE) !== 0;
}

/** mip with the timer lines computed from the clock */
export function effectiveMip(h: Hart): number {
  let ip = h.mip;
  if (sstcActive(h) || h.mtimecmp !== Infinity) {
    const now = h.readTime();
    if (sstcActive(h) && now >= h.stimecmp) ip |= 1 << 5;
    if (now >= h.mtimecmp) ip |= 1 << 7;
  }
  return ip;
}

/** next tick at which a timer interrupt line rises, or Infinity */
export function nextTimerDeadline(h: Hart): number {
  let d = Infinity;
  if (sstcActive(h) && (h.mie & (1 << 5))) d = Math.min(d, h.stimecmp);
  if (h.mie & (1 << 7)) d = Math.min(d, h.mtimecmp);
  return d;
}
