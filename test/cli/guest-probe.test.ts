// `npm ci && npm start` on a fresh checkout: the start script cross-compiles the guest's rvkvm-probe when the
// compiler is there, says so in one line when it is not, and `rvkvm run` says at boot when the probe is absent
// (issue 13: the README told the user to run a program the first boot did not have).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const guest = resolve(root, '../shared/guest');
const haveCross = spawnSync('riscv64-linux-gnu-gcc', ['--version'], { stdio: 'ignore' }).status === 0;

/** A fresh checkout's files that the probe build needs, in a temporary root (no build/ there yet). */
function freshCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-fresh-'));
  mkdirSync(join(dir, 'scripts'));
  cpSync(join(root, 'scripts/guest-probe.mjs'), join(dir, 'scripts/guest-probe.mjs'));
  mkdirSync(join(dir, 'test/guest/linux'), { recursive: true });
  cpSync(join(root, 'test/guest/Makefile'), join(dir, 'test/guest/Makefile'));
  cpSync(join(root, 'test/guest/linux/rvkvm-probe.c'), join(dir, 'test/guest/linux/rvkvm-probe.c'));
  return dir;
}

test('npm start builds the probe before it boots', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.match(pkg.scripts.start!, /node scripts\/guest-probe\.mjs && node dist\/src\/cli\/main\.js run$/);
});

test('the start step cross-compiles rvkvm-probe into build/guest/linux', { skip: haveCross ? false : 'no riscv64-linux-gnu-gcc' }, () => {
  const dir = freshCheckout();
  try {
    const r = spawnSync(process.execPath, [join(dir, 'scripts/guest-probe.mjs')], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const elf = readFileSync(join(dir, 'build/guest/linux/rvkvm-probe.elf'));
    assert.deepEqual([...elf.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46]);
    assert.equal(elf.readUInt16LE(18), 243, 'e_machine EM_RISCV');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('without the cross compiler the start step says so in one line and lets the boot go on', () => {
  const dir = freshCheckout();
  try {
    const r = spawnSync(process.execPath, [join(dir, 'scripts/guest-probe.mjs')],
      { encoding: 'utf8', timeout: 60_000, env: { ...process.env, CROSS: 'rvkvm-no-such-cross-' } });
    assert.equal(r.status, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /rvkvm-no-such-cross-gcc not found, so the guest gets no rvkvm-probe \(install gcc-riscv64-linux-gnu and libc6-dev-riscv64-cross/);
    assert.equal(existsSync(join(dir, 'build')), false);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('rvkvm run says at boot that rvkvm-probe is absent, and the guest indeed lacks it', { skip: existsSync(guest) ? false : `missing ${guest}` }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-noprobe-'));
  try {
    cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true });
    const r = spawnSync(process.execPath, [join(dir, 'dist/src/cli/main.js'), 'run', '--clock', 'icount', '--timeout', '200',
      '--append', 'console=ttyS0 panic=-1 quiet', '--init-commands', 'ls /bin/rvkvm-probe || echo NO-PROBE-IN-GUEST'],
    { encoding: 'utf8', input: '', timeout: 240_000, env: { ...process.env, RVKVM_GUEST_DIR: guest } });
    assert.equal(r.status, 0, r.stderr);
    const line = r.stderr.split('\n').find((l) => l.includes('rvkvm-probe is absent'));
    assert.ok(line, r.stderr);
    assert.match(line, /^rvkvm: rvkvm-probe is absent from the guest \(.*build\/guest\/linux\/rvkvm-probe\.elf is not built\): install gcc-riscv64-linux-gnu and libc6-dev-riscv64-cross, then run 'npm start'/);
    assert.match(r.stdout, /NO-PROBE-IN-GUEST/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
