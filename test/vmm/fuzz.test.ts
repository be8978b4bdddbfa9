// Random corruption of every parser and of virtqueue contents: bad input must end in a VmmError
// (or be accepted), never in another exception or a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFdt } from '../../src/vmm/fdt.js';
import { buildDeviceTree } from '../../src/vmm/devicetree.js';
import { parseImageHeader } from '../../src/vmm/image.js';
import { VmmError } from '../../src/vmm/errors.js';
import { VirtioMmio } from '../../src/vmm/devices/virtio-mmio.js';
import { VirtioBlk, MemoryBlockBackend } from '../../src/vmm/devices/virtio-blk.js';
import { VirtioNet, PacketNetBackend } from '../../src/vmm/devices/virtio-net.js';
import { Driver, FakeRam, R, F_VERSION_1, F_INDIRECT, F_EVENT_IDX } from './devices/virtio-driver.js';

/** xorshift32: deterministic, so a failure reproduces. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s % n;
  };
}

const dtb = buildDeviceTree({
  harts: [{ hartId: 0, isaBase: 'rv64i', isaExtensions: ['i', 'm', 'a'], isaString: 'rv64ima', mmuType: 'riscv,sv39' }],
  timebaseHz: 1e7, memory: { base: 0x80000000, size: 1 << 28 }, bootargs: 'console=ttyS0',
  plic: { base: 0xc000000, size: 0x4000000, ndev: 31 }, uart: { base: 0x10000000, irq: 10, clockHz: 3686400 },
  virtio: [{ base: 0x10001000, size: 0x1000, irq: 1 }],
});

function onlyVmmErrors(what: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof VmmError, `${what}: ${(e as Error).stack}`);
  }
}

test('fuzz: corrupted device tree blobs', () => {
  const next = rng(0xfd7);
  for (let i = 0; i < 3000; i++) {
    const b = dtb.slice(0, next(4) === 0 ? next(dtb.length) : dtb.length);
    for (let k = 1 + next(4); k > 0; k--) b[next(b.length)] = next(256);
    onlyVmmErrors(`dtb case ${i}`, () => parseFdt(b));
  }
});

test('fuzz: corrupted Image headers', () => {
  const next = rng(0x1a6e);
  const base = new Uint8Array(4096);
  base.set(new TextEncoder().encode('RISCV\0\0\0RSC\x05'), 48);
  for (let i = 0; i < 3000; i++) {
    const b = base.slice(0, next(3) === 0 ? next(200) : 4096);
    for (let k = 1 + next(6); k > 0; k--) b[next(Math.max(1, Math.min(b.length, 80)))] = next(256);
    onlyVmmErrors(`image case ${i}`, () => parseImageHeader(b));
  }
});

test('fuzz: random descriptor tables never crash the transport', () => {
  const next = rng(0x7171);
  for (let i = 0; i < 300; i++) {
    const ram = new FakeRam(0x80000000, 1 << 16);
    const net = i % 2 === 0;
    const device = net ? new VirtioNet(new PacketNetBackend(() => {})) : new VirtioBlk(new MemoryBlockBackend(64 * 512));
    const dev = new VirtioMmio({ base: 0, ram, device });
    const drv = new Driver(dev, ram);
    drv.negotiate((1n << BigInt(F_VERSION_1)) | (1n << BigInt(F_INDIRECT)) | (next(2) ? 1n << BigInt(F_EVENT_IDX) : 0n));
    const queues = net ? [drv.setupQueue(0, 8), drv.setupQueue(1, 8)] : [drv.setupQueue(0, 8)];
    drv.driverOk();
    // scribble over the descriptor table and rings with plausible-looking garbage
    for (const q of queues) {
      for (let d = 0; d < 8; d++) {
        const v = ram.view(q.desc + 16 * d, 16);
        v.setBigUint64(0, BigInt(next(3) === 0 ? next(2 ** 31) : 0x80000000 + next(1 << 16)), true);
        v.setUint32(8, next(3) === 0 ? next(2 ** 31) : next(2048), true);
        v.setUint16(12, next(8), true);
        v.setUint16(14, next(10), true);
      }
      for (let k = 0; k < 8; k++) ram.view(q.avail + 4 + 2 * k, 2).setUint16(0, next(10), true);
      ram.view(q.avail + 2, 2).setUint16(0, next(20), true);
    }
    for (let n = 0; n < 3; n++) {
      onlyVmmErrors(`virtio case ${i}`, () => drv.w(R.QueueNotify, next(queues.length)));
    }
    // the guest can always recover by resetting
    drv.w(R.Status, 0);
    assert.equal(drv.r(R.Status), 0);
  }
});
