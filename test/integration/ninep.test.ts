// Host folders on the real Debian guest: rvkvm run --9p / -virtfs, the guest's own v9fs (9pnet_virtio, loaded
// by the bundled init) mounting them, every kind of change checked from the host, escapes that must fail, a
// read-only share refusing writes, and the init's module loading and mounts (--mount) for a disk and a share.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'dist/src/cli/main.js');
const guest = resolve(root, '../shared/guest');
const prerequisites = existsSync(join(guest, 'linux-6.12.107-riscv64.Image')) && existsSync(join(guest, 'modules/9p.ko'));

function boot(extra: string[], commands: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, 'run', '--clock', 'icount', '--timeout', '400', '--append', 'console=ttyS0 panic=-1 quiet',
    ...extra, '--init-commands', commands], { input: '', encoding: 'utf8', timeout: 500_000, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

function payload(n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = 0x2545f491;
  for (let i = 0; i < n; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; b[i] = x & 0xff; }
  return b;
}

test('9p on the guest: read, write, create, rename, delete, mkdir/readdir, symlinks, chmod, chown kept, escapes fail, ro share refuses', { skip: !prerequisites }, () => {
  const top = mkdtempSync(join(tmpdir(), 'rvkvm-9p-guest-'));
  const share = join(top, 'share'), roShare = join(top, 'ro'), outside = join(top, 'outside');
  try {
    mkdirSync(share); mkdirSync(roShare); mkdirSync(outside);
    writeFileSync(join(share, 'hello.txt'), 'hello from the host\n');
    writeFileSync(join(share, 'todelete.txt'), 'bye');
    const big = payload(3 << 20);
    writeFileSync(join(share, 'big.bin'), big);
    writeFileSync(join(outside, 'secret.txt'), 'SECRET');
    symlinkSync(join(outside, 'secret.txt'), join(share, 'abs'));
    symlinkSync('../outside', join(share, 'rel'));
    writeFileSync(join(roShare, 'keep.txt'), 'read me');
    const uid = process.getuid!();
    const commands = [
      'mkdir -p /mnt/h /mnt/r',
      'mount -t 9p -o trans=virtio,version=9p2000.L host0 /mnt/h && echo MOUNTED',
      'mount -t 9p -o trans=virtio,version=9p2000.L ro1 /mnt/r && echo MOUNTED-RO',
      'cat /mnt/h/hello.txt',
      'echo "big $(md5sum < /mnt/h/big.bin)"',
      'echo guest-wrote > /mnt/h/new.txt && mv /mnt/h/new.txt /mnt/h/renamed.txt && rm /mnt/h/todelete.txt && echo CHANGED',
      'dd if=/dev/urandom of=/mnt/h/rand.bin bs=65536 count=24 2>/dev/null; echo "rand $(md5sum < /mnt/h/rand.bin)"',
      'mkdir /mnt/h/gdir && touch /mnt/h/gdir/a /mnt/h/gdir/b && echo "listing $(ls /mnt/h/gdir | tr "\\n" " ")"',
      'ln -s /etc/passwd /mnt/h/glink && echo "glink $(readlink /mnt/h/glink)"',
      'echo "abs $(readlink /mnt/h/abs)"',
      'chmod 640 /mnt/h/hello.txt && echo "mode $(stat -c %a /mnt/h/hello.txt)"',
      'chown 1234:1234 /mnt/h/hello.txt; echo CHOWN-DONE',
      'cat /mnt/h/abs 2>/dev/null || echo ESC-ABS-REFUSED',
      'cat /mnt/h/rel/secret.txt 2>/dev/null || echo ESC-REL-REFUSED',
      'cat /mnt/h/../../outside/secret.txt 2>/dev/null || echo ESC-DOTDOT-REFUSED',
      'ls /mnt/h/.. | tr "\\n" " "; echo',
      'cat /mnt/r/keep.txt; echo',
      '(echo nope > /mnt/r/new.txt) 2>/tmp/err || echo "RO-REFUSED $(cat /tmp/err)"',
      'rm /mnt/r/keep.txt 2>/dev/null || echo RO-RM-REFUSED',
      'umount /mnt/h && umount /mnt/r && echo UNMOUNTED',
    ].join('; ');
    const r = boot(['--9p', `${share},host0`, '--9p', `${roShare},ro1,ro`], commands);
    const o = r.stdout;
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}\n${o.slice(-3000)}`);
    assert.match(o, /^rvkvm-init: loaded virtio_mmio virtio-rng netfs 9pnet 9pnet_virtio 9p\r?$/m);
    for (const m of ['MOUNTED', 'MOUNTED-RO', 'CHANGED', 'CHOWN-DONE', 'ESC-ABS-REFUSED', 'ESC-REL-REFUSED', 'ESC-DOTDOT-REFUSED', 'RO-RM-REFUSED', 'UNMOUNTED']) {
      assert.match(o, new RegExp(`^${m}\\r?$`, 'm'), m);
    }
    assert.match(o, /^hello from the host\r?$/m);
    assert.match(o, new RegExp(`^big ${md5(big)}`, 'm'), 'a 3 MiB host file reads back intact');
    assert.match(o, /^listing a b \r?$/m);
    assert.match(o, /^glink \/etc\/passwd\r?$/m);
    assert.match(o, new RegExp(`^abs ${join(outside, 'secret.txt').replace(/\//g, '\\/')}\\r?$`, 'm'), 'the guest sees the host symlink as a symlink');
    assert.match(o, /^mode 640\r?$/m);
    assert.match(o, /^read me\r?$/m);
    assert.match(o, /^RO-REFUSED .*Read-only file system/m);
    assert.doesNotMatch(o, /SECRET/);
    // the host side
    assert.equal(readFileSync(join(share, 'renamed.txt'), 'utf8'), 'guest-wrote\n');
    assert.ok(!existsSync(join(share, 'new.txt')) && !existsSync(join(share, 'todelete.txt')));
    const rand = readFileSync(join(share, 'rand.bin'));
    assert.equal(rand.length, 24 * 65536);
    assert.match(o, new RegExp(`^rand ${md5(rand)}`, 'm'), 'a 1.5 MiB guest write arrives intact');
    assert.ok(statSync(join(share, 'gdir')).isDirectory());
    assert.ok(existsSync(join(share, 'gdir', 'a')) && existsSync(join(share, 'gdir', 'b')));
    assert.ok(lstatSync(join(share, 'glink')).isSymbolicLink());
    assert.equal(readlinkSync(join(share, 'glink')), '/etc/passwd');
    assert.equal(statSync(join(share, 'hello.txt')).mode & 0o777, 0o640);
    assert.equal(statSync(join(share, 'hello.txt')).uid, uid, 'the guest chown did not change the host owner');
    assert.equal(statSync(join(share, 'renamed.txt')).uid, uid, 'files are created as the host user');
    assert.equal(readFileSync(join(outside, 'secret.txt'), 'utf8'), 'SECRET');
    assert.ok(!existsSync(join(roShare, 'new.txt')));
    assert.equal(readFileSync(join(roShare, 'keep.txt'), 'utf8'), 'read me');
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
});

test('the bundled init loads a disk\'s and a share\'s modules in order and mounts what --mount asks (-virtfs spelling)', { skip: !prerequisites }, () => {
  const haveExt4 = spawnSync('sh', ['-c', 'command -v mkfs.ext4']).status === 0;
  assert.ok(haveExt4 || process.env.CI !== 'true', 'mkfs.ext4 (e2fsprogs) is needed in CI');
  if (!haveExt4) return;
  const top = mkdtempSync(join(tmpdir(), 'rvkvm-init-'));
  const share = join(top, 'share'), disk = join(top, 'disk.ext4');
  try {
    mkdirSync(share);
    writeFileSync(join(share, 'note.txt'), 'shared note');
    assert.equal(spawnSync('mkfs.ext4', ['-q', '-F', disk, '8M']).status, 0);
    const r = boot(['--disk', disk, '-virtfs', `local,path=${share},mount_tag=notes,security_model=none,readonly=on`,
      '--mount', 'vda:/mnt/disk', '--mount', 'notes'],
    'cat /mnt/notes/note.txt; echo; echo fine > /mnt/disk/ok.txt && echo DISK-WRITE-OK; echo x > /mnt/notes/x 2>/dev/null || echo NOTES-RO');
    const o = r.stdout;
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}\n${o.slice(-3000)}`);
    assert.match(o, /^rvkvm-init: loaded virtio_mmio virtio_blk crc32c_generic crc16 mbcache jbd2 ext4 virtio-rng netfs 9pnet 9pnet_virtio 9p\r?$/m);
    assert.match(o, /^rvkvm-init: mounted \/dev\/vda on \/mnt\/disk\r?$/m);
    assert.match(o, /^rvkvm-init: mounted 9p folder notes on \/mnt\/notes \(read-only\)\r?$/m);
    assert.ok(o.indexOf('rvkvm-init: mounted') < o.indexOf('rvkvm-init: userspace is up'), 'set up before the marker');
    assert.match(o, /^shared note\r?$/m);
    assert.match(o, /^DISK-WRITE-OK\r?$/m);
    assert.match(o, /^NOTES-RO\r?$/m);
    assert.ok(!existsSync(join(share, 'x')));
    const cat = spawnSync('debugfs', ['-R', 'cat /ok.txt', disk], { encoding: 'utf8' });
    if (cat.status === 0) assert.equal(cat.stdout.trim(), 'fine');
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
});
