// Vcpu: KVM_CREATE_VCPU's object. ONE_REG (get/set, every RISC-V register class, Linux's errno for each
// mistake), KVM_GET_REG_LIST, KVM_RUN with its exits, KVM_INTERRUPT, and the state SBI calls work on.
import { Exit } from '../hart/index.js';
import { IMPLEMENTED_EXTENSIONS } from '../isa/index.js';
import { CBO_BLOCK_SIZE, CORE_FIELDS, KVM_RISCV_MODE_S, KVM_RISCV_TIMER_STATE_OFF, KVM_RISCV_TIMER_STATE_ON, TIMER_FIELDS, type AbiProfile } from './abi.js';
import { KvmError } from './errors.js';
import { KVM_EXIT, TRAP_LOOP_REPEATS, type SbiExit, type VcpuExit } from './exits.js';
export { TRAP_LOOP_REPEATS } from './exits.js';
import { Csr, FS_INITIAL, FS_OFF, Irq, SSTATUS_FS_MASK, SSTATUS_FS_SHIFT, SSTATUS_SIE, SSTATUS_VS_MASK, SSTATUS_VS_SHIFT, type HartPort } from './hart-port.js';
import {
  disableAllowed, enableAllowed, hartIsaFor, hostHasKvmExt, kvmExtForLetterBit, kvmIsaExt, kvmIsaTable, type KvmIsaExt,
} from './isa-rules.js';
import { buildRegList } from './reg-list.js';
import { decodeRegId, IsaSubtype, RegType, SbiExtSubtype, SbiStateSubtype, CsrSubtype, hexId, type DecodedRegId } from './reg-id.js';
import { applyFwft, handleSbiCall, resetFwft, SbiStatus } from './sbi.js';
import type { Vm } from './vm.js';
import type { ProfileReport } from '../hart/profile.js';
import type { InstructionTracer } from '../hart/trace.js';
import type { JitStats } from '../hart/index.js';
import type { StateObject, StateValue } from '../hart/snapshot.js';

// The profile and trace types travel with the vCPU API, so user space (src/vmm) needs nothing from src/hart.
export type { ProfileReport } from '../hart/profile.js';
export type { JitStats } from '../hart/index.js';
export { mergeProfileReports, formatProfileReport } from '../hart/profile.js';
export { InstructionTracer, type TraceFilter } from '../hart/trace.js';

/** Instrumentation src/hart's Hart offers beyond the HartPort contract (profile.ts, trace.ts). */
interface InstrumentedHart {
  readonly jitStats: JitStats;
  readonly jitCompiling: number;
  setProfiling(on: boolean): void;
  profileReport(): ProfileReport | null;
  setTracer(tracer: InstructionTracer | null): void;
}

const XLEN = 64;
const ULONG_BYTES = 8;
const U64_MASK = 0xffff_ffff_ffff_ffffn;
/** Single-letter part of the vCPU ISA word (GENMASK(25, 0)). */
const BASE_ISA_MASK = (1n << 26n) - 1n;
export const INVALID_GPA = U64_MASK;
/** The run loop hands the hart this many instructions at a time, then checks the software timer. */
const RUN_SLICE = 100_000;

/** HSM power state of a vCPU. */
export type PowerState = 'on' | 'off';

export class Vcpu {
  // ---- state shared with sbi.ts / reg-list.ts (internal to src/kvm) ----
  /** @internal */ readonly profile: AbiProfile;
  /** @internal KVM ids enabled for this vCPU. */ readonly enabled = new Set<number>();
  /** @internal */ ran = false;
  /** @internal */ mvendorid: bigint;
  /** @internal */ marchid: bigint;
  /** @internal */ mimpid: bigint;
  /** @internal SBI_EXT status by KVM SBI id (undefined = no implementation in this ABI). */ readonly sbiStatus: (SbiStatus | undefined)[] = [];
  /** @internal software timer used when the vCPU lacks Sstc */ timer = { compare: U64_MASK, armed: false };
  /** @internal */ staShmem = INVALID_GPA;
  /** @internal FWFT per feature slot; value null = the feature's default for this vCPU (see fwftValue) */
  fwft: { enable: bigint; flags: bigint; value: bigint | null }[] = [];
  /** @internal */ power: PowerState;
  /** @internal set while the guest waits in WFI / HSM retentive suspend */ waiting = false;
  /** @internal a forwarded SBI call the VMM answers before the next run() */ pendingSbi: SbiExit | null = null;
  /** @internal HSM start / SUSP resume to apply on the next run() */ pendingReset: { pc: bigint; a1: bigint } | null = null;
  private pendingMmio = false;
  private kicked = false;
  private readonly aiaCsrs = new Array<bigint>(7).fill(0n);
  private sstateen0 = 0n;
  /** @internal SBI PMU (sbi-pmu.ts): counters configured (inUse) and running (started), bit per counter */
  pmu = { inUse: 0, started: 0 };
  private ssp = 0n;
  private lastRunEnd: number | null = null;
  /** KVM_SET_GUEST_DEBUG state */
  private guestDebug: { singleStep: boolean; breakpoints: readonly bigint[] } = { singleStep: false, breakpoints: [] };
  /** pc of the last breakpoint exit: the next run() executes that instruction before breakpoints apply again */
  private debugStopPc: bigint | null = null;
  /** a single step returned an MMIO / forwarded SBI exit: the step ends when the next run() completes it */
  private stepEndsOnEntry = false;

  constructor(readonly vm: Vm, readonly id: number, /** @internal */ readonly hart: HartPort) {
    this.profile = vm.profile;
    const host = vm.host;
    // KVM_CREATE_VCPU: host extensions that user space could enable start enabled (kvm-isa-ext-rules.md 2)
    for (const ext of kvmIsaTable(vm.abi)) {
      if (ext && hostHasKvmExt(ext, host) && this.mayEnable(ext)) this.enabled.add(ext.kvmId);
    }
    this.mvendorid = host.mvendorid;
    this.marchid = host.marchid;
    this.mimpid = host.mimpid;
    for (const row of this.profile.sbiExtensions) {
      if (row.kvmId === null) continue;
      // PMU's probe succeeds when the host has programmable counters (Zihpm) to hand out (sbi-pmu.ts) and, as
      // Linux's kvm_riscv_vcpu_pmu_init requires, privilege-mode filtering (Sscofpmf): without it a guest's
      // counters would also count the hypervisor. (The real KVM in an rvkvm guest without Sscofpmf lists no PMU.)
      const available = row.handler !== 'pmu' || (host.has('zihpm') && host.has('sscofpmf'));
      this.sbiStatus[row.kvmId] = !available ? SbiStatus.Unavailable : row.defaultEnabled ? SbiStatus.Enabled : SbiStatus.Disabled;
    }
    this.fwft = this.profile.fwftFeatures.map(() => ({ enable: 0n, flags: 0n, value: null }));
    // vCPU 0 is the boot hart; the others wait for an HSM start, as kvm_arch_vcpu_postcreate() arranges
    this.power = vm.vcpus.length === 0 ? 'on' : 'off';
    this.resetFpState();
    this.resetVectorState();
    // KVM's vCPU reset state: CY, TM and IR readable from VU-mode, so the guest's user space (the vDSO's rdtime)
    // works even when the guest kernel never writes scounteren (its SBI PMU driver does).
    hart.setCsr(Csr.scounteren, 7n);
  }

  // ------------------------------------------------------------------ ISA view
  /** Canonical names of the extensions enabled for this vCPU (KVM ISA_EXT view). */
  enabledExtensions(): string[] {
    return [...this.enabled].sort((a, b) => a - b).map((id) => kvmIsaExt(this.vm.abi, id)!.name);
  }

  /** @internal */
  hasExt(name: string): boolean {
    for (const id of this.enabled) if (kvmIsaExt(this.vm.abi, id)?.name === name) return true;
    return false;
  }

