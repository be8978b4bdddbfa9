// The 9P2000.L server with crafted messages, on the real host-directory backend over a temporary directory:
// message framing and sizes, fids, walks that try to leave the share ('..', symlinks, a symlink swapped in after
// the walk), read-only shares, the bounds (msize, fids, open files) and POSIX locks. The host side checks results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NinepServer, T, MAX_MSIZE, NOFID } from '../../src/vmm/ninep/server.js';
import { Errno } from '../../src/vmm/ninep/backend.js';
import { HostDirBackend } from '../../src/cli/ninep-host.js';
import { decodeState, encodeState, StateReader } from '../../src/vmm/snapshot/value.js';

type Field = ['u8' | 'u16' | 'u32', number] | ['u64', bigint | number] | ['s', string | Uint8Array] | ['raw', Uint8Array];

function msg(type: number, fields: Field[], tag = 1): Uint8Array {
  const parts: number[] = [];
  const le = (v: bigint, n: number): void => { for (let i = 0; i < n; i++) parts.push(Number((v >> BigInt(8 * i)) & 0xffn)); };
  for (const [k, v] of fields) {
    if (k === 'u8') le(BigInt(v), 1);
    else if (k === 'u16') le(BigInt(v), 2);
    else if (k === 'u32') le(BigInt(v), 4);
    else if (k === 'u64') le(BigInt(v), 8);
    else if (k === 's') { const b = typeof v === 'string' ? new TextEncoder().encode(v) : v; le(BigInt(b.length), 2); parts.push(...b); }
    else parts.push(...(v as Uint8Array));
  }
  const out = new Uint8Array(7 + parts.length);
  new DataView(out.buffer).setUint32(0, out.length, true);
  out[4] = type;
  new DataView(out.buffer).setUint16(5, tag, true);
  out.set(parts, 7);
  return out;
}

class Reply {
  readonly dv: DataView;
  pos = 7;
  constructor(readonly b: Uint8Array) { this.dv = new DataView(b.buffer, b.byteOffset, b.length); }
  get type(): number { return this.b[4]!; }
  get tag(): number { return this.dv.getUint16(5, true); }
  u8(): number { return this.dv.getUint8(this.pos++); }
  u16(): number { const v = this.dv.getUint16(this.pos, true); this.pos += 2; return v; }
  u32(): number { const v = this.dv.getUint32(this.pos, true); this.pos += 4; return v; }
  u64(): bigint { const v = this.dv.getBigUint64(this.pos, true); this.pos += 8; return v; }
  str(): string { const n = this.u16(); const s = new TextDecoder().decode(this.b.subarray(this.pos, this.pos + n)); this.pos += n; return s; }
  qid(): { type: number; path: bigint } { const type = this.u8(); this.u32(); return { type, path: this.u64() }; }
}

class Client {
  constructor(readonly server: NinepServer, readonly room = MAX_MSIZE) {}
  raw(req: Uint8Array, room = this.room): Reply {
    const buf = new Uint8Array(room);
    const n = this.server.handle(req, buf);
    assert.ok(n >= 7 || n === 0);
    return new Reply(buf.subarray(0, n));
  }
  rpc(type: number, fields: Field[]): Reply {
    const r = this.raw(msg(type, fields));
    assert.equal(r.tag, 1);
    return r;
  }
  /** the reply, which must not be an error */
  ok(type: number, fields: Field[]): Reply {
    const r = this.rpc(type, fields);
    if (r.type === T.lerror + 1) assert.fail(`message ${type}: Rlerror ${r.u32()}`);
    assert.equal(r.type, type + 1);
    return r;
  }
  /** the errno of an Rlerror reply */
  err(type: number, fields: Field[]): number {
    const r = this.rpc(type, fields);
    assert.equal(r.type, T.lerror + 1, `message ${type} should fail`);
    return r.u32();
  }
  start(msize = 65536): void {
    const r = this.ok(T.version, [['u32', msize], ['s', '9P2000.L']]);
    assert.equal(r.u32(), Math.min(msize, MAX_MSIZE));
    assert.equal(r.str(), '9P2000.L');
    this.ok(T.attach, [['u32', 0], ['u32', NOFID], ['s', 'root'], ['s', ''], ['u32', 0]]);
  }
  walk(fid: number, newfid: number, ...names: string[]): Reply {
    return this.rpc(T.walk, [['u32', fid], ['u32', newfid], ['u16', names.length], ...names.map((n) => ['s', n] as Field)]);
  }
  walkOk(fid: number, newfid: number, ...names: string[]): { type: number; path: bigint }[] {
    const r = this.walk(fid, newfid, ...names);
    if (r.type === T.lerror + 1) assert.fail(`walk ${names.join('/')}: Rlerror ${r.u32()}`);
    const n = r.u16();
    assert.equal(n, names.length, `walk ${names.join('/')}: only ${n} of ${names.length}`);
    return Array.from({ length: n }, () => r.qid());
  }
  lopen(fid: number, flags: number): Reply { return this.rpc(T.lopen, [['u32', fid], ['u32', flags]]); }
  read(fid: number, offset: number, count: number): Uint8Array {
    const r = this.ok(T.read, [['u32', fid], ['u64', offset], ['u32', count]]);
    const n = r.u32();
    return r.b.slice(r.pos, r.pos + n);
  }
}

