// Opening a disk as the user described it: format given or probed, the backing chain of a qcow2 image
// (each backing file read-only, its name relative to the image naming it), and the snapshot=on overlay (a
// fresh qcow2 image whose backing file is the disk, so the disk itself is never written).
import { VmmError } from '../errors.js';
import type { BlockBackend } from './backend.js';
import { MemoryFile, type BlockFile, type BlockHost } from './file.js';
import { probeFormat, type ImageFormat } from './probe.js';
import { Qcow2Image, createQcow2, parseQcow2Header } from './qcow2.js';
import { RawImage } from './raw.js';

export interface DiskSpec {
  path: string;
  /** Absent: probed from the header (a raw guess is warned about and protected, as QEMU does). */
  format?: ImageFormat;
  readOnly: boolean;
  /** Writes go to a temporary overlay; the file is opened read-only. */
  snapshot?: boolean;
  /** With `snapshot`: the overlay to go on with (overlayImage() of a VM snapshot) instead of an empty one. */
  overlay?: Uint8Array;
}

/** The scratch file of each snapshot=on overlay openDisk made. */
const overlayFiles = new WeakMap<BlockBackend, BlockFile>();

/**
 * A snapshot=on disk's overlay image as it is now, flushed (a VM snapshot carries it, since the overlay goes away
 * with the process); null for any other disk, whose writes are in its own file.
 */
export function overlayImage(disk: BlockBackend): Uint8Array | null {
  const file = overlayFiles.get(disk);
  if (!file) return null;
  disk.flush();
  const bytes = new Uint8Array(file.size());
  file.read(0, bytes);
  return bytes;
}

const MAX_CHAIN = 16;

function openImage(host: BlockHost, path: string, format: ImageFormat | undefined, readOnly: boolean, chain: string[]): BlockBackend {
  if (chain.includes(path)) throw new VmmError(`disk '${chain[0]}': backing chain loops back to '${path}'`);
  if (chain.length > MAX_CHAIN) throw new VmmError(`disk '${chain[0]}': backing chain is longer than ${MAX_CHAIN}`);
  const file = host.open(path, readOnly);
  try {
    const probed = format === undefined;
    const fmt = format ?? probeFormat(file);
    if (fmt === 'raw') {
      if (probed && chain.length === 0) {
        host.warn(`disk '${path}': image format was not specified and probing guessed raw; writes to sector 0 that would ` +
          'make it look like another format are refused (give format=raw to remove the restriction)');
      }
      return new RawImage(file, probed && !readOnly, chain.length > 0);
    }
    const header = parseQcow2Header(file);
    let backing: BlockBackend | null = null;
    if (header.backingFile !== null) {
      const bf = header.backingFormat;
      if (bf !== null && bf !== 'raw' && bf !== 'qcow2') {
        throw new VmmError(`qcow2 image '${path}': backing file format '${bf}' is not supported (raw or qcow2)`);
      }
      backing = openImage(host, host.resolve(path, header.backingFile), bf ?? undefined, true, [...chain, path]);
    }
    try {
      return new Qcow2Image(file, header, { readOnly, backing, ...(host.inflate ? { inflate: host.inflate } : {}) });
    } catch (e) {
      backing?.close?.();
      throw e;
    }
  } catch (e) {
    file.close();
    throw e;
  }
}

/** Opens a disk for a virtio-blk device. */
export function openDisk(spec: DiskSpec, host: BlockHost): BlockBackend {
  if (!spec.snapshot || spec.readOnly) return openImage(host, spec.path, spec.format, spec.readOnly, []);
  const base = openImage(host, spec.path, spec.format ?? probeOnly(host, spec.path), true, []);
  try {
    const scratch = host.scratch?.() ?? new MemoryFile(`snapshot overlay of '${spec.path}'`);
    const format = base instanceof Qcow2Image ? 'qcow2' : 'raw';
    if (spec.overlay) scratch.write(0, spec.overlay);
    else createQcow2(scratch, { size: base.size, backingFile: host.absolute(spec.path), backingFormat: format });
    const header = parseQcow2Header(scratch);
    if (spec.overlay && (header.backingFile !== host.absolute(spec.path) || header.size !== base.size)) {
      throw new VmmError(`disk '${spec.path}': the saved overlay belongs to '${header.backingFile ?? '(none)'}' of ${header.size} bytes, not to this disk of ${base.size}`);
    }
    const overlay = new Qcow2Image(scratch, header, { readOnly: false, backing: base });
    overlayFiles.set(overlay, scratch);
    return overlay;
  } catch (e) {
    base.close?.();
    throw e;
  }
}

/** The base of a snapshot=on disk is never written, so a raw guess needs no write protection or warning. */
function probeOnly(host: BlockHost, path: string): ImageFormat {
  const f = host.open(path, true);
  try {
    return probeFormat(f);
  } finally {
    f.close();
  }
}
