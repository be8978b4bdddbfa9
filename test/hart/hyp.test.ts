// The H extension on the hart: V=1 entry and exit (MRET with MPV, SRET with SPV), the VS CSRs standing in for the
// S CSRs, two-stage translation (VS-stage Sv39 over G-stage Sv39x4) with faults at each stage and their reporting
// (causes 12/13/15 vs 20/21/23, xtval, htval/mtval2 = GPA >> 2, GVA, htinst for implicit accesses), trap
// delegation to VS (hedeleg/hideleg), virtual-instruction exceptions, HLV/HLVX/HSV permissions, HFENCE and the
// V=1 TLB sets, and VS-level interrupts (hvip, vstimecmp with htimedelta).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, isaSet, step, RAM, RV64GC, I, R, S, csrrs, csrrw, ecall, sret, wfi, CSR_MCAUSE, CSR_MTVAL, CSR_MTVEC, CSR_MSTATUS, CSR_MEPC } from './asm.js';
import { Exit, GuestMemory, Hart } from '../../src/hart/index.js';

const ISA_H = `${RV64GC} h sstc svinval`;
const V = 1n, Rp = 2n, W = 4n, X = 8n, U = 16n, A = 64n, D = 128n;
const CSR = {
  hstatus: 0x600, hedeleg: 0x602, hideleg: 0x603, hie: 0x604, htimedelta: 0x605, hcounteren: 0x606, henvcfg: 0x60a,
  htval: 0x643, hip: 0x644, hvip: 0x645, htinst: 0x64a, hgatp: 0x680, vsstatus: 0x200, vsie: 0x204, vstvec: 0x205,
  vsscratch: 0x240, vsepc: 0x241, vscause: 0x242, vstval: 0x243, vsip: 0x244, vstimecmp: 0x24d, vsatp: 0x280,
  mtval2: 0x34b, mtinst: 0x34a, medeleg: 0x302, mideleg: 0x303, mie: 0x304, mip: 0x344, misa: 0x301, menvcfg: 0x30a,
  mcounteren: 0x306, sscratch: 0x140, sstatus: 0x100, satp: 0x180, stvec: 0x105, scause: 0x142, stval: 0x143,
  sepc: 0x141, sie: 0x104, time: 0xc01, cycle: 0xc00,
};
const MPV = 1n << 39n, GVA_M = 1n << 38n, MPP_S = 1n << 11n, MPRV = 1n << 17n;
const HS_SPV = 1n << 7n, HS_SPVP = 1n << 8n, HS_GVA = 1n << 6n, HS_HU = 1n << 9n, VTVM = 1n << 20n, VTW = 1n << 21n, VTSR = 1n << 22n;
const INTERRUPT = 1n << 63n;

// guest layout: G-stage maps GPA 0..4 MiB to host RAM + 4 MiB (so GPA != SPA); VS-stage tables in guest memory
const G_ROOT = RAM + 0x100000; // 16 KiB root, Sv39x4
const G_BASE = RAM + 0x400000; // where guest physical 0 lives in host RAM
const VS_ROOT_GPA = 0x10000; // VS-stage root (guest physical)
const CODE_GPA = 0x0; // the guest's code page (GPA 0 = host G_BASE)

/** Page tables built by the test through plain memory writes (walks written from the spec, not from mmu.ts) */
class Tables {
  next: number;
  constructor(readonly mem: GuestMemory, readonly root: number, readonly rootEntries: number, readonly toHost: (a: number) => number, first: number) { this.next = first; }
  private dv(addr: number): DataView { const b = this.mem.ram(this.toHost(addr), 8); return new DataView(b.buffer, b.byteOffset, 8); }
  read(addr: number): bigint { return this.dv(addr).getBigUint64(0, true); }
  write(addr: number, v: bigint): void { this.dv(addr).setBigUint64(0, v, true); }
  /** 3-level map of a 4 KiB page; returns the leaf PTE's address (in this table's address space) */
  map(va: bigint, pa: bigint, flags: bigint): number {
    let table = this.root;
    for (let l = 2; ; l--) {
      const idx = Number((va >> BigInt(12 + 9 * l)) & (l === 2 ? BigInt(this.rootEntries - 1) : 0x1ffn));
      const addr = table + idx * 8;
      if (l === 0) { this.write(addr, ((pa >> 12n) << 10n) | flags); return addr; }
      let e = this.read(addr);
      if (!(e & V)) { e = ((BigInt(this.next) >> 12n) << 10n) | V; this.next += 0x1000; this.write(addr, e); }
      table = Number((e >> 10n) << 12n);
    }
  }
}

interface Guest { hart: Hart; mem: GuestMemory; g: Tables; vs: Tables }

/**
 * An M-mode hart with H, G-stage (Sv39x4) mapping guest physical 0..1 MiB -> host G_BASE (URWX), VS-stage Sv39
 * tables at VS_ROOT_GPA (not yet used: vsatp bare unless `vsPaging`), the program at guest physical 0 (host
 * G_BASE) and mtvec at RAM + 0x800. enterGuest() MRETs into VS (or VU).
 */
