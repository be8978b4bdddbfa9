// Nested virtualization on the real Debian guest: `rvkvm run --nested` gives the vCPU H, the guest kernel runs in
// HS-mode, and its own Linux KVM (../shared/guest/modules/kvm.ko, which loads only on a hart with H) comes up:
// insmod succeeds, /dev/kvm appears, and dmesg reports the G-stage mode and VMID bits the hart offers. Without
// --nested, H follows KVM's rule (never enable-allowed): the guest has no H and kvm.ko refuses to load.
// Then the project's own VMM (test/guest/linux/rvkvm-vmm.c) on that /dev/kvm: the real KVM's register list equals
// `rvkvm reg-list --abi 6.12 --host-isa <the L1 vCPU's ISA>` id for id, ZCMOP reads 1 and refuses 0 (EINVAL), and
// a nested guest (V=1 on the hart) runs every c.mop.n / mop.r.n, exits to user space with an SBI call, powers off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseIsaString } from '../../src/isa/index.js';
import { KvmError, KvmHost } from '../../src/kvm/index.js';
import { runOnce, RAM_BASE, RAM_SIZE } from '../kvm/helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'dist/src/cli/main.js');
const guest = resolve(root, '../shared/guest');
const vmm = join(root, 'build/guest/linux/rvkvm-vmm.elf');
const prerequisites = existsSync(join(guest, 'linux-6.12.107-riscv64.Image')) && existsSync(join(guest, 'modules/kvm.ko')) && existsSync(vmm);

interface Run { code: number | null; stdout: string; stderr: string }
function rvkvm(args: string[], timeoutSec = 400): Run {
  const r = spawnSync(process.execPath, [cli, ...args], { input: '', encoding: 'utf8', timeout: (timeoutSec + 30) * 1000, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const KVM_CHECK = 'grep ^isa /proc/cpuinfo; if insmod /lib/modules/kvm.ko; then echo INSMOD-OK; else echo INSMOD-FAILED; fi; ' +
  'test -c /dev/kvm && echo DEVKVM-PRESENT; dmesg | grep "kvm \\["; test -c /dev/kvm && rvkvm-vmm';
function boot(extra: string[]): Run {
  return rvkvm(['run', '--clock', 'icount', '--timeout', '400', '--append', 'console=ttyS0 panic=-1 quiet', ...extra,
    '--init-commands', KVM_CHECK]);
}

test('--nested: the guest has H, its kvm.ko loads (Sv57x4, 14 VMID bits), and a VMM on its /dev/kvm runs a nested guest; reg lists agree', { skip: !prerequisites, timeout: 500_000 }, () => {
  const r = boot(['--nested']);
  assert.equal(r.code, 0, r.stderr);
  const isa = /^isa\s*:\s*(\S+)/m.exec(r.stdout)?.[1] ?? '';
  assert.match(isa, /^rv64imafdcv?h_/, `isa line: ${isa}`);
  assert.match(r.stdout, /INSMOD-OK/);
  assert.match(r.stdout, /DEVKVM-PRESENT/);
  assert.match(r.stdout, /kvm \[\d+\]: hypervisor extension available/);
  assert.match(r.stdout, /kvm \[\d+\]: using Sv57x4 G-stage page table format/);
  assert.match(r.stdout, /kvm \[\d+\]: VMID 14 bits available/);
  // the minimal VMM on the guest's /dev/kvm
  const out = r.stdout.replace(/\r/g, '');
  assert.match(out, /vmm: get ZCMOP = 1$/m);
  assert.match(out, /vmm: set ZCMOP 0 = -1 EINVAL$/m);
  assert.match(out, /vmm: sbi ext 0x8000000 fid 0 a0 32 a1 8$/m, 'all 32 mop.r.n wrote 0, all 8 c.mop.n ran');
  assert.match(out, /vmm: system event 1 \(shutdown = 1\), s2 = 0x42$/m, 'the SBI answer reached the nested guest');
  assert.match(out, /vmm: OK$/m);
  // differential: the real KVM's KVM_GET_REG_LIST against rvkvm's model for the same host ISA
  const real = [...out.matchAll(/^reg (0x[0-9a-f]{16})$/gm)].map((m) => m[1]);
  assert.equal(Number(/^vmm: reg-list (\d+)$/m.exec(out)?.[1]), real.length);
  const hostIsa = /ISA (\S+)/.exec(r.stderr)?.[1];
  assert.ok(hostIsa, `no vCPU ISA in stderr: ${r.stderr}`);
  const model = spawnSync(process.execPath, [cli, 'reg-list', '--abi', '6.12', '--host-isa', hostIsa], { encoding: 'utf8' });
  assert.equal(model.status, 0, model.stderr);
  const modelIds = [...model.stdout.matchAll(/^(0x[0-9a-f]{16})\s/gm)].map((m) => m[1]);
  assert.ok(real.length > 100, `real list has ${real.length} ids`);
  assert.deepEqual(real, modelIds, 'the real KVM and rvkvm reg-list --abi 6.12 list the same ids in the same order');
  // differential: the same table of ONE_REG calls (every ISA_EXT id enabled/disabled, sizes, types, writes after
  // the first run) gives the same errno and values on the real KVM and on rvkvm's model of it
  const rows = [...out.matchAll(/^onereg (\d) (get|set) (0x[0-9a-f]+) (0x[0-9a-f]+) -> (\d+) (0x[0-9a-f]+)$/gm)];
  assert.ok(rows.length > 300, `${rows.length} ONE_REG rows`);
  const host = new KvmHost({ extensions: parseIsaString(hostIsa).extensions });
  const vm = host.createVm({ abi: '6.12' });
  vm.setUserMemoryRegion({ slot: 0, guestPhysAddr: RAM_BASE, memorySize: RAM_SIZE });
  const vcpus = [vm.createVcpu(0)];
  vcpus[0]!.setOneReg(0x8030000002000000n, BigInt(RAM_BASE)); // pc
  runOnce(vm, vcpus[0]!);
  vcpus.push(vm.createVcpu(1));
  const mismatches: string[] = [];
  for (const m of rows) {
    const [line, k, op, idHex, valueHex] = m as unknown as [string, string, string, string, string];
    const vcpu = vcpus[Number(k)]!, id = BigInt(idHex);
    let errno = 0, read = 0n;
    try {
      if (op === 'get') read = vcpu.getOneReg(id); else vcpu.setOneReg(id, BigInt(valueHex));
    } catch (e) {
      if (!(e instanceof KvmError)) throw e;
      errno = e.errno;
    }
    const mine = `onereg ${k} ${op} ${idHex} ${valueHex} -> ${errno} 0x${read.toString(16)}`;
    if (mine !== line) mismatches.push(`real: ${line}\nrvkvm: ${mine}`);
  }
  assert.deepEqual(mismatches, [], 'ONE_REG results differ between the real KVM and rvkvm');
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
