// rvkvm's nested opt-in (VmOptions.nested, `rvkvm run --nested`): past KVM's rule that H is never enable-allowed,
// the vCPU starts with H, may drop and retake it before its first run, and its hart executes H (the guest kernel
// is HS-mode). Without the opt-in, Linux's rule holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeVm, ID, runOnce } from './helpers.js';

test('nested: H starts enabled, the hart ISA has h, ISA_EXT H can be cleared and set again before the first run', () => {
  const { vm, vcpu } = makeVm({ nested: true });
  assert.equal(vcpu.getOneReg(ID.isa(4)), 1n);
  assert.ok(vcpu.hartIsa().has('h'));
  vcpu.setOneReg(ID.isa(4), 0n);
  assert.equal(vcpu.hartIsa().has('h'), false);
  vcpu.setOneReg(ID.isa(4), 1n);
  assert.equal(vcpu.getOneReg(ID.isa(4)), 1n);
  runOnce(vm, vcpu);
  assert.throws(() => vcpu.setOneReg(ID.isa(4), 0n), /EBUSY/);
});

test('not nested: H is listed (the host has it) but off, enabling it is EINVAL, the hart ISA has no h', () => {
  const { vcpu } = makeVm();
  assert.ok(vcpu.getRegList().includes(ID.isa(4)));
  assert.equal(vcpu.getOneReg(ID.isa(4)), 0n);
  assert.throws(() => vcpu.setOneReg(ID.isa(4), 1n), /EINVAL/);
  assert.equal(vcpu.hartIsa().has('h'), false);
});
