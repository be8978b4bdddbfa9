// GuestMemory (regions, bounds, DMA invalidation), LR/SC reservations across run() slices and harts, and the exec
// command's errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GuestMemory, Hart, Exit } from '../../src/hart/index.js';
import { fixture, step, encode, RAM, RV64GC, R, I, S, B, addi, isaSet, J } from './asm.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test('GuestMemory rejects bad and overlapping regions and out-of-RAM views with clear messages', () => {
  const m = new GuestMemory({ maxRamBytes: 1 << 20 });
  m.addRam(RAM, 1 << 16);
  assert.throws(() => m.addRam(RAM + 0x8000, 4096), /overlaps another region/);
  assert.throws(() => m.addRam(RAM + 0x100001, 4096), /multiples of 4096/);
  assert.throws(() => m.addRam(0x1000000, 2 << 20), /exceeds the memory limit/);
  assert.throws(() => m.addMmio(RAM + 0x1000, 16), /overlaps/);
  assert.throws(() => m.ram(RAM + 0xfff0, 32), /is not inside guest RAM/);
  assert.equal(m.ram(RAM, 16).length, 16);
  m.addRam(0x100000000, 1 << 16); // a second region above 4 GiB
  m.ram(0x100000000, 4)[0] = 7;
  assert.equal(m.hostOffset(0x100000000, 4) > 0, true);
});

test('RAM added after a hart exists (the memory grows, views are re-made) keeps hart state and is usable', () => {
  const mem = new GuestMemory({ maxRamBytes: 16 << 20 });
  mem.addRam(RAM, 1 << 20);
  const sd = ((0 << 25) | (5 << 20) | (6 << 15) | (3 << 12) | (0 << 7) | 0x23) >>> 0; // sd x5, 0(x6)
  mem.ram(RAM, 12).set(encode([addi(5, 5, 1), sd, J(-8, 0)]));
  const hart = new Hart({ memory: mem, isa: isaSet(RV64GC), hartId: 0 });
  hart.setPc(BigInt(RAM)); hart.setX(5, 40n); hart.setX(6, BigInt(RAM + 0x1000));
  step(hart, 3);
  const before = mem.memory.buffer;
  mem.addRam(0x90000000, 8 << 20);
  assert.notEqual(mem.memory.buffer, before, 'the buffer was replaced');
  assert.equal(hart.getX(5), 41n);
  hart.setX(6, 0x90000000n + 0x7ff000n);
  step(hart, 3);
  assert.equal(hart.getX(5), 42n);
  assert.equal(new DataView(mem.ram(0x907ff000, 8).buffer, mem.ram(0x907ff000, 8).byteOffset).getBigUint64(0, true), 42n);
});

test('DMA: code rewritten behind the hart is picked up after GuestMemory.invalidate()', () => {
  const { hart, mem } = fixture([addi(5, 5, 1), J(-4, 0)], RV64GC);
  step(hart, 2);
  assert.equal(hart.getX(5), 1n);
  mem.ram(RAM, 4).set(encode([addi(5, 5, 10)]));
  mem.invalidate(RAM, 4);
  step(hart, 2); // addi(+10), j
  assert.equal(hart.getX(5), 11n);
});

// LR/SC across run() slices: the reservation outlives a slice boundary unless another agent wrote its address
const lrD = (rd: number, rs1: number): number => R(0x02 << 2, 0, rs1, 3, rd, 0x2f);
const scD = (rd: number, rs1: number, rs2: number): number => R(0x03 << 2, rs2, rs1, 3, rd, 0x2f);
const amoaddD = (rd: number, rs1: number, rs2: number): number => R(0x00 << 2, rs2, rs1, 3, rd, 0x2f);
const sdI = (rs2: number, rs1: number): number => ((rs2 << 20) | (rs1 << 15) | (3 << 12) | 0x23) >>> 0; // sd rs2, 0(rs1)
const RESERVED = RAM + 0x10800;

