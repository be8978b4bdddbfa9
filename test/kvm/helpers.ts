// Shared helpers for the KVM tests: a VM with RAM, ONE_REG ids by name, errno assertions.
import assert from 'node:assert/strict';
import { KvmHost, KvmError, regId, RegType, RegSize, type KvmHostOptions, type VmOptions, type Vcpu, type Vm, type ErrnoName } from '../../src/kvm/index.js';

export const RAM_BASE = 0x8000_0000;
export const RAM_SIZE = 1 << 20;

export function makeVm(vmOpts: VmOptions = {}, hostOpts: KvmHostOptions = {}): { host: KvmHost; vm: Vm; vcpu: Vcpu } {
  const host = new KvmHost(hostOpts);
  const vm = host.createVm(vmOpts);
  vm.setUserMemoryRegion({ slot: 0, guestPhysAddr: RAM_BASE, memorySize: RAM_SIZE });
  const vcpu = vm.createVcpu(0);
  vcpu.setOneReg(ID.core(0), BigInt(RAM_BASE));
  return { host, vm, vcpu };
}

/** Puts `j .` at the entry and runs a few instructions, so the vCPU "ran at least once". */
export function runOnce(vm: Vm, vcpu: Vcpu): void {
  const ram = vm.ram(RAM_BASE, 4);
  new DataView(ram.buffer, ram.byteOffset, 4).setUint32(0, 0x0000006f, true);
  const exit = vcpu.run({ maxInstructions: 10 });
  assert.equal(exit.reason, 'intr');
  assert.equal(vcpu.hasRun, true);
}

export const ID = {
  config: (i: number, size: number = RegSize.U64) => regId(RegType.CONFIG, 0, i, size),
  core: (i: number, size: number = RegSize.U64) => regId(RegType.CORE, 0, i, size),
  csr: (sub: number, i: number, size: number = RegSize.U64) => regId(RegType.CSR, sub, i, size),
  timer: (i: number, size: number = RegSize.U64) => regId(RegType.TIMER, 0, i, size),
  fpF: (i: number, size: number = RegSize.U32) => regId(RegType.FP_F, 0, i, size),
  fpD: (i: number, size: number = RegSize.U64) => regId(RegType.FP_D, 0, i, size),
  isa: (kvmId: number, size: number = RegSize.U64) => regId(RegType.ISA_EXT, 0, kvmId, size),
  isaMulti: (sub: 1 | 2, reg: number) => regId(RegType.ISA_EXT, sub, reg),
  sbi: (kvmId: number, size: number = RegSize.U64) => regId(RegType.SBI_EXT, 0, kvmId, size),
  sbiMulti: (sub: 1 | 2, reg: number) => regId(RegType.SBI_EXT, sub, reg),
  vector: (i: number, size: number = RegSize.U64) => regId(RegType.VECTOR, 0, i, size),
  sbiState: (sub: number, i: number, size: number = RegSize.U64) => regId(RegType.SBI_STATE, sub, i, size),
};

export function assertErrno(fn: () => unknown, errno: ErrnoName, what: string): void {
  assert.throws(fn, (e: unknown) => {
    if (!(e instanceof KvmError)) return false;
    assert.equal(e.errnoName, errno, `${what}: ${e.message}`);
    return true;
  }, what);
}
