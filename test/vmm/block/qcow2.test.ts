// The qcow2 reader and writer against QEMU's own tools as the oracle: images that qemu-img create/convert
// (and qemu-io) make are read byte for byte as `qemu-img convert -O raw` reads them; images rvkvm wrote pass
// `qemu-img check` and convert back to exactly what was written; a write stream cut short at any point
// leaves at worst leaked clusters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDisk } from '../../../src/vmm/block/open.js';
import type { BlockBackend } from '../../../src/vmm/block/backend.js';
import type { BlockFile, BlockHost } from '../../../src/vmm/block/file.js';
import { MemoryFile } from '../../../src/vmm/block/file.js';
import { Qcow2Image, createQcow2, parseQcow2Header } from '../../../src/vmm/block/qcow2.js';
import { NodeFile, nodeBlockHost } from '../../../src/cli/block-host.js';

const have = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const haveQemuImg = have('qemu-img');
const haveQemuIo = have('qemu-io');
if (process.env.CI === 'true') assert.ok(haveQemuImg, 'qemu-img (qemu-utils) is needed in CI');
const skip = !haveQemuImg;

function run(cmd: string, args: string[]): { code: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { code: r.status ?? -1, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

function ok(cmd: string, args: string[]): string {
  const r = run(cmd, args);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')} failed:\n${r.out}`);
  return r.out;
}

function check(path: string): { code: number; out: string } {
  return run('qemu-img', ['check', path]);
}

function assertClean(path: string): void {
  const r = check(path);
  assert.equal(r.code, 0, `qemu-img check ${path}:\n${r.out}`);
  assert.match(r.out, /No errors were found/);
}

function toRaw(dir: string, path: string, extra: string[] = []): Uint8Array {
  const out = join(dir, `conv-${Math.random().toString(36).slice(2)}.raw`);
  ok('qemu-img', ['convert', ...extra, '-O', 'raw', path, out]);
  const data = new Uint8Array(readFileSync(out));
  rmSync(out);
  return data;
}

const warnings: string[] = [];
const host: BlockHost = nodeBlockHost((m) => warnings.push(m));

function readAll(disk: BlockBackend): Uint8Array {
  const buf = new Uint8Array(disk.size);
  // Uneven request sizes so reads cross cluster and L2-table boundaries at many offsets.
  for (let at = 0, step = 512; at < disk.size; at += step, step = step === 512 ? 37 * 512 : step === 37 * 512 ? 256 * 1024 : 512) {
    const n = Math.min(step, disk.size - at);
    disk.read(at, buf.subarray(at, at + n));
  }
  return buf;
}

/** Deterministic test data: random runs, zero runs and repeated patterns (so compression has work). */
function pattern(size: number, seed: number): Uint8Array {
  const buf = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  const next = (): number => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
  for (let at = 0; at < size;) {
    const len = Math.min(size - at, 512 * (1 + (next() % 300)));
    const kind = next() % 3;
    if (kind === 1) for (let i = 0; i < len; i++) buf[at + i] = next() & 0xff;
    else if (kind === 2) for (let i = 0; i < len; i++) buf[at + i] = (i * 7 + seed) & 0xff;
    at += len;
  }
  return buf;
}

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-qcow2-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const CLUSTERS = [512, 4096, 65536, 2 << 20];
const SIZE = 6 << 20;

test('images qemu-img convert makes (v2 and v3, 512 B..2 MiB clusters, plain and compressed) read as qemu reads them', { skip }, () => {
  withDir((dir) => {
    const raw = join(dir, 'src.raw');
    const data = pattern(SIZE, 7);
    writeFileSync(raw, data);
    for (const compat of ['0.10', '1.1']) {
      for (const cs of CLUSTERS) {
        for (const compress of [false, true]) {
          const img = join(dir, `img-${compat}-${cs}-${compress}.qcow2`);
          ok('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', ...(compress ? ['-c'] : []), '-o', `compat=${compat},cluster_size=${cs}`, raw, img]);
          const disk = openDisk({ path: img, format: 'qcow2', readOnly: true }, host);
          assert.ok(disk instanceof Qcow2Image);
          assert.equal(disk.header.version, compat === '0.10' ? 2 : 3);
          assert.equal(disk.header.clusterBits, Math.log2(cs));
          assert.equal(disk.size, SIZE);
          assert.ok(Buffer.from(readAll(disk)).equals(Buffer.from(data)), `contents differ: compat=${compat} cluster=${cs} compressed=${compress}`);
          disk.close?.();
        }
      }
    }
  });
});

test('refcount widths 1..64 bits: read and written, qemu-img check clean', { skip }, () => {
  withDir((dir) => {
    for (const bits of [1, 2, 4, 8, 16, 32, 64]) {
      const img = join(dir, `r${bits}.qcow2`);
      ok('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', `refcount_bits=${bits},cluster_size=4096`, img, '4M']);
      const shadow = new Uint8Array(4 << 20);
      const disk = openDisk({ path: img, format: 'qcow2', readOnly: false }, host);
      randomWrites(disk, shadow, 300, bits);
      disk.close!();
      assertClean(img);
      assert.ok(Buffer.from(toRaw(dir, img)).equals(Buffer.from(shadow)), `refcount_bits=${bits}: contents differ`);
    }
  });
});