/** hart a at RAM: LR x5 <- (x6); three addi; SC x8 <- x7 to (x6). Hart b at RAM + 0x1000 runs `prog`. */
function lrScPair(bProg: number[], bOpts: { jit?: boolean; jitHot?: number } = {}): { mem: GuestMemory; a: Hart; b: Hart } {
  const mem = new GuestMemory({ maxRamBytes: 1 << 20 });
  mem.addRam(RAM, 1 << 20);
  mem.ram(RAM, 20).set(encode([lrD(5, 6), addi(9, 9, 1), addi(9, 9, 1), addi(9, 9, 1), scD(8, 6, 7)]));
  mem.ram(RAM + 0x1000, bProg.length * 4).set(encode(bProg));
  const a = new Hart({ memory: mem, isa: isaSet(RV64GC), hartId: 0, clock: 'icount' });
  const b = new Hart({ memory: mem, isa: isaSet(RV64GC), hartId: 1, clock: 'icount', ...bOpts });
  a.setPc(BigInt(RAM)); a.setX(6, BigInt(RESERVED)); a.setX(7, 0x5c5cn);
  b.setPc(BigInt(RAM + 0x1000));
  new DataView(mem.ram(RESERVED, 8).buffer, mem.ram(RESERVED, 8).byteOffset).setBigUint64(0, 77n, true);
  return { mem, a, b };
}
const word = (mem: GuestMemory, gpa: number): bigint => new DataView(mem.ram(gpa, 8).buffer, mem.ram(gpa, 8).byteOffset).getBigUint64(0, true);

test('LR/SC: run(n) boundaries between an LR and its SC do not fail the SC (one hart, any slicing)', () => {
  for (const slicing of [[5], [1, 4], [1, 1, 1, 1, 1], [4, 1], [2, 3]]) {
    const { mem, a } = lrScPair([]);
    for (const n of slicing) assert.equal(a.run(n), Exit.Budget);
    assert.equal(a.getX(5), 77n, 'LR loaded');
    assert.equal(a.getX(8), 0n, `SC succeeded with slices ${slicing.join('+')}`);
    assert.equal(word(mem, RESERVED), 0x5c5cn);
  }
});

test('LR/SC: another hart running between the slices leaves the reservation unless it writes the reserved address', () => {
  // b only computes, or stores to another page: a's SC still succeeds
  for (const bProg of [[addi(10, 10, 1), addi(10, 10, 1)], [sdI(11, 12), sdI(11, 12)], [lrD(13, 14), addi(10, 10, 1)]]) {
    const { a, b } = lrScPair(bProg);
    b.setX(12, BigInt(RAM + 0x30000)); b.setX(14, BigInt(RESERVED)); // b's LR of the same address does not break it
    assert.equal(a.run(1), Exit.Budget);
    assert.equal(b.run(2), Exit.Budget);
    assert.equal(a.run(4), Exit.Budget);
    assert.equal(a.getX(8), 0n, 'SC succeeded');
  }
  // b stores, AMOs or SCs to the reserved address (even the value it already holds): a's SC fails, memory keeps b's value
  const writers: [string, number[], (b: Hart) => void][] = [
    ['sd', [sdI(11, 12)], (b) => { b.setX(11, 77n); }],
    ['amoadd', [amoaddD(13, 12, 11)], (b) => { b.setX(11, 0n); }],
    ['lr+sc', [lrD(13, 12), scD(14, 12, 11)], (b) => { b.setX(11, 77n); }],
  ];
  for (const [name, bProg, setup] of writers) {
    const { mem, a, b } = lrScPair(bProg);
    b.setX(12, BigInt(RESERVED)); setup(b);
    assert.equal(a.run(2), Exit.Budget);
    assert.equal(b.run(bProg.length), Exit.Budget);
    assert.equal(a.run(3), Exit.Budget);
    assert.equal(a.getX(8), 1n, `SC failed after b's ${name}`);
    assert.equal(word(mem, RESERVED), 77n, 'the failed SC wrote nothing');
  }
});

test('LR/SC: a store from translated code of another hart breaks the reservation too', () => {
  // b: addi; sd x11, 0(x12); j -8, translated to WebAssembly once its page has been entered and decoded
  const { a, b } = lrScPair([addi(10, 10, 1), sdI(11, 12), J(-8, 0)], { jit: true, jitHot: 0 });
  b.setX(12, BigInt(RAM + 0x30000)); b.setX(11, 77n);
  assert.equal(b.run(1), Exit.Budget);
  assert.equal(b.run(3000), Exit.Budget);
  assert.ok(b.jitStats.pages > 0, 'b runs translated code');
  assert.equal(a.run(1), Exit.Budget);
  b.setX(12, BigInt(RESERVED));
  assert.equal(b.run(3000), Exit.Budget);
  assert.equal(a.run(4), Exit.Budget);
  assert.equal(a.getX(8), 1n, 'SC failed');
});

