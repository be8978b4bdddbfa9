// Privileged architecture: CSR access rules, traps and delegation, xRET, interrupts (priority, enables,
// delegation, Sstc timer), WFI, the hypervisor exits, MMIO exits, requestStop, and self-modifying code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fixture, step, encode, RAM, RV64GC, I, J, csrrs, csrrw, addi, sd, ld, ecall, mret, sret, wfi,
  CSR_MCAUSE, CSR_MTVAL, CSR_MTVEC, CSR_MEPC, CSR_MSTATUS, CSR_SCAUSE, CSR_SEPC, CSR_STVEC,
} from './asm.js';
import { Exit } from '../../src/hart/index.js';

const MIE = 0x304, MIP = 0x344, MIDELEG = 0x303, MEDELEG = 0x302, MENVCFG = 0x30a, STIMECMP = 0x14d, SIE = 0x104;
const INT = 1n << 63n;

test('CSR rules: S-mode cannot read M CSRs, nobody writes read-only CSRs, unknown CSRs are illegal', () => {
  const cases: [string, number, 0 | 1 | 3][] = [
    ['S reads mstatus', csrrs(5, CSR_MSTATUS, 0), 1],
    ['M writes cycle (read-only)', csrrw(0, 0xc00, 5), 3],
    ['M writes mhartid', csrrw(0, 0xf14, 5), 3],
    ['M reads unknown CSR 0x7c0', csrrs(5, 0x7c0, 0), 3],
    ['U reads sstatus', csrrs(5, 0x100, 0), 0],
  ];
  for (const [name, insn, mode] of cases) {
    const { hart } = fixture([insn], RV64GC);
    hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x400));
    hart.setMode(mode);
    step(hart, 1);
    assert.equal(hart.getCsr(CSR_MCAUSE), 2n, name);
    assert.equal(hart.getCsr(CSR_MTVAL), BigInt(insn), name);
  }
});

test('counter access: U-mode rdcycle needs mcounteren and scounteren; Zicntr absent -> illegal', () => {
  for (const [mcen, scen, ok] of [[0n, 0n, false], [1n, 0n, false], [1n, 1n, true]] as const) {
    const { hart } = fixture([csrrs(5, 0xc00, 0)], RV64GC);
    hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x400));
    hart.setCsr(0x306, mcen); hart.setCsr(0x106, scen);
    hart.setMode(0);
    step(hart, 1);
    assert.equal(hart.getPc(), BigInt(ok ? RAM + 4 : RAM + 0x400), `mcounteren=${mcen} scounteren=${scen}`);
  }
  const { hart } = fixture([csrrs(5, 0xc01, 0)], 'i zicsr');
  hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x400));
  step(hart, 1);
  assert.equal(hart.getCsr(CSR_MCAUSE), 2n);
});

test('sstatus is a masked view of mstatus; misa reports the configured letters and MXL=2', () => {
  const { hart } = fixture([csrrw(5, 0x100, 6), csrrs(7, CSR_MSTATUS, 0), csrrs(8, 0x301, 0)], RV64GC);
  hart.setX(6, 0xffffffffffffffffn);
  step(hart, 3);
  const ms = hart.getX(7);
  // SIE SPIE SPP FS SUM MXR set; MIE MPIE MPP MPRV TVM TW TSR not touched by sstatus
  assert.equal(ms & 0x7fffffn & ~0x1800n, 0x000c6122n);
  assert.equal((ms >> 63n) & 1n, 1n, 'SD set because FS = dirty');
  assert.equal((ms >> 32n) & 0xfn, 0xan, 'UXL = SXL = 2');
  const misa = hart.getX(8);
  assert.equal(misa >> 62n, 2n);
  const letters = [...'abcdefghijklmnopqrstuvwxyz'].filter((_, i) => (misa >> BigInt(i)) & 1n).join('');
  assert.equal(letters, 'acdfimsu');
});

