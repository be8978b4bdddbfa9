// qcow2, QEMU's image format (versions 2 and 3), read and written in place. Guest offsets map through a
// two-level table (L1 -> L2 -> host cluster); every host cluster has a reference count, kept in refcount
// blocks listed by the refcount table. Shapes that matter:
// - All integers in the file are big-endian; 64-bit entries are handled as two 32-bit halves, so no BigInt
//   and no allocation on the read/write path (offsets stay below 2^53).
// - Crash safety without a journal comes from write order: a cluster's refcount is raised (in batches, then
//   fsync) before anything points at it; new metadata (L2 table, refcount block, refcount table) is written
//   and synced before the pointer to it; a pointer is replaced before the old target's refcount drops, and
//   the drops wait for the next fsync (the guest's flush or close). A crash at any point therefore leaves at
//   worst leaked clusters (refcount too high), which `qemu-img check` reports as leaks, not errors.
// - Clusters shared with an internal snapshot or a compressed cluster are copied on write (refcount != 1,
//   i.e. no COPIED flag); a compressed cluster is rewritten uncompressed.
// - lazy_refcounts is a compatible feature: this writer always keeps refcounts exact, so it never sets the
//   dirty bit. An image another writer left dirty (QEMU with lazy_refcounts killed before closing it) has
//   stale refcounts: read-only it is served as is; read-write its refcounts are first rebuilt from the L1/L2
//   tables of the image and its internal snapshots into a fresh refcount structure, as QEMU does on open.
import { VmmError } from '../errors.js';
import type { BlockBackend } from './backend.js';
import type { BlockFile, Inflate } from './file.js';
import { inflateRaw } from './inflate.js';
import { QCOW2_MAGIC } from './probe.js';

const HI = 0x100000000;
const OFFSET_HI = 0x00ffffff; // bits 32..55 of an L1/L2 entry: the high part of a host offset
const COPIED = 0x80000000; // bit 63: refcount is exactly 1, writable in place
const COMPRESSED = 0x40000000; // bit 62 of an L2 entry
const ZERO = 1; // bit 0 of an L2 entry (version 3): reads as zeros

const INCOMPAT_DIRTY = 1n;
const INCOMPAT_CORRUPT = 2n;
const INCOMPAT_KNOWN: readonly [bigint, string][] = [
  [1n, 'dirty'], [2n, 'corrupt'], [4n, 'external data file'], [8n, 'compression type'], [16n, 'extended L2 entries'],
];
const COMPAT_LAZY_REFCOUNTS = 1n;

const EXT_END = 0;
const EXT_BACKING_FORMAT = 0xe2792aca;
const EXT_FEATURE_NAMES = 0x6803f857;

const MAX_TABLE_BYTES = 32 << 20; // L1 and refcount tables, as QEMU bounds them (so a damaged header cannot ask for gigabytes)
const CACHE_BYTES = 32 << 20; // per metadata cache (L2 tables, refcount blocks)
const RESERVE_BYTES = 4 << 20; // clusters reserved per refcount update + fsync

export interface Qcow2Header {
  version: 2 | 3;
  clusterBits: number;
  size: number;
  l1Size: number;
  l1Offset: number;
  refcountTableOffset: number;
  refcountTableClusters: number;
  refcountOrder: number;
  snapshots: number;
  snapshotsOffset: number;
  backingOffset: number;
  backingSize: number;
  incompatible: bigint;
  compatible: bigint;
  autoclear: bigint;
  headerLength: number;
  backingFile: string | null;
  backingFormat: string | null;
}

function fail(file: BlockFile, what: string): never {
  throw new VmmError(`qcow2 image '${file.name}': ${what}`);
}

function u64(dv: DataView, at: number): number {
  return dv.getUint32(at) * HI + dv.getUint32(at + 4);
}

function big64(dv: DataView, at: number): bigint {
  return (BigInt(dv.getUint32(at)) << 32n) | BigInt(dv.getUint32(at + 4));
}

function put64(dv: DataView, at: number, v: number): void {
  dv.setUint32(at, Math.floor(v / HI));
  dv.setUint32(at + 4, v >>> 0);
}

