// H (hypervisor extension 1.0): the hypervisor load/store instructions (HLV, HLVX, HSV) and the hypervisor fences
// (HFENCE.VVMA/GVMA, and Svinval's HINVAL.VVMA/GVMA). The state they touch is the hart's: the two-stage
// translation and the permission rules are in mmu.ts (hypervisorAccessOffset, doHfence), the H CSRs in csrfile.ts.
import { Op } from '../ops.js';
import type { InsnDef } from '../decode.js';
import { exact, rdOf, rs1Of, rs2Of, type Semantics, type ExecFn } from './enc.js';
import { doHfence, hypervisorAccessOffset } from '../mmu.js';

const SYSTEM = 0x73;
/** HLV/HLVX: funct7, the rs2 field as a selector, funct3 = 100, rd */
const hl = (name: string, op: Op, funct7: number, sel: number): InsnDef =>
  exact(name, 'h', op, (funct7 << 25) | (sel << 20) | (4 << 12) | SYSTEM, 0xfff0707f, 'R');
/** HSV: funct7, rs2 = value, rs1 = address, funct3 = 100, rd = 0 */
const hs = (name: string, op: Op, funct7: number): InsnDef => exact(name, 'h', op, (funct7 << 25) | (4 << 12) | SYSTEM, 0xfe007fff, 'R');
/** HFENCE / HINVAL: funct7, rs2 = VMID or ASID, rs1 = address, funct3 = 000, rd = 0 */
const hf = (name: string, op: Op, funct7: number): InsnDef => exact(name, 'h', op, (funct7 << 25) | SYSTEM, 0xfe007fff, 'R');

export const encodings: InsnDef[] = [
  hl('hlv.b', Op.HLV_B, 0x30, 0), hl('hlv.bu', Op.HLV_BU, 0x30, 1),
  hl('hlv.h', Op.HLV_H, 0x32, 0), hl('hlv.hu', Op.HLV_HU, 0x32, 1), hl('hlvx.hu', Op.HLVX_HU, 0x32, 3),
  hl('hlv.w', Op.HLV_W, 0x34, 0), hl('hlv.wu', Op.HLV_WU, 0x34, 1), hl('hlvx.wu', Op.HLVX_WU, 0x34, 3),
  hl('hlv.d', Op.HLV_D, 0x36, 0),
  hs('hsv.b', Op.HSV_B, 0x31), hs('hsv.h', Op.HSV_H, 0x33), hs('hsv.w', Op.HSV_W, 0x35), hs('hsv.d', Op.HSV_D, 0x37),
  hf('hfence.vvma', Op.HFENCE_VVMA, 0x11), hf('hfence.gvma', Op.HFENCE_GVMA, 0x31),
  hf('hinval.vvma', Op.HINVAL_VVMA, 0x13), hf('hinval.gvma', Op.HINVAL_GVMA, 0x33),
];

function hlv(size: 1 | 2 | 4 | 8, signed: boolean, hlvx: boolean): ExecFn {
  return (h, w, _imm, raw) => {
    const a = rs1Of(w) << 1;
    const off = hypervisorAccessOffset(h, raw, h.x[a]!, h.x[a + 1]!, size, false, hlvx);
    const dv = h.mem.dv;
    let lo: number, hi: number;
    switch (size) {
      case 1: lo = signed ? dv.getInt8(off) : dv.getUint8(off); hi = signed ? lo >> 31 : 0; break;
      case 2: lo = signed ? dv.getInt16(off, true) : dv.getUint16(off, true); hi = signed ? lo >> 31 : 0; break;
      case 4: lo = dv.getInt32(off, true); hi = signed ? lo >> 31 : 0; break;
      default: lo = dv.getInt32(off, true); hi = dv.getInt32(off + 4, true); break;
    }
    const d = rdOf(w) << 1;
    h.x[d] = lo; h.x[d + 1] = hi;
  };
}

function hsv(size: 1 | 2 | 4 | 8): ExecFn {
  return (h, w, _imm, raw) => {
    const a = rs1Of(w) << 1, v = rs2Of(w) << 1;
    const off = hypervisorAccessOffset(h, raw, h.x[a]!, h.x[a + 1]!, size, true, false);
    const dv = h.mem.dv, lo = h.x[v]!;
    switch (size) {
      case 1: dv.setInt8(off, lo); break;
      case 2: dv.setInt16(off, lo, true); break;
      case 4: dv.setInt32(off, lo, true); break;
      default: dv.setInt32(off, lo, true); dv.setInt32(off + 4, h.x[v + 1]!, true); break;
    }
  };
}

const hinval = (gvma: boolean): ExecFn => (h, _w, _imm, raw) => {
  if (!h.isa.has('svinval')) h.illegal(raw);
  doHfence(h, raw, gvma);
};

export const semantics: Semantics = [
  [Op.HLV_B, hlv(1, true, false)], [Op.HLV_BU, hlv(1, false, false)],
  [Op.HLV_H, hlv(2, true, false)], [Op.HLV_HU, hlv(2, false, false)], [Op.HLVX_HU, hlv(2, false, true)],
  [Op.HLV_W, hlv(4, true, false)], [Op.HLV_WU, hlv(4, false, false)], [Op.HLVX_WU, hlv(4, false, true)],
  [Op.HLV_D, hlv(8, true, false)],
  [Op.HSV_B, hsv(1)], [Op.HSV_H, hsv(2)], [Op.HSV_W, hsv(4)], [Op.HSV_D, hsv(8)],
  [Op.HFENCE_VVMA, (h, _w, _i, raw) => doHfence(h, raw, false)], [Op.HFENCE_GVMA, (h, _w, _i, raw) => doHfence(h, raw, true)],
  [Op.HINVAL_VVMA, hinval(false)], [Op.HINVAL_GVMA, hinval(true)],
];
