import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtioMmio } from '../../../src/vmm/devices/virtio-mmio.js';
import { VirtioBlk, MemoryBlockBackend } from '../../../src/vmm/devices/virtio-blk.js';
import { VirtioRng } from '../../../src/vmm/devices/virtio-rng.js';
import { Driver, FakeRam, R, F_VERSION_1, F_EVENT_IDX, F_INDIRECT } from './virtio-driver.js';

const RAM_BASE = 0x80000000;
const bit = (n: number) => 1n << BigInt(n);

function blkSetup(opts: { sectors?: number; readOnly?: boolean; features?: bigint } = {}) {
  const ram = new FakeRam(RAM_BASE, 1 << 20);
  const disk = new MemoryBlockBackend((opts.sectors ?? 64) * 512, opts.readOnly ?? false);
  for (let i = 0; i < disk.data.length; i++) disk.data[i] = (i * 7 + (i >> 9)) & 0xff;
  const levels: boolean[] = [];
  const dev = new VirtioMmio({ base: 0x10001000, ram, device: new VirtioBlk(disk, 'serial-123'), irq: { set: (l) => levels.push(l) } });
  const drv = new Driver(dev, ram);
  return { ram, disk, dev, drv, levels };
}

test('virtio-mmio: identification registers', () => {
  const { drv } = blkSetup();
  assert.equal(drv.r(R.Magic), 0x74726976);
  assert.equal(drv.r(R.Version), 2);
  assert.equal(drv.r(R.DeviceID), 2);
  assert.notEqual(drv.r(R.VendorID), 0);
  const f = drv.deviceFeatures();
  for (const b of [F_VERSION_1, F_EVENT_IDX, F_INDIRECT, 2 /* SEG_MAX */, 6 /* BLK_SIZE */, 9 /* FLUSH */]) assert.ok(f & bit(b), `feature ${b}`);
  assert.equal(f & bit(5), 0n, 'writable disk: no RO');
  drv.w(R.QueueSel, 0);
  assert.equal(drv.r(R.QueueNumMax), 256);
  drv.w(R.QueueSel, 1);
  assert.equal(drv.r(R.QueueNumMax), 0, 'blk has one queue');
});

test('virtio-mmio: FEATURES_OK only for a subset of the offer that includes VERSION_1; status 0 resets', () => {
  const { drv } = blkSetup();
  assert.equal(drv.negotiate(0n) & 8, 0, 'legacy-only driver refused');
  assert.equal(drv.negotiate(bit(F_VERSION_1) | bit(40)) & 8, 0, 'unoffered bit refused');
  assert.equal(drv.negotiate(bit(F_VERSION_1) | bit(9)), 1 | 2 | 8);
  drv.w(R.Status, 0);
  assert.equal(drv.r(R.Status), 0);
});

test('virtio-mmio: config space reads at any width, little-endian', () => {
  const { drv, dev } = blkSetup({ sectors: 0x12345 });
  assert.equal(drv.r(R.Config), 0x12345, 'capacity low word');
  assert.equal(drv.r(R.Config + 4), 0, 'capacity high word');
  assert.equal(dev.read(R.Config, 1), 0x45);
  assert.equal(dev.read(R.Config + 1, 2), 0x0123);
  assert.equal(drv.r(R.Config + 20), 512, 'blk_size');
  assert.equal(drv.r(R.Config + 12), 254, 'seg_max');
});

function readySingleQueue(features: bigint, opts: Parameters<typeof blkSetup>[0] = {}) {
  const s = blkSetup(opts);
  assert.equal(s.drv.negotiate(features) & 8, 8);
  const q = s.drv.setupQueue(0, 16);
  s.drv.driverOk();
  return { ...s, q };
}

/** A blk request: 16-byte header, data buffers, status byte. */
function blkRequest(d: Driver, type: number, sector: number, data: { len: number; write: boolean; fill?: number }[]) {
  const hdr = d.alloc(16);
  const v = d.ram.view(hdr, 16);
  v.setUint32(0, type, true);
  v.setBigUint64(8, BigInt(sector), true);
  const bufs = data.map((b) => {
    const addr = d.alloc(b.len);
    if (b.fill !== undefined) d.ram.ram(addr, b.len).fill(b.fill);
    return { addr, len: b.len, write: b.write };
  });
  const status = d.alloc(1);
  d.ram.ram(status, 1)[0] = 0xff;
  return { hdr, bufs, status, chain: [{ addr: hdr, len: 16, write: false }, ...bufs, { addr: status, len: 1, write: true }] };
}