/** Reads and validates a qcow2 header; throws a one-line error for anything this reader cannot serve. */
export function parseQcow2Header(file: BlockFile): Qcow2Header {
  const fileSize = file.size();
  if (fileSize < 72) fail(file, `${fileSize} bytes is too short for a qcow2 header`);
  const first = new Uint8Array(Math.min(fileSize, 4096));
  file.read(0, first);
  let dv = new DataView(first.buffer);
  if (dv.getUint32(0) !== QCOW2_MAGIC) fail(file, 'no qcow2 magic (QFI\\xfb) at offset 0');
  const version = dv.getUint32(4);
  if (version !== 2 && version !== 3) fail(file, `version ${version} is not supported (only 2 and 3)`);
  const clusterBits = dv.getUint32(20);
  if (clusterBits < 9 || clusterBits > 21) fail(file, `cluster_bits ${clusterBits} is outside 9..21`);
  const clusterSize = 2 ** clusterBits;
  if (dv.getUint32(32) !== 0) fail(file, `encryption (crypt_method ${dv.getUint32(32)}) is not supported`);
  const h: Qcow2Header = {
    version, clusterBits, size: u64(dv, 24), l1Size: dv.getUint32(36), l1Offset: u64(dv, 40),
    refcountTableOffset: u64(dv, 48), refcountTableClusters: dv.getUint32(56), refcountOrder: 4,
    snapshots: dv.getUint32(60), snapshotsOffset: u64(dv, 64), backingOffset: 0, backingSize: 0, incompatible: 0n, compatible: 0n, autoclear: 0n, headerLength: 72,
    backingFile: null, backingFormat: null,
  };
  if (version === 3) {
    if (fileSize < 104) fail(file, `${fileSize} bytes is too short for a version 3 header`);
    h.incompatible = big64(dv, 72);
    h.compatible = big64(dv, 80);
    h.autoclear = big64(dv, 88);
    h.refcountOrder = dv.getUint32(96);
    h.headerLength = dv.getUint32(100);
    if (h.headerLength < 104 || h.headerLength > clusterSize) fail(file, `header_length ${h.headerLength} is invalid`);
    if (h.refcountOrder > 6) fail(file, `refcount_order ${h.refcountOrder} is outside 0..6`);
  }
  // The first cluster holds the header extensions (and usually the backing file name).
  const cluster0 = new Uint8Array(Math.min(clusterSize, fileSize));
  file.read(0, cluster0);
  dv = new DataView(cluster0.buffer);
  const backingOffset = u64(dv, 8);
  const backingSize = dv.getUint32(16);
  h.backingOffset = backingOffset;
  h.backingSize = backingSize;
  const featureNames = new Map<string, string>();
  const extEnd = backingOffset > 0 ? Math.min(backingOffset, cluster0.length) : cluster0.length;
  for (let at = h.headerLength; at + 8 <= extEnd;) {
    const type = dv.getUint32(at);
    const len = dv.getUint32(at + 4);
    if (type === EXT_END) break;
    if (at + 8 + len > extEnd) fail(file, `header extension 0x${type.toString(16)} at ${at} runs past the first cluster`);
    const data = cluster0.subarray(at + 8, at + 8 + len);
    if (type === EXT_BACKING_FORMAT) h.backingFormat = new TextDecoder().decode(data);
    if (type === EXT_FEATURE_NAMES) {
      for (let e = 0; e + 48 <= len; e += 48) {
        const name = new TextDecoder().decode(data.subarray(e + 2, e + 48)).replace(/\0.*$/s, '');
        featureNames.set(`${data[e]}:${data[e + 1]}`, name);
      }
    }
    at += 8 + Math.ceil(len / 8) * 8;
  }
  if (backingOffset > 0) {
    if (backingSize === 0 || backingSize > 1023) fail(file, `backing file name length ${backingSize} is outside 1..1023`);
    const name = new Uint8Array(backingSize);
    file.read(backingOffset, name);
    h.backingFile = new TextDecoder().decode(name);
  }
  let unknown = h.incompatible & ~(INCOMPAT_DIRTY | INCOMPAT_CORRUPT);
  for (let bit = 0; unknown !== 0n; bit++, unknown >>= 1n) {
    if (!(unknown & 1n)) continue;
    const known = INCOMPAT_KNOWN.find(([b]) => b === 1n << BigInt(bit))?.[1] ?? featureNames.get(`0:${bit}`);
    fail(file, `incompatible feature bit ${bit}${known ? ` (${known})` : ''} is not supported`);
  }
  if (h.size % 512 !== 0) fail(file, `virtual size ${h.size} is not a multiple of 512`);
  if (h.size === 0) fail(file, 'virtual size is 0');
  const l2Span = clusterSize * (clusterSize / 8);
  if (h.l1Size * 8 > MAX_TABLE_BYTES) fail(file, `L1 table of ${h.l1Size} entries is larger than ${MAX_TABLE_BYTES >> 20} MiB`);
  if (h.l1Size < Math.ceil(h.size / l2Span)) fail(file, `L1 table of ${h.l1Size} entries is too small for ${h.size} bytes`);
  if (h.l1Offset % clusterSize) fail(file, `L1 table offset ${h.l1Offset} is not cluster-aligned`);
  if (h.refcountTableOffset % clusterSize || h.refcountTableOffset === 0) fail(file, `refcount table offset ${h.refcountTableOffset} is invalid`);
  if (h.refcountTableClusters === 0 || h.refcountTableClusters * clusterSize > MAX_TABLE_BYTES) {
    fail(file, `refcount table of ${h.refcountTableClusters} clusters is invalid`);
  }
  return h;
}

export interface Qcow2CreateOptions {
  size: number;
  clusterBits?: number;
  backingFile?: string;
  backingFormat?: string;
}

/**
 * Writes a fresh, empty version 3 image (16-bit refcounts) to `file`: header, refcount table, one refcount
 * block and the L1 table, in that order of clusters.
 */
export function createQcow2(file: BlockFile, opts: Qcow2CreateOptions): void {
  const bits = opts.clusterBits ?? 16;
  const cs = 2 ** bits;
  if (opts.size <= 0 || opts.size % 512) throw new VmmError(`qcow2 create: size ${opts.size} is not a positive multiple of 512`);
  const l1Size = Math.ceil(opts.size / (cs * (cs / 8)));
  const l1Clusters = Math.max(1, Math.ceil((l1Size * 8) / cs));
  const total = 3 + l1Clusters;
  if (total > (cs * 8) / 16) throw new VmmError(`qcow2 create: ${opts.size} bytes needs more than one refcount block at cluster size ${cs}`);
  const enc = new TextEncoder();
  const backing = opts.backingFile !== undefined ? enc.encode(opts.backingFile) : null;
  const format = opts.backingFormat !== undefined ? enc.encode(opts.backingFormat) : null;
  if (backing && backing.length > 1023) throw new VmmError('qcow2 create: backing file name is longer than 1023 bytes');
  const head = new Uint8Array(cs);
  const dv = new DataView(head.buffer);
  dv.setUint32(0, QCOW2_MAGIC);
  dv.setUint32(4, 3);
  dv.setUint32(20, bits);
  put64(dv, 24, opts.size);
  dv.setUint32(36, l1Size);
  put64(dv, 40, 3 * cs);
  put64(dv, 48, cs);
  dv.setUint32(56, 1);
  dv.setUint32(96, 4);
  dv.setUint32(100, 112);
  let at = 112;
  if (format) {
    dv.setUint32(at, EXT_BACKING_FORMAT);
    dv.setUint32(at + 4, format.length);
    head.set(format, at + 8);
    at += 8 + Math.ceil(format.length / 8) * 8;
  }
  at += 8; // end-of-extensions marker (zeros)
  if (backing) {
    if (at + backing.length > cs) throw new VmmError(`qcow2 create: the header does not fit a ${cs}-byte cluster`);
    put64(dv, 8, at);
    dv.setUint32(16, backing.length);
    head.set(backing, at);
  }
  const rt = new Uint8Array(cs);
  put64(new DataView(rt.buffer), 0, 2 * cs);
  const rb = new Uint8Array(cs);
  for (let i = 0; i < total; i++) new DataView(rb.buffer).setUint16(i * 2, 1);
  // Metadata first, header last: a half-written image has no magic and is not mistaken for a qcow2.
  file.write(cs, rt);
  file.write(2 * cs, rb);
  file.write(3 * cs, new Uint8Array(l1Clusters * cs));
  file.write(0, head);
  file.sync();
}

