// Comma sub-options of CLI flags: every key and value is checked against the flag's table (issue 16: `--disk
// x,format=qcow2` used to be ignored and the qcow2 file served as raw sectors).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDiskOption } from '../../src/cli/disk.js';
import { parseRunArgs } from '../../src/cli/cmd-run.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'dist/src/cli/main.js');

test('--disk accepts ro, readonly=, lock= and format=raw', () => {
  assert.deepEqual(parseDiskOption('a.img'), { path: 'a.img', readOnly: false, lock: true });
  assert.deepEqual(parseDiskOption('a.img,ro'), { path: 'a.img', readOnly: true, lock: true });
  assert.deepEqual(parseDiskOption('a.img,readonly=on,lock=off'), { path: 'a.img', readOnly: true, lock: false });
  assert.deepEqual(parseDiskOption('a.img,format=raw,lock=on'), { path: 'a.img', readOnly: false, lock: true });
  assert.deepEqual(parseRunArgs(['--disk', 'b.img,ro']).diskFiles, [{ path: 'b.img', readOnly: true, lock: true }]);
});

test('--disk rejects unknown keys and values, naming them and what is accepted', () => {
  assert.throws(() => parseDiskOption('a.img,format=qcow2'), /--disk 'a.img,format=qcow2': format=qcow2 is not supported yet \(accepted: format=raw\)/);
  assert.throws(() => parseDiskOption('a.img,format=vdi'), /format=vdi is not accepted \(accepted: format=raw\)/);
  assert.throws(() => parseDiskOption('a.img,cache=none'), /unknown option 'cache' \(accepted: ro, readonly=on\|off, lock=on\|off, format=raw\)/);
  assert.throws(() => parseDiskOption('a.img,rw'), /unknown option 'rw'/);
  assert.throws(() => parseDiskOption('a.img,lock'), /'lock' needs a value: lock=on\|off/);
  assert.throws(() => parseDiskOption('a.img,ro=1'), /'ro' takes no value/);
  assert.throws(() => parseDiskOption('a.img,'), /unknown option ''/);
  assert.throws(() => parseDiskOption(',ro'), /expected FILE/);
});

test('rvkvm run --disk x,format=qcow2 stops with one line before booting', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-subopt-'));
  try {
    const img = join(dir, 'x.img');
    writeFileSync(img, new Uint8Array(4096));
    const r = spawnSync(process.execPath, [cli, 'run', '--disk', `${img},format=qcow2`], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^rvkvm: --disk '.*x\.img,format=qcow2': format=qcow2 is not supported yet/);
    assert.equal(r.stdout, '');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('-cpu rejects properties that are not EXT=on|off or name no extension', () => {
  assert.throws(() => parseRunArgs(['-cpu', 'rv64,pmp=on']), /-cpu: unknown extension 'pmp'/);
  assert.throws(() => parseRunArgs(['-cpu', 'rv64,zbb']), /-cpu property 'zbb': expected EXT=on or EXT=off/);
  assert.throws(() => parseRunArgs(['-cpu', 'rv64,zbb=maybe']), /-cpu property 'zbb=maybe'/);
  assert.deepEqual(parseRunArgs(['-cpu', 'rv64,zbb=off']).cfg.disable, ['zbb']);
});
