// Nested virtualization on the real Debian guest: `rvkvm run --nested` gives the vCPU H, the guest kernel runs in
// HS-mode, and its own Linux KVM (../shared/guest/modules/kvm.ko, which loads only on a hart with H) comes up:
// insmod succeeds, /dev/kvm appears, and dmesg reports the G-stage mode and VMID bits the hart offers. Without
// --nested, H follows KVM's rule (never enable-allowed): the guest has no H and kvm.ko refuses to load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'dist/src/cli/main.js');
const guest = resolve(root, '../shared/guest');
const prerequisites = existsSync(join(guest, 'linux-6.12.107-riscv64.Image')) && existsSync(join(guest, 'modules/kvm.ko'));

interface Run { code: number | null; stdout: string; stderr: string }
function rvkvm(args: string[], timeoutSec = 400): Run {
  const r = spawnSync(process.execPath, [cli, ...args], { input: '', encoding: 'utf8', timeout: (timeoutSec + 30) * 1000, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const KVM_CHECK = 'grep ^isa /proc/cpuinfo; if insmod /lib/modules/kvm.ko; then echo INSMOD-OK; else echo INSMOD-FAILED; fi; ' +
  'test -c /dev/kvm && echo DEVKVM-PRESENT; dmesg | grep "kvm \\["';
function boot(extra: string[]): Run {
  return rvkvm(['run', '--clock', 'icount', '--timeout', '400', '--append', 'console=ttyS0 panic=-1 quiet', ...extra,
    '--init-commands', KVM_CHECK]);
}

test('--nested: the guest has H, its kvm.ko loads, /dev/kvm appears, dmesg names Sv57x4 and 14 VMID bits', { skip: !prerequisites, timeout: 500_000 }, () => {
  const r = boot(['--nested']);
  assert.equal(r.code, 0, r.stderr);
  const isa = /^isa\s*:\s*(\S+)/m.exec(r.stdout)?.[1] ?? '';
  assert.match(isa, /^rv64imafdch_/, `isa line: ${isa}`);
  assert.match(r.stdout, /INSMOD-OK/);
  assert.match(r.stdout, /DEVKVM-PRESENT/);
  assert.match(r.stdout, /kvm \[\d+\]: hypervisor extension available/);
  assert.match(r.stdout, /kvm \[\d+\]: using Sv57x4 G-stage page table format/);
  assert.match(r.stdout, /kvm \[\d+\]: VMID 14 bits available/);
});

test('without --nested H stays off (KVM rule): no h in the guest ISA, kvm.ko does not load; h=on needs --nested', { skip: !prerequisites, timeout: 500_000 }, () => {
  const r = boot([]);
  assert.equal(r.code, 0, r.stderr);
  const isa = /^isa\s*:\s*(\S+)/m.exec(r.stdout)?.[1] ?? '';
  assert.doesNotMatch(isa, /^rv64[a-gi-z]*h/, `isa line: ${isa}`);
  assert.match(r.stdout, /INSMOD-FAILED/);
  assert.doesNotMatch(r.stdout, /DEVKVM-PRESENT/);
  const refused = rvkvm(['run', '-cpu', 'rv64,h=on', '--timeout', '30'], 60);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /KVM_RISCV_ISA_EXT_H|\bh\b.*EINVAL|EINVAL/);
  assert.doesNotMatch(refused.stderr, /\n\s+at /);
});