/** A byte-budgeted FIFO cache of metadata clusters by host offset. */
class ClusterCache {
  private readonly map = new Map<number, DataView>();
  constructor(private readonly limit: number) {}
  get(off: number): DataView | undefined {
    return this.map.get(off);
  }
  set(off: number, dv: DataView): void {
    this.map.delete(off);
    this.map.set(off, dv);
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value!);
  }
  delete(off: number): void {
    this.map.delete(off);
  }
  clear(): void {
    this.map.clear();
  }
}

export interface Qcow2OpenOptions {
  readOnly: boolean;
  /** Raw deflate decoder for compressed clusters (default: the block layer's own, src/vmm/block/inflate.ts). */
  inflate?: Inflate;
  /** The opened backing file (the caller resolves header.backingFile); reads of unallocated clusters go there. */
  backing?: BlockBackend | null;
}

export class Qcow2Image implements BlockBackend {
  readonly size: number;
  readonly readOnly: boolean;
  readonly granularity: number;
  readonly canUnmap = true;
  private readonly cs: number;
  private readonly l2Entries: number;
  private readonly l2Span: number;
  private readonly v3: boolean;
  private readonly l1: DataView;
  private readonly l1Offset: number;
  private rt: DataView;
  private rtOffset: number;
  private rtEntries: number;
  private readonly refBits: number;
  private readonly rbEntries: number;
  private readonly refMax: number;
  private readonly l2Cache: ClusterCache;
  private readonly rbCache: ClusterCache;
  private readonly backing: BlockBackend | null;
  private readonly inflate: Inflate;
  private readonly cbitsShift: number; // bit position of a compressed entry's sector count
  private readonly cbitsMask: number;
  private readonly cluster: Uint8Array; // scratch: old contents of a cluster being rewritten
  private compressedAt = -1; // host entry whose inflated cluster `inflated` holds
  private readonly inflated: Uint8Array;
  private zeros: Uint8Array | null = null;
  private top: number; // first cluster index past everything allocated or in the file
  private freeHint = 0;
  private reserved: number[] = [];
  private reservedAt = 0;
  private readonly reserveCount: number;
  private pendingFrees: number[] = [];
  private closed = false;

  constructor(readonly file: BlockFile, readonly header: Qcow2Header, opts: Qcow2OpenOptions) {
    const h = header;
    this.readOnly = opts.readOnly || file.readOnly;
    if (!this.readOnly) {
      if (h.incompatible & INCOMPAT_CORRUPT) fail(file, `is marked corrupt: repair it with 'qemu-img check -r all ${file.name}' or open it read-only`);
    }
    this.size = h.size;
    this.cs = 2 ** h.clusterBits;
    this.granularity = this.cs;
    this.l2Entries = this.cs / 8;
    this.l2Span = this.cs * this.l2Entries;
    this.v3 = h.version === 3;
    this.backing = opts.backing ?? null;
    this.inflate = opts.inflate ?? inflateRaw;
    const l1 = new Uint8Array(Math.ceil((h.l1Size * 8) / this.cs) * this.cs);
    file.read(h.l1Offset, l1.subarray(0, h.l1Size * 8));
    this.l1 = new DataView(l1.buffer);
    this.l1Offset = h.l1Offset;
    const rt = new Uint8Array(h.refcountTableClusters * this.cs);
    file.read(h.refcountTableOffset, rt);
    this.rt = new DataView(rt.buffer);
    this.rtOffset = h.refcountTableOffset;
    this.rtEntries = rt.length / 8;
    this.refBits = 2 ** h.refcountOrder;
    this.rbEntries = (this.cs * 8) / this.refBits;
    this.refMax = this.refBits >= 53 ? Number.MAX_SAFE_INTEGER : 2 ** this.refBits - 1;
    this.l2Cache = new ClusterCache(Math.max(16, CACHE_BYTES / this.cs));
    this.rbCache = new ClusterCache(Math.max(16, CACHE_BYTES / this.cs));
    this.cbitsShift = 62 - (h.clusterBits - 8) - 32;
    this.cbitsMask = 2 ** (h.clusterBits - 8) - 1;
    this.cluster = new Uint8Array(this.cs);
    this.inflated = new Uint8Array(this.cs);
    this.top = Math.ceil(file.size() / this.cs);
    this.reserveCount = Math.max(2, Math.min(256, RESERVE_BYTES / this.cs));
    if (!this.readOnly && h.incompatible & INCOMPAT_DIRTY) this.rebuildRefcounts();
    if (!this.readOnly && h.version === 3 && h.autoclear !== 0n) {
      // Autoclear features (e.g. persistent dirty bitmaps) describe data this writer does not maintain.
      const z = new Uint8Array(8);
      file.write(88, z);
      file.sync();
    }
  }

