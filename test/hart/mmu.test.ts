// Sv39/Sv48 page-table walks: leaf permissions, U/SUM/MXR, superpages and their alignment, NAPOT, A/D with and
// without hardware updating (Svadu via menvcfg.ADUE), causes 12/13/15 with the faulting address in xtval.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, step, RAM, RV64GC, I, R as rType, S, CSR_MCAUSE, CSR_MTVAL, CSR_MTVEC, CSR_SATP, CSR_MSTATUS } from './asm.js';
import type { GuestMemory, Hart } from '../../src/hart/index.js';

const V = 1n, R = 2n, W = 4n, X = 8n, U = 16n, A = 64n, D = 128n, N = 1n << 63n;
const ROOT = RAM + 0x200000;

class PageTables {
  private next = ROOT + 0x1000;
  constructor(private readonly mem: GuestMemory, private readonly levels: number) {}
  private pte(addr: number): DataView { const b = this.mem.ram(addr, 8); return new DataView(b.buffer, b.byteOffset, 8); }
  read(addr: number): bigint { return this.pte(addr).getBigUint64(0, true); }
  /** map va -> pa at `level` (0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB); returns the PTE's address */
  map(va: bigint, pa: bigint, flags: bigint, level = 0): number {
    let table = ROOT;
    for (let l = this.levels - 1; ; l--) {
      const idx = Number((va >> BigInt(12 + 9 * l)) & 0x1ffn);
      const addr = table + idx * 8;
      if (l === level) { this.pte(addr).setBigUint64(0, ((pa >> 12n) << 10n) | flags, true); return addr; }
      let e = this.read(addr);
      if (!(e & V)) { e = ((BigInt(this.next) >> 12n) << 10n) | V; this.next += 0x1000; this.pte(addr).setBigUint64(0, e, true); }
      table = Number((e >> 10n) << 12n);
    }
  }
}

const MODE = { sv39: 8n, sv48: 9n };

/** hart in S-mode with paging on; RAM's first 2 MiB identity-mapped RWX for the code; one instruction at RAM */
function setup(insn: number | number[], opts: { levels?: 3 | 4; isa?: string } = {}): { hart: Hart; mem: GuestMemory; pt: PageTables } {
  const { hart, mem } = fixture(typeof insn === 'number' ? [insn] : insn, opts.isa ?? RV64GC, { ramBytes: 8 << 20 });
  const levels = opts.levels ?? 3;
  const pt = new PageTables(mem, levels);
  pt.map(BigInt(RAM), BigInt(RAM), V | R | W | X | A | D, 1);
  hart.setCsr(CSR_SATP, ((levels === 3 ? MODE.sv39 : MODE.sv48) << 60n) | BigInt(ROOT >>> 12));
  hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x400));
  hart.setMode(1);
  return { hart, mem, pt };
}
const LD = I(0, 1, 3, 3, 0x03); // ld x3, 0(x1)
const SD = S(0, 2, 1, 3, 0x23); // sd x2, 0(x1)

function expectFault(h: Hart, cause: bigint, tval: bigint, epc = BigInt(RAM)): void {
  assert.equal(h.getCsr(CSR_MCAUSE), cause, 'cause');
  assert.equal(h.getCsr(CSR_MTVAL), tval, 'tval');
  assert.equal(h.getCsr(0x341), epc, 'mepc');
}

test('Sv39 4 KiB mapping: load reads the mapped physical page', () => {
  const { hart, mem, pt } = setup(LD);
  const va = 0x40001000n, pa = RAM + 0x300000;
  pt.map(va, BigInt(pa), V | R | A | D);
  new DataView(mem.ram(pa + 8, 8).buffer, mem.ram(pa + 8, 8).byteOffset).setBigUint64(0, 0x1122334455667788n, true);
  hart.setX(1, va + 8n);
  step(hart, 1);
  assert.equal(hart.getX(3), 0x1122334455667788n);
});

