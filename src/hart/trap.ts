// Traps and interrupts of the hart: delivering a synchronous exception (or handing it to the hypervisor), entering
// a trap handler with the delegation rules, choosing the interrupt to take, xRET, WFI, and the timer lines that
// make interrupts pending. Functions over the Hart (V8 inlines them as it did the methods they were).
import type { Hart } from './hart.js';
import { MSTATUS, IRQ_PRIORITY, CAUSE, ENVCFG_HI_STCE, HSTATUS, H_IRQ_MASK, MSTATUS_HI_GVA, MSTATUS_HI_MPV } from './csr.js';
import { Exit, F_BREAK, F_REDIRECT, F_WFI, TWO32, pairToBig } from './defs.js';
import { checkMprvChange, selectTlb } from './mmu.js';

export function deliverException(h: Hart): number {
  const cause = h.pendCause;
  if (h.profile !== null && cause === CAUSE.ILLEGAL) h.profile.addIllegalTrap(h.pendTvalLo);
  const toS = h.mode <= 1 && (h.medeleg & (1 << cause)) !== 0;
  if (h.hypervisor && !toS) {
    h.trapCause = cause;
    h.trapTval = pairToBig(h.pendTvalLo, h.pendTvalHi);
    h.twoStage = false;
    return Exit.MachineTrap;
  }
  enterTrap(h, cause, h.pendTvalLo, h.pendTvalHi, false);
  return -1;
}

/** exceptions whose tval is a virtual address (H: GVA says whether it was a guest virtual one) */
const ADDRESS_CAUSES = (1 << CAUSE.FETCH_MISALIGNED) | (1 << CAUSE.FETCH_ACCESS) | (1 << CAUSE.BREAKPOINT) |
  (1 << CAUSE.LOAD_MISALIGNED) | (1 << CAUSE.LOAD_ACCESS) | (1 << CAUSE.STORE_MISALIGNED) | (1 << CAUSE.STORE_ACCESS) |
  (1 << CAUSE.FETCH_PAGE) | (1 << CAUSE.LOAD_PAGE) | (1 << CAUSE.STORE_PAGE) |
  (1 << CAUSE.FETCH_GUEST_PAGE) | (1 << CAUSE.LOAD_GUEST_PAGE) | (1 << CAUSE.STORE_GUEST_PAGE);

/**
 * Enter the trap handler: VS if V=1 and HS delegated it on (hedeleg / hideleg), HS (S) if delegated and not from
 * M, else M; pc is the trapping/interrupted pc. With H, a trap out of V=1 clears V and records it (hstatus.SPV /
 * mstatus.MPV), and GVA, htval/mtval2 and htinst/mtinst describe guest addresses.
 */