/** Random writes (sector-aligned, 512 B..3 clusters-ish), plus discards and write-zeroes, mirrored in `shadow`. */
function randomWrites(disk: BlockBackend, shadow: Uint8Array, count: number, seed: number, opts: { trim?: boolean; flushEvery?: number } = {}): void {
  let x = (seed * 2654435761) >>> 0 || 1;
  const next = (): number => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
  const sectors = disk.size / 512;
  for (let i = 0; i < count; i++) {
    const len = Math.min(1 + (next() % 300), sectors);
    const sector = next() % (sectors - len + 1);
    const op = opts.trim ? next() % 8 : 0;
    if (op === 6 && disk.discard) {
      // Discarded bytes are unspecified: re-read them into the shadow (qcow2 makes whole clusters zero).
      disk.discard(sector * 512, len * 512);
      disk.read(sector * 512, shadow.subarray(sector * 512, (sector + len) * 512));
    } else if (op === 7 && disk.writeZeroes) {
      disk.writeZeroes(sector * 512, len * 512, (next() & 1) === 1);
      shadow.fill(0, sector * 512, (sector + len) * 512);
    } else {
      const buf = new Uint8Array(len * 512);
      for (let j = 0; j < buf.length; j += 4) {
        const v = next();
        buf[j] = v; buf[j + 1] = v >>> 8; buf[j + 2] = v >>> 16; buf[j + 3] = v >>> 24;
      }
      disk.write(sector * 512, buf);
      shadow.set(buf, sector * 512);
    }
    if (opts.flushEvery && i % opts.flushEvery === 0) disk.flush();
  }
}

test('random writes, discards and write-zeroes on every cluster size and version: qemu-img check clean, contents exact', { skip }, () => {
  withDir((dir) => {
    for (const compat of ['0.10', '1.1']) {
      for (const cs of CLUSTERS) {
        const img = join(dir, `w-${compat}-${cs}.qcow2`);
        ok('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', `compat=${compat},cluster_size=${cs}`, img, '8M']);
        const shadow = new Uint8Array(8 << 20);
        let disk = openDisk({ path: img, format: 'qcow2', readOnly: false }, host);
        randomWrites(disk, shadow, 400, cs + (compat === '1.1' ? 1 : 0), { trim: true, flushEvery: 50 });
        assert.ok(Buffer.from(readAll(disk)).equals(Buffer.from(shadow)), `compat=${compat} cluster=${cs}: rvkvm reads back something else`);
        disk.close!();
        assertClean(img);
        assert.ok(Buffer.from(toRaw(dir, img)).equals(Buffer.from(shadow)), `compat=${compat} cluster=${cs}: qemu reads something else`);
        // Reopen and write again: the second session starts from the first one's metadata.
        disk = openDisk({ path: img, format: 'qcow2', readOnly: false }, host);
        randomWrites(disk, shadow, 100, cs + 99, { trim: true });
        disk.close!();
        assertClean(img);
        assert.ok(Buffer.from(toRaw(dir, img)).equals(Buffer.from(shadow)), `compat=${compat} cluster=${cs}: second session differs`);
      }
    }
  });
});

