// Address translation of the hart and its slow memory paths: the Sv39/48/57 page walk with its page-walk cache,
// TLB fills and the selection of the TLB set per translation context, SFENCE.VMA, and the loads and stores that
// miss the TLBs (MMIO, page-crossing accesses, AMO/LR/SC and CBO addresses). The TLBs live in guest memory
// (GuestMemory.tlbBlock) so translated code (jit.ts) reads the same entries the interpreter fills here.
import type { Hart } from './hart.js';
import { pmHi, pmHiHypervisor, updatePointerMasking } from './pointer-masking.js';
import { MSTATUS, CAUSE, ENVCFG_HI_PBMTE, ENVCFG_HI_ADUE, HSTATUS, MSTATUS_HI_MPV } from './csr.js';
import { TLB_SET_BYTES } from './memory.js';
import {
  ACC_FETCH, ACC_LOAD, ACC_STORE, F_BREAK, MAX_PHYS, MMIO_EXIT, PAGE_MASK, PWC_MASK, TLB_MASK, TLB_SIZE, TWO32,
} from './defs.js';

/** index of the first V=1 TLB set (selectTlb) */
export const TLB_SET_VIRT = 4;

/**
 * Translate a virtual address for an access; returns the guest physical address (a double).
 * Raises page faults (and access faults for page-table reads outside RAM).
 */
export function translate(h: Hart, lo: number, hi: number, acc: number): number {
  let priv: number;
  if (acc === ACC_FETCH) {
    priv = h.mode;
    if (h.virt !== 0) return translateGuest(h, lo, hi, acc, priv);
  } else if (h.hlv !== 0) {
    return translateGuest(h, lo, hi, acc, (h.hlv - 1) & 1);
  } else if (h.mode === 3 && (h.mstatus & MSTATUS.MPRV)) {
    priv = (h.mstatus >>> MSTATUS.MPP_SHIFT) & 3;
    if (priv !== 3 && (h.mstatusHi & MSTATUS_HI_MPV)) return translateGuest(h, lo, hi, acc, priv);
  } else {
    priv = h.mode;
    if (h.virt !== 0) return translateGuest(h, lo, hi, acc, priv);
  }
  const satpMode = h.satpHi >>> 28;
  if (priv === 3 || satpMode === 0) {
    h.lastLevel = 0;
    return hi >= 0 ? (hi * TWO32 + (lo >>> 0)) : -1;
  }
  const levels = satpMode === 8 ? 3 : satpMode === 9 ? 4 : 5;
  const vaBits = 12 + 9 * levels;
  const fault = acc === ACC_FETCH ? CAUSE.FETCH_PAGE : acc === ACC_LOAD ? CAUSE.LOAD_PAGE : CAUSE.STORE_PAGE;
  const top = hi >> (vaBits - 1 - 32);
  if (top !== 0 && top !== -1) h.raise(fault, lo, hi);
  h.jitStats.pageWalks++;
  const dv = h.mem.dv;
  let table = ((h.satpHi & 0xfff) * TWO32 + (h.satpLo >>> 0)) * 4096;
  let level = levels - 1;
  // the page-walk cache holds the last-level table of recently walked 2 MiB regions: start the walk there
  const pwcKey = lo >>> 21, pwc = pwcKey & PWC_MASK;
  if (h.pwcTagLo[pwc] === pwcKey && h.pwcTagHi[pwc] === hi) { table = h.pwcTable[pwc]!; level = 0; }
  for (; level >= 0; level--) {
    const vpn = vpnAt(lo, hi, 12 + 9 * level);
    const pteAddr = table + vpn * 8;
    const off = h.mem.hostOffset(pteAddr, 8);
    if (off < 0) h.raise(acc === ACC_FETCH ? CAUSE.FETCH_ACCESS : acc === ACC_LOAD ? CAUSE.LOAD_ACCESS : CAUSE.STORE_ACCESS, lo, hi);
    let pl = dv.getInt32(off, true);
    const ph = dv.getInt32(off + 4, true);
    if (!(pl & 1) || ((pl & 6) === 4)) h.raise(fault, lo, hi); // V=0, or W without R
    if (ph & 0x1fc00000) h.raise(fault, lo, hi); // reserved bits 60:54
    const pbmt = (ph >>> 29) & 3;
    if (pbmt !== 0 && (pbmt === 3 || !h.isa.has('svpbmt') || !(h.menvcfgHi & ENVCFG_HI_PBMTE))) h.raise(fault, lo, hi);
    const napot = ph < 0;
    if (napot && !h.isa.has('svnapot')) h.raise(fault, lo, hi);
    const ppn = (ph & 0x3fffff) * 4194304 + (pl >>> 10); // pte bits 53:10
    if ((pl & 0xa) === 0) { // non-leaf: D, A, U, N, PBMT must be zero
      if ((pl & 0xd0) !== 0 || napot || pbmt !== 0 || level === 0) h.raise(fault, lo, hi);
      table = ppn * 4096;
      if (level === 1) { h.pwcTagLo[pwc] = pwcKey; h.pwcTagHi[pwc] = hi; h.pwcTable[pwc] = table; }
      continue;
    }
    // leaf: permissions
    const u = (pl & 0x10) !== 0;
    if (priv === 0 ? !u : u && (acc === ACC_FETCH || !(h.mstatus & MSTATUS.SUM))) h.raise(fault, lo, hi);
    if (acc === ACC_FETCH ? !(pl & 8) : acc === ACC_LOAD ? !((pl & 2) || ((h.mstatus & MSTATUS.MXR) && (pl & 8))) : !(pl & 4)) {
      h.raise(fault, lo, hi);
    }
    const pagePpn = leafPagePpn(h, ppn, level, napot, fault, lo, hi);
    // A/D
    const needD = acc === ACC_STORE && !(pl & 0x80);
    if (!(pl & 0x40) || needD) {
      if (!(h.menvcfgHi & ENVCFG_HI_ADUE)) h.raise(fault, lo, hi);
      pl |= 0x40 | (acc === ACC_STORE ? 0x80 : 0);
      dv.setInt32(off, pl, true);
    }
    h.lastLevel = napot ? 4 : level; // NAPOT: >2 makes SFENCE.VMA vaddr drop it conservatively
    return pagePpn * 4096 + (lo & 0xfff);
  }
  return h.raise(fault, lo, hi);
}

