// A guest that touches what is not RAM keeps running, as under KVM + kvmtool where they can, and with the
// guest's own exception where KVM would end the VM (docs/architecture.md, "Guest accesses outside RAM").
// The guest program is test/guest/kvm/faults.S; it records (scause, stval) of every trap it takes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadGuest, runToSystemEvent } from './guest.js';
import { Machine } from '../../src/vmm/machine.js';
import { I, B, U, encode } from '../hart/asm.js';

const HOLE = 0x4000_0000n;

for (const jit of [true, false]) {
  test(`guest accesses outside RAM (${jit ? 'translated' : 'interpreted'}): MMIO exits, then the guest's own exceptions`, () => {
    const g = loadGuest('faults', { vm: { jit, jitHot: 0 } });
    const mmio: [number, number, boolean][] = [];
    const exits = runToSystemEvent(g, {
      mmio: (e) => {
        mmio.push([e.mmio.physAddr, e.mmio.len, e.mmio.isWrite]);
        if (!e.mmio.isWrite) e.mmio.data.fill(0); // kvmtool: nothing there, reads 0
      },
    });
    assert.ok(!exits.some((e) => e.reason === 'internal_error'), 'the VM never stopped');
    assert.deepEqual(mmio, [[0x4000_0000, 8, false], [0x4000_0008, 8, true]], 'an ld and an sd to no memslot: MMIO exits');
    assert.equal(g.results(0), 0n, 'the load returned what the VMM gave (0)');
    assert.deepEqual([g.results(1), g.results(2)], [4n, HOLE + 3n], 'misaligned lw there: load address misaligned');
    assert.deepEqual([g.results(3), g.results(4)], [7n, HOLE + 16n], 'amoadd.w there: store/AMO access fault');
    assert.deepEqual([g.results(5), g.results(6)], [5n, HOLE + 16n], 'lr.w there: load access fault');
    assert.deepEqual([g.results(7), g.results(8)], [1n, HOLE], 'fetch from there: instruction access fault');
    assert.deepEqual([g.results(9), g.results(10)], [5n, 0x4000_0010n], 'a page table there: load access fault at the VA');
    assert.equal(g.results(11), 5n, 'five traps, each taken by the guest');
  });
}

/** A Linux Image (header v0.2) of these instructions, entered in S-mode with the MMU off. */
function image(words: number[]): Uint8Array {
  const code = encode(words);
  const img = new Uint8Array(64 + code.length);
  const dv = new DataView(img.buffer);
  dv.setUint32(0, 0x0400006f, true); // jal x0, +64
  dv.setBigUint64(8, 0x200000n, true);
  dv.setBigUint64(16, BigInt(img.length), true);
  dv.setUint32(32, 2, true);
  img.set(new TextEncoder().encode('RISCV\0\0\0RSC\x05'), 48);
  img.set(code, 64);
  return img;
}

test('Machine: unmapped loads read 0 and are reported once per address, at most 10 a second; the guest runs on', async () => {
  const addi = (rd: number, rs: number, imm: number) => I(imm, rs, 0, rd, 0x13);
  const prog = [
    U(0x40000000, 10, 0x37), // lui a0, 0x40000
    addi(11, 0, 50), //         a1 = 50
    I(0, 10, 2, 12, 0x03), //   l1: lw a2, 0(a0)      (the same address 50 times)
    addi(11, 11, -1), B(-8, 0, 11, 1), // a1--, bne a1, x0, l1
    addi(11, 0, 100), //        a1 = 100
    I(0, 10, 2, 12, 0x03), //   l2: lw a2, 0(a0)      (100 addresses)
    addi(10, 10, 4), addi(11, 11, -1), B(-12, 0, 11, 1),
    U(0x53525000, 17, 0x37), addi(17, 17, 0x354), // a7 = SRST
    addi(16, 0, 0), addi(10, 0, 0), addi(11, 0, 0), 0x00000073, // ecall: shutdown
  ];
  let out = '';
  const machine = new Machine({ kernel: image(prog), memBytes: 16 << 20, rng: false, clock: 'icount', console: (b) => { out += new TextDecoder().decode(b); } });
  const state = await machine.runUntilDone({ timeoutMs: 20_000 });
  assert.equal(state.kind, 'shutdown', JSON.stringify(state));
  const lines = out.split('\n').filter((l) => l.includes('unmapped MMIO'));
  assert.equal(lines.filter((l) => l.includes('0x40000000:')).length, 1, 'the repeated address once');
  assert.equal(lines.length, 10, `at most 10 a second:\n${out}`);
  assert.match(lines[0]!, /guest read from unmapped MMIO 0x40000000: .* \(reads 0\)/);
  assert.match(out, /further unmapped accesses this second are not shown/);
});
