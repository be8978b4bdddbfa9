// QEMU's and kvmtool's spellings of what rvkvm run has, the host-folder options (--9p, -virtfs, --mount), the
// modules the bundled init loads for each device, and one size syntax for every --mem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRunArgs } from '../../src/cli/cmd-run.js';
import { parse9pOption, parseVirtfsOption } from '../../src/cli/ninep-options.js';
import { guestSetup } from '../../src/cli/guest-setup.js';
import { parseMemSize } from '../../src/cli/sizes.js';
import { DEFAULT_CMDLINE } from '../../src/vmm/machine.js';
import { defaultInitScript, modulesFor, setupScript } from '../../src/vmm/initramfs.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'dist/src/cli/main.js');

test('QEMU spellings: -m -smp -kernel -initrd -append -nographic -s -S -gdb', () => {
  const a = parseRunArgs(['-m', '1G', '-smp', '2', '-kernel', 'K', '-initrd', 'I', '-append', 'console=ttyS0', '-nographic', '-s', '-S']);
  assert.equal(a.cfg.memBytes, 1 << 30);
  assert.equal(a.cfg.smp, 2);
  assert.equal(a.kernel, 'K');
  assert.equal(a.initrd, 'I');
  assert.equal(a.cfg.cmdline, 'console=ttyS0');
  assert.deepEqual(a.gdb, { host: '127.0.0.1', port: 1234 });
  assert.equal(a.gdbWait, true);
  assert.equal(parseRunArgs(['-smp', 'cpus=3']).cfg.smp, 3);
  assert.deepEqual(parseRunArgs(['-gdb', 'tcp::4321']).gdb, { host: '127.0.0.1', port: 4321 });
  assert.throws(() => parseRunArgs(['-S']), /-S\) needs --gdb/);
  assert.throws(() => parseRunArgs(['-smp', 'two']), /-smp 'two': expected a positive integer/);
});

test('kvmtool spellings: -k -i -m (MiB) -c -p (appended to the default command line)', () => {
  const a = parseRunArgs(['-k', 'K', '-i', 'I', '-m', '768', '-c', '4', '-p', 'loglevel=8']);
  assert.equal(a.kernel, 'K');
  assert.equal(a.initrd, 'I');
  assert.equal(a.cfg.memBytes, 768 << 20);
  assert.equal(a.cfg.smp, 4);
  assert.equal(a.cfg.cmdline, `${DEFAULT_CMDLINE} loglevel=8`);
  assert.equal(parseRunArgs(['--cpus', '2', '--params', 'quiet']).cfg.cmdline, `${DEFAULT_CMDLINE} quiet`);
  assert.throws(() => parseRunArgs(['-p', 'a', '--append', 'b']), /-p\/--params adds to the default command line/);
});

