// A 9P2000.L server (the dialect Linux's v9fs speaks over trans=virtio), on an FsBackend. One request in, one
// reply out, synchronously: the virtio-9p device hands it each message in a buffer it owns and gives the room the
// guest left for the answer. Everything the guest controls is bounded here: message sizes (msize is negotiated
// down to MAX_MSIZE, replies never exceed it or the guest's buffer), the fid table, open host files, directory
// listings (a sliding window) and POSIX locks. Names from the guest are checked before the backend sees them
// ('..' is the parent, clamped at the root; '/' or NUL in a name is EINVAL), so a walk never leaves the share
// whatever it asks. A read-only share refuses every change with EROFS before the backend is asked.
import {
  Errno, FsError, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG,
  type FsBackend, type FsDirReader, type FsHandle, type FsName, type FsOpenFlags, type FsStat,
} from './backend.js';
import type { StateObject } from '../../kvm/index.js';
import type { StateReader } from '../snapshot/value.js';

/** The largest msize the server agrees to (Linux's virtio transport offers up to about 500 KiB). */
export const MAX_MSIZE = 512 * 1024;
const MIN_MSIZE = 4096;
export const NOFID = 0xffffffff;
const MAXWELEM = 16;
const HEADER = 7; // size[4] type[1] tag[2]
const IOHDR = 11; // Rread / Rreaddir: header + count[4]
const MAX_NAME = 255;
const MAX_SYMLINK = 4095;
const DIR_WINDOW = 256;

/** Message types (Linux include/net/9p/9p.h). */
export const T = {
  lerror: 6, statfs: 8, lopen: 12, lcreate: 14, symlink: 16, mknod: 18, rename: 20, readlink: 22, getattr: 24,
  setattr: 26, xattrwalk: 30, xattrcreate: 32, readdir: 40, fsync: 50, lock: 52, getlock: 54, link: 70, mkdir: 72,
  renameat: 74, unlinkat: 76, version: 100, auth: 102, attach: 104, flush: 108, walk: 110, read: 116, write: 118,
  clunk: 120, remove: 122,
} as const;

const QT_DIR = 0x80, QT_SYMLINK = 0x02, QT_FILE = 0;
const GETATTR_BASIC = 0x7ffn;
const SETATTR = { MODE: 0x1, UID: 0x2, GID: 0x4, SIZE: 0x8, ATIME: 0x10, MTIME: 0x20, ATIME_SET: 0x80, MTIME_SET: 0x100 } as const;
const AT_REMOVEDIR = 0x200;
const DOTL = { WRONLY: 1, RDWR: 2, ACCMODE: 3, TRUNC: 0o1000, APPEND: 0o2000, DSYNC: 0o10000, SYNC: 0o4000000 } as const;
const LOCK = { RDLCK: 0, WRLCK: 1, UNLCK: 2, SUCCESS: 0, BLOCKED: 1, ERROR: 2 } as const;
/** Mode bits the guest may set on host files: setuid and setgid are dropped (files stay the host user's). */
const MODE_MASK = 0o1777;

export interface NinepServerOptions {
  readOnly?: boolean;
  /** fids at most (each dentry the guest caches holds one) */
  maxFids?: number;
  /** open host files at most (lopen/lcreate beyond it: EMFILE) */
  maxOpen?: number;
  /** POSIX lock records at most over all files */
  maxLocks?: number;
}

interface DirState {
  reader: FsDirReader | null;
  /** listing index of entries[0]; index 0 is ".", 1 is "..", then the backend's entries */
  base: number;
  entries: { name: FsName; stat: FsStat }[];
  done: boolean;
}

interface Fid {
  path: FsName[];
  opened: boolean;
  handle: FsHandle | null;
  writable: boolean;
  /** how the file was opened (to open it again after a snapshot's restore) */
  flags?: FsOpenFlags;
  dir: DirState | null;
}

interface LockRecord {
  owner: string;
  procId: number;
  clientId: Uint8Array;
  type: number;
  start: bigint;
  /** inclusive; 2^64-1 for "to the end" */
  end: bigint;
}

class Malformed extends Error {}
class NoRoom extends Error {}

const DOT = Uint8Array.of(0x2e);
const DOTDOT = Uint8Array.of(0x2e, 0x2e);
const MAX_END = (1n << 64n) - 1n;