function guest(prog: number[], opts: { vsPaging?: boolean; isa?: string; hypervisor?: boolean; jit?: boolean; jitHot?: number } = {}): Guest {
  const mem = new GuestMemory({ maxRamBytes: 8 << 20 });
  mem.addRam(RAM, 8 << 20);
  const hart = new Hart({ memory: mem, isa: isaSet(opts.isa ?? ISA_H), hartId: 0, clock: 'icount', hypervisor: opts.hypervisor ?? false,
    ...(opts.jit !== undefined ? { jit: opts.jit } : {}), ...(opts.jitHot !== undefined ? { jitHot: opts.jitHot } : {}) });
  const code = mem.ram(G_BASE + CODE_GPA, prog.length * 4);
  prog.forEach((w, k) => new DataView(code.buffer, code.byteOffset).setUint32(4 * k, w, true));
  const g = new Tables(mem, G_ROOT, 2048, (a) => a, G_ROOT + 0x4000);
  for (let p = 0; p < 0x100000; p += 0x1000) g.map(BigInt(p), BigInt(G_BASE + p), V | Rp | W | X | U | A | D);
  const vs = new Tables(mem, VS_ROOT_GPA, 512, (a) => G_BASE + a, VS_ROOT_GPA + 0x1000);
  hart.setCsr(CSR.hgatp, (8n << 60n) | BigInt(G_ROOT >>> 12));
  if (opts.vsPaging) {
    vs.map(0n, 0n, V | Rp | W | X | A | D); // guest code: VA 0 = GPA 0
    hart.setCsr(CSR.vsatp, (8n << 60n) | BigInt(VS_ROOT_GPA >>> 12));
  }
  if (!opts.hypervisor) hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x800));
  return { hart, mem, g, vs };
}

/** from M: MRET into V=1 at nominal privilege `mode` (1 = VS, 0 = VU), pc = guest VA 0 */
function enterGuest(h: Hart, mode: 0 | 1 = 1): void {
  h.setCsr(CSR_MSTATUS, (h.getCsr(CSR_MSTATUS) & ~(3n << 11n)) | MPV | (mode === 1 ? MPP_S : 0n));
  h.setCsr(CSR_MEPC, BigInt(CODE_GPA));
  // the MRET itself is at RAM (M-mode, bare)
  h.mem.ram(RAM, 4).set([0x73, 0x00, 0x20, 0x30]);
  h.setPc(BigInt(RAM));
  h.setMode(3);
  step(h, 1);
}

function hostU64(mem: GuestMemory, addr: number, v: bigint): void {
  const b = mem.ram(addr, 8); new DataView(b.buffer, b.byteOffset, 8).setBigUint64(0, v, true);
}

const LD = I(0, 1, 3, 3, 0x03); // ld x3, 0(x1)
const SD = S(0, 2, 1, 3, 0x23); // sd x2, 0(x1)
const csrr = (rd: number, csr: number): number => csrrs(rd, csr, 0);
const hlv = (f7: number, sel: number, rd: number, rs1: number): number => R(f7, sel, rs1, 4, rd, 0x73);
const HLV_D = (rd: number, rs1: number): number => hlv(0x36, 0, rd, rs1);
const HLVX_WU = (rd: number, rs1: number): number => hlv(0x34, 3, rd, rs1);
const HSV_D = (rs2: number, rs1: number): number => R(0x37, rs2, rs1, 4, 0, 0x73);
const HFENCE_GVMA = R(0x31, 0, 0, 0, 0, 0x73), HFENCE_VVMA = R(0x11, 0, 0, 0, 0, 0x73);
const SFENCE_VMA = R(0x09, 0, 0, 0, 0, 0x73);

test('H CSRs exist only with h in the ISA; misa.H follows it; mideleg reads VS-level bits as one', () => {
  const without = fixture([csrr(5, CSR.hstatus)], RV64GC).hart;
  without.setCsr(CSR_MTVEC, BigInt(RAM + 0x800));
  step(without, 1);
  assert.equal(without.getCsr(CSR_MCAUSE), 2n);
  assert.throws(() => without.getCsr(CSR.hgatp), /not implemented/);
  assert.equal((without.getCsr(CSR.misa) >> 7n) & 1n, 0n);
  const withH = fixture([csrr(5, CSR.hstatus)], ISA_H).hart;
  step(withH, 1);
  assert.equal(withH.getX(5), 2n << 32n, 'hstatus.VSXL = 64-bit');
  assert.equal((withH.getCsr(CSR.misa) >> 7n) & 1n, 1n);
  withH.setCsr(CSR.mideleg, 0n);
  assert.equal(withH.getCsr(CSR.mideleg), 0x1444n);
  withH.setCsr(CSR.hideleg, -1n);
  assert.equal(withH.getCsr(CSR.hideleg), 0x444n);
  withH.setCsr(CSR.hedeleg, -1n);
  assert.equal(withH.getCsr(CSR.hedeleg), 0xb1ffn, 'no ecall from S/VS/M, guest-page faults or virtual instruction');
  withH.setCsr(CSR.hgatp, (8n << 60n) | (0x3fffn << 44n) | 0xfffn);
  assert.equal(withH.getCsr(CSR.hgatp), (8n << 60n) | (0x3fffn << 44n) | 0xffcn, 'VMID 14 bits, PPN[1:0] zero');
  withH.setCsr(CSR.hgatp, 11n << 60n);
  assert.equal(withH.getCsr(CSR.hgatp) >> 60n, 8n, 'unsupported mode leaves hgatp unchanged');
});

