// Comma sub-options of CLI flags: every key and value is checked against the flag's table (issue 16: `--disk
// x,format=qcow2` used to be ignored and the qcow2 file served as raw sectors).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDiskOption, parseDriveOption, parseKvmtoolDisk } from '../../src/cli/disk.js';
import { parseRunArgs } from '../../src/cli/cmd-run.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'dist/src/cli/main.js');

test('--disk accepts ro, readonly=, lock=, format=raw|qcow2, snapshot= and serial=', () => {
  const plain = { readOnly: false, lock: true, snapshot: false };
  assert.deepEqual(parseDiskOption('a.img'), { path: 'a.img', ...plain });
  assert.deepEqual(parseDiskOption('a.img,ro'), { path: 'a.img', ...plain, readOnly: true });
  assert.deepEqual(parseDiskOption('a.img,readonly=on,lock=off'), { path: 'a.img', ...plain, readOnly: true, lock: false });
  assert.deepEqual(parseDiskOption('a.img,format=raw,lock=on'), { path: 'a.img', ...plain, format: 'raw' });
  assert.deepEqual(parseDiskOption('a.qcow2,format=qcow2,snapshot=on,serial=disk-7'),
    { path: 'a.qcow2', ...plain, format: 'qcow2', snapshot: true, serial: 'disk-7' });
  assert.deepEqual(parseRunArgs(['--disk', 'b.img,ro']).diskFiles, [{ path: 'b.img', ...plain, readOnly: true }]);
});

test('QEMU and kvmtool spellings: -drive file=..,format=..,if=virtio, -snapshot, -d FILE[,ro]', () => {
  const plain = { readOnly: false, lock: true, snapshot: false };
  assert.deepEqual(parseDriveOption('file=c.qcow2,format=qcow2,if=virtio'), { path: 'c.qcow2', ...plain, format: 'qcow2' });
  assert.deepEqual(parseDriveOption('if=virtio,file=c.img,readonly=on,snapshot=on,serial=abc,file.locking=off'),
    { path: 'c.img', readOnly: true, lock: false, snapshot: true, serial: 'abc' });
  assert.deepEqual(parseKvmtoolDisk('d.img,ro'), { path: 'd.img', ...plain, readOnly: true });
  const r = parseRunArgs(['-snapshot', '-drive', 'file=e.qcow2,if=virtio', '-d', 'f.img']);
  assert.equal(r.snapshot, true);
  assert.deepEqual(r.diskFiles.map((d) => d.path), ['e.qcow2', 'f.img']);
  assert.throws(() => parseDriveOption('file=c.img,if=ide'), /-drive 'file=c.img,if=ide': if=ide is not accepted \(accepted: if=virtio\)/);
  assert.throws(() => parseDriveOption('format=raw'), /-drive 'format=raw': file=FILE is required/);
  assert.throws(() => parseDriveOption('file=c.img,cache=none'), /unknown option 'cache'/);
  assert.throws(() => parseKvmtoolDisk('d.img,snapshot=on'), /-d 'd.img,snapshot=on': unknown option 'snapshot' \(accepted: ro\)/);
});

test('--disk rejects unknown keys and values, naming them and what is accepted', () => {
  assert.throws(() => parseDiskOption('a.img,format=vdi'), /format=vdi is not accepted \(accepted: format=raw\|qcow2\)/);
  assert.throws(() => parseDiskOption('a.img,cache=none'),
    /unknown option 'cache' \(accepted: ro, readonly=on\|off, format=raw\|qcow2, snapshot=on\|off, serial=S, lock=on\|off\)/);
  assert.throws(() => parseDiskOption('a.img,rw'), /unknown option 'rw'/);
  assert.throws(() => parseDiskOption('a.img,lock'), /'lock' needs a value: lock=on\|off/);
  assert.throws(() => parseDiskOption('a.img,serial'), /'serial' needs a value: serial=S/);
  assert.throws(() => parseDiskOption('a.img,serial=123456789012345678901'), /serial=123456789012345678901 is longer than 20 bytes/);
  assert.throws(() => parseDiskOption('a.img,ro=1'), /'ro' takes no value/);
  assert.throws(() => parseDiskOption('a.img,'), /unknown option ''/);
  assert.throws(() => parseDiskOption(',ro'), /expected FILE/);
});

test('rvkvm run --disk x,format=qcow2 on a raw file stops with one line before booting', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-subopt-'));
  try {
    const img = join(dir, 'x.img');
    writeFileSync(img, new Uint8Array(4096));
    const r = spawnSync(process.execPath, [cli, 'run', '--disk', `${img},format=qcow2`], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^rvkvm: qcow2 image '.*x\.img': no qcow2 magic \(QFI\\xfb\) at offset 0$/m);
    assert.equal(r.stdout, '');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('-cpu rejects properties that are not EXT=on|off or name no extension', () => {
  assert.throws(() => parseRunArgs(['-cpu', 'rv64,pmp=on']), /-cpu: unknown extension 'pmp'/);
  assert.throws(() => parseRunArgs(['-cpu', 'rv64,zbb']), /-cpu property 'zbb': expected EXT=on or EXT=off/);
  assert.throws(() => parseRunArgs(['-cpu', 'rv64,zbb=maybe']), /-cpu property 'zbb=maybe'/);
  assert.deepEqual(parseRunArgs(['-cpu', 'rv64,zbb=off']).cfg.disable, ['zbb']);
});