function sameName(a: FsName, b: FsName): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function isPrefix(prefix: readonly FsName[], path: readonly FsName[]): boolean {
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i++) if (!sameName(prefix[i]!, path[i]!)) return false;
  return true;
}

/** Little-endian reader over one request, bounds-checked (a short message is Malformed). */
class Reader {
  private readonly dv: DataView;
  pos = HEADER;
  constructor(private readonly buf: Uint8Array) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
  }
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Malformed();
  }
  u8(): number { this.need(1); return this.dv.getUint8(this.pos++); }
  u16(): number { this.need(2); const v = this.dv.getUint16(this.pos, true); this.pos += 2; return v; }
  u32(): number { this.need(4); const v = this.dv.getUint32(this.pos, true); this.pos += 4; return v; }
  u64(): bigint { this.need(8); const v = this.dv.getBigUint64(this.pos, true); this.pos += 8; return v; }
  bytes(n: number): Uint8Array { this.need(n); const b = this.buf.subarray(this.pos, this.pos + n); this.pos += n; return b; }
  str(): Uint8Array { return this.bytes(this.u16()); }
  rest(): number { return this.buf.length - this.pos; }
}

/** Little-endian writer into the reply buffer; running out of room is NoRoom. */
class Writer {
  private readonly dv: DataView;
  pos = HEADER;
  constructor(readonly buf: Uint8Array) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
  }
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new NoRoom();
  }
  u8(v: number): void { this.need(1); this.dv.setUint8(this.pos++, v); }
  u16(v: number): void { this.need(2); this.dv.setUint16(this.pos, v, true); this.pos += 2; }
  u32(v: number): void { this.need(4); this.dv.setUint32(this.pos, v >>> 0, true); this.pos += 4; }
  u64(v: bigint): void { this.need(8); this.dv.setBigUint64(this.pos, BigInt.asUintN(64, v), true); this.pos += 8; }
  /** consecutive fields of one width, as the reply layouts list them */
  u32s(...vs: number[]): void { for (const v of vs) this.u32(v); }
  u64s(...vs: bigint[]): void { for (const v of vs) this.u64(v); }
  bytes(b: Uint8Array): void { this.need(b.length); this.buf.set(b, this.pos); this.pos += b.length; }
  str(b: Uint8Array): void { this.u16(b.length); this.bytes(b); }
}

const ASCII = new TextEncoder();
const VERSION_L = ASCII.encode('9P2000.L');
const VERSION_UNKNOWN = ASCII.encode('unknown');

export class NinepServer {
  readonly readOnly: boolean;
  private readonly maxFids: number;
  private readonly maxOpen: number;
  private readonly maxLocks: number;
  private msize = 0;
  private readonly fids = new Map<number, Fid>();
  private openCount = 0;
  private readonly locks = new Map<bigint, LockRecord[]>();
  private lockCount = 0;
  /** host device -> small index mixed into qid paths, so two file systems under the share do not collide */
  private readonly devices = new Map<bigint, bigint>();

  constructor(private readonly fs: FsBackend, opts: NinepServerOptions = {}) {
    this.readOnly = opts.readOnly ?? false;
    this.maxFids = opts.maxFids ?? 65536;
    this.maxOpen = opts.maxOpen ?? 512;
    this.maxLocks = opts.maxLocks ?? 4096;
  }

  /** The negotiated msize (0 before Tversion): requests larger than it are refused. */
  get negotiatedMsize(): number {
    return this.msize;
  }

  /**
   * The session for a VM snapshot: msize, every fid by its path (whether open, and how) and the POSIX locks. Host
   * descriptors cannot be saved: loadState opens the files again by path (without truncating). A file that is
   * gone by then (deleted while open, or since) loses its fid, and the guest's next use of it fails with EBADF.
   */
  saveState(): StateObject {
    return {
      msize: this.msize,
      fids: [...this.fids].map(([id, f]) => ({
        id, path: f.path.map((n) => n.slice()), opened: f.opened, dir: f.dir !== null, writable: f.writable,
        flags: f.flags ? { ...f.flags } : null,
      })),
      locks: [...this.locks].map(([key, list]) => ({
        key, records: list.map((l) => ({ owner: l.owner, procId: l.procId, clientId: l.clientId.slice(), type: l.type, start: l.start, end: l.end })),
      })),
      // the qid paths the guest has seen mix these in: they must mean the same devices after the restore
      devices: [...this.devices].map(([dev, index]) => [dev, index]),
    };
  }

