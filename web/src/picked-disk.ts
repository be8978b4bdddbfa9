// A disk image the user picked on the page, as a BlockFile: reads come from the picked file (a Blob, read
// synchronously in the worker: virtio-blk completes requests inside the vCPU's MMIO exit, so the block layer
// cannot await) and every write lands in 64 KiB chunks held in memory, so the user's file is never changed and
// only what the guest touched costs memory. The modified image is the file's slices with the changed chunks
// spliced in (toBlob), which the page offers as a download without copying the rest. Raw and qcow2 images
// open on it through src/vmm/block's openDisk; a qcow2's metadata updates are chunk writes like any other.
import { VmmError } from '../../src/vmm/errors.js';
import { openDisk } from '../../src/vmm/block/open.js';
import type { BlockBackend } from '../../src/vmm/block/backend.js';
import type { BlockFile, BlockHost } from '../../src/vmm/block/file.js';
import type { ImageFormat } from '../../src/vmm/block/probe.js';

const CHUNK = 64 * 1024;

/** Reads `length` bytes at `offset` of the picked file (FileReaderSync in the worker). */
export type ReadBlob = (blob: Blob, offset: number, length: number) => Uint8Array;

export class PickedDiskFile implements BlockFile {
  /** set before each open: a read-only disk on the page is one the guest sees read-only */
  readOnly = false;
  private readonly chunks = new Map<number, Uint8Array>();
  private length: number;

  constructor(readonly name: string, private readonly base: Blob, private readonly readBase: ReadBlob) {
    this.length = base.size;
  }

  size(): number {
    return this.length;
  }

  /** bytes in changed chunks (what the page holds in memory besides the file) */
  get changedBytes(): number {
    return this.chunks.size * CHUNK;
  }

  read(offset: number, dst: Uint8Array): void {
    this.eachChunk(offset, dst.length, (index, within, done, n) => {
      const part = dst.subarray(done, done + n);
      const chunk = this.chunks.get(index);
      if (chunk) part.set(chunk.subarray(within, within + n));
      else this.readFromBase(offset + done, part);
    });
  }

  write(offset: number, src: Uint8Array): void {
    this.eachChunk(offset, src.length, (index, within, done, n) => {
      let chunk = this.chunks.get(index);
      if (!chunk) {
        chunk = new Uint8Array(CHUNK);
        this.readFromBase(index * CHUNK, chunk);
        this.chunks.set(index, chunk);
      }
      chunk.set(src.subarray(done, done + n), within);
    });
    this.length = Math.max(this.length, offset + src.length);
  }

  /** Splits [offset, offset + length) at chunk boundaries: chunk index, offset in it, bytes before, bytes in it. */
  private eachChunk(offset: number, length: number, f: (index: number, within: number, done: number, n: number) => void): void {
    for (let done = 0; done < length;) {
      const index = Math.floor((offset + done) / CHUNK);
      const within = offset + done - index * CHUNK;
      const n = Math.min(length - done, CHUNK - within);
      f(index, within, done, n);
      done += n;
    }
  }

  /** The picked file's bytes at `at` (zero beyond its end). */
  private readFromBase(at: number, dst: Uint8Array): void {
    const n = Math.max(0, Math.min(dst.length, this.base.size - at));
    if (n > 0) {
      let bytes: Uint8Array;
      try {
        bytes = this.readBase(this.base, at, n);
      } catch (e) {
        // the browser refuses once the file changed on disk after it was picked
        throw new VmmError(`disk '${this.name}': reading the picked file failed: ${(e as Error).message}`);
      }
      if (bytes.length !== n) throw new VmmError(`disk '${this.name}': read ${bytes.length} of ${n} bytes at ${at} of the picked file`);
      dst.set(bytes);
    }
    dst.fill(0, n);
  }

  sync(): void {}
  close(): void {}

  /** The image as the guest left it: unchanged ranges are slices of the picked file, so nothing is copied. */
  toBlob(): Blob {
    const parts: BlobPart[] = [];
    const chunkCount = Math.ceil(this.length / CHUNK);
    let baseFrom = -1; // start of a run of unchanged bytes still to emit
    const endBaseRun = (to: number): void => {
      if (baseFrom < 0) return;
      const inBase = Math.min(to, this.base.size);
      if (inBase > baseFrom) parts.push(this.base.slice(baseFrom, inBase));
      if (to > Math.max(inBase, baseFrom)) parts.push(new Uint8Array(to - Math.max(inBase, baseFrom)));
      baseFrom = -1;
    };
    for (let i = 0; i < chunkCount; i++) {
      const start = i * CHUNK, end = Math.min(this.length, start + CHUNK);
      const chunk = this.chunks.get(i);
      if (!chunk) { if (baseFrom < 0) baseFrom = start; continue; }
      endBaseRun(start);
      parts.push(chunk.slice(0, end - start));
    }
    endBaseRun(this.length);
    return new Blob(parts, { type: 'application/octet-stream' });
  }
}

/**
 * Opens the picked file as a virtio-blk backend. The file is alone on the page, so a qcow2 image with a
 * backing file is refused with a clear error; compressed clusters use the block layer's own inflate.
 */
export function openPickedDisk(
  file: PickedDiskFile, format: ImageFormat | undefined, readOnly: boolean, warn: (message: string) => void,
): BlockBackend {
  const host: BlockHost = {
    open(path) {
      if (path !== file.name) {
        throw new VmmError(`disk '${file.name}' names a backing file '${path}': the page has only the file you picked (convert it with 'qemu-img convert -O qcow2' first)`);
      }
      return file;
    },
    resolve: (_from, name) => name,
    absolute: (path) => path,
    warn,
  };
  return openDisk({ path: file.name, ...(format ? { format } : {}), readOnly }, host);
}
