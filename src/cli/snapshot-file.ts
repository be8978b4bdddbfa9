// Whole-VM snapshot files for `rvkvm run` (--save-on-exit, Ctrl-A s, --restore), on src/vmm/snapshot: the machine's
// state, compressed with zlib's raw deflate, plus the host's record of the run: the options it was started with
// (so `--restore FILE` alone rebuilds the same machine) and every disk file with its identity when saved (device,
// inode, size, modification time), so a disk that changed since is refused instead of corrupting the guest's file
// system; a snapshot=on overlay, which disappears with its process, is carried in the file. A save writes a
// temporary file and renames it, so a failed or interrupted save never leaves a half file or spoils an older one.
// saveRunSnapshot is what a monitor command calls.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Machine } from '../vmm/machine.js';
import type { BlockBackend } from '../vmm/block/backend.js';
import { overlayImage } from '../vmm/block/open.js';
import { captureSnapshot, readSnapshot, type LoadedSnapshot } from '../vmm/snapshot/machine.js';
import type { SnapshotCodec } from '../vmm/snapshot/format.js';
import { SnapshotError, StateReader, type StateObject } from '../vmm/snapshot/value.js';
import type { DiskSpec } from './disk.js';
import { UsageError } from './errors.js';

/** Where Ctrl-A s saves without --save-on-exit. */
export const DEFAULT_SNAPSHOT_FILE = 'rvkvm.snapshot';

/** zlib at level 1: RAM compresses about as well as at higher levels and several times faster. */
export const NODE_SNAPSHOT_CODEC: SnapshotCodec = {
  deflate: (raw) => new Uint8Array(deflateRawSync(raw, { level: 1 })),
  inflate: (stored, length) => new Uint8Array(inflateRawSync(stored, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: Math.max(length, 64) })),
};

/** What a running `rvkvm run` gives the snapshot: its machine, its options and its open disks. */
export interface RunSnapshotSource {
  machine: Machine;
  /** the machine's options (what `--restore` rebuilds it from), without the run-control ones */
  argv: readonly string[];
  disks: readonly { spec: DiskSpec; backend: BlockBackend | null }[];
}

interface DiskIdentity { path: string; size: string; dev: string; ino: string; mtimeNs: string }

function identity(path: string): DiskIdentity {
  const st = statSync(path, { bigint: true });
  return { path: resolve(path), size: String(st.size), dev: String(st.dev), ino: String(st.ino), mtimeNs: String(st.mtimeNs) };
}

/** Flushes every disk and takes the snapshot=on overlays (before the disks close: overlays vanish then). */
export function captureOverlays(src: RunSnapshotSource): (Uint8Array | null)[] {
  return src.disks.map((d) => {
    if (!d.backend) return null;
    d.backend.flush();
    return overlayImage(d.backend);
  });
}

export interface SaveResult { path: string; bytes: number; ms: number }

/**
 * Saves the VM to `path`; only between run slices (any event-loop callback of `rvkvm run` is). `overlays`: taken
 * already (the disks are closed), else taken now. The disk identities are read after the flush.
 */
export function saveRunSnapshot(src: RunSnapshotSource, path: string, overlays = captureOverlays(src)): SaveResult {
  const t0 = performance.now();
  const disks: StateObject[] = src.disks.map((d, i) => ({
    ...identity(d.spec.path), readOnly: d.spec.readOnly, snapshot: d.spec.snapshot, overlay: overlays[i] ?? null,
  }));
  const host: StateObject = { argv: [...src.argv], cwd: process.cwd(), disks };
  const bytes = captureSnapshot(src.machine, { codec: NODE_SNAPSHOT_CODEC, host });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const fd = openSync(tmp, 'w', 0o600);
    try {
      for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* it may not exist */ }
    throw new UsageError(`cannot save the VM to '${path}': ${(e as Error).message}`);
  }
  return { path: resolve(path), bytes: bytes.length, ms: performance.now() - t0 };
}

/** A snapshot file read and checked, with the run it came from. */
export interface RunSnapshot {
  snap: LoadedSnapshot;
  argv: string[];
  cwd: string;
  /** per disk of the saved run: its record (identity, overlay) */
  disks: StateReader[];
}

/** Reads and checks a snapshot file as a whole (nothing is restored from a file that fails a check). */
export function loadRunSnapshot(path: string): RunSnapshot {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UsageError(`--restore ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const what = `--restore ${path}`;
  const snap = readSnapshot(bytes, what, NODE_SNAPSHOT_CODEC);
  if (!snap.host) throw new SnapshotError(`${what}: not saved by rvkvm run (no record of the run's options)`);
  const host = new StateReader(snap.host, 'host');
  const argv = host.list('argv').map((a) => (typeof a === 'string' ? a : fail(what, 'its option list is damaged')));
  return { snap, argv, cwd: host.str('cwd'), disks: host.records('disks') };
}

function fail(what: string, m: string): never {
  throw new SnapshotError(`${what}: ${m}`);
}

/**
 * Each disk of the restored run must be the file the snapshot saw: the same file (device and inode), size and
 * modification time. Anything else would show the guest a disk its page cache and file system do not expect.
 * Checked before any disk is opened. Returns each disk's saved overlay (snapshot=on) or null.
 */
export function checkDisks(what: string, saved: readonly StateReader[], specs: readonly DiskSpec[]): (Uint8Array | null)[] {
  if (saved.length !== specs.length) fail(what, `${saved.length} disks were saved, the run's options name ${specs.length}`);
  return specs.map((spec, i) => {
    const rec = saved[i]!;
    let now: DiskIdentity;
    try {
      now = identity(spec.path);
    } catch (e) {
      return fail(what, `disk '${spec.path}' is not there any more (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    const was = (k: keyof DiskIdentity): string => rec.str(k);
    if (now.path !== was('path')) fail(what, `disk ${i + 1} was '${was('path')}', now '${now.path}'`);
    if (now.dev !== was('dev') || now.ino !== was('ino')) fail(what, `disk '${spec.path}' is another file than when the VM was saved (it was replaced)`);
    if (now.size !== was('size')) fail(what, `disk '${spec.path}' is ${now.size} bytes, ${was('size')} when the VM was saved`);
    if (now.mtimeNs !== was('mtimeNs')) {
      fail(what, `disk '${spec.path}' was modified after the VM was saved (the guest's memory would not match it); ` +
        'a snapshot taken while the VM ran on (Ctrl-A s) is good until the guest writes a disk again');
    }
    const overlay = rec.value('overlay');
    return overlay instanceof Uint8Array ? overlay : null;
  });
}
