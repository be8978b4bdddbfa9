// `rvkvm run --isa rva23s64` / `-cpu rva23s64`: the machine gets the part of the profile rvkvm's hart executes
// and a warning listing the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Machine } from '../../src/vmm/machine.js';
import { parseRunArgs } from '../../src/cli/cmd-run.js';
import { spinImage } from './helpers.js';

const machine = (hostIsa?: string) =>
  new Machine({ kernel: spinImage(), memBytes: 16 << 20, rng: false, clock: 'icount', console: () => {}, ...(hostIsa ? { hostIsa } : {}) });

test('--isa rva23s64: the vCPU gets the implemented part (all of it now), what the hart lacks is a listed warning', () => {
  const m = machine('rva23s64');
  for (const n of ['v', 'zcmop', 'zimop', 'zicond', 'zcb', 'zfa', 'zawrs', 'svnapot', 'sstc', 'svpbmt', 'svinval', 'zihintntl', 'ziccrse', 'svade',
    'zvbb', 'zvkb', 'zvkt', 'zvfhmin']) {
    assert.ok(m.isaExtensions.includes(n), `${n} in the guest's riscv,isa-extensions`);
  }
  // h: the hart implements it, but KVM never enables it without --nested (KVM_RISCV_ISA_EXT_H is not enable-allowed)
  // zbc and zvbc are options of the profile, not in it
  for (const n of ['h', 'zbc', 'zvbc']) assert.ok(!m.isaExtensions.includes(n), n);
  // every mandatory extension of RVA23S64 is implemented now: no warning
  assert.deepEqual(m.warnings, []);
  // an option the hart lacks (Zicfilp, landing pads) is named in the one warning, the rest is given
  const withOption = machine('rva23u64_zicfilp');
  assert.deepEqual(withOption.warnings, ["rva23u64: rvkvm's hart does not implement zicfilp; the vCPU gets the rest of the profile"]);
  assert.ok(withOption.isaExtensions.includes('zcmop'));
  assert.deepEqual(machine().warnings, [], 'no profile, no warning');
  assert.deepEqual(machine('rv64gc_zicntr').warnings, []);
});

test('-cpu rva23s64 is --isa rva23s64, with QEMU-style properties after it', () => {
  const a = parseRunArgs(['-cpu', 'rva23s64,zicond=off', '--allow-disable-any']);
  assert.equal(a.cfg.hostIsa, 'rva23s64');
  assert.deepEqual(a.cfg.disable, ['zicond']);
  assert.throws(() => parseRunArgs(['-cpu', 'rva23s64', '--isa', 'rv64gc']), /given already/);
  assert.throws(() => parseRunArgs(['-cpu', 'rva99s64']), /expected rv64 or a profile/);
});