test('Shgatpa: hgatp offers the x4 mode of each satp mode the hart offers, and no other', () => {
  for (const [isa, modes] of [[ISA_H, [8n, 9n, 10n]], [`${ISA_H} sv39`, [8n]], [`${ISA_H} sv48`, [8n, 9n]]] as const) {
    const h = fixture([], isa).hart;
    for (const m of [8n, 9n, 10n]) {
      h.setCsr(CSR.hgatp, 0n);
      h.setCsr(CSR.hgatp, m << 60n);
      assert.equal(h.getCsr(CSR.hgatp) >> 60n, (modes as readonly bigint[]).includes(m) ? m : 0n, `${isa}: mode ${m}`);
    }
  }
});

test('V=1: the S CSRs are the VS CSRs (sscratch, sstatus, satp, scause ...), HS values untouched', () => {
  const { hart } = guest([csrrw(5, CSR.sscratch, 6), csrr(7, CSR.sstatus), csrrw(8, CSR.stvec, 6), ecall]);
  hart.setCsr(CSR.sscratch, 0x1111n);
  hart.setCsr(CSR.vsscratch, 0x2222n);
  hart.setCsr(CSR.vsstatus, 1n << 18n); // SUM in vsstatus only
  enterGuest(hart);
  hart.setX(6, 0xabc0n);
  step(hart, 3);
  assert.equal(hart.getX(5), 0x2222n, 'read vsscratch');
  assert.equal(hart.getCsr(CSR.vsscratch), 0xabc0n);
  assert.equal(hart.getCsr(CSR.sscratch), 0x1111n);
  assert.equal(hart.getX(7) & (1n << 18n), 1n << 18n, 'sstatus read is vsstatus');
  assert.equal(hart.getCsr(CSR.vstvec), 0xabc0n);
  step(hart, 1); // ecall from VS: cause 10, to M (not delegated)
  assert.equal(hart.getCsr(CSR_MCAUSE), 10n);
  assert.equal(hart.getCsr(CSR_MSTATUS) & MPV, MPV, 'mstatus.MPV records V=1');
  assert.equal(hart.getMode(), 3);
});

test('two-stage load: VS-stage Sv39 over G-stage Sv39x4 reads the right host page', () => {
  const { hart, mem, vs } = guest([LD], { vsPaging: true });
  vs.map(0x40000000n, 0x30000n, V | Rp | A | D); // VA -> GPA 0x30000 -> host G_BASE + 0x30000
  hostU64(mem, G_BASE + 0x30008, 0x0123456789abcdefn);
  enterGuest(hart);
  hart.setX(1, 0x40000008n);
  step(hart, 1);
  assert.equal(hart.getX(3), 0x0123456789abcdefn);
});

test('G-stage fault on the final address: load guest-page fault 21, mtval = VA, mtval2 = GPA >> 2, GVA, MPV', () => {
  const { hart, vs } = guest([LD], { vsPaging: true });
  vs.map(0x40000000n, 0x200000n, V | Rp | A | D); // GPA 2 MiB: beyond the G-stage mapping
  enterGuest(hart);
  hart.setX(1, 0x40000010n);
  step(hart, 1);
  assert.equal(hart.getCsr(CSR_MCAUSE), 21n);
  assert.equal(hart.getCsr(CSR_MTVAL), 0x40000010n);
  assert.equal(hart.getCsr(CSR.mtval2), 0x200010n >> 2n);
  assert.equal(hart.getCsr(CSR.mtinst), 0n);
  const st = hart.getCsr(CSR_MSTATUS);
  assert.equal(st & (MPV | GVA_M), MPV | GVA_M);
});

test('G-stage fault on a VS page-table read: guest-page fault of the access type, htinst-style pseudoinstruction', () => {
  const { hart, vs, g } = guest([SD], { vsPaging: true });
  vs.map(0x40000000n, 0x30000n, V | Rp | W | A | D);
  // unmap the G-stage page holding the VS-stage level-1 table for VA 0x40000000
  const l1Gpa = Number((vs.read(VS_ROOT_GPA + 1 * 8) >> 10n) << 12n);
  g.map(BigInt(l1Gpa), BigInt(G_BASE + l1Gpa), 0n);
  enterGuest(hart);
  hart.setX(1, 0x40000000n);
  step(hart, 1);
  assert.equal(hart.getCsr(CSR_MCAUSE), 23n, 'store/AMO guest-page fault');
  assert.equal(hart.getCsr(CSR_MTVAL), 0x40000000n);
  assert.equal(hart.getCsr(CSR.mtval2), BigInt(l1Gpa + 8 * 0) >> 2n, 'the PTE address (index 0 of the level-1 table)');
  assert.equal(hart.getCsr(CSR.mtinst), 0x3000n, 'implicit 64-bit read of a VS-stage PTE');
});

