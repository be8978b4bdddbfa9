// The Debian guest with V (the default vCPU now has it): Linux lists v in /proc/cpuinfo, and its user copies of
// 768 bytes and more run on the vector unit (vle8/vse8 in kernel_vector_begin sections). Data piped through
// the kernel and written to tmpfs must come back with the right checksum, and the profile must show the vector
// instructions that moved it, counted under v. Also VLEN 256 and a vCPU with V disabled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'dist/src/cli/main.js');
const guest = resolve(root, '../shared/guest');
const skip = !existsSync(join(guest, 'linux-6.12.107-riscv64.Image'));

// seq 1 30000: ~170 KB through a pipe (copy_to_user) and into tmpfs (copy_from_user), then read back
const COMMANDS = 'grep -m1 "^isa" /proc/cpuinfo; seq 1 30000 | cat > /tmp/a; cat /tmp/a | md5sum; md5sum < /tmp/a';
const expected = createHash('md5').update(Array.from({ length: 30000 }, (_, i) => `${i + 1}\n`).join('')).digest('hex');

function boot(extra: string[]): { out: string; perExtension: Record<string, number> } {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-vguest-'));
  try {
    const prof = join(dir, 'profile.json');
    const r = spawnSync(process.execPath, [cli, 'run', '--clock', 'icount', '--timeout', '300', '--append', 'console=ttyS0 panic=-1 quiet',
      `--profile=${prof}`, ...extra, '--init-commands', COMMANDS], { input: '', encoding: 'utf8', timeout: 330_000, maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    return { out: r.stdout, perExtension: JSON.parse(readFileSync(prof, 'utf8')).perExtension };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('default vCPU has V: /proc/cpuinfo lists v, and the kernel\'s vector user copies move data correctly', { skip, timeout: 400_000 }, () => {
  const { out, perExtension } = boot([]);
  assert.match(out, /^isa\s*: rv64imafdcv_.*zve64d/m);
  const sums = out.split('\n').filter((l) => /^[0-9a-f]{32}\s/.test(l)).map((l) => l.slice(0, 32));
  assert.deepEqual(sums, [expected, expected]);
  assert.ok((perExtension['v'] ?? 0) > 1000, `vector instructions retired under v: ${perExtension['v']}`);
  assert.equal(perExtension['zve32x'] ?? 0, 0, 'V contains Zve32x: nothing is counted under the subset');
});

test('VLEN 256, and V disabled: the same data, no vector instructions without V', { skip, timeout: 800_000 }, () => {
  const wide = boot(['--vlen', '256']);
  assert.deepEqual(wide.out.split('\n').filter((l) => /^[0-9a-f]{32}\s/.test(l)).map((l) => l.slice(0, 32)), [expected, expected]);
  assert.ok((wide.perExtension['v'] ?? 0) > 500);
  const off = boot(['--disable-v']);
  assert.match(off.out, /^isa\s*: rv64imafdc_/m);
  assert.deepEqual(off.out.split('\n').filter((l) => /^[0-9a-f]{32}\s/.test(l)).map((l) => l.slice(0, 32)), [expected, expected]);
  assert.equal((off.perExtension['v'] ?? 0) + (off.perExtension['zve32x'] ?? 0), 0);
});