  /** The ISA the hart executes for this vCPU (expanded via the catalogue). */
  hartIsa(): ReadonlySet<string> {
    return hartIsaFor(this.vm.abi, this.enabledExtensions(), this.vm.host);
  }

  get hasRun(): boolean {
    return this.ran;
  }

  get instructionsRetired(): number {
    return this.hart.instret;
  }

  /** Instructions retired plus traps taken: what run()'s maxInstructions budget counts. */
  get workDone(): number {
    return this.hart.workDone;
  }

  // ------------------------------------------------------------------ execution profile and trace (rvkvm's own)
  /** What the hart's translator to WebAssembly did so far (rvkvm's own; null for a hart without one). */
  translationStats(): JitStats | null {
    const h = this.hart as HartPort & Partial<InstrumentedHart>;
    return h.jitStats ?? null;
  }

  /** Translations of this vCPU's code being compiled in the background (rvkvm's own): they are installed only
   *  once the host's event loop has run, so a caller that waits for them runs shorter slices meanwhile. */
  get translationsCompiling(): number {
    return (this.hart as HartPort & Partial<InstrumentedHart>).jitCompiling ?? 0;
  }

  /** Count retired instructions per extension / privilege mode and illegal-instruction traps from now on (or stop). */
  setProfiling(on: boolean): void {
    this.instrumentedHart().setProfiling(on);
  }

  /** This vCPU's counts since profiling started; null when it is off. */
  executionProfile(): ProfileReport | null {
    return this.instrumentedHart().profileReport();
  }

  /** Attach a tracer (one Spike-style commit line per retired instruction; slower run path) or detach it (null). */
  setTracer(tracer: InstructionTracer | null): void {
    this.instrumentedHart().setTracer(tracer);
  }

  private instrumentedHart(): InstrumentedHart {
    const h = this.hart as HartPort & Partial<InstrumentedHart>;
    if (typeof h.setProfiling !== 'function' || typeof h.profileReport !== 'function' || typeof h.setTracer !== 'function') {
      throw new KvmError('EOPNOTSUPP', `vCPU ${this.id}: its hart offers no execution profile or trace`);
    }
    return h as HartPort & InstrumentedHart;
  }

  /**
   * The hart's V bit (rvkvm's own, for the monitor: KVM has no register for it): true while the guest's own guest
   * runs (VS/VU, under --nested).
   */
  get virtualized(): boolean {
    const h = this.hart as HartPort & { getVirt?(): boolean };
    return h.getVirt?.() ?? false;
  }

  /** True while the guest waits in WFI (or an HSM retentive suspend) for an interrupt. */
  get waitingForInterrupt(): boolean {
    return this.waiting;
  }

  get powerState(): PowerState {
    return this.power;
  }

  /** KVM_GET_MP_STATE / KVM_SET_MP_STATE: 'on' = RUNNABLE, 'off' = STOPPED. */
  setPowerState(p: PowerState): void {
    if (p !== 'on' && p !== 'off') throw new KvmError('EINVAL', `mp_state '${String(p)}' is not 'on' or 'off'`);
    this.power = p;
    if (p === 'on') this.waiting = false;
  }

  // ------------------------------------------------------------------ ONE_REG
  /** KVM_GET_ONE_REG: the register's value, zero-extended to a bigint. */
  getOneReg(id: bigint): bigint {
    const r = decodeRegId(id);
    return this.getReg(r, id);
  }

  /** KVM_SET_ONE_REG. `value` must fit the register size (negative values are taken as two's complement). */
  setOneReg(id: bigint, value: bigint): void {
    const r = decodeRegId(id);
    const bits = BigInt(r.sizeBytes * 8);
    if (typeof value !== 'bigint' || value >= 1n << bits || value < -(1n << (bits - 1n))) {
      throw new KvmError('EINVAL', `value ${String(value)} does not fit the ${r.sizeBytes}-byte register ${hexId(id)}`);
    }
    this.setReg(r, id, BigInt.asUintN(Number(bits), value));
  }

  /** KVM_GET_ONE_REG with a user buffer: writes size(id) bytes little-endian; a short buffer is EFAULT as in Linux. */
  getOneRegBytes(id: bigint, buf: Uint8Array): void {
    const r = decodeRegId(id);
    const v = this.getReg(r, id);
    if (buf.length < r.sizeBytes) throw new KvmError('EFAULT', `buffer of ${buf.length} bytes is too small for ${r.sizeBytes}-byte register ${hexId(id)}`);
    writeLe(buf, r.sizeBytes, v);
  }

  /** KVM_SET_ONE_REG with a user buffer of size(id) bytes, little-endian. */
  setOneRegBytes(id: bigint, buf: Uint8Array): void {
    const r = decodeRegId(id);
    if (buf.length < r.sizeBytes) throw new KvmError('EFAULT', `buffer of ${buf.length} bytes is too small for ${r.sizeBytes}-byte register ${hexId(id)}`);
    this.setReg(r, id, readLe(buf, r.sizeBytes));
  }

  /** KVM_GET_REG_LIST. With capacity smaller than the list: E2BIG, error.needed = the list length. */
  getRegList(capacity?: number): bigint[] {
    const list = buildRegList(this);
    if (capacity !== undefined && capacity < list.length) {
      throw new KvmError('E2BIG', `reg list has ${list.length} entries, capacity is ${capacity}`, { needed: list.length });
    }
    return list;
  }

  private getReg(r: DecodedRegId, id: bigint): bigint {
    switch (r.type) {
      case RegType.CONFIG: return this.getConfig(r, id);
      case RegType.CORE: return this.getCore(r, id);
      case RegType.CSR: return this.getCsrReg(r, id);
      case RegType.TIMER: return this.getTimer(r, id);
      case RegType.FP_F: case RegType.FP_D: return this.fpReg(r, id, null);
      case RegType.ISA_EXT: return this.getIsaExt(r, id);
      case RegType.SBI_EXT: return this.getSbiExt(r, id);
      case RegType.VECTOR: return this.vectorReg(r, id, null);
      case RegType.SBI_STATE: return this.sbiStateReg(r, id, null);
      default: throw new KvmError('ENOENT', `register ${hexId(id)}: unknown register type ${r.type}`);
    }
  }

  private setReg(r: DecodedRegId, id: bigint, v: bigint): void {
    switch (r.type) {
      case RegType.CONFIG: return this.setConfig(r, id, v);
      case RegType.CORE: return this.setCore(r, id, v);
      case RegType.CSR: return this.setCsrReg(r, id, v);
      case RegType.TIMER: return this.setTimer(r, id, v);
      case RegType.FP_F: case RegType.FP_D: this.fpReg(r, id, v); return;
      case RegType.ISA_EXT: return this.setIsaExt(r, id, v);
      case RegType.SBI_EXT: return this.setSbiExt(r, id, v);
      case RegType.VECTOR: this.vectorReg(r, id, v); return;
      case RegType.SBI_STATE: this.sbiStateReg(r, id, v); return;
      default: throw new KvmError('ENOENT', `register ${hexId(id)}: unknown register type ${r.type}`);
    }
  }

  private requireUlong(r: DecodedRegId, id: bigint, what: string): void {
    if (r.sizeBytes !== ULONG_BYTES) throw new KvmError('EINVAL', `${what} register ${hexId(id)} has size ${r.sizeBytes}, must be ${ULONG_BYTES} (unsigned long)`);
  }

  /** Types without subtypes take the subtype bits as part of the index, as the kernel does. */
  private flatIndex(r: DecodedRegId): number {
    return r.subtype * 0x10000 + r.index;
  }

  // ---- CONFIG
  private configName(r: DecodedRegId, id: bigint): string {
    const name = this.profile.configFields[this.flatIndex(r)];
    if (!name) throw new KvmError('ENOENT', `CONFIG register ${hexId(id)}: no field at index ${this.flatIndex(r)} in ABI ${this.vm.abi}`);
    return name;
  }

