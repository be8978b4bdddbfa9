// Split virtqueue (virtio 1.x, section 2.7) as the device side sees it in guest RAM:
// descriptor table (16 bytes each), available ring (driver -> device), used ring (device -> driver).
import type { GuestRam } from '../device.js';
import { VmmError } from '../errors.js';

export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;

export interface BufferSegment {
  addr: number;
  len: number;
}

/** One request: the chain's head index and its device-readable then device-writable segments. */
export interface DescriptorChain {
  head: number;
  readable: BufferSegment[];
  writable: BufferSegment[];
}

export interface QueueLayout {
  size: number;
  descAddr: number;
  availAddr: number;
  usedAddr: number;
  /** VIRTIO_F_RING_EVENT_IDX negotiated: used_event / avail_event fields are in use. */
  eventIdx: boolean;
  /** VIRTIO_F_INDIRECT_DESC negotiated. */
  indirect: boolean;
}

const hex = (n: number): string => '0x' + n.toString(16);

/** What a device's queues moved, for the run summary and the monitor (summed over its queues; survives resets). */
export interface QueueCounters {
  /** chains returned to the driver */
  buffers: number;
  /** bytes the driver offered the device (readable descriptors of the chains taken) */
  bytesFromDriver: number;
  /** bytes the device wrote into the driver's buffers */
  bytesToDriver: number;
}

export const newQueueCounters = (): QueueCounters => ({ buffers: 0, bytesFromDriver: 0, bytesToDriver: 0 });

export class Virtqueue {
  private lastAvail = 0; // next avail ring entry to consume (free-running u16)
  private usedIdx = 0; // next used ring entry to fill (free-running u16)
  private lastSignalledUsed = 0; // used idx at the last interrupt decision

  constructor(private readonly mem: GuestRam, readonly layout: QueueLayout, private readonly counters: QueueCounters = newQueueCounters()) {
    const { size } = layout;
    if (size === 0 || size > 32768 || (size & (size - 1)) !== 0) throw new VmmError(`virtqueue size ${size} is not a power of 2 in 1..32768`);
    // Touch every ring once so a bad address fails at setup, not in the middle of a request.
    mem.ram(layout.descAddr, 16 * size);
    mem.ram(layout.availAddr, 6 + 2 * size);
    mem.ram(layout.usedAddr, 6 + 8 * size);
    // Resume where the driver's rings are (zero right after setup).
    this.lastAvail = this.usedIdx = this.lastSignalledUsed = this.u16(layout.usedAddr + 2);
  }

  private view(gpa: number, len: number): DataView {
    const b = this.mem.ram(gpa, len);
    return new DataView(b.buffer, b.byteOffset, len);
  }
  private u16(gpa: number): number {
    return this.view(gpa, 2).getUint16(0, true);
  }
  private setU16(gpa: number, v: number): void {
    this.view(gpa, 2).setUint16(0, v, true);
  }

  /** The device side's ring positions (snapshots): next avail entry to take, next used entry, last signalled. */
  get indexes(): [number, number, number] {
    return [this.lastAvail, this.usedIdx, this.lastSignalledUsed];
  }
  set indexes(v: [number, number, number]) {
    [this.lastAvail, this.usedIdx, this.lastSignalledUsed] = v.map((x) => x & 0xffff) as [number, number, number];
  }

  /** True if the driver has made buffers available that were not taken yet. */
  hasAvailable(): boolean {
    return this.u16(this.layout.availAddr + 2) !== this.lastAvail;
  }

  /** Takes the next available chain, or null when the ring is empty. */
  pop(): DescriptorChain | null {
    const { availAddr, size } = this.layout;
    const availIdx = this.u16(availAddr + 2);
    if (availIdx === this.lastAvail) return null;
    if (((availIdx - this.lastAvail) & 0xffff) > size) {
      throw new VmmError(`virtqueue: driver's avail idx ${availIdx} is more than ${size} ahead of ${this.lastAvail}`);
    }
    const head = this.u16(availAddr + 4 + 2 * (this.lastAvail % size));
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    if (this.layout.eventIdx) this.setU16(this.layout.usedAddr + 4 + 8 * size, this.lastAvail); // avail_event
    return this.walk(head);
  }