// ---------------------------------------------------------------- H: two-stage translation

/**
 * H: translate a guest virtual address (V=1, HLV/HSV, or M-mode MPRV with MPV=1) at privilege `priv` (VS 1 or
 * VU 0): the VS-stage walk under vsatp, whose page-table reads are themselves guest physical addresses translated
 * by the G-stage, then the G-stage (hgatp) of the result. Page faults (12/13/15) come from the VS stage, guest-page
 * faults (20/21/23, with the guest physical address for htval) from the G stage. No page-walk cache: its entries
 * would be guest physical. The TLB entry made from this maps one 4 KiB page (lastLevel 0), and every fence that
 * concerns V=1 translations drops the whole V=1 TLB sets (flushVirtTlb), so no superpage bookkeeping is needed.
 */
function translateGuest(h: Hart, lo: number, hi: number, acc: number, priv: number): number {
  h.twoStage = true;
  h.lastLevel = 0;
  const vsMode = h.vsatpHi >>> 28;
  if (vsMode === 0) return gStage(h, (hi >>> 0) * TWO32 + (lo >>> 0), acc, lo, hi, false);
  const hlvx = (h.hlv & 4) !== 0;
  const levels = vsMode === 8 ? 3 : vsMode === 9 ? 4 : 5;
  const vaBits = 12 + 9 * levels;
  const fault = acc === ACC_FETCH ? CAUSE.FETCH_PAGE : acc === ACC_LOAD ? CAUSE.LOAD_PAGE : CAUSE.STORE_PAGE;
  const top = hi >> (vaBits - 1 - 32);
  if (top !== 0 && top !== -1) h.raise(fault, lo, hi);
  const dv = h.mem.dv;
  const vs = h.vsstatus;
  const mxr = ((vs | h.mstatus) & MSTATUS.MXR) !== 0;
  let table = ((h.vsatpHi & 0xfff) * TWO32 + (h.vsatpLo >>> 0)) * 4096;
  for (let level = levels - 1; level >= 0; level--) {
    const pteGpa = table + vpnAt(lo, hi, 12 + 9 * level) * 8;
    const off = h.mem.hostOffset(gStage(h, pteGpa, ACC_LOAD, lo, hi, true, acc), 8);
    if (off < 0) h.raise(acc === ACC_FETCH ? CAUSE.FETCH_ACCESS : acc === ACC_LOAD ? CAUSE.LOAD_ACCESS : CAUSE.STORE_ACCESS, lo, hi);
    let pl = dv.getInt32(off, true);
    const ph = dv.getInt32(off + 4, true);
    if (!(pl & 1) || ((pl & 6) === 4)) h.raise(fault, lo, hi);
    if (ph & 0x1fc00000) h.raise(fault, lo, hi);
    const pbmt = (ph >>> 29) & 3;
    if (pbmt !== 0 && (pbmt === 3 || !h.isa.has('svpbmt') || !(h.henvcfgHi & ENVCFG_HI_PBMTE))) h.raise(fault, lo, hi);
    const napot = ph < 0;
    if (napot && !h.isa.has('svnapot')) h.raise(fault, lo, hi);
    const ppn = (ph & 0x3fffff) * 4194304 + (pl >>> 10);
    if ((pl & 0xa) === 0) {
      if ((pl & 0xd0) !== 0 || napot || pbmt !== 0 || level === 0) h.raise(fault, lo, hi);
      table = ppn * 4096;
      continue;
    }
    const u = (pl & 0x10) !== 0;
    if (priv === 0 ? !u : u && (acc === ACC_FETCH || !(vs & MSTATUS.SUM))) h.raise(fault, lo, hi);
    // HLVX reads what is executable (read permission not needed); MXR: vsstatus's or mstatus's
    if (acc === ACC_FETCH ? !(pl & 8) : acc === ACC_LOAD ? (hlvx ? !(pl & 8) : !((pl & 2) || (mxr && (pl & 8)))) : !(pl & 4)) {
      h.raise(fault, lo, hi);
    }
    const pagePpn = leafPagePpn(h, ppn, level, napot, fault, lo, hi);
    const needD = acc === ACC_STORE && !(pl & 0x80);
    if (!(pl & 0x40) || needD) {
      if (!(h.henvcfgHi & ENVCFG_HI_ADUE)) h.raise(fault, lo, hi);
      gStage(h, pteGpa, ACC_STORE, lo, hi, true, acc); // the A/D update is a store to the guest's page table
      pl |= 0x40 | (acc === ACC_STORE ? 0x80 : 0);
      dv.setInt32(off, pl, true);
    }
    return gStage(h, pagePpn * 4096 + (lo & 0xfff), acc, lo, hi, false);
  }
  return h.raise(fault, lo, hi);
}