  private isaWord(): bigint {
    let w = 0n;
    for (const kid of this.enabled) {
      const bit = kvmIsaExt(this.vm.abi, kid)!.hostBit;
      if (bit < 26) w |= 1n << BigInt(bit);
    }
    return w;
  }

  private cboBlockSize(name: string, id: bigint): bigint {
    const ext = name.replace('_block_size', '');
    if (this.profile.cboBlockSizeRule === 'vcpu') {
      if (!this.hasExt(ext)) throw new KvmError('ENOENT', `CONFIG ${name} (${hexId(id)}): the vCPU does not have ${ext}`);
      return CBO_BLOCK_SIZE;
    }
    return this.vm.host.has(ext) ? CBO_BLOCK_SIZE : 0n;
  }

  private getConfig(r: DecodedRegId, id: bigint): bigint {
    this.requireUlong(r, id, 'CONFIG');
    const name = this.configName(r, id);
    switch (name) {
      case 'isa': return this.isaWord() & BASE_ISA_MASK;
      case 'zicbom_block_size': case 'zicboz_block_size': case 'zicbop_block_size': return this.cboBlockSize(name, id);
      case 'mvendorid': return this.mvendorid;
      case 'marchid': return this.marchid;
      case 'mimpid': return this.mimpid;
      case 'satp_mode': return this.vm.host.satpMode;
      default: throw new KvmError('ENOENT', `CONFIG register ${hexId(id)}: '${name}' not handled`);
    }
  }

  private setConfig(r: DecodedRegId, id: bigint, v: bigint): void {
    this.requireUlong(r, id, 'CONFIG');
    const name = this.configName(r, id);
    switch (name) {
      case 'isa': return this.setIsaWord(id, v);
      case 'zicbom_block_size': case 'zicboz_block_size': case 'zicbop_block_size': {
        const size = this.cboBlockSize(name, id);
        const ok = this.profile.cboBlockSizeRule === 'vcpu' ? v === size : v === size || v === 0n;
        if (!ok) throw new KvmError('EINVAL', `CONFIG ${name} is read-only (${size}); cannot write ${v}`);
        return;
      }
      case 'mvendorid': case 'marchid': case 'mimpid': {
        if (v === this[name]) return;
        if (this.ran) throw new KvmError('EBUSY', `CONFIG ${name}: the vCPU has already run`);
        this[name] = v;
        return;
      }
      case 'satp_mode':
        if (v !== this.vm.host.satpMode) throw new KvmError('EINVAL', `CONFIG satp_mode is read-only (${this.vm.host.satpMode}); cannot write ${v}`);
        return;
      default: throw new KvmError('ENOENT', `CONFIG register ${hexId(id)}: '${name}' not handled`);
    }
  }

  /** CONFIG isa write: Linux's single-letter algorithm (disallowed changes are silently corrected). */
  private setIsaWord(id: bigint, value: bigint): void {
    const low32 = value & 0xffff_ffffn;
    if (low32 !== 0n && low32.toString(2).length >= 26) { // fls(u32) >= 26: any of bits 25..31
      throw new KvmError('EINVAL', `CONFIG isa (${hexId(id)}): value 0x${value.toString(16)} sets a bit >= 25 (only a..y may be written)`);
    }
    if (value === (this.isaWord() & BASE_ISA_MASK)) return;
    if (this.ran) throw new KvmError('EBUSY', 'CONFIG isa: the vCPU has already run');
    const host = this.vm.host;
    let v = value;
    for (let i = 0; i < 26; i++) {
      const bit = 1n << BigInt(i);
      const ext = kvmExtForLetterBit(this.vm.abi, i);
      if (!ext) { v &= ~bit; continue; }
      if (!this.mayEnable(ext) && (v & bit)) v &= ~bit;
      if (!disableAllowed(ext, host, this.vm.allowDisableAny) && !(v & bit)) v |= bit;
    }
    // AND with the host's single-letter ISA
    for (let i = 0; i < 26; i++) {
      const ext = kvmExtForLetterBit(this.vm.abi, i);
      const bit = 1n << BigInt(i);
      if (!ext || !hostHasKvmExt(ext, host)) { v &= ~bit; continue; }
      if (v & bit) this.enabled.add(ext.kvmId);
      else this.enabled.delete(ext.kvmId);
    }
    this.resetFpState();
  }

  // ---- CORE
  private coreIndex(r: DecodedRegId, id: bigint): number {
    this.requireUlong(r, id, 'CORE');
    const i = this.flatIndex(r);
    if (i >= CORE_FIELDS.length) throw new KvmError('ENOENT', `CORE register ${hexId(id)}: index ${i} >= ${CORE_FIELDS.length}`);
    return i;
  }

  private getCore(r: DecodedRegId, id: bigint): bigint {
    const i = this.coreIndex(r, id);
    if (i === 0) return this.hart.getPc();
    if (i < 32) return this.hart.getX(i);
    return this.hart.getMode() === 1 ? KVM_RISCV_MODE_S : 0n;
  }

  private setCore(r: DecodedRegId, id: bigint, v: bigint): void {
    const i = this.coreIndex(r, id);
    if (i === 0) this.hart.setPc(v);
    else if (i < 32) this.hart.setX(i, v);
    else this.hart.setMode(v === KVM_RISCV_MODE_S ? 1 : 0);
  }

  // ---- CSR
  private csrSlot(r: DecodedRegId, id: bigint): { get(): bigint; set(v: bigint): void } {
    this.requireUlong(r, id, 'CSR');
    const sub = this.profile.csrSubtypes.find((s) => s.subtype === r.subtype);
    if (!sub) throw new KvmError('ENOENT', `CSR register ${hexId(id)}: unknown CSR subtype ${r.subtype} in ABI ${this.vm.abi}`);
    const name = sub.fields[r.index];
    switch (r.subtype) {
      case CsrSubtype.GENERAL: {
        if (!name) throw new KvmError('ENOENT', `CSR GENERAL register ${hexId(id)}: index ${r.index} >= ${sub.fields.length}`);
        const csr = Csr[name as keyof typeof Csr];
        if (csr === Csr.sip) {
          // KVM's sip is the guest's pending VS-level lines (hvip): software, timer and external
          return { get: () => this.hart.getCsr(csr), set: (v) => { for (const bit of [Irq.SSI, Irq.STI, Irq.SEI]) this.hart.setInterruptPending(bit, ((v >> BigInt(bit)) & 1n) === 1n); } };
        }
        return { get: () => this.hart.getCsr(csr), set: (v) => this.hart.setCsr(csr, v) };
      }
      case CsrSubtype.AIA: {
        if (this.profile.aiaNeedsVcpuSsaia && !this.hasExt('ssaia')) throw new KvmError('ENOENT', `CSR AIA register ${hexId(id)}: the vCPU does not have Ssaia`);
        if (!name) throw new KvmError('ENOENT', `CSR AIA register ${hexId(id)}: index ${r.index} >= ${sub.fields.length}`);
        // 6.12 on a host without AIA reads 0 and ignores writes; rvkvm's hart has no AIA, so the values are
        // only kept (for save/restore) when the vCPU has Ssaia on an ABI-only host
        const keep = this.vm.host.has('ssaia');
        return { get: () => (keep ? this.aiaCsrs[r.index]! : 0n), set: (v) => { if (keep) this.aiaCsrs[r.index] = v; } };
      }
      case CsrSubtype.SMSTATEEN: {
        const missing = this.profile.smstateenMissingErrno === 'ENOENT' ? !this.hasExt('smstateen') : !this.vm.host.has('smstateen');
        if (missing || !name) {
          throw new KvmError(this.profile.smstateenMissingErrno, `CSR SMSTATEEN register ${hexId(id)}: ${missing ? 'Smstateen not available' : `index ${r.index} >= 1`}`);
        }
        // the hart's sstateen0 when it has Smstateen (all its bits read-only zero: no U-mode state to enable);
        // an ABI-only host keeps the value for save/restore
        if (this.hasExt('smstateen') && IMPLEMENTED_EXTENSIONS.has('smstateen')) return { get: () => this.hart.getCsr(Csr.sstateen0), set: (v) => this.hart.setCsr(Csr.sstateen0, v) };
        return { get: () => this.sstateen0, set: (v) => { this.sstateen0 = v; } };
      }
      case CsrSubtype.ZICFISS: {
        if (!this.hasExt('zicfiss') || !name) throw new KvmError('ENOENT', `CSR ZICFISS register ${hexId(id)}: the vCPU does not have Zicfiss or index ${r.index} >= 1`);
        return { get: () => this.ssp, set: (v) => { this.ssp = v; } };
      }
      default: throw new KvmError('ENOENT', `CSR register ${hexId(id)}: unknown subtype ${r.subtype}`);
    }
  }