test('virtio-blk: read sectors scattered over two buffers, used length, status, interrupt', () => {
  const { drv, q, disk, ram, levels } = readySingleQueue(bit(F_VERSION_1));
  const req = blkRequest(drv, 0, 3, [{ len: 512, write: true }, { len: 1024, write: true }]);
  const head = q.add(req.chain);
  drv.w(R.QueueNotify, 0);
  assert.deepEqual(q.takeUsed(), [[head, 1536 + 1]]);
  assert.equal(ram.ram(req.status, 1)[0], 0, 'VIRTIO_BLK_S_OK');
  assert.deepEqual(ram.ram(req.bufs[0].addr, 512), disk.data.subarray(3 * 512, 4 * 512));
  assert.deepEqual(ram.ram(req.bufs[1].addr, 1024), disk.data.subarray(4 * 512, 6 * 512));
  assert.ok(ram.invalidated.some(([a, l]) => a === req.bufs[1].addr && l === 1024), 'DMA writes invalidate decoded code');
  assert.deepEqual(levels, [true]);
  assert.equal(drv.ack(), 1, 'used-buffer interrupt');
  assert.deepEqual(levels, [true, false]);
});

test('virtio-blk: write, flush, get-id, unsupported type, out of range, bad length', () => {
  const { drv, q, disk, ram } = readySingleQueue(bit(F_VERSION_1) | bit(9));
  const w = blkRequest(drv, 1, 10, [{ len: 1024, write: false, fill: 0xab }]);
  const f = blkRequest(drv, 4, 0, []);
  const id = blkRequest(drv, 8, 0, [{ len: 20, write: true }]);
  const bad = blkRequest(drv, 99, 0, []);
  const far = blkRequest(drv, 0, 63, [{ len: 1024, write: true }]); // runs past sector 64
  const odd = blkRequest(drv, 0, 0, [{ len: 100, write: true }]);
  const heads = [w, f, id, bad, far, odd].map((r) => q.add(r.chain));
  drv.w(R.QueueNotify, 0);
  assert.deepEqual(q.takeUsed(), [[heads[0], 1], [heads[1], 1], [heads[2], 21], [heads[3], 1], [heads[4], 1], [heads[5], 1]]);
  const status = (r: { status: number }) => ram.ram(r.status, 1)[0];
  assert.deepEqual([w, f, id, bad, far, odd].map(status), [0, 0, 0, 2, 1, 1]);
  assert.ok(disk.data.subarray(5120, 6144).every((b) => b === 0xab));
  assert.equal(disk.data[5119], (5119 * 7 + 9) & 0xff, 'neighbouring sector untouched');
  assert.equal(new TextDecoder().decode(ram.ram(id.bufs[0].addr, 10)), 'serial-123');
});

test('virtio-blk: a read-only disk offers RO and fails writes', () => {
  const { drv, q, disk, ram } = readySingleQueue(bit(F_VERSION_1), { readOnly: true });
  assert.ok(drv.deviceFeatures() & bit(5));
  const before = disk.data.slice();
  const w = blkRequest(drv, 1, 0, [{ len: 512, write: false, fill: 1 }]);
  q.add(w.chain);
  drv.w(R.QueueNotify, 0);
  assert.equal(ram.ram(w.status, 1)[0], 1);
  assert.deepEqual(disk.data, before);
});

test('virtio: indirect descriptors', () => {
  const { drv, q, disk, ram } = readySingleQueue(bit(F_VERSION_1) | bit(F_INDIRECT));
  const req = blkRequest(drv, 0, 1, [{ len: 512, write: true }]);
  const table = drv.alloc(16 * 3);
  const head = q.addIndirect(table, req.chain);
  drv.w(R.QueueNotify, 0);
  assert.deepEqual(q.takeUsed(), [[head, 513]]);
  assert.deepEqual(ram.ram(req.bufs[0].addr, 512), disk.data.subarray(512, 1024));
});

test('virtio: interrupt suppression: NO_INTERRUPT flag, and used_event with EVENT_IDX', () => {
  {
    const { drv, q, levels } = readySingleQueue(bit(F_VERSION_1));
    q.availFlags = 1;
    q.add(blkRequest(drv, 4, 0, []).chain);
    drv.w(R.QueueNotify, 0);
    assert.equal(q.takeUsed().length, 1);
    assert.deepEqual(levels, [], 'driver asked for no interrupt');
  }
  {
    const { drv, q, levels } = readySingleQueue(bit(F_VERSION_1) | bit(F_EVENT_IDX));
    q.usedEvent = 1; // interrupt when the used idx passes 1, i.e. after the second buffer
    q.add(blkRequest(drv, 4, 0, []).chain);
    drv.w(R.QueueNotify, 0);
    assert.deepEqual(levels, [], 'first buffer: below used_event');
    assert.equal(q.availEvent, 1, 'device publishes avail_event');
    q.add(blkRequest(drv, 4, 0, []).chain);
    drv.w(R.QueueNotify, 0);
    assert.deepEqual(levels, [true]);
    assert.equal(q.takeUsed().length, 2);
  }
});

