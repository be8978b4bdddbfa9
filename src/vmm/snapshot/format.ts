// The snapshot container: a versioned, checksummed file of named sections. Layout (little-endian):
//
//   "RVKVMSNP"  u32 format version  u32 section count  f64 file length  u16+utf8 rvkvm version
//   per section: u16+utf8 name  u8 encoding (0 stored, 1 raw deflate)  f64 offset  f64 stored length  f64 length
//   section data ...  u32 CRC-32 of every byte before it
//
// Reading checks, in this order, the magic, the format version, the length (a truncated file says so), the
// checksum, the rvkvm version that wrote it and every section's bounds, and only then hands out sections: a
// file that fails any check is refused as a whole, before anything is restored from it. Compression is the
// host's to give (zlib's raw deflate in Node); reading a deflated section without one uses the block layer's
// own inflater, so a page reads files the CLI wrote.
import { inflateRaw } from '../block/inflate.js';
import { RVKVM_VERSION } from '../version.js';
import { crc32 } from './crc32.js';
import { SnapshotError } from './value.js';

export const SNAPSHOT_MAGIC = 'RVKVMSNP';
export const SNAPSHOT_FORMAT_VERSION = 1;
export const ENC_STORED = 0, ENC_DEFLATE = 1;

export interface SnapshotCodec {
  /** raw deflate (RFC 1951) of `raw`; absent: sections are stored */
  deflate?: (raw: Uint8Array) => Uint8Array;
  /** the inverse, producing exactly `length` bytes; absent: the block layer's inflater */
  inflate?: (stored: Uint8Array, length: number) => Uint8Array;
}

export interface SectionInput {
  name: string;
  data: Uint8Array;
  /** worth deflating (RAM, big buffers); small state is stored */
  compress?: boolean;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** Builds a snapshot file from its sections. */
export function writeSnapshotFile(sections: readonly SectionInput[], codec: SnapshotCodec = {}): Uint8Array {
  const names = new Set<string>();
  const stored = sections.map((s) => {
    if (names.has(s.name)) throw new SnapshotError(`internal error: snapshot section '${s.name}' given twice`);
    names.add(s.name);
    if (s.compress && codec.deflate) {
      const d = codec.deflate(s.data);
      if (d.length < s.data.length) return { name: s.name, enc: ENC_DEFLATE, bytes: d, length: s.data.length };
    }
    return { name: s.name, enc: ENC_STORED, bytes: s.data, length: s.data.length };
  });
  const version = utf8.encode(RVKVM_VERSION);
  const nameBytes = stored.map((s) => utf8.encode(s.name));
  let head = 8 + 4 + 4 + 8 + 2 + version.length;
  for (const n of nameBytes) head += 2 + n.length + 1 + 24;
  let total = head + 4;
  for (const s of stored) total += s.bytes.length;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  out.set(utf8.encode(SNAPSHOT_MAGIC), 0);
  dv.setUint32(8, SNAPSHOT_FORMAT_VERSION, true);
  dv.setUint32(12, stored.length, true);
  dv.setFloat64(16, total, true);
  dv.setUint16(24, version.length, true);
  out.set(version, 26);
  let at = 26 + version.length;
  let data = head;
  stored.forEach((s, i) => {
    const n = nameBytes[i]!;
    dv.setUint16(at, n.length, true); out.set(n, at + 2); at += 2 + n.length;
    out[at++] = s.enc;
    dv.setFloat64(at, data, true); dv.setFloat64(at + 8, s.bytes.length, true); dv.setFloat64(at + 16, s.length, true);
    at += 24;
    out.set(s.bytes, data);
    data += s.bytes.length;
  });
  dv.setUint32(total - 4, crc32(out.subarray(0, total - 4)), true);
  return out;
}

/** A checked snapshot file: its sections, decompressed on demand. */
export class SnapshotFile {
  readonly rvkvmVersion: string;
  private readonly sections = new Map<string, { enc: number; bytes: Uint8Array; length: number }>();

