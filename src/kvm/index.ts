// Public surface of the KVM layer: Linux KVM's RISC-V vCPU ABI on rvkvm's software hart.
//
// Usage, as with /dev/kvm (ioctl -> method):
//   const host = new KvmHost();                       // the "hardware": every extension the hart executes
//   const vm = host.createVm({ abi: '7.3' });          // KVM_CREATE_VM ('6.12' models Linux 6.12.107)
//   const ram = vm.setUserMemoryRegion({ slot: 0, guestPhysAddr: 0x8000_0000, memorySize: 256 << 20 });
//   vm.addMmioWindow(0x1000_0000, 0x1000);             // accesses stop run() with an MMIO exit
//   const vcpu = vm.createVcpu(0);                     // KVM_CREATE_VCPU (vCPUs other than the first start stopped)
//   vcpu.setOneReg(id, value) / getOneReg(id)          // KVM_SET/GET_ONE_REG, ids as Linux's uapi, bigint
//   vcpu.getRegList(capacity?)                         // KVM_GET_REG_LIST (E2BIG error carries .needed)
//   const exit = vcpu.run({ maxInstructions });        // KVM_RUN -> { reason, code, ... } (see exits.ts)
//   vcpu.interrupt(level)                              // KVM_INTERRUPT: the guest's S-level external interrupt
//   vcpu.kick()                                        // make a running run() return INTR
//   vm.runAll()                                        // SMP in one JS thread: round-robin time slices
//   vm.saveState() / vm.loadState(s)                   // rvkvm's own: every vCPU and the clock, for snapshots
//
// Choices where KVM depends on the host (all documented at their definition):
//  - Idle: a guest in WFI (or HSM retentive suspend) makes run() return INTR with idle.sleepNs = nanoseconds
//    until its timer, or null when only an interrupt/IPI can wake it; powered-off vCPUs return idle 'stopped'.
//    With the 'icount' clock the vCPU fast-forwards guest time to the timer deadline instead.
//  - SBI: V01's ONE_REG register exists but its EIDs are not handled (host built without
//    CONFIG_RISCV_SBI_V01, as Debian's); PMU hands out the hart's hpm counters (sbi-pmu.ts); STA is available;
//    FWFT (7.3) offers pte_ad_hw_updating when the vCPU has Svadu (the other features need extensions the
//    hart lacks, and misaligned accesses never trap).
//  - allowDisableAny (VmOptions) is rvkvm's opt-in past Linux: every ISA extension may be disabled, e.g. Zcmop,
//    and the hart then traps its instructions. Default: Linux's rules.
//  - On the first run() the vCPU's enabled extensions, expanded through the catalogue (c -> zca, +zcd with d),
//    plus host extensions this ABI has no KVM id for (hardware cannot hide them), become the hart's ISA.
export { KvmHost, type KvmHostOptions, CBO_BLOCK_SIZE } from './host.js';
export { Vm, type VmOptions, type MemoryRegion, KVM_MAX_VCPUS } from './vm.js';
export { Vcpu, type PowerState, INVALID_GPA, TRAP_LOOP_REPEATS } from './vcpu.js';
export { KvmError, ERRNO, type ErrnoName } from './errors.js';
export { KVM_EXIT, KVM_SYSTEM_EVENT, type VcpuExit, type MmioExit, type SbiExit, type SystemEventExit, type IntrExit, type InternalErrorExit, type DebugExit, type TrapLoopInfo, describeTrapLoop } from './exits.js';
export * from './reg-id.js';
export { regIdName } from './names.js';
export { ABI_PROFILES, DEFAULT_ABI, KVM_ABIS, abiProfile, KVM_SBI_EXT_NAMES, SbiEid, type KvmAbi, type AbiProfile } from './abi.js';
export { kvmIsaTable, kvmIsaExt, type KvmIsaExt } from './isa-rules.js';
export { SbiErr, HsmState } from './sbi.js';
export type { StateValue, StateObject } from '../hart/snapshot.js';