  private getCsrReg(r: DecodedRegId, id: bigint): bigint {
    return this.csrSlot(r, id).get();
  }

  private setCsrReg(r: DecodedRegId, id: bigint, v: bigint): void {
    this.csrSlot(r, id).set(v);
  }

  // ---- TIMER
  private timerField(r: DecodedRegId, id: bigint): string {
    if (r.sizeBytes !== 8) throw new KvmError('EINVAL', `TIMER register ${hexId(id)} has size ${r.sizeBytes}, must be 8 (u64)`);
    const name = TIMER_FIELDS[this.flatIndex(r)];
    if (!name) throw new KvmError('ENOENT', `TIMER register ${hexId(id)}: index ${this.flatIndex(r)} >= ${TIMER_FIELDS.length}`);
    return name;
  }

  /** @internal the guest's time CSR. */
  guestTime(): bigint {
    return BigInt(Math.floor(this.hart.readTime()));
  }

  /** @internal Sstc vCPUs use the hart's stimecmp, others KVM's software timer. */
  usesSstc(): boolean {
    return this.hasExt('sstc');
  }

  private getTimer(r: DecodedRegId, id: bigint): bigint {
    switch (this.timerField(r, id)) {
      case 'frequency': return BigInt(this.vm.host.timebaseHz);
      case 'time': return this.guestTime();
      case 'compare': return this.usesSstc() ? this.hart.getCsr(Csr.stimecmp) : this.timer.compare;
      default: return this.timer.armed ? KVM_RISCV_TIMER_STATE_ON : KVM_RISCV_TIMER_STATE_OFF;
    }
  }

  private setTimer(r: DecodedRegId, id: bigint, v: bigint): void {
    switch (this.timerField(r, id)) {
      case 'frequency':
        if (v !== BigInt(this.vm.host.timebaseHz)) throw new KvmError('EINVAL', `TIMER frequency is the host timebase ${this.vm.host.timebaseHz}; cannot write ${v}`);
        return;
      case 'time': this.hart.setCsr(Csr.time, v); return;
      case 'compare':
        this.timer.compare = v;
        if (this.usesSstc()) this.hart.setCsr(Csr.stimecmp, v);
        return;
      default:
        if (v === KVM_RISCV_TIMER_STATE_ON) this.armTimer(this.profile.timerOnArmsAt === 'compare' ? this.timer.compare : v);
        else this.cancelTimer();
    }
  }

  /** @internal SBI set_timer / TIMER state ON: clear STIP and arm the deadline. */
  armTimer(deadline: bigint): void {
    this.hart.setInterruptPending(Irq.STI, false);
    this.timer.compare = deadline;
    this.timer.armed = true;
    if (this.usesSstc()) this.hart.setCsr(Csr.stimecmp, deadline);
    this.pollTimer();
  }

  private cancelTimer(): void {
    this.timer.armed = false;
    if (this.usesSstc()) this.hart.setCsr(Csr.stimecmp, U64_MASK);
  }

  /** Software timer: raise STIP once the guest time reaches the deadline (the hart does this itself with Sstc). */
  private pollTimer(): void {
    if (!this.timer.armed || this.usesSstc()) return;
    if (this.guestTime() >= this.timer.compare) {
      this.timer.armed = false;
      this.hart.setInterruptPending(Irq.STI, true);
      this.waiting = false;
    }
  }

  /** Nanoseconds until the vCPU's timer fires, or null if none is armed. */
  private timerSleepNs(): number | null {
    const deadline = this.usesSstc() ? this.hart.getCsr(Csr.stimecmp) : this.timer.armed ? this.timer.compare : U64_MASK;
    if (deadline === U64_MASK) return null;
    const now = this.guestTime();
    if (deadline <= now) return 0;
    return Number(deadline - now) * 1e9 / this.vm.host.timebaseHz;
  }

  // ---- FP
  private fpReg(r: DecodedRegId, id: bigint, v: bigint | null): bigint {
    const isF = r.type === RegType.FP_F;
    const ext = isF ? 'f' : 'd';
    if (!this.hasExt(ext)) throw new KvmError('ENOENT', `${isF ? 'FP_F' : 'FP_D'} register ${hexId(id)}: the vCPU does not have ${ext.toUpperCase()}`);
    const i = this.flatIndex(r);
    const want = isF || i === 32 ? 4 : 8;
    // FP_F checks the size before the index, FP_D after it (vcpu_fp.c)
    if (isF && r.sizeBytes !== want) throw new KvmError('EINVAL', `FP_F register ${hexId(id)} has size ${r.sizeBytes}, must be 4`);
    if (i > 32) throw new KvmError('ENOENT', `${isF ? 'FP_F' : 'FP_D'} register ${hexId(id)}: index ${i} > 32`);
    if (r.sizeBytes !== want) throw new KvmError('EINVAL', `${isF ? 'FP_F' : 'FP_D'} register ${hexId(id)} has size ${r.sizeBytes}, must be ${want}`);
    if (i === 32) {
      if (v === null) return this.hart.getCsr(Csr.fcsr) & 0xffn;
      this.hart.setCsr(Csr.fcsr, v & 0xffn);
      return v;
    }
    if (isF) {
      // f[i] is the low 32 bits of the hart's register; a write NaN-boxes it
      if (v === null) return this.hart.getF(i) & 0xffff_ffffn;
      this.hart.setF(i, 0xffff_ffff_0000_0000n | v);
      return v;
    }
    if (v === null) return this.hart.getF(i);
    this.hart.setF(i, v);
    return v;
  }

  /** @internal kvm_riscv_vcpu_fp_reset: sstatus.FS = Initial with F or D, else Off. */
  resetFpState(): void {
    const fs = this.hasExt('f') || this.hasExt('d') ? FS_INITIAL : FS_OFF;
    const s = this.hart.getCsr(Csr.sstatus);
    this.hart.setCsr(Csr.sstatus, (s & ~SSTATUS_FS_MASK) | (fs << SSTATUS_FS_SHIFT));
  }

  /** @internal kvm_riscv_vcpu_vector_reset: sstatus.VS = Initial with V (registers and CSRs zero), else Off. */
  resetVectorState(): void {
    const on = this.hasExt('v');
    const s = this.hart.getCsr(Csr.sstatus);
    this.hart.setCsr(Csr.sstatus, (s & ~SSTATUS_VS_MASK) | ((on ? FS_INITIAL : FS_OFF) << SSTATUS_VS_SHIFT));
    if (!on) return;
    const zero = new Uint8Array(this.hart.vlen / 8);
    for (let n = 0; n < 32; n++) this.hart.setVectorReg(n, zero);
    for (const csr of [Csr.vstart, Csr.vcsr, Csr.vl, Csr.vtype]) this.hart.setCsr(csr, 0n);
  }

