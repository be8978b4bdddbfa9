// Vm: KVM_CREATE_VM's object. Guest memory slots, MMIO windows, vCPUs, and a single-threaded SMP helper.
import { GuestClock, GuestMemory, Hart, type SyncMmio } from '../hart/index.js';
import { abiProfile, DEFAULT_ABI, type AbiProfile, type KvmAbi } from './abi.js';
import { KvmError } from './errors.js';
import type { VcpuExit } from './exits.js';
import type { KvmHost } from './host.js';
import { Vcpu, mergeProfileReports, type ProfileReport } from './vcpu.js';
import type { StateObject } from '../hart/snapshot.js';

export interface VmOptions {
  /** Which Linux KVM ABI to model: '7.3' (7.3-rc7, default) or '6.12' (6.12.107). */
  abi?: KvmAbi;
  /**
   * rvkvm's opt-in past Linux: every ISA extension may be disabled through ONE_REG (Linux refuses e.g. Zcmop,
   * KVM id 60, with EINVAL). The hart then traps the disabled instructions (c.mop.n becomes illegal).
   */
  allowDisableAny?: boolean;
  /**
   * rvkvm's opt-in past Linux (`rvkvm run --nested`): the vCPUs get H (KVM_RISCV_ISA_EXT_H, never enable-allowed
   * under Linux's rules), so the guest runs in HS-mode and can run its own KVM; its guests run with V=1 on the hart.
   */
  nested?: boolean;
  /** Upper bound for guest RAM (the WebAssembly.Memory maximum). */
  maxRamBytes?: number;
  /** The guest clock: wall time scaled to the timebase (default) or derived from retired instructions. */
  clock?: 'wall' | 'icount';
  /** rvkvm's own: translate hot guest code to WebAssembly (default true); false interprets everything. */
  jit?: boolean;
  /** instructions interpreted in a code page before it is translated (default: the hart's) */
  jitHot?: number;
  /** compile translations off the run loop (the caller lets the event loop run between runs; default false) */
  jitAsync?: boolean;
}

export interface MemoryRegion {
  readonly slot: number;
  readonly guestPhysAddr: number;
  readonly memorySize: number;
  readonly flags?: number;
}

const PAGE = 4096;
/** KVM_MAX_VCPUS on RISC-V. */
export const KVM_MAX_VCPUS = 1024;

export class Vm {
  readonly abi: KvmAbi;
  readonly profile: AbiProfile;
  readonly allowDisableAny: boolean;
  readonly nested: boolean;
  readonly clock: 'wall' | 'icount';
  readonly memory: GuestMemory;
  /** One guest time base for all vCPUs, as KVM keeps one per VM. */
  readonly guestClock: GuestClock;
  readonly jit: boolean;
  readonly jitHot: number | undefined;
  readonly jitAsync: boolean;
  private readonly slots = new Map<number, MemoryRegion>();
  private readonly vcpuList: Vcpu[] = [];
  private roundRobinNext = 0;

  constructor(readonly host: KvmHost, opts: VmOptions = {}) {
    this.abi = opts.abi ?? DEFAULT_ABI;
    this.profile = abiProfile(this.abi);
    this.allowDisableAny = opts.allowDisableAny ?? false;
    this.nested = opts.nested ?? false;
    this.clock = opts.clock ?? 'wall';
    this.jit = opts.jit ?? true;
    this.jitHot = opts.jitHot;
    this.jitAsync = opts.jitAsync ?? false;
    this.guestClock = new GuestClock(this.clock, host.timebaseHz);
    this.memory = new GuestMemory(opts.maxRamBytes !== undefined ? { maxRamBytes: opts.maxRamBytes } : undefined);
  }

