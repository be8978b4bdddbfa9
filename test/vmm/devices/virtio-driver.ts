// A minimal virtio-mmio driver for tests, written from the virtio 1.x specification: it lays out
// split virtqueues in a fake guest RAM and talks to the transport through its registers.
import type { GuestRam } from '../../../src/vmm/device.js';
import type { MmioDevice } from '../../../src/vmm/device.js';

/** Guest RAM as a plain Uint8Array at `base`, recording invalidations. */
export class FakeRam implements GuestRam {
  readonly bytes: Uint8Array;
  readonly invalidated: [number, number][] = [];
  constructor(readonly base: number, size: number) {
    this.bytes = new Uint8Array(size);
  }
  ram(gpa: number, len: number): Uint8Array {
    if (gpa < this.base || gpa + len > this.base + this.bytes.length) throw new RangeError(`not RAM: 0x${gpa.toString(16)}+${len}`);
    return this.bytes.subarray(gpa - this.base, gpa - this.base + len);
  }
  invalidate(gpa: number, len: number): void {
    this.invalidated.push([gpa, len]);
  }
  view(gpa: number, len: number): DataView {
    const b = this.ram(gpa, len);
    return new DataView(b.buffer, b.byteOffset, len);
  }
}

// Register offsets (virtio 1.x section 4.2.2)
export const R = {
  Magic: 0x00, Version: 0x04, DeviceID: 0x08, VendorID: 0x0c, DeviceFeatures: 0x10, DeviceFeaturesSel: 0x14,
  DriverFeatures: 0x20, DriverFeaturesSel: 0x24, QueueSel: 0x30, QueueNumMax: 0x34, QueueNum: 0x38, QueueReady: 0x44,
  QueueNotify: 0x50, InterruptStatus: 0x60, InterruptACK: 0x64, Status: 0x70, QueueDescLow: 0x80, QueueDescHigh: 0x84,
  QueueDriverLow: 0x90, QueueDriverHigh: 0x94, QueueDeviceLow: 0xa0, QueueDeviceHigh: 0xa4, ConfigGeneration: 0xfc, Config: 0x100,
};
export const F_INDIRECT = 28, F_EVENT_IDX = 29, F_VERSION_1 = 32;
export const DESC_NEXT = 1, DESC_WRITE = 2, DESC_INDIRECT = 4;

export interface Buf { addr: number; len: number; write: boolean }

export class Queue {
  private nextDesc = 0;
  availIdx = 0;
  lastUsed = 0;
  constructor(readonly ram: FakeRam, readonly size: number, readonly desc: number, readonly avail: number, readonly used: number) {}

  /** Writes a descriptor chain and publishes it in the avail ring; returns the head index. */
  add(bufs: Buf[]): number {
    const head = this.nextDesc;
    bufs.forEach((b, i) => {
      const idx = (head + i) % this.size;
      const d = this.ram.view(this.desc + 16 * idx, 16);
      d.setBigUint64(0, BigInt(b.addr), true);
      d.setUint32(8, b.len, true);
      d.setUint16(12, (b.write ? DESC_WRITE : 0) | (i < bufs.length - 1 ? DESC_NEXT : 0), true);
      d.setUint16(14, (head + i + 1) % this.size, true);
    });
    this.nextDesc = (head + bufs.length) % this.size;
    this.publish(head);
    return head;
  }

  /** Puts `bufs` in an indirect table at `table` and publishes one INDIRECT descriptor. */
  addIndirect(table: number, bufs: Buf[]): number {
    bufs.forEach((b, i) => {
      const d = this.ram.view(table + 16 * i, 16);
      d.setBigUint64(0, BigInt(b.addr), true);
      d.setUint32(8, b.len, true);
      d.setUint16(12, (b.write ? DESC_WRITE : 0) | (i < bufs.length - 1 ? DESC_NEXT : 0), true);
      d.setUint16(14, i + 1, true);
    });
    const head = this.nextDesc;
    const d = this.ram.view(this.desc + 16 * head, 16);
    d.setBigUint64(0, BigInt(table), true);
    d.setUint32(8, 16 * bufs.length, true);
    d.setUint16(12, DESC_INDIRECT, true);
    this.nextDesc = (head + 1) % this.size;
    this.publish(head);
    return head;
  }

