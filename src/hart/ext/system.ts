// Zicsr, Zifencei, the privileged instructions (xRET, WFI, SFENCE.VMA), Svinval, Zicbom/Zicboz and Zawrs.
// The state they touch belongs to the hart (csrfile.ts, trap.ts, mmu.ts); these rows only decode and forward.
import { Op } from '../ops.js';
import type { InsnDef } from '../decode.js';
import { i, exact, rdOf, rs1Of, type Semantics, type ExecFn } from './enc.js';
import type { Hart } from '../hart.js';
import { csrAccess } from '../csrfile.js';
import { doFenceI, doMret, doSret, doWfi } from '../trap.js';
import { cboHostOffset, doSfenceVma } from '../mmu.js';
import { ENVCFG_CBIE, ENVCFG_CBCFE, ENVCFG_CBZE } from '../csr.js';

const SYSTEM = 0x73, MISC_MEM = 0x0f;
export const encodings: InsnDef[] = [
  i('csrrw', 'zicsr', Op.CSRRW, 1, SYSTEM, 'CSR'), i('csrrs', 'zicsr', Op.CSRRS, 2, SYSTEM, 'CSR'),
  i('csrrc', 'zicsr', Op.CSRRC, 3, SYSTEM, 'CSR'), i('csrrwi', 'zicsr', Op.CSRRWI, 5, SYSTEM, 'CSR'),
  i('csrrsi', 'zicsr', Op.CSRRSI, 6, SYSTEM, 'CSR'), i('csrrci', 'zicsr', Op.CSRRCI, 7, SYSTEM, 'CSR'),
  i('fence.i', 'zifencei', Op.FENCE_I, 1, MISC_MEM, 'NONE'),
  exact('sret', 'i', Op.SRET, 0x10200073, 0xffffffff, 'NONE'),
  exact('mret', 'i', Op.MRET, 0x30200073, 0xffffffff, 'NONE'),
  exact('wfi', 'i', Op.WFI, 0x10500073, 0xffffffff, 'NONE'),
  exact('sfence.vma', 'i', Op.SFENCE_VMA, 0x12000073, 0xfe007fff, 'R'),
  exact('sinval.vma', 'svinval', Op.SINVAL_VMA, 0x16000073, 0xfe007fff, 'R'),
  exact('sfence.w.inval', 'svinval', Op.SFENCE_W_INVAL, 0x18000073, 0xffffffff, 'NONE'),
  exact('sfence.inval.ir', 'svinval', Op.SFENCE_INVAL_IR, 0x18100073, 0xffffffff, 'NONE'),
  exact('cbo.inval', 'zicbom', Op.CBO_INVAL, 0x0000200f, 0xfff07fff, 'R'),
  exact('cbo.clean', 'zicbom', Op.CBO_CLEAN, 0x0010200f, 0xfff07fff, 'R'),
  exact('cbo.flush', 'zicbom', Op.CBO_FLUSH, 0x0020200f, 0xfff07fff, 'R'),
  exact('cbo.zero', 'zicboz', Op.CBO_ZERO, 0x0040200f, 0xfff07fff, 'R'),
  exact('wrs.nto', 'zawrs', Op.WRS_NTO, 0x00d00073, 0xffffffff, 'NONE'),
  exact('wrs.sto', 'zawrs', Op.WRS_STO, 0x01d00073, 0xffffffff, 'NONE'),
];

/** kind: 0 write, 1 set, 2 clear; imm: the source is the 5-bit rs1 field itself */
function csrOp(kind: 0 | 1 | 2, imm: boolean): ExecFn {
  return (h: Hart, w: number, csr: number, raw: number) => {
    const rs1 = rs1Of(w), x = h.x;
    const vlo = imm ? rs1 : x[rs1 << 1]!, vhi = imm ? 0 : x[(rs1 << 1) + 1]!;
    const write = kind === 0 || rs1 !== 0;
    const lo = csrAccess(h, csr, raw, write, kind, vlo, vhi);
    const d = rdOf(w) << 1;
    x[d] = lo; x[d + 1] = h.csrHi;
  };
}

/** CBO rules: M-mode always; S needs menvcfg bit; U needs menvcfg and senvcfg bits (clean/flush: CBCFE, inval: CBIE != 0, zero: CBZE) */
function cboAllowed(h: Hart, bit: number): boolean {
  if (h.mode === 3) return true;
  if (!(h.menvcfgLo & bit)) return false;
  if (h.mode === 0 && !(h.senvcfgLo & bit)) return false;
  return true;
}
function cbo(bit: number, zero: boolean): ExecFn {
  return (h: Hart, w: number, _imm: number, raw: number) => {
    if (!cboAllowed(h, bit)) h.illegal(raw);
    const a = rs1Of(w) << 1;
    const off = cboHostOffset(h, h.x[a]!, h.x[a + 1]!, zero);
    if (zero && off >= 0) h.mem.u8.fill(0, off, off + 64);
  };
}

const sfence: ExecFn = (h, w, _imm, raw) => {
  const rs1 = rs1Of(w);
  doSfenceVma(h, raw, rs1, h.x[rs1 << 1]!, h.x[(rs1 << 1) + 1]!);
};

export const semantics: Semantics = [
  [Op.CSRRW, csrOp(0, false)], [Op.CSRRS, csrOp(1, false)], [Op.CSRRC, csrOp(2, false)],
  [Op.CSRRWI, csrOp(0, true)], [Op.CSRRSI, csrOp(1, true)], [Op.CSRRCI, csrOp(2, true)],
  [Op.FENCE_I, (h) => doFenceI(h)],
  [Op.SRET, (h, _w, _i, raw) => doSret(h, raw)],
  [Op.MRET, (h, _w, _i, raw) => doMret(h, raw)],
  [Op.WFI, (h, _w, _i, raw) => doWfi(h, raw)],
  [Op.SFENCE_VMA, sfence], [Op.SINVAL_VMA, sfence],
  [Op.SFENCE_W_INVAL, (h, _w, _i, raw) => { if (h.mode === 0) h.illegal(raw); }],
  [Op.SFENCE_INVAL_IR, (h, _w, _i, raw) => { if (h.mode === 0) h.illegal(raw); }],
  [Op.CBO_INVAL, cbo(ENVCFG_CBIE, false)], [Op.CBO_CLEAN, cbo(ENVCFG_CBCFE, false)], [Op.CBO_FLUSH, cbo(ENVCFG_CBCFE, false)],
  [Op.CBO_ZERO, cbo(ENVCFG_CBZE, true)],
  // WRS.NTO/STO: wait on the reservation set. Nothing else can write memory while this hart runs (other harts run
  // between run() calls), so the wait ends at once; it therefore never hits the TW timeout that would trap.
  [Op.WRS_NTO, () => {}], [Op.WRS_STO, () => {}],
];
