// What vcpu.run() returns: Linux's kvm_run exit, with the numeric exit_reason next to a name.

/** kvm_run.exit_reason values (include/uapi/linux/kvm.h). */
export const KVM_EXIT = {
  DEBUG: 4,
  MMIO: 6,
  INTR: 10,
  INTERNAL_ERROR: 17,
  SYSTEM_EVENT: 24,
  RISCV_SBI: 35,
} as const;

export const KVM_SYSTEM_EVENT = { SHUTDOWN: 1, RESET: 2 } as const;

export interface MmioExit {
  readonly reason: 'mmio';
  readonly code: 6;
  /** Like kvm_run.mmio: for a read, fill `data` (little-endian) before the next run(), which completes the load. */
  readonly mmio: { readonly physAddr: number; readonly len: 1 | 2 | 4 | 8; readonly isWrite: boolean; readonly data: Uint8Array };
}

export interface SbiExit {
  readonly reason: 'riscv_sbi';
  readonly code: 35;
  /** Like kvm_run.riscv_sbi: ret is pre-set to [SBI_ERR_NOT_SUPPORTED, 0]; the VMM overwrites it, the next run()
   *  hands ret[0]/ret[1] to the guest in a0/a1 and steps past the ecall. */
  readonly sbi: { readonly extensionId: bigint; readonly functionId: bigint; readonly args: readonly bigint[]; ret: [bigint, bigint] };
}

export interface SystemEventExit {
  readonly reason: 'system_event';
  readonly code: 24;
  /** 1 = shutdown, 2 = reset. */
  readonly type: 1 | 2;
  /** data[0] = the SBI reset reason. */
  readonly data: readonly bigint[];
}

/**
 * INTR: run() stopped without anything for the VMM to do: the instruction budget ran out, kick() was called,
 * or the vCPU is idle. `idle` is rvkvm's addition (KVM would block inside KVM_RUN instead):
 *  - reason 'wfi': the guest waits for an interrupt; sleepNs = wall-clock nanoseconds until its timer fires,
 *    or null when only an external event (interrupt(), an IPI, HSM start) can wake it.
 *  - reason 'stopped': the vCPU is powered off (HSM stop, SRST, never started); sleepNs is null.
 * The VMM may sleep that long (or until it delivers an interrupt) and call run() again.
 */
export interface IntrExit {
  readonly reason: 'intr';
  readonly code: 10;
  readonly idle?: { readonly reason: 'wfi' | 'stopped'; readonly sleepNs: number | null };
}

/**
 * A trap the hypervisor cannot handle (rvkvm's hart reported a machine-level trap other than an S-mode ecall), or,
 * with `trapLoop` (rvkvm's addition; KVM would let the vCPU spin forever), a guest that can never make progress
 * again: its trap handler at `vector` faults itself, so the hart re-enters it without retiring an instruction
 * (`trap` is then that fault).
 */
export interface InternalErrorExit {
  readonly reason: 'internal_error';
  readonly code: 17;
  readonly trap: { readonly cause: number; readonly tval: bigint; readonly pc: bigint };
  readonly trapLoop?: TrapLoopInfo;
}

/** Where a trap storm began (`cause` at `pc`) and the vector that faults (`vectorCause`) each time it is entered. */
export interface TrapLoopInfo {
  readonly pc: bigint;
  readonly cause: number;
  readonly interrupt: boolean;
  readonly vector: bigint;
  readonly vectorCause: number;
  readonly repeats: number;
}

/** Exceptions in a row at one pc, with nothing retired, after which run() reports a trap loop. Two would prove it
 *  (the hart's state is then a fixed point); this many take about 0.1 s and leave no doubt. */
export const TRAP_LOOP_REPEATS = 100_000;

/** "trap loop at pc 0x..., cause N, vector 0x... faults (cause M)" */
export function describeTrapLoop(t: TrapLoopInfo): string {
  return `trap loop at pc 0x${t.pc.toString(16)}, ${t.interrupt ? 'interrupt' : 'cause'} ${t.cause}, ` +
    `vector 0x${t.vector.toString(16)} faults (cause ${t.vectorCause}, ${t.repeats} times in a row without retiring an instruction)`;
}

/**
 * DEBUG (KVM_EXIT_DEBUG) after vcpu.setGuestDebug(): the vCPU stopped at a breakpoint (before executing the
 * instruction at pc) or after one single step. Running again resumes; a breakpoint at the stop pc is stepped over.
 */
export interface DebugExit {
  readonly reason: 'debug';
  readonly code: 4;
  readonly debug: { readonly pc: bigint; readonly cause: 'breakpoint' | 'step' };
}

export type VcpuExit = MmioExit | SbiExit | SystemEventExit | IntrExit | InternalErrorExit | DebugExit;