test('the refcount table grows (512 B clusters, 64 MiB disk) and stays consistent', { skip }, () => {
  withDir((dir) => {
    const img = join(dir, 'grow.qcow2');
    ok('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', 'cluster_size=512', img, '64M']);
    const before = parseQcow2Header(new NodeFile(img, true));
    const disk = openDisk({ path: img, format: 'qcow2', readOnly: false }, host);
    const shadow = new Uint8Array(64 << 20);
    for (let at = 0; at < (24 << 20); at += 8192) {
      const buf = new Uint8Array(4096).fill((at >>> 13) & 0xff | 1);
      disk.write(at, buf);
      shadow.set(buf, at);
    }
    disk.close!();
    const after = parseQcow2Header(new NodeFile(img, true));
    assert.ok(after.refcountTableClusters > before.refcountTableClusters, `table did not grow (${before.refcountTableClusters} -> ${after.refcountTableClusters})`);
    assertClean(img);
    assert.ok(Buffer.from(toRaw(dir, img)).equals(Buffer.from(shadow)));
  });
});

test('compressed clusters are rewritten uncompressed; the old space is released (check clean)', { skip }, () => {
  withDir((dir) => {
    const raw = join(dir, 'src.raw');
    const data = pattern(4 << 20, 3);
    writeFileSync(raw, data);
    for (const cs of [4096, 65536]) {
      const img = join(dir, `c${cs}.qcow2`);
      ok('qemu-img', ['convert', '-c', '-f', 'raw', '-O', 'qcow2', '-o', `cluster_size=${cs}`, raw, img]);
      const shadow = new Uint8Array(data);
      const disk = openDisk({ path: img, format: 'qcow2', readOnly: false }, host);
      randomWrites(disk, shadow, 300, cs, { trim: true });
      disk.close!();
      assertClean(img);
      assert.ok(Buffer.from(toRaw(dir, img)).equals(Buffer.from(shadow)));
    }
  });
});

test('backing chains: raw <- qcow2 <- qcow2, read as qemu reads them; writes stay in the top image', { skip }, () => {
  withDir((dir) => {
    const base = join(dir, 'base.raw');
    const baseData = pattern(SIZE, 11);
    writeFileSync(base, baseData);
    const mid = join(dir, 'mid.qcow2');
    const top = join(dir, 'top.qcow2');
    ok('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', 'base.raw', '-F', 'raw', '-o', 'cluster_size=4096', mid]);
    ok('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', 'mid.qcow2', '-F', 'qcow2', top]);
    if (haveQemuIo) {
      ok('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x5a 1M 300k', '-c', 'write -P 0x33 3000k 7k', mid]);
      ok('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0xa5 1100k 64k', '-c', 'write -z 4M 128k', top]);
    }
    const expected = toRaw(dir, top);
    const disk = openDisk({ path: top, format: 'qcow2', readOnly: false }, host);
    assert.ok(Buffer.from(readAll(disk)).equals(Buffer.from(expected)), 'chain contents differ from qemu-img convert');
    const midSum = createHash('sha256').update(readFileSync(mid)).digest('hex');
    randomWrites(disk, expected, 200, 5, { trim: true });
    disk.close!();
    assert.ok(Buffer.from(readFileSync(base)).equals(Buffer.from(baseData)), 'the raw base was written');
    assert.equal(createHash('sha256').update(readFileSync(mid)).digest('hex'), midSum, 'the middle image was written');
    assertClean(top);
    assert.ok(Buffer.from(toRaw(dir, top)).equals(Buffer.from(expected)));
  });
});