test('Sv48 4 KiB mapping works with a 48-bit virtual address', () => {
  const { hart, mem, pt } = setup(LD, { levels: 4 });
  const va = 0x00007f1234567000n, pa = RAM + 0x300000;
  pt.map(va, BigInt(pa), V | R | A | D);
  mem.ram(pa, 1)[0] = 0x5a;
  hart.setX(1, va);
  step(hart, 1);
  assert.equal(hart.getX(3) & 0xffn, 0x5an);
});

test('faults: store to read-only (15), invalid PTE (13), non-canonical address (13), fetch from non-X (12)', () => {
  {
    const { hart, pt } = setup(SD);
    pt.map(0x40000000n, BigInt(RAM + 0x300000), V | R | A | D);
    hart.setX(1, 0x40000010n);
    step(hart, 1);
    expectFault(hart, 15n, 0x40000010n);
  }
  {
    const { hart } = setup(LD);
    hart.setX(1, 0x50000000n);
    step(hart, 1);
    expectFault(hart, 13n, 0x50000000n);
  }
  {
    const { hart } = setup(LD);
    hart.setX(1, 0x0000008000000000n); // bit 39 set, bits 63:39 not a sign extension of bit 38
    step(hart, 1);
    expectFault(hart, 13n, 0x0000008000000000n);
  }
  {
    const { hart, pt, mem } = setup(I(0, 1, 0, 0, 0x67)); // jalr x0, 0(x1)
    pt.map(0x40000000n, BigInt(RAM + 0x300000), V | R | W | A | D);
    void mem;
    hart.setX(1, 0x40000000n);
    step(hart, 1); // the jump itself retires
    step(hart, 1); // fetch faults
    assert.equal(hart.getCsr(CSR_MCAUSE), 12n);
    assert.equal(hart.getCsr(CSR_MTVAL), 0x40000000n);
  }
});

test('U pages: S-mode load faults without SUM, works with SUM; U-mode cannot touch S pages', () => {
  const { hart, pt } = setup(LD);
  pt.map(0x40000000n, BigInt(RAM + 0x300000), V | R | U | A | D);
  hart.setX(1, 0x40000000n);
  step(hart, 1);
  expectFault(hart, 13n, 0x40000000n);
  const b = setup(LD);
  b.pt.map(0x40000000n, BigInt(RAM + 0x300000), V | R | U | A | D);
  b.hart.setCsr(CSR_MSTATUS, 1n << 18n);
  b.hart.setX(1, 0x40000000n);
  step(b.hart, 1);
  assert.equal(b.hart.getPc(), BigInt(RAM + 4));
  // U-mode code page (U bit) loading from an S page
  const c = setup(LD);
  c.pt.map(BigInt(RAM), BigInt(RAM), V | R | X | U | A | D, 1);
  c.pt.map(0x40000000n, BigInt(RAM + 0x300000), V | R | A | D);
  c.hart.setMode(0);
  c.hart.setX(1, 0x40000000n);
  step(c.hart, 1);
  expectFault(c.hart, 13n, 0x40000000n);
});

test('MXR makes execute-only pages readable', () => {
  for (const mxr of [false, true]) {
    const { hart, pt } = setup(LD);
    pt.map(0x40000000n, BigInt(RAM + 0x300000), V | X | A | D);
    if (mxr) hart.setCsr(CSR_MSTATUS, 1n << 19n);
    hart.setX(1, 0x40000000n);
    step(hart, 1);
    if (mxr) assert.equal(hart.getPc(), BigInt(RAM + 4));
    else expectFault(hart, 13n, 0x40000000n);
  }
});

test('2 MiB superpage translates the offset; a misaligned superpage PPN faults', () => {
  const { hart, mem, pt } = setup(LD);
  pt.map(0x40200000n, BigInt(RAM + 0x400000), V | R | A | D, 1);
  mem.ram(RAM + 0x400000 + 0x12345, 1)[0] = 0x77;
  hart.setX(1, 0x40200000n + 0x12345n);
  step(hart, 1);
  assert.equal(hart.getX(3) & 0xffn, 0x77n);
  const b = setup(LD);
  b.pt.map(0x40200000n, BigInt(RAM + 0x401000), V | R | A | D, 1); // PPN not 2 MiB aligned
  b.hart.setX(1, 0x40200008n);
  step(b.hart, 1);
  expectFault(b.hart, 13n, 0x40200008n);
});