  loadState(r: StateReader): void {
    this.resetSession();
    this.msize = r.int('msize');
    for (const fr of r.records('fids')) {
      const path = fr.list('path').map((n) => {
        if (!(n instanceof Uint8Array) || n.length === 0 || n.includes(0x2f) || n.includes(0)) throw new FsError(Errno.EINVAL, 'bad saved name');
        return n;
      });
      const f: Fid = { path, opened: false, handle: null, writable: false, dir: null };
      if (fr.bool('opened')) {
        if (fr.bool('dir')) {
          f.opened = true;
          f.dir = { reader: null, base: 0, entries: [], done: false }; // a listing in progress starts again
        } else {
          const fl = fr.sub('flags');
          const flags: FsOpenFlags = { read: fl.bool('read'), write: fl.bool('write'), truncate: false, append: fl.bool('append'), sync: fl.bool('sync') };
          try {
            f.handle = this.fs.open(path, flags);
          } catch {
            continue; // gone: the guest gets EBADF for this fid
          }
          this.openCount++;
          f.opened = true; f.writable = flags.write; f.flags = flags;
        }
      }
      this.fids.set(fr.int('id'), f);
    }
    for (const lr of r.records('locks')) {
      const list: LockRecord[] = lr.records('records').map((l) => ({
        owner: l.str('owner'), procId: l.int('procId'), clientId: l.bytes('clientId'), type: l.int('type'), start: l.big('start'), end: l.big('end'),
      }));
      this.locks.set(lr.big('key'), list);
      this.lockCount += list.length;
    }
    this.devices.clear();
    for (const d of r.list('devices')) {
      if (!Array.isArray(d) || typeof d[0] !== 'bigint' || typeof d[1] !== 'bigint') throw new FsError(Errno.EINVAL, 'bad saved device table');
      this.devices.set(d[0], d[1]);
    }
  }

  /** fids in use (for tests and bounds) */
  get fidCount(): number {
    return this.fids.size;
  }

  /**
   * Answers one T-message (`req` is exactly the message, size field included) into `reply` (the room there is:
   * min(guest buffer, msize)); returns the reply's length, 0 when not even an error fits.
   */
  handle(req: Uint8Array, reply: Uint8Array): number {
    if (req.length < HEADER || reply.length < IOHDR) return 0;
    const type = req[4]!;
    const tag = req[5]! | (req[6]! << 8);
    const size = new DataView(req.buffer, req.byteOffset, 4).getUint32(0, true);
    const r = new Reader(req);
    const w = new Writer(this.msize > 0 && reply.length > this.msize ? reply.subarray(0, this.msize) : reply);
    let errno = 0;
    try {
      if (size !== req.length) throw new Malformed();
      if (type !== T.version && this.msize === 0) throw new FsError(Errno.EPROTO, 'no Tversion yet');
      this.dispatch(type, r, w);
    } catch (e) {
      if (e instanceof FsError) errno = e.errno;
      else if (e instanceof Malformed) errno = Errno.EINVAL;
      else if (e instanceof NoRoom) errno = Errno.ERANGE;
      else throw e;
    }
    if (errno !== 0) {
      w.pos = HEADER;
      w.u32(errno);
      return finish(w, T.lerror + 1, tag);
    }
    return finish(w, type + 1, tag);
  }

  private dispatch(type: number, r: Reader, w: Writer): void {
    switch (type) {
      case T.version: return this.version(r, w);
      case T.auth: throw new FsError(Errno.EOPNOTSUPP, 'no authentication');
      case T.attach: return this.attach(r, w);
      case T.flush: r.u16(); return; // every earlier request has been answered already
      case T.walk: return this.walk(r, w);
      case T.lopen: return this.lopen(r, w);
      case T.lcreate: return this.lcreate(r, w);
      case T.read: return this.read(r, w);
      case T.write: return this.write(r, w);
      case T.clunk: this.clunk(r.u32()); return;
      case T.remove: return this.remove(r);
      case T.getattr: return this.getattr(r, w);
      case T.setattr: return this.setattr(r);
      case T.readdir: return this.readdir(r, w);
      case T.mkdir: return this.mkdir(r, w);
      case T.symlink: return this.symlink(r, w);
      case T.readlink: return this.readlink(r, w);
      case T.link: return this.link(r);
      case T.rename: return this.rename(r);
      case T.renameat: return this.renameat(r);
      case T.unlinkat: return this.unlinkat(r);
      case T.statfs: return this.statfs(r, w);
      case T.fsync: return this.fsync(r);
      case T.lock: return this.lock(r, w);
      case T.getlock: return this.getlock(r, w);
      case T.mknod: this.writable(); throw new FsError(Errno.EOPNOTSUPP, 'mknod');
      case T.xattrwalk: case T.xattrcreate: throw new FsError(Errno.EOPNOTSUPP, 'extended attributes');
      default: throw new FsError(Errno.EOPNOTSUPP, `message type ${type}`);
    }
  }