  /**
   * KVM_SET_USER_MEMORY_REGION: RAM at [guestPhysAddr, +memorySize). Returns the bytes (the "userspace_addr"
   * mapping) for loaders and DMA. Unaligned -> EINVAL; overlapping another slot -> EEXIST; changing an existing
   * slot -> EINVAL; deleting (size 0) -> EOPNOTSUPP (rvkvm's RAM cannot be unmapped).
   */
  setUserMemoryRegion(region: MemoryRegion): Uint8Array {
    const { slot, guestPhysAddr: gpa, memorySize: size } = region;
    if (!Number.isInteger(slot) || slot < 0 || slot > 0x7fff) throw new KvmError('EINVAL', `memory slot ${slot} is not in 0..32767`);
    if (!Number.isSafeInteger(gpa) || gpa < 0 || gpa % PAGE !== 0) throw new KvmError('EINVAL', `slot ${slot}: guest_phys_addr 0x${gpa.toString(16)} is not page aligned`);
    if (!Number.isSafeInteger(size) || size < 0 || size % PAGE !== 0) throw new KvmError('EINVAL', `slot ${slot}: memory_size ${size} is not a multiple of 4096`);
    const old = this.slots.get(slot);
    if (size === 0) {
      if (!old) throw new KvmError('EINVAL', `slot ${slot}: deleting a slot that does not exist`);
      throw new KvmError('EOPNOTSUPP', `slot ${slot}: rvkvm cannot delete RAM slots`);
    }
    if (old) {
      if (old.guestPhysAddr === gpa && old.memorySize === size) return this.memory.ram(gpa, size);
      throw new KvmError('EINVAL', `slot ${slot} already maps 0x${old.guestPhysAddr.toString(16)}+0x${old.memorySize.toString(16)}; moving or resizing a slot is not supported`);
    }
    for (const s of this.slots.values()) {
      if (gpa < s.guestPhysAddr + s.memorySize && s.guestPhysAddr < gpa + size) {
        throw new KvmError('EEXIST', `slot ${slot} (0x${gpa.toString(16)}+0x${size.toString(16)}) overlaps slot ${s.slot}`);
      }
    }
    try {
      this.memory.addRam(gpa, size);
    } catch (e) {
      throw new KvmError('EINVAL', `slot ${slot}: ${(e as Error).message}`);
    }
    this.slots.set(slot, { slot, guestPhysAddr: gpa, memorySize: size, flags: region.flags ?? 0 });
    return this.memory.ram(gpa, size);
  }

  /**
   * A device window with a handler: guest accesses complete synchronously inside run() (rvkvm's fast path).
   * Without one it only documents the layout: every guest load/store outside the memory slots stops run()
   * with an MMIO exit anyway, window or not, as under KVM.
   */
  addMmioWindow(gpa: number, size: number, handler?: SyncMmio): void {
    try {
      this.memory.addMmio(gpa, size, handler);
    } catch (e) {
      throw new KvmError('EINVAL', `MMIO window 0x${gpa.toString(16)}+0x${size.toString(16)}: ${(e as Error).message}`);
    }
  }

  /** Bytes of guest RAM (throws KvmError EFAULT if the range is not RAM). */
  ram(gpa: number, len: number): Uint8Array {
    try {
      return this.memory.ram(gpa, len);
    } catch (e) {
      throw new KvmError('EFAULT', `guest range 0x${gpa.toString(16)}+${len} is not RAM: ${(e as Error).message}`);
    }
  }

  /** KVM_CREATE_VCPU. The id is the guest hart id. vCPU 0 starts running; others start powered off (HSM). */
  createVcpu(id: number): Vcpu {
    if (!Number.isInteger(id) || id < 0 || id >= KVM_MAX_VCPUS) throw new KvmError('EINVAL', `vcpu id ${id} is not in 0..${KVM_MAX_VCPUS - 1}`);
    if (this.vcpuList.some((v) => v.id === id)) throw new KvmError('EEXIST', `vcpu ${id} already exists`);
    const hart = new Hart({ memory: this.memory, isa: new Set(this.host.extensions), hartId: id, hypervisor: true,
      timebaseHz: this.host.timebaseHz, clock: this.clock, guestClock: this.guestClock, jit: this.jit, jitAsync: this.jitAsync, vlen: this.host.vlen,
      ...(this.jitHot !== undefined ? { jitHot: this.jitHot } : {}) });
    const vcpu = new Vcpu(this, id, hart);
    this.vcpuList.push(vcpu);
    return vcpu;
  }

  /** rvkvm's own: the VM's state for a snapshot (its clock, the SMP round robin, every vCPU), between runs. */
  saveState(): StateObject {
    return { clock: this.clock, guestClock: this.guestClock.saveState(), roundRobinNext: this.roundRobinNext, vcpus: this.vcpuList.map((v) => v.saveState()) };
  }