  get lazyRefcounts(): boolean {
    return (this.header.compatible & COMPAT_LAZY_REFCOUNTS) !== 0n;
  }

  // ---- lookup ---------------------------------------------------------------------------------------

  private l1Entry(i: number): number {
    return tableOffset(this.l1, i);
  }

  private loadL2(off: number): DataView {
    return this.loadTable(this.l2Cache, off, 'L2 table');
  }

  /** A one-cluster metadata table (L2 table or refcount block) at `off`, read once and kept in `cache`. */
  private loadTable(cache: ClusterCache, off: number, what: string): DataView {
    let dv = cache.get(off);
    if (!dv) {
      if (off % this.cs) fail(this.file, `${what} offset ${off} is not cluster-aligned`);
      if (off >= this.top * this.cs) fail(this.file, `${what} offset ${off} is past the end of the file`);
      const buf = new Uint8Array(this.cs);
      this.file.read(off, buf);
      dv = new DataView(buf.buffer);
      cache.set(off, dv);
    }
    return dv;
  }

  /** The L2 table mapping guest L1 slot `i`, or null when the whole slot is unallocated. */
  private l2For(i: number): DataView | null {
    if (i >= this.header.l1Size) return null;
    const off = this.l1Entry(i);
    return off === 0 ? null : this.loadL2(off);
  }

  private static hostOf(hi: number, lo: number): number {
    return (hi & OFFSET_HI) * HI + ((lo & ~511) >>> 0);
  }

  private compressedOffset(hi: number, lo: number): number {
    return (hi & (2 ** this.cbitsShift - 1)) * HI + lo;
  }

  private compressedSectors(hi: number): number {
    return ((hi >>> this.cbitsShift) & this.cbitsMask) + 1;
  }

  // ---- read ---------------------------------------------------------------------------------------

  read(offset: number, dst: Uint8Array): void {
    this.checkRange(offset, dst.length);
    const cs = this.cs;
    let pos = 0;
    while (pos < dst.length) {
      const g = offset + pos;
      const l1i = Math.floor(g / this.l2Span);
      const l2 = this.l2For(l1i);
      const spanEnd = (l1i + 1) * this.l2Span;
      if (!l2) {
        const n = Math.min(dst.length - pos, spanEnd - g);
        this.readUnallocated(g, dst.subarray(pos, pos + n));
        pos += n;
        continue;
      }
      let idx = Math.floor((g - l1i * this.l2Span) / cs);
      const inCl = g - Math.floor(g / cs) * cs;
      let n = Math.min(cs - inCl, dst.length - pos);
      const hi = l2.getUint32(idx * 8);
      const lo = l2.getUint32(idx * 8 + 4);
      if (hi & COMPRESSED) {
        this.inflateCluster(hi, lo);
        dst.set(this.inflated.subarray(inCl, inCl + n), pos);
      } else if (this.v3 && lo & ZERO) {
        dst.fill(0, pos, pos + n);
      } else {
        const host = Qcow2Image.hostOf(hi, lo);
        if (host === 0) {
          // Unallocated: extend over following unallocated entries of this table (one backing read).
          while (pos + n < dst.length && ++idx < this.l2Entries && l2.getUint32(idx * 8) === 0 && l2.getUint32(idx * 8 + 4) === 0) {
            n += Math.min(cs, dst.length - pos - n);
          }
          this.readUnallocated(g, dst.subarray(pos, pos + n));
        } else {
          if (host % cs) fail(this.file, `L2 entry for guest offset ${g} points at unaligned host offset ${host}`);
          // Extend over clusters that follow contiguously in the file (one read for sequential data).
          let next = host + cs;
          while (pos + n < dst.length && ++idx < this.l2Entries) {
            const h2 = l2.getUint32(idx * 8);
            const l2lo = l2.getUint32(idx * 8 + 4);
            if (h2 & COMPRESSED || (this.v3 && l2lo & ZERO) || Qcow2Image.hostOf(h2, l2lo) !== next) break;
            n += Math.min(cs, dst.length - pos - n);
            next += cs;
          }
          this.file.read(host + inCl, dst.subarray(pos, pos + n));
        }
      }
      pos += n;
    }
  }

  private readUnallocated(g: number, dst: Uint8Array): void {
    const b = this.backing;
    const inBacking = b ? Math.max(0, Math.min(dst.length, b.size - g)) : 0;
    if (inBacking > 0) b!.read(g, dst.subarray(0, inBacking));
    if (inBacking < dst.length) dst.fill(0, inBacking);
  }

  private inflateCluster(hi: number, lo: number): void {
    const coff = this.compressedOffset(hi, lo);
    if (coff === this.compressedAt) return;
    const len = this.compressedSectors(hi) * 512 - (coff & 511);
    const src = new Uint8Array(Math.max(0, Math.min(len, this.file.size() - coff)));
    this.file.read(coff, src);
    let out: Uint8Array;
    try {
      out = this.inflate(src, this.cs);
    } catch (e) {
      throw new VmmError(`qcow2 image '${this.file.name}': compressed cluster at ${coff} does not inflate: ${(e as Error).message}`);
    }
    if (out.length < this.cs) fail(this.file, `compressed cluster at ${coff} inflates to ${out.length} bytes, not ${this.cs}`);
    this.inflated.set(out.subarray(0, this.cs));
    this.compressedAt = coff;
  }