  // ---- session -------------------------------------------------------------------------------------------

  private version(r: Reader, w: Writer): void {
    const msize = r.u32();
    const version = r.str();
    this.resetSession();
    const ok = msize >= MIN_MSIZE && version.length >= VERSION_L.length && sameName(version.subarray(0, VERSION_L.length), VERSION_L);
    const agreed = Math.min(msize, MAX_MSIZE);
    if (ok) this.msize = agreed;
    w.u32(agreed);
    w.str(ok ? VERSION_L : VERSION_UNKNOWN);
  }

  /** Tversion starts a new session: every fid is clunked, every lock dropped. */
  resetSession(): void {
    for (const id of [...this.fids.keys()]) this.clunk(id);
    this.locks.clear();
    this.lockCount = 0;
    this.msize = 0;
  }

  private attach(r: Reader, w: Writer): void {
    const fid = r.u32();
    const afid = r.u32();
    r.str(); // uname: the share is served as the host user whoever the guest user is
    const aname = r.str();
    if (r.rest() >= 4) r.u32(); // n_uname
    if (afid !== NOFID) throw new FsError(Errno.EINVAL, 'no authentication fids');
    if (aname.length > 0 && !(aname.length === 1 && aname[0] === 0x2f)) throw new FsError(Errno.ENOENT, 'aname');
    const st = this.fs.lstat([]);
    if ((st.mode & S_IFMT) !== S_IFDIR) throw new FsError(Errno.ENOTDIR);
    this.newFid(fid, []);
    this.qid(w, st);
  }

  // ---- fids ----------------------------------------------------------------------------------------------

  private fid(id: number): Fid {
    const f = this.fids.get(id);
    if (!f) throw new FsError(Errno.EBADF, `unknown fid ${id}`);
    return f;
  }

  private newFid(id: number, path: FsName[]): Fid {
    if (id === NOFID) throw new FsError(Errno.EBADF, 'NOFID');
    if (this.fids.has(id)) throw new FsError(Errno.EBADF, `fid ${id} in use`);
    if (this.fids.size >= this.maxFids) throw new FsError(Errno.ENFILE, 'fid table full');
    const f: Fid = { path, opened: false, handle: null, writable: false, dir: null };
    this.fids.set(id, f);
    return f;
  }

  private clunk(id: number): void {
    const f = this.fid(id);
    this.fids.delete(id);
    this.closeFid(f);
  }

  private closeFid(f: Fid): void {
    if (f.handle) {
      this.openCount--;
      try { f.handle.close(); } catch { /* the guest is done with it either way */ }
      f.handle = null;
    }
    f.dir?.reader?.close();
    f.dir = null;
    f.opened = false;
  }

  private writable(): void {
    if (this.readOnly) throw new FsError(Errno.EROFS, 'read-only share');
  }

  // ---- names and qids ------------------------------------------------------------------------------------

  /** A name the guest gives for a new or existing entry: one component, never '.' or '..'. */
  private name(raw: Uint8Array): FsName {
    if (raw.length === 0 || raw.length > MAX_NAME) throw new FsError(raw.length === 0 ? Errno.EINVAL : Errno.ENAMETOOLONG);
    for (const b of raw) if (b === 0 || b === 0x2f) throw new FsError(Errno.EINVAL, 'bad name');
    if (sameName(raw, DOT) || sameName(raw, DOTDOT)) throw new FsError(Errno.EINVAL, 'dot name');
    return raw.slice();
  }

  private qidPath(st: FsStat): bigint {
    let idx = this.devices.get(st.dev);
    if (idx === undefined) {
      idx = BigInt(Math.min(this.devices.size, 255));
      if (this.devices.size < 4096) this.devices.set(st.dev, idx);
    }
    return idx === 0n ? st.ino : (idx << 56n) ^ st.ino;
  }

