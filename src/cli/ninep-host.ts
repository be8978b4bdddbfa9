// The host directory behind `--9p DIR,TAG` / `-virtfs local,path=DIR,...`: an FsBackend on Node's fs that can
// never reach outside DIR. Node has no openat(2), so every path is resolved one name at a time with O_PATH |
// O_NOFOLLOW descriptors, each name looked up through /proc/self/fd/N/NAME (the kernel jumps to the directory
// the descriptor holds, not to a path string, so a directory renamed or swapped for a symlink between two steps
// cannot redirect the lookup). The last name is never followed either: opens use O_NOFOLLOW, and changes to a
// node go through its own O_PATH descriptor (chmod, utimes, truncate of /proc/self/fd/N act on that inode) after
// fstat says it is not a symlink. Ownership follows QEMU's security_model=none: files are the host user's, the
// guest's chown changes nothing on the host (the server accepts it), and setuid/setgid bits are dropped.
// Linux-only (it needs /proc/self/fd); the server above it is what the guest talks to.
import {
  closeSync, constants, existsSync, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, linkSync, lstatSync, mkdirSync,
  openSync, opendirSync, readSync, readlinkSync, renameSync, rmdirSync, statfsSync, symlinkSync, truncateSync, unlinkSync,
  utimesSync, lutimesSync, writeSync, chmodSync, fchmodSync, type BigIntStats, type Dir,
} from 'node:fs';
import { Errno, FsError, S_IFLNK, S_IFMT, S_IFREG, type FsAttrChange, type FsBackend, type FsDirReader, type FsHandle, type FsName, type FsOpenFlags, type FsPath, type FsStat, type FsStatfs } from '../vmm/ninep/backend.js';
import { UsageError } from './errors.js';

/** O_PATH (not in Node's constants): the same value on x86-64, arm64, riscv64, ppc64, s390x. */
const O_PATH = 0o10000000;
const { O_NOFOLLOW, O_DIRECTORY, O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_NONBLOCK } = constants;
const O_SYNC = constants.O_SYNC ?? 0;
const O_CLOEXEC = 0o2000000;

/** Node's error codes to Linux errno numbers (what the guest gets, whatever the host is). */
const ERRNO_BY_CODE: Record<string, number> = Errno as unknown as Record<string, number>;