test('zero clusters that qemu-io writes (write -z, preallocated and not) read as zeros over a backing file', { skip: skip || !haveQemuIo ? 'needs qemu-img and qemu-io' : false }, () => {
  withDir((dir) => {
    const base = join(dir, 'base.raw');
    writeFileSync(base, new Uint8Array(2 << 20).fill(0xee));
    const img = join(dir, 'z.qcow2');
    ok('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', base, '-F', 'raw', img]);
    ok('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x11 0 256k', '-c', 'write -z 64k 64k', '-c', 'write -z -u 512k 128k', img]);
    const map = ok('qemu-img', ['map', '--output=json', img]);
    assert.match(map, /"zero": true/);
    const disk = openDisk({ path: img, format: 'qcow2', readOnly: true }, host);
    const got = readAll(disk);
    const want = toRaw(dir, img);
    assert.ok(Buffer.from(got).equals(Buffer.from(want)));
    assert.ok(got.subarray(64 << 10, 128 << 10).every((b) => b === 0) && got.subarray(512 << 10, 640 << 10).every((b) => b === 0));
    assert.equal(got[700 << 10], 0xee);
    disk.close?.();
  });
});

test('internal snapshots: writes copy shared clusters, the snapshot keeps its data, check clean', { skip }, () => {
  withDir((dir) => {
    const raw = join(dir, 'src.raw');
    const data = pattern(4 << 20, 21);
    writeFileSync(raw, data);
    const img = join(dir, 's.qcow2');
    ok('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', '-o', 'cluster_size=4096', raw, img]);
    ok('qemu-img', ['snapshot', '-c', 'before', img]);
    const shadow = new Uint8Array(data);
    const disk = openDisk({ path: img, format: 'qcow2', readOnly: false }, host);
    randomWrites(disk, shadow, 300, 9, { trim: true });
    disk.close!();
    assertClean(img);
    assert.ok(Buffer.from(toRaw(dir, img)).equals(Buffer.from(shadow)), 'active image differs');
    assert.ok(Buffer.from(toRaw(dir, img, ['-l', 'before'])).equals(Buffer.from(data)), 'the snapshot lost its data');
  });
});

/** A file whose writes stop (throw) after `budget` calls: the process dying mid-request. */
class DyingFile implements BlockFile {
  constructor(private readonly inner: MemoryFile, private budget: number) {}
  bytes(): Uint8Array { return this.inner.bytes(); }
  get name(): string { return this.inner.name; }
  get readOnly(): boolean { return this.inner.readOnly; }
  size(): number { return this.inner.size(); }
  read(offset: number, dst: Uint8Array): void { this.inner.read(offset, dst); }
  write(offset: number, src: Uint8Array): void {
    if (this.budget-- <= 0) throw new Error('power cut');
    this.inner.write(offset, src);
  }
  sync(): void { this.inner.sync(); }
  close(): void { this.inner.close(); }
}

test('a write stream cut at any point leaves at worst leaked clusters, never a corrupt image', { skip }, () => {
  withDir((dir) => {
    // 512-byte clusters: allocations, new refcount blocks and a refcount table growth come quickly.
    const template = join(dir, 't.qcow2');
    ok('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', 'cluster_size=512', template, '16M']);
    const pristine = new Uint8Array(readFileSync(template));
    const churn = (disk: BlockBackend): void => {
      randomWrites(disk, new Uint8Array(16 << 20), 60, 3, { trim: true, flushEvery: 7 });
      for (let at = 0; at < (16 << 20); at += 1024) disk.write(at, new Uint8Array(512).fill(at & 0xff));
    };
    // A recording pass finds the refcount table switch: the 12-byte header write at offset 48.
    const writes: [number, number][] = [];
    const rec = new MemoryFile('rec', new Uint8Array(pristine));
    const recWrite = rec.write.bind(rec);
    rec.write = (offset, src) => { writes.push([offset, src.length]); recWrite(offset, src); };
    churn(new Qcow2Image(rec, parseQcow2Header(rec), { readOnly: false }));
    const switchAt = writes.findIndex(([o, n]) => o === 48 && n === 12);
    assert.ok(switchAt > 0, 'the churn never grew the refcount table');
    // ... and the first new refcount block: an 8-byte write into the refcount table.
    const rt = parseQcow2Header(new MemoryFile('p', pristine)).refcountTableOffset;
    const blockAt = writes.findIndex(([o, n]) => o > rt && o < rt + 512 && n === 8);
    assert.ok(blockAt > 0, 'the churn never added a refcount block');
    const cuts = new Set<number>();
    const window = (from: number, to: number, step = 1): void => { for (let i = Math.max(1, from); i <= to; i += step) cuts.add(i); };
    window(1, 24); // the first allocations and L2 tables
    window(24, 1000, 50);
    window(blockAt - 4, blockAt + 2);
    window(switchAt - 24, switchAt + 2); // the table growth: new blocks, new table, header switch
    const img = join(dir, 'cut.qcow2');
    let leaks = 0;
    for (const budget of cuts) {
      const f = new DyingFile(new MemoryFile('cut', new Uint8Array(pristine)), budget);
      assert.throws(() => churn(new Qcow2Image(f, parseQcow2Header(f), { readOnly: false })), /power cut/);
      writeFileSync(img, f.bytes());
      const r = check(img);
      // qemu-img check: 0 clean, 3 leaked clusters only, 2 corruption.
      assert.ok(r.code === 0 || r.code === 3, `cut after ${budget} writes: qemu-img check exit ${r.code}\n${r.out}`);
      if (r.code === 3) leaks++;
    }
    assert.ok(leaks > 0, 'no cut point leaked anything: the test did not cut inside an allocation');
  });
});