test('VS-stage faults are page faults (12/13/15) with mtval = VA and mtval2 = 0', () => {
  for (const [insn, cause, flags] of [[LD, 13n, V | W | X], [SD, 15n, V | Rp | A]] as const) {
    const { hart, vs } = guest([insn], { vsPaging: true });
    vs.map(0x40000000n, 0x30000n, flags);
    enterGuest(hart);
    hart.setX(1, 0x40000000n);
    step(hart, 1);
    assert.equal(hart.getCsr(CSR_MCAUSE), cause);
    assert.equal(hart.getCsr(CSR_MTVAL), 0x40000000n);
    assert.equal(hart.getCsr(CSR.mtval2), 0n);
    assert.equal(hart.getCsr(CSR_MSTATUS) & GVA_M, GVA_M);
  }
  // fetch: G-stage page without X -> instruction guest-page fault 20 at the pc
  const { hart, g } = guest([0x13], {});
  g.map(0n, BigInt(G_BASE), V | Rp | W | U | A | D);
  enterGuest(hart);
  step(hart, 1);
  assert.equal(hart.getCsr(CSR_MCAUSE), 20n);
  assert.equal(hart.getCsr(CSR_MTVAL), 0n);
  assert.equal(hart.getCsr(CSR.mtval2), 0n);
  // G-stage leaf without U: guest-page fault even for VS-mode accesses
  const { hart: h2, g: g2, vs: vs2 } = guest([LD], { vsPaging: true });
  vs2.map(0x40000000n, 0x30000n, V | Rp | A | D);
  g2.map(0x30000n, BigInt(G_BASE + 0x30000), V | Rp | W | A | D);
  enterGuest(h2);
  h2.setX(1, 0x40000000n);
  step(h2, 1);
  assert.equal(h2.getCsr(CSR_MCAUSE), 21n);
});

test('delegation: a VU page fault delegated by medeleg and hedeleg lands in VS; a guest-page fault in HS with SPV/SPVP/GVA/htval', () => {
  const { hart, vs } = guest([LD, LD], { vsPaging: true });
  vs.map(0n, 0n, V | Rp | W | X | U | A | D); // VU code
  vs.map(0x40000000n, 0x30000n, V | W | U | A | D); // no R: VS-stage load page fault
  vs.map(0x40001000n, 0x200000n, V | Rp | U | A | D); // GPA outside G-stage: guest-page fault
  hart.setCsr(CSR.medeleg, (1n << 13n) | (1n << 21n));
  hart.setCsr(CSR.hedeleg, 1n << 13n);
  hart.setCsr(CSR.vstvec, 0x8000n);
  enterGuest(hart, 0);
  hart.setX(1, 0x40000000n);
  step(hart, 1);
  assert.equal(hart.getCsr(CSR.vscause), 13n);
  assert.equal(hart.getCsr(CSR.vstval), 0x40000000n);
  assert.equal(hart.getCsr(CSR.vsepc), 0n);
  assert.equal(hart.getPc(), 0x8000n);
  assert.equal(hart.getMode(), 1, 'VS');
  assert.equal(hart.getCsr(CSR.scause), 0n, 'HS untouched');
  // back to VU at pc 4 through SRET from VS (vsstatus.SPP = 0), then the guest-page fault goes to HS
  const { hart: h2, vs: v2 } = guest([LD, LD], { vsPaging: true });
  v2.map(0n, 0n, V | Rp | W | X | U | A | D);
  v2.map(0x40001000n, 0x200000n, V | Rp | U | A | D);
  h2.setCsr(CSR.medeleg, 1n << 21n);
  h2.setCsr(CSR.stvec, BigInt(RAM + 0x900));
  enterGuest(h2, 0);
  h2.setX(1, 0x40001008n);
  step(h2, 1);
  assert.equal(h2.getCsr(CSR.scause), 21n);
  assert.equal(h2.getCsr(CSR.stval), 0x40001008n);
  assert.equal(h2.getCsr(CSR.htval), 0x200008n >> 2n);
  const hs = h2.getCsr(CSR.hstatus);
  assert.equal(hs & (HS_SPV | HS_SPVP | HS_GVA), HS_SPV | HS_GVA, 'SPV=1, SPVP=0 (from VU), GVA=1');
  assert.equal(h2.getMode(), 1);
  assert.equal(h2.getPc(), BigInt(RAM + 0x900));
  // an HS load at this point is V=0: it reads host RAM unmapped (bare satp)
  assert.equal((h2.getCsr(CSR_MSTATUS) >> 8n) & 1n, 0n, 'sstatus.SPP = 0 (from VU)');
});

test('SRET from HS with hstatus.SPV=1 enters V=1; SRET from VS returns within the guest', () => {
  const { hart } = guest([ecall]);
  // HS code at RAM + 0x1000: sret
  hart.mem.ram(RAM + 0x1000, 4).set([0x73, 0x00, 0x20, 0x10]);
  hart.setCsr(CSR.hstatus, HS_SPV);
  hart.setCsr(CSR.sepc, BigInt(CODE_GPA));
  hart.setCsr(CSR.sstatus, 1n << 8n); // SPP = S -> VS
  hart.setCsr(CSR.medeleg, 1n << 10n);
  hart.setCsr(CSR.stvec, BigInt(RAM + 0x900));
  hart.setPc(BigInt(RAM + 0x1000));
  hart.setMode(1);
  step(hart, 1);
  assert.equal(hart.getCsr(CSR.hstatus) & HS_SPV, 0n, 'SPV cleared');
  step(hart, 1); // ecall from VS -> HS, cause 10
  assert.equal(hart.getCsr(CSR.scause), 10n);
  assert.equal(hart.getCsr(CSR.hstatus) & (HS_SPV | HS_SPVP), HS_SPV | HS_SPVP, 'SPVP = VS');
  assert.equal(hart.getCsr(CSR.hstatus) & HS_GVA, 0n, 'ecall has no address');
  // VS sret: vsstatus.SPP = 0 -> VU at vsepc
  const { hart: h2 } = guest([sret]);
  h2.setCsr(CSR.vsepc, 0x2000n);
  enterGuest(h2);
  step(h2, 1);
  assert.equal(h2.getMode(), 0);
  assert.equal(h2.getPc(), 0x2000n);
  assert.equal(h2.getCsr(CSR.vsstatus) & (1n << 5n), 1n << 5n, 'SPIE = 1');
});

