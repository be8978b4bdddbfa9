import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MmioBus, type MmioDevice } from '../../src/vmm/device.js';
import { VmmError } from '../../src/vmm/errors.js';

/** A RAM-like device that records accesses. */
function recorder(name: string, base: number, size: number) {
  const mem = new Uint8Array(size);
  const log: string[] = [];
  const dev: MmioDevice = {
    name, base, size,
    read(off, sz) {
      log.push(`r${sz}@${off}`);
      let v = 0;
      for (let i = sz - 1; i >= 0; i--) v = v * 256 + mem[off + i];
      return v;
    },
    write(off, sz, val) {
      log.push(`w${sz}@${off}=${val.toString(16)}`);
      for (let i = 0; i < sz; i++) mem[off + i] = Math.floor(val / 256 ** i) & 0xff;
    },
  };
  return { dev, log };
}

test('mmio bus: dispatches by address with device-relative offsets', () => {
  const bus = new MmioBus();
  const a = recorder('a', 0x1000, 0x100);
  const b = recorder('b', 0x2000, 0x1000);
  bus.add(b.dev);
  bus.add(a.dev);
  assert.equal(bus.find(0x10ff)?.name, 'a');
  assert.equal(bus.find(0x1100), undefined);
  assert.equal(bus.find(0x2fff)?.name, 'b');
  bus.write(0x2004, 4, 0xdeadbeef);
  assert.equal(bus.read(0x2004, 4), 0xdeadbeef);
  assert.equal(bus.read(0x2005, 1), 0xbe);
  bus.write(0x1000, 1, 0x1ff); // value truncated to the access size
  assert.equal(bus.read(0x1000, 1), 0xff);
  assert.deepEqual(b.log, ['w4@4=deadbeef', 'r4@4', 'r1@5']);
});

test('mmio bus: 8-byte accesses become two 4-byte ones, low word first', () => {
  const bus = new MmioBus();
  const a = recorder('a', 0x1000, 0x100);
  bus.add(a.dev);
  const data = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
  bus.access(0x1008, 8, true, data);
  assert.deepEqual(a.log, ['w4@8=4030201', 'w4@12=8070605']);
  const back = new Uint8Array(8);
  bus.access(0x1008, 8, false, back);
  assert.deepEqual(back, data);
  const half = new Uint8Array(8).fill(0xee);
  bus.access(0x100a, 2, false, half);
  assert.deepEqual(Array.from(half), [0x03, 0x04, 0, 0, 0, 0, 0, 0], 'a narrow read zero-extends into the 8-byte buffer');
});

test('mmio bus: overlaps, holes and bad accesses are errors naming the address', () => {
  const bus = new MmioBus();
  bus.add(recorder('uart', 0x10000000, 0x100).dev);
  assert.throws(() => bus.add(recorder('virtio', 0x100000ff, 0x1000).dev), /virtio \[0x100000ff, 0x100010ff\) overlaps uart \[0x10000000, 0x10000100\)/);
  assert.throws(() => bus.add(recorder('big', 0x0, 0x20000000).dev), /overlaps uart/);
  bus.add(recorder('next', 0x10000100, 0x100).dev); // adjacent is fine
  assert.throws(() => bus.read(0x20000000, 4), /MMIO read of 4 bytes at 0x20000000: no device there/);
  assert.throws(() => bus.write(0x100001fe, 4, 0), /runs past the end of next/);
  assert.throws(() => bus.read(0x10000000, 3 as 4), /bad size 3/);
  assert.throws(() => bus.add(recorder('neg', -1, 1).dev), VmmError);
});