test('LR/SC: DMA (GuestMemory.invalidate) or an unreported write through a ram() view breaks a parked reservation', () => {
  {
    const { mem, a } = lrScPair([]);
    assert.equal(a.run(1), Exit.Budget);
    mem.invalidate(RESERVED, 8); // a device wrote (the same bytes) and said so
    assert.equal(a.run(4), Exit.Budget);
    assert.equal(a.getX(8), 1n, 'SC failed after DMA');
  }
  {
    const { mem, a } = lrScPair([]);
    assert.equal(a.run(1), Exit.Budget);
    mem.ram(RESERVED, 1)[0] = 1; // changed behind everyone's back
    assert.equal(a.run(4), Exit.Budget);
    assert.equal(a.getX(8), 1n, 'SC failed after a silent write');
  }
  {
    const { mem, a } = lrScPair([]);
    assert.equal(a.run(1), Exit.Budget);
    mem.invalidate(RAM + 0x30000, 4096); // DMA elsewhere
    assert.equal(a.run(4), Exit.Budget);
    assert.equal(a.getX(8), 0n, 'SC succeeded');
  }
});

test('rvkvm exec: bad input gives one-line errors and a non-zero exit code', () => {
  const cli = `${root}dist/src/cli/main.js`;
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'exec', ...args], { encoding: 'utf8' });
  const missing = run('/nonexistent.elf');
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /^rvkvm: ELF '\/nonexistent.elf' does not exist\n$/);
  const notElf = run(`${root}package.json`);
  assert.match(notElf.stderr, /^rvkvm: ELF file: not an ELF file \(bad magic\)\n$/);
  const badIsa = run(`${root}build/guest/hart/hello.elf`, '--isa', 'rv64gcq_zzz');
  assert.notEqual(badIsa.status, 0);
  assert.match(badIsa.stderr, /^rvkvm: .+\n$/);
  const budget = run(`${root}build/guest/bench/int-hashsort.elf`, '--max-insns', '1000');
  assert.notEqual(budget.status, 0);
  assert.match(budget.stderr, /did not finish within --max-insns 1000 instructions/);
  const fail = run(`${root}build/guest/hart/zimop-on.elf`, '--isa', 'rv64gc');
  assert.notEqual(fail.status, 0);
  assert.match(fail.stderr, /^rvkvm: test \d+ failed\n$/);
  const ok = run(`${root}build/guest/hart/hello.elf`);
  assert.equal(ok.status, 0);
  assert.equal(ok.stdout, 'hello from rvkvm\n');
});

test('synchronous MMIO loads are sign/zero-extended by size; 8-byte reads use readHigh; stores pass size and value', () => {
  const ld = (f3: number, rd: number): number => ((0 << 20) | (6 << 15) | (f3 << 12) | (rd << 7) | 0x03) >>> 0;
  const { hart, mem } = fixture([ld(0, 10), ld(4, 11), ld(1, 12), ld(5, 13), ld(2, 14), ld(6, 15), ld(3, 16),
    ((5 << 20) | (6 << 15) | (1 << 12) | (8 << 7) | 0x23) >>> 0 /* sh x5, 8(x6) */], RV64GC);
  const writes: [number, number, number, number][] = [];
  mem.addMmio(0x10000000, 0x1000, {
    read: (_off, size) => (size === 1 ? 0x80 : size === 2 ? 0x8001 : 0x80000002),
    readHigh: () => 0x12345678,
    write: (off, size, lo, hi) => { writes.push([off, size, lo, hi]); },
  });
  hart.setX(6, 0x10000000n);
  hart.setX(5, 0xffffffffffffabcdn);
  step(hart, 8);
  assert.equal(hart.getX(10), 0xffffffffffffff80n, 'lb');
  assert.equal(hart.getX(11), 0x80n, 'lbu');
  assert.equal(hart.getX(12), 0xffffffffffff8001n, 'lh');
  assert.equal(hart.getX(13), 0x8001n, 'lhu');
  assert.equal(hart.getX(14), 0xffffffff80000002n, 'lw');
  assert.equal(hart.getX(15), 0x80000002n, 'lwu');
  assert.equal(hart.getX(16), 0x1234567880000002n, 'ld');
  assert.deepEqual(writes, [[8, 2, 0xabcd, 0]]);
});