/**
 * H: the G-stage translation (hgatp: Bare, Sv39x4, Sv48x4, Sv57x4) of guest physical address gpa, for an access
 * of kind acc at guest virtual address (lo, hi). Every leaf must be a U page (G-stage accesses count as U-mode);
 * MXR is mstatus's alone. `implicit`: a VS-stage page-table access (htinst then holds the pseudoinstruction of a
 * 64-bit read or write), whose fault is the guest-page fault of the original access `orig`. Guest physical
 * addresses are doubles: an Sv57x4 address at or above 2^53 is reported as a guest-page fault.
 */
function gStage(h: Hart, gpa: number, acc: number, lo: number, hi: number, implicit: boolean, orig = acc): number {
  const kind = implicit ? orig : acc;
  const gfault = kind === ACC_FETCH ? CAUSE.FETCH_GUEST_PAGE : kind === ACC_LOAD ? CAUSE.LOAD_GUEST_PAGE : CAUSE.STORE_GUEST_PAGE;
  const tinst = implicit ? (acc === ACC_STORE ? 0x3020 : 0x3000) : 0;
  const mode = h.hgatpHi >>> 28;
  if (mode === 0) return gpa < MAX_PHYS ? gpa : -1;
  const levels = mode === 8 ? 3 : mode === 9 ? 4 : 5;
  if (gpa >= 2 ** (14 + 9 * levels) || gpa >= MAX_PHYS) h.raiseGuestPage(gfault, lo, hi, gpa, tinst);
  const dv = h.mem.dv;
  let table = ((h.hgatpHi & 0xfff) * TWO32 + (h.hgatpLo >>> 0)) * 4096;
  for (let level = levels - 1; level >= 0; level--) {
    const shift = 2 ** (12 + 9 * level);
    const vpn = level === levels - 1 ? Math.floor(gpa / shift) : Math.floor(gpa / shift) % 512; // root: 11 bits
    const off = h.mem.hostOffset(table + vpn * 8, 8);
    if (off < 0) h.raise(kind === ACC_FETCH ? CAUSE.FETCH_ACCESS : kind === ACC_LOAD ? CAUSE.LOAD_ACCESS : CAUSE.STORE_ACCESS, lo, hi);
    let pl = dv.getInt32(off, true);
    const ph = dv.getInt32(off + 4, true);
    if (!(pl & 1) || ((pl & 6) === 4) || (ph & 0x1fc00000)) h.raiseGuestPage(gfault, lo, hi, gpa, tinst);
    const pbmt = (ph >>> 29) & 3;
    if (pbmt !== 0 && (pbmt === 3 || !h.isa.has('svpbmt') || !(h.menvcfgHi & ENVCFG_HI_PBMTE))) h.raiseGuestPage(gfault, lo, hi, gpa, tinst);
    const napot = ph < 0;
    if (napot && !h.isa.has('svnapot')) h.raiseGuestPage(gfault, lo, hi, gpa, tinst);
    const ppn = (ph & 0x3fffff) * 4194304 + (pl >>> 10);
    if ((pl & 0xa) === 0) {
      if ((pl & 0xd0) !== 0 || napot || pbmt !== 0 || level === 0) h.raiseGuestPage(gfault, lo, hi, gpa, tinst);
      table = ppn * 4096;
      continue;
    }
    const hlvx = !implicit && (h.hlv & 4) !== 0;
    if (!(pl & 0x10)) h.raiseGuestPage(gfault, lo, hi, gpa, tinst);
    if (acc === ACC_FETCH ? !(pl & 8) : acc === ACC_LOAD ? (hlvx ? !(pl & 8) : !((pl & 2) || ((h.mstatus & MSTATUS.MXR) && (pl & 8)))) : !(pl & 4)) {
      h.raiseGuestPage(gfault, lo, hi, gpa, tinst);
    }
    const span = level === 0 ? 1 : 2 ** (9 * level);
    if (ppn % span !== 0) h.raiseGuestPage(gfault, lo, hi, gpa, tinst);
    let pagePpn: number;
    const gpn = Math.floor(gpa / 4096);
    if (napot) {
      if (level !== 0 || (ppn & 0xf) !== 8) h.raiseGuestPage(gfault, lo, hi, gpa, tinst);
      pagePpn = ppn - 8 + (gpn % 16);
    } else pagePpn = ppn + (gpn % span);
    const needD = acc === ACC_STORE && !(pl & 0x80);
    if (!(pl & 0x40) || needD) {
      if (!(h.menvcfgHi & ENVCFG_HI_ADUE)) h.raiseGuestPage(gfault, lo, hi, gpa, tinst);
      pl |= 0x40 | (acc === ACC_STORE ? 0x80 : 0);
      dv.setInt32(off, pl, true);
    }
    return pagePpn * 4096 + (gpa % 4096);
  }
  return h.raiseGuestPage(gfault, lo, hi, gpa, tinst);
}