function fsError(e: unknown): FsError {
  if (e instanceof FsError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EWOULDBLOCK') return new FsError(Errno.EAGAIN);
  if (code === 'ENOTSUP') return new FsError(Errno.EOPNOTSUPP);
  const n = code !== undefined ? ERRNO_BY_CODE[code] : undefined;
  return new FsError(n ?? Errno.EIO, (e as Error).message);
}

/** Runs `f`, turning what Node throws into an FsError. */
function sys<R>(f: () => R): R {
  try {
    return f();
  } catch (e) {
    throw fsError(e);
  }
}

const proc = (fd: number): string => `/proc/self/fd/${fd}`;
function at(dirFd: number, name: FsName): Buffer {
  return Buffer.concat([Buffer.from(`/proc/self/fd/${dirFd}/`), name]);
}

function toStat(s: BigIntStats): FsStat {
  return {
    mode: Number(s.mode), uid: Number(s.uid), gid: Number(s.gid), nlink: s.nlink, rdev: s.rdev, size: s.size,
    blksize: s.blksize, blocks: s.blocks, atimeNs: s.atimeNs, mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs, ino: s.ino, dev: s.dev,
  };
}

class HostFile implements FsHandle {
  constructor(private fd: number) {}
  read(position: number, dst: Uint8Array): number {
    return sys(() => readSync(this.fd, dst, 0, dst.length, position));
  }
  write(position: number, src: Uint8Array): number {
    return sys(() => writeSync(this.fd, src, 0, src.length, position));
  }
  stat(): FsStat {
    return toStat(sys(() => fstatSync(this.fd, { bigint: true })));
  }
  truncate(size: number): void {
    sys(() => ftruncateSync(this.fd, size));
  }
  sync(dataOnly: boolean): void {
    sys(() => (dataOnly ? fdatasyncSync(this.fd) : fsyncSync(this.fd)));
  }
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
  /** For setattr on an open file. */
  get descriptor(): number {
    return this.fd;
  }
}

export class HostDirBackend implements FsBackend {
  private readonly rootFd: number;

  constructor(readonly root: string, readonly readOnly: boolean) {
    if (!existsSync('/proc/self/fd')) throw new UsageError(`9p: sharing '${root}' needs Linux's /proc/self/fd`);
    let fd: number;
    try {
      fd = openSync(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(`9p: cannot share '${root}': ${code === 'ENOENT' ? 'no such directory' : code === 'ENOTDIR' ? 'not a directory' : (e as Error).message}`);
    }
    this.rootFd = fd;
  }

  close(): void {
    closeSync(this.rootFd);
  }

  /** An O_PATH descriptor of the directory at `path`, reached without following any symlink; close it after. */
  private openDir(path: FsPath): number {
    let fd = sys(() => openSync(proc(this.rootFd), O_PATH | O_DIRECTORY | O_CLOEXEC));
    try {
      for (const name of path) {
        const next = sys(() => openSync(at(fd, name), O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC));
        closeSync(fd);
        fd = next;
      }
      return fd;
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** Runs `f` with the parent directory's descriptor and the last name (the root has none: EBUSY). */
  private inParent<R>(path: FsPath, f: (dirFd: number, name: FsName) => R): R {
    if (path.length === 0) throw new FsError(Errno.EBUSY, 'the share root');
    const dfd = this.openDir(path.slice(0, -1));
    try {
      return sys(() => f(dfd, path[path.length - 1]!));
    } finally {
      closeSync(dfd);
    }
  }

  private inDir<R>(dir: FsPath, f: (dirFd: number) => R): R {
    const dfd = this.openDir(dir);
    try {
      return sys(() => f(dfd));
    } finally {
      closeSync(dfd);
    }
  }

  /** An O_PATH descriptor of the node itself (a symlink is opened as itself). */
  private openNode(path: FsPath): number {
    if (path.length === 0) return this.openDir([]);
    return this.inParent(path, (dfd, name) => openSync(at(dfd, name), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  }

  private rw(flags: FsOpenFlags): number {
    const acc = flags.read && flags.write ? O_RDWR : flags.write ? O_WRONLY : O_RDONLY;
    return acc | (flags.truncate ? O_TRUNC : 0) | (flags.append ? O_APPEND : 0) | (flags.sync ? O_SYNC : 0);
  }

  lstat(path: FsPath): FsStat {
    if (path.length === 0) return this.inDir([], (dfd) => toStat(fstatSync(dfd, { bigint: true })));
    return this.inParent(path, (dfd, name) => toStat(lstatSync(at(dfd, name), { bigint: true })));
  }

  open(path: FsPath, flags: FsOpenFlags): FsHandle {
    this.checkWrite(flags.write || flags.truncate);
    return this.inParent(path, (dfd, name) => {
      // O_NONBLOCK: a FIFO swapped in after the type check cannot block the VMM; regular files ignore it
      const fd = openSync(at(dfd, name), this.rw(flags) | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
      const st = fstatSync(fd);
      if ((st.mode & S_IFMT) !== S_IFREG) {
        closeSync(fd);
        throw new FsError(Errno.EOPNOTSUPP, 'only regular files are opened');
      }
      return new HostFile(fd);
    });
  }

  create(dir: FsPath, name: FsName, flags: FsOpenFlags, mode: number): FsHandle {
    this.checkWrite(true);
    return this.inDir(dir, (dfd) => new HostFile(openSync(at(dfd, name), this.rw(flags) | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)));
  }

  mkdir(dir: FsPath, name: FsName, mode: number): void {
    this.checkWrite(true);
    this.inDir(dir, (dfd) => mkdirSync(at(dfd, name), mode));
  }

  symlink(dir: FsPath, name: FsName, target: Uint8Array): void {
    this.checkWrite(true);
    // The target is only text to the host: nothing here ever follows it.
    this.inDir(dir, (dfd) => symlinkSync(Buffer.from(target), at(dfd, name)));
  }

  link(target: FsPath, dir: FsPath, name: FsName): void {
    this.checkWrite(true);
    // link(2) does not follow a symlink given as the old name; the new name's directory is reached safely too
    this.inParent(target, (tfd, tname) => this.inDir(dir, (dfd) => linkSync(at(tfd, tname), at(dfd, name))));
  }

  readlink(path: FsPath): Uint8Array {
    return this.inParent(path, (dfd, name) => readlinkSync(at(dfd, name), { encoding: 'buffer' }));
  }

  rename(oldDir: FsPath, oldName: FsName, newDir: FsPath, newName: FsName): void {
    this.checkWrite(true);
    this.inDir(oldDir, (ofd) => this.inDir(newDir, (nfd) => renameSync(at(ofd, oldName), at(nfd, newName))));
  }

  unlink(dir: FsPath, name: FsName, directory: boolean): void {
    this.checkWrite(true);
    this.inDir(dir, (dfd) => (directory ? rmdirSync(at(dfd, name)) : unlinkSync(at(dfd, name))));
  }

  setattr(path: FsPath, change: FsAttrChange, handle: FsHandle | null): void {
    this.checkWrite(true);
    const fd = this.openNode(path);
    try {
      const st = sys(() => fstatSync(fd, { bigint: true }));
      const isLink = (Number(st.mode) & S_IFMT) === S_IFLNK;
      if (change.mode !== undefined) {
        if (isLink) throw new FsError(Errno.EOPNOTSUPP, 'chmod of a symlink');
        if (handle instanceof HostFile) sys(() => fchmodSync(handle.descriptor, change.mode!));
        else sys(() => chmodSync(proc(fd), change.mode!));
      }
      if (change.size !== undefined) {
        if (isLink) throw new FsError(Errno.EINVAL);
        if (handle) handle.truncate(change.size);
        else sys(() => truncateSync(proc(fd), change.size));
      }
      if (change.atime !== undefined || change.mtime !== undefined) {
        const now = BigInt(Date.now()) * 1_000_000n;
        const pick = (v: bigint | 'now' | undefined, old: bigint): number => Number(v === undefined ? old : v === 'now' ? now : v) / 1e9;
        const a = pick(change.atime, st.atimeNs), m = pick(change.mtime, st.mtimeNs);
        if (isLink) this.inParent(path, (dfd, name) => lutimesSync(at(dfd, name), a, m));
        else sys(() => utimesSync(proc(fd), a, m));
      }
    } finally {
      closeSync(fd);
    }
  }

  statfs(path: FsPath): FsStatfs {
    const fd = this.openNode(path);
    try {
      const s = sys(() => statfsSync(proc(fd), { bigint: true }));
      return {
        type: Number(s.type & 0xffffffffn), bsize: Number(s.bsize), blocks: s.blocks, bfree: s.bfree, bavail: s.bavail,
        files: s.files, ffree: s.ffree, namelen: 255,
      };
    } finally {
      closeSync(fd);
    }
  }

  readdir(path: FsPath): FsDirReader {
    const dfd = this.openDir(path);
    let dir: Dir;
    try {
      dir = sys(() => opendirSync(proc(dfd), { encoding: 'buffer' as BufferEncoding, bufferSize: 64 }));
    } catch (e) {
      closeSync(dfd);
      throw e;
    }
    let closed = false;
    return {
      next(): { name: FsName; stat: FsStat } | null {
        for (;;) {
          const e = sys(() => dir.readSync());
          if (!e) return null;
          const name = e.name as unknown as Buffer;
          try {
            return { name, stat: toStat(lstatSync(at(dfd, name), { bigint: true })) };
          } catch {
            continue; // removed since the directory was read
          }
        }
      },
      close(): void {
        if (closed) return;
        closed = true;
        try { dir.closeSync(); } catch { /* already closed */ }
        closeSync(dfd);
      },
    };
  }

  private checkWrite(write: boolean): void {
    if (write && this.readOnly) throw new FsError(Errno.EROFS, 'read-only share');
  }
}