  // ---- VECTOR: the hart's vector registers and CSRs, in kvm_riscv_vector_csr order (vstart vl vtype vcsr vlenb)
  private vectorReg(r: DecodedRegId, id: bigint, v: bigint | null): bigint {
    if (!this.hasExt('v')) throw new KvmError('ENOENT', `VECTOR register ${hexId(id)}: the vCPU does not have V`);
    const i = this.flatIndex(r);
    const vlenb = this.hart.vlen / 8;
    if (i === 5 || i > 37) throw new KvmError('ENOENT', `VECTOR register ${hexId(id)}: index ${i} is not accessible`);
    if (i < 5) {
      this.requireUlong(r, id, 'VECTOR');
      const csr = [Csr.vstart, Csr.vl, Csr.vtype, Csr.vcsr, Csr.vlenb][i]!;
      if (v === null) return this.hart.getCsr(csr);
      if (i === 4) {
        if (v !== BigInt(vlenb)) throw new KvmError('EINVAL', `VECTOR vlenb is read-only (${vlenb}); cannot write ${v}`);
      } else this.hart.setCsr(csr, v);
      return v;
    }
    if (r.sizeBytes !== vlenb) throw new KvmError('EINVAL', `VECTOR register ${hexId(id)} has size ${r.sizeBytes}, must be vlenb = ${vlenb}`);
    if (v === null) return readLe(this.hart.getVectorReg(i - 6), vlenb);
    const bytes = new Uint8Array(vlenb);
    writeLe(bytes, vlenb, v);
    this.hart.setVectorReg(i - 6, bytes);
    return v;
  }

  // ---- ISA_EXT
  private isaExtFor(kvmId: number): KvmIsaExt | undefined {
    const ext = kvmIsaExt(this.vm.abi, kvmId);
    return ext && hostHasKvmExt(ext, this.vm.host) ? ext : undefined;
  }

  private multiReg(r: DecodedRegId, id: bigint, last: number): number {
    if (r.index > last) throw new KvmError('ENOENT', `register ${hexId(id)}: multi register ${r.index} > last (${last})`);
    return r.index;
  }

  private getIsaExt(r: DecodedRegId, id: bigint): bigint {
    this.requireUlong(r, id, 'ISA_EXT');
    if (r.subtype === IsaSubtype.SINGLE) {
      const ext = this.isaExtFor(r.index);
      if (!ext) throw new KvmError('ENOENT', `ISA_EXT ${hexId(id)}: KVM id ${r.index} ${r.index >= this.profile.isaExtMax ? `>= KVM_RISCV_ISA_EXT_MAX (${this.profile.isaExtMax})` : 'is not on this host'}`);
      return this.enabled.has(ext.kvmId) ? 1n : 0n;
    }
    if (r.subtype !== IsaSubtype.MULTI_EN && r.subtype !== IsaSubtype.MULTI_DIS) throw new KvmError('ENOENT', `ISA_EXT ${hexId(id)}: unknown subtype ${r.subtype}`);
    const reg = this.multiReg(r, id, Math.floor((this.profile.isaExtMax - 1) / XLEN));
    let word = 0n;
    for (let b = 0; b < XLEN; b++) {
      const kid = reg * XLEN + b;
      if (kid >= this.profile.isaExtMax) break;
      if (this.isaExtFor(kid) && this.enabled.has(kid)) word |= 1n << BigInt(b);
    }
    return r.subtype === IsaSubtype.MULTI_DIS ? ~word & U64_MASK : word;
  }

  /** KVM's enable rule, and rvkvm's nested opt-in (VmOptions.nested) that lets H through */
  private mayEnable(ext: KvmIsaExt): boolean {
    return enableAllowed(ext, this.vm.host) || (this.vm.nested && ext.name === 'h');
  }

  /** One ISA_EXT SINGLE write, Linux's order of checks (kvm-isa-ext-rules.md 3.1). */
  private setIsaExtSingle(kvmId: number, value: bigint, id: bigint): void {
    const ext = this.isaExtFor(kvmId);
    if (!ext) throw new KvmError('ENOENT', `ISA_EXT ${hexId(id)}: KVM id ${kvmId} ${kvmId >= this.profile.isaExtMax ? `>= KVM_RISCV_ISA_EXT_MAX (${this.profile.isaExtMax})` : 'is not on this host'}`);
    const cur = this.enabled.has(kvmId) ? 1n : 0n;
    if (value === cur) return;
    if (this.ran) throw new KvmError('EBUSY', `ISA_EXT ${ext.symbol}: the vCPU has already run`);
    const host = this.vm.host;
    if (value === 1n && this.mayEnable(ext)) this.enabled.add(kvmId);
    else if (value === 0n && disableAllowed(ext, host, this.vm.allowDisableAny)) this.enabled.delete(kvmId);
    else {
      const why = value === 1n ? 'KVM does not allow enabling it' : value === 0n ? 'KVM does not allow disabling it' : 'value must be 0 or 1';
      throw new KvmError('EINVAL', `ISA_EXT ${ext.symbol} (KVM id ${kvmId}) := ${value}: ${why}`);
    }
    this.resetFpState();
  }

  private setIsaExt(r: DecodedRegId, id: bigint, v: bigint): void {
    this.requireUlong(r, id, 'ISA_EXT');
    if (r.subtype === IsaSubtype.SINGLE) return this.setIsaExtSingle(r.index, v, id);
    if (r.subtype !== IsaSubtype.MULTI_EN && r.subtype !== IsaSubtype.MULTI_DIS) throw new KvmError('ENOENT', `ISA_EXT ${hexId(id)}: unknown subtype ${r.subtype}`);
    const reg = this.multiReg(r, id, Math.floor((this.profile.isaExtMax - 1) / XLEN));
    const target = r.subtype === IsaSubtype.MULTI_EN ? 1n : 0n;
    for (let b = 0; b < XLEN; b++) {
      if (!((v >> BigInt(b)) & 1n)) continue;
      const kid = reg * XLEN + b;
      if (kid >= this.profile.isaExtMax) break;
      try { this.setIsaExtSingle(kid, target, id); } catch (e) { if (!(e instanceof KvmError)) throw e; } // Linux ignores each result
    }
  }

  // ---- SBI_EXT
  private sbiExtStatus(kvmSbiId: number, id: bigint): SbiStatus {
    const st = kvmSbiId < this.profile.sbiExtMax ? this.sbiStatus[kvmSbiId] : undefined;
    if (st === undefined || st === SbiStatus.Unavailable) {
      throw new KvmError('ENOENT', `SBI_EXT ${hexId(id)}: SBI extension ${kvmSbiId} ${kvmSbiId >= this.profile.sbiExtMax ? `>= KVM_RISCV_SBI_EXT_MAX (${this.profile.sbiExtMax})` : 'is not available'}`);
    }
    return st;
  }

  private getSbiExt(r: DecodedRegId, id: bigint): bigint {
    this.requireUlong(r, id, 'SBI_EXT');
    if (r.subtype === SbiExtSubtype.SINGLE) return this.sbiExtStatus(r.index, id) === SbiStatus.Enabled ? 1n : 0n;
    if (r.subtype !== SbiExtSubtype.MULTI_EN && r.subtype !== SbiExtSubtype.MULTI_DIS) throw new KvmError('ENOENT', `SBI_EXT ${hexId(id)}: unknown subtype ${r.subtype}`);
    const reg = this.multiReg(r, id, Math.floor((this.profile.sbiExtMax - 1) / XLEN));
    let word = 0n;
    for (let b = 0; b < XLEN; b++) {
      const sid = reg * XLEN + b;
      if (sid >= this.profile.sbiExtMax) break;
      if (this.sbiStatus[sid] === SbiStatus.Enabled) word |= 1n << BigInt(b);
    }
    return r.subtype === SbiExtSubtype.MULTI_DIS ? ~word & U64_MASK : word;
  }

  private setSbiExtSingle(sid: number, v: bigint, id: bigint): void {
    if (v !== 0n && v !== 1n) throw new KvmError('EINVAL', `SBI_EXT ${hexId(id)}: value must be 0 or 1, not ${v}`);
    const st = this.sbiExtStatus(sid, id);
    const next = v === 1n ? SbiStatus.Enabled : SbiStatus.Disabled;
    if (st === SbiStatus.Enabled && next === SbiStatus.Disabled && this.profile.sbiExtDisableResets) resetSbiExtState(this, sid);
    this.sbiStatus[sid] = next;
  }

