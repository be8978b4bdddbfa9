// "newc" (SVR4, no checksum) cpio archive writer: the format Linux unpacks as an initramfs.
// Each entry: a 110-byte ASCII header ("070701" + 13 eight-digit hex fields), the NUL-terminated
// name padded to 4 bytes, then the data padded to 4 bytes. The archive ends with "TRAILER!!!".
import { VmmError } from './errors.js';

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const TRAILER = 'TRAILER!!!';
const utf8 = new TextEncoder();

interface Entry {
  name: string;
  mode: number;
  data: Uint8Array;
  nlink: number;
  rdevMajor: number;
  rdevMinor: number;
}

export interface CpioOptions {
  /** Modification time of every entry (seconds since the epoch); fixed so archives are reproducible. */
  mtime?: number;
  /** Owner of every entry. */
  uid?: number;
  gid?: number;
}

/**
 * Builds a newc archive. Paths are absolute or relative ('/bin/sh' and 'bin/sh' are the same entry,
 * stored as 'bin/sh'); missing parent directories are added (mode 0755) so the kernel can create
 * each entry in order.
 */
export class CpioWriter {
  private readonly entries: Entry[] = [];
  private readonly names = new Map<string, number>(); // name -> file type bits

  constructor(private readonly options: CpioOptions = {}) {}

  dir(path: string, mode = 0o755): this {
    const name = this.normalise(path);
    if (this.names.get(name) === S_IFDIR) return this; // created implicitly before: keep it
    return this.add(name, S_IFDIR | checkPerm(mode, path), new Uint8Array(0), 2);
  }

  file(path: string, data: Uint8Array, mode = 0o644): this {
    return this.add(this.normalise(path), S_IFREG | checkPerm(mode, path), data, 1);
  }

  symlink(path: string, target: string): this {
    if (target === '') throw new VmmError(`cpio: symlink ${path} has an empty target`);
    return this.add(this.normalise(path), S_IFLNK | 0o777, utf8.encode(target), 1);
  }

  /** A device node, e.g. device('/dev/console', 'c', 5, 1). */
  device(path: string, type: 'c' | 'b', major: number, minor: number, mode = 0o600): this {
    for (const [what, n] of [['major', major], ['minor', minor]] as const) {
      if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new VmmError(`cpio: device ${path}: bad ${what} number ${n}`);
    }
    return this.add(this.normalise(path), (type === 'c' ? S_IFCHR : S_IFBLK) | checkPerm(mode, path), new Uint8Array(0), 1, major, minor);
  }

  /** True if an entry of that path exists. */
  has(path: string): boolean {
    return this.names.has(this.normalise(path));
  }

  /** The archive, terminated by the trailer. */
  finish(): Uint8Array {
    const parts: Uint8Array[] = [];
    let ino = 1;
    const mtime = this.options.mtime ?? 0;
    for (const e of this.entries) parts.push(...this.encode(e, ino++, mtime));
    parts.push(...this.encode({ name: TRAILER, mode: 0, data: new Uint8Array(0), nlink: 1, rdevMajor: 0, rdevMinor: 0 }, 0, 0));
    const total = parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }

  private normalise(path: string): string {
    const parts = path.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.length === 0) throw new VmmError(`cpio: path '${path}' names no entry`);
    if (parts.includes('..')) throw new VmmError(`cpio: path '${path}' contains '..'`);
    if (path.includes('\0')) throw new VmmError(`cpio: path '${path}' contains NUL`);
    const name = parts.join('/');
    if (name === TRAILER) throw new VmmError(`cpio: '${TRAILER}' is reserved for the end marker`);
    return name;
  }

  private add(name: string, mode: number, data: Uint8Array, nlink: number, rdevMajor = 0, rdevMinor = 0): this {
    if (this.names.has(name)) throw new VmmError(`cpio: '${name}' added twice`);
    if (data.length > 0xffffffff) throw new VmmError(`cpio: '${name}' is larger than newc's 4 GiB limit`);
    const slash = name.lastIndexOf('/');
    if (slash > 0) {
      const parent = name.slice(0, slash);
      const parentType = this.names.get(parent);
      if (parentType === undefined) this.dir(parent);
      else if (parentType !== S_IFDIR) throw new VmmError(`cpio: '${name}': parent '${parent}' is not a directory`);
    }
    this.names.set(name, mode & 0o170000);
    this.entries.push({ name, mode, data, nlink, rdevMajor, rdevMinor });
    return this;
  }

  private encode(e: Entry, ino: number, mtime: number): Uint8Array[] {
    const name = utf8.encode(e.name + '\0');
    const fields = [ino, e.mode, this.options.uid ?? 0, this.options.gid ?? 0, e.nlink, mtime, e.data.length,
      0, 0, e.rdevMajor, e.rdevMinor, name.length, 0];
    const header = utf8.encode('070701' + fields.map((f) => f.toString(16).padStart(8, '0')).join(''));
    const headerAndName = new Uint8Array(pad4(header.length + name.length));
    headerAndName.set(header);
    headerAndName.set(name, header.length);
    const data = new Uint8Array(pad4(e.data.length));
    data.set(e.data);
    return [headerAndName, data];
  }
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

function checkPerm(mode: number, path: string): number {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new VmmError(`cpio: '${path}': permission bits 0o${mode.toString(8)} outside 0o7777`);
  return mode;
}
