// CSR numbers and mstatus/mip bit positions used by the hart (RISC-V privileged spec 1.12+).
export const CSR = {
  fflags: 0x001, frm: 0x002, fcsr: 0x003,
  vstart: 0x008, vxsat: 0x009, vxrm: 0x00a, vcsr: 0x00f, vl: 0xc20, vtype: 0xc21, vlenb: 0xc22,
  cycle: 0xc00, time: 0xc01, instret: 0xc02, hpmcounter3: 0xc03, hpmcounter31: 0xc1f,
  sstatus: 0x100, sie: 0x104, stvec: 0x105, scounteren: 0x106, senvcfg: 0x10a,
  scountovf: 0xda0, sstateen0: 0x10c, mstateen0: 0x30c, hstateen0: 0x60c,
  sscratch: 0x140, sepc: 0x141, scause: 0x142, stval: 0x143, sip: 0x144, stimecmp: 0x14d, satp: 0x180,
  mvendorid: 0xf11, marchid: 0xf12, mimpid: 0xf13, mhartid: 0xf14, mconfigptr: 0xf15,
  mstatus: 0x300, misa: 0x301, medeleg: 0x302, mideleg: 0x303, mie: 0x304, mtvec: 0x305, mcounteren: 0x306,
  menvcfg: 0x30a, mseccfg: 0x747, mcountinhibit: 0x320, mhpmevent3: 0x323, mhpmevent31: 0x33f,
  mscratch: 0x340, mepc: 0x341, mcause: 0x342, mtval: 0x343, mip: 0x344, mtinst: 0x34a, mtval2: 0x34b,
  pmpcfg0: 0x3a0, pmpcfg15: 0x3af, pmpaddr0: 0x3b0, pmpaddr63: 0x3ef,
  mcycle: 0xb00, minstret: 0xb02, mhpmcounter3: 0xb03, mhpmcounter31: 0xb1f,
  tselect: 0x7a0, tdata1: 0x7a1, tdata2: 0x7a2, tdata3: 0x7a3,
  // H: the hypervisor (HS-mode) CSRs and the virtual supervisor (VS) CSRs. While V=1 the S CSRs sstatus..satp
  // and stimecmp name their VS counterparts, which sit exactly 0x100 above them (VS_SWAPPED).
  hstatus: 0x600, hedeleg: 0x602, hideleg: 0x603, hie: 0x604, htimedelta: 0x605, hcounteren: 0x606, hgeie: 0x607,
  henvcfg: 0x60a, htval: 0x643, hip: 0x644, hvip: 0x645, htinst: 0x64a, hgatp: 0x680, hgeip: 0xe12,
  vsstatus: 0x200, vsie: 0x204, vstvec: 0x205, vsscratch: 0x240, vsepc: 0x241, vscause: 0x242, vstval: 0x243,
  vsip: 0x244, vstimecmp: 0x24d, vsatp: 0x280,
} as const;

/** S CSRs that name their VS counterpart (csr + 0x100) while V=1 */
export const VS_SWAPPED = new Set<number>([0x100, 0x104, 0x105, 0x140, 0x141, 0x142, 0x143, 0x144, 0x14d, 0x180]);

/** hstatus bits (low word; VSXL = 2 is read-only in the high word) */
export const HSTATUS = {
  GVA: 1 << 6, SPV: 1 << 7, SPVP: 1 << 8, HU: 1 << 9, VTVM: 1 << 20, VTW: 1 << 21, VTSR: 1 << 22,
} as const;
export const HSTATUS_WMASK = 0x007003c0;
/** mstatus high word with H: GVA (bit 38) and MPV (bit 39) */
export const MSTATUS_HI_GVA = 1 << 6, MSTATUS_HI_MPV = 1 << 7;
/** the VS-level interrupts (VSSIP 2, VSTIP 6, VSEIP 10) and SGEIP (12): mideleg reads them as one with H */
export const VS_IRQ_MASK = (1 << 2) | (1 << 6) | (1 << 10);
export const H_IRQ_MASK = VS_IRQ_MASK | (1 << 12);

export const MSTATUS = {
  SIE: 1 << 1, MIE: 1 << 3, SPIE: 1 << 5, MPIE: 1 << 7, SPP: 1 << 8, MPP_SHIFT: 11, MPP: 3 << 11,
  VS_SHIFT: 9, VS: 3 << 9, FS_SHIFT: 13, FS: 3 << 13, MPRV: 1 << 17, SUM: 1 << 18, MXR: 1 << 19, TVM: 1 << 20, TW: 1 << 21, TSR: 1 << 22,
} as const;

/** writable bits of mstatus (low word); the high word holds UXL = SXL = 2 (read-only) and SD (computed) */
export const MSTATUS_WMASK = 0x007e7faa; // ... VS (10:9) kept only with a vector unit
export const SSTATUS_MASK = 0x000c6722; // SIE SPIE SPP VS FS SUM MXR
export const MSTATUS_HI = 0xa; // UXL=2 (bits 33:32), SXL=2 (bits 35:34)

export const IRQ = { SSI: 1, MSI: 3, STI: 5, MTI: 7, SEI: 9, MEI: 11, LCOFI: 13 } as const;
/** interrupt priority order (highest first), privileged spec 3.1.9 */
export const IRQ_PRIORITY = [11, 3, 7, 9, 1, 5, 12, 10, 2, 6, 13] as const;
export const S_IRQ_MASK = (1 << 1) | (1 << 5) | (1 << 9) | (1 << 13);

export const CAUSE = {
  FETCH_MISALIGNED: 0, FETCH_ACCESS: 1, ILLEGAL: 2, BREAKPOINT: 3, LOAD_MISALIGNED: 4, LOAD_ACCESS: 5,
  STORE_MISALIGNED: 6, STORE_ACCESS: 7, ECALL_U: 8, ECALL_S: 9, ECALL_M: 11,
  FETCH_PAGE: 12, LOAD_PAGE: 13, STORE_PAGE: 15,
  ECALL_VS: 10, FETCH_GUEST_PAGE: 20, LOAD_GUEST_PAGE: 21, VIRTUAL_INSTRUCTION: 22, STORE_GUEST_PAGE: 23,
} as const;

// menvcfg: high-word bits (bit 63 STCE, 62 PBMTE, 61 ADUE), low-word bits (CBIE 5:4, CBCFE 6, CBZE 7)
export const ENVCFG_HI_STCE = 1 << 31;
export const ENVCFG_HI_PBMTE = 1 << 30;
export const ENVCFG_HI_ADUE = 1 << 29;
export const ENVCFG_CBIE = 3 << 4;
export const ENVCFG_CBCFE = 1 << 6;
export const ENVCFG_CBZE = 1 << 7;