/** H: drop the V=1 TLB sets (vsatp, hgatp, henvcfg writes, HFENCE, SFENCE.VMA from VS), and the M set when
 *  MPRV may route M-mode data accesses through V=1 translation */
export function flushVirtTlb(h: Hart): void {
  for (let k = TLB_SET_VIRT; k < h.tlbSets.length; k++) emptyTlbSet(h, k);
  if (h.mstatus & MSTATUS.MPRV) emptyTlbSet(h, 3);
  updatePointerMasking(h);
  h.flags |= F_BREAK;
}

/** drop every entry of TLB set k (nothing to do when it has not been selected since it was last emptied) */
function emptyTlbSet(h: Hart, k: number): void {
  const set = h.tlbSets[k]!;
  if (!set.used) return;
  for (let a = 0; a < 3; a++) set.tag[a]!.fill(-1);
  set.used = k === h.tlbSetIndex; // the selected set is filled without being selected again
}

/** HFENCE.VVMA / HFENCE.GVMA (and HINVAL.*): from HS (or M, or U never); V=1 code gets virtual-instruction */
export function doHfence(h: Hart, raw: number, gvma: boolean): void {
  if (h.virt !== 0) h.virtualInsn(raw);
  if (h.mode === 0 || (gvma && h.mode === 1 && (h.mstatus & MSTATUS.TVM))) h.illegal(raw);
  flushVirtTlb(h);
}

/**
 * H: the host offset for a hypervisor load/store (HLV, HLVX, HSV) of `size` bytes at guest virtual (lo, hi):
 * translated as V=1 at privilege hstatus.SPVP with no TLB fill. Allowed in M and HS, and in U with hstatus.HU;
 * from V=1 it is a virtual-instruction exception. Misaligned accesses inside a page are done; across a page or to
 * MMIO they raise the access's misaligned / access fault (documented limitation).
 */
export function hypervisorAccessOffset(h: Hart, raw: number, lo: number, hi: number, size: number, store: boolean, hlvx: boolean): number {
  if (h.virt !== 0) h.virtualInsn(raw);
  if (h.mode === 0 && !(h.hstatus & HSTATUS.HU)) h.illegal(raw);
  const acc = store ? ACC_STORE : ACC_LOAD;
  if ((lo & 0xfff) + size > 4096 || (lo & h.alignTrap & (size - 1)) !== 0) h.raise(store ? CAUSE.STORE_MISALIGNED : CAUSE.LOAD_MISALIGNED, lo, hi);
  if (!hlvx) hi = pmHiHypervisor(h, hi);
  h.hlv = 1 + ((h.hstatus & HSTATUS.SPVP) ? 1 : 0) + (hlvx ? 4 : 0);
  let pa: number;
  try { pa = translate(h, lo, hi, acc); } finally { h.hlv = 0; }
  const off = pa < 0 || pa >= MAX_PHYS ? -1 : h.mem.hostOffset(pa, size);
  if (off < 0) h.raise(store ? CAUSE.STORE_ACCESS : CAUSE.LOAD_ACCESS, lo, hi);
  if (store && h.mem.codePage[off >>> 12] !== 0) h.mem.invalidateHostPage(off >>> 12);
  h.twoStage = false;
  return off;
}

/** fill the TLB for `acc` at this virtual page and return the host offset of the page, or -1 (not RAM) */
export function fillTlb(h: Hart, lo: number, hi: number, acc: number): number {
  if (acc !== ACC_FETCH && h.pmLen !== 0) {
    // pointer masking: the entry is made (and found) under the masked address
    hi = pmHi(h, hi);
    const idx = (lo >>> 12) & TLB_MASK, tag = h.tlbTag[acc]!;
    if (tag[2 * idx] === (lo & PAGE_MASK) && tag[2 * idx + 1] === hi) return h.tlbOff[acc]![idx]!;
  }
  const pa = translate(h, lo, hi, acc);
  h.fillPa = pa; // for the slow paths when it is not RAM (MMIO): no second walk
  const page = pa - (pa % 4096);
  const host = pa < 0 || pa >= MAX_PHYS ? -1 : h.mem.hostOffset(page, 4096);
  if (host < 0) return -1;
  const idx = (lo >>> 12) & TLB_MASK;
  const tag = h.tlbTag[acc]!;
  tag[2 * idx] = lo & PAGE_MASK;
  tag[2 * idx + 1] = hi;
  if (acc === ACC_FETCH) h.tlbFetchFn[idx] = 0; // the page it names now may have no translation
  h.tlbOff[acc]![idx] = host;
  const level = h.lastLevel;
  h.tlbLevel[acc]![idx] = level;
  if (level > 2) h.bigLeaves = true;
  else if (level > 0) h.superpageRegions.add(superpageKey(lo, hi, level));
  return host;
}