test('A/D: without ADUE a clear A (load) or D (store) bit faults; with ADUE the walk sets them', () => {
  const { hart, pt } = setup(LD);
  pt.map(0x40000000n, BigInt(RAM + 0x300000), V | R | W);
  hart.setX(1, 0x40000000n);
  step(hart, 1);
  expectFault(hart, 13n, 0x40000000n);
  const s = setup(SD);
  s.pt.map(0x40000000n, BigInt(RAM + 0x300000), V | R | W | A);
  s.hart.setX(1, 0x40000000n);
  step(s.hart, 1);
  expectFault(s.hart, 15n, 0x40000000n);

  const h = setup(SD, { isa: `${RV64GC} svadu` });
  const pteAddr = h.pt.map(0x40000000n, BigInt(RAM + 0x300000), V | R | W);
  h.hart.setCsr(0x30a, 1n << 61n); // menvcfg.ADUE
  h.hart.setX(1, 0x40000000n); h.hart.setX(2, 42n);
  step(h.hart, 1);
  assert.equal(h.hart.getPc(), BigInt(RAM + 4));
  assert.equal(h.pt.read(pteAddr) & (A | D), A | D);
});

test('Svnapot 64 KiB page: every 4 KiB page of the range maps into the 64 KiB physical block; without Svnapot it faults', () => {
  for (const napot of [true, false]) {
    const { hart, mem, pt } = setup(LD, { isa: napot ? `${RV64GC} svnapot` : RV64GC });
    const pa = BigInt(RAM + 0x300000);
    for (let k = 0n; k < 16n; k++) {
      // every PTE of the 64 KiB range holds ppn[3:0] = 1000 and N=1
      pt.map(0x40000000n + k * 0x1000n, (pa & ~0xffffn) | 0x8000n, V | R | A | D | N);
    }
    mem.ram(RAM + 0x300000 + 0x5008, 1)[0] = 0x3c;
    hart.setX(1, 0x40005008n);
    step(hart, 1);
    if (napot) assert.equal(hart.getX(3) & 0xffn, 0x3cn);
    else expectFault(hart, 13n, 0x40005008n);
  }
});

test('sfence.vma makes a changed PTE visible; stale translations are used until then', () => {
  const prog = [LD, LD, 0x12000073 /* sfence.vma */, LD];
  const { hart, mem } = fixture(prog, RV64GC, { ramBytes: 8 << 20 });
  const pt = new PageTables(mem, 3);
  pt.map(BigInt(RAM), BigInt(RAM), V | R | W | X | A | D, 1);
  const pteAddr = pt.map(0x40000000n, BigInt(RAM + 0x300000), V | R | A | D);
  mem.ram(RAM + 0x300000, 1)[0] = 1;
  mem.ram(RAM + 0x301000, 1)[0] = 2;
  hart.setCsr(CSR_SATP, (MODE.sv39 << 60n) | BigInt(ROOT >>> 12));
  hart.setMode(1);
  hart.setX(1, 0x40000000n);
  step(hart, 1);
  assert.equal(hart.getX(3) & 0xffn, 1n);
  new DataView(mem.ram(pteAddr, 8).buffer, mem.ram(pteAddr, 8).byteOffset).setBigUint64(0, ((BigInt(RAM + 0x301000) >> 12n) << 10n) | V | R | A | D, true);
  step(hart, 1);
  assert.equal(hart.getX(3) & 0xffn, 1n, 'TLB still holds the old translation');
  step(hart, 2);
  assert.equal(hart.getX(3) & 0xffn, 2n, 'after sfence.vma');
});