  private qid(w: Writer, st: FsStat): void {
    const fmt = st.mode & S_IFMT;
    w.u8(fmt === S_IFDIR ? QT_DIR : fmt === S_IFLNK ? QT_SYMLINK : QT_FILE);
    w.u32(0); // version: constant, so Linux keeps one inode per file however often it changes
    w.u64(this.qidPath(st));
  }

  private statOf(f: Fid): FsStat {
    return f.handle ? f.handle.stat() : this.fs.lstat(f.path);
  }

  private dirOf(f: Fid): FsName[] {
    const st = this.statOf(f);
    if ((st.mode & S_IFMT) !== S_IFDIR) throw new FsError(Errno.ENOTDIR);
    return f.path;
  }

  // ---- walk, open, create --------------------------------------------------------------------------------

  private walk(r: Reader, w: Writer): void {
    const id = r.u32();
    const fid = this.fid(id);
    const newId = r.u32();
    const n = r.u16();
    if (n > MAXWELEM) throw new FsError(Errno.EINVAL, 'too many walk elements');
    const names: Uint8Array[] = [];
    for (let i = 0; i < n; i++) names.push(r.str());
    if (newId !== id && this.fids.has(newId)) throw new FsError(Errno.EBADF, `fid ${newId} in use`);
    let path = fid.path.slice();
    const qids: FsStat[] = [];
    for (const raw of names) {
      let next: FsName[];
      if (sameName(raw, DOTDOT)) next = path.slice(0, -1); // at the root, '..' is the root
      else if (sameName(raw, DOT)) next = path;
      else next = [...path, this.name(raw)];
      let st: FsStat;
      try {
        st = this.fs.lstat(next); // below a non-directory or a symlink this fails (ENOTDIR / ELOOP)
      } catch (e) {
        if (qids.length === 0) throw e;
        break; // a partial walk: Rwalk with the qids so far, and no new fid
      }
      qids.push(st);
      path = next;
    }
    if (qids.length === names.length) {
      if (newId === id) {
        if (fid.opened) throw new FsError(Errno.EBUSY, 'walk from an open fid onto itself');
        fid.path = path;
      } else this.newFid(newId, path);
    }
    w.u16(qids.length);
    for (const st of qids) this.qid(w, st);
  }

  private openFlags(flags: number): FsOpenFlags {
    const acc = flags & DOTL.ACCMODE;
    return {
      read: acc !== DOTL.WRONLY,
      write: acc === DOTL.WRONLY || acc === DOTL.RDWR,
      truncate: (flags & DOTL.TRUNC) !== 0,
      append: (flags & DOTL.APPEND) !== 0,
      sync: (flags & (DOTL.SYNC | DOTL.DSYNC)) !== 0,
    };
  }

  private lopen(r: Reader, w: Writer): void {
    const f = this.fid(r.u32());
    const flags = this.openFlags(r.u32());
    if (f.opened) throw new FsError(Errno.EBADF, 'fid already open');
    if (flags.write || flags.truncate) this.writable();
    const st = this.fs.lstat(f.path);
    const fmt = st.mode & S_IFMT;
    if (fmt === S_IFDIR) {
      if (flags.write) throw new FsError(Errno.EISDIR);
      f.opened = true;
      f.dir = { reader: null, base: 0, entries: [], done: false };
    } else {
      if (this.openCount >= this.maxOpen) throw new FsError(Errno.EMFILE, 'too many open files');
      f.handle = this.fs.open(f.path, flags);
      this.openCount++;
      f.opened = true;
      f.writable = flags.write;
      f.flags = flags;
    }
    this.qid(w, f.handle ? f.handle.stat() : st);
    w.u32(0); // iounit: msize - 24 (Linux's default)
  }

  private lcreate(r: Reader, w: Writer): void {
    const f = this.fid(r.u32());
    const name = this.name(r.str());
    const flags = this.openFlags(r.u32());
    const mode = r.u32();
    r.u32(); // gid: files are the host user's
    this.writable();
    if (f.opened) throw new FsError(Errno.EBADF, 'fid already open');
    const dir = this.dirOf(f);
    if (this.openCount >= this.maxOpen) throw new FsError(Errno.EMFILE, 'too many open files');
    const handle = this.fs.create(dir, name, flags, mode & MODE_MASK);
    this.openCount++;
    f.path = [...dir, name];
    f.handle = handle;
    f.opened = true;
    f.writable = flags.write;
    f.flags = flags;
    this.qid(w, handle.stat());
    w.u32(0);
  }

