// The vector unit of one hart (V 1.0 / Zve*): the vector register file, which lives in the hart's one
// WebAssembly.Memory (GuestMemory.vregBlock) like the other registers, and the vector CSRs (vstart, vxsat, vxrm,
// vcsr, vl, vtype, vlenb). Instruction semantics are in ../ext/v*.ts; this file owns state, configuration
// (vsetvl*) and element access, so the semantics stay tables of element operations.
//
// Policy: tail and inactive (masked-off) elements are always left undisturbed, whatever vta/vma say (agnostic
// allows undisturbed), so results never depend on an implementation choice.
import type { Hart } from '../hart.js';
import { CSR } from '../csr.js';

export const VLEN_DEFAULT = 128;

/** 64-bit element values travel as lo plus E.hi (no BigInt, no allocation). */
export const E = { hi: 0 };

const VECTOR_CSRS = new Set<number>([CSR.vstart, CSR.vxsat, CSR.vxrm, CSR.vcsr, CSR.vl, CSR.vtype, CSR.vlenb]);

export class VectorUnit {
  readonly vlen: number;
  readonly vlenb: number;
  /** ELEN: 64 with Zve64x, 32 with Zve32x only */
  elen = 64;
  /** register file views (refreshed when the memory grows) */
  u8!: Uint8Array;
  u16!: Uint16Array;
  i32!: Int32Array;

  vstart = 0;
  vl = 0;
  /** vtype fields; vill set means every other field is 0 */
  vill = true;
  vsew = 0; // 0..3: SEW = 8 << vsew
  vlmul = 0; // encoded vlmul (0..3 = 1..8, 5..7 = 1/8..1/2)
  vta = false;
  vma = false;
  vxrm = 0;
  vxsat = 0;

  constructor(private readonly h: Hart, private readonly base: number, vlen: number) {
    this.vlen = vlen;
    this.vlenb = vlen >>> 3;
    this.refresh();
  }

  refresh(): void {
    const buf = this.h.mem.memory.buffer;
    this.u8 = new Uint8Array(buf, this.base, 32 * this.vlenb);
    this.u16 = new Uint16Array(buf, this.base, 16 * this.vlenb);
    this.i32 = new Int32Array(buf, this.base, 8 * this.vlenb);
  }

  setIsa(isa: ReadonlySet<string>): void {
    this.elen = isa.has('zve64x') ? 64 : 32;
  }

  /** Reset state as KVM does for a vCPU: registers zero, vtype.vill set, vl = vstart = 0. */
  reset(): void {
    this.u8.fill(0);
    this.vstart = 0; this.vl = 0; this.vxrm = 0; this.vxsat = 0;
    this.setVill();
  }

  private setVill(): void {
    this.vill = true; this.vsew = 0; this.vlmul = 0; this.vta = false; this.vma = false;
  }

  get sew(): number { return 8 << this.vsew; }

  /** LMUL as a number (1/8 .. 8) */
  lmulOf(vlmul: number): number { return vlmul < 4 ? 1 << vlmul : 1 / (1 << (8 - vlmul)); }

  /** VLMAX for the current vtype */
  get vlmax(): number { return (this.vlen / this.sew) * this.lmulOf(this.vlmul) | 0; }

  /** Registers a group of the current LMUL spans (fractional LMUL: 1). */
  get groupRegs(): number { return this.vlmul < 4 ? 1 << this.vlmul : 1; }

  vtypeLo(): number {
    return this.vill ? 0 : this.vlmul | (this.vsew << 3) | (this.vta ? 64 : 0) | (this.vma ? 128 : 0);
  }

  /** vsetvl{i}: apply vtype (lo, hi), choose vl from the AVL; returns the new vl. */
  configure(vtLo: number, vtHi: number, avl: number, keepVl: boolean): number {
    const vlmul = vtLo & 7, vsew = (vtLo >>> 3) & 7;
    const sew = 8 << vsew;
    const lmul = this.lmulOf(vlmul);
    const ok = (vtLo >>> 8) === 0 && vtHi === 0 && vlmul !== 4 && vsew <= 3 && sew <= this.elen && sew <= lmul * this.elen;
    this.vstart = 0;
    if (!ok) {
      this.setVill();
      this.vl = 0;
      return 0;
    }
    this.vill = false; this.vsew = vsew; this.vlmul = vlmul;
    this.vta = (vtLo & 64) !== 0; this.vma = (vtLo & 128) !== 0;
    const vlmax = this.vlmax;
    this.vl = keepVl ? Math.min(this.vl, vlmax) : Math.min(avl, vlmax);
    return this.vl;
  }