  private setSbiExt(r: DecodedRegId, id: bigint, v: bigint): void {
    this.requireUlong(r, id, 'SBI_EXT');
    if (this.ran) throw new KvmError('EBUSY', `SBI_EXT ${hexId(id)}: the vCPU has already run`);
    if (r.subtype !== SbiExtSubtype.SINGLE && r.subtype !== SbiExtSubtype.MULTI_EN && r.subtype !== SbiExtSubtype.MULTI_DIS) {
      throw new KvmError('ENOENT', `SBI_EXT ${hexId(id)}: unknown subtype ${r.subtype}`);
    }
    if (r.subtype === SbiExtSubtype.SINGLE) return this.setSbiExtSingle(r.index, v, id);
    const reg = this.multiReg(r, id, Math.floor((this.profile.sbiExtMax - 1) / XLEN));
    const target = r.subtype === SbiExtSubtype.MULTI_EN ? 1n : 0n;
    for (let b = 0; b < XLEN; b++) {
      if (!((v >> BigInt(b)) & 1n)) continue;
      const sid = reg * XLEN + b;
      if (sid >= this.profile.sbiExtMax) break;
      try { this.setSbiExtSingle(sid, target, id); } catch (e) { if (!(e instanceof KvmError)) throw e; }
    }
  }

  /** @internal */
  sbiEnabled(name: string): boolean {
    const row = this.profile.sbiExtensions.find((e) => e.name === name);
    return row !== undefined && (row.kvmId === null || this.sbiStatus[row.kvmId] === SbiStatus.Enabled);
  }

  /** @internal A feature's current value: PTE A/D hardware updating defaults to on with Svadu and without Svade. */
  fwftValue(slot: number): bigint {
    const st = this.fwft[slot]!;
    if (st.value !== null) return st.value;
    return this.profile.fwftFeatures[slot]!.name === 'pte_ad_hw_updating' && this.hasExt('svadu') && !this.hasExt('svade') ? 1n : 0n;
  }

  /** @internal FWFT slots KVM offers this vCPU. */
  fwftSupported(slot: number): boolean {
    const f = this.profile.fwftFeatures[slot];
    return f !== undefined && f.needs !== null && this.hasExt(f.needs);
  }

  // ---- SBI_STATE (STA shmem, FWFT)
  private sbiStateReg(r: DecodedRegId, id: bigint, v: bigint | null): bigint {
    const p = this.profile;
    if (!p.sbiStateSizes.includes(r.sizeBytes)) throw new KvmError('EINVAL', `SBI_STATE register ${hexId(id)} has size ${r.sizeBytes}`);
    const owner = p.sbiExtensions.find((e) => e.stateSubtype === r.subtype);
    if (!owner) throw new KvmError(p.sbiStateUnknownSubtypeErrno, `SBI_STATE register ${hexId(id)}: no SBI extension owns subtype ${r.subtype} in ABI ${this.vm.abi}`);
    if (p.sbiStaNeedsEnabled && !this.sbiEnabled(owner.name)) throw new KvmError('EINVAL', `SBI_STATE register ${hexId(id)}: SBI ${owner.name} is not enabled`);
    this.requireUlong(r, id, `SBI_STATE ${owner.name}`);
    if (r.subtype === SbiStateSubtype.STA) {
      if (r.index > 1) throw new KvmError(p.sbiStaUnknownIndexErrno, `SBI_STATE STA register ${hexId(id)}: index ${r.index} > 1`);
      if (r.index === 0) {
        if (v === null) return this.staShmem;
        if (p.sbiStaNeedsEnabled && v !== INVALID_GPA && (v & 63n) !== 0n) throw new KvmError('EINVAL', `SBI_STATE STA shmem_lo 0x${v.toString(16)} is not 64-byte aligned`);
        this.staShmem = v;
        return v;
      }
      if (v === null) return 0n; // rv64: the address fits shmem_lo
      if (v !== 0n) throw new KvmError('EINVAL', `SBI_STATE STA shmem_hi must be 0 on rv64, not 0x${v.toString(16)}`);
      if (p.sbiStaNeedsEnabled) this.staShmem = INVALID_GPA; // as 7.3-rc7 is written (see sbi.md)
      return v;
    }
    // FWFT: 3 registers per feature slot: enable, flags, value
    const slot = Math.floor(r.index / 3);
    const part = r.index % 3;
    if (!this.fwftSupported(slot)) throw new KvmError('ENOENT', `SBI_STATE FWFT register ${hexId(id)}: feature slot ${slot} is not supported for this vCPU`);
    const st = this.fwft[slot]!;
    const key = (['enable', 'flags', 'value'] as const)[part]!;
    if (v === null) return key === 'value' ? this.fwftValue(slot) : st[key];
    if (part === 0 && v > 1n) throw new KvmError('EINVAL', `SBI_STATE FWFT enable must be 0 or 1, not ${v}`);
    if (part === 1 && (v & ~1n) !== 0n) throw new KvmError('EINVAL', `SBI_STATE FWFT flags 0x${v.toString(16)}: only bit 0 (LOCK) exists`);
    st[key] = v;
    if (this.ran && key === 'value') applyFwft(this, slot);
    return v;
  }

  // ------------------------------------------------------------------ run
  /** KVM_INTERRUPT: raise (true) or lower (false) the guest's S-level external interrupt. */
  interrupt(level: boolean): void {
    this.hart.setInterruptPending(Irq.SEI, level);
    if (level) this.waiting = false;
  }

  /**
   * KVM_SET_GUEST_DEBUG: software breakpoints at guest virtual pcs (checked before each instruction executes;
   * guest memory is untouched) and single-stepping (each run() executes one instruction, then a DEBUG exit).
   */
  setGuestDebug(opts: { singleStep?: boolean; breakpoints?: readonly bigint[] }): void {
    const bps = opts.breakpoints ?? [];
    for (const pc of bps) {
      if (typeof pc !== 'bigint' || pc < 0n || pc > U64_MASK) throw new KvmError('EINVAL', `guest debug: breakpoint ${String(pc)} is not a 64-bit address`);
      if (pc & 1n) throw new KvmError('EINVAL', `guest debug: breakpoint 0x${pc.toString(16)} is not 2-byte aligned`);
    }
    const unique = [...new Set(bps)];
    const changed = unique.length !== this.guestDebug.breakpoints.length || unique.some((pc, i) => pc !== this.guestDebug.breakpoints[i]);
    this.guestDebug = { singleStep: opts.singleStep === true, breakpoints: unique };
    if (changed) this.hart.setBreakpoints(unique);
  }

  /** KVM_TRANSLATE: the guest physical address of a guest virtual address under the vCPU's current satp, or null. */
  translate(gva: bigint): number | null {
    if (typeof gva !== 'bigint' || gva < 0n || gva > U64_MASK) throw new KvmError('EINVAL', `translate: ${String(gva)} is not a 64-bit address`);
    const gpa = this.hart.debugTranslate(gva);
    return gpa < 0 ? null : gpa;
  }

  private debugExit(cause: 'breakpoint' | 'step'): VcpuExit {
    const pc = this.hart.getPc();
    if (cause === 'breakpoint') this.debugStopPc = pc;
    return { reason: 'debug', code: KVM_EXIT.DEBUG, debug: { pc, cause } };
  }

  /** Stop a running run() soon (another "thread", a signal): it returns an INTR exit. */
  kick(): void {
    this.kicked = true;
    this.hart.requestStop();
  }

