// What the 9P server asks of a file system: a small, synchronous, path-of-names interface, so the protocol server
// (and the virtio-9p device) run unchanged in a browser while a Node backend in src/cli serves a host directory.
// Paths are lists of names relative to the share's root; the server has already checked every name (no '/', no
// NUL, never '.' or '..', at most 255 bytes), so a backend only has to make sure it never follows a symlink while
// resolving them. Names and symlink targets are bytes, as they are to Linux, not strings.
import { VmmError } from '../errors.js';

export type FsName = Uint8Array;
export type FsPath = readonly FsName[];

/** Linux errno values: what the guest receives in Rlerror, whatever the host's numbering. */
export const Errno = {
  EPERM: 1, ENOENT: 2, EIO: 5, ENXIO: 6, EBADF: 9, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EBUSY: 16, EEXIST: 17,
  EXDEV: 18, ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24, ETXTBSY: 26, EFBIG: 27,
  ENOSPC: 28, ESPIPE: 29, EROFS: 30, EMLINK: 31, ERANGE: 34, ENAMETOOLONG: 36, ENOLCK: 37, ENOSYS: 38,
  ENOTEMPTY: 39, ELOOP: 40, ENODATA: 61, EPROTO: 71, EOVERFLOW: 75, EMSGSIZE: 90, EOPNOTSUPP: 95, EDQUOT: 122,
} as const;

/** A file system operation failed with a Linux errno; the server answers Rlerror with it. */
export class FsError extends VmmError {
  constructor(readonly errno: number, message?: string) {
    super(message ?? `errno ${errno}`);
    this.name = 'FsError';
  }
}

/** lstat(2) of a node; the file type is in `mode` (S_IFMT bits), as Linux has it. */
export interface FsStat {
  mode: number;
  uid: number;
  gid: number;
  nlink: bigint;
  rdev: bigint;
  size: bigint;
  blksize: bigint;
  /** 512-byte blocks */
  blocks: bigint;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
  dev: bigint;
}

export const S_IFMT = 0o170000, S_IFDIR = 0o040000, S_IFREG = 0o100000, S_IFLNK = 0o120000;

export interface FsOpenFlags {
  read: boolean;
  write: boolean;
  truncate: boolean;
  append: boolean;
  /** O_SYNC / O_DSYNC */
  sync: boolean;
}

/** An open regular file. */
export interface FsHandle {
  read(position: number, dst: Uint8Array): number;
  write(position: number, src: Uint8Array): number;
  stat(): FsStat;
  truncate(size: number): void;
  sync(dataOnly: boolean): void;
  close(): void;
}

export interface FsDirEntry {
  name: FsName;
  stat: FsStat;
}

/** A directory being listed, without "." and ".."; next() is null at the end. */
export interface FsDirReader {
  next(): FsDirEntry | null;
  close(): void;
}

export interface FsStatfs {
  type: number;
  bsize: number;
  blocks: bigint;
  bfree: bigint;
  bavail: bigint;
  files: bigint;
  ffree: bigint;
  namelen: number;
}

/** Times are ns since the epoch, or 'now'. */
export interface FsAttrChange {
  mode?: number;
  size?: number;
  atime?: bigint | 'now';
  mtime?: bigint | 'now';
}

/**
 * A shared directory. Every method resolves its path one name at a time and never follows a symlink on the way
 * or at the end (a symlink where a directory is needed is ENOTDIR or ELOOP; open() of a symlink is ELOOP), so
 * nothing outside the root can be reached, whatever the share's contents are or become.
 */
export interface FsBackend {
  lstat(path: FsPath): FsStat;
  /** Opens a regular file (anything else: ELOOP for a symlink, EOPNOTSUPP for devices, FIFOs, sockets). */
  open(path: FsPath, flags: FsOpenFlags): FsHandle;
  /** Creates and opens a new regular file (O_EXCL: EEXIST if the name exists, even as a dangling symlink). */
  create(dir: FsPath, name: FsName, flags: FsOpenFlags, mode: number): FsHandle;
  mkdir(dir: FsPath, name: FsName, mode: number): void;
  symlink(dir: FsPath, name: FsName, target: Uint8Array): void;
  /** A hard link at dir/name to the node at `target` (a symlink is linked as itself). */
  link(target: FsPath, dir: FsPath, name: FsName): void;
  readlink(path: FsPath): Uint8Array;
  rename(oldDir: FsPath, oldName: FsName, newDir: FsPath, newName: FsName): void;
  unlink(dir: FsPath, name: FsName, directory: boolean): void;
  /** `handle`: the node is open (a size change uses it, so an unlinked open file can still be truncated). */
  setattr(path: FsPath, change: FsAttrChange, handle: FsHandle | null): void;
  statfs(path: FsPath): FsStatfs;
  readdir(path: FsPath): FsDirReader;
}
