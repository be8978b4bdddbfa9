// The Node side of the block layer: BlockFile over a file descriptor (pread/pwrite/fsync), zlib's raw
// inflate for compressed qcow2 clusters, and a scratch file in the temp directory for snapshot=on overlays.
// zlib is faster than the block layer's own TypeScript inflater (src/vmm/block/inflate.ts), which exists
// because src/vmm must run in a browser, where DecompressionStream is asynchronous and a virtio-blk request,
// completed inside an MMIO write, cannot wait for it.
import { closeSync, existsSync, fstatSync, fsyncSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { constants, inflateRawSync } from 'node:zlib';
import type { BlockFile, BlockHost } from '../vmm/block/file.js';
import { VmmError } from '../vmm/errors.js';

export class NodeFile implements BlockFile {
  readonly fd: number;
  private length: number;
  private open = true;

  constructor(readonly name: string, readonly readOnly: boolean, fd?: number) {
    if (fd === undefined) {
      if (!existsSync(name)) throw new VmmError(`disk image '${name}' does not exist`);
      try {
        fd = openSync(name, readOnly ? 'r' : 'r+');
      } catch (e) {
        throw new VmmError(`cannot open disk image '${name}'${readOnly ? '' : ' for writing'}: ${(e as Error).message}`);
      }
    }
    this.fd = fd;
    this.length = fstatSync(fd).size;
  }

  size(): number {
    return this.length;
  }

  read(offset: number, dst: Uint8Array): void {
    let done = 0;
    try {
      while (done < dst.length) {
        const n = readSync(this.fd, dst, done, dst.length - done, offset + done);
        if (n <= 0) break;
        done += n;
      }
    } catch (e) {
      throw new VmmError(`disk '${this.name}': read at ${offset + done} failed: ${(e as Error).message}`);
    }
    if (done < dst.length) dst.fill(0, done);
  }

  write(offset: number, src: Uint8Array): void {
    if (this.readOnly) throw new VmmError(`disk '${this.name}' is read-only`);
    let done = 0;
    try {
      while (done < src.length) done += writeSync(this.fd, src, done, src.length - done, offset + done);
    } catch (e) {
      throw new VmmError(`disk '${this.name}': write at ${offset + done} failed: ${(e as Error).message}`);
    }
    if (offset + src.length > this.length) this.length = offset + src.length;
  }

  sync(): void {
    if (this.readOnly) return;
    try {
      fsyncSync(this.fd);
    } catch (e) {
      throw new VmmError(`disk '${this.name}': fsync failed: ${(e as Error).message}`);
    }
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    closeSync(this.fd);
  }
}

/** Raw deflate, as qcow2 writes it; Z_SYNC_FLUSH accepts the sector padding after the stream's end. */
export function inflateRaw(src: Uint8Array, outLen: number): Uint8Array {
  return new Uint8Array(inflateRawSync(src, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: Math.max(outLen, 64) }));
}

/** A scratch file that no other process can reach and that disappears when closed (or when we die). */
function scratchFile(): BlockFile {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-overlay-'));
  const path = join(dir, 'overlay.qcow2');
  const fd = openSync(path, 'w+', 0o600);
  rmSync(dir, { recursive: true, force: true }); // unlinked now: the descriptor keeps the data alive
  return new NodeFile(`snapshot overlay`, false, fd);
}

export function nodeBlockHost(warn: (message: string) => void): BlockHost {
  return {
    open: (path, readOnly) => new NodeFile(path, readOnly),
    resolve: (from, name) => (isAbsolute(name) ? name : resolve(dirname(from), name)),
    absolute: (path) => resolve(path),
    inflate: inflateRaw,
    scratch: scratchFile,
    warn,
  };
}