test('virtual-instruction exceptions (cause 22) in the cases H lists; M-level CSRs stay illegal (2)', () => {
  const cases: { name: string; insn: number; mode?: 0 | 1; setup?: (h: Hart) => void; cause: bigint }[] = [
    { name: 'VS reads hstatus', insn: csrr(5, CSR.hstatus), cause: 22n },
    { name: 'VS reads vsstatus by its own number', insn: csrr(5, CSR.vsstatus), cause: 22n },
    { name: 'VS reads hgatp', insn: csrr(5, CSR.hgatp), cause: 22n },
    { name: 'VS reads mstatus', insn: csrr(5, CSR_MSTATUS), cause: 2n },
    { name: 'VU reads sstatus', insn: csrr(5, CSR.sstatus), mode: 0, cause: 22n },
    { name: 'VU reads mstatus', insn: csrr(5, CSR_MSTATUS), mode: 0, cause: 2n },
    { name: 'VS sret with VTSR', insn: sret, setup: (h) => h.setCsr(CSR.hstatus, VTSR), cause: 22n },
    { name: 'VU sret', insn: sret, mode: 0, cause: 22n },
    { name: 'VS wfi with VTW', insn: wfi, setup: (h) => h.setCsr(CSR.hstatus, VTW), cause: 22n },
    { name: 'VU wfi', insn: wfi, mode: 0, cause: 22n },
    { name: 'VS sfence.vma with VTVM', insn: SFENCE_VMA, setup: (h) => h.setCsr(CSR.hstatus, VTVM), cause: 22n },
    { name: 'VU sfence.vma', insn: SFENCE_VMA, mode: 0, cause: 22n },
    { name: 'VS satp with VTVM', insn: csrr(5, CSR.satp), setup: (h) => h.setCsr(CSR.hstatus, VTVM), cause: 22n },
    { name: 'VS hfence.gvma', insn: HFENCE_GVMA, cause: 22n },
    { name: 'VS hfence.vvma', insn: HFENCE_VVMA, cause: 22n },
    { name: 'VS hlv.d', insn: HLV_D(5, 0), cause: 22n },
    { name: 'VS hsv.d', insn: HSV_D(5, 0), cause: 22n },
    { name: 'VS cycle, mcounteren.CY=1, hcounteren.CY=0', insn: csrr(5, CSR.cycle), setup: (h) => h.setCsr(CSR.mcounteren, 1n), cause: 22n },
    { name: 'VS cycle, mcounteren.CY=0', insn: csrr(5, CSR.cycle), setup: (h) => h.setCsr(CSR.hcounteren, 1n), cause: 2n },
    { name: 'VU cycle, hcounteren=1, scounteren (vs) = 0', insn: csrr(5, CSR.cycle), mode: 0,
      setup: (h) => { h.setCsr(CSR.mcounteren, 1n); h.setCsr(CSR.hcounteren, 1n); }, cause: 22n },
    { name: 'VS stimecmp with henvcfg.STCE=0', insn: csrr(5, 0x14d),
      setup: (h) => { h.setCsr(CSR.menvcfg, 1n << 63n); h.setCsr(CSR.mcounteren, 2n); h.setCsr(CSR.hcounteren, 2n); }, cause: 22n },
  ];
  for (const c of cases) {
    const { hart } = guest([c.insn]);
    c.setup?.(hart);
    enterGuest(hart, c.mode ?? 1);
    step(hart, 1);
    assert.equal(hart.getCsr(CSR_MCAUSE), c.cause, c.name);
    assert.equal(hart.getCsr(CSR_MTVAL), BigInt(c.insn), `${c.name}: tval = the instruction`);
  }
  // and the allowed counterparts run: VS cycle with both enables, VS sfence.vma without VTVM, VS wfi without VTW
  for (const [insn, setup] of [[csrr(5, CSR.cycle), (h: Hart) => { h.setCsr(CSR.mcounteren, 1n); h.setCsr(CSR.hcounteren, 1n); }],
    [SFENCE_VMA, () => {}], [wfi, () => {}]] as const) {
    const { hart } = guest([insn, 0x13]);
    setup(hart);
    enterGuest(hart);
    hart.run(1);
    assert.equal(hart.getCsr(CSR_MCAUSE), 0n, `0x${insn.toString(16)} ran`);
  }
});