  /**
   * rvkvm's own (KVM has no single call for it): the vCPU's whole state for a snapshot, between run() calls. What
   * KVM would migrate through ONE_REG and its other ioctls (registers, CSRs, FP and vector state, the timer, SBI
   * and HSM state, mp_state) plus what the software hart holds beyond them (M-level and H state, a pending MMIO or
   * SBI completion, the LR reservation). Debugger state (KVM_SET_GUEST_DEBUG) is not state of the guest.
   */
  saveState(): StateObject {
    return {
      id: this.id,
      enabled: [...this.enabled].sort((a, b) => a - b),
      ran: this.ran, mvendorid: this.mvendorid, marchid: this.marchid, mimpid: this.mimpid,
      sbiStatus: this.sbiStatus.map((v) => (v === undefined ? null : v)),
      timer: { compare: this.timer.compare, armed: this.timer.armed },
      staShmem: this.staShmem,
      fwft: this.fwft.map((f) => ({ enable: f.enable, flags: f.flags, value: f.value })),
      power: this.power, waiting: this.waiting,
      pendingSbi: this.pendingSbi ? [this.pendingSbi.sbi.ret[0], this.pendingSbi.sbi.ret[1]] : null,
      pendingReset: this.pendingReset ? { pc: this.pendingReset.pc, a1: this.pendingReset.a1 } : null,
      pendingMmio: this.pendingMmio,
      aiaCsrs: [...this.aiaCsrs], sstateen0: this.sstateen0, ssp: this.ssp,
      pmu: [this.pmu.inUse, this.pmu.started],
      hart: this.hart.saveState(),
    };
  }

