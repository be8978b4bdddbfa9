// What a disk image format reads and writes: a byte-addressed file with a synchronous API. virtio-blk
// completes each request inside the queue notification (the hart's MMIO write), so every layer below it is
// synchronous too. The CLI implements BlockFile with Node's fs (pread/pwrite/fsync); a browser page or a test
// uses MemoryFile. BlockHost is what opening an image needs from outside: backing files named inside an
// image, a zlib inflater for compressed qcow2 clusters, scratch space for a -snapshot overlay.
import { VmmError } from '../errors.js';

export interface BlockFile {
  /** For error messages: the path, or a description. */
  readonly name: string;
  readonly readOnly: boolean;
  size(): number;
  /** Fills dst from offset; bytes past the end of the file read as zero. */
  read(offset: number, dst: Uint8Array): void;
  /** Writes src at offset, growing the file if it ends before offset + src.length. */
  write(offset: number, src: Uint8Array): void;
  /** Data written so far reach stable storage before this returns. */
  sync(): void;
  close(): void;
}

/** Inflates raw deflate data (no zlib header), as qcow2 stores compressed clusters; returns at least outLen bytes or throws. */
export type Inflate = (src: Uint8Array, outLen: number) => Uint8Array;

export interface BlockHost {
  /** Opens a file by path; throws (with a clear message) if it is missing or cannot be opened. */
  open(path: string, readOnly: boolean): BlockFile;
  /** The path of `name` as an image at `from` refers to it (backing file names are relative to their image). */
  resolve(from: string, name: string): string;
  /** The absolute spelling of a path, written into an overlay's header. */
  absolute(path: string): string;
  /** A faster raw-deflate decoder than the block layer's own TypeScript one (the CLI passes zlib's). */
  inflate?: Inflate;
  /** Scratch file for a snapshot=on overlay; without it the overlay lives in memory. */
  scratch?(): BlockFile;
  warn(message: string): void;
}

const MEMORY_FILE_MAX = 2 ** 31;

/** A growable file in memory (tests, the browser, snapshot overlays without a scratch file). */
export class MemoryFile implements BlockFile {
  private buf: Uint8Array;
  private length: number;
  constructor(readonly name: string, init: Uint8Array | number = 0, readonly readOnly = false) {
    this.buf = typeof init === 'number' ? new Uint8Array(init) : init;
    this.length = this.buf.length;
  }
  size(): number {
    return this.length;
  }
  /** The file's bytes (a view, valid until the next write). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
  read(offset: number, dst: Uint8Array): void {
    const n = Math.max(0, Math.min(dst.length, this.length - offset));
    if (n > 0) dst.set(this.buf.subarray(offset, offset + n));
    if (n < dst.length) dst.fill(0, Math.max(0, n));
  }
  write(offset: number, src: Uint8Array): void {
    if (this.readOnly) throw new VmmError(`${this.name} is read-only`);
    const end = offset + src.length;
    if (end > this.buf.length) {
      if (end > MEMORY_FILE_MAX) throw new VmmError(`${this.name}: a write at ${offset} would grow it past ${MEMORY_FILE_MAX} bytes`);
      const grown = new Uint8Array(Math.min(MEMORY_FILE_MAX, Math.max(end, this.buf.length * 2, 4096)));
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
    this.buf.set(src, offset);
    if (end > this.length) this.length = end;
  }
  sync(): void {}
  close(): void {}
}
