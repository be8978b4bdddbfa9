// Disk images for `rvkvm run --disk FILE[,ro][,lock=on|off][,format=raw]`: the option's parser and the file
// backend, which locks the image as QEMU does so two VMs never write one image at once (a second writer replays
// the first's live ext4 journal and corrupts it). The lock is the kernel's flock(2) (through the fs-ext native
// module): exclusive for a writable disk, shared for `,ro`, never waited for. The kernel drops it when the
// process ends however it ends, SIGKILL included, so a crashed rvkvm leaves no stale lock to clean up, which a
// lock file would. Node-only, so it lives in src/cli; the vmm layer sees a BlockBackend.
import { UsageError } from './errors.js';
import { closeSync, existsSync, fstatSync, openSync, readSync, writeSync, fsyncSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { BlockBackend } from '../vmm/devices/virtio-blk.js';
import { parseSubOptions, type SubOptionSpec } from './suboptions.js';

export interface DiskSpec {
  path: string;
  readOnly: boolean;
  /** take the image's lock (default); `lock=off` shares it with whoever else has it open */
  lock: boolean;
}

const DISK_OPTIONS: readonly SubOptionSpec[] = [
  { key: 'ro' },
  { key: 'readonly', values: ['on', 'off'] },
  { key: 'lock', values: ['on', 'off'] },
  { key: 'format', values: ['raw'], notYet: ['qcow2'] },
];

/** `FILE[,ro][,readonly=on|off][,lock=on|off][,format=raw]`. */
export function parseDiskOption(text: string): DiskSpec {
  const [path, ...parts] = text.split(',');
  if (!path) throw new UsageError(`--disk '${text}': expected FILE[,ro][,lock=on|off][,format=raw]`);
  const o = parseSubOptions('--disk', text, parts, DISK_OPTIONS);
  return { path, readOnly: o.has('ro') || o.get('readonly') === 'on', lock: o.get('lock') !== 'off' };
}

type Flock = (fd: number, flags: 'shnb' | 'exnb') => void;
let flockSync: Flock | null = null;

/** fs-ext is loaded on first use: a run without disks must not depend on its native build. */
function loadFlock(): Flock {
  if (flockSync) return flockSync;
  try {
    const mod = createRequire(import.meta.url)('fs-ext') as { flockSync: Flock };
    flockSync = mod.flockSync;
    return flockSync;
  } catch (e) {
    throw new UsageError(`cannot lock disk images: the fs-ext native module did not load (${(e as Error).message.split('\n')[0]}); ` +
      `run 'npm ci' to build it, or add ,lock=off to the --disk option`);
  }
}

/** Takes the image's flock(2): exclusive for read-write, shared for read-only; fails at once if it is held. */
export function lockImage(fd: number, path: string, readOnly: boolean): void {
  const flock = loadFlock();
  try {
    flock(fd, readOnly ? 'shnb' : 'exnb');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
      throw new UsageError(`${path} is locked: in use by another process ` +
        `(${readOnly ? 'it is open for writing' : 'it is open'} there; ,lock=off overrides the lock, at the risk of corrupting the image)`);
    }
    throw new UsageError(`cannot lock disk image '${path}': ${(e as Error).message} (add ,lock=off to use it unlocked)`);
  }
}

/** A disk image file; reads and writes go straight to the file. */
export class FileBlockBackend implements BlockBackend {
  readonly size: number;
  private readonly fd: number;
  constructor(readonly path: string, readonly readOnly: boolean, lock = true) {
    if (!existsSync(path)) throw new UsageError(`disk image '${path}' does not exist`);
    this.fd = openSync(path, readOnly ? 'r' : 'r+');
    try {
      const size = fstatSync(this.fd).size;
      if (size === 0 || size % 512 !== 0) {
        throw new UsageError(`disk image '${path}' is ${size} bytes: a disk must be a non-empty multiple of 512 bytes`);
      }
      if (lock) lockImage(this.fd, path, readOnly);
      this.size = size;
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }
  read(offset: number, dst: Uint8Array): void {
    let done = 0;
    while (done < dst.length) {
      const n = readSync(this.fd, dst, done, dst.length - done, offset + done);
      if (n <= 0) throw new UsageError(`disk '${this.path}': short read at ${offset + done}`);
      done += n;
    }
  }
  write(offset: number, src: Uint8Array): void {
    if (this.readOnly) throw new UsageError(`disk '${this.path}' is read-only`);
    let done = 0;
    while (done < src.length) done += writeSync(this.fd, src, done, src.length - done, offset + done);
  }
  flush(): void {
    if (!this.readOnly) fsyncSync(this.fd);
  }
  /** Closing the descriptor also releases the lock. */
  close(): void {
    closeSync(this.fd);
  }
}
