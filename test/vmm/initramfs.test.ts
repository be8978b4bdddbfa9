import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInitramfs, defaultInitScript, INIT_MARKER, BUSYBOX_APPLETS } from '../../src/vmm/initramfs.js';
import { VmmError } from '../../src/vmm/errors.js';
import { guestDir, hasTool, run, withTempDir } from './helpers.js';

const busybox = new Uint8Array(readFileSync(join(guestDir, 'busybox-1.37.0-riscv64')));
const moduleNames = readdirSync(join(guestDir, 'modules')).filter((n) => n.endsWith('.ko')).sort();
const modules = moduleNames.map((name) => ({ name, data: new Uint8Array(readFileSync(join(guestDir, 'modules', name))) }));

test('initramfs: host cpio extracts busybox, every applet link, every module, /init and extra files', { skip: hasTool('cpio') ? false : 'host cpio not installed' }, () => {
  const extra = new TextEncoder().encode('#!/bin/sh\necho hi\n');
  const archive = buildInitramfs({ busybox, modules, commands: ['echo one'], files: [{ path: '/usr/bin/probe', data: extra }] });
  withTempDir((dir) => {
    writeFileSync(join(dir, 'a.cpio'), archive);
    const out = join(dir, 'x');
    mkdirSync(out);
    run('sh', ['-c', `cpio -i -d --quiet -f 'dev/*' < ../a.cpio`], { cwd: out });
    assert.deepEqual(readFileSync(join(out, 'bin/busybox')), Buffer.from(busybox));
    for (const a of BUSYBOX_APPLETS) assert.equal(run('readlink', [join(out, 'bin', a)]).trim(), 'busybox', a);
    for (const m of modules) assert.deepEqual(readFileSync(join(out, 'lib/modules', m.name)), Buffer.from(m.data), m.name);
    assert.equal(readFileSync(join(out, 'init'), 'utf8'), defaultInitScript(['echo one']));
    assert.deepEqual(readFileSync(join(out, 'usr/bin/probe')), Buffer.from(extra));
    const listing = run('cpio', ['-t', '-v', '--quiet'], { input: archive });
    assert.match(listing, /^crw------- +1 root +root +5, +1 .* dev\/console$/m);
    assert.match(listing, /^-rwxr-xr-x .* init$/m);
    assert.match(listing, /^drwxrwxrwt .* tmp$/m);
  });
});

test('initramfs: the default /init mounts, prints the marker, runs the commands, powers off', () => {
  const s = defaultInitScript(['insmod /lib/modules/virtio_mmio.ko']);
  const lines = s.split('\n');
  assert.equal(lines[0], '#!/bin/busybox sh');
  for (const fs of ['proc /proc', 'sysfs /sys', 'devtmpfs /dev']) assert.ok(lines.some((l) => l.startsWith('mount -t') && l.endsWith(fs)), fs);
  const marker = lines.indexOf(`echo "${INIT_MARKER}"`);
  assert.ok(marker > 0 && marker < lines.indexOf('insmod /lib/modules/virtio_mmio.ko'));
  assert.ok(lines.indexOf('poweroff -f') > lines.indexOf('insmod /lib/modules/virtio_mmio.ko'));
  assert.ok(defaultInitScript().includes('setsid cttyhack sh'), 'interactive shell without commands');
});

test('initramfs: bad inputs are rejected', () => {
  assert.throws(() => buildInitramfs({ busybox: new Uint8Array([1, 2, 3, 4]) }), /busybox input is not an ELF/);
  assert.throws(() => buildInitramfs({ busybox, modules: [{ name: '../x.ko', data: new Uint8Array(1) }] }), /module name/);
  assert.throws(() => buildInitramfs({ busybox, files: [{ path: '/init', data: new Uint8Array(1) }] }), VmmError);
  assert.throws(() => buildInitramfs({ busybox, applets: ['a/b'] }), /bad applet/);
});

const qemuMissing = hasTool('qemu-system-riscv64') ? false : 'qemu-system-riscv64 not installed: cannot boot the real guest';

test('initramfs: the real Debian kernel on QEMU runs our /init (marker on the serial console)', { skip: qemuMissing, timeout: 40_000 }, async () => {
  const archive = buildInitramfs({ busybox, modules, commands: [
    'insmod /lib/modules/virtio_mmio.ko && echo "insmod: ok"',
    'echo "modules: $(ls /lib/modules | wc -l)"',
  ] });
  const console = await withTempDirAsync(async (dir) => {
    writeFileSync(join(dir, 'initrd.cpio'), archive);
    return bootQemu(join(dir, 'initrd.cpio'), 30_000);
  });
  assert.match(console, new RegExp(`^${INIT_MARKER}\\r?$`, 'm'));
  assert.match(console, /^insmod: ok\r?$/m);
  assert.match(console, new RegExp(`^modules: ${modules.length}\\r?$`, 'm'));
  assert.match(console, /reboot: Power down/);
});

async function withTempDirAsync<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-qemu-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Boots shared/guest's kernel exactly as its README shows; resolves with the console output when QEMU exits. */
function bootQemu(initrd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const q = spawn('qemu-system-riscv64', ['-M', 'virt', '-cpu', 'rv64', '-smp', '1', '-m', '512M', '-nographic',
      '-bios', 'default', '-kernel', join(guestDir, 'linux-6.12.107-riscv64.Image'), '-initrd', initrd,
      '-append', 'console=ttyS0 panic=-1 quiet', '-no-reboot'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    q.stdout.on('data', (d) => { out += d; });
    q.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => { q.kill('SIGKILL'); reject(new Error(`QEMU did not power off within ${timeoutMs} ms; console:\n${out}`)); }, timeoutMs);
    q.on('error', (e) => { clearTimeout(timer); reject(e); });
    q.on('exit', () => { clearTimeout(timer); resolve(out); });
  });
}