export function enterTrap(h: Hart, cause: number, tvalLo: number, tvalHi: number, interrupt: boolean): void {
  const deleg = interrupt ? h.mideleg | (h.hasH ? H_IRQ_MASK : 0) : h.medeleg;
  const prev = h.mode, prevVirt = h.virt;
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
  const gva = !interrupt && h.hasH && (prevVirt !== 0 || h.twoStage) && ((ADDRESS_CAUSES >>> cause) & 1) !== 0;
  h.twoStage = false;
  let st = h.mstatus;
  if (prev <= 1 && (deleg & (1 << cause)) !== 0) {
    if (prevVirt !== 0 && ((interrupt ? h.hideleg : h.hedeleg) & (1 << cause)) !== 0) {
      // into VS: the VS CSRs; a VS-level interrupt arrives as the S-level one it stands for (VSSI 2 -> SSI 1, ...)
      const c = interrupt ? cause - 1 : cause;
      h.vscauseLo = c; h.vscauseHi = interrupt ? 1 << 31 : 0;
      h.vsepcLo = h.pcLo; h.vsepcHi = h.pcHi;
      h.vstvalLo = tvalLo; h.vstvalHi = tvalHi;
      let vs = h.vsstatus;
      vs = (vs & ~(MSTATUS.SPP | MSTATUS.SPIE)) | (prev === 1 ? MSTATUS.SPP : 0) | ((vs & MSTATUS.SIE) ? MSTATUS.SPIE : 0);
      h.vsstatus = vs & ~MSTATUS.SIE;
      h.mode = 1;
      jumpToVector(h, h.vstvecLo, h.vstvecHi, c, interrupt);
      h.reservation = -1;
      if (prev !== 1) selectTlb(h);
      return;
    }
    h.scauseLo = cause; h.scauseHi = interrupt ? 1 << 31 : 0;
    h.sepcLo = h.pcLo; h.sepcHi = h.pcHi;
    h.stvalLo = tvalLo; h.stvalHi = tvalHi;
    if (h.hasH) {
      let hs = h.hstatus & ~(HSTATUS.SPV | HSTATUS.GVA);
      if (prevVirt !== 0) hs = (hs & ~HSTATUS.SPVP) | HSTATUS.SPV | (prev === 1 ? HSTATUS.SPVP : 0);
      if (gva) hs |= HSTATUS.GVA;
      h.hstatus = hs;
      writeGuestAddress(h, false, interrupt);
    }
    st = (st & ~(MSTATUS.SPP | MSTATUS.SPIE)) | (prev === 1 ? MSTATUS.SPP : 0) | ((st & MSTATUS.SIE) ? MSTATUS.SPIE : 0);
    st &= ~MSTATUS.SIE;
    h.mstatus = st;
    h.mode = 1;
    h.virt = 0;
    jumpToVector(h, h.stvecLo, h.stvecHi, cause, interrupt);
  } else {
    h.mcauseLo = cause; h.mcauseHi = interrupt ? 1 << 31 : 0;
    h.mepcLo = h.pcLo; h.mepcHi = h.pcHi;
    h.mtvalLo = tvalLo; h.mtvalHi = tvalHi;
    if (h.hasH) {
      h.mstatusHi = (prevVirt !== 0 ? MSTATUS_HI_MPV : 0) | (gva ? MSTATUS_HI_GVA : 0);
      writeGuestAddress(h, true, interrupt);
    }
    st = (st & ~(MSTATUS.MPP | MSTATUS.MPIE)) | (prev << MSTATUS.MPP_SHIFT) | ((st & MSTATUS.MIE) ? MSTATUS.MPIE : 0);
    st &= ~MSTATUS.MIE;
    checkMprvChange(h, h.mstatus, st);
    h.mstatus = st;
    h.mode = 3;
    h.virt = 0;
    jumpToVector(h, h.mtvecLo, h.mtvecHi, cause, interrupt);
  }
  h.reservation = -1;
  if (prev !== h.mode || prevVirt !== h.virt) selectTlb(h);
}

/** htval/mtval2 (guest physical address >> 2 of a guest-page fault, else 0) and htinst/mtinst */
function writeGuestAddress(h: Hart, toM: boolean, interrupt: boolean): void {
  const g = interrupt ? 0 : h.pendGpa / 4;
  const lo = g % TWO32 | 0, hi = Math.floor(g / TWO32) | 0;
  const tinst = interrupt ? 0 : h.pendTinst;
  if (toM) { h.mtval2Lo = lo; h.mtval2Hi = hi; h.mtinstLo = tinst; h.mtinstHi = 0; }
  else { h.htvalLo = lo; h.htvalHi = hi; h.htinstLo = tinst; h.htinstHi = 0; }
}

export function jumpToVector(h: Hart, lo: number, hi: number, cause: number, interrupt: boolean): void {
  const base = lo & ~3;
  const t = interrupt && (lo & 3) === 1 ? (base + 4 * cause) | 0 : base;
  h.pcLo = t; h.pcHi = (t >>> 0) < (base >>> 0) ? (hi + 1) | 0 : hi;
}

/**
 * Take the highest-priority enabled pending interrupt, if interrupts are enabled for it: an M-level one unless
 * in M with MIE=0; an HS-level one (mideleg) always from V=1, else in U or in S with SIE; a VS-level one (mideleg
 * and hideleg) only from V=1, in VU or in VS with vsstatus.SIE.
 */
