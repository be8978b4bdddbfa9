// The page's disk image (web/src/picked-disk.ts), in Node: writes stay in memory and the picked bytes are never
// changed, the downloadable image is the modified one (checked by qemu-img/qemu-io for qcow2), and a qcow2
// with a backing file is refused in one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PickedDiskFile, openPickedDisk } from '../../web/src/picked-disk.js';

const haveQemuImg = spawnSync('qemu-img', ['--version']).status === 0;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function picked(name: string, bytes: Uint8Array): { file: PickedDiskFile; reads: number[] } {
  const reads: number[] = [];
  const file = new PickedDiskFile(name, new Blob([bytes as Uint8Array<ArrayBuffer>]), (_blob, offset, length) => {
    reads.push(length);
    return bytes.subarray(offset, offset + length);
  });
  return { file, reads };
}

function qemu(tool: string, ...args: string[]): string {
  const r = spawnSync(tool, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `${tool} ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

test('raw: the guest\'s writes read back, the picked bytes stay as they were, the download has the writes', async () => {
  const original = new Uint8Array(300 * 1024);
  for (let i = 0; i < original.length; i++) original[i] = (i * 7) & 0xff;
  const before = sha(original);
  const { file } = picked('disk.img', original);
  const disk = openPickedDisk(file, 'raw', false, () => {});
  const data = new Uint8Array(4096).fill(0xab);
  disk.write(65536 - 512, data); // across a chunk boundary
  const back = new Uint8Array(8192);
  disk.read(65536 - 1024, back);
  assert.deepEqual(back.subarray(512, 512 + 4096), data);
  assert.deepEqual(back.subarray(0, 512), original.subarray(65536 - 1024, 65536 - 512));
  disk.flush();
  assert.equal(sha(original), before, 'the picked file was changed');
  assert.equal(file.changedBytes, 2 * 65536);
  const image = new Uint8Array(await file.toBlob().arrayBuffer());
  assert.equal(image.length, original.length);
  const expected = original.slice();
  expected.set(data, 65536 - 512);
  assert.equal(sha(image), sha(expected));
});

test('read-only: the backend refuses writes', () => {
  const { file } = picked('ro.img', new Uint8Array(4096));
  file.readOnly = true;
  const disk = openPickedDisk(file, 'raw', true, () => {});
  assert.equal(disk.readOnly, true);
  assert.throws(() => disk.write(0, new Uint8Array(512)), /read-only/);
});

test('qcow2 from qemu-img: probed, written, downloaded image passes qemu-img check and holds the data', { skip: !haveQemuImg && 'qemu-img is not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-picked-'));
  try {
    const path = join(dir, 'in.qcow2');
    qemu('qemu-img', 'create', '-q', '-f', 'qcow2', path, '16M');
    qemu('qemu-io', '-c', 'write -P 0x11 1M 64k', path);
    const bytes = new Uint8Array(readFileSync(path));
    const before = sha(bytes);
    const { file } = picked('in.qcow2', bytes);
    const warnings: string[] = [];
    const disk = openPickedDisk(file, undefined, false, (w) => warnings.push(w));
    assert.equal(disk.size, 16 * 1024 * 1024);
    assert.deepEqual(warnings, []);
    const got = new Uint8Array(65536);
    disk.read(1024 * 1024, got);
    assert.ok(got.every((b) => b === 0x11));
    disk.write(5 * 1024 * 1024, new Uint8Array(128 * 1024).fill(0x22)); // new clusters: the image grows
    disk.flush();
    assert.equal(sha(bytes), before, 'the picked file was changed');
    const out = join(dir, 'out.qcow2');
    writeFileSync(out, new Uint8Array(await file.toBlob().arrayBuffer()));
    assert.ok(file.size() > bytes.length);
    qemu('qemu-img', 'check', '-q', out);
    assert.match(qemu('qemu-io', '-c', 'read -P 0x22 5M 128k', '-c', 'read -P 0x11 1M 64k', out), /read 131072\/131072[^]*read 65536\/65536/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a qcow2 with a backing file is refused: the page has only the picked file', { skip: !haveQemuImg && 'qemu-img is not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-picked-'));
  try {
    qemu('qemu-img', 'create', '-q', '-f', 'raw', join(dir, 'base.img'), '1M');
    qemu('qemu-img', 'create', '-q', '-f', 'qcow2', '-b', 'base.img', '-F', 'raw', join(dir, 'top.qcow2'));
    const { file } = picked('top.qcow2', new Uint8Array(readFileSync(join(dir, 'top.qcow2'))));
    assert.throws(() => openPickedDisk(file, 'qcow2', false, () => {}), /names a backing file 'base.img': the page has only the file you picked/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