test('ecall from U/S/M: causes 8/9/11, mepc = the ecall, mret returns to MPP with MIE <- MPIE', () => {
  for (const [mode, cause] of [[0, 8n], [1, 9n], [3, 11n]] as const) {
    const { hart } = fixture([ecall], RV64GC);
    hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x400));
    hart.setMode(mode);
    step(hart, 1);
    assert.equal(hart.getCsr(CSR_MCAUSE), cause);
    assert.equal(hart.getCsr(CSR_MEPC), BigInt(RAM));
    assert.equal(hart.getMode(), 3);
    assert.equal((hart.getCsr(CSR_MSTATUS) >> 11n) & 3n, BigInt(mode), 'MPP');
  }
  const { hart } = fixture([mret], RV64GC);
  hart.setCsr(CSR_MEPC, BigInt(RAM + 0x100));
  hart.setCsr(CSR_MSTATUS, (1n << 11n) | (1n << 7n)); // MPP=S, MPIE
  step(hart, 1);
  assert.equal(hart.getMode(), 1);
  assert.equal(hart.getPc(), BigInt(RAM + 0x100));
  const st = hart.getCsr(CSR_MSTATUS);
  assert.equal((st >> 3n) & 1n, 1n, 'MIE <- MPIE');
  assert.equal((st >> 11n) & 3n, 0n, 'MPP <- U');
});

test('medeleg sends U-mode exceptions to S; sret returns to SPP; sret traps under TSR', () => {
  const { hart } = fixture([ecall], RV64GC);
  hart.setCsr(CSR_STVEC, BigInt(RAM + 0x800));
  hart.setCsr(MEDELEG, 1n << 8n);
  hart.setMode(0);
  step(hart, 1);
  assert.equal(hart.getMode(), 1);
  assert.equal(hart.getCsr(CSR_SCAUSE), 8n);
  assert.equal(hart.getCsr(CSR_SEPC), BigInt(RAM));
  assert.equal(hart.getPc(), BigInt(RAM + 0x800));
  const s = fixture([sret], RV64GC);
  s.hart.setCsr(CSR_SEPC, BigInt(RAM + 0x40));
  s.hart.setCsr(CSR_MSTATUS, (1n << 8n) | (1n << 5n)); // SPP=S, SPIE
  s.hart.setMode(1);
  step(s.hart, 1);
  assert.equal(s.hart.getMode(), 1);
  assert.equal(s.hart.getPc(), BigInt(RAM + 0x40));
  assert.equal((s.hart.getCsr(CSR_MSTATUS) >> 1n) & 1n, 1n, 'SIE <- SPIE');
  const t = fixture([sret], RV64GC);
  t.hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x400));
  t.hart.setCsr(CSR_MSTATUS, 1n << 22n); // TSR
  t.hart.setMode(1);
  step(t.hart, 1);
  assert.equal(t.hart.getCsr(CSR_MCAUSE), 2n);
});

test('interrupt priority MEI > MSI > MTI > SEI > SSI > STI, and M-mode needs MIE', () => {
  const order = [11, 3, 7, 9, 1, 5];
  const { hart } = fixture([J(0, 0)], RV64GC);
  hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x400));
  for (const b of order) hart.setInterruptPending(b, true);
  hart.setCsr(MIE, 0xaaan);
  step(hart, 1);
  assert.equal(hart.getPc(), BigInt(RAM), 'MIE=0 in M-mode: not taken');
  for (const expect of order) {
    hart.setPc(BigInt(RAM));
    hart.setMode(3);
    hart.setCsr(CSR_MSTATUS, 1n << 3n);
    step(hart, 1);
    assert.equal(hart.getCsr(CSR_MCAUSE), INT | BigInt(expect));
    hart.setInterruptPending(expect, false);
  }
});