test('RAM at host offsets past 2 GiB (--mem 3G): fetch, loads and stores there work interpreted and translated', () => {
  // the TLB holds host offsets; these lie above 2^31, where a signed view would read them as "not RAM"
  const size = 3 * 1024 * 1024 * 1024;
  const code = RAM + size - 0x10000, data = RAM + size - 0x8000;
  const sdI = (rs2: number, rs1: number, imm: number): number => S(imm, rs2, rs1, 3, 0x23);
  const prog = [
    addi(5, 5, 1), sdI(5, 10, 0), I(0, 10, 3, 6, 0x03), // sd x5, 0(x10); ld x6, 0(x10)
    S(8, 5, 10, 2, 0x23), I(8, 10, 2, 7, 0x03), // sw x5, 8(x10); lw x7, 8(x10)
    S(16, 5, 10, 0, 0x23), I(16, 10, 4, 8, 0x03), // sb x5, 16(x10); lbu x8, 16(x10)
    R(0, 6, 9, 0, 9, 0x33), // add x9, x9, x6
    B(-32, 11, 5, 4), // blt x5, x11, loop
    J(0, 0),
  ];
  for (const jit of [false, true]) {
    const mem = new GuestMemory({ maxRamBytes: size });
    mem.addRam(RAM, size);
    assert.ok(mem.hostOffset(code, 4) >= 2 ** 31, 'the code lies past 2 GiB of the memory');
    mem.ram(code, 40).set(encode(prog));
    const hart = new Hart({ memory: mem, isa: isaSet(RV64GC), hartId: 0, clock: 'icount', jit, jitHot: 0 });
    hart.setPc(BigInt(code)); hart.setX(10, BigInt(data)); hart.setX(11, 100n);
    hart.run(1); hart.run(2000);
    const what = jit ? 'translated' : 'interpreted';
    assert.deepEqual([5, 6, 7, 8, 9].map((r) => hart.getX(r)), [100n, 100n, 100n, 100n, 5050n], what);
    assert.equal(new DataView(mem.ram(data, 8).buffer, mem.ram(data, 8).byteOffset).getBigUint64(0, true), 100n, what);
    assert.equal(hart.getPc(), BigInt(code + 36), what);
    if (jit) { assert.ok(hart.jitStats.pages >= 1, 'translated code ran'); assert.equal(hart.jitStats.failed, 0); }
  }
});

test('LR/SC: a reservation past 2 GiB of host offsets survives a run(n) boundary (parked, then taken back)', () => {
  // parkReservation once aligned the offset with `& ~7`, which is negative past 2^31 (RangeError at --mem 2G)
  const size = 3 * 1024 * 1024 * 1024;
  const code = RAM + size - 0x10000, data = RAM + size - 0x8000;
  const mem = new GuestMemory({ maxRamBytes: size });
  mem.addRam(RAM, size);
  assert.ok(mem.hostOffset(data, 8) >= 2 ** 31, 'the reserved doubleword lies past 2 GiB of the memory');
  mem.ram(code, 20).set(encode([lrD(5, 6), addi(9, 9, 1), addi(9, 9, 1), addi(9, 9, 1), scD(8, 6, 7)]));
  new DataView(mem.ram(data, 8).buffer, mem.ram(data, 8).byteOffset).setBigUint64(0, 77n, true);
  const hart = new Hart({ memory: mem, isa: isaSet(RV64GC), hartId: 0, clock: 'icount' });
  hart.setPc(BigInt(code)); hart.setX(6, BigInt(data)); hart.setX(7, 0x5c5cn);
  assert.equal(hart.run(1), Exit.Budget);
  assert.equal(hart.run(4), Exit.Budget);
  assert.equal(hart.getX(5), 77n, 'LR loaded');
  assert.equal(hart.getX(8), 0n, 'SC succeeded');
  assert.equal(word(mem, data), 0x5c5cn);
});

test('a page whose code a store overwrote gives its decode array up after run(), and runs again when called', () => {
  // page A: call page B, overwrite B's first instruction with another return, loop; page B: return
  const jalr = (rd: number, rs1: number): number => I(0, rs1, 0, rd, 0x67);
  const { hart, mem } = fixture([jalr(1, 5), S(0, 6, 5, 2, 0x23), J(0, 0)]);
  const b = RAM + 0x1000, ret = jalr(0, 1);
  new DataView(mem.ram(b, 4).buffer, mem.ram(b, 4).byteOffset).setUint32(0, ret, true);
  hart.setX(5, BigInt(b)); hart.setX(6, BigInt(jalr(0, 1)));
  const pageB = mem.hostOffset(b, 1) >>> 12;
  step(hart, 2); // the call and the return: B is decoded
  assert.notEqual(hart.decoded[pageB], undefined);
  const before = hart.jitStats.decodedPages;
  step(hart, 1); // the store into B drops its code
  assert.equal(hart.decoded[pageB], undefined, 'the decode array is released');
  assert.equal(hart.jitStats.decodedPages, before - 1);
  hart.setPc(BigInt(RAM));
  step(hart, 2); // B runs again from a fresh array
  assert.notEqual(hart.decoded[pageB], undefined);
  assert.equal(hart.getPc(), BigInt(RAM + 4));
});