  /** Restores a saveState() into a VM built the same way (same vCPUs, clock kind and RAM); RAM is the caller's. */
  loadState(s: StateObject): void {
    const vcpus = s['vcpus'], clock = s['guestClock'] as StateObject | undefined;
    if (s['clock'] !== this.clock) throw new KvmError('EINVAL', `VM state: saved with --clock ${String(s['clock'])}, this VM has ${this.clock}`);
    if (!Array.isArray(vcpus) || vcpus.length !== this.vcpuList.length) throw new KvmError('EINVAL', `VM state: ${Array.isArray(vcpus) ? vcpus.length : '?'} vCPUs saved, this VM has ${this.vcpuList.length}`);
    const num = (v: unknown): number => { if (typeof v !== 'number') throw new KvmError('EINVAL', 'VM state: the clock record is damaged'); return v; };
    const c = { icountNs: num(clock?.['icountNs']), offsetTicks: num(clock?.['offsetTicks']), ticks: num(clock?.['ticks']) };
    const rr = num(s['roundRobinNext']);
    vcpus.forEach((v, i) => this.vcpuList[i]!.loadState(v as StateObject));
    this.guestClock.loadState(c);
    this.roundRobinNext = rr % this.vcpuList.length;
  }

  /** The execution profile summed over every vCPU that is profiling; null when none is. */
  executionProfile(): ProfileReport | null {
    const reports = this.vcpus.map((v) => v.executionProfile()).filter((r): r is ProfileReport => r !== null);
    return reports.length === 0 ? null : mergeProfileReports(reports);
  }

  /** @internal whether every vCPU but `self` waits in WFI or is powered off */
  othersIdle(self: Vcpu): boolean {
    return this.vcpuList.every((v) => v === self || v.power === 'off' || v.waiting);
  }

  /** @internal icount clock: advance the VM's guest time over `ns` of idle time */
  skipIdleTime(ns: number): void {
    this.guestClock.offsetTicks += Math.ceil(ns * this.host.timebaseHz / 1e9);
  }

  get vcpus(): readonly Vcpu[] {
    return this.vcpuList;
  }

  vcpuByHartId(hartId: bigint): Vcpu | undefined {
    return this.vcpuList.find((v) => BigInt(v.id) === hartId);
  }

  /**
   * SMP in one JS thread: runs the vCPUs round-robin, `sliceInstructions` each, until one returns an exit the
   * VMM must handle (MMIO, SBI forward, system event, internal error), or every vCPU is idle or stopped
   * (then the result is an INTR exit whose idle.sleepNs is the shortest sleep of the waiting vCPUs), or
   * `maxInstructions` in total have been offered (instructions and traps both count), or the host clock
   * (performance.now()) passed `deadline`, or `until` returns true (both checked after each vCPU's slice).
   */
  runAll(opts: { sliceInstructions?: number; maxInstructions?: number; deadline?: number; until?: () => boolean } = {}): { vcpu: Vcpu | null; exit: VcpuExit } {
    const slice = opts.sliceInstructions ?? 100_000;
    let left = opts.maxInstructions ?? 10_000_000;
    const deadline = opts.deadline ?? Infinity;
    const n = this.vcpuList.length;
    if (n === 0) throw new KvmError('EINVAL', 'runAll: the VM has no vCPUs');
    for (;;) {
      let minSleep: number | null = null;
      let anyRunnable = false;
      let anyWfi = false;
      for (let k = 0; k < n && left > 0; k++) {
        const vcpu = this.vcpuList[this.roundRobinNext]!;
        this.roundRobinNext = (this.roundRobinNext + 1) % n;
        const before = vcpu.workDone;
        const exit = vcpu.run({ maxInstructions: Math.min(slice, left) });
        left -= Math.max(1, vcpu.workDone - before);
        if (exit.reason !== 'intr') return { vcpu, exit };
        if (!exit.idle) {
          anyRunnable = true;
          if ((deadline !== Infinity && globalThis.performance.now() >= deadline) || opts.until?.() === true) left = 0;
          continue;
        }
        if (exit.idle.reason === 'wfi') {
          anyWfi = true;
          if (exit.idle.sleepNs !== null) minSleep = minSleep === null ? exit.idle.sleepNs : Math.min(minSleep, exit.idle.sleepNs);
        }
      }
      if (left <= 0) return { vcpu: null, exit: { reason: 'intr', code: 10 } };
      if (!anyRunnable) {
        // icount: nothing runs, so the instruction clock would stand still; skip to the first deadline
        if (this.clock === 'icount' && minSleep !== null) { this.skipIdleTime(minSleep); continue; }
        return { vcpu: null, exit: { reason: 'intr', code: 10, idle: { reason: anyWfi ? 'wfi' : 'stopped', sleepNs: minSleep } } };
      }
    }
  }
}