  // ---- data ----------------------------------------------------------------------------------------------

  private read(r: Reader, w: Writer): void {
    const f = this.fid(r.u32());
    const offset = r.u64();
    const count = r.u32();
    if (!f.handle) throw new FsError(f.dir ? Errno.EISDIR : Errno.EBADF);
    if (offset > BigInt(Number.MAX_SAFE_INTEGER)) throw new FsError(Errno.EINVAL);
    const room = w.buf.length - IOHDR;
    const n = f.handle.read(Number(offset), w.buf.subarray(IOHDR, IOHDR + Math.min(count, room)));
    w.u32(n);
    w.pos += n;
  }

  private write(r: Reader, w: Writer): void {
    const f = this.fid(r.u32());
    const offset = r.u64();
    const count = r.u32();
    const data = r.bytes(count);
    this.writable();
    if (!f.handle || !f.writable) throw new FsError(Errno.EBADF);
    if (offset + BigInt(count) > BigInt(Number.MAX_SAFE_INTEGER)) throw new FsError(Errno.EFBIG);
    w.u32(f.handle.write(Number(offset), data));
  }

  private fsync(r: Reader): void {
    const f = this.fid(r.u32());
    const dataOnly = r.rest() >= 4 ? r.u32() !== 0 : false;
    if (f.handle) f.handle.sync(dataOnly);
  }

  // ---- attributes ----------------------------------------------------------------------------------------

  private getattr(r: Reader, w: Writer): void {
    const f = this.fid(r.u32());
    r.u64(); // request mask: the basic set is always there
    const st = this.statOf(f);
    w.u64(GETATTR_BASIC);
    this.qid(w, st);
    w.u32s(st.mode, st.uid, st.gid);
    w.u64s(st.nlink, st.rdev, st.size, st.blksize, st.blocks);
    for (const ns of [st.atimeNs, st.mtimeNs, st.ctimeNs, 0n]) w.u64s(ns / 1_000_000_000n, ns % 1_000_000_000n); // atime mtime ctime btime
    w.u64s(0n, 0n); // gen, data_version
  }

  private setattr(r: Reader): void {
    const f = this.fid(r.u32());
    const valid = r.u32();
    const mode = r.u32();
    r.u32(); // uid
    r.u32(); // gid
    const size = r.u64();
    const atime = r.u64() * 1_000_000_000n + r.u64();
    const mtime = r.u64() * 1_000_000_000n + r.u64();
    this.writable();
    const change: { mode?: number; size?: number; atime?: bigint | 'now'; mtime?: bigint | 'now' } = {};
    if (valid & SETATTR.MODE) change.mode = mode & MODE_MASK;
    if (valid & SETATTR.SIZE) {
      if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new FsError(Errno.EFBIG);
      change.size = Number(size);
    }
    if (valid & SETATTR.ATIME) change.atime = valid & SETATTR.ATIME_SET ? atime : 'now';
    if (valid & SETATTR.MTIME) change.mtime = valid & SETATTR.MTIME_SET ? mtime : 'now';
    // UID/GID: as QEMU's security_model=none, ownership stays the host user's and the request is not an error
    if (change.mode === undefined && change.size === undefined && change.atime === undefined && change.mtime === undefined) {
      this.statOf(f); // still an error for a fid whose file is gone
      return;
    }
    this.fs.setattr(f.path, change, f.handle);
  }

  private statfs(r: Reader, w: Writer): void {
    const f = this.fid(r.u32());
    const s = this.fs.statfs(f.path);
    w.u32s(s.type, s.bsize);
    w.u64s(s.blocks, s.bfree, s.bavail, s.files, s.ffree, 0n); // ..., fsid
    w.u32(s.namelen);
  }

  // ---- directories ---------------------------------------------------------------------------------------

  private readdir(r: Reader, w: Writer): void {
    const f = this.fid(r.u32());
    const offset = r.u64();
    const count = r.u32();
    if (!f.dir) throw new FsError(f.opened ? Errno.ENOTDIR : Errno.EBADF);
    const limit = Math.min(count, w.buf.length - IOHDR);
    const countAt = w.pos;
    w.u32(0);
    const start = w.pos;
    let used = 0;
    for (let i = offset > 1n << 40n ? Number.MAX_SAFE_INTEGER : Number(offset); ; i++) {
      const e = this.entryAt(f, i);
      if (!e) break;
      const need = 13 + 8 + 1 + 2 + e.name.length;
      if (used + need > limit) break;
      this.qid(w, e.stat);
      w.u64(BigInt(i + 1));
      w.u8(dirType(e.stat.mode));
      w.str(e.name);
      used += need;
    }
    new DataView(w.buf.buffer, w.buf.byteOffset).setUint32(countAt, w.pos - start, true);
  }