test('HLV/HSV from HS: V=1 translation at hstatus.SPVP; U-bit rules; HU for U-mode; HLVX needs execute only', () => {
  const mk = (insn: number): Guest => {
    const gst = guest([], { vsPaging: true });
    gst.vs.map(0x40000000n, 0x30000n, V | Rp | W | A | D); // supervisor page
    gst.vs.map(0x40001000n, 0x31000n, V | Rp | W | U | A | D); // user page
    gst.vs.map(0x40002000n, 0x32000n, V | X | A | D); // execute-only supervisor page
    hostU64(gst.mem, G_BASE + 0x30000, 0x5555n);
    hostU64(gst.mem, G_BASE + 0x31000, 0x7777n);
    hostU64(gst.mem, G_BASE + 0x32000, 0x99998888n);
    gst.mem.ram(RAM + 0x1000, 4).set([insn & 0xff, (insn >>> 8) & 0xff, (insn >>> 16) & 0xff, insn >>> 24]);
    gst.hart.setPc(BigInt(RAM + 0x1000));
    gst.hart.setMode(1); // HS, bare satp
    return gst;
  };
  let t = mk(HLV_D(5, 1));
  t.hart.setCsr(CSR.hstatus, HS_SPVP);
  t.hart.setX(1, 0x40000000n);
  step(t.hart, 1);
  assert.equal(t.hart.getX(5), 0x5555n, 'SPVP=1: a VS access to a supervisor page');
  t = mk(HLV_D(5, 1));
  t.hart.setX(1, 0x40000000n);
  step(t.hart, 1);
  assert.equal(t.hart.getCsr(CSR_MCAUSE), 13n, 'SPVP=0: a VU access to a supervisor page faults');
  assert.equal(t.hart.getCsr(CSR_MTVAL), 0x40000000n);
  assert.equal(t.hart.getCsr(CSR_MSTATUS) & (GVA_M | MPV), GVA_M, 'GVA=1 although V was 0 (MPV=0)');
  t = mk(HLV_D(5, 1));
  t.hart.setX(1, 0x40001000n);
  step(t.hart, 1);
  assert.equal(t.hart.getX(5), 0x7777n, 'SPVP=0 reads a user page');
  t = mk(HLVX_WU(5, 1));
  t.hart.setCsr(CSR.hstatus, HS_SPVP);
  t.hart.setX(1, 0x40002000n);
  step(t.hart, 1);
  assert.equal(t.hart.getX(5), 0x99998888n, 'HLVX reads an execute-only page');
  t = mk(HLV_D(5, 1));
  t.hart.setCsr(CSR.hstatus, HS_SPVP);
  t.hart.setX(1, 0x40002000n);
  step(t.hart, 1);
  assert.equal(t.hart.getCsr(CSR_MCAUSE), 13n, 'HLV does not');
  t = mk(HSV_D(2, 1));
  t.hart.setCsr(CSR.hstatus, HS_SPVP);
  t.hart.setX(1, 0x40000008n); t.hart.setX(2, 0x4242n);
  step(t.hart, 1);
  const b = t.mem.ram(G_BASE + 0x30008, 8);
  assert.equal(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true), 0x4242n, 'HSV stores through both stages');
  // U-mode: illegal unless hstatus.HU
  t = mk(HLV_D(5, 1));
  t.hart.setMode(0);
  t.hart.setX(1, 0x40001000n);
  step(t.hart, 1);
  assert.equal(t.hart.getCsr(CSR_MCAUSE), 2n);
  t = mk(HLV_D(5, 1));
  t.hart.setCsr(CSR.hstatus, HS_HU);
  t.hart.setMode(0);
  t.hart.setX(1, 0x40001000n);
  step(t.hart, 1);
  assert.equal(t.hart.getX(5), 0x7777n, 'HU=1 lets U-mode use HLV');
  // a G-stage fault of an HLV: load guest-page fault with mtval2
  t = mk(HLV_D(5, 1));
  t.vs.map(0x40003000n, 0x300000n, V | Rp | U | A | D);
  t.hart.setX(1, 0x40003000n);
  step(t.hart, 1);
  assert.equal(t.hart.getCsr(CSR_MCAUSE), 21n);
  assert.equal(t.hart.getCsr(CSR.mtval2), 0x300000n >> 2n);
});

test('M-mode MPRV with MPV=1 loads through both stages', () => {
  const { hart, mem, vs } = guest([], { vsPaging: true });
  vs.map(0x40000000n, 0x30000n, V | Rp | A | D);
  hostU64(mem, G_BASE + 0x30000, 0xfeedn);
  mem.ram(RAM + 0x1000, 4).set([0x83, 0xb1, 0x00, 0x00]); // ld x3, 0(x1)
  hart.setPc(BigInt(RAM + 0x1000));
  hart.setCsr(CSR_MSTATUS, MPRV | MPP_S | MPV);
  hart.setX(1, 0x40000000n);
  step(hart, 1);
  assert.equal(hart.getX(3), 0xfeedn);
});