test('unknown incompatible features, corrupt images, bad magic: one-line errors', { skip }, () => {
  withDir((dir) => {
    const img = join(dir, 'f.qcow2');
    ok('qemu-img', ['create', '-q', '-f', 'qcow2', img, '1M']);
    const pristine = readFileSync(img);
    const withIncompat = (bit: number): void => {
      const b = Buffer.from(pristine);
      const v = b.readBigUInt64BE(72) | (1n << BigInt(bit));
      b.writeBigUInt64BE(v, 72);
      writeFileSync(img, b);
    };
    withIncompat(5);
    assert.throws(() => openDisk({ path: img, format: 'qcow2', readOnly: true }, host), /^VmmError: qcow2 image '.*f\.qcow2': incompatible feature bit 5 is not supported$/m);
    withIncompat(4);
    assert.throws(() => openDisk({ path: img, readOnly: true }, host), /incompatible feature bit 4 \(extended L2 entries\) is not supported/);
    withIncompat(1);
    assert.throws(() => openDisk({ path: img, format: 'qcow2', readOnly: false }, host), /is marked corrupt/);
    const raw = join(dir, 'r.raw');
    writeFileSync(raw, new Uint8Array(4096));
    assert.throws(() => openDisk({ path: raw, format: 'qcow2', readOnly: true }, host), /no qcow2 magic/);
    const b = Buffer.from(pristine);
    b.writeUInt32BE(32, 20);
    writeFileSync(img, b);
    assert.throws(() => openDisk({ path: img, readOnly: true }, host), /cluster_bits 32 is outside 9\.\.21/);
  });
});

test('format probing: qcow2 found by its magic; a probed raw disk refuses a qcow2 header in sector 0, explicit raw allows it', { skip }, () => {
  withDir((dir) => {
    const img = join(dir, 'p.qcow2');
    ok('qemu-img', ['create', '-q', '-f', 'qcow2', img, '1M']);
    const q = openDisk({ path: img, readOnly: true }, host);
    assert.ok(q instanceof Qcow2Image);
    q.close?.();
    // The same file with format=raw is its bytes (padded to whole sectors, as a raw disk must be).
    const len = readFileSync(img).length;
    writeFileSync(img, new Uint8Array(511 - ((len + 511) % 512)), { flag: 'a' });
    const asRaw = openDisk({ path: img, format: 'raw', readOnly: true }, host);
    assert.equal(asRaw.size, readFileSync(img).length);
    asRaw.close?.();
    const raw = join(dir, 'r.raw');
    writeFileSync(raw, new Uint8Array(1 << 20));
    warnings.length = 0;
    const probed = openDisk({ path: raw, readOnly: false }, host);
    assert.match(warnings.join('\n'), /probing guessed raw/);
    const header = new Uint8Array(512);
    header.set([0x51, 0x46, 0x49, 0xfb]);
    assert.throws(() => probed.write(0, header), /qcow2 header to sector 0 of a probed raw image refused/);
    probed.write(512, header);
    probed.close?.();
    const explicit = openDisk({ path: raw, format: 'raw', readOnly: false }, host);
    explicit.write(0, header);
    explicit.close?.();
    assert.equal(readFileSync(raw)[3], 0xfb);
  });
});