/** host offset of the page holding pc (fetch translation, access fault outside RAM) */
export function fetchPageHost(h: Hart, lo: number, hi: number): number {
  const idx = (lo >>> 12) & TLB_MASK;
  const tag = h.tlbTag[ACC_FETCH]!;
  if (tag[2 * idx] === (lo & PAGE_MASK) && tag[2 * idx + 1] === hi) return h.tlbOff[ACC_FETCH]![idx]!;
  const host = fillTlb(h, lo, hi, ACC_FETCH);
  if (host < 0) h.raise(CAUSE.FETCH_ACCESS, lo, hi);
  return host;
}

/** select the TLB set of the current privilege mode (after a mode change) */
export function selectTlb(h: Hart): void {
  const m = h.mode, v = h.virt;
  // sets: 0 U, 1 S (SUM=0), 2 S (SUM=1), 3 M; with H, 4 VU, 5 VS (vsstatus.SUM=0), 6 VS (SUM=1)
  const k = m === 3 ? 3 : (v !== 0 ? TLB_SET_VIRT : 0) + (m === 0 ? 0 : ((v !== 0 ? h.vsstatus : h.mstatus) & MSTATUS.SUM) ? 2 : 1);
  const set = h.tlbSets[k]!;
  set.used = true; h.tlbSetIndex = k;
  h.tlbTag = set.tag; h.tlbOff = set.off; h.tlbLevel = set.level; h.tlbFetchFn = set.fetchFn;
  h.tlbSetBase = h.tlbBlock + k * TLB_SET_BYTES;
  updatePointerMasking(h);
  h.flags |= F_BREAK;
}

/** M-mode data translations depend on MPRV and MPP: drop them when those change while MPRV is in use */
export function checkMprvChange(h: Hart, oldSt: number, newSt: number): void {
  if (((oldSt | newSt) & MSTATUS.MPRV) && ((oldSt ^ newSt) & (MSTATUS.MPRV | MSTATUS.MPP))) flushTlb(h);
}

/** SFENCE.VMA / SINVAL.VMA: rs1 = x0 flushes everything, else only the entries derived from the leaf that maps vaddr */
export function doSfenceVma(h: Hart, raw: number, rs1: number, lo: number, hi: number): void {
  if (h.virt !== 0) { // VS: the fence is about vsatp's translations (VU, or VS with hstatus.VTVM: for HS to decide)
    if (h.mode === 0 || (h.hstatus & HSTATUS.VTVM)) h.virtualInsn(raw);
    flushVirtTlb(h);
    return;
  }
  if (h.mode === 0 || (h.mode === 1 && (h.mstatus & MSTATUS.TVM))) h.illegal(raw);
  if (rs1 === 0) { flushTlb(h); return; }
  h.pwcTagLo.fill(-1); // the page-walk cache holds non-leaf entries: any SFENCE.VMA drops them (page tables freed)
  // no superpage entry can cover vaddr: only its own 4 KiB page's index can hold a matching entry
  const onlyOwnIndex = !h.bigLeaves && !h.superpageRegions.has(superpageKey(lo, hi, 1)) &&
    !h.superpageRegions.has(superpageKey(lo, hi, 2));
  const own = (lo >>> 12) & TLB_MASK;
  for (const set of h.tlbSets) {
    if (!set.used) continue;
    for (let a = 0; a < 3; a++) {
      const tag = set.tag[a]!, lv = set.level[a]!;
      for (let k = onlyOwnIndex ? own : 0, end = onlyOwnIndex ? own + 1 : TLB_SIZE; k < end; k++) {
        const level = lv[k]!;
        const tl = tag[2 * k]!;
        if (tl === -1) continue;
        // levels 0..2 span at most 2^30 bytes, so the high word must match; larger leaves: drop them
        if (level > 2 || (tag[2 * k + 1] === hi && ((tl ^ lo) & ~((1 << (12 + 9 * level)) - 1)) === 0)) tag[2 * k] = -1;
      }
    }
  }
  h.flags |= F_BREAK;
}

/** physical address of one access, or raise (page fault / access fault) */
export function physFor(h: Hart, lo: number, hi: number, acc: number): number {
  hi = pmHi(h, hi); // acc is a load or store here, never a fetch
  const pa = translate(h, lo, hi, acc);
  if (pa < 0 || pa >= MAX_PHYS) h.raise(acc === ACC_LOAD ? CAUSE.LOAD_ACCESS : CAUSE.STORE_ACCESS, lo, hi);
  return pa;
}

/**
 * Load slow path: returns the host offset to read from (TLB refilled), or -1 when the value was produced here
 * (MMIO, page-crossing misaligned access): then it is in slowLo/ldHi, already extended.
 */
