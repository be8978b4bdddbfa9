// Pointer masking (Ssnpm, Smnpm, Smmpm; Supm is what U-mode sees of them): the PMM fields of senvcfg (U and VU),
// menvcfg (S/HS), henvcfg (VS), mseccfg (M) and hstatus.HUPMM (HLV/HSV from U-mode) make the top PMLEN bits of
// an explicit data address ignored: the address is sign-extended from bit 63 - PMLEN when the effective mode
// translates (satp, or vsatp for VS/VU, not Bare), zero-extended when it is physical (M-mode, Bare, a guest
// physical address under vsatp = Bare). Fetches, page-table walks and fences are never masked; nor is any access
// while MXR is in effect, nor HLVX.
// WARL choice: PMM = 2 (PMLEN 7) and 3 (PMLEN 16) are both supported in every field; 1 (reserved) reads back 0.
//
// Why it costs nothing when off: only the high word changes (PMLEN <= 16), so the slow paths mask it before the
// TLB fill and store the *masked* tag. An untagged pointer hits the TLB as always; a tagged one misses the inline
// check and finds its masked entry in fillTlb without a walk. Entries are per effective mode (the TLB sets), and
// every write that changes a PMM field, MXR, MPRV/MPP or a translation mode already flushes or reselects them.
import type { Hart } from './hart.js';
import { MSTATUS, MSTATUS_HI_MPV, HSTATUS } from './csr.js';

/** PMM field (bits 33:32, i.e. bits 1:0 of the high word) -> PMLEN */
const PMLEN = [0, 0, 7, 16];
/** the WARL value kept for a written PMM field */
export const pmmWarl = (hi: number): number => (((hi & 3) === 1 ? 0 : hi & 3));

/**
 * PMLEN (and sign or zero extension) of a data access made in mode m with virtualization v: from the PMM field of
 * the next higher mode (hupmm: the HLV/HSV from U-mode case). Sets h.pmSext; returns PMLEN.
 */
function pmlenFor(h: Hart, m: number, v: number, hupmm: boolean): number {
  if ((h.mstatus & MSTATUS.MXR) !== 0 || (v !== 0 && (h.vsstatus & MSTATUS.MXR) !== 0)) return 0;
  let pmm: number;
  if (hupmm) pmm = (h.hstatusHi >>> 16) & 3;
  else if (m === 3) pmm = h.mseccfgHi & 3; // each field is 0 unless its extension is there (csrfile.ts)
  else if (v !== 0) pmm = m === 1 ? h.henvcfgHi & 3 : h.senvcfgHi & 3;
  else pmm = m === 1 ? h.menvcfgHi & 3 : h.senvcfgHi & 3;
  const len = PMLEN[pmm]!;
  if (len !== 0) h.pmSext = m !== 3 && ((v !== 0 ? h.vsatpHi : h.satpHi) >>> 28) !== 0;
  return len;
}

/** Recompute h.pmLen / h.pmSext for the current effective data-access mode (MPRV included). */
export function updatePointerMasking(h: Hart): void {
  let m: number = h.mode, v = h.virt;
  if (m === 3 && (h.mstatus & MSTATUS.MPRV) !== 0) {
    m = (h.mstatus >>> MSTATUS.MPP_SHIFT) & 3;
    v = m !== 3 && (h.mstatusHi & MSTATUS_HI_MPV) !== 0 ? 1 : 0;
  }
  h.pmLen = pmlenFor(h, m, v, false);
}

/** the high word of a data address of the current mode after masking */
export function pmHi(h: Hart, hi: number): number {
  const len = h.pmLen;
  if (len === 0) return hi;
  return h.pmSext ? (hi << len) >> len : ((hi << len) >>> len) | 0;
}

/** the high word of an HLV/HSV address (not HLVX): the mode hstatus.SPVP names, with V=1 */
export function pmHiHypervisor(h: Hart, hi: number): number {
  const spvp = (h.hstatus & HSTATUS.SPVP) !== 0;
  const saveSext = h.pmSext;
  const len = pmlenFor(h, spvp ? 1 : 0, 1, h.mode === 0 && !spvp);
  const out = len === 0 ? hi : h.pmSext ? (hi << len) >> len : ((hi << len) >>> len) | 0;
  h.pmSext = saveSext;
  return out;
}