test('Sstc: stimecmp raises STIP; delegated STI traps to S with vectored stvec', () => {
  const { hart, mem } = fixture([J(0, 0)], `${RV64GC} sstc`);
  mem.ram(RAM + 0x814, 4).set(encode([J(0, 0)])); // the handler spins
  hart.setCsr(MENVCFG, 1n << 63n); // STCE
  hart.setCsr(MIDELEG, 1n << 5n);
  hart.setCsr(MIE, 1n << 5n);
  hart.setCsr(CSR_STVEC, BigInt(RAM + 0x800) | 1n); // vectored
  hart.setCsr(CSR_MSTATUS, 1n << 1n); // SIE
  hart.setCsr(STIMECMP, 1000n);
  hart.setMode(1);
  step(hart, 50);
  assert.equal(hart.getMode(), 1, 'not yet: time < stimecmp');
  assert.equal(hart.getCsr(MIP) & (1n << 5n), 0n);
  hart.run(200_000); // icount clock: 1000 ticks at 10 MHz = 100000 instructions
  assert.equal(hart.getCsr(CSR_SCAUSE), INT | 5n);
  assert.equal(hart.getPc(), BigInt(RAM + 0x800 + 4 * 5));
  assert.ok(hart.getCsr(0xc01) >= 1000n);
});

test('WFI: M-mode exec fast-forwards time to the armed timer; with nothing armed it stops with Exit.Wfi', () => {
  const { hart, mem } = fixture([wfi, J(0, 0)], `${RV64GC} sstc`);
  mem.ram(RAM + 0x400, 4).set(encode([J(0, 0)])); // the handler spins
  hart.setCsr(MENVCFG, 1n << 63n);
  hart.setCsr(MIE, 1n << 5n);
  hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x400));
  hart.setCsr(CSR_MSTATUS, 1n << 3n);
  hart.setCsr(STIMECMP, 5_000_000n); // half a second away
  hart.run(10);
  assert.equal(hart.getCsr(CSR_MCAUSE), INT | 5n);
  assert.ok(hart.getCsr(0xc01) >= 5_000_000n, 'time jumped to the deadline');
  assert.ok(hart.instret < 10);
  const b = fixture([wfi], RV64GC);
  assert.equal(b.hart.run(10), Exit.Wfi);
  assert.equal(b.hart.getPc(), BigInt(RAM + 4));
});

test('hypervisor mode: starts in S, ecall from S exits with MachineTrap (pc at the ecall), WFI exits, SEI is delivered', () => {
  const { hart } = fixture([ecall], RV64GC, { hypervisor: true });
  assert.equal(hart.getMode(), 1);
  assert.equal(hart.run(10), Exit.MachineTrap);
  assert.equal(hart.trapCause, 9);
  assert.equal(hart.getPc(), BigInt(RAM));
  const w = fixture([wfi, J(0, 0)], RV64GC, { hypervisor: true });
  assert.equal(w.hart.run(10), Exit.Wfi);
  assert.equal(w.hart.getPc(), BigInt(RAM + 4));
  w.hart.setCsr(SIE, 1n << 9n);
  w.hart.setCsr(0x100, 1n << 1n);
  w.hart.setCsr(CSR_STVEC, BigInt(RAM + 0x800));
  w.hart.setInterruptPending(9, true);
  step(w.hart, 1);
  assert.equal(w.hart.getCsr(CSR_SCAUSE), INT | 9n);
  assert.equal(w.hart.getMode(), 1);
});

test('MMIO without a handler exits with Exit.Mmio; completeMmio writes rd and advances pc', () => {
  const { hart, mem } = fixture([ld(5, 6, 8), sd(5, 6, 16)], RV64GC);
  mem.addMmio(0x10000000, 0x1000);
  hart.setX(6, 0x10000000n);
  assert.equal(hart.run(10), Exit.Mmio);
  assert.deepEqual([hart.mmio.addr, hart.mmio.size, hart.mmio.isWrite], [0x10000008, 8, false]);
  new DataView(hart.mmio.data.buffer).setBigUint64(0, 0xdeadbeefcafef00dn, true);
  hart.completeMmio();
  assert.equal(hart.getX(5), 0xdeadbeefcafef00dn);
  assert.equal(hart.getPc(), BigInt(RAM + 4));
  assert.equal(hart.run(10), Exit.Mmio);
  assert.deepEqual([hart.mmio.addr, hart.mmio.size, hart.mmio.isWrite], [0x10000010, 8, true]);
  assert.equal(new DataView(hart.mmio.data.buffer).getBigUint64(0, true), 0xdeadbeefcafef00dn);
  hart.completeMmio();
  assert.equal(hart.getPc(), BigInt(RAM + 8));
});