test('toggling SUM in S-mode switches TLB context: a U page cached with SUM=1 faults after SUM is cleared', () => {
  const csrc = ((0x100 << 20) | (7 << 15) | (3 << 12) | (0 << 7) | 0x73) >>> 0; // csrc sstatus, x7
  const { hart, pt, mem } = setup(LD);
  // program: ld; csrc sstatus(SUM); ld
  const words = [LD, csrc, LD];
  const b = mem.ram(RAM, 12);
  words.forEach((w, k) => { b[4 * k] = w & 0xff; b[4 * k + 1] = (w >>> 8) & 0xff; b[4 * k + 2] = (w >>> 16) & 0xff; b[4 * k + 3] = w >>> 24; });
  pt.map(0x40000000n, BigInt(RAM + 0x300000), V | R | U | A | D);
  hart.setCsr(CSR_MSTATUS, 1n << 18n);
  hart.setX(1, 0x40000000n); hart.setX(7, 1n << 18n);
  step(hart, 2);
  assert.equal(hart.getPc(), BigInt(RAM + 8));
  step(hart, 1);
  expectFault(hart, 13n, 0x40000000n, BigInt(RAM + 8));
});

test('sfence.vma with an address inside a 2 MiB superpage drops translations of the whole superpage', () => {
  // ld x3,0(x1) ; sfence.vma x2, x0 ; ld x3,0(x1)   with x1 and x2 in the same superpage but different 4 KiB pages
  const sfenceX2 = (0x09 << 25 | 0 << 20 | 2 << 15 | 0x73) >>> 0;
  const { hart, mem, pt } = setup(LD);
  const b = mem.ram(RAM, 12);
  [LD, sfenceX2, LD].forEach((w, k) => { b[4 * k] = w & 0xff; b[4 * k + 1] = (w >>> 8) & 0xff; b[4 * k + 2] = (w >>> 16) & 0xff; b[4 * k + 3] = w >>> 24; });
  const pteAddr = pt.map(0x40200000n, BigInt(RAM + 0x400000), V | R | A | D, 1);
  mem.ram(RAM + 0x400000 + 0x5000, 1)[0] = 1;
  mem.ram(RAM + 0x600000 + 0x5000, 1)[0] = 2;
  hart.setX(1, 0x40205000n); hart.setX(2, 0x40333000n);
  step(hart, 1);
  assert.equal(hart.getX(3) & 0xffn, 1n);
  const dv = new DataView(mem.ram(pteAddr, 8).buffer, mem.ram(pteAddr, 8).byteOffset, 8);
  dv.setBigUint64(0, ((BigInt(RAM + 0x600000) >> 12n) << 10n) | V | R | A | D, true);
  step(hart, 2);
  assert.equal(hart.getX(3) & 0xffn, 2n, 'the new superpage mapping is used');
});

test('page-walk cache: after a non-leaf PTE changes and SFENCE.VMA vaddr, the walk uses the new last-level table', () => {
  // ld x3, 0(x1); sfence.vma x1, x0; ld x3, 0(x1)
  const SFENCE_X1 = 0x12008073;
  const { hart, mem } = fixture([LD, SFENCE_X1, LD], RV64GC, { ramBytes: 8 << 20 });
  const pt = new PageTables(mem, 3);
  pt.map(BigInt(RAM), BigInt(RAM), V | R | W | X | A | D, 1);
  hart.setCsr(CSR_SATP, (MODE.sv39 << 60n) | BigInt(ROOT >>> 12));
  hart.setMode(1);
  const va = 0x40201000n;
  const pa1 = RAM + 0x300000, pa2 = RAM + 0x400000;
  const leaf = pt.map(va, BigInt(pa1), V | R | A | D);
  const word = (pa: number, v: bigint): void => new DataView(mem.ram(pa, 8).buffer, mem.ram(pa, 8).byteOffset).setBigUint64(0, v, true);
  word(pa1, 0x1111n); word(pa2, 0x2222n);
  hart.setX(1, va);
  step(hart, 1);
  assert.equal(hart.getX(3), 0x1111n);
  // a second last-level table mapping va to pa2, and the level-1 PTE pointed at it
  const table2 = RAM + 0x500000;
  const leafIndex = (leaf & 0xfff) / 8;
  word(table2 + leafIndex * 8, ((BigInt(pa2) >> 12n) << 10n) | V | R | A | D);
  const level1Table = Number((pt.read(ROOT + Number((va >> 30n) & 0x1ffn) * 8) >> 10n) << 12n);
  const l1pte = level1Table + Number((va >> 21n) & 0x1ffn) * 8;
  word(l1pte, ((BigInt(table2) >> 12n) << 10n) | V);
  step(hart, 2); // sfence.vma x1, then the load walks again
  assert.equal(hart.getX(3), 0x2222n);
});