  /** Entry `i` of the fid's listing (0 ".", 1 "..", then the backend's), reading on or restarting as needed. */
  private entryAt(f: Fid, i: number): { name: FsName; stat: FsStat } | null {
    const d = f.dir!;
    if (i === Number.MAX_SAFE_INTEGER) return null;
    if (i < d.base) {
      d.reader?.close();
      d.reader = null;
      d.base = 0;
      d.entries = [];
      d.done = false;
    }
    while (d.base + d.entries.length <= i) {
      if (d.done) return null;
      const at = d.base + d.entries.length;
      let e: { name: FsName; stat: FsStat } | null;
      if (at === 0) e = { name: DOT, stat: this.fs.lstat(f.path) };
      else if (at === 1) e = { name: DOTDOT, stat: this.fs.lstat(f.path.slice(0, -1)) };
      else {
        d.reader ??= this.fs.readdir(f.path);
        e = d.reader.next();
      }
      if (!e) {
        d.done = true;
        d.reader?.close();
        d.reader = null;
        return null;
      }
      d.entries.push(e);
      if (d.entries.length > DIR_WINDOW) {
        d.entries = d.entries.slice(DIR_WINDOW / 2);
        d.base += DIR_WINDOW / 2;
      }
    }
    return d.entries[i - d.base]!;
  }

  /** `dfid[4] name[s]`: a directory fid and a checked name in it, as every request that makes or removes a name starts */
  private entry(r: Reader): { dir: FsName[]; name: FsName } {
    const dir = this.dirOf(this.fid(r.u32()));
    return { dir, name: this.name(r.str()) };
  }

  private mkdir(r: Reader, w: Writer): void {
    const { dir, name } = this.entry(r);
    const mode = r.u32();
    r.u32();
    this.writable();
    this.fs.mkdir(dir, name, mode & MODE_MASK);
    this.qid(w, this.fs.lstat([...dir, name])); // the new node
  }

  private symlink(r: Reader, w: Writer): void {
    const { dir, name } = this.entry(r);
    const target = r.str();
    r.u32();
    this.writable();
    if (target.length === 0 || target.length > MAX_SYMLINK || target.includes(0)) throw new FsError(Errno.EINVAL, 'symlink target');
    this.fs.symlink(dir, name, target.slice());
    this.qid(w, this.fs.lstat([...dir, name])); // the new node
  }

  private readlink(r: Reader, w: Writer): void {
    const f = this.fid(r.u32());
    w.str(this.fs.readlink(f.path));
  }

  private link(r: Reader): void {
    const dir = this.dirOf(this.fid(r.u32()));
    const target = this.fid(r.u32());
    const name = this.name(r.str());
    this.writable();
    if (target.path.length === 0) throw new FsError(Errno.EPERM);
    this.fs.link(target.path, dir, name);
  }

  private rename(r: Reader): void {
    const f = this.fid(r.u32());
    const { dir, name } = this.entry(r);
    this.writable();
    if (f.path.length === 0) throw new FsError(Errno.EBUSY, 'the root');
    this.doRename(f.path.slice(0, -1), f.path[f.path.length - 1]!, dir, name);
  }

  private renameat(r: Reader): void {
    const from = this.entry(r);
    const to = this.entry(r);
    this.writable();
    this.doRename(from.dir, from.name, to.dir, to.name);
  }

  /** Renames on the host, then moves every fid under the old name along (fids are paths). */
  private doRename(oldDir: FsName[], oldName: FsName, newDir: FsName[], newName: FsName): void {
    this.fs.rename(oldDir, oldName, newDir, newName);
    const from = [...oldDir, oldName];
    const to = [...newDir, newName];
    for (const f of this.fids.values()) {
      if (isPrefix(from, f.path)) f.path = [...to, ...f.path.slice(from.length)];
    }
  }

  private unlinkat(r: Reader): void {
    const { dir, name } = this.entry(r);
    const flags = r.u32();
    this.writable();
    this.fs.unlink(dir, name, (flags & AT_REMOVEDIR) !== 0);
  }