export function loadSlowOffset(h: Hart, lo: number, hi: number, size: number, destReg: number, signed: boolean, destKind: number): number {
  if ((lo & h.alignTrap & (size - 1)) !== 0) h.raise(CAUSE.LOAD_MISALIGNED, lo, hi);
  const po = lo & 0xfff;
  if (po + size <= 4096) {
    const host = fillTlb(h, lo, hi, ACC_LOAD);
    if (host >= 0) return host + po;
    // not RAM: MMIO or access fault
    const pa = h.fillPa; // fillTlb's translation
    if (pa < 0 || pa >= MAX_PHYS) h.raise(CAUSE.LOAD_ACCESS, lo, hi);
    const mi = mmioFor(h, pa, size, lo, hi, false);
    const handler = mi < 0 ? undefined : h.mem.mmioHandler[mi];
    if (handler) {
      const moff = pa - h.mem.mmioGpa[mi]!;
      const vlo = handler.read(moff, size as 1 | 2 | 4 | 8) | 0;
      const vhi = size === 8 && handler.readHigh ? handler.readHigh(moff) | 0 : 0;
      setExtended(h, vlo, vhi, size, signed);
      return -1;
    }
    h.mmio.addr = pa; h.mmio.size = size as 1 | 2 | 4 | 8; h.mmio.isWrite = false; h.mmio.data.fill(0);
    h.mmioDestKind = destKind; h.mmioDestReg = destReg; h.mmioSigned = signed; h.mmioIlen = h.curIlen;
    throw MMIO_EXIT;
  }
  // misaligned across a page boundary: byte by byte (both pages are translated before any result is used)
  const dv = h.mem.dv;
  let vlo = 0, vhi = 0;
  for (let k = 0; k < size; k++) {
    const blo = (lo + k) | 0;
    const bhi = (blo >>> 0) < (lo >>> 0) ? (hi + 1) | 0 : hi;
    const pa = physFor(h, blo, bhi, ACC_LOAD);
    const off = h.mem.hostOffset(pa, 1);
    if (off < 0) h.raise(h.hypervisor ? CAUSE.LOAD_MISALIGNED : CAUSE.LOAD_ACCESS, h.hypervisor ? lo : blo, h.hypervisor ? hi : bhi);
    const b = dv.getUint8(off);
    if (k < 4) vlo |= b << (8 * k); else vhi |= b << (8 * (k - 4));
  }
  setExtended(h, vlo, vhi, size, signed);
  return -1;
}

/**
 * The MMIO window of a load/store at pa that is not RAM, or -1 for none (then, under the hypervisor, it exits
 * to the VMM anyway: KVM turns every guest access outside its memslots into an MMIO exit, and the VMM decides).
 * A misaligned one cannot be an MMIO exit (KVM refuses it with EIO, ending the VM): the guest gets the
 * address-misaligned exception of hardware without misaligned I/O, and its handler splits the access.
 * An M-mode hart (exec) has no VMM behind it: both are its own access faults.
 */
function mmioFor(h: Hart, pa: number, size: number, lo: number, hi: number, write: boolean): number {
  if ((pa & (size - 1)) !== 0) {
    if (h.hypervisor) h.raise(write ? CAUSE.STORE_MISALIGNED : CAUSE.LOAD_MISALIGNED, lo, hi);
    h.raise(write ? CAUSE.STORE_ACCESS : CAUSE.LOAD_ACCESS, lo, hi);
  }
  const mi = h.mem.mmioIndex(pa, size);
  if (mi < 0 && !h.hypervisor) h.raise(write ? CAUSE.STORE_ACCESS : CAUSE.LOAD_ACCESS, lo, hi);
  return mi;
}

/** the loaded value of `size` bytes, sign- or zero-extended to 64 bits, into slowLo/ldHi */
export function setExtended(h: Hart, lo: number, hi: number, size: number, signed: boolean): void {
  if (size < 8) {
    const sh = 32 - 8 * size;
    lo = signed ? (lo << sh) >> sh : size === 4 ? lo : (lo << sh) >>> sh;
    hi = signed ? lo >> 31 : 0;
  }
  h.slowLo = lo | 0; h.ldHi = hi | 0;
}

/** Store slow path: returns host offset to write (TLB refilled, code invalidated), or -1 when done here. */
export function storeSlowOffset(h: Hart, lo: number, hi: number, size: number, vlo: number, vhi: number): number {
  if ((lo & h.alignTrap & (size - 1)) !== 0) h.raise(CAUSE.STORE_MISALIGNED, lo, hi);
  const po = lo & 0xfff;
  if (po + size <= 4096) {
    const host = fillTlb(h, lo, hi, ACC_STORE);
    if (host >= 0) {
      if (h.mem.codePage[host >>> 12] !== 0) h.mem.invalidateHostPage(host >>> 12);
      return host + po;
    }
    const pa = h.fillPa; // fillTlb's translation
    if (pa < 0 || pa >= MAX_PHYS) h.raise(CAUSE.STORE_ACCESS, lo, hi);
    const mi = mmioFor(h, pa, size, lo, hi, true);
    const handler = mi < 0 ? undefined : h.mem.mmioHandler[mi];
    const mask = size === 1 ? 0xff : size === 2 ? 0xffff : -1;
    if (handler) {
      const moff = pa - h.mem.mmioGpa[mi]!;
      handler.write(moff, size as 1 | 2 | 4 | 8, (vlo & mask) >>> 0, size === 8 ? vhi >>> 0 : 0);
      return -1;
    }
    h.mmio.addr = pa; h.mmio.size = size as 1 | 2 | 4 | 8; h.mmio.isWrite = true;
    const d = new DataView(h.mmio.data.buffer);
    d.setInt32(0, size === 8 ? vlo : vlo & mask, true); d.setInt32(4, size === 8 ? vhi : 0, true);
    h.mmioIlen = h.curIlen;
    throw MMIO_EXIT;
  }
  // page-crossing: translate every byte first so a fault leaves memory untouched
  const dv = h.mem.dv;
  const offs = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let k = 0; k < size; k++) {
    const blo = (lo + k) | 0;
    const bhi = (blo >>> 0) < (lo >>> 0) ? (hi + 1) | 0 : hi;
    const pa = physFor(h, blo, bhi, ACC_STORE);
    const off = h.mem.hostOffset(pa, 1);
    if (off < 0) h.raise(h.hypervisor ? CAUSE.STORE_MISALIGNED : CAUSE.STORE_ACCESS, h.hypervisor ? lo : blo, h.hypervisor ? hi : bhi);
    offs[k] = off;
  }
  for (let k = 0; k < size; k++) {
    const off = offs[k]!;
    if (h.mem.codePage[off >>> 12] !== 0) h.mem.invalidateHostPage(off >>> 12);
    dv.setUint8(off, k < 4 ? vlo >>> (8 * k) : vhi >>> (8 * (k - 4)));
  }
  return -1;
}