  /** Fills `dst` (one cluster) with what the guest currently sees in the cluster at guest offset `g`. */
  private readCluster(g: number, hi: number, lo: number, dst: Uint8Array): void {
    if (hi & COMPRESSED) {
      this.inflateCluster(hi, lo);
      dst.set(this.inflated);
    } else if (this.v3 && lo & ZERO) {
      dst.fill(0);
    } else {
      const host = Qcow2Image.hostOf(hi, lo);
      if (host === 0) {
        const n = Math.min(dst.length, this.size - g);
        this.readUnallocated(g, dst.subarray(0, n));
        dst.fill(0, n);
      } else {
        this.file.read(host, dst);
      }
    }
  }

  // ---- write --------------------------------------------------------------------------------------

  write(offset: number, src: Uint8Array): void {
    this.checkWritable();
    this.checkRange(offset, src.length);
    const cs = this.cs;
    let pos = 0;
    while (pos < src.length) {
      const l1i = Math.floor((offset + pos) / this.l2Span);
      const l2off = this.writableL2(l1i);
      const l2 = this.loadL2(l2off);
      let idx = Math.floor((offset + pos - l1i * this.l2Span) / cs);
      let dirtyLo = -1;
      let dirtyHi = -1;
      for (; pos < src.length && idx < this.l2Entries; idx++) {
        const g = offset + pos;
        const inCl = g - Math.floor(g / cs) * cs;
        const n = Math.min(cs - inCl, src.length - pos);
        const hi = l2.getUint32(idx * 8);
        const lo = l2.getUint32(idx * 8 + 4);
        const host = Qcow2Image.hostOf(hi, lo);
        if (hi & COPIED && !(hi & COMPRESSED) && !(this.v3 && lo & ZERO) && host !== 0) {
          if (host % cs || host >= this.top * cs) fail(this.file, `L2 entry for guest offset ${g} points at host offset ${host}, outside the file`);
          this.file.write(host + inCl, src.subarray(pos, pos + n));
        } else {
          // Copy on write into a fresh cluster: its data first, the L2 entry after, the old cluster freed later.
          const fresh = this.allocCluster();
          if (n === cs) {
            this.file.write(fresh, src.subarray(pos, pos + n));
          } else {
            this.readCluster(g - inCl, hi, lo, this.cluster);
            this.cluster.set(src.subarray(pos, pos + n), inCl);
            this.file.write(fresh, this.cluster);
          }
          this.releaseEntry(hi, lo);
          l2.setUint32(idx * 8, (COPIED | Math.floor(fresh / HI)) >>> 0);
          l2.setUint32(idx * 8 + 4, fresh >>> 0);
          if (dirtyLo < 0) dirtyLo = idx;
          dirtyHi = idx;
        }
        pos += n;
      }
      if (dirtyLo >= 0) this.writeL2Range(l2off, l2, dirtyLo, dirtyHi);
    }
  }

  private writeL2Range(l2off: number, l2: DataView, lo: number, hi: number): void {
    this.file.write(l2off + lo * 8, new Uint8Array(l2.buffer, lo * 8, (hi - lo + 1) * 8));
  }

  /** The host offset of a writable (refcount 1) L2 table for L1 slot `i`, allocating or copying one. */
  private writableL2(i: number): number {
    if (i >= this.header.l1Size) throw new VmmError(`qcow2 image '${this.file.name}': internal error: L1 index ${i} out of range`);
    const hi = this.l1.getUint32(i * 8);
    const old = this.l1Entry(i);
    if (old !== 0 && hi & COPIED) return old;
    const fresh = this.allocCluster();
    const buf = new Uint8Array(this.cs);
    if (old !== 0) buf.set(new Uint8Array(this.loadL2(old).buffer));
    this.file.write(fresh, buf);
    this.file.sync(); // the table is on disk before the L1 entry points at it
    this.l2Cache.set(fresh, new DataView(buf.buffer));
    this.l1.setUint32(i * 8, (COPIED | Math.floor(fresh / HI)) >>> 0);
    this.l1.setUint32(i * 8 + 4, fresh >>> 0);
    this.file.write(this.l1Offset + i * 8, new Uint8Array(this.l1.buffer, i * 8, 8));
    if (old !== 0) this.pendingFrees.push(old / this.cs);
    return fresh;
  }

  /** Queues the refcount drop for whatever host space an L2 entry referenced. */
  private releaseEntry(hi: number, lo: number): void {
    if (hi & COMPRESSED) {
      const start = this.compressedOffset(hi, lo) - (lo & 511);
      const end = start + this.compressedSectors(hi) * 512;
      for (let c = Math.floor(start / this.cs); c * this.cs < end; c++) this.pendingFrees.push(c);
      return;
    }
    const host = Qcow2Image.hostOf(hi, lo);
    if (host !== 0) this.pendingFrees.push(host / this.cs);
  }

  /** discard and write-zeroes on whole clusters: rewrite their L2 entries. `keep` keeps a refcount-1 cluster allocated. */
  private setWholeClusters(offset: number, length: number, entryLo: number, keep: boolean): void {
    const cs = this.cs;
    let g = offset;
    while (g < offset + length) {
      const l1i = Math.floor(g / this.l2Span);
      const spanEnd = Math.min(offset + length, (l1i + 1) * this.l2Span);
      if (entryLo === 0 && this.l2For(l1i) === null) { g = spanEnd; continue; } // already unallocated
      const l2off = this.writableL2(l1i);
      const l2 = this.loadL2(l2off);
      let dirtyLo = -1;
      let dirtyHi = -1;
      for (let idx = Math.floor((g - l1i * this.l2Span) / cs); g < spanEnd; idx++, g += cs) {
        const hi = l2.getUint32(idx * 8);
        const lo = l2.getUint32(idx * 8 + 4);
        let nhi = 0;
        let nlo = entryLo;
        const host = Qcow2Image.hostOf(hi, lo);
        if (keep && hi & COPIED && !(hi & COMPRESSED) && host !== 0) {
          nhi = hi;
          nlo = (lo | ZERO) >>> 0; // preallocated zero cluster
        } else {
          this.releaseEntry(hi, lo);
        }
        if (nhi === hi && nlo === lo) continue;
        l2.setUint32(idx * 8, nhi);
        l2.setUint32(idx * 8 + 4, nlo);
        if (dirtyLo < 0) dirtyLo = idx;
        dirtyHi = idx;
      }
      if (dirtyLo >= 0) this.writeL2Range(l2off, l2, dirtyLo, dirtyHi);
    }
  }