test('virtio: buffers queued before DRIVER_OK are served at DRIVER_OK', () => {
  const { drv, ram } = blkSetup();
  drv.negotiate(bit(F_VERSION_1));
  const q = drv.setupQueue(0, 8);
  const req = blkRequest(drv, 4, 0, []);
  q.add(req.chain);
  drv.w(R.QueueNotify, 0); // ignored: not DRIVER_OK yet
  assert.equal(q.usedIdx, 0);
  drv.driverOk();
  assert.equal(q.usedIdx, 1);
  assert.equal(ram.ram(req.status, 1)[0], 0);
});

test('virtio: a ring outside RAM or a looping chain sets DEVICE_NEEDS_RESET instead of crashing', () => {
  {
    const { drv, dev } = blkSetup();
    drv.negotiate(bit(F_VERSION_1));
    drv.w(R.QueueSel, 0);
    drv.w(R.QueueNum, 8);
    drv.w(R.QueueDescLow, 0x1000); // not RAM
    drv.w(R.QueueReady, 1);
    assert.equal(drv.r(R.QueueReady), 0);
    assert.ok(drv.r(R.Status) & 64);
    assert.match(dev.lastError!, /queue 0/);
  }
  {
    const { drv, q, ram, dev, levels } = readySingleQueue(bit(F_VERSION_1));
    const a = drv.alloc(16);
    q.add([{ addr: a, len: 16, write: false }, { addr: a, len: 16, write: false }]);
    ram.view(q.desc + 16 + 12, 4).setUint16(0, 1, true); // desc 1: NEXT ...
    ram.view(q.desc + 16 + 14, 2).setUint16(0, 0, true); // ... back to desc 0
    drv.w(R.QueueNotify, 0);
    assert.ok(drv.r(R.Status) & 64);
    assert.match(dev.lastError!, /loops/);
    assert.equal(drv.r(R.InterruptStatus) & 2, 2, 'config-change interrupt tells the driver');
    assert.deepEqual(levels, [true]);
    drv.w(R.Status, 0);
    assert.equal(drv.r(R.Status), 0, 'reset clears NEEDS_RESET');
    assert.deepEqual(levels, [true, false]);
  }
});

test('virtio-rng: fills every writable buffer from the entropy source', () => {
  const ram = new FakeRam(RAM_BASE, 1 << 16);
  let counter = 0;
  const dev = new VirtioMmio({ base: 0x10002000, ram, device: new VirtioRng((dst) => { for (let i = 0; i < dst.length; i++) dst[i] = ++counter & 0xff; }) });
  const drv = new Driver(dev, ram);
  assert.equal(drv.r(R.DeviceID), 4);
  drv.negotiate(bit(F_VERSION_1));
  const q = drv.setupQueue(0, 8);
  drv.driverOk();
  const a = drv.alloc(16);
  const b = drv.alloc(48);
  const head = q.add([{ addr: a, len: 16, write: true }, { addr: b, len: 48, write: true }]);
  drv.w(R.QueueNotify, 0);
  assert.deepEqual(q.takeUsed(), [[head, 64]]);
  assert.deepEqual(Array.from(ram.ram(a, 16)), Array.from({ length: 16 }, (_, i) => i + 1));
  assert.deepEqual(Array.from(ram.ram(b, 48)), Array.from({ length: 48 }, (_, i) => i + 17));
});

test('virtio-rng: the default source is the platform CSPRNG', () => {
  const ram = new FakeRam(RAM_BASE, 1 << 16);
  const drv = new Driver(new VirtioMmio({ base: 0, ram, device: new VirtioRng() }), ram);
  drv.negotiate(bit(F_VERSION_1));
  const q = drv.setupQueue(0, 8);
  drv.driverOk();
  const a = drv.alloc(256);
  q.add([{ addr: a, len: 256, write: true }]);
  drv.w(R.QueueNotify, 0);
  const got = ram.ram(a, 256);
  assert.ok(new Set(got).size > 100, 'random bytes are varied (a zero buffer would have 1 distinct value)');
});

test('virtio: a data buffer outside RAM (whatever error the RAM throws) marks the device broken', () => {
  const { drv, q, dev } = readySingleQueue(bit(F_VERSION_1));
  const req = blkRequest(drv, 0, 0, [{ len: 512, write: true }]);
  req.chain[1].addr = 0x4000; // not RAM: FakeRam throws a RangeError, the hart a MemoryError
  q.add(req.chain);
  drv.w(R.QueueNotify, 0);
  assert.ok(drv.r(R.Status) & 64);
  assert.match(dev.lastError!, /DMA to \[0x4000, \+512\) outside guest RAM/);
});

