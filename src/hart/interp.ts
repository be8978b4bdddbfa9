// The interpreter loop of the hart (runSlice) and its decode cache. RV64I and the most frequent M and memory
// operations are executed inline in one switch (they are most of what a guest executes); other extensions'
// semantics live in ext/*.ts and are called through one function table. Hot code pages are entered in their
// translation to WebAssembly (jit.ts) from here.
//
// Hot path rules: no BigInt, no allocation; the loop keeps the pc as (page, slot) and re-checks the fetch TLB
// only when it leaves a page.
import type { Hart } from './hart.js';
import { setPageSlot } from './page-slots.js';
import { Op } from './ops.js';
import { CAUSE } from './csr.js';
import { umul32, r as i64 } from './int64.js';
import { RUN_BOUND } from './jit.js';
import {
  ACC_LOAD, ACC_STORE, DEBUG_EXIT, DEST_X, Exit, F_BREAK, F_REDIRECT, F_WFI, INSTR_TRACE, JIT_RETRANSLATE,
  MMIO_EXIT, PAGE_MASK, RAW_BASE, TLB_MASK, TRAP, pairToBig,
} from './defs.js';
import { deliverException } from './trap.js';
import { fetchPageHost, fetchHostPageOf, loadSlowOffset, storeSlowOffset } from './mmu.js';
import { CODE_PAGE_CODE } from './memory.js';

const NO_ENTRY: Uint8Array<ArrayBuffer> = new Uint8Array(2048);
const EMPTY_PAGE = new Int32Array(2048 * 4);