  discard(offset: number, length: number): void {
    this.checkWritable();
    this.checkRange(offset, length);
    const start = Math.ceil(offset / this.cs) * this.cs;
    const end = Math.floor((offset + length) / this.cs) * this.cs;
    if (end <= start) return; // only whole clusters can be given back; discard is advisory
    if (!this.backing) this.setWholeClusters(start, end - start, 0, false);
    else if (this.v3) this.setWholeClusters(start, end - start, ZERO, false); // unallocated would show the backing file
  }

  writeZeroes(offset: number, length: number, unmap: boolean): void {
    this.checkWritable();
    this.checkRange(offset, length);
    const cs = this.cs;
    const start = Math.min(offset + length, Math.ceil(offset / cs) * cs);
    const end = Math.max(start, Math.floor((offset + length) / cs) * cs);
    const canFlag = this.v3 || !this.backing;
    const zeros = (this.zeros ??= new Uint8Array(cs)); // not this.cluster: write() uses that as scratch
    const zeroBytes = (from: number, to: number): void => {
      for (let at = from; at < to;) {
        const n = Math.min(cs, to - at);
        this.write(at, zeros.subarray(0, n));
        at += n;
      }
    };
    zeroBytes(offset, start);
    if (end > start) {
      if (canFlag) this.setWholeClusters(start, end - start, this.v3 ? ZERO : 0, this.v3 && !unmap);
      else zeroBytes(start, end);
    }
    zeroBytes(Math.max(end, start), offset + length);
  }

  // ---- refcounts and allocation -------------------------------------------------------------------

  private rtEntry(t: number): number {
    return t < this.rtEntries ? tableOffset(this.rt, t) : 0;
  }

  private loadRB(off: number): DataView {
    return this.loadTable(this.rbCache, off, 'refcount block');
  }

  private rbGet(rb: DataView, j: number): number {
    switch (this.refBits) {
      case 8: return rb.getUint8(j);
      case 16: return rb.getUint16(j * 2);
      case 32: return rb.getUint32(j * 4);
      case 64: return u64(rb, j * 8);
      default: return (rb.getUint8((j * this.refBits) >> 3) >> ((j * this.refBits) & 7)) & this.refMax;
    }
  }

  /** Sets entry j of a refcount block in memory; returns [byte offset, byte length] to write back. */
  private rbSet(rb: DataView, j: number, v: number): [number, number] {
    switch (this.refBits) {
      case 8: rb.setUint8(j, v); return [j, 1];
      case 16: rb.setUint16(j * 2, v); return [j * 2, 2];
      case 32: rb.setUint32(j * 4, v); return [j * 4, 4];
      case 64: put64(rb, j * 8, v); return [j * 8, 8];
      default: {
        const byte = (j * this.refBits) >> 3;
        const shift = (j * this.refBits) & 7;
        rb.setUint8(byte, (rb.getUint8(byte) & ~(this.refMax << shift)) | (v << shift));
        return [byte, 1];
      }
    }
  }

  refcount(cluster: number): number {
    const t = Math.floor(cluster / this.rbEntries);
    const off = this.rtEntry(t);
    return off === 0 ? 0 : this.rbGet(this.loadRB(off), cluster - t * this.rbEntries);
  }

  private setRefcount(cluster: number, v: number): void {
    if (v > this.refMax) fail(this.file, `refcount of cluster ${cluster} would exceed ${this.refMax}`);
    const t = Math.floor(cluster / this.rbEntries);
    if (t >= this.rtEntries) this.growRefcountTable(t + 1);
    let off = this.rtEntry(t);
    if (off === 0) off = this.newRefcountBlock(t, cluster);
    const rb = this.loadRB(off);
    const [at, len] = this.rbSet(rb, cluster - t * this.rbEntries, v);
    this.file.write(off + at, new Uint8Array(rb.buffer, at, len));
  }

  /** A refcount block for range t, placed inside that range (it counts itself); `avoid` is the cluster being counted. */
  private newRefcountBlock(t: number, avoid: number): number {
    const first = t * this.rbEntries;
    const b = first === avoid ? first + 1 : first;
    if (b + 1 > this.top) this.top = b + 1;
    const buf = new Uint8Array(this.cs);
    const rb = new DataView(buf.buffer);
    this.rbSet(rb, b - first, 1);
    this.file.write(b * this.cs, buf);
    this.file.sync(); // the block is on disk before the table points at it
    this.rbCache.set(b * this.cs, rb);
    put64(this.rt, t * 8, b * this.cs);
    this.file.write(this.rtOffset + t * 8, new Uint8Array(this.rt.buffer, t * 8, 8));
    return b * this.cs;
  }