test('one size syntax for every --mem: 512M, 1G, 2048K, 1GiB, a bare number of MiB', () => {
  assert.equal(parseMemSize('512M', '--mem'), 512 << 20);
  assert.equal(parseMemSize('1G', '--mem'), 1 << 30);
  assert.equal(parseMemSize('2048K', '--mem'), 2 << 20);
  assert.equal(parseMemSize('1GiB', '--mem'), 1 << 30);
  assert.equal(parseMemSize('64', '-m'), 64 << 20);
  assert.throws(() => parseMemSize('lots', '--mem'), /^UsageError: --mem 'lots': expected a size such as 512M or 1G/);
  // exec takes the same spelling (it used to take only a number of MiB)
  const r = spawnSync(process.execPath, [cli, 'exec', '/dev/zero', '--mem', '16M'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /larger than 16 MiB, the program's RAM \(--mem 16M\)/);
  const bad = spawnSync(process.execPath, [cli, 'exec', '/dev/zero', '--mem', '16Q'], { encoding: 'utf8' });
  assert.match(bad.stderr, /^rvkvm: --mem '16Q': expected a size/);
});

test('--9p DIR[,TAG][,ro] as kvmtool, -virtfs as QEMU; unknown or unserved sub-options are one-line errors', () => {
  assert.deepEqual(parse9pOption('/srv/x,host0'), { path: '/srv/x', tag: 'host0', readOnly: false });
  assert.deepEqual(parse9pOption('/srv/x,host0,ro'), { path: '/srv/x', tag: 'host0', readOnly: true });
  assert.deepEqual(parse9pOption('/srv/x'), { path: '/srv/x', tag: 'kvm_9p', readOnly: false });
  assert.throws(() => parse9pOption('/srv/x,host0,rw'), /--9p '\/srv\/x,host0,rw': unknown option 'rw' \(accepted: ro\)/);
  assert.throws(() => parse9pOption('/srv/x,bad tag'), /mount tag 'bad tag' must be/);
  assert.deepEqual(parseVirtfsOption('local,path=/d,mount_tag=t,security_model=none,readonly=on,id=f0'), { path: '/d', tag: 't', readOnly: true });
  assert.deepEqual(parseVirtfsOption('local,path=/d,mount_tag=t,security_model=none'), { path: '/d', tag: 't', readOnly: false });
  assert.throws(() => parseVirtfsOption('local,path=/d,mount_tag=t,security_model=mapped-xattr'), /security_model=mapped-xattr is not supported yet/);
  assert.throws(() => parseVirtfsOption('local,path=/d,mount_tag=t'), /security_model= is required/);
  assert.throws(() => parseVirtfsOption('proxy,path=/d,mount_tag=t,security_model=none'), /only the 'local' file system driver/);
  assert.throws(() => parseVirtfsOption('local,path=/d,mount_tag=t,security_model=none,writeout=immediate'), /unknown option 'writeout' \(accepted: path=DIR, mount_tag=TAG, id=ID, /);
  assert.throws(() => parseVirtfsOption('local,mount_tag=t,security_model=none'), /path=DIR is required/);
  const a = parseRunArgs(['--9p', '/a,one', '-virtfs', 'local,path=/b,mount_tag=two,security_model=none', '--mount', 'two:/mnt/b', '--mount', 'one']);
  assert.deepEqual(a.shares.map((s) => s.tag), ['one', 'two']);
  assert.deepEqual(a.mounts, [{ source: 'two', target: '/mnt/b' }, { source: 'one', target: '/mnt/one' }]);
  assert.throws(() => parseRunArgs(['--mount', 'three']), /--mount 'three': not a disk \(vda, vdb, \.\.\.\) or the tag of a --9p share/);
  assert.throws(() => parseRunArgs(['--mount', 'vda']), /--mount 'vda': there are 0 disks/);
  assert.throws(() => parseRunArgs(['--9p', '/a,one', '--mount', 'one:/mnt/$(x)']), /absolute path of plain characters/);
  // a directory that does not exist is refused before boot, in one line
  const r = spawnSync(process.execPath, [cli, 'run', '--9p', '/nonexistent-rvkvm-dir,x', '--timeout', '5'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /9p: cannot share '\/nonexistent-rvkvm-dir': no such directory/);
});

test('the bundled init loads what the devices need, in the README order, and mounts what --mount asks', () => {
  assert.deepEqual(modulesFor(['ninep']), ['virtio_mmio', 'netfs', '9pnet', '9pnet_virtio', '9p']);
  assert.deepEqual(modulesFor(['ninep', 'disk']), ['virtio_mmio', 'virtio_blk', 'crc32c_generic', 'crc16', 'mbcache', 'jbd2', 'ext4', 'netfs', '9pnet', '9pnet_virtio', '9p']);
  assert.deepEqual(modulesFor(['net']), ['virtio_mmio', 'failover', 'net_failover', 'virtio_net']);
  const plain = guestSetup({ diskFiles: [], shares: [], mounts: [], cfg: {} });
  assert.deepEqual(plain.modules, [], 'no devices chosen: nothing is loaded');
  const s = guestSetup({
    diskFiles: [{ readOnly: true }], shares: [{ path: '/x', tag: 'h', readOnly: false }],
    mounts: [{ source: 'vda', target: '/mnt/disk' }, { source: 'h', target: '/mnt/h' }], net: {}, cfg: {},
  });
  assert.equal(s.dhcp, true, 'with --net the init asks for a DHCP lease');
  assert.equal(plain.dhcp, undefined);
  assert.deepEqual(s.modules, modulesFor(['disk', 'net', 'ninep', 'rng']));
  assert.deepEqual(s.mounts, [
    { source: '/dev/vda', type: 'disk', target: '/mnt/disk', readOnly: true },
    { source: 'h', type: '9p', target: '/mnt/h', readOnly: false },
  ]);
  const lines = setupScript(s);
  assert.match(lines.join('\n'), /grep -q '\^virtio_rng ' \/proc\/modules \|\| insmod \/lib\/modules\/virtio-rng\.ko/);
  assert.ok(lines.includes('echo "rvkvm-init: loaded$rvkvm_loaded"'));
  assert.match(lines.join('\n'), /mount -o ro \/dev\/vda \/mnt\/disk && echo "rvkvm-init: mounted \/dev\/vda on \/mnt\/disk \(read-only\)"/);
  assert.match(lines.join('\n'), /mount -t 9p -o trans=virtio,version=9p2000\.L h \/mnt\/h/);
  const init = defaultInitScript(['echo hi'], { setup: s }).split('\n');
  assert.ok(init.indexOf('echo "rvkvm-init: loaded$rvkvm_loaded"') < init.findIndex((l) => l.includes('userspace is up')));
  assert.throws(() => setupScript({ modules: ['a;reboot'] }), /not a plain module, device or path name/);
  assert.match(setupScript({ modules: [], dhcp: true }).join('\n'), /udhcpc -i eth0 -s \/etc\/udhcpc\.script/);
});