test('snapshot=on: writes land in an overlay, the file is untouched (checksum), reads see the writes', { skip }, () => {
  withDir((dir) => {
    for (const fmt of ['raw', 'qcow2'] as const) {
      const raw = join(dir, 'b.raw');
      writeFileSync(raw, pattern(2 << 20, 5));
      const path = fmt === 'raw' ? raw : join(dir, 'b.qcow2');
      if (fmt === 'qcow2') ok('qemu-img', ['convert', '-O', 'qcow2', raw, path]);
      const sum = createHash('sha256').update(readFileSync(path)).digest('hex');
      const shadow = new Uint8Array(readAll(openDisk({ path, format: fmt, readOnly: true }, host)));
      const disk = openDisk({ path, format: fmt, readOnly: false, snapshot: true }, host);
      randomWrites(disk, shadow, 200, 77, { trim: true, flushEvery: 10 });
      assert.ok(Buffer.from(readAll(disk)).equals(Buffer.from(shadow)));
      disk.close!();
      assert.equal(createHash('sha256').update(readFileSync(path)).digest('hex'), sum, `${fmt}: snapshot=on changed the file`);
    }
  });
});

test('an image created by rvkvm (the overlay format) passes qemu-img check and names its backing file', { skip }, () => {
  withDir((dir) => {
    const base = join(dir, 'base.raw');
    writeFileSync(base, pattern(3 << 20, 8));
    const img = join(dir, 'ov.qcow2');
    writeFileSync(img, new Uint8Array(0));
    const f = new NodeFile(img, false);
    createQcow2(f, { size: 3 << 20, backingFile: base, backingFormat: 'raw' });
    f.close();
    assertClean(img);
    const info = ok('qemu-img', ['info', img]);
    assert.match(info, /backing file: .*base\.raw/);
    assert.match(info, /backing file format: raw/);
    const disk = openDisk({ path: img, readOnly: false }, host);
    const shadow = new Uint8Array(readFileSync(base));
    randomWrites(disk, shadow, 100, 3);
    disk.close!();
    assertClean(img);
    assert.ok(Buffer.from(toRaw(dir, img)).equals(Buffer.from(shadow)));
  });
});

test('in memory (no host files): create, write, reopen, read back', () => {
  const mem = new MemoryFile('mem');
  createQcow2(mem, { size: 1 << 20, clusterBits: 12 });
  const a = new Qcow2Image(mem, parseQcow2Header(mem), { readOnly: false });
  const shadow = new Uint8Array(1 << 20);
  randomWrites(a, shadow, 100, 4, { trim: true });
  a.close();
  const b = new Qcow2Image(mem, parseQcow2Header(mem), { readOnly: true });
  assert.ok(Buffer.from(readAll(b)).equals(Buffer.from(shadow)));
  assert.throws(() => b.write(0, new Uint8Array(512)), /read-only/);
});