  /**
   * A larger refcount table at the end of the file, with refcount blocks for the clusters it and they
   * occupy; the header switches to it only once all of that is on disk.
   */
  private growRefcountTable(minEntries: number): void {
    const cs = this.cs;
    const perCluster = cs / 8;
    const E = this.top;
    let entries = Math.max(minEntries, this.rtEntries * 2);
    let n = 0;
    let ranges: number[] = [];
    for (let k = 0; ;) {
      n = Math.ceil(entries / perCluster);
      const last = Math.floor((E + n + k - 1) / this.rbEntries);
      if (last >= entries) { entries = last + 1; continue; }
      ranges = [];
      for (let t = Math.floor(E / this.rbEntries); t <= last; t++) if (this.rtEntry(t) === 0) ranges.push(t);
      if (ranges.length === k) break;
      k = ranges.length;
    }
    const end = E + n + ranges.length;
    const table = new Uint8Array(n * cs);
    table.set(new Uint8Array(this.rt.buffer, 0, this.rtEntries * 8));
    const tdv = new DataView(table.buffer);
    const blocks = new Map<number, DataView>();
    ranges.forEach((t, i) => {
      blocks.set(t, new DataView(new ArrayBuffer(cs)));
      put64(tdv, t * 8, (E + n + i) * cs);
    });
    for (let c = E; c < end; c++) {
      const t = Math.floor(c / this.rbEntries);
      const fresh = blocks.get(t);
      if (fresh) {
        this.rbSet(fresh, c - t * this.rbEntries, 1);
      } else {
        const off = this.rtEntry(t);
        const rb = this.loadRB(off);
        const [at, len] = this.rbSet(rb, c - t * this.rbEntries, 1);
        this.file.write(off + at, new Uint8Array(rb.buffer, at, len));
      }
    }
    this.top = end;
    ranges.forEach((t, i) => {
      const rb = blocks.get(t)!;
      this.file.write((E + n + i) * cs, new Uint8Array(rb.buffer));
      this.rbCache.set((E + n + i) * cs, rb);
    });
    const oldOffset = this.rtOffset;
    const oldClusters = (this.rtEntries * 8) / cs;
    this.installRefcountTable(table, tdv, E, n);
    for (let i = 0; i < oldClusters; i++) this.pendingFrees.push(oldOffset / cs + i);
  }

  /** The new refcount table (n clusters at cluster E, already holding its blocks' offsets) reaches the file, then
   *  the header points at it, each synced before the next: a crash leaves the old table or the new one in force. */
  private installRefcountTable(table: Uint8Array, tdv: DataView, E: number, n: number): void {
    const cs = this.cs;
    this.file.write(E * cs, table);
    this.file.sync();
    const hdr = new DataView(new ArrayBuffer(12));
    put64(hdr, 0, E * cs);
    hdr.setUint32(8, n);
    this.file.write(48, new Uint8Array(hdr.buffer));
    this.file.sync();
    this.rt = tdv;
    this.rtOffset = E * cs;
    this.rtEntries = n * (cs / 8);
  }

  /** A cluster whose refcount is already 1 on disk, ready to be pointed at. */
  private allocCluster(): number {
    if (this.reservedAt >= this.reserved.length) this.reserveClusters();
    return this.reserved[this.reservedAt++]! * this.cs;
  }

  private reserveClusters(): void {
    const got: number[] = [];
    let c = this.freeHint;
    while (got.length < this.reserveCount) {
      if (this.refcount(c) === 0) {
        if (c + 1 > this.top) this.top = c + 1;
        this.setRefcount(c, 1);
        got.push(c);
      }
      c++;
    }
    this.freeHint = c;
    this.file.sync(); // refcounts first: a crash from here on leaks these clusters, never shares them
    this.reserved = got;
    this.reservedAt = 0;
  }

  /** Drops the refcounts queued since the last sync (their references are gone from the disk by now). */
  private applyFrees(): void {
    const frees = this.pendingFrees;
    this.pendingFrees = [];
    for (const c of frees) {
      const v = this.refcount(c);
      if (v === 0) fail(this.file, `refcount of cluster ${c} would go below zero (the image is inconsistent; run qemu-img check)`);
      this.setRefcount(c, v - 1);
      if (v === 1) {
        if (c < this.freeHint) this.freeHint = c;
        this.l2Cache.delete(c * this.cs);
        this.rbCache.delete(c * this.cs);
      }
    }
    if (frees.length) this.compressedAt = -1;
  }

  // ---- repair of a dirty image ----------------------------------------------------------------------

  /** Every reference the image's tables make, counted per host cluster (what the refcounts must say). */
  private countReferences(): Uint32Array {
    const cs = this.cs;
    const h = this.header;
    const fileClusters = Math.ceil(this.file.size() / cs);
    const counts = new Uint32Array(fileClusters);
    const inc = (off: number, len: number, what: string): void => {
      for (let c = Math.floor(off / cs); c * cs < off + len; c++) {
        if (c >= fileClusters) fail(this.file, `${what} at ${off} lies past the end of the file; run 'qemu-img check -r all'`);
        counts[c]!++;
      }
    };
    inc(0, cs, 'the header');
    if (h.backingOffset >= cs) inc(h.backingOffset, h.backingSize, 'the backing file name');
    const countL1 = (l1: DataView, l1Off: number, l1Size: number, what: string): void => {
      inc(l1Off, Math.max(1, l1Size * 8), what);
      for (let i = 0; i < l1Size; i++) {
        const l2off = (l1.getUint32(i * 8) & OFFSET_HI) * HI + ((l1.getUint32(i * 8 + 4) & ~511) >>> 0);
        if (l2off === 0) continue;
        inc(l2off, cs, 'an L2 table');
        const l2 = new DataView(new ArrayBuffer(cs));
        this.file.read(l2off, new Uint8Array(l2.buffer));
        for (let j = 0; j < this.l2Entries; j++) {
          const hi = l2.getUint32(j * 8);
          const lo = l2.getUint32(j * 8 + 4);
          if (hi & COMPRESSED) {
            const start = this.compressedOffset(hi, lo) - (lo & 511);
            inc(start, this.compressedSectors(hi) * 512, 'a compressed cluster');
          } else {
            const host = Qcow2Image.hostOf(hi, lo);
            if (host !== 0) inc(host, cs, 'a data cluster');
          }
        }
      }
    };
    countL1(this.l1, this.l1Offset, h.l1Size, 'the L1 table');
    if (h.snapshots > 0) {
      // Snapshot table entries: 40 fixed bytes (L1 offset and size first), extra data, id, name, padded to 8.
      let at = h.snapshotsOffset;
      const start = at;
      const entry = new DataView(new ArrayBuffer(40));
      for (let i = 0; i < h.snapshots; i++) {
        this.file.read(at, new Uint8Array(entry.buffer));
        const l1Off = u64(entry, 0);
        const l1Size = entry.getUint32(8);
        const len = 40 + entry.getUint32(36) + entry.getUint16(12) + entry.getUint16(14);
        if (l1Off % cs || l1Size > (32 << 20)) fail(this.file, `snapshot ${i} has an invalid L1 table (${l1Off}, ${l1Size} entries)`);
        const l1 = new Uint8Array(Math.max(8, l1Size * 8));
        this.file.read(l1Off, l1);
        countL1(new DataView(l1.buffer), l1Off, l1Size, `snapshot ${i}'s L1 table`);
        at += Math.ceil(len / 8) * 8;
      }
      inc(start, at - start, 'the snapshot table');
    }
    return counts;
  }