const O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_TRUNC = 0o1000;
const QT_DIR = 0x80, QT_SYMLINK = 0x02;

function fixture(opts: { readOnly?: boolean; maxFids?: number; maxOpen?: number } = {}) {
  const top = mkdtempSync(join(tmpdir(), 'rvkvm-9p-'));
  const share = join(top, 'share');
  const outside = join(top, 'outside');
  mkdirSync(join(share, 'sub'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(share, 'hello.txt'), 'hello from the host\n');
  writeFileSync(join(outside, 'secret.txt'), 'SECRET');
  symlinkSync(join(outside, 'secret.txt'), join(share, 'abs'));
  symlinkSync('../outside', join(share, 'rel'));
  const backend = new HostDirBackend(share, opts.readOnly ?? false);
  const server = new NinepServer(backend, opts);
  const c = new Client(server);
  return { top, share, outside, backend, server, c, done: () => { backend.close(); rmSync(top, { recursive: true, force: true }); } };
}

test('9p: version negotiation caps msize; nothing is served before it; a wrong dialect is "unknown"', () => {
  const f = fixture();
  try {
    assert.equal(f.c.err(T.attach, [['u32', 0], ['u32', NOFID], ['s', ''], ['s', ''], ['u32', 0]]), Errno.EPROTO);
    const r = f.c.ok(T.version, [['u32', 16 << 20], ['s', '9P2000.L']]);
    assert.equal(r.u32(), MAX_MSIZE);
    const u = f.c.ok(T.version, [['u32', 8192], ['s', '9P2000.u']]);
    u.u32();
    assert.equal(u.str(), 'unknown');
    assert.equal(f.server.negotiatedMsize, 0);
  } finally { f.done(); }
});

test('9p: bad sizes: a size field that is not the message length, truncated fields, no room for a reply', () => {
  const f = fixture();
  try {
    f.c.start();
    const m = msg(T.getattr, [['u32', 0], ['u64', 0x7ff]]);
    new DataView(m.buffer).setUint32(0, m.length + 10, true);
    let r = f.c.raw(m);
    assert.equal(r.type, T.lerror + 1);
    assert.equal(r.u32(), Errno.EINVAL);
    r = f.c.raw(msg(T.walk, [['u32', 0], ['u32', 1], ['u16', 2], ['s', 'sub']])); // says 2 names, has 1
    assert.equal(r.type, T.lerror + 1);
    assert.equal(r.u32(), Errno.EINVAL);
    assert.equal(f.server.fidCount, 1, 'no fid was made by the malformed walk');
    assert.equal(f.c.raw(msg(T.clunk, [['u32', 0]]), 5).b.length, 0, 'no room for even an error: nothing written');
    assert.equal(f.server.handle(new Uint8Array(3), new Uint8Array(64)), 0);
  } finally { f.done(); }
});

test('9p: unknown fids, a newfid in use, the fid table bound, unknown message types', () => {
  const f = fixture({ maxFids: 3 });
  try {
    f.c.start();
    assert.equal(f.c.err(T.getattr, [['u32', 77], ['u64', 0x7ff]]), Errno.EBADF);
    assert.equal(f.c.err(T.clunk, [['u32', 77]]), Errno.EBADF);
    f.c.walkOk(0, 1);
    assert.equal(f.c.walk(0, 1, 'sub').type, T.lerror + 1, 'newfid 1 is taken');
    f.c.walkOk(0, 2, 'sub');
    const r = f.c.walk(0, 3, 'hello.txt');
    assert.equal(r.type, T.lerror + 1);
    assert.equal(r.u32(), Errno.ENFILE);
    f.c.ok(T.clunk, [['u32', 2]]);
    f.c.walkOk(0, 3, 'hello.txt');
    assert.equal(f.c.err(99, []), Errno.EOPNOTSUPP);
    assert.equal(f.c.err(T.xattrwalk, [['u32', 0], ['u32', 9], ['s', 'user.x']]), Errno.EOPNOTSUPP);
  } finally { f.done(); }
});

test('9p: walks cannot leave the share: ".." stops at the root, "/" in a name is refused, symlinks are not followed', () => {
  const f = fixture();
  try {
    f.c.start();
    const root = f.c.walkOk(0, 1)[0] ?? null;
    void root;
    const up = f.c.walkOk(0, 2, '..', '..', '..');
    const rootQid = f.c.walkOk(0, 3, 'sub', '..');
    assert.equal(up[2]!.path, rootQid[1]!.path, '.. from the root is the root');
    assert.equal(up[2]!.type, QT_DIR);
    let r = f.c.walk(0, 4, '..', 'outside');
    assert.equal(r.type, T.walk + 1);
    assert.equal(r.u16(), 1, 'the sibling of the share is not reachable through ..: only ".." (the root) was walked');
    assert.equal(r.qid().path, rootQid[1]!.path);
    assert.equal(f.c.walk(0, 4, 'outside').u32(), Errno.ENOENT);
    r = f.c.walk(0, 4, '../outside/secret.txt');
    assert.equal(r.type, T.lerror + 1);
    assert.equal(r.u32(), Errno.EINVAL);
    // an absolute symlink: the guest sees a symlink; opening it is ELOOP, its text is just text
    const abs = f.c.walkOk(0, 5, 'abs');
    assert.equal(abs[0]!.type, QT_SYMLINK);
    r = f.c.lopen(5, O_RDONLY);
    assert.equal(r.type, T.lerror + 1);
    assert.equal(r.u32(), Errno.ELOOP);
    const link = f.c.ok(T.readlink, [['u32', 5]]);
    assert.equal(link.str(), join(f.outside, 'secret.txt'));
    // a relative symlink to a directory outside: walking through it fails, partially
    r = f.c.walk(0, 6, 'rel', 'secret.txt');
    assert.equal(r.type, T.walk + 1);
    assert.equal(r.u16(), 1, 'only the symlink itself was walked');
    assert.equal(f.server.fidCount, 5, 'fids 0, 1, 2, 3, 5: the partial walk made none');
    // the guest may create symlinks to anything: they stay text on the host
    f.c.ok(T.symlink, [['u32', 0], ['s', 'guest-link'], ['s', '/etc/passwd'], ['u32', 0]]);
    assert.equal(readlinkSync(join(f.share, 'guest-link')), '/etc/passwd');
    f.c.walkOk(0, 7, 'guest-link');
    assert.equal(f.c.lopen(7, O_RDONLY).u32(), Errno.ELOOP);
  } finally { f.done(); }
});

test('9p: a symlink swapped in between walk and open is not followed (file and directory swaps)', () => {
  const f = fixture();
  try {
    f.c.start();
    writeFileSync(join(f.share, 'f'), 'inside');
    f.c.walkOk(0, 1, 'f');
    unlinkSync(join(f.share, 'f'));
    symlinkSync(join(f.outside, 'secret.txt'), join(f.share, 'f'));
    let r = f.c.lopen(1, O_RDONLY);
    assert.equal(r.type, T.lerror + 1);
    assert.equal(r.u32(), Errno.ELOOP);
    // setattr through the stale fid must not chmod the outside file either
    const before = statSync(join(f.outside, 'secret.txt')).mode;
    f.c.err(T.setattr, [['u32', 1], ['u32', 1], ['u32', 0o777], ['u32', 0], ['u32', 0], ['u64', 0], ['u64', 0], ['u64', 0], ['u64', 0], ['u64', 0]]);
    assert.equal(statSync(join(f.outside, 'secret.txt')).mode, before);
    // a directory on the walked path replaced by a symlink to a directory outside
    mkdirSync(join(f.share, 'd'));
    writeFileSync(join(f.share, 'd', 'secret.txt'), 'inside too');
    f.c.walkOk(0, 2, 'd', 'secret.txt');
    renameSync(join(f.share, 'd'), join(f.share, 'd.old'));
    symlinkSync(f.outside, join(f.share, 'd'));
    r = f.c.lopen(2, O_RDONLY);
    assert.equal(r.type, T.lerror + 1, 'the open must fail, not reach outside');
    assert.ok(([Errno.ENOTDIR, Errno.ELOOP] as number[]).includes(r.u32()));
    assert.equal(f.c.err(T.getattr, [['u32', 2], ['u64', 0x7ff]]) > 0, true);
    assert.equal(readFileSync(join(f.outside, 'secret.txt'), 'utf8'), 'SECRET');
  } finally { f.done(); }
});

test('9p: create, write, read, readdir, mkdir, rename (fids follow), link, unlink; the host sees each change', () => {
  const f = fixture();
  try {
    f.c.start();
    f.c.walkOk(0, 1);
    const cr = f.c.ok(T.lcreate, [['u32', 1], ['s', 'new.txt'], ['u32', O_RDWR], ['u32', 0o4755], ['u32', 0]]);
    assert.equal(cr.qid().type, 0);
    const w = f.c.ok(T.write, [['u32', 1], ['u64', 0], ['u32', 5], ['raw', new TextEncoder().encode('abcde')]]);
    assert.equal(w.u32(), 5);
    assert.equal(new TextDecoder().decode(f.c.read(1, 1, 100)), 'bcde');
    assert.equal(readFileSync(join(f.share, 'new.txt'), 'utf8'), 'abcde');
    assert.equal(statSync(join(f.share, 'new.txt')).mode & 0o7777, 0o755, 'setuid is dropped');
    assert.equal(statSync(join(f.share, 'new.txt')).uid, process.getuid!(), 'created as the host user');
    // chown from the guest is accepted and changes nothing on the host
    f.c.ok(T.setattr, [['u32', 1], ['u32', 0x6], ['u32', 0], ['u32', 4242], ['u32', 4242], ['u64', 0], ['u64', 0], ['u64', 0], ['u64', 0], ['u64', 0]]);
    assert.equal(statSync(join(f.share, 'new.txt')).uid, process.getuid!());
    f.c.ok(T.setattr, [['u32', 1], ['u32', 0x9], ['u32', 0o600], ['u32', 0], ['u32', 0], ['u64', 2], ['u64', 0], ['u64', 0], ['u64', 0], ['u64', 0]]);
    assert.equal(statSync(join(f.share, 'new.txt')).mode & 0o7777, 0o600);
    assert.equal(readFileSync(join(f.share, 'new.txt'), 'utf8'), 'ab');
    f.c.ok(T.mkdir, [['u32', 0], ['s', 'dir'], ['u32', 0o755], ['u32', 0]]);
    f.c.walkOk(0, 2, 'dir');
    f.c.ok(T.renameat, [['u32', 0], ['s', 'new.txt'], ['u32', 2], ['s', 'moved.txt']]);
    assert.ok(existsSync(join(f.share, 'dir', 'moved.txt')));
    // fid 1 followed the rename: getattr by path still finds it after the handle is gone
    f.c.ok(T.clunk, [['u32', 1]]);
    f.c.walkOk(2, 3, 'moved.txt');
    f.c.ok(T.link, [['u32', 0], ['u32', 3], ['s', 'hard']]);
    assert.equal(statSync(join(f.share, 'hard')).nlink, 2);
    // readdir of the root, in small pieces: every name once
    f.c.walkOk(0, 4);
    assert.equal(f.c.lopen(4, O_RDONLY).type, T.lopen + 1);
    const names: string[] = [];
    let offset = 0n;
    for (;;) {
      const r = f.c.ok(T.readdir, [['u32', 4], ['u64', offset], ['u32', 64]]);
      const count = r.u32();
      if (count === 0) break;
      const end = r.pos + count;
      while (r.pos < end) { r.qid(); offset = r.u64(); r.u8(); names.push(r.str()); }
    }
    assert.deepEqual(names.sort(), ['.', '..', 'abs', 'dir', 'hard', 'hello.txt', 'rel', 'sub']);
    f.c.ok(T.unlinkat, [['u32', 0], ['s', 'hard'], ['u32', 0]]);
    assert.equal(f.c.err(T.unlinkat, [['u32', 0], ['s', 'dir'], ['u32', 0]]), Errno.EISDIR);
    assert.equal(f.c.err(T.unlinkat, [['u32', 0], ['s', 'dir'], ['u32', 0x200]]), Errno.ENOTEMPTY);
    assert.equal(f.c.err(T.unlinkat, [['u32', 0], ['s', '..'], ['u32', 0x200]]), Errno.EINVAL);
    assert.ok(!existsSync(join(f.share, 'hard')));
    const st = f.c.ok(T.statfs, [['u32', 0]]);
    st.u32();
    assert.ok(st.u32() > 0, 'bsize');
  } finally { f.done(); }
});

test('9p: a read-only share refuses every change with EROFS and still reads', () => {
  const f = fixture({ readOnly: true });
  try {
    f.c.start();
    f.c.walkOk(0, 1, 'hello.txt');
    assert.equal(f.c.lopen(1, O_WRONLY).u32(), Errno.EROFS);
    assert.equal(f.c.lopen(1, O_RDONLY | O_TRUNC).u32(), Errno.EROFS);
    assert.equal(f.c.lopen(1, O_RDONLY).type, T.lopen + 1);
    assert.equal(new TextDecoder().decode(f.c.read(1, 0, 5)), 'hello');
    assert.equal(f.c.err(T.write, [['u32', 1], ['u64', 0], ['u32', 1], ['raw', Uint8Array.of(0x41)]]), Errno.EROFS);
    f.c.walkOk(0, 2);
    assert.equal(f.c.err(T.lcreate, [['u32', 2], ['s', 'x'], ['u32', O_RDWR], ['u32', 0o644], ['u32', 0]]), Errno.EROFS);
    assert.equal(f.c.err(T.mkdir, [['u32', 0], ['s', 'x'], ['u32', 0o755], ['u32', 0]]), Errno.EROFS);
    assert.equal(f.c.err(T.symlink, [['u32', 0], ['s', 'x'], ['s', 'y'], ['u32', 0]]), Errno.EROFS);
    assert.equal(f.c.err(T.unlinkat, [['u32', 0], ['s', 'hello.txt'], ['u32', 0]]), Errno.EROFS);
    assert.equal(f.c.err(T.renameat, [['u32', 0], ['s', 'hello.txt'], ['u32', 0], ['s', 'z']]), Errno.EROFS);
    assert.equal(f.c.err(T.setattr, [['u32', 1], ['u32', 1], ['u32', 0o777], ['u32', 0], ['u32', 0], ['u64', 0], ['u64', 0], ['u64', 0], ['u64', 0], ['u64', 0]]), Errno.EROFS);
    assert.equal(f.c.err(T.link, [['u32', 0], ['u32', 1], ['s', 'h']]), Errno.EROFS);
    assert.equal(readFileSync(join(f.share, 'hello.txt'), 'utf8'), 'hello from the host\n');
  } finally { f.done(); }
});

test('9p: bounds: a read never exceeds msize or the reply room; open files are capped (EMFILE)', () => {
  const f = fixture({ maxOpen: 1 });
  try {
    writeFileSync(join(f.share, 'big'), Buffer.alloc(100_000, 0x61));
    f.c.start(8192);
    f.c.walkOk(0, 1, 'big');
    assert.equal(f.c.lopen(1, O_RDONLY).type, T.lopen + 1);
    const r = f.c.raw(msg(T.read, [['u32', 1], ['u64', 0], ['u32', 1 << 30]]));
    assert.ok(r.b.length <= 8192, `reply of ${r.b.length} bytes for msize 8192`);
    assert.equal(r.u32(), 8192 - 11);
    const small = f.c.raw(msg(T.read, [['u32', 1], ['u64', 0], ['u32', 1 << 30]]), 100);
    assert.equal(small.b.length, 100, 'a small guest buffer bounds the reply too');
    f.c.walkOk(0, 2, 'hello.txt');
    assert.equal(f.c.lopen(2, O_RDONLY).u32(), Errno.EMFILE);
    f.c.ok(T.clunk, [['u32', 1]]);
    assert.equal(f.c.lopen(2, O_RDONLY).type, T.lopen + 1);
  } finally { f.done(); }
});

test('9p: POSIX locks conflict between owners, not within one; getlock names the holder', () => {
  const f = fixture();
  try {
    f.c.start();
    f.c.walkOk(0, 1, 'hello.txt');
    const lock = (type: number, start: number, len: number, pid: number) =>
      f.c.ok(T.lock, [['u32', 1], ['u8', type], ['u32', 0], ['u64', start], ['u64', len], ['u32', pid], ['s', 'guest']]).u8();
    assert.equal(lock(1, 0, 10, 100), 0, 'write lock taken');
    assert.equal(lock(1, 5, 10, 100), 0, 'the same owner may extend it');
    assert.equal(lock(0, 8, 2, 200), 1, 'another owner is blocked');
    assert.equal(lock(0, 20, 2, 200), 0, 'outside the range it is not');
    const g = f.c.ok(T.getlock, [['u32', 1], ['u8', 1], ['u64', 0], ['u64', 0], ['u32', 200], ['s', 'guest']]);
    assert.equal(g.u8(), 1);
    g.u64(); g.u64();
    assert.equal(g.u32(), 100);
    assert.equal(lock(2, 0, 0, 100), 0, 'unlock all');
    assert.equal(lock(1, 0, 10, 200), 0);
  } finally { f.done(); }
});

test('a 9P session survives a VM snapshot: fids come back by path, open files are opened again, locks kept', () => {
  const { share, c, done } = fixture();
  const backend2 = new HostDirBackend(share, false);
  try {
    c.start();
    c.walk(0, 1, 'hello.txt');
    assert.equal(c.lopen(1, 2 /* O_RDWR */).type, T.lopen + 1);
    c.walk(0, 2, 'hello.txt'); // walked, not opened
    writeFileSync(join(share, 'gone.txt'), 'x');
    c.walk(0, 3, 'gone.txt');
    assert.equal(c.lopen(3, 0).type, T.lopen + 1);
    const saved = decodeState(encodeState(c.server.saveState()), '9p');
    unlinkSync(join(share, 'gone.txt'));
    const server2 = new NinepServer(backend2);
    server2.loadState(StateReader.of(saved, '9p'));
    const c2 = new Client(server2);
    assert.equal(new TextDecoder().decode(c2.read(1, 0, 100)), 'hello from the host\n', 'the open fid reads again');
    assert.equal(server2.negotiatedMsize, c.server.negotiatedMsize);
    assert.equal(c2.lopen(2, 0).type, T.lopen + 1, 'the walked fid opens');
    assert.equal(c2.err(T.read, [['u32', 3], ['u64', 0], ['u32', 10]]), Errno.EBADF, 'a file deleted since has lost its fid');
  } finally {
    backend2.close();
    done();
  }
});