/**
 * Generic load for out-of-line semantics (FP loads) and translated code's slow path: returns lo, hi in ldHi,
 * zero-extended (or sign-extended when `signed`) from `size` bytes.
 */
export function load(h: Hart, lo: number, hi: number, size: 1 | 2 | 4 | 8, destKind: number, destReg: number, signed = false): number {
  const idx = (lo >>> 12) & TLB_MASK;
  const po = lo & 0xfff;
  let off: number;
  const tag = h.tlbTag[ACC_LOAD]!;
  if (tag[2 * idx] === (lo & PAGE_MASK) && tag[2 * idx + 1] === hi && po <= 4096 - size && (lo & h.alignTrap & (size - 1)) === 0) {
    off = h.tlbOff[ACC_LOAD]![idx]! + po;
  } else {
    off = loadSlowOffset(h, lo, hi, size, destReg, signed, destKind);
    if (off < 0) return h.slowLo;
  }
  const dv = h.mem.dv;
  let v: number;
  switch (size) {
    case 1: v = signed ? dv.getInt8(off) : dv.getUint8(off); break;
    case 2: v = signed ? dv.getInt16(off, true) : dv.getUint16(off, true); break;
    default: v = dv.getInt32(off, true); break;
  }
  h.ldHi = size === 8 ? dv.getInt32(off + 4, true) : signed ? v >> 31 : 0;
  return v;
}

/** Generic store for out-of-line semantics and translated code's slow path. */
export function store(h: Hart, lo: number, hi: number, size: 1 | 2 | 4 | 8, vlo: number, vhi: number): void {
  const idx = (lo >>> 12) & TLB_MASK;
  const po = lo & 0xfff;
  let off: number;
  const tag = h.tlbTag[ACC_STORE]!;
  if (tag[2 * idx] === (lo & PAGE_MASK) && tag[2 * idx + 1] === hi && po <= 4096 - size && (lo & h.alignTrap & (size - 1)) === 0) {
    off = h.tlbOff[ACC_STORE]![idx]! + po;
    if (h.mem.codePage[off >>> 12] !== 0) h.mem.invalidateHostPage(off >>> 12);
  } else {
    off = storeSlowOffset(h, lo, hi, size, vlo, vhi);
    if (off < 0) return;
  }
  const dv = h.mem.dv;
  switch (size) {
    case 1: dv.setInt8(off, vlo); break;
    case 2: dv.setInt16(off, vlo, true); break;
    case 4: dv.setInt32(off, vlo, true); break;
    default: dv.setInt32(off, vlo, true); dv.setInt32(off + 4, vhi, true); break;
  }
}

/**
 * Host offset for an AMO / LR / SC: must be naturally aligned (else address-misaligned), RAM (else access fault).
 * AMOs and SC need write permission (store/AMO faults); LR only read permission.
 */
export function amoHostOffset(h: Hart, lo: number, hi: number, size: number, readOnly = false): number {
  if ((lo & (size - 1)) !== 0) h.raise(readOnly ? CAUSE.LOAD_MISALIGNED : CAUSE.STORE_MISALIGNED, lo, hi);
  const acc = readOnly ? ACC_LOAD : ACC_STORE;
  // through the TLB of the access kind: a store entry exists only once write permission was granted and D set,
  // which is what an AMO or SC needs; LR needs what a load needs. Aligned, so never across the page.
  const idx = (lo >>> 12) & TLB_MASK, tag = h.tlbTag[acc]!;
  let off: number;
  if (tag[2 * idx] === (lo & PAGE_MASK) && tag[2 * idx + 1] === hi) off = h.tlbOff[acc]![idx]! + (lo & 0xfff);
  else {
    const host = fillTlb(h, lo, hi, acc); // raises the page faults
    if (host < 0) h.raise(readOnly ? CAUSE.LOAD_ACCESS : CAUSE.STORE_ACCESS, lo, hi); // MMIO or no memory
    off = host + (lo & 0xfff);
  }
  if (!readOnly && h.mem.codePage[off >>> 12] !== 0) h.mem.invalidateHostPage(off >>> 12);
  return off;
}

