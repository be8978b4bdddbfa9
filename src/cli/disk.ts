// Disk images for `rvkvm run`: the option spellings (`--disk FILE[,...]`, kvmtool's `-d FILE[,ro]`, QEMU's
// `-drive file=FILE,format=qcow2,if=virtio` and `-snapshot`), each parsed from a table so an unknown key is an
// error, and the opening of an image through the block layer (src/vmm/block) with Node files that are locked as
// QEMU locks them, so two VMs never write one image at once (a second writer replays the first's live ext4
// journal and corrupts it). The lock is the kernel's flock(2) (through the fs-ext native module): exclusive for
// a writable image, shared for a read-only one (`,ro`, a backing file, the base of snapshot=on), never waited
// for. The kernel drops it when the process ends however it ends, SIGKILL included, so a crashed rvkvm leaves no
// stale lock to clean up, which a lock file would. Node-only, so it lives in src/cli; the vmm layer sees a
// BlockBackend.
import { createRequire } from 'node:module';
import type { BlockBackend } from '../vmm/block/backend.js';
import { openDisk } from '../vmm/block/open.js';
import type { ImageFormat } from '../vmm/block/probe.js';
import { NodeFile, nodeBlockHost } from './block-host.js';
import { parseSubOptions, type SubOptionSpec } from './suboptions.js';
import { UsageError } from './errors.js';

export interface DiskSpec {
  path: string;
  readOnly: boolean;
  /** take the image's lock (default); `lock=off` shares it with whoever else has it open */
  lock: boolean;
  /** writes go to a temporary overlay, the image is not changed */
  snapshot: boolean;
  /** absent: probed from the image's first bytes */
  format?: ImageFormat;
  /** what the guest's GET_ID returns (/sys/block/vdX/serial) */
  serial?: string;
}

const SERIAL_BYTES = 20; // virtio-blk's GET_ID field

const DISK_OPTIONS: readonly SubOptionSpec[] = [
  { key: 'ro' },
  { key: 'readonly', values: ['on', 'off'] },
  { key: 'format', values: ['raw', 'qcow2'] },
  { key: 'snapshot', values: ['on', 'off'] },
  { key: 'serial', valueName: 'S' },
  { key: 'lock', values: ['on', 'off'] },
];

/** QEMU's -drive: the keys rvkvm serves; `if=virtio` is the only interface there is. */
const DRIVE_OPTIONS: readonly SubOptionSpec[] = [
  { key: 'file', valueName: 'FILE' },
  { key: 'format', values: ['raw', 'qcow2'] },
  { key: 'if', values: ['virtio'] },
  { key: 'media', values: ['disk'] },
  { key: 'readonly', values: ['on', 'off'] },
  { key: 'snapshot', values: ['on', 'off'] },
  { key: 'serial', valueName: 'S' },
  { key: 'file.locking', values: ['on', 'off'] },
];

function checkSerial(flag: string, text: string, serial: string | undefined): void {
  if (serial !== undefined && new TextEncoder().encode(serial).length > SERIAL_BYTES) {
    throw new UsageError(`${flag} '${text}': serial=${serial} is longer than ${SERIAL_BYTES} bytes`);
  }
}

/** `FILE[,format=raw|qcow2][,ro][,readonly=on|off][,snapshot=on|off][,serial=S][,lock=on|off]`. */
export function parseDiskOption(text: string, flag = '--disk'): DiskSpec {
  const [path, ...parts] = text.split(',');
  if (!path) throw new UsageError(`${flag} '${text}': expected FILE[,format=raw|qcow2][,ro][,snapshot=on][,serial=S][,lock=on|off]`);
  const o = parseSubOptions(flag, text, parts, DISK_OPTIONS);
  checkSerial(flag, text, o.get('serial'));
  return {
    path, readOnly: o.has('ro') || o.get('readonly') === 'on', lock: o.get('lock') !== 'off', snapshot: o.get('snapshot') === 'on',
    ...(o.has('format') ? { format: o.get('format') as ImageFormat } : {}),
    ...(o.has('serial') ? { serial: o.get('serial')! } : {}),
  };
}

/** `-drive file=FILE[,format=raw|qcow2][,if=virtio][,readonly=on][,snapshot=on][,serial=S][,file.locking=off]`. */
export function parseDriveOption(text: string): DiskSpec {
  const o = parseSubOptions('-drive', text, text.split(','), DRIVE_OPTIONS);
  const path = o.get('file');
  if (!path) throw new UsageError(`-drive '${text}': file=FILE is required`);
  checkSerial('-drive', text, o.get('serial'));
  return {
    path, readOnly: o.get('readonly') === 'on', lock: o.get('file.locking') !== 'off', snapshot: o.get('snapshot') === 'on',
    ...(o.has('format') ? { format: o.get('format') as ImageFormat } : {}),
    ...(o.has('serial') ? { serial: o.get('serial')! } : {}),
  };
}

/** kvmtool's `-d FILE[,ro]`. */
export function parseKvmtoolDisk(text: string): DiskSpec {
  const [path, ...parts] = text.split(',');
  if (!path) throw new UsageError(`-d '${text}': expected FILE[,ro]`);
  const o = parseSubOptions('-d', text, parts, [{ key: 'ro' }]);
  return { path, readOnly: o.has('ro'), lock: true, snapshot: false };
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

/**
 * Opens a disk for the VM: its image, the image's backing chain, and for snapshot=on a temporary overlay.
 * Every file is locked as it is opened (shared when only read), so the chain is refused as a whole if any
 * member is written by another process.
 */
export function openDiskImage(spec: DiskSpec, warn: (message: string) => void, overlay?: Uint8Array): BlockBackend {
  const host = nodeBlockHost(warn);
  const plainOpen = host.open;
  if (spec.lock) {
    host.open = (path, readOnly) => {
      const f = plainOpen(path, readOnly);
      try {
        lockImage((f as NodeFile).fd, path, readOnly);
      } catch (e) {
        f.close();
        throw e;
      }
      return f;
    };
  }
  return openDisk({
    path: spec.path, readOnly: spec.readOnly, snapshot: spec.snapshot, ...(spec.format ? { format: spec.format } : {}), ...(overlay ? { overlay } : {}),
  }, host);
}
