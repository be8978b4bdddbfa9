// A (LR/SC and AMOs, W and D) and Zacas (amocas.w/d/q). The hart gives a host offset for an aligned, writable
// RAM address (misaligned -> store/AMO address-misaligned, MMIO -> access fault); the read-modify-write happens
// here on the shared memory. aq/rl bits need no action on this sequentially consistent hart.
import { Op } from '../ops.js';
import type { InsnDef } from '../decode.js';
import { exact, rdOf, rs1Of, rs2Of, type Semantics, type ExecFn } from './enc.js';
import type { Hart } from '../hart.js';
import { amoHostOffset } from '../mmu.js';

const AMO = 0x2f;
const amo = (name: string, ext: string, op: Op, funct5: number, funct3: number, lr = false): InsnDef =>
  exact(name, ext, op, (funct5 << 27) | (funct3 << 12) | AMO, lr ? 0xf9f0707f : 0xf800707f, 'R');

export const encodings: InsnDef[] = [
  amo('lr.w', 'a', Op.LR_W, 0x02, 2, true), amo('sc.w', 'a', Op.SC_W, 0x03, 2),
  amo('lr.d', 'a', Op.LR_D, 0x02, 3, true), amo('sc.d', 'a', Op.SC_D, 0x03, 3),
  amo('amoswap.w', 'a', Op.AMOSWAP_W, 0x01, 2), amo('amoadd.w', 'a', Op.AMOADD_W, 0x00, 2),
  amo('amoxor.w', 'a', Op.AMOXOR_W, 0x04, 2), amo('amoand.w', 'a', Op.AMOAND_W, 0x0c, 2),
  amo('amoor.w', 'a', Op.AMOOR_W, 0x08, 2), amo('amomin.w', 'a', Op.AMOMIN_W, 0x10, 2),
  amo('amomax.w', 'a', Op.AMOMAX_W, 0x14, 2), amo('amominu.w', 'a', Op.AMOMINU_W, 0x18, 2),
  amo('amomaxu.w', 'a', Op.AMOMAXU_W, 0x1c, 2),
  amo('amoswap.d', 'a', Op.AMOSWAP_D, 0x01, 3), amo('amoadd.d', 'a', Op.AMOADD_D, 0x00, 3),
  amo('amoxor.d', 'a', Op.AMOXOR_D, 0x04, 3), amo('amoand.d', 'a', Op.AMOAND_D, 0x0c, 3),
  amo('amoor.d', 'a', Op.AMOOR_D, 0x08, 3), amo('amomin.d', 'a', Op.AMOMIN_D, 0x10, 3),
  amo('amomax.d', 'a', Op.AMOMAX_D, 0x14, 3), amo('amominu.d', 'a', Op.AMOMINU_D, 0x18, 3),
  amo('amomaxu.d', 'a', Op.AMOMAXU_D, 0x1c, 3),
  amo('amocas.w', 'zacas', Op.AMOCAS_W, 0x05, 2), amo('amocas.d', 'zacas', Op.AMOCAS_D, 0x05, 3),
  amo('amocas.q', 'zacas', Op.AMOCAS_Q, 0x05, 4),
];

function amoW(f: (old: number, v: number) => number): ExecFn {
  return (h: Hart, w: number) => {
    const x = h.x, a = rs1Of(w) << 1;
    const off = amoHostOffset(h, x[a]!, x[a + 1]!, 4);
    const dv = h.mem.dv;
    const old = dv.getInt32(off, true);
    dv.setInt32(off, f(old, x[rs2Of(w) << 1]!), true);
    const d = rdOf(w) << 1;
    x[d] = old; x[d + 1] = old >> 31;
  };
}

const cmpS = (alo: number, ahi: number, blo: number, bhi: number): number =>
  ahi !== bhi ? (ahi < bhi ? -1 : 1) : (alo >>> 0) < (blo >>> 0) ? -1 : (alo === blo ? 0 : 1);
const cmpU = (alo: number, ahi: number, blo: number, bhi: number): number =>
  ahi !== bhi ? ((ahi >>> 0) < (bhi >>> 0) ? -1 : 1) : (alo >>> 0) < (blo >>> 0) ? -1 : (alo === blo ? 0 : 1);

/** D op: f(oldlo, oldhi, vlo, vhi) -> 0 keep old... returns which: 0 = old, 1 = v, 2 = computed (add/xor/...) in tmp */
const tmp = { lo: 0, hi: 0 };
function amoD(f: (alo: number, ahi: number, blo: number, bhi: number) => void): ExecFn {
  return (h: Hart, w: number) => {
    const x = h.x, a = rs1Of(w) << 1, b = rs2Of(w) << 1;
    const off = amoHostOffset(h, x[a]!, x[a + 1]!, 8);
    const dv = h.mem.dv;
    const olo = dv.getInt32(off, true), ohi = dv.getInt32(off + 4, true);
    f(olo, ohi, x[b]!, x[b + 1]!);
    dv.setInt32(off, tmp.lo, true); dv.setInt32(off + 4, tmp.hi, true);
    const d = rdOf(w) << 1;
    x[d] = olo; x[d + 1] = ohi;
  };
}
const set = (lo: number, hi: number): void => { tmp.lo = lo; tmp.hi = hi; };