/** Host offset of the cache block (64 bytes) for CBO.ZERO (store permission) or clean/flush/inval (a check only). */
export function cboHostOffset(h: Hart, lo: number, hi: number, write: boolean): number {
  const blo = lo & ~63;
  const pa = physFor(h, blo, hi, write ? ACC_STORE : ACC_LOAD);
  const off = h.mem.hostOffset(pa, 64);
  if (off < 0) {
    if (h.mem.mmioIndex(pa, 1) >= 0 && !write) return -1;
    h.raise(write ? CAUSE.STORE_ACCESS : CAUSE.LOAD_ACCESS, lo, hi);
  }
  if (write && h.mem.codePage[off >>> 12] !== 0) h.mem.invalidateHostPage(off >>> 12);
  return off;
}

/** The host page of a pc the fetch TLB maps (no walk, no trap: -1 when it is not there) */
export function fetchHostPageOf(h: Hart, pcLo: number, pcHi: number): number {
  const idx = (pcLo >>> 12) & TLB_MASK, tag = h.tlbTag[ACC_FETCH]!;
  if (tag[2 * idx] !== (pcLo & PAGE_MASK) || tag[2 * idx + 1] !== pcHi) return -1;
  return h.tlbOff[ACC_FETCH]![idx]! >>> 12;
}

export function flushTlb(h: Hart): void {
  for (let k = 0; k < h.tlbSets.length; k++) emptyTlbSet(h, k);
  h.jitStats.tlbFlushes++;
  h.pwcTagLo.fill(-1);
  h.superpageRegions.clear(); h.bigLeaves = false;
  updatePointerMasking(h);
  h.flags |= F_BREAK;
}
/**
 * Debugger view of the MMU (like KVM_TRANSLATE): the guest physical address `va` maps to under the current
 * satp, or -1 when it is unmapped. Walks the tables without permission checks, A/D updates, TLB fills or traps.
 */
export function debugTranslate(h: Hart, va: bigint): number {
  const v = BigInt.asUintN(64, va);
  const satpMode = h.satpHi >>> 28;
  if (h.mode === 3 || satpMode === 0) return v < 2n ** 53n ? Number(v) : -1;
  const levels = satpMode === 8 ? 3 : satpMode === 9 ? 4 : 5;
  const vaBits = 12 + 9 * levels;
  if (BigInt.asUintN(64, BigInt.asIntN(vaBits, v)) !== v) return -1; // not sign-extended
  const dv = h.mem.dv;
  let table = ((h.satpHi & 0xfff) * TWO32 + (h.satpLo >>> 0)) * 4096;
  for (let level = levels - 1; level >= 0; level--) {
    const vpn = Number((v >> BigInt(12 + 9 * level)) & 0x1ffn);
    const off = h.mem.hostOffset(table + vpn * 8, 8);
    if (off < 0) return -1;
    const pte = dv.getBigUint64(off, true);
    if (!(pte & 1n) || (pte & 6n) === 4n) return -1;
    const ppn = (pte >> 10n) & ((1n << 44n) - 1n);
    if ((pte & 0xan) === 0n) { table = Number(ppn) * 4096; continue; }
    const pageBits = BigInt(12 + 9 * level);
    let base = (ppn << 12n) & ~((1n << pageBits) - 1n);
    if (pte >> 63n) base = (ppn & ~0xfn) << 12n; // Svnapot 64 KiB: the low VPN bits come from va
    const mask = (pte >> 63n) ? 0xffffn : (1n << pageBits) - 1n;
    return Number(base | (v & mask));
  }
  return -1;
}
/** key of the level-1 (2 MiB) or level-2 (1 GiB) virtual region holding (lo, hi): region number * 4 + level */
function superpageKey(lo: number, hi: number, level: number): number {
  const region = level === 1 ? (hi >>> 0) * 2048 + (lo >>> 21) : (hi >>> 0) * 4 + (lo >>> 30);
  return region * 4 + level;
}

/**
 * The 4 KiB page a leaf PTE at `level` maps the address (lo, hi) to, for the single-stage and the VS-stage walk
 * alike: a superpage's PPN bits below its level must be zero, and the only NAPOT size defined is 64 KiB
 * (ppn[3:0] = 0b1000 at level 0); anything else raises `fault` for the address.
 */
function leafPagePpn(h: Hart, ppn: number, level: number, napot: boolean, fault: number, lo: number, hi: number): number {
  const span = level === 0 ? 1 : 2 ** (9 * level);
  if (ppn % span !== 0) h.raise(fault, lo, hi);
  if (napot) {
    if (level !== 0 || (ppn & 0xf) !== 8) h.raise(fault, lo, hi);
    return ppn - 8 + (vpnAt(lo, hi, 12) & 0xf);
  }
  let below = 0;
  for (let l = 0; l < level; l++) below += vpnAt(lo, hi, 12 + 9 * l) * 2 ** (9 * l);
  return ppn + below;
}

function vpnAt(lo: number, hi: number, shift: number): number {
  if (shift >= 32) return (hi >>> (shift - 32)) & 0x1ff;
  if (shift + 9 <= 32) return (lo >>> shift) & 0x1ff;
  return ((lo >>> shift) | (hi << (32 - shift))) & 0x1ff;
}