test('pointer masking under Sv39 (menvcfg.PMM, S-mode): a tagged pointer is sign-extended from bit 63 - PMLEN; a fault reports the masked address', () => {
  const va = 0xffffffc000001000n, unmapped = 0xffffffc000005000n, pa = RAM + 0x300000;
  for (const [pmm, len] of [[3n, 16n], [2n, 7n]] as const) {
    const tag = (v: bigint): bigint => (v & ((1n << (64n - len)) - 1n)) | (0x2n << (64n - len)); // top bits 0...010
    const { hart, mem, pt } = setup(LD, { isa: RV64GC + ' smnpm' });
    pt.map(va, BigInt(pa), V | R | A | D);
    new DataView(mem.ram(pa + 8, 8).buffer, mem.ram(pa + 8, 8).byteOffset).setBigUint64(0, 0x5566778899aabbccn, true);
    hart.setCsr(0x30a, pmm << 32n);
    assert.equal(hart.getCsr(0x30a) >> 32n & 3n, pmm);
    hart.setX(1, tag(va + 8n));
    step(hart, 1);
    assert.equal(hart.getX(3), 0x5566778899aabbccn, `PMLEN ${len}: the tagged kernel-half pointer loads`);
    const f = setup(LD, { isa: RV64GC + ' smnpm' });
    f.hart.setCsr(0x30a, pmm << 32n);
    f.hart.setX(1, tag(unmapped));
    step(f.hart, 1);
    expectFault(f.hart, 13n, unmapped);
  }
});

const amo = (f5: number, f3: number, rd: number, rs1: number, rs2: number): number => rType(f5 << 2, rs2, rs1, f3, rd, 0x2f);
const AMOADD_D = amo(0x00, 3, 3, 1, 2), LR_D = amo(0x02, 3, 4, 1, 0), SC_D = amo(0x03, 3, 5, 1, 2);

test('AMOs and LR/SC go through the TLB: only the first access of each kind to a page walks the page table', () => {
  const { hart, mem, pt } = setup([AMOADD_D, AMOADD_D, LR_D, SC_D]);
  const va = 0x40002000n, pa = RAM + 0x300000;
  pt.map(va, BigInt(pa), V | R | W | A | D);
  hart.setX(1, va + 16n); hart.setX(2, 5n);
  const walks = (): number => hart.jitStats.pageWalks;
  step(hart, 1); // the fetch (code page) and the AMO's store translation walk
  const afterFirst = walks();
  step(hart, 1);
  assert.equal(walks(), afterFirst, 'the second AMO hits the store TLB');
  step(hart, 1);
  assert.equal(walks(), afterFirst + 1, 'LR needs a load translation: one walk');
  step(hart, 1);
  assert.equal(walks(), afterFirst + 1, 'SC hits the store TLB');
  assert.equal(hart.getX(5), 0n, 'SC succeeded');
  const b = mem.ram(pa + 16, 8);
  assert.equal(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true), 5n, 'two adds of 5, then SC of 5');
  assert.equal(hart.getX(4), 10n, 'LR read the sum');
});

test('an AMO on a page the load TLB holds read-only is a store/AMO page fault (15), not a hit', () => {
  const { hart, pt } = setup([LD, AMOADD_D]);
  pt.map(0x40003000n, BigInt(RAM + 0x300000), V | R | A | D);
  hart.setX(1, 0x40003008n);
  step(hart, 2);
  expectFault(hart, 15n, 0x40003008n, BigInt(RAM + 4));
});
