// `rvkvm isa` as a user runs it: spawned, checking stdout, stderr and exit status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { reference, projectRoot } from './reference.js';
import { CATALOGUE } from '../../src/isa/index.js';

const main = join(projectRoot, 'dist/src/cli/main.js');
const rvkvm = (...args: string[]) => {
  const r = spawnSync(process.execPath, [main, 'isa', ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

test('explains an ISA string', () => {
  const r = rvkvm('rv64imafdc_zicsr_zifencei_zimop_zcmop');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^canonical\s+rv64gc_zimop_zcmop$/m);
  assert.match(r.stdout, /^riscv,isa-extensions\s+i m a f d c zicsr zifencei zimop zca zcd zcmop$/m);
  // zcmop: KVM id 60, Linux id 84, hwprobe IMA_EXT_0 bit 47, needs zca, not disable-allowed, executed.
  assert.match(r.stdout, /^zcmop\s+60\s+84\s+EXT_0:47\s+zca\s+never\s+yes$/m);
  assert.match(r.stdout, /^zimop\s+55\s+79\s+EXT_0:42\s+-\s+never\s+yes$/m);
});

test('--json carries the same facts', () => {
  const r = rvkvm('rv64gc_zcmop', '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.canonical, 'rv64gc_zcmop');
  assert.deepEqual(out.explicit, ['g', 'c', 'zcmop']);
  const zcmop = out.extensions.find((e: { name: string }) => e.name === 'zcmop');
  assert.deepEqual(zcmop.kvm, { id: 60, since: '6.12.107', enable: 'always', disable: 'never' });
  assert.equal(zcmop.linuxId, 84);
  assert.equal(out.deviceTree['riscv,isa-base'], 'rv64i');
});

test('--linux shows the /proc/cpuinfo line and hwprobe value of a 6.12 guest', () => {
  const r = rvkvm('rv64gc_zimop_zcmop', '--linux');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /isa\s+: rv64imafdc_zicsr_zifencei_zimop_zca_zcd_zcmop$/m);
  assert.match(r.stdout, /IMA_EXT_0 = 0xac0000000003/);
  const j = JSON.parse(rvkvm('rv64imac_zicbom', '--linux=7.3-rc7', '--json').stdout);
  assert.equal(j.linux.cpuinfoIsa, 'rv64imac_zicbom_zaamo_zalrsc_zca');
  assert.equal(j.linux.hartRejected, null);
  assert.match(rvkvm('rv64i_zca_zcmop', '--linux').stdout, /would not bring this hart up: .*lacks m, a/);
});

test('--list prints every catalogue row', () => {
  const linux = reference('linux-isa-extensions.json');
  const names = new Set<string>(['g', 'b']);
  for (const v of ['v6.12.107', 'v7.3-rc7']) for (const e of linux[v].riscv_isa_ext_table) names.add(e.name);
  for (const r of CATALOGUE) if (r.guarantee !== null && Object.keys(r.linux).length === 0) names.add(r.name);
  assert.ok(names.has('zic64b') && names.has('sstvala'), 'profile-defined rows are listed');
  const r = rvkvm('--list', '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(new Set(JSON.parse(r.stdout).map((e: { name: string }) => e.name)), names);
  const text = rvkvm('--list');
  assert.equal(text.stdout.trimEnd().split('\n').length, names.size + 1);
});

test('bad input: non-zero exit, message and caret, no stack trace', () => {
  const r = rvkvm('rv64i_zcmop');
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'rvkvm: zcmop requires zca (or c) at position 6\n  rv64i_zcmop\n        ^^^^^\n');
  for (const bad of ['rv64iam', 'rv64i_zfoo', 'rv64ima_zcf', 'rv64', 'rv64imm']) {
    const e = rvkvm(bad);
    assert.equal(e.status, 1, bad);
    assert.match(e.stderr, /^rvkvm: /, bad);
    assert.doesNotMatch(e.stderr, /\n\s+at /, `${bad}: stack trace`);
  }
  assert.equal(rvkvm().status, 2);
  assert.equal(rvkvm('rv64i', '--bogus').status, 2);
  assert.equal(rvkvm('rv64i', '--linux=5.0').status, 2);
});