  private publish(head: number): void {
    this.ram.view(this.avail + 4 + 2 * (this.availIdx % this.size), 2).setUint16(0, head, true);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    this.ram.view(this.avail + 2, 2).setUint16(0, this.availIdx, true);
  }

  set availFlags(v: number) { this.ram.view(this.avail, 2).setUint16(0, v, true); }
  set usedEvent(v: number) { this.ram.view(this.avail + 4 + 2 * this.size, 2).setUint16(0, v, true); }
  get availEvent(): number { return this.ram.view(this.used + 4 + 8 * this.size, 2).getUint16(0, true); }
  get usedIdx(): number { return this.ram.view(this.used + 2, 2).getUint16(0, true); }

  /** Used elements since the last call: [id, len]. */
  takeUsed(): [number, number][] {
    const out: [number, number][] = [];
    while (this.lastUsed !== this.usedIdx) {
      const e = this.ram.view(this.used + 4 + 8 * (this.lastUsed % this.size), 8);
      out.push([e.getUint32(0, true), e.getUint32(4, true)]);
      this.lastUsed = (this.lastUsed + 1) & 0xffff;
    }
    return out;
  }
}

export class Driver {
  private nextFree: number;
  irqLevel = false;
  irqEdges = 0;
  constructor(readonly dev: MmioDevice, readonly ram: FakeRam) {
    this.nextFree = ram.base;
  }
  r(off: number): number { return this.dev.read(off, 4); }
  w(off: number, v: number): void { this.dev.write(off, 4, v); }

  /** Allocates zeroed guest memory. */
  alloc(len: number, align = 16): number {
    this.nextFree = Math.ceil(this.nextFree / align) * align;
    const a = this.nextFree;
    this.nextFree += len;
    this.ram.ram(a, len).fill(0);
    return a;
  }

  deviceFeatures(): bigint {
    this.w(R.DeviceFeaturesSel, 0);
    const lo = BigInt(this.r(R.DeviceFeatures));
    this.w(R.DeviceFeaturesSel, 1);
    return (BigInt(this.r(R.DeviceFeatures)) << 32n) | lo;
  }

  /** The spec's initialisation sequence (3.1.1); returns the status after FEATURES_OK. */
  negotiate(features: bigint): number {
    this.w(R.Status, 0);
    this.w(R.Status, 1);
    this.w(R.Status, 1 | 2);
    this.w(R.DriverFeaturesSel, 0);
    this.w(R.DriverFeatures, Number(features & 0xffffffffn));
    this.w(R.DriverFeaturesSel, 1);
    this.w(R.DriverFeatures, Number(features >> 32n));
    this.w(R.Status, 1 | 2 | 8);
    return this.r(R.Status);
  }

  setupQueue(index: number, size: number): Queue {
    this.w(R.QueueSel, index);
    const desc = this.alloc(16 * size, 16);
    const avail = this.alloc(6 + 2 * size, 2);
    const used = this.alloc(6 + 8 * size, 4);
    this.w(R.QueueNum, size);
    this.w(R.QueueDescLow, desc); this.w(R.QueueDescHigh, 0);
    this.w(R.QueueDriverLow, avail); this.w(R.QueueDriverHigh, 0);
    this.w(R.QueueDeviceLow, used); this.w(R.QueueDeviceHigh, 0);
    this.w(R.QueueReady, 1);
    return new Queue(this.ram, size, desc, avail, used);
  }

  driverOk(): void {
    this.w(R.Status, 1 | 2 | 8 | 4);
  }

  ack(): number {
    const s = this.r(R.InterruptStatus);
    this.w(R.InterruptACK, s);
    return s;
  }
}
