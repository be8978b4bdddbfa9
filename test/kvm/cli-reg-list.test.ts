// `rvkvm reg-list`, spawned as a user would run it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const rvkvm = (...args: string[]) => spawnSync(process.execPath, [MAIN, 'reg-list', ...args], { encoding: 'utf8' });

test('reg-list prints ids in hex with get-reg-list style names, Zcmop among them', () => {
  const r = rvkvm();
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^0x803000000700003c {2}KVM_REG_RISCV \| KVM_REG_SIZE_U64 \| KVM_REG_RISCV_ISA_EXT \| KVM_REG_RISCV_ISA_SINGLE \| KVM_RISCV_ISA_EXT_ZCMOP,$/m);
  assert.match(r.stdout, /^0x8030000001000000 {2}KVM_REG_RISCV \| KVM_REG_SIZE_U64 \| KVM_REG_RISCV_CONFIG \| KVM_REG_RISCV_CONFIG_REG\(isa\),$/m);
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('0x'));
  assert.match(r.stdout, new RegExp(`^# ${lines.length} registers$`, 'm'));
});

test('reg-list --json: --isa reports the writes KVM rejected (disabling Zcmop: EINVAL)', () => {
  const r = rvkvm('--json', '--isa', 'rv64imac_zicsr_zifencei');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { isaWrites: { extension: string; kvmId: number; value: number; result: string }[]; vcpuExtensions: string[]; regs: { id: string; name: string }[] };
  const zcmop = out.isaWrites.find((w) => w.extension === 'zcmop');
  assert.deepEqual(zcmop, { extension: 'zcmop', kvmId: 60, value: 0, result: 'EINVAL (22)' });
  assert.equal(out.isaWrites.find((w) => w.extension === 'd')?.result, 'ok');
  assert.ok(!out.vcpuExtensions.includes('d') && out.vcpuExtensions.includes('zcmop'));
  assert.ok(!out.regs.some((x) => x.name.includes('KVM_REG_RISCV_FP_D')), 'no FP_D registers without D');
});

test('reg-list --allow-disable-any takes Zcmop away; --host-isa without Zcmop has no Zcmop register', () => {
  const a = JSON.parse(rvkvm('--json', '--allow-disable-any', '--isa', 'rv64imac_zicsr_zifencei').stdout) as { vcpuExtensions: string[] };
  assert.ok(!a.vcpuExtensions.includes('zcmop'));
  const b = rvkvm('--host-isa', 'rv64imafdc_zicsr_zifencei_zimop');
  assert.equal(b.status, 0, b.stderr);
  assert.doesNotMatch(b.stdout, /ZCMOP/);
  assert.match(b.stdout, /KVM_RISCV_ISA_EXT_ZIMOP/);
});

test('reg-list --abi 6.12 lists 6.12 registers only', () => {
  const r = rvkvm('--abi', '6.12');
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /zicbop_block_size|SBI_FWFT|SBI_EXT_SUSP/);
  assert.match(r.stdout, /KVM_REG_RISCV_CONFIG_REG\(satp_mode\)/);
});

test('reg-list bad input: one-line error, non-zero exit, no stack trace', () => {
  for (const args of [['--abi', '5'], ['--isa', 'rv64i_zcmop'], ['--bogus'], ['--isa']]) {
    const r = rvkvm(...args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, /^rvkvm: /, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, args.join(' '));
  }
});