function lr(size: 4 | 8): ExecFn {
  return (h: Hart, w: number) => {
    const x = h.x, a = rs1Of(w) << 1;
    const off = amoHostOffset(h, x[a]!, x[a + 1]!, size, true);
    const dv = h.mem.dv, d = rdOf(w) << 1;
    const lo = dv.getInt32(off, true);
    x[d] = lo; x[d + 1] = size === 4 ? lo >> 31 : dv.getInt32(off + 4, true);
    h.reservation = off;
  };
}
function sc(size: 4 | 8): ExecFn {
  return (h: Hart, w: number) => {
    const x = h.x, a = rs1Of(w) << 1, b = rs2Of(w) << 1, d = rdOf(w) << 1;
    const off = amoHostOffset(h, x[a]!, x[a + 1]!, size);
    const ok = h.reservation === off;
    h.reservation = -1;
    if (ok) {
      const dv = h.mem.dv;
      dv.setInt32(off, x[b]!, true);
      if (size === 8) dv.setInt32(off + 4, x[b + 1]!, true);
    }
    x[d] = ok ? 0 : 1; x[d + 1] = 0;
  };
}

/** amocas: compare memory with rd; if equal store rs2; rd gets the old value. Q uses register pairs (even regs). */
function cas(size: 4 | 8 | 16): ExecFn {
  return (h: Hart, w: number, _imm: number, raw: number) => {
    const rdRaw = (raw >>> 7) & 31, rs2 = rs2Of(w);
    if (size === 16 && ((rdRaw & 1) !== 0 || (rs2 & 1) !== 0)) h.illegal(raw);
    const x = h.x, a = rs1Of(w) << 1;
    const off = amoHostOffset(h, x[a]!, x[a + 1]!, size);
    const dv = h.mem.dv;
    const words = size >> 2;
    const old = [0, 0, 0, 0];
    for (let k = 0; k < words; k++) old[k] = dv.getInt32(off + 4 * k, true);
    // expected value: rd (and rd+1 for Q); x0 reads as zero
    // expected value: rd (rd, rd+1 for Q: consecutive pairs in x); a register pair based at x0 reads as zero
    const exp = [0, 0, 0, 0], nv = [0, 0, 0, 0];
    for (let k = 0; k < words; k++) {
      exp[k] = rdRaw === 0 ? 0 : x[(rdRaw << 1) + k]!;
      nv[k] = rs2 === 0 ? 0 : x[(rs2 << 1) + k]!;
    }
    let equal = true;
    for (let k = 0; k < words; k++) if (old[k] !== exp[k]) equal = false;
    if (equal) for (let k = 0; k < words; k++) dv.setInt32(off + 4 * k, nv[k]!, true);
    if (rdRaw !== 0) {
      if (size === 4) { x[rdRaw << 1] = old[0]!; x[(rdRaw << 1) + 1] = old[0]! >> 31; }
      else if (size === 8) { x[rdRaw << 1] = old[0]!; x[(rdRaw << 1) + 1] = old[1]!; }
      else { for (let k = 0; k < 4; k++) x[(rdRaw << 1) + k] = old[k]!; }
    }
  };
}

export const semantics: Semantics = [
  [Op.LR_W, lr(4)], [Op.SC_W, sc(4)], [Op.LR_D, lr(8)], [Op.SC_D, sc(8)],
  [Op.AMOSWAP_W, amoW((_o, v) => v)], [Op.AMOADD_W, amoW((o, v) => (o + v) | 0)],
  [Op.AMOXOR_W, amoW((o, v) => o ^ v)], [Op.AMOAND_W, amoW((o, v) => o & v)], [Op.AMOOR_W, amoW((o, v) => o | v)],
  [Op.AMOMIN_W, amoW((o, v) => (o < v ? o : v))], [Op.AMOMAX_W, amoW((o, v) => (o > v ? o : v))],
  [Op.AMOMINU_W, amoW((o, v) => ((o >>> 0) < (v >>> 0) ? o : v))], [Op.AMOMAXU_W, amoW((o, v) => ((o >>> 0) > (v >>> 0) ? o : v))],
  [Op.AMOSWAP_D, amoD((_a, _b, c, d) => set(c, d))],
  [Op.AMOADD_D, amoD((a, b, c, d) => { const lo = (a + c) | 0; set(lo, (b + d + ((lo >>> 0) < (a >>> 0) ? 1 : 0)) | 0); })],
  [Op.AMOXOR_D, amoD((a, b, c, d) => set(a ^ c, b ^ d))],
  [Op.AMOAND_D, amoD((a, b, c, d) => set(a & c, b & d))],
  [Op.AMOOR_D, amoD((a, b, c, d) => set(a | c, b | d))],
  [Op.AMOMIN_D, amoD((a, b, c, d) => (cmpS(a, b, c, d) <= 0 ? set(a, b) : set(c, d)))],
  [Op.AMOMAX_D, amoD((a, b, c, d) => (cmpS(a, b, c, d) >= 0 ? set(a, b) : set(c, d)))],
  [Op.AMOMINU_D, amoD((a, b, c, d) => (cmpU(a, b, c, d) <= 0 ? set(a, b) : set(c, d)))],
  [Op.AMOMAXU_D, amoD((a, b, c, d) => (cmpU(a, b, c, d) >= 0 ? set(a, b) : set(c, d)))],
  [Op.AMOCAS_W, cas(4)], [Op.AMOCAS_D, cas(8)], [Op.AMOCAS_Q, cas(16)],
];
