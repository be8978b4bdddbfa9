import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readlinkSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CpioWriter } from '../../src/vmm/cpio.js';
import { VmmError } from '../../src/vmm/errors.js';
import { hasTool, run, withTempDir } from './helpers.js';

const enc = new TextEncoder();
const cpioMissing = hasTool('cpio') ? false : 'host cpio not installed (Debian package cpio)';

function sample(): Uint8Array {
  const w = new CpioWriter({ mtime: 1_700_000_000 });
  w.dir('/etc', 0o700);
  w.file('/etc/hostname', enc.encode('rvkvm\n'), 0o600);
  w.file('usr/share/doc/odd-size', new Uint8Array(5).fill(0x41), 0o644); // parents created implicitly
  w.file('empty', new Uint8Array(0));
  w.symlink('/bin/sh', 'busybox');
  w.device('/dev/console', 'c', 5, 1);
  w.device('dev/sda', 'b', 8, 0, 0o660);
  return w.finish();
}

test('cpio: newc layout: magic, 4-byte padding of names and data, trailer', () => {
  const a = sample();
  assert.equal(a.length % 4, 0);
  const text = new TextDecoder('latin1').decode(a);
  assert.equal(text.slice(0, 6), '070701');
  // walk the headers by the format's own rules (independent of the writer's code)
  let off = 0;
  const names: string[] = [];
  for (;;) {
    assert.equal(text.slice(off, off + 6), '070701', `magic at ${off}`);
    const field = (i: number) => parseInt(text.slice(off + 6 + i * 8, off + 14 + i * 8), 16);
    const filesize = field(6);
    const namesize = field(11);
    const name = text.slice(off + 110, off + 110 + namesize - 1);
    assert.equal(text[off + 110 + namesize - 1], '\0');
    names.push(name);
    off = (off + 110 + namesize + 3) & ~3;
    off = (off + filesize + 3) & ~3;
    if (name === 'TRAILER!!!') break;
  }
  assert.equal(off, a.length);
  assert.deepEqual(names, ['etc', 'etc/hostname', 'usr', 'usr/share', 'usr/share/doc', 'usr/share/doc/odd-size', 'empty',
    'bin', 'bin/sh', 'dev', 'dev/console', 'dev/sda', 'TRAILER!!!']);
});

test('cpio: host cpio lists modes, sizes, links and device numbers', { skip: cpioMissing }, () => {
  const listing = run('cpio', ['-t', '-v', '--quiet'], { input: sample() }).trim().split('\n');
  // ls -l style: mode, links, user, group, size or "major, minor", date (3 fields), name
  const rows = listing.map((l) => {
    const m = /^(\S+)\s+\d+\s+\S+\s+\S+\s+(\d+,\s+\d+|\d+)\s+\w{3}\s+\d+\s+\S+\s+(.*)$/.exec(l);
    assert.ok(m, `unexpected cpio -tv line: ${l}`);
    return [m[3], { mode: m[1], size: m[2].replace(/\s+/g, ' ') }] as const;
  });
  const byName = new Map(rows);
  const mode = (n: string) => byName.get(n)!.mode;
  assert.equal(mode('etc'), 'drwx------');
  assert.equal(mode('etc/hostname'), '-rw-------');
  assert.equal(mode('usr/share/doc'), 'drwxr-xr-x');
  assert.equal(mode('bin/sh -> busybox'), 'lrwxrwxrwx');
  assert.equal(mode('dev/console'), 'crw-------');
  assert.equal(mode('dev/sda'), 'brw-rw----');
  assert.equal(byName.get('dev/console')!.size, '5, 1');
  assert.equal(byName.get('dev/sda')!.size, '8, 0');
  assert.equal(byName.get('usr/share/doc/odd-size')!.size, '5');
  assert.equal(listing.length, 12);
});

test('cpio: host cpio extracts the files with their contents and permissions', { skip: cpioMissing }, () => {
  withTempDir((dir) => {
    const archive = join(dir, 'a.cpio');
    writeFileSync(archive, sample());
    const out = join(dir, 'x');
    mkdirSync(out);
    // device nodes need CAP_MKNOD; extract everything else
    run('sh', ['-c', `cpio -i -d --quiet --no-absolute-filenames -f 'dev/*' < ${archive}`], { cwd: out });
    assert.equal(readFileSync(join(out, 'etc/hostname'), 'utf8'), 'rvkvm\n');
    assert.equal(statSync(join(out, 'etc/hostname')).mode & 0o777, 0o600);
    assert.deepEqual(readFileSync(join(out, 'usr/share/doc/odd-size')), Buffer.alloc(5, 0x41));
    assert.equal(statSync(join(out, 'empty')).size, 0);
    assert.equal(readlinkSync(join(out, 'bin/sh')), 'busybox');
  });
});

test('cpio: bad entries are rejected with the path', () => {
  const w = new CpioWriter();
  w.file('a', new Uint8Array(1));
  assert.throws(() => w.file('/a', new Uint8Array(1)), /'a' added twice/);
  assert.throws(() => w.file('a/b', new Uint8Array(1)), /parent 'a' is not a directory/);
  assert.throws(() => w.file('../x', new Uint8Array(1)), /contains '\.\.'/);
  assert.throws(() => w.file('/', new Uint8Array(1)), /names no entry/);
  assert.throws(() => w.file('TRAILER!!!', new Uint8Array(1)), /reserved/);
  assert.throws(() => w.file('m', new Uint8Array(1), 0o17777), /permission bits/);
  assert.throws(() => w.symlink('l', ''), /empty target/);
  assert.throws(() => w.device('d', 'c', -1, 0), /bad major/);
  assert.throws(() => w.file('/a', new Uint8Array(1)), VmmError);
});