  /** Restores a saveState() into a vCPU of a VM built the same way; checks the record before changing anything. */
  loadState(s: StateObject): void {
    const bad = (what: string): never => { throw new KvmError('EINVAL', `vcpu ${this.id} state: ${what}`); };
    const big = (v: StateValue | undefined, what: string): bigint => (typeof v === 'bigint' ? v : bad(`${what} is not a 64-bit value`));
    const list = (v: StateValue | undefined, what: string): StateValue[] => (Array.isArray(v) ? v : bad(`${what} is not a list`));
    const rec = (v: StateValue | undefined, what: string): StateObject =>
      (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) ? v : bad(`${what} is not a record`));
    if (s['id'] !== this.id) bad(`saved for vcpu ${String(s['id'])}`);
    const enabled = list(s['enabled'], 'enabled').map((v) => (typeof v === 'number' ? v : bad('enabled holds a non-number')));
    const sbi = list(s['sbiStatus'], 'sbiStatus');
    if (sbi.length !== this.sbiStatus.length) bad(`${sbi.length} SBI extensions, this ABI has ${this.sbiStatus.length}`);
    const fwft = list(s['fwft'], 'fwft').map((v) => rec(v, 'fwft entry'));
    if (fwft.length !== this.fwft.length) bad(`${fwft.length} FWFT features, this ABI has ${this.fwft.length}`);
    const timer = rec(s['timer'], 'timer');
    const aia = list(s['aiaCsrs'], 'aiaCsrs').map((v) => big(v, 'an AIA CSR'));
    if (aia.length !== this.aiaCsrs.length) bad('AIA CSR count');
    const power = s['power'];
    if (power !== 'on' && power !== 'off') bad('power is not on or off');
    const ps = s['pendingSbi'], pr = s['pendingReset'];
    const pendingSbi = ps === null ? null : list(ps, 'pendingSbi').map((v) => big(v, 'an SBI return value'));
    const pendingReset = pr === null ? null : rec(pr, 'pendingReset');
    const pmu = list(s['pmu'], 'pmu');
    if (pmu.length !== 2 || pmu.some((v) => typeof v !== 'number')) bad('pmu is not two counter masks');
    const hart = rec(s['hart'], 'hart');
    // checked: apply. The ISA first, since the hart's state is that of a hart running this ISA.
    this.enabled.clear();
    for (const id of enabled) this.enabled.add(id);
    this.ran = s['ran'] === true;
    if (this.ran) this.hart.setIsa(this.hartIsa());
    this.mvendorid = big(s['mvendorid'], 'mvendorid'); this.marchid = big(s['marchid'], 'marchid'); this.mimpid = big(s['mimpid'], 'mimpid');
    sbi.forEach((v, i) => { this.sbiStatus[i] = v === null ? undefined : (v as SbiStatus); });
    this.timer = { compare: big(timer['compare'], 'timer compare'), armed: timer['armed'] === true };
    this.staShmem = big(s['staShmem'], 'staShmem');
    this.fwft = fwft.map((f) => ({ enable: big(f['enable'], 'fwft enable'), flags: big(f['flags'], 'fwft flags'), value: f['value'] === null ? null : big(f['value'], 'fwft value') }));
    this.power = power as PowerState;
    this.waiting = s['waiting'] === true;
    this.pendingSbi = pendingSbi === null ? null : { reason: 'riscv_sbi', code: KVM_EXIT.RISCV_SBI, sbi: { extensionId: 0n, functionId: 0n, args: [], ret: [pendingSbi[0]!, pendingSbi[1]!] } } as unknown as SbiExit;
    this.pendingReset = pendingReset === null ? null : { pc: big(pendingReset['pc'], 'reset pc'), a1: big(pendingReset['a1'], 'reset a1') };
    this.pendingMmio = s['pendingMmio'] === true;
    aia.forEach((v, i) => { this.aiaCsrs[i] = v; });
    this.sstateen0 = big(s['sstateen0'], 'sstateen0'); this.ssp = big(s['ssp'], 'ssp');
    this.pmu = { inUse: pmu[0] as number, started: pmu[1] as number };
    this.kicked = false;
    this.lastRunEnd = null;
    this.debugStopPc = null;
    this.stepEndsOnEntry = false;
    this.hart.loadState(hart);
  }

  /** @internal wake from WFI (IPI, interrupt). */
  wake(): void {
    this.waiting = false;
  }

  /** KVM_RUN. Runs until an exit; at most maxInstructions (default 1,000,000) guest instructions. */
  run(opts: { maxInstructions?: number } = {}): VcpuExit {
    let budget = opts.maxInstructions ?? 1_000_000;
    if (!Number.isInteger(budget) || budget < 1) throw new KvmError('EINVAL', `run: maxInstructions ${budget} must be a positive integer`);
    if (!this.ran) this.firstRun();
    this.completePending();
    this.recordStealTime();
    const debug = this.guestDebug;
    if (this.stepEndsOnEntry) {
      this.stepEndsOnEntry = false;
      if (debug.singleStep) return this.debugExit('step');
    }
    // resuming from a breakpoint exit (or stepping): that one instruction runs with breakpoints lifted
    let liftBreakpoints = debug.breakpoints.length > 0 && (debug.singleStep || (this.debugStopPc !== null && this.debugStopPc === this.hart.getPc()));
    this.debugStopPc = null;
    try {
      if (this.power === 'off') return { reason: 'intr', code: KVM_EXIT.INTR, idle: { reason: 'stopped', sleepNs: null } };
      while (budget > 0) {
        this.pollTimer();
        if (this.kicked) { this.kicked = false; return { reason: 'intr', code: KVM_EXIT.INTR }; }
        this.waiting = false; // running again: a previous WFI/suspend is over
        const before = this.hart.workDone;
        if (liftBreakpoints) this.hart.setBreakpoints([]);
        const why = this.hart.run(liftBreakpoints || debug.singleStep ? 1 : Math.min(budget, RUN_SLICE));
        if (liftBreakpoints) { this.hart.setBreakpoints(debug.breakpoints); liftBreakpoints = false; }
        // traps count as work: a guest that only traps (a trap storm) still uses up the budget and returns
        budget -= Math.max(0, this.hart.workDone - before);
        const loop = this.hart.trapLoop(TRAP_LOOP_REPEATS);
        if (loop !== null) {
          return {
            reason: 'internal_error', code: KVM_EXIT.INTERNAL_ERROR, trapLoop: loop,
            trap: { cause: loop.vectorCause, tval: 0n, pc: loop.vector },
          };
        }
        if (debug.singleStep) {
          if (why === Exit.Budget || why === Exit.Wfi || why === Exit.Stopped || why === Exit.Debug) return this.debugExit('step');
          if (why === Exit.Mmio) this.stepEndsOnEntry = true;
        }
        switch (why) {
          case Exit.Budget: continue;
          case Exit.Debug: return this.debugExit('breakpoint');
          case Exit.Stopped:
            this.kicked = false;
            return { reason: 'intr', code: KVM_EXIT.INTR };
          case Exit.Mmio: {
            this.pendingMmio = true;
            const m = this.hart.mmio;
            return { reason: 'mmio', code: KVM_EXIT.MMIO, mmio: { physAddr: m.addr, len: m.size, isWrite: m.isWrite, data: m.data } };
          }
          case Exit.Wfi: {
            this.waiting = true;
            this.pollTimer();
            if (!this.waiting) continue; // the software timer fired
            // a deadline already passed cannot wake the guest again (its interrupt is masked): no sleep bound
            const ns = this.timerSleepNs();
            const sleepNs = ns === 0 ? null : ns;
            if (this.vm.clock === 'icount' && sleepNs !== null && this.vm.othersIdle(this)) {
              // an instruction-counting clock stands still while every vCPU sleeps: jump to the deadline (the
              // clock is the VM's, so only when no other vCPU has work; otherwise Vm.runAll decides)
              this.vm.skipIdleTime(sleepNs);
              continue;
            }
            return { reason: 'intr', code: KVM_EXIT.INTR, idle: { reason: 'wfi', sleepNs } };
          }
          case Exit.MachineTrap: {
            if (this.hart.trapCause !== 9) {
              return { reason: 'internal_error', code: KVM_EXIT.INTERNAL_ERROR, trap: { cause: this.hart.trapCause, tval: this.hart.trapTval, pc: this.hart.getPc() } };
            }
            const exit = handleSbiCall(this);
            if (exit) { if (debug.singleStep) this.stepEndsOnEntry = true; return exit; }
            if (debug.singleStep) return this.debugExit('step');
            if ((this.power as PowerState) === 'off') return { reason: 'intr', code: KVM_EXIT.INTR, idle: { reason: 'stopped', sleepNs: null } };
            if (this.waiting) return { reason: 'intr', code: KVM_EXIT.INTR, idle: { reason: 'wfi', sleepNs: this.timerSleepNs() } };
            budget -= 1; // the ecall retired
            continue;
          }
          default:
            throw new Error(`vcpu ${this.id}: hart returned unknown exit ${why}`);
        }
      }
      return { reason: 'intr', code: KVM_EXIT.INTR };
    } finally {
      this.lastRunEnd = now();
    }
  }

  private firstRun(): void {
    const isa = this.hartIsa();
    // on the host: as KVM tests it (7.3 gives the guest Smnpm when the host has Ssnpm), else by name
    const kvmExts = new Map(kvmIsaTable(this.vm.abi).flatMap((e) => (e ? [[e.name, e] as const] : [])));
    const onHost = (n: string): boolean => { const e = kvmExts.get(n); return e ? hostHasKvmExt(e, this.vm.host) : this.vm.host.has(n); };
    const missing = [...isa].filter((n) => !onHost(n) || !hostExecutes(n));
    if (missing.length > 0) {
      throw new KvmError('EOPNOTSUPP', `vcpu ${this.id}: rvkvm's hart does not execute ${missing.join(', ')} (enabled on an ABI-only host); disable them before running`);
    }
    this.hart.setIsa(isa);
    // henvcfg as KVM derives it from the vCPU's ISA
    const envcfg = (isa.has('zicbom') ? ENVCFG_CBIE | ENVCFG_CBCFE : 0n) | (isa.has('zicboz') ? ENVCFG_CBZE : 0n) |
      (isa.has('sstc') ? ENVCFG_STCE : 0n) | (isa.has('svpbmt') ? ENVCFG_PBMTE : 0n);
    this.hart.setCsr(Csr.menvcfg, envcfg);
    // ADUE: the FWFT PTE_AD_HW_UPDATING value where FWFT offers it, else Svadu without Svade
    const adSlot = this.profile.fwftFeatures.findIndex((f) => f.name === 'pte_ad_hw_updating');
    if (adSlot >= 0 && this.fwftSupported(adSlot) && this.sbiEnabled('FWFT')) applyFwft(this, adSlot);
    else if (isa.has('svadu') && !isa.has('svade')) this.hart.setCsr(Csr.menvcfg, envcfg | ENVCFG_ADUE);
    this.ran = true;
  }

  private completePending(): void {
    if (this.pendingMmio) {
      this.pendingMmio = false;
      this.hart.completeMmio();
    }
    if (this.pendingSbi) {
      const ret = this.pendingSbi.sbi.ret;
      this.pendingSbi = null;
      this.hart.setX(10, BigInt.asUintN(64, ret[0]));
      this.hart.setX(11, BigInt.asUintN(64, ret[1]));
      this.hart.setPc(this.hart.getPc() + 4n);
    }
    if (this.pendingReset) {
      const { pc, a1 } = this.pendingReset;
      this.pendingReset = null;
      this.resetForStart(pc, a1);
    }
  }

  /** @internal HSM start / SUSP resume entry state: S-mode, MMU off, SIE clear, a0 = hartid, a1 = opaque. */
  resetForStart(pc: bigint, a1: bigint): void {
    const h = this.hart;
    h.setMode(1);
    h.setCsr(Csr.satp, 0n);
    h.setCsr(Csr.sstatus, h.getCsr(Csr.sstatus) & ~SSTATUS_SIE);
    h.flushTlb();
    h.setPc(pc);
    h.setX(10, BigInt(this.id));
    h.setX(11, a1);
    this.waiting = false;
  }

  /** STA: bump sequence (odd), add steal time, bump again (even), as KVM's record_steal_time does. */
  private recordStealTime(): void {
    if (this.staShmem === INVALID_GPA || !this.sbiEnabled('STA')) return;
    // under icount the guest sees no host time at all (a reproducible run), so nothing is ever stolen
    const stolenNs = this.lastRunEnd === null || this.waiting || this.vm.clock === 'icount' ? 0 : Math.max(0, Math.round((now() - this.lastRunEnd) * 1e6));
    let bytes: Uint8Array;
    try { bytes = this.vm.memory.ram(Number(this.staShmem), 64); } catch { return; }
    const dv = new DataView(bytes.buffer, bytes.byteOffset, 64);
    const seq = dv.getUint32(0, true);
    dv.setUint32(0, (seq + 1) >>> 0, true);
    dv.setBigUint64(8, BigInt.asUintN(64, dv.getBigUint64(8, true) + BigInt(stolenNs)), true);
    dv.setUint32(0, (seq + 2) >>> 0, true);
  }
}

const ENVCFG_CBIE = 3n << 4n;
const ENVCFG_CBCFE = 1n << 6n;
const ENVCFG_CBZE = 1n << 7n;
const ENVCFG_PBMTE = 1n << 62n;
const ENVCFG_STCE = 1n << 63n;
const ENVCFG_ADUE = 1n << 61n;

function hostExecutes(name: string): boolean {
  return IMPLEMENTED_EXTENSIONS.has(name);
}

function resetSbiExtState(vcpu: Vcpu, kvmSbiId: number): void {
  const row = vcpu.profile.sbiExtensions.find((e) => e.kvmId === kvmSbiId);
  if (row?.handler === 'sta') vcpu.staShmem = INVALID_GPA;
  if (row?.handler === 'fwft') resetFwft(vcpu);
}

function now(): number {
  return globalThis.performance.now();
}

function writeLe(buf: Uint8Array, n: number, v: bigint): void {
  for (let i = 0; i < n; i++) buf[i] = Number((v >> BigInt(8 * i)) & 0xffn);
}

function readLe(buf: Uint8Array, n: number): bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[i]!);
  return v;
}