test('a synchronous MMIO handler can stop a runaway guest with requestStop()', () => {
  const { hart, mem } = fixture([sd(0, 6, 0), J(-4, 0)], RV64GC);
  let writes = 0;
  mem.addMmio(0x10000000, 0x1000, {
    read: () => 0,
    write: () => { if (++writes === 1000) hart.requestStop(); },
  });
  hart.setX(6, 0x10000000n);
  assert.equal(hart.run(1e12), Exit.Stopped);
  assert.ok(writes >= 1000);
});

test('access outside RAM and MMIO is an access fault (load 5, store 7, fetch 1) with the address in mtval', () => {
  const { hart } = fixture([ld(5, 6, 0)], RV64GC);
  hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x400));
  hart.setX(6, 0x1234000n);
  step(hart, 1);
  assert.equal(hart.getCsr(CSR_MCAUSE), 5n);
  assert.equal(hart.getCsr(CSR_MTVAL), 0x1234000n);
  const s = fixture([sd(5, 6, 0)], RV64GC);
  s.hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x400));
  s.hart.setX(6, 0xfff0000000000000n);
  step(s.hart, 1);
  assert.equal(s.hart.getCsr(CSR_MCAUSE), 7n);
  const f = fixture([I(0, 6, 0, 0, 0x67)], RV64GC);
  f.hart.setCsr(CSR_MTVEC, BigInt(RAM + 0x400));
  f.hart.setX(6, 0x40000000n);
  step(f.hart, 2);
  assert.equal(f.hart.getCsr(CSR_MCAUSE), 1n);
  assert.equal(f.hart.getCsr(CSR_MTVAL), 0x40000000n);
});

test('misaligned loads/stores are done in hardware, also across a page boundary', () => {
  const { hart, mem } = fixture([sd(5, 6, 0), ld(7, 6, 0), I(0, 6, 2, 8, 0x03)], RV64GC);
  hart.setX(5, 0x0102030405060708n);
  hart.setX(6, BigInt(RAM + 0x1ffd));
  step(hart, 3);
  assert.deepEqual([...mem.ram(RAM + 0x1ffd, 8)], [8, 7, 6, 5, 4, 3, 2, 1]);
  assert.equal(hart.getX(7), 0x0102030405060708n);
  assert.equal(hart.getX(8), 0x05060708n);
});

test('self-modifying code: a store over an already executed instruction takes effect', () => {
  // loop: addi x5,x5,1 ; sw x7,0(x6) (overwrites the addi with addi x5,x5,100) ; jal back to start (2 rounds)
  const prog = [addi(5, 5, 1), I(0, 6, 2, 0, 0x23) /* placeholder, replaced below */, J(-8, 0)];
  prog[1] = ((0 << 25) | (7 << 20) | (6 << 15) | (2 << 12) | (0 << 7) | 0x23) >>> 0; // sw x7, 0(x6)
  const { hart } = fixture(prog, RV64GC);
  hart.setX(6, BigInt(RAM));
  hart.setX(7, BigInt(addi(5, 5, 100)));
  step(hart, 4); // addi(+1), sw, j, addi(+100)
  assert.equal(hart.getX(5), 101n);
});

test('run() budget: an endless loop returns Exit.Budget after exactly the budget', () => {
  const { hart } = fixture([J(0, 0)], RV64GC);
  assert.equal(hart.run(12345), Exit.Budget);
  assert.equal(hart.instret, 12345);
});