test('virtio-blk: discard and write-zeroes on a qcow2 backend (config limits, segments, bad flags), flush reaches the backend', async () => {
  const { MemoryFile } = await import('../../../src/vmm/block/file.js');
  const { Qcow2Image, createQcow2, parseQcow2Header } = await import('../../../src/vmm/block/qcow2.js');
  const file = new MemoryFile('mem');
  createQcow2(file, { size: 64 * 4096, clusterBits: 12 });
  let syncs = 0;
  const sync = file.sync.bind(file);
  const img = new Qcow2Image(file, parseQcow2Header(file), { readOnly: false });
  img.write(0, new Uint8Array(64 * 4096).fill(0x77));
  file.sync = () => { syncs++; sync(); };
  let flushes = 0;
  const flush = img.flush.bind(img);
  img.flush = () => { flushes++; flush(); };
  const ram = new FakeRam(RAM_BASE, 1 << 20);
  const dev = new VirtioMmio({ base: 0x10001000, ram, device: new VirtioBlk(img, 'q'), irq: { set: () => {} } });
  const drv = new Driver(dev, ram);
  const offered = drv.deviceFeatures();
  assert.ok(offered & bit(13) && offered & bit(14), 'DISCARD and WRITE_ZEROES offered');
  assert.equal(drv.r(R.Config + 40), 64, 'max_discard_seg');
  assert.equal(drv.r(R.Config + 44), 8, 'discard_sector_alignment: one 4 KiB cluster');
  assert.equal(drv.r(R.Config + 52), 64, 'max_write_zeroes_seg');
  assert.equal(dev.read(R.Config + 56, 1), 1, 'write_zeroes_may_unmap');
  assert.equal(drv.negotiate(bit(F_VERSION_1) | bit(9) | bit(13) | bit(14)) & 8, 8);
  const q = drv.setupQueue(0, 16);
  drv.driverOk();
  const seg = (sector: number, count: number, flags: number) => {
    const b = new Uint8Array(16);
    const v = new DataView(b.buffer);
    v.setBigUint64(0, BigInt(sector), true);
    v.setUint32(8, count, true);
    v.setUint32(12, flags, true);
    return b;
  };
  const req = (type: number, segs: Uint8Array[]) => {
    const r = blkRequest(drv, type, 0, segs.map((s) => ({ len: 16, write: false })));
    r.bufs.forEach((b, i) => ram.ram(b.addr, 16).set(segs[i]));
    return r;
  };
  const wz = req(13, [seg(1, 2, 0), seg(16, 16, 1)]); // partial cluster; two whole clusters, unmap
  const dc = req(11, [seg(40, 8, 0)]); // one whole cluster
  const badFlags = req(11, [seg(0, 8, 1)]); // unmap is not a discard flag
  const far = req(13, [seg(0, 1, 0), seg(60 * 8, 5 * 8, 0)]); // second segment runs past the end: nothing done
  const fl = blkRequest(drv, 4, 0, []);
  const all = [wz, dc, badFlags, far, fl];
  for (const r of all) q.add(r.chain);
  drv.w(R.QueueNotify, 0);
  assert.deepEqual(all.map((r) => ram.ram(r.status, 1)[0]), [0, 0, 2, 1, 0]);
  const data = new Uint8Array(64 * 4096);
  img.read(0, data);
  assert.ok(data.subarray(512, 1536).every((b) => b === 0) && data[511] === 0x77 && data[1536] === 0x77, 'write-zeroes inside a cluster');
  assert.ok(data.subarray(16 * 512, 32 * 512).every((b) => b === 0), 'write-zeroes over whole clusters');
  assert.ok(data.subarray(40 * 512, 48 * 512).every((b) => b === 0), 'a discarded cluster without backing reads zero');
  assert.equal(data[0], 0x77, 'the bad request changed nothing');
  assert.ok(data.subarray(60 * 4096).every((b) => b === 0x77), 'a request with a bad segment does nothing');
  assert.equal(flushes, 1);
  const before = syncs;
  const fl2 = blkRequest(drv, 4, 0, []);
  q.add(fl2.chain);
  drv.w(R.QueueNotify, 0);
  assert.equal(ram.ram(fl2.status, 1)[0], 0);
  assert.equal(syncs, before + 1, 'a flush syncs the file (before the status is written)');
  // A plain memory disk can zero but not deallocate: WRITE_ZEROES without unmap, no DISCARD.
  const plain = new VirtioBlk(new MemoryBlockBackend(64 * 512));
  assert.ok(plain.features & bit(14));
  assert.equal(plain.features & bit(13), 0n);
  assert.equal(plain.config[56], 0);
});