test('lazy_refcounts: an image QEMU left dirty (qemu-io abort) is read as is, and repaired when opened read-write', { skip: skip || !haveQemuIo ? 'needs qemu-img and qemu-io' : false }, () => {
  withDir((dir) => {
    for (const snapshot of [false, true]) {
      const img = join(dir, `lazy-${snapshot}.qcow2`);
      ok('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', 'lazy_refcounts=on,cluster_size=4096', img, '4M']);
      ok('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x11 0 1M', img]);
      if (snapshot) ok('qemu-img', ['snapshot', '-c', 'snap', img]);
      // qemu-io's abort kills it after the writes, before the refcounts reach the file.
      run('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x42 512k 300k', '-c', 'write -P 0x43 2M 64k', '-c', 'abort', img]);
      const dirty = check(img);
      assert.equal(dirty.code, 2, `the abort should have left stale refcounts:\n${dirty.out}`);
      assert.equal(readFileSync(img).readBigUInt64BE(72) & 1n, 1n, 'dirty bit set');
      const want = new Uint8Array(4 << 20);
      want.fill(0x11, 0, 1 << 20);
      want.fill(0x42, 512 << 10, (512 + 300) << 10);
      want.fill(0x43, 2 << 20, (2 << 20) + (64 << 10));
      const ro = openDisk({ path: img, format: 'qcow2', readOnly: true }, host);
      assert.ok(Buffer.from(readAll(ro)).equals(Buffer.from(want)), 'read-only view of the dirty image');
      ro.close?.();
      assert.equal(check(img).code, 2, 'opening read-only changed nothing');
      const rw = openDisk({ path: img, format: 'qcow2', readOnly: false }, host);
      randomWrites(rw, want, 200, snapshot ? 2 : 1, { trim: true });
      rw.close!();
      assert.equal(readFileSync(img).readBigUInt64BE(72) & 1n, 0n, 'dirty bit cleared');
      assertClean(img);
      assert.ok(Buffer.from(toRaw(dir, img)).equals(Buffer.from(want)));
      if (snapshot) {
        const snap = toRaw(dir, img, ['-l', 'snap']);
        assert.ok(snap.subarray(0, 1 << 20).every((b) => b === 0x11) && snap.subarray(1 << 20).every((b) => b === 0), 'the snapshot kept its data');
      }
    }
  });
});

test('lazy_refcounts images rvkvm writes stay clean (it keeps refcounts exact and never sets the dirty bit)', { skip }, () => {
  withDir((dir) => {
    const img = join(dir, 'lazy.qcow2');
    ok('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', 'lazy_refcounts=on', img, '8M']);
    const disk = openDisk({ path: img, format: 'qcow2', readOnly: false }, host);
    assert.ok(disk instanceof Qcow2Image && disk.lazyRefcounts);
    const shadow = new Uint8Array(8 << 20);
    randomWrites(disk, shadow, 200, 12, { trim: true });
    assert.equal(readFileSync(img).readBigUInt64BE(72) & 1n, 0n, 'not dirty while open');
    disk.close!();
    assertClean(img);
    assert.ok(Buffer.from(toRaw(dir, img)).equals(Buffer.from(shadow)));
  });
});

test('corrupted images: random byte damage to the header and tables gives VmmErrors, never another exception or a hang', () => {
  const base = new MemoryFile('base');
  createQcow2(base, { size: 2 << 20, clusterBits: 12 });
  const img = new Qcow2Image(base, parseQcow2Header(base), { readOnly: false });
  randomWrites(img, new Uint8Array(2 << 20), 60, 8);
  img.close();
  const pristine = base.bytes().slice();
  let x = 12345;
  const next = (): number => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
  let opened = 0;
  for (let round = 0; round < 300; round++) {
    const bytes = pristine.slice();
    // Damage the first clusters (header, refcount table and block, L1, first L2 tables) where it hurts most.
    const hits = 1 + (next() % 6);
    for (let h = 0; h < hits; h++) {
      const at = round % 3 === 0 ? next() % 112 : next() % Math.min(bytes.length, 16 * 4096);
      bytes[at] = next() & 0xff;
    }
    const f = new MemoryFile('damaged', bytes);
    try {
      const d = new Qcow2Image(f, parseQcow2Header(f), { readOnly: false });
      opened++;
      const buf = new Uint8Array(64 << 10);
      for (let at = 0; at < d.size; at += buf.length) d.read(at, buf.subarray(0, Math.min(buf.length, d.size - at)));
      randomWrites(d, new Uint8Array(d.size), 20, round, { trim: true });
      d.close();
    } catch (e) {
      assert.ok((e as Error).name === 'VmmError', `round ${round}: ${(e as Error).stack}`);
    }
  }
  assert.ok(opened > 50, `only ${opened} damaged images opened: the damage is too coarse to test the tables`);
});