/** execute up to `limit` instructions; returns -1 to continue, else an Exit */
export function runSlice(h: Hart, limit: number): number {
  const mem = h.mem;
  const dv = mem.dv;
  const codePage = mem.codePage;
  const x = h.x;
  const exec = h.execTable;
  const lTag = h.tlbTag[ACC_LOAD]!, lOff = h.tlbOff[ACC_LOAD]!;
  const sTag = h.tlbTag[ACC_STORE]!, sOff = h.tlbOff[ACC_STORE]!;
  const misalign = h.misalignMask;
  const alignTrap = h.alignTrap; // -1: a misaligned load/store takes the slow path, which raises
  // Inside a code page the pc is (pageLo | so, pageHi), so = the page offset (the slot index): straight-line
  // code and jumps within the page never re-check the fetch page or carry into the high word. pcLo/pcHi hold the
  // pc only while so < 0 (entering a page).
  let pcLo = h.pcLo, pcHi = h.pcHi;
  let so = -1;
  let n = 0;
  let page: Int32Array = EMPTY_PAGE;
  let pageLo = 0, pageHi = 0, pageHost = 0;
  const instrument = h.instrument;
  let countedSo = -1; // slot of the last counted instruction in this page (-1: none)
  const jitOn = h.jitEnabled && (instrument & INSTR_TRACE) === 0; // translated code counts for the profile too
  const jitState = h.jitState, xb = h.stateOff;
  let jitIndex = 0, jitEntry = NO_ENTRY; // the page's translation (table index; 0 = none)
  let jitSkip = false; // the interpreter executes the next translated-code entry it reaches itself
  let arrived = false; // control just arrived in this translated page (not by an instruction interpreted in it)
  let inJit = false;
  let heatPage = -1, heatFrom = 0; // an untranslated page being interpreted, and n when it was entered
  h.flags &= ~F_BREAK;
  try {
    // outer loop: enter the page holding pcLo/pcHi; inner loop: run inside it (page and its tag stay invariant)
    pages: while (n < limit) {
      h.pcLo = pcLo; h.pcHi = pcHi;
      pageHost = fetchPageHost(h, pcLo, pcHi);
      page = decodedPage(h, pageHost >>> 12);
      pageLo = pcLo & PAGE_MASK; pageHi = pcHi;
      so = pcLo & 0xffe;
      countedSo = -1;
      if (jitOn) {
        if (heatPage >= 0) h.jitHeat[heatPage] += n - heatFrom;
        const jp = h.jitPageFor(pageHost >>> 12, page);
        if (jp !== undefined) {
          jitIndex = jp.tableIndex; jitEntry = jp.entry; heatPage = -1;
          arrived = n !== 0; // (not where a slice resumes)
          h.tlbFetchFn[(pcLo >>> 12) & TLB_MASK] = jp.tableIndex; // translated code may now jump here directly
        } else {
          jitIndex = 0; jitEntry = NO_ENTRY; heatPage = pageHost >>> 12; heatFrom = n;
          if (n !== 0) h.jitPageEntry(heatPage, so); // where its translation will need an entry
        }
      }
      while (n < limit) {
        const slot = so;
        if (jitIndex !== 0) {
          if (jitEntry[slot >>> 1] === 0) {
            // interpreted up to the next entry; where control arrived may become one (Hart.jitArrival), unless
            // it is the end of the slice (translated code stops short of it), which is interpreted anyway
            if (arrived) {
              arrived = false; jitSkip = false;
              if (limit - n > RUN_BOUND) h.jitArrival(pageHost >>> 12, slot);
            }
          } else if (limit - n <= RUN_BOUND) arrived = false;
          else if (jitSkip) jitSkip = false;
          else {
            inJit = true;
            h.jitBase = n;
            jitSkip = h.jitEnter(jitIndex, xb, h.tlbSetBase, pageLo, pageHi, slot, limit - n - RUN_BOUND, 0) !== 0;
            inJit = false;
            arrived = true;
            const ran = jitState[2]!;
            n += ran;
            h.jitStats.retiredTranslated += ran;
            const hot = jitState[3]!; // a page whose heat ran out (jit.ts JIT_WANT_OPT): host page + 1
            if (hot !== 0) {
              jitState[3] = 0;
              const made = h.jitOptimize(hot - 1);
              if (made !== undefined && hot - 1 === pageHost >>> 12) jitEntry = made.entry;
            }
            pcLo = jitState[0]!; pcHi = jitState[1]!;
            if (h.flags & (F_BREAK | F_WFI)) { // an instruction run through jitExec ended the slice
              h.flags &= ~F_BREAK;
              h.pcLo = pcLo; h.pcHi = pcHi; h.instret += n; h.sliceRetired = 0;
              return -1;
            }
            if ((pcLo & PAGE_MASK) === pageLo && pcHi === pageHi) { so = pcLo & 0xffe; continue; }
            so = -1;
            continue pages;
          }
        }
        let w = page[slot]!;
        if (w === 0) {
          h.pcLo = pageLo | slot; h.pcHi = pageHi;
          w = decodeSlot(h, page, slot, pageHost, h.pcLo, pageHi);
        }
        if (instrument !== 0) {
          page[RAW_BASE + slot + 1]++; countedSo = slot;
          if (instrument & INSTR_TRACE) { h.traceW = w; h.traceRaw = page[RAW_BASE + slot]!; }
        }
        const imm = page[slot + 1]!;
        const ilen = w < 0 ? 2 : 4;
        const rd = (w >>> 10) & 127;
        const rs1 = (w >>> 17) & 127;
        const rs2 = (w >>> 24) & 127;
        let lo = 0, hi = 0;
        switch (w & 0x3ff) {
          case Op.ADDI: {
            const a = x[rs1]!;
            lo = (a + imm) | 0;
            x[rd + 1] = (x[rs1 + 1]! + (imm >> 31) + ((lo >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
            x[rd] = lo;
            break;
          }
          case Op.ADD: {
            const a = x[rs1]!;
            lo = (a + x[rs2]!) | 0;
            x[rd + 1] = (x[rs1 + 1]! + x[rs2 + 1]! + ((lo >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
            x[rd] = lo;
            break;
          }
          case Op.SUB: {
            const a = x[rs1]!, b = x[rs2]!;
            x[rd + 1] = (x[rs1 + 1]! - x[rs2 + 1]! - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
            x[rd] = (a - b) | 0;
            break;
          }
          case Op.LUI: x[rd] = imm; x[rd + 1] = imm >> 31; break;
          case Op.AUIPC: {
            const pc = pageLo | slot;
            lo = (pc + imm) | 0;
            x[rd + 1] = (pageHi + (imm >> 31) + ((lo >>> 0) < (pc >>> 0) ? 1 : 0)) | 0;
            x[rd] = lo;
            break;
          }
          case Op.JAL: {
            const pc = pageLo | slot;
            const tlo = (pc + imm) | 0;
            const thi = (pageHi + (imm >> 31) + ((tlo >>> 0) < (pc >>> 0) ? 1 : 0)) | 0;
            if (tlo & misalign) h.raise(CAUSE.FETCH_MISALIGNED, tlo, thi);
            lo = (pc + ilen) | 0;
            x[rd + 1] = (lo >>> 0) < (pc >>> 0) ? (pageHi + 1) | 0 : pageHi;
            x[rd] = lo;
            n++;
            if ((tlo & PAGE_MASK) === pageLo && thi === pageHi) so = tlo & 0xffe;
            else { pcLo = tlo; pcHi = thi; so = -1; continue pages; }
            continue;
          }
          case Op.JALR: {
            const a = x[rs1]!;
            const tlo = ((a + imm) | 0) & ~1;
            const thi = (x[rs1 + 1]! + (imm >> 31) + ((((a + imm) | 0) >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
            if (tlo & misalign) h.raise(CAUSE.FETCH_MISALIGNED, tlo, thi);
            const pc = pageLo | slot;
            lo = (pc + ilen) | 0;
            x[rd + 1] = (lo >>> 0) < (pc >>> 0) ? (pageHi + 1) | 0 : pageHi;
            x[rd] = lo;
            n++;
            if ((tlo & PAGE_MASK) === pageLo && thi === pageHi) so = tlo & 0xffe;
            else { pcLo = tlo; pcHi = thi; so = -1; continue pages; }
            continue;
          }
          case Op.BEQ: case Op.BNE: case Op.BLT: case Op.BGE: case Op.BLTU: case Op.BGEU: {
            const ah = x[rs1 + 1]!, bh = x[rs2 + 1]!, al = x[rs1]!, bl = x[rs2]!;
            let taken: boolean;
            switch (w & 0x3ff) {
              case Op.BEQ: taken = al === bl && ah === bh; break;
              case Op.BNE: taken = al !== bl || ah !== bh; break;
              case Op.BLT: taken = ah < bh || (ah === bh && (al >>> 0) < (bl >>> 0)); break;
              case Op.BGE: taken = ah > bh || (ah === bh && (al >>> 0) >= (bl >>> 0)); break;
              case Op.BLTU: taken = (ah >>> 0) < (bh >>> 0) || (ah === bh && (al >>> 0) < (bl >>> 0)); break;
              default: taken = (ah >>> 0) > (bh >>> 0) || (ah === bh && (al >>> 0) >= (bl >>> 0)); break;
            }
            if (taken) {
              const pc = pageLo | slot;
              const tlo = (pc + imm) | 0;
              const thi = (pageHi + (imm >> 31) + ((tlo >>> 0) < (pc >>> 0) ? 1 : 0)) | 0;
              if (tlo & misalign) h.raise(CAUSE.FETCH_MISALIGNED, tlo, thi);
              n++;
              if ((tlo & PAGE_MASK) === pageLo && thi === pageHi) so = tlo & 0xffe;
              else { pcLo = tlo; pcHi = thi; so = -1; continue pages; }
              continue;
            }
            break;
          }
          // LD / SD / LW / SW: the most frequent memory operations get their own straight-line fast path
          case Op.LD: case Op.LW: {
            const a = x[rs1]!;
            const alo = (a + imm) | 0;
            const ahi = (x[rs1 + 1]! + (imm >> 31) + ((alo >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
            const idx = (alo >>> 12) & TLB_MASK;
            const isD = (w & 0x3ff) === Op.LD;
            if (lTag[2 * idx] === (alo & PAGE_MASK) && lTag[2 * idx + 1] === ahi && (alo & 0xfff) <= (isD ? 4088 : 4092) && (alo & alignTrap & (isD ? 7 : 3)) === 0) {
              const off = lOff[idx]! + (alo & 0xfff);
              lo = dv.getInt32(off, true);
              x[rd + 1] = isD ? dv.getInt32(off + 4, true) : lo >> 31;
              x[rd] = lo;
            } else {
              h.curIlen = ilen;
              const off = loadSlowOffset(h, alo, ahi, isD ? 8 : 4, rd >> 1, true, DEST_X);
              if (off < 0) { x[rd] = h.slowLo; x[rd + 1] = h.ldHi; }
              else { lo = dv.getInt32(off, true); x[rd + 1] = isD ? dv.getInt32(off + 4, true) : lo >> 31; x[rd] = lo; }
            }
            break;
          }
          case Op.SD: case Op.SW: {
            const a = x[rs1]!;
            const alo = (a + imm) | 0;
            const ahi = (x[rs1 + 1]! + (imm >> 31) + ((alo >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
            const idx = (alo >>> 12) & TLB_MASK;
            const isD = (w & 0x3ff) === Op.SD;
            let off: number;
            if (sTag[2 * idx] === (alo & PAGE_MASK) && sTag[2 * idx + 1] === ahi && (alo & 0xfff) <= (isD ? 4088 : 4092) && (alo & alignTrap & (isD ? 7 : 3)) === 0) {
              off = sOff[idx]! + (alo & 0xfff);
              if (codePage[off >>> 12] !== 0) mem.invalidateHostPage(off >>> 12);
            } else {
              h.curIlen = ilen;
              off = storeSlowOffset(h, alo, ahi, isD ? 8 : 4, x[rs2]!, x[rs2 + 1]!);
              if (off < 0) break;
            }
            dv.setInt32(off, x[rs2]!, true);
            if (isD) dv.setInt32(off + 4, x[rs2 + 1]!, true);
            break;
          }
          case Op.LB: case Op.LH: case Op.LBU: case Op.LHU: case Op.LWU: {
            const a = x[rs1]!;
            const alo = (a + imm) | 0;
            const ahi = (x[rs1 + 1]! + (imm >> 31) + ((alo >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
            const op = w & 0x3ff;
            const size = op === Op.LD ? 8 : op === Op.LW || op === Op.LWU ? 4 : op === Op.LH || op === Op.LHU ? 2 : 1;
            const idx = (alo >>> 12) & TLB_MASK;
            const po = alo & 0xfff;
            let off: number;
            if (lTag[2 * idx] === (alo & PAGE_MASK) && lTag[2 * idx + 1] === ahi && po <= 4096 - size && (alo & alignTrap & (size - 1)) === 0) off = lOff[idx]! + po;
            else {
              h.curIlen = ilen;
              off = loadSlowOffset(h, alo, ahi, size, rd >> 1, op === Op.LB || op === Op.LH || op === Op.LW || op === Op.LD, DEST_X);
              if (off < 0) { // value already produced by the slow path (MMIO or page-crossing)
                lo = h.slowLo; hi = h.ldHi;
                x[rd] = lo; x[rd + 1] = hi;
                break;
              }
            }
            switch (op) {
              case Op.LB: lo = dv.getInt8(off); hi = lo >> 31; break;
              case Op.LBU: lo = dv.getUint8(off); hi = 0; break;
              case Op.LH: lo = dv.getInt16(off, true); hi = lo >> 31; break;
              case Op.LHU: lo = dv.getUint16(off, true); hi = 0; break;
              case Op.LW: lo = dv.getInt32(off, true); hi = lo >> 31; break;
              case Op.LWU: lo = dv.getInt32(off, true); hi = 0; break;
              default: lo = dv.getInt32(off, true); hi = dv.getInt32(off + 4, true); break;
            }
            x[rd] = lo; x[rd + 1] = hi;
            break;
          }
          case Op.SB: case Op.SH: {
            const a = x[rs1]!;
            const alo = (a + imm) | 0;
            const ahi = (x[rs1 + 1]! + (imm >> 31) + ((alo >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
            const op = w & 0x3ff;
            const size = op === Op.SD ? 8 : op === Op.SW ? 4 : op === Op.SH ? 2 : 1;
            const idx = (alo >>> 12) & TLB_MASK;
            const po = alo & 0xfff;
            let off: number;
            if (sTag[2 * idx] === (alo & PAGE_MASK) && sTag[2 * idx + 1] === ahi && po <= 4096 - size && (alo & alignTrap & (size - 1)) === 0) {
              off = sOff[idx]! + po;
              if (codePage[off >>> 12] !== 0) mem.invalidateHostPage(off >>> 12);
            } else {
              h.curIlen = ilen;
              off = storeSlowOffset(h, alo, ahi, size, x[rs2]!, x[rs2 + 1]!);
              if (off < 0) break;
            }
            switch (op) {
              case Op.SB: dv.setInt8(off, x[rs2]!); break;
              case Op.SH: dv.setInt16(off, x[rs2]!, true); break;
              case Op.SW: dv.setInt32(off, x[rs2]!, true); break;
              default: dv.setInt32(off, x[rs2]!, true); dv.setInt32(off + 4, x[rs2 + 1]!, true); break;
            }
            break;
          }
          case Op.SLTI: {
            const ah = x[rs1 + 1]!, bh = imm >> 31;
            x[rd] = ah < bh || (ah === bh && (x[rs1]! >>> 0) < (imm >>> 0)) ? 1 : 0; x[rd + 1] = 0;
            break;
          }
          case Op.SLTIU: {
            const ah = x[rs1 + 1]! >>> 0, bh = (imm >> 31) >>> 0;
            x[rd] = ah < bh || (ah === bh && (x[rs1]! >>> 0) < (imm >>> 0)) ? 1 : 0; x[rd + 1] = 0;
            break;
          }
          case Op.XORI: x[rd + 1] = x[rs1 + 1]! ^ (imm >> 31); x[rd] = x[rs1]! ^ imm; break;
          case Op.ORI: x[rd + 1] = x[rs1 + 1]! | (imm >> 31); x[rd] = x[rs1]! | imm; break;
          case Op.ANDI: x[rd + 1] = x[rs1 + 1]! & (imm >> 31); x[rd] = x[rs1]! & imm; break;
          case Op.SLLI: case Op.SLL: {
            const s = ((w & 0x3ff) === Op.SLLI ? imm : x[rs2]!) & 63;
            const a = x[rs1]!, b = x[rs1 + 1]!;
            if (s === 0) { lo = a; hi = b; } else if (s < 32) { hi = (b << s) | (a >>> (32 - s)); lo = a << s; } else { hi = a << (s - 32); lo = 0; }
            x[rd] = lo; x[rd + 1] = hi;
            break;
          }
          case Op.SRLI: case Op.SRL: {
            const s = ((w & 0x3ff) === Op.SRLI ? imm : x[rs2]!) & 63;
            const a = x[rs1]!, b = x[rs1 + 1]!;
            if (s === 0) { lo = a; hi = b; } else if (s < 32) { lo = (a >>> s) | (b << (32 - s)); hi = b >>> s; } else { lo = b >>> (s - 32); hi = 0; }
            x[rd] = lo; x[rd + 1] = hi;
            break;
          }
          case Op.SRAI: case Op.SRA: {
            const s = ((w & 0x3ff) === Op.SRAI ? imm : x[rs2]!) & 63;
            const a = x[rs1]!, b = x[rs1 + 1]!;
            if (s === 0) { lo = a; hi = b; } else if (s < 32) { lo = (a >>> s) | (b << (32 - s)); hi = b >> s; } else { lo = b >> (s - 32); hi = b >> 31; }
            x[rd] = lo; x[rd + 1] = hi;
            break;
          }
          case Op.SLT: {
            const ah = x[rs1 + 1]!, bh = x[rs2 + 1]!;
            x[rd] = ah < bh || (ah === bh && (x[rs1]! >>> 0) < (x[rs2]! >>> 0)) ? 1 : 0; x[rd + 1] = 0;
            break;
          }
          case Op.SLTU: {
            const ah = x[rs1 + 1]! >>> 0, bh = x[rs2 + 1]! >>> 0;
            x[rd] = ah < bh || (ah === bh && (x[rs1]! >>> 0) < (x[rs2]! >>> 0)) ? 1 : 0; x[rd + 1] = 0;
            break;
          }
          case Op.XOR: x[rd + 1] = x[rs1 + 1]! ^ x[rs2 + 1]!; x[rd] = x[rs1]! ^ x[rs2]!; break;
          case Op.OR: x[rd + 1] = x[rs1 + 1]! | x[rs2 + 1]!; x[rd] = x[rs1]! | x[rs2]!; break;
          case Op.AND: x[rd + 1] = x[rs1 + 1]! & x[rs2 + 1]!; x[rd] = x[rs1]! & x[rs2]!; break;
          case Op.ADDIW: lo = (x[rs1]! + imm) | 0; x[rd] = lo; x[rd + 1] = lo >> 31; break;
          case Op.ADDW: lo = (x[rs1]! + x[rs2]!) | 0; x[rd] = lo; x[rd + 1] = lo >> 31; break;
          case Op.SUBW: lo = (x[rs1]! - x[rs2]!) | 0; x[rd] = lo; x[rd + 1] = lo >> 31; break;
          case Op.SLLIW: lo = x[rs1]! << imm; x[rd] = lo; x[rd + 1] = lo >> 31; break;
          case Op.SRLIW: lo = x[rs1]! >>> imm | 0; x[rd] = lo; x[rd + 1] = lo >> 31; break;
          case Op.SRAIW: lo = x[rs1]! >> imm; x[rd] = lo; x[rd + 1] = lo >> 31; break;
          case Op.SLLW: lo = x[rs1]! << (x[rs2]! & 31); x[rd] = lo; x[rd + 1] = lo >> 31; break;
          case Op.SRLW: lo = x[rs1]! >>> (x[rs2]! & 31) | 0; x[rd] = lo; x[rd + 1] = lo >> 31; break;
          case Op.SRAW: lo = x[rs1]! >> (x[rs2]! & 31); x[rd] = lo; x[rd + 1] = lo >> 31; break;
          // MUL / MULW are frequent in compiled code (hashing, indexing): inline rather than through the table
          case Op.MUL: {
            const a = x[rs1]!, b = x[rs2]!;
            lo = umul32(a, b);
            x[rd + 1] = (i64.hi + Math.imul(x[rs1 + 1]!, b) + Math.imul(a, x[rs2 + 1]!)) | 0;
            x[rd] = lo;
            break;
          }
          case Op.MULW: lo = Math.imul(x[rs1]!, x[rs2]!); x[rd] = lo; x[rd + 1] = lo >> 31; break;
          case Op.FENCE: case Op.NOP: case Op.C_MOP: break;
          case Op.ILLEGAL: h.raise(CAUSE.ILLEGAL, page[RAW_BASE + slot]!, 0); break;
          case Op.ECALL: {
            // frequent (SBI calls): leave the slice directly instead of unwinding with a throw
            h.pendCause = h.mode === 0 ? CAUSE.ECALL_U : h.mode === 1 ? (h.virt !== 0 ? CAUSE.ECALL_VS : CAUSE.ECALL_S) : CAUSE.ECALL_M;
            h.pendTvalLo = 0; h.pendTvalHi = 0; h.pendGpa = 0; h.pendTinst = 0;
            h.pcLo = pageLo | slot; h.pcHi = pageHi; h.instret += n; h.sliceRetired = 0;
            if (countedSo === slot) page[RAW_BASE + slot + 1]--; // it traps, so it does not retire
            return deliverException(h);
          }
          case Op.EBREAK: h.raise(CAUSE.BREAKPOINT, pageLo | slot, pageHi); break;
          default: {
            h.pcLo = pageLo | slot; h.pcHi = pageHi; h.curIlen = ilen; h.sliceRetired = n;
            exec[w & 0x3ff]!(h, w, imm, page[RAW_BASE + slot]!);
            if (h.flags !== 0) {
              n++;
              if (h.flags & F_REDIRECT) { h.flags &= ~F_REDIRECT; pcLo = h.pcLo; pcHi = h.pcHi; so = -1; }
              else {
                so = slot + ilen;
                if (so >= 4096) { pcLo = (pageLo + so) | 0; pcHi = (pcLo >>> 0) < (pageLo >>> 0) ? (pageHi + 1) | 0 : pageHi; so = -1; }
              }
              if (h.flags & (F_BREAK | F_WFI)) {
                h.flags &= ~F_BREAK;
                if (so >= 0) { pcLo = pageLo | so; pcHi = pageHi; }
                h.pcLo = pcLo; h.pcHi = pcHi; h.instret += n; h.sliceRetired = 0;
                return -1;
              }
              if (so < 0) continue pages;
              continue;
            }
          }
        }
        so = slot + ilen;
        n++;
        if (so >= 4096) { // fell off the page end: the pc in full, fetch the next page
          pcLo = (pageLo + so) | 0;
          pcHi = (pcLo >>> 0) < (pageLo >>> 0) ? (pageHi + 1) | 0 : pageHi;
          so = -1;
          continue pages;
        }
      }
    }
  } catch (e) {
    let preCounted = false;
    if (inJit) {
      pcLo = h.jitPcLo; pcHi = h.jitPcHi; so = -1; n += h.jitN;
      preCounted = h.jitPreCounted; h.jitPreCounted = false;
      // a trapping instruction does not retire: take back the count a slow path made for it
      if (preCounted && e === TRAP) h.jitUncount(pcLo, pcHi);
    }
    if (so >= 0) { pcLo = pageLo | so; pcHi = pageHi; }
    h.pcLo = pcLo; h.pcHi = pcHi; h.instret += n; h.sliceRetired = 0;
    // a trapping instruction did not retire: take back its count
    if (e === TRAP && so >= 0 && countedSo === so) page[RAW_BASE + so + 1]--;
    if (e === MMIO_EXIT) {
      // translated code counts an instruction when it completes; this one completes in completeMmio()
      if (inJit && h.jitCounting && !preCounted) {
        const hostPage = fetchHostPageOf(h, pcLo, pcHi), d = hostPage < 0 ? undefined : h.decoded[hostPage];
        if (d !== undefined) d[RAW_BASE + (pcLo & 0xffe) + 1]++;
      }
      h.mmioPending = true;
      return Exit.Mmio;
    }
    if (e === DEBUG_EXIT) return Exit.Debug;
    if (e !== TRAP) throw e;
    return deliverException(h);
  } finally {
    if (heatPage >= 0) h.jitHeat[heatPage] += n - heatFrom;
  }
  if (so >= 0) { pcLo = pageLo | so; pcHi = pageHi; }
  h.pcLo = pcLo; h.pcHi = pcHi; h.instret += n; h.sliceRetired = 0;
  return -1;
}

export function decodedPage(h: Hart, hostPage: number): Int32Array {
  let d = h.decoded[hostPage];
  if (!d) {
    d = new Int32Array(2048 * 4);
    setPageSlot(h.decoded, hostPage, d);
    h.decodedPages.add(hostPage);
  }
  return d;
}

/** decode insn into the page's slot (hot words op and immediate, cold word the raw bits) */
export function storeDecoded(h: Hart, page: Int32Array, slot: number, insn: number): void {
  const dec = h.decodeScratch;
  h.decoder.decode(insn, dec, 0);
  page[slot] = dec[0]!; page[slot + 1] = dec[1]!; page[RAW_BASE + slot] = dec[2]!;
}

export function decodeSlot(h: Hart, page: Int32Array, slot: number, pageHost: number, pcLo: number, pcHi: number): number {
  const dv = h.mem.dv;
  const po = pcLo & 0xffe;
  const atBreakpointOffset = h.breakpointOffsets !== null && h.breakpointOffsets.has(po);
  if (atBreakpointOffset && h.breakpointPcs.has(pairToBig(pcLo, pcHi))) throw DEBUG_EXIT;
  let insn = dv.getUint16(pageHost + po, true);
  let crossPage = false;
  if ((insn & 3) === 3) {
    let upper: number;
    if (po === 0xffe) {
      const nlo = (pcLo + 2) | 0;
      const nhi = (nlo >>> 0) < (pcLo >>> 0) ? (pcHi + 1) | 0 : pcHi;
      upper = dv.getUint16(fetchPageHost(h, nlo, nhi), true);
      crossPage = true;
    } else upper = dv.getUint16(pageHost + po + 2, true);
    insn = (insn | (upper << 16)) | 0;
  }
  storeDecoded(h, page, slot, insn);
  h.mem.codePage[pageHost >>> 12] |= CODE_PAGE_CODE;
  // depends on two pages / may be a breakpoint: decoded again each time it runs, and held by no translation
  const afresh = crossPage || atBreakpointOffset;
  // new code in a translated page counts towards translating it again; an instruction decoded afresh is not new
  const jp = h.jitPages[pageHost >>> 12];
  if (jp !== undefined && !afresh && ++jp.fresh >= JIT_RETRANSLATE << h.jitGeneration[pageHost >>> 12]!) {
    h.retranslateJit(pageHost >>> 12);
  }
  const w = page[slot]!;
  if (afresh) page[slot] = 0;
  return w;
}