test('V=1 TLB entries are separate from HS ones and dropped by HFENCE.GVMA / vsatp writes, not kept stale', () => {
  // guest: ld x3,0(x1); ecall (to HS: medeleg bit 10); HS: hfence.gvma; sret  (loop back to the ld)
  const { hart, mem, g } = guest([LD, ecall], {});
  mem.ram(RAM + 0x900, 8).set([0x73, 0x00, 0x00, 0x62, 0x73, 0x00, 0x20, 0x10]); // hfence.gvma x0,x0; sret
  hart.setCsr(CSR.medeleg, 1n << 10n);
  hart.setCsr(CSR.stvec, BigInt(RAM + 0x900));
  hostU64(mem, G_BASE + 0x40000, 1n);
  hostU64(mem, G_BASE + 0x50000, 2n);
  g.map(0x40000n, BigInt(G_BASE + 0x40000), V | Rp | W | X | U | A | D);
  enterGuest(hart);
  hart.setX(1, 0x40000n);
  step(hart, 2); // ld, ecall
  assert.equal(hart.getX(3), 1n);
  g.map(0x40000n, BigInt(G_BASE + 0x50000), V | Rp | W | X | U | A | D); // remap the GPA
  hart.setCsr(CSR.sepc, 0n);
  hart.setCsr(CSR.hstatus, HS_SPV);
  hart.setCsr(CSR.sstatus, hart.getCsr(CSR.sstatus) | (1n << 8n));
  step(hart, 3); // hfence.gvma, sret, ld
  assert.equal(hart.getX(3), 2n, 'the G-stage change is seen after HFENCE.GVMA');
  assert.equal(hart.getMode(), 1);
});

test('VS-level interrupts: hvip.VSSIP with hideleg goes to VS as a supervisor software interrupt; not taken with V=0', () => {
  const { hart } = guest([0x13, 0x13, 0x13]);
  hart.setCsr(CSR.hideleg, 1n << 2n);
  hart.setCsr(CSR.hie, 1n << 2n);
  hart.setCsr(CSR.vstvec, 0x4000n);
  hart.setCsr(CSR.vsstatus, 2n); // SIE
  hart.setCsr(CSR.hvip, 1n << 2n);
  assert.equal(hart.getCsr(CSR.vsip), 2n, 'vsip.SSIP mirrors hvip.VSSIP');
  assert.equal(hart.getCsr(CSR.vsie), 2n);
  assert.equal(hart.getCsr(CSR.hip) & 4n, 4n);
  hart.setCsr(CSR_MSTATUS, hart.getCsr(CSR_MSTATUS) & ~8n); // MIE=0: M-mode takes nothing
  enterGuest(hart);
  assert.equal(hart.getCsr(CSR.vscause), INTERRUPT | 1n);
  assert.equal(hart.getPc(), 0x4000n);
  assert.equal(hart.getMode(), 1);
  assert.equal(hart.getCsr(CSR.vsepc), 0n);
  // the same at V=0 (HS, SIE=1): pending but not taken
  const { hart: h2 } = guest([0x13, 0x13]);
  h2.setCsr(CSR.hideleg, 1n << 2n);
  h2.setCsr(CSR.hie, 1n << 2n);
  h2.setCsr(CSR.hvip, 1n << 2n);
  h2.setCsr(CSR.sstatus, 2n);
  h2.mem.ram(RAM + 0x1000, 8).set([0x13, 0, 0, 0, 0x13, 0, 0, 0]);
  h2.setPc(BigInt(RAM + 0x1000));
  h2.setMode(1);
  step(h2, 2);
  assert.equal(h2.getPc(), BigInt(RAM + 0x1008));
  // without hideleg it is an HS interrupt (cause 2), taken from V=1 even with vsstatus.SIE=0
  const { hart: h3 } = guest([0x13, 0x13]);
  h3.setCsr(CSR.hie, 1n << 2n);
  h3.setCsr(CSR.hvip, 1n << 2n);
  h3.setCsr(CSR.stvec, BigInt(RAM + 0x900));
  h3.setCsr(CSR_MSTATUS, h3.getCsr(CSR_MSTATUS) & ~8n);
  enterGuest(h3);
  assert.equal(h3.getCsr(CSR.scause), INTERRUPT | 2n);
  assert.equal(h3.getCsr(CSR.hstatus) & HS_SPV, HS_SPV);
});

test('vstimecmp against time + htimedelta raises VSTIP; VS reads time + htimedelta', () => {
  const { hart } = guest([csrr(5, CSR.time), 0x13, 0x13]);
  hart.setCsr(CSR.menvcfg, 1n << 63n);
  hart.setCsr(CSR.henvcfg, 1n << 63n);
  hart.setCsr(CSR.mcounteren, 2n);
  hart.setCsr(CSR.hcounteren, 2n);
  hart.setCsr(CSR.htimedelta, 1000000n);
  hart.setCsr(CSR.vstimecmp, 1000000n + 1000000000n);
  assert.equal(hart.getCsr(CSR.hip) & (1n << 6n), 0n);
  enterGuest(hart);
  step(hart, 1);
  const t = hart.getX(5);
  assert.ok(t >= 1000000n && t < 1000000n + 1000n, `time in VS = ${t}`);
  hart.setCsr(CSR.vstimecmp, 1000000n);
  assert.equal(hart.getCsr(CSR.hip) & (1n << 6n), 1n << 6n, 'VSTIP from vstimecmp');
  hart.setCsr(CSR.henvcfg, 0n);
  assert.equal(hart.getCsr(CSR.hip) & (1n << 6n), 0n, 'henvcfg.STCE=0: no vstimecmp line');
});