  isCsr(csr: number): boolean { return VECTOR_CSRS.has(csr); }

  csrRead(csr: number): number | undefined {
    const h = this.h;
    h.csrHi = 0;
    switch (csr) {
      case CSR.vstart: return this.vstart;
      case CSR.vxsat: return this.vxsat;
      case CSR.vxrm: return this.vxrm;
      case CSR.vcsr: return (this.vxrm << 1) | this.vxsat;
      case CSR.vl: return this.vl;
      case CSR.vtype: h.csrHi = this.vill ? 1 << 31 : 0; return this.vtypeLo();
      case CSR.vlenb: return this.vlenb;
    }
    return undefined;
  }

  /** Raw writes (raw = true: KVM ONE_REG) may also set vl and vtype, which instructions only read. */
  csrWrite(csr: number, lo: number, hi: number, raw: boolean): boolean {
    switch (csr) {
      case CSR.vstart: this.vstart = lo & (this.vlen - 1); break;
      case CSR.vxsat: this.vxsat = lo & 1; break;
      case CSR.vxrm: this.vxrm = lo & 3; break;
      case CSR.vcsr: this.vxsat = lo & 1; this.vxrm = (lo >>> 1) & 3; break;
      case CSR.vl: if (!raw) return false; this.vl = lo >>> 0; return true;
      case CSR.vtype: {
        if (!raw) return false;
        const vl = this.vl, vstart = this.vstart;
        this.configure(lo, hi & 0x7fffffff, 0, true);
        if ((hi >>> 31) !== 0) this.setVill();
        this.vl = vl; this.vstart = vstart;
        return true;
      }
      case CSR.vlenb: return raw;
      default: return false;
    }
    this.h.markVsDirty();
    return true;
  }

  // ---- element access: register group `reg`, element index i at SEW `sew` (bits). Values are returned as lo
  // (sign- or zero-extended to 64 bits with E.hi holding the high word).

  get(reg: number, i: number, sew: number, signed: boolean): number {
    const bytes = sew >>> 3;
    const off = reg * this.vlenb + i * bytes;
    let v: number;
    switch (sew) {
      case 8: v = this.u8[off]!; if (signed) v = (v << 24) >> 24; break;
      case 16: v = this.u16[off >>> 1]!; if (signed) v = (v << 16) >> 16; break;
      case 32: v = this.i32[off >>> 2]!; if (!signed) { E.hi = 0; return v; } break;
      default: E.hi = this.i32[(off >>> 2) + 1]!; return this.i32[off >>> 2]!;
    }
    E.hi = signed ? v >> 31 : 0;
    return v | 0;
  }

  set(reg: number, i: number, sew: number, lo: number, hi: number): void {
    const off = reg * this.vlenb + i * (sew >>> 3);
    switch (sew) {
      case 8: this.u8[off] = lo; break;
      case 16: this.u16[off >>> 1] = lo; break;
      case 32: this.i32[off >>> 2] = lo; break;
      default: this.i32[off >>> 2] = lo; this.i32[(off >>> 2) + 1] = hi; break;
    }
  }

  /** byte offset of register reg in the guest memory (the register file is in the one WebAssembly.Memory) */
  regOffset(reg: number): number {
    return this.base + reg * this.vlenb;
  }

  /** mask bit i of register reg (v0 for masking) */
  maskBit(reg: number, i: number): boolean {
    return ((this.u8[reg * this.vlenb + (i >>> 3)]! >>> (i & 7)) & 1) !== 0;
  }

  setMaskBit(reg: number, i: number, on: boolean): void {
    const off = reg * this.vlenb + (i >>> 3);
    if (on) this.u8[off]! |= 1 << (i & 7);
    else this.u8[off]! &= ~(1 << (i & 7));
  }

  /** whether element i is active: unmasked (vm = 1) or v0's bit i set */
  active(vm: boolean, i: number): boolean {
    return vm || ((this.u8[i >>> 3]! >>> (i & 7)) & 1) !== 0;
  }

  // ---- state for KVM ONE_REG (not hot)

  /** register n's bytes (vlenb of them), as a copy */
  readReg(n: number): Uint8Array {
    return this.u8.slice(n * this.vlenb, (n + 1) * this.vlenb);
  }

  writeReg(n: number, bytes: Uint8Array): void {
    this.u8.set(bytes.subarray(0, this.vlenb), n * this.vlenb);
  }
}