  /**
   * Refcounts rebuilt from the tables, written as a new refcount table and blocks after the end of the file;
   * the header switches to them (and drops the dirty bit) only once they are on disk, so a crash during the
   * repair leaves the image dirty, as it was. The old refcount structure is not referenced any more: free.
   */
  private rebuildRefcounts(): void {
    const cs = this.cs;
    const counts = this.countReferences();
    const E = Math.max(counts.length, this.top);
    let n = 1;
    let k = 1;
    for (;;) {
      const end = E + n + k;
      const k2 = Math.ceil(end / this.rbEntries);
      const n2 = Math.ceil((k2 * 8) / cs);
      if (k2 === k && n2 === n) break;
      k = k2;
      n = n2;
    }
    const end = E + n + k;
    const table = new Uint8Array(n * cs);
    const tdv = new DataView(table.buffer);
    this.rbCache.clear();
    for (let t = 0; t < k; t++) {
      const rb = new DataView(new ArrayBuffer(cs));
      for (let j = 0; j < this.rbEntries; j++) {
        const c = t * this.rbEntries + j;
        const v = c < counts.length ? counts[c]! : c >= E && c < end ? 1 : 0;
        if (v > this.refMax) fail(this.file, `cluster ${c} has ${v} references, more than ${this.refBits}-bit refcounts hold`);
        if (v) this.rbSet(rb, j, v);
      }
      this.file.write((E + n + t) * cs, new Uint8Array(rb.buffer));
      put64(tdv, t * 8, (E + n + t) * cs);
    }
    this.installRefcountTable(table, tdv, E, n);
    this.top = end;
    this.freeHint = 0;
    // COPIED must say "refcount is 1" again for the active tables.
    for (let i = 0; i < this.header.l1Size; i++) {
      const l2off = this.l1Entry(i);
      if (l2off === 0) continue;
      this.fixCopied(this.l1, i, l2off, this.l1Offset);
      const l2 = this.loadL2(l2off);
      for (let j = 0; j < this.l2Entries; j++) {
        const hi = l2.getUint32(j * 8);
        const host = Qcow2Image.hostOf(hi, l2.getUint32(j * 8 + 4));
        if (!(hi & COMPRESSED) && host !== 0) this.fixCopied(l2, j, host, l2off);
      }
    }
    const inc = new DataView(new ArrayBuffer(8));
    const flags = this.header.incompatible & ~INCOMPAT_DIRTY;
    inc.setUint32(0, Number(flags >> 32n));
    inc.setUint32(4, Number(flags & 0xffffffffn));
    this.file.sync();
    this.file.write(72, new Uint8Array(inc.buffer));
    this.file.sync();
    this.header.incompatible = flags;
  }

  private fixCopied(table: DataView, i: number, target: number, tableOff: number): void {
    const hi = table.getUint32(i * 8);
    const want = this.refcount(target / this.cs) === 1;
    if (((hi & COPIED) !== 0) === want) return;
    table.setUint32(i * 8, want ? (hi | COPIED) >>> 0 : hi & ~COPIED);
    this.file.write(tableOff + i * 8, new Uint8Array(table.buffer, i * 8, 8));
  }

  // ---- lifecycle ----------------------------------------------------------------------------------

  flush(): void {
    if (this.readOnly || this.closed) return;
    this.file.sync();
    this.applyFrees();
  }

  close(): void {
    if (this.closed) return;
    if (!this.readOnly) {
      this.file.sync();
      this.applyFrees();
      for (let i = this.reservedAt; i < this.reserved.length; i++) this.setRefcount(this.reserved[i]!, 0);
      this.reserved = [];
      this.reservedAt = 0;
      this.file.sync();
    }
    this.closed = true;
    this.file.close();
    this.backing?.close?.();
  }

  private checkWritable(): void {
    if (this.readOnly) throw new VmmError(`disk '${this.file.name}' is read-only`);
    if (this.closed) throw new VmmError(`internal error: disk '${this.file.name}' used after close`);
  }

  private checkRange(offset: number, length: number): void {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new VmmError(`disk '${this.file.name}': access [${offset}, +${length}) outside its ${this.size} bytes`);
    }
  }
}

/** The cluster offset in 64-bit big-endian table entry `i` (L1 or refcount table): bits 9..55, flags masked off. */
function tableOffset(table: DataView, i: number): number {
  return (table.getUint32(i * 8) & OFFSET_HI) * HI + ((table.getUint32(i * 8 + 4) & ~511) >>> 0);
}
