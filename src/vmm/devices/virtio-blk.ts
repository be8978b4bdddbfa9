// virtio-blk (device id 2, virtio 1.x section 5.2): one request queue; each request is a 16-byte
// header (type, reserved, sector), data buffers, and a one-byte status written last. Discard and
// write-zeroes are offered only when the backend can do them (src/vmm/block/backend.ts).
import { VmmError } from '../errors.js';
import type { BlockBackend } from '../block/backend.js';
import type { VirtioDeviceModel, VirtioQueues } from './virtio-mmio.js';
import { Virtqueue, type DescriptorChain } from './virtqueue.js';

export const VIRTIO_ID_BLOCK = 2;
export const SECTOR_SIZE = 512;

export const VIRTIO_BLK_F_SEG_MAX = 2n;
export const VIRTIO_BLK_F_RO = 5n;
export const VIRTIO_BLK_F_BLK_SIZE = 6n;
export const VIRTIO_BLK_F_FLUSH = 9n;
export const VIRTIO_BLK_F_DISCARD = 13n;
export const VIRTIO_BLK_F_WRITE_ZEROES = 14n;

export const VIRTIO_BLK_T_IN = 0;
export const VIRTIO_BLK_T_OUT = 1;
export const VIRTIO_BLK_T_FLUSH = 4;
export const VIRTIO_BLK_T_GET_ID = 8;
export const VIRTIO_BLK_T_DISCARD = 11;
export const VIRTIO_BLK_T_WRITE_ZEROES = 13;

export const VIRTIO_BLK_S_OK = 0;
export const VIRTIO_BLK_S_IOERR = 1;
export const VIRTIO_BLK_S_UNSUPP = 2;

const QUEUE_SIZE = 256;
const SEG_MAX = QUEUE_SIZE - 2; // header and status take one descriptor each
const ID_BYTES = 20;
const MAX_RANGE_SECTORS = 1 << 22; // per discard / write-zeroes segment (2 GiB)
const MAX_RANGE_SEGS = 64;
const SEGMENT_BYTES = 16; // le64 sector, le32 num_sectors, le32 flags
const FLAG_UNMAP = 1;

export type { BlockBackend };

/** A disk held in memory (for tests and browser use). */
export class MemoryBlockBackend implements BlockBackend {
  readonly data: Uint8Array;
  constructor(sizeOrData: number | Uint8Array, readonly readOnly = false) {
    this.data = typeof sizeOrData === 'number' ? new Uint8Array(sizeOrData) : sizeOrData;
    if (this.data.length % SECTOR_SIZE) throw new VmmError(`block device size ${this.data.length} is not a multiple of ${SECTOR_SIZE}`);
  }
  get size(): number {
    return this.data.length;
  }
  read(offset: number, dst: Uint8Array): void {
    this.check(offset, dst.length);
    dst.set(this.data.subarray(offset, offset + dst.length));
  }
  write(offset: number, src: Uint8Array): void {
    if (this.readOnly) throw new VmmError('block device is read-only');
    this.check(offset, src.length);
    this.data.set(src, offset);
  }
  writeZeroes(offset: number, length: number): void {
    if (this.readOnly) throw new VmmError('block device is read-only');
    this.check(offset, length);
    this.data.fill(0, offset, offset + length);
  }
  flush(): void {}
  private check(offset: number, len: number): void {
    if (offset < 0 || offset + len > this.data.length) throw new VmmError(`block access [${offset}, +${len}) outside a ${this.data.length}-byte device`);
  }
}

export class VirtioBlk implements VirtioDeviceModel {
  readonly deviceId = VIRTIO_ID_BLOCK;
  readonly features: bigint;
  readonly queueMaxSizes = [QUEUE_SIZE];
  readonly config = new Uint8Array(60);
  private queues!: VirtioQueues;
  private readonly id: Uint8Array;

  /** `serial` is what the guest reads with GET_ID (at most 20 bytes, /sys/block/vda/serial). */
  constructor(readonly backend: BlockBackend, serial = 'rvkvm-disk') {
    if (backend.size % SECTOR_SIZE) throw new VmmError(`block device size ${backend.size} is not a multiple of ${SECTOR_SIZE}`);
    const discard = !backend.readOnly && backend.discard !== undefined;
    const zeroes = !backend.readOnly && backend.writeZeroes !== undefined;
    this.features = (1n << VIRTIO_BLK_F_SEG_MAX) | (1n << VIRTIO_BLK_F_BLK_SIZE) | (1n << VIRTIO_BLK_F_FLUSH) |
      (backend.readOnly ? 1n << VIRTIO_BLK_F_RO : 0n) |
      (discard ? 1n << VIRTIO_BLK_F_DISCARD : 0n) | (zeroes ? 1n << VIRTIO_BLK_F_WRITE_ZEROES : 0n);
    const cfg = new DataView(this.config.buffer);
    cfg.setBigUint64(0, BigInt(backend.size / SECTOR_SIZE), true); // capacity in 512-byte sectors
    cfg.setUint32(8, 0, true); // size_max: not offered
    cfg.setUint32(12, SEG_MAX, true);
    cfg.setUint32(20, SECTOR_SIZE, true); // blk_size
    if (discard) {
      cfg.setUint32(36, MAX_RANGE_SECTORS, true); // max_discard_sectors
      cfg.setUint32(40, MAX_RANGE_SEGS, true); // max_discard_seg
      cfg.setUint32(44, Math.max(1, (backend.granularity ?? SECTOR_SIZE) / SECTOR_SIZE), true); // discard_sector_alignment
    }
    if (zeroes) {
      cfg.setUint32(48, MAX_RANGE_SECTORS, true); // max_write_zeroes_sectors
      cfg.setUint32(52, MAX_RANGE_SEGS, true); // max_write_zeroes_seg
      cfg.setUint8(56, backend.canUnmap ? 1 : 0); // write_zeroes_may_unmap
    }
    this.id = new Uint8Array(ID_BYTES);
    this.id.set(new TextEncoder().encode(serial).subarray(0, ID_BYTES));
  }