  private walk(head: number): DescriptorChain {
    const chain: DescriptorChain = { head, readable: [], writable: [] };
    let table = this.layout.descAddr;
    let tableSize = this.layout.size;
    let index = head;
    let seen = 0;
    let inIndirect = false;
    for (;;) {
      if (index >= tableSize) throw new VmmError(`virtqueue: descriptor index ${index} outside a table of ${tableSize}`);
      const d = this.view(table + 16 * index, 16);
      const addr = Number(d.getBigUint64(0, true));
      const len = d.getUint32(8, true);
      const flags = d.getUint16(12, true);
      const next = d.getUint16(14, true);
      if (++seen > tableSize + this.layout.size) throw new VmmError(`virtqueue: descriptor chain from ${head} loops`);
      if (flags & VIRTQ_DESC_F_INDIRECT) {
        if (!this.layout.indirect || inIndirect) throw new VmmError(`virtqueue: unexpected indirect descriptor ${index}`);
        if (len % 16 !== 0 || len === 0) throw new VmmError(`virtqueue: indirect table length ${len} is not a multiple of 16`);
        this.mem.ram(addr, len);
        table = addr;
        tableSize = len / 16;
        index = 0;
        inIndirect = true;
        continue;
      }
      this.mem.ram(addr, len); // validates the buffer lies in RAM
      if (flags & VIRTQ_DESC_F_WRITE) chain.writable.push({ addr, len });
      else if (chain.writable.length > 0) throw new VmmError(`virtqueue: readable descriptor after a writable one in chain ${head} (at ${hex(addr)})`);
      else { chain.readable.push({ addr, len }); this.counters.bytesFromDriver += len; }
      if (!(flags & VIRTQ_DESC_F_NEXT)) return chain;
      index = next;
    }
  }

  /** Returns a chain to the driver with the number of bytes written into its writable part. */
  push(chain: DescriptorChain, written: number): void {
    const { usedAddr, size } = this.layout;
    const slot = this.view(usedAddr + 4 + 8 * (this.usedIdx % size), 8);
    slot.setUint32(0, chain.head, true);
    slot.setUint32(4, written, true);
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    this.setU16(usedAddr + 2, this.usedIdx); // published after the element
    this.counters.buffers++;
    this.counters.bytesToDriver += written;
  }

  /** Whether the driver wants an interrupt for the buffers used since the last call. */
  shouldInterrupt(): boolean {
    const old = this.lastSignalledUsed;
    const now = this.usedIdx;
    this.lastSignalledUsed = now;
    if (old === now) return false;
    if (this.layout.eventIdx) {
      const usedEvent = this.u16(this.layout.availAddr + 4 + 2 * this.layout.size);
      return ((now - usedEvent - 1) & 0xffff) < ((now - old) & 0xffff);
    }
    return (this.u16(this.layout.availAddr) & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
  }

  /** Copies the chain's readable bytes into one buffer. */
  read(chain: DescriptorChain): Uint8Array {
    const total = chain.readable.reduce((n, s) => n + s.len, 0);
    const out = new Uint8Array(total);
    let off = 0;
    for (const s of chain.readable) {
      out.set(this.mem.ram(s.addr, s.len), off);
      off += s.len;
    }
    return out;
  }

  /**
   * Copies the chain's readable bytes into `dst`, at most dst.length of them; returns how many. Unlike read(), the
   * copy is bounded by the caller's buffer, not by the lengths the guest wrote into its descriptors.
   */
  readInto(chain: DescriptorChain, dst: Uint8Array): number {
    let off = 0;
    for (const s of chain.readable) {
      if (off === dst.length) break;
      const n = Math.min(s.len, dst.length - off);
      dst.set(this.mem.ram(s.addr, n), off);
      off += n;
    }
    return off;
  }

  /** Total device-readable bytes of a chain. */
  static readableLength(chain: DescriptorChain): number {
    return chain.readable.reduce((n, s) => n + s.len, 0);
  }

  /** Total device-writable bytes of a chain. */
  static writableLength(chain: DescriptorChain): number {
    return chain.writable.reduce((n, s) => n + s.len, 0);
  }

  /**
   * Scatters `data` into the writable segments starting `offset` bytes in; returns the bytes written
   * (less than data.length if the buffers are too small).
   */
  write(chain: DescriptorChain, data: Uint8Array, offset = 0): number {
    let written = 0;
    let skip = offset;
    for (const s of chain.writable) {
      if (written === data.length) break;
      if (skip >= s.len) {
        skip -= s.len;
        continue;
      }
      const n = Math.min(s.len - skip, data.length - written);
      this.mem.ram(s.addr + skip, n).set(data.subarray(written, written + n));
      this.mem.invalidate(s.addr + skip, n);
      written += n;
      skip = 0;
    }
    return written;
  }
}