  /** Checks the whole file; throws SnapshotError naming `what` (the file's name) and the first problem found. */
  constructor(file: Uint8Array, private readonly what = 'snapshot', private readonly codec: SnapshotCodec = {}) {
    // a plain view: Node's Buffer (readFileSync) is a Uint8Array whose slice() shares memory instead of copying
    const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
    const fail = (m: string): never => { throw new SnapshotError(`${what}: ${m}`); };
    if (bytes.length < 30 || fromUtf8.decode(bytes.subarray(0, 8)) !== SNAPSHOT_MAGIC) fail('not an rvkvm snapshot (no RVKVMSNP header)');
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const format = dv.getUint32(8, true);
    if (format !== SNAPSHOT_FORMAT_VERSION) {
      fail(`snapshot format version ${format}; this rvkvm (${RVKVM_VERSION}) reads version ${SNAPSHOT_FORMAT_VERSION} only`);
    }
    const total = dv.getFloat64(16, true);
    if (total !== bytes.length) {
      fail(total > bytes.length ? `truncated: ${bytes.length} of its ${total} bytes are there` : `${bytes.length - total} bytes of garbage after its end (${total} bytes)`);
    }
    const stored = dv.getUint32(total - 4, true), actual = crc32(bytes.subarray(0, total - 4));
    if (stored !== actual) fail(`checksum mismatch (CRC-32 0x${actual.toString(16).padStart(8, '0')}, the file says 0x${stored.toString(16).padStart(8, '0')}): the file is damaged`);
    const vlen = dv.getUint16(24, true);
    if (26 + vlen > total - 4) fail('damaged header');
    this.rvkvmVersion = fromUtf8.decode(bytes.subarray(26, 26 + vlen));
    if (this.rvkvmVersion !== RVKVM_VERSION) fail(`saved by rvkvm ${this.rvkvmVersion}; this is rvkvm ${RVKVM_VERSION}, which resumes only its own snapshots`);
    let at = 26 + vlen;
    const count = dv.getUint32(12, true);
    for (let i = 0; i < count; i++) {
      if (at + 2 > total - 4) fail('damaged section table');
      const nlen = dv.getUint16(at, true);
      if (at + 2 + nlen + 25 > total - 4) fail('damaged section table');
      const name = fromUtf8.decode(bytes.subarray(at + 2, at + 2 + nlen));
      at += 2 + nlen;
      const enc = bytes[at++]!;
      const off = dv.getFloat64(at, true), len = dv.getFloat64(at + 8, true), length = dv.getFloat64(at + 16, true);
      at += 24;
      if (!Number.isSafeInteger(off) || !Number.isSafeInteger(len) || !Number.isSafeInteger(length) || off < 0 || len < 0 || length < 0 || off + len > total - 4) {
        fail(`section '${name}' lies outside the file`);
      }
      if (enc !== ENC_STORED && enc !== ENC_DEFLATE) fail(`section '${name}' has unknown encoding ${enc}`);
      if (enc === ENC_STORED && len !== length) fail(`section '${name}' is stored but its lengths differ`);
      if (this.sections.has(name)) fail(`section '${name}' appears twice`);
      this.sections.set(name, { enc, bytes: bytes.subarray(off, off + len), length });
    }
  }

  names(): string[] {
    return [...this.sections.keys()];
  }

  has(name: string): boolean {
    return this.sections.has(name);
  }

  /** A section's bytes; a missing section is an error. */
  section(name: string): Uint8Array {
    const s = this.sections.get(name);
    if (!s) throw new SnapshotError(`${this.what}: has no '${name}' section`);
    if (s.enc === ENC_STORED) return s.bytes;
    let out: Uint8Array;
    try {
      out = (this.codec.inflate ?? inflateRaw)(s.bytes, s.length);
    } catch (e) {
      throw new SnapshotError(`${this.what}: section '${name}' does not decompress: ${(e as Error).message}`);
    }
    if (out.length !== s.length) throw new SnapshotError(`${this.what}: section '${name}' decompresses to ${out.length} bytes, not ${s.length}`);
    return out;
  }
}