export function takeInterrupt(h: Hart, pending: number): boolean {
  const m = h.mode, st = h.mstatus, v = h.virt;
  const mideleg = h.mideleg | (h.hasH ? H_IRQ_MASK : 0);
  const mEnabled = m < 3 || (st & MSTATUS.MIE) !== 0;
  const sEnabled = v !== 0 || m < 1 || (m === 1 && (st & MSTATUS.SIE) !== 0);
  const vsEnabled = v !== 0 && (m === 0 || (h.vsstatus & MSTATUS.SIE) !== 0);
  for (const bit of IRQ_PRIORITY) {
    if (!(pending & (1 << bit))) continue;
    let enabled: boolean;
    if (!(mideleg & (1 << bit))) enabled = mEnabled;
    else if (!(h.hideleg & (1 << bit))) enabled = m <= 1 && sEnabled;
    else enabled = vsEnabled;
    if (enabled) {
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
  if (h.hasH) { // back to V=MPV (below M); MPV is cleared
    if (mpp !== 3) h.virt = (h.mstatusHi & MSTATUS_HI_MPV) !== 0 ? 1 : 0;
    h.mstatusHi &= ~MSTATUS_HI_MPV;
  }
  h.pcLo = h.mepcLo & ~(1 | h.misalignMask); h.pcHi = h.mepcHi;
  h.flags |= F_REDIRECT | F_BREAK;
  selectTlb(h);
}

export function doSret(h: Hart, raw: number): void {
  if (h.virt !== 0) {
    // VS-mode: return within the guest through vsstatus/vsepc; VU, or VS with hstatus.VTSR, traps to HS
    if (h.mode === 0 || (h.hstatus & HSTATUS.VTSR)) h.virtualInsn(raw);
    let vs = h.vsstatus;
    const spp = (vs & MSTATUS.SPP) ? 1 : 0;
    vs = (vs & ~(MSTATUS.SIE | MSTATUS.SPP)) | ((vs & MSTATUS.SPIE) ? MSTATUS.SIE : 0) | MSTATUS.SPIE;
    h.vsstatus = vs;
    h.noteModeLeave(h.retired() + 1);
    h.mode = spp;
    h.pcLo = h.vsepcLo & ~(1 | h.misalignMask); h.pcHi = h.vsepcHi;
    h.flags |= F_REDIRECT | F_BREAK;
    selectTlb(h);
    return;
  }
  if (h.mode === 0 || (h.mode === 1 && (h.mstatus & MSTATUS.TSR))) h.illegal(raw);
  let st = h.mstatus;
  const spp = (st & MSTATUS.SPP) ? 1 : 0;
  st = (st & ~(MSTATUS.SIE | MSTATUS.SPP)) | ((st & MSTATUS.SPIE) ? MSTATUS.SIE : 0) | MSTATUS.SPIE;
  st &= ~MSTATUS.MPRV;
  checkMprvChange(h, h.mstatus, st);
  h.mstatus = st;
  h.noteModeLeave(h.retired() + 1); // the SRET itself retires in the mode it leaves
  h.mode = spp;
  if (h.hasH) { // from HS (or M): to V=SPV, which is cleared
    if (h.hstatus & HSTATUS.SPV) h.virt = 1;
    h.hstatus &= ~HSTATUS.SPV;
  }
  h.pcLo = h.sepcLo & ~(1 | h.misalignMask); h.pcHi = h.sepcHi;
  h.flags |= F_REDIRECT | F_BREAK;
  selectTlb(h);
}

export function doWfi(h: Hart, raw: number): void {
  if (h.mode === 0 && h.virt === 0) h.illegal(raw);
  if (h.mode < 3 && (h.mstatus & MSTATUS.TW) && !h.hypervisor) h.illegal(raw);
  // V=1: WFI in VU, or in VS with hstatus.VTW, is for the hypervisor to decide
  if (h.virt !== 0 && (h.mode === 0 || (h.hstatus & HSTATUS.VTW))) h.virtualInsn(raw);
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

/** Sstc for VS (vstimecmp against time + htimedelta): menvcfg.STCE and henvcfg.STCE */
function vsSstcActive(h: Hart): boolean {
  return h.hasH && (h.henvcfgHi & ENVCFG_HI_STCE) !== 0 && sstcActive(h);
}

/** mip with the timer lines computed from the clock (VSTIP: hvip.VSTIP or the vstimecmp line) */
export function effectiveMip(h: Hart): number {
  let ip = h.mip;
  if (sstcActive(h) || h.mtimecmp !== Infinity) {
    const now = h.readTime();
    if (sstcActive(h) && now >= h.stimecmp) ip |= 1 << 5;
    if (now >= h.mtimecmp) ip |= 1 << 7;
    if (vsSstcActive(h) && now + h.htimedelta >= h.vstimecmp) ip |= 1 << 6;
  }
  return ip;
}

/** next tick at which a timer interrupt line rises, or Infinity */
export function nextTimerDeadline(h: Hart): number {
  let d = Infinity;
  if (sstcActive(h) && (h.mie & (1 << 5))) d = Math.min(d, h.stimecmp);
  if (h.mie & (1 << 7)) d = Math.min(d, h.mtimecmp);
  if (vsSstcActive(h) && (h.mie & (1 << 6))) d = Math.min(d, h.vstimecmp - h.htimedelta);
  return d;
}