  private remove(r: Reader): void {
    const id = r.u32();
    const f = this.fid(id);
    try {
      this.writable();
      if (f.path.length === 0) throw new FsError(Errno.EBUSY, 'the root');
      const st = this.fs.lstat(f.path);
      this.fs.unlink(f.path.slice(0, -1), f.path[f.path.length - 1]!, (st.mode & S_IFMT) === S_IFDIR);
    } finally {
      this.clunk(id); // Tremove clunks the fid whether or not the removal worked
    }
  }

  // ---- POSIX locks: kept here, between the guest's processes (the host's other users do not see them) ----

  private lock(r: Reader, w: Writer): void {
    const f = this.fid(r.u32());
    const type = r.u8();
    r.u32(); // flags (BLOCK: the client retries on BLOCKED)
    const start = r.u64();
    const length = r.u64();
    const procId = r.u32();
    const clientId = r.str().slice();
    const key = this.qidPath(this.statOf(f));
    const owner = lockOwner(procId, clientId);
    const end = length === 0n ? MAX_END : start + length - 1n;
    let status: number = LOCK.SUCCESS;
    if (type === LOCK.UNLCK) this.unlockRange(key, owner, start, end);
    else if (type === LOCK.RDLCK || type === LOCK.WRLCK) {
      const list = this.locks.get(key) ?? [];
      if (list.some((l) => l.owner !== owner && l.start <= end && start <= l.end && (l.type === LOCK.WRLCK || type === LOCK.WRLCK))) {
        status = LOCK.BLOCKED;
      } else if (this.lockCount + 2 > this.maxLocks) status = LOCK.ERROR;
      else {
        this.unlockRange(key, owner, start, end);
        const now = this.locks.get(key) ?? [];
        now.push({ owner, procId, clientId, type, start, end });
        this.locks.set(key, now);
        this.lockCount++;
      }
    } else throw new FsError(Errno.EINVAL, 'lock type');
    w.u8(status);
  }

  /** Drops `owner`'s locks over [start, end], keeping the parts outside it. */
  private unlockRange(key: bigint, owner: string, start: bigint, end: bigint): void {
    const list = this.locks.get(key);
    if (!list) return;
    const out: LockRecord[] = [];
    for (const l of list) {
      if (l.owner !== owner || l.end < start || l.start > end) { out.push(l); continue; }
      if (l.start < start) out.push({ ...l, end: start - 1n });
      if (l.end > end) out.push({ ...l, start: end + 1n });
    }
    this.lockCount += out.length - list.length;
    if (out.length) this.locks.set(key, out);
    else this.locks.delete(key);
  }

  private getlock(r: Reader, w: Writer): void {
    const f = this.fid(r.u32());
    const type = r.u8();
    const start = r.u64();
    const length = r.u64();
    const procId = r.u32();
    const clientId = r.str();
    const owner = lockOwner(procId, clientId);
    const end = length === 0n ? MAX_END : start + length - 1n;
    const list = this.locks.get(this.qidPath(this.statOf(f))) ?? [];
    const c = list.find((l) => l.owner !== owner && l.start <= end && start <= l.end && (l.type === LOCK.WRLCK || type === LOCK.WRLCK));
    if (c) {
      w.u8(c.type);
      w.u64(c.start);
      w.u64(c.end === MAX_END ? 0n : c.end - c.start + 1n);
      w.u32(c.procId);
      w.str(c.clientId);
    } else {
      w.u8(LOCK.UNLCK);
      w.u64(start);
      w.u64(length);
      w.u32(procId);
      w.str(clientId);
    }
  }
}

function lockOwner(procId: number, clientId: Uint8Array): string {
  return `${procId}/${Array.from(clientId).join(',')}`;
}

function dirType(mode: number): number {
  switch (mode & S_IFMT) {
    case S_IFDIR: return 4;
    case S_IFREG: return 8;
    case S_IFLNK: return 10;
    case 0o010000: return 1; // FIFO
    case 0o020000: return 2; // character device
    case 0o060000: return 6; // block device
    case 0o140000: return 12; // socket
    default: return 0;
  }
}

function finish(w: Writer, type: number, tag: number): number {
  const dv = new DataView(w.buf.buffer, w.buf.byteOffset, HEADER);
  dv.setUint32(0, w.pos, true);
  dv.setUint8(4, type);
  dv.setUint16(5, tag, true);
  return w.pos;
}