  attach(queues: VirtioQueues): void {
    this.queues = queues;
  }

  reset(): void {}

  queueNotify(index: number): void {
    const vq = this.queues.queue(index);
    if (!vq) return;
    for (let chain = vq.pop(); chain; chain = vq.pop()) {
      vq.push(chain, this.handle(vq, chain));
    }
    this.queues.notifyUsed(index);
  }

  /** Executes one request; returns the bytes written to the driver (data + status). */
  private handle(vq: Virtqueue, chain: DescriptorChain): number {
    const writable = Virtqueue.writableLength(chain);
    if (writable < 1) throw new VmmError(`virtio-blk: request ${chain.head} has no status byte`);
    const header = vq.read(chain);
    const statusAt = writable - 1;
    const finish = (status: number, dataWritten: number): number => {
      vq.write(chain, Uint8Array.of(status), statusAt);
      return dataWritten + 1;
    };
    if (header.length < 16) return finish(VIRTIO_BLK_S_IOERR, 0);
    const h = new DataView(header.buffer, header.byteOffset, 16);
    const type = h.getUint32(0, true);
    const sector = Number(h.getBigUint64(8, true));
    const dataOut = header.subarray(16); // for writes: the payload follows the header
    const dataIn = statusAt; // for reads: writable bytes before the status
    try {
      switch (type) {
        case VIRTIO_BLK_T_IN: {
          if (!this.inRange(sector, dataIn)) return finish(VIRTIO_BLK_S_IOERR, 0);
          const buf = new Uint8Array(dataIn);
          this.backend.read(sector * SECTOR_SIZE, buf);
          vq.write(chain, buf);
          return finish(VIRTIO_BLK_S_OK, dataIn);
        }
        case VIRTIO_BLK_T_OUT:
          if (this.backend.readOnly || !this.inRange(sector, dataOut.length)) return finish(VIRTIO_BLK_S_IOERR, 0);
          this.backend.write(sector * SECTOR_SIZE, dataOut);
          return finish(VIRTIO_BLK_S_OK, 0);
        case VIRTIO_BLK_T_FLUSH:
          this.backend.flush();
          return finish(VIRTIO_BLK_S_OK, 0);
        case VIRTIO_BLK_T_GET_ID: {
          const n = vq.write(chain, this.id.subarray(0, Math.min(ID_BYTES, dataIn)));
          return finish(VIRTIO_BLK_S_OK, n);
        }
        case VIRTIO_BLK_T_DISCARD:
        case VIRTIO_BLK_T_WRITE_ZEROES:
          return finish(this.ranges(type, dataOut), 0);
        default:
          return finish(VIRTIO_BLK_S_UNSUPP, 0);
      }
    } catch (e) {
      if (e instanceof VmmError) return finish(VIRTIO_BLK_S_IOERR, 0); // a backend failure is an I/O error for the guest
      throw e;
    }
  }

  /** Discard / write-zeroes: the payload is a list of (sector, count, flags) segments. */
  private ranges(type: number, payload: Uint8Array): number {
    const discard = type === VIRTIO_BLK_T_DISCARD;
    const op = discard ? this.backend.discard : this.backend.writeZeroes;
    if (!op) return VIRTIO_BLK_S_UNSUPP;
    if (this.backend.readOnly) return VIRTIO_BLK_S_IOERR;
    const segs = payload.length / SEGMENT_BYTES;
    if (!Number.isInteger(segs) || segs < 1 || segs > MAX_RANGE_SEGS) return VIRTIO_BLK_S_IOERR;
    const dv = new DataView(payload.buffer, payload.byteOffset, payload.length);
    // Validate every segment before doing any, so a bad request changes nothing.
    for (let i = 0; i < segs; i++) {
      const sector = dv.getUint32(i * 16, true) + dv.getUint32(i * 16 + 4, true) * 0x100000000;
      const count = dv.getUint32(i * 16 + 8, true);
      const flags = dv.getUint32(i * 16 + 12, true);
      if (flags & ~FLAG_UNMAP || (discard && flags !== 0)) return VIRTIO_BLK_S_UNSUPP;
      if (count > MAX_RANGE_SECTORS || !this.inRange(sector, count * SECTOR_SIZE)) return VIRTIO_BLK_S_IOERR;
    }
    for (let i = 0; i < segs; i++) {
      const sector = dv.getUint32(i * 16, true) + dv.getUint32(i * 16 + 4, true) * 0x100000000;
      const count = dv.getUint32(i * 16 + 8, true);
      const unmap = (dv.getUint32(i * 16 + 12, true) & FLAG_UNMAP) !== 0;
      op.call(this.backend, sector * SECTOR_SIZE, count * SECTOR_SIZE, unmap);
    }
    return VIRTIO_BLK_S_OK;
  }

  private inRange(sector: number, bytes: number): boolean {
    return bytes % SECTOR_SIZE === 0 && sector >= 0 && sector * SECTOR_SIZE + bytes <= this.backend.size;
  }
}