test('under the KVM hypervisor mode with H, the guest is HS: its guests\' ecalls and guest-page faults stay with it', () => {
  const { hart } = guest([ecall], { hypervisor: true });
  // HS (guest kernel) code at RAM + 0x1000: sret into VS at GPA 0
  hart.mem.ram(RAM + 0x1000, 4).set([0x73, 0x00, 0x20, 0x10]);
  hart.setCsr(CSR.hstatus, HS_SPV);
  hart.setCsr(CSR.sepc, 0n);
  hart.setCsr(CSR.sstatus, 1n << 8n);
  hart.setCsr(CSR.stvec, BigInt(RAM + 0x900));
  hart.setPc(BigInt(RAM + 0x1000));
  assert.equal(hart.run(2), Exit.Budget, 'the ecall from VS does not leave the hart');
  assert.equal(hart.getCsr(CSR.scause), 10n);
  assert.equal(hart.getPc(), BigInt(RAM + 0x900));
});

test('V=1 code runs in translated code (its loads use the V=1 TLB set) with the same result as interpreted', () => {
  // loop: ld x3, 0(x1); add x4, x4, x3; addi x5, x5, -1; bnez x5, loop; ecall
  const prog = [LD, R(0, 3, 4, 0, 4, 0x33), I(-1, 5, 0, 5, 0x13), 0xfe029ae3 >>> 0, ecall];
  const results: bigint[] = [];
  for (const jit of [true, false]) {
    const { hart, mem, vs } = guest(prog, { vsPaging: true, jit, jitHot: 1 });
    vs.map(0x40000000n, 0x30000n, V | Rp | A | D);
    hostU64(mem, G_BASE + 0x30000, 7n);
    mem.ram(RAM + 0x800, 4).set([0x6f, 0, 0, 0]); // M-mode trap handler: j .
    enterGuest(hart);
    hart.setX(1, 0x40000000n); hart.setX(5, 5000n);
    hart.run(100_000);
    assert.equal(hart.getCsr(CSR_MCAUSE), 10n, `jit ${jit}: ended with the ecall from VS (mepc 0x${hart.getCsr(CSR_MEPC).toString(16)} mtval 0x${hart.getCsr(CSR_MTVAL).toString(16)} x5 ${hart.getX(5)})`);
    results.push(hart.getX(4));
    if (jit) assert.ok(hart.jitStats.pages > 0 && hart.jitStats.failed === 0, 'the guest page was translated');
  }
  assert.deepEqual(results, [35000n, 35000n]);
});

test('setMode (a vCPU reset, KVM CORE mode) leaves V=1: the hart is back in HS/S, not VS', () => {
  const { hart } = guest([0x13]);
  enterGuest(hart);
  assert.equal(hart.getVirt(), true);
  hart.setMode(1);
  assert.equal(hart.getVirt(), false);
  hart.setCsr(CSR.sscratch, 5n);
  assert.equal(hart.getCsr(CSR.sscratch), 5n);
});

test('V=1 FP in translated code: vsstatus.FS=Off traps illegal, otherwise both mstatus.FS and vsstatus.FS get dirty', () => {
  // loop: addi x5, x5, -1; bnez x5, loop; fadd.d f1, f2, f3 (static RNE: the translator's fast path); ecall
  const FADD_D = R(0x01, 3, 2, 0, 1, 0x53);
  const BNEZ_BACK = 0xfe029ee3 >>> 0; // bne x5, x0, -4
  const prog = [I(-1, 5, 0, 5, 0x13), BNEZ_BACK, FADD_D, ecall];
  const FS = 3n << 13n, FS_INITIAL = 1n << 13n;
  for (const jit of [true, false]) {
    for (const vsFs of [0n, FS_INITIAL]) {
      const { hart, mem } = guest(prog, { jit, jitHot: 1 });
      mem.ram(RAM + 0x800, 4).set([0x6f, 0, 0, 0]); // M-mode trap handler: j .
      hart.setCsr(CSR_MSTATUS, (hart.getCsr(CSR_MSTATUS) & ~FS) | FS_INITIAL);
      hart.setCsr(CSR.vsstatus, (hart.getCsr(CSR.vsstatus) & ~FS) | vsFs);
      enterGuest(hart);
      hart.setX(5, 200_000n); hart.setF(2, 0x3ff0000000000000n); hart.setF(3, 0x4000000000000000n);
      hart.run(1_000_000);
      const what = `jit ${jit}, vsstatus.FS ${vsFs >> 13n}`;
      if (jit) assert.ok(hart.jitStats.pages > 0, `${what}: the guest page was translated`);
      if (vsFs === 0n) {
        assert.equal(hart.getCsr(CSR_MCAUSE), 2n, `${what}: illegal instruction`);
        assert.equal(hart.getCsr(CSR_MEPC), 8n, `${what}: at the fadd.d`);
      } else {
        assert.equal(hart.getCsr(CSR_MCAUSE), 10n, `${what}: ran to the ecall`);
        assert.equal(hart.getF(1), 0x4008000000000000n, `${what}: 1 + 2 = 3`);
        assert.equal(hart.getCsr(CSR.vsstatus) & FS, FS, `${what}: vsstatus.FS dirty`);
        assert.equal(hart.getCsr(CSR_MSTATUS) & FS, FS, `${what}: mstatus.FS dirty`);
      }
    }
  }
});
