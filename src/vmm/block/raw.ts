// A raw image: guest byte N is file byte N. When the format was probed rather than given, QEMU's rule
// applies: a guest write that would make sector 0 look like another format is refused, so a guest cannot
// turn its raw disk into a qcow2 header that points the host at arbitrary files on the next probe.
import { VmmError } from '../errors.js';
import type { BlockBackend } from './backend.js';
import type { BlockFile } from './file.js';
import { QCOW2_MAGIC } from './probe.js';

const ZERO_CHUNK = 1 << 20;

export class RawImage implements BlockBackend {
  readonly size: number;
  readonly readOnly: boolean;
  readonly canUnmap = false;
  private zeros: Uint8Array | null = null;

  /** `anySize`: a backing file may end mid-sector (the overlay reads zeros past it). */
  constructor(readonly file: BlockFile, readonly probed = false, anySize = false) {
    const size = file.size();
    if (!anySize && (size === 0 || size % 512 !== 0)) {
      throw new VmmError(`disk image '${file.name}' is ${size} bytes: a raw disk must be a non-empty multiple of 512 bytes`);
    }
    this.size = size;
    this.readOnly = file.readOnly;
  }

  read(offset: number, dst: Uint8Array): void {
    this.file.read(offset, dst);
  }

  write(offset: number, src: Uint8Array): void {
    if (this.readOnly) throw new VmmError(`disk '${this.file.name}' is read-only`);
    if (offset + src.length > this.size) throw new VmmError(`disk '${this.file.name}': write past the end`);
    if (this.probed && offset === 0 && src.length >= 4 &&
        ((src[0]! << 24) | (src[1]! << 16) | (src[2]! << 8) | src[3]!) >>> 0 === QCOW2_MAGIC) {
      throw new VmmError(`disk '${this.file.name}': write of a qcow2 header to sector 0 of a probed raw image refused (give format=raw)`);
    }
    this.file.write(offset, src);
  }

  writeZeroes(offset: number, length: number): void {
    const zeros = (this.zeros ??= new Uint8Array(ZERO_CHUNK));
    for (let done = 0; done < length;) {
      const n = Math.min(ZERO_CHUNK, length - done);
      this.write(offset + done, zeros.subarray(0, n));
      done += n;
    }
  }

  flush(): void {
    if (!this.readOnly) this.file.sync();
  }

  close(): void {
    this.flush();
    this.file.close();
  }
}
