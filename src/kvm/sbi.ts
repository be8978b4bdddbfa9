// SBI in the hypervisor, as Linux KVM implements it (shared/reference/sbi.md): the guest's `ecall` from S-mode
// stops the hart with a machine trap (cause 9); the call is handled here or forwarded to user space.
import { KVM_SBI_IMPID, SbiEid, type SbiExtRow } from './abi.js';
import { KVM_EXIT, KVM_SYSTEM_EVENT, type VcpuExit } from './exits.js';
import { Csr, Irq } from './hart-port.js';
import type { Vcpu } from './vcpu.js';
import { sbiPmu } from './sbi-pmu.js';

export const enum SbiStatus { Enabled = 1, Disabled = 2, Unavailable = 3 }

export const SbiErr = {
  SUCCESS: 0, FAILED: -1, NOT_SUPPORTED: -2, INVALID_PARAM: -3, DENIED: -4, INVALID_ADDRESS: -5,
  ALREADY_AVAILABLE: -6, ALREADY_STARTED: -7, ALREADY_STOPPED: -8, NO_SHMEM: -9, INVALID_STATE: -10,
  BAD_RANGE: -11, TIMEOUT: -12, IO: -13, DENIED_LOCKED: -14,
} as const;

export const HsmState = { STARTED: 0, STOPPED: 1, START_PENDING: 2, STOP_PENDING: 3, SUSPENDED: 4 } as const;

const ALL_ONES = 0xffff_ffff_ffff_ffffn;

/** What a handler did: return values for a0/a1 (the ecall is then stepped over), or an exit for the VMM. */
type Outcome = { err: number; value?: bigint } | { exit: VcpuExit };

/**
 * Handles the ecall the hart stopped at. Returns an exit for the VMM, or null when the call completed in the
 * hypervisor (a0/a1 written, pc past the ecall) and the guest can continue.
 */
export function handleSbiCall(vcpu: Vcpu): VcpuExit | null {
  const h = vcpu.hart;
  const eid = h.getX(17);
  const fid = h.getX(16);
  const args = [10, 11, 12, 13, 14, 15].map((r) => h.getX(r));
  const row = lookup(vcpu, eid);
  let out: Outcome;
  if (!row || (row.kvmId !== null && !vcpu.sbiEnabled(row.name))) out = { err: SbiErr.NOT_SUPPORTED };
  else out = HANDLERS[row.handler](vcpu, fid, args, eid);
  if ('exit' in out) return out.exit;
  h.setX(10, BigInt.asUintN(64, BigInt(out.err)));
  if (out.value !== undefined || out.err === SbiErr.SUCCESS) h.setX(11, BigInt.asUintN(64, out.value ?? 0n));
  else h.setX(11, 0n);
  h.setPc(h.getPc() + 4n);
  return null;
}

/** First table entry whose EID range holds eid. V01 never matches: rvkvm models a host kernel built without
 *  CONFIG_RISCV_SBI_V01 (as Debian's), whose V01 entry has the range -1..-1 (its ONE_REG register still exists). */
function lookup(vcpu: Vcpu, eid: bigint): SbiExtRow | undefined {
  if (eid > 0xffff_ffffn) return undefined;
  const e = Number(eid);
  return vcpu.profile.sbiExtensions.find((r) => r.handler !== 'v01' && r.eidStart <= e && e <= r.eidEnd);
}

function forward(vcpu: Vcpu, eid: bigint, fid: bigint, args: bigint[]): Outcome {
  const exit = { reason: 'riscv_sbi' as const, code: KVM_EXIT.RISCV_SBI, sbi: { extensionId: eid, functionId: fid, args, ret: [BigInt(SbiErr.NOT_SUPPORTED), 0n] as [bigint, bigint] } };
  vcpu.pendingSbi = exit;
  return { exit };
}

/** The vCPUs named by an SBI hart mask (hart_mask, hart_mask_base; base -1 = every vCPU). */
function targets(vcpu: Vcpu, mask: bigint, base: bigint): { vcpus: Vcpu[]; missing: boolean } {
  const all = vcpu.vm.vcpus;
  if (base === ALL_ONES) return { vcpus: [...all], missing: false };
  const out: Vcpu[] = [];
  let sent = 0n;
  for (const t of all) {
    const id = BigInt(t.id);
    if (id < base || id - base >= 64n) continue;
    const bit = 1n << (id - base);
    if (mask & bit) { out.push(t); sent |= bit; }
  }
  return { vcpus: out, missing: (mask ^ sent) !== 0n };
}

type Handler = (vcpu: Vcpu, fid: bigint, a: bigint[], eid: bigint) => Outcome;

const HANDLERS: Readonly<Record<SbiExtRow['handler'], Handler>> = {
  v01: () => ({ err: SbiErr.NOT_SUPPORTED }),

  base(vcpu, fid, a) {
    const p = vcpu.profile;
    switch (fid) {
      case 0n: return { err: 0, value: BigInt((p.sbiSpecVersion.major << 24) | p.sbiSpecVersion.minor) };
      case 1n: return { err: 0, value: BigInt(KVM_SBI_IMPID) };
      case 2n: return { err: 0, value: BigInt(p.linuxVersionCode) };
      case 3n: {
        const probed = a[0]!;
        const row = lookup(vcpu, probed);
        // experimental and vendor EIDs: user space answers the probe
        if (row && (row.name === 'EXPERIMENTAL' || row.name === 'VENDOR') && vcpu.sbiEnabled(row.name)) {
          return forward(vcpu, BigInt(SbiEid.BASE), fid, a);
        }
        return { err: 0, value: row && vcpu.sbiEnabled(row.name) ? 1n : 0n };
      }
      case 4n: return { err: 0, value: vcpu.mvendorid };
      case 5n: return { err: 0, value: vcpu.marchid };
      case 6n: return { err: 0, value: vcpu.mimpid };
      default: return { err: SbiErr.NOT_SUPPORTED };
    }
  },

  time(vcpu, fid, a) {
    if (fid !== 0n) return { err: SbiErr.NOT_SUPPORTED };
    vcpu.armTimer(a[0]!);
    return { err: 0 };
  },

  ipi(vcpu, fid, a) {
    if (fid !== 0n) return { err: SbiErr.NOT_SUPPORTED };
    const t = targets(vcpu, a[0]!, a[1]!);
    for (const v of t.vcpus) { v.hart.setInterruptPending(Irq.SSI, true); v.wake(); }
    return { err: t.missing ? SbiErr.INVALID_PARAM : 0 };
  },

  rfence(vcpu, fid, a) {
    if (fid > 2n) return { err: SbiErr.NOT_SUPPORTED }; // HFENCE variants (3..6) and unknown FIDs
    // remote fence.i needs nothing: the hart's decode cache follows stores; sfence.vma flushes the TLB
    for (const v of targets(vcpu, a[0]!, a[1]!).vcpus) if (fid !== 0n) v.hart.flushTlb();
    return { err: 0 };
  },

  srst(vcpu, fid, a) {
    if (fid !== 0n) return { err: SbiErr.NOT_SUPPORTED };
    const type = a[0]! & 0xffff_ffffn;
    if (type > 2n) return { err: SbiErr.NOT_SUPPORTED };
    for (const v of vcpu.vm.vcpus) v.setPowerState('off');
    // the pc stays at the ecall, as KVM leaves it for a user-space exit
    return { exit: { reason: 'system_event', code: KVM_EXIT.SYSTEM_EVENT,
      type: type === 0n ? KVM_SYSTEM_EVENT.SHUTDOWN : KVM_SYSTEM_EVENT.RESET, data: [a[1]!] } };
  },

  hsm(vcpu, fid, a) {
    switch (fid) {
      case 0n: { // hart_start(hartid, start_addr, opaque)
        const t = vcpu.vm.vcpuByHartId(a[0]!);
        if (!t) return { err: SbiErr.INVALID_PARAM };
        if (t.powerState !== 'off') return { err: SbiErr.ALREADY_AVAILABLE };
        t.pendingReset = { pc: a[1]!, a1: a[2]! };
        t.setPowerState('on');
        return { err: 0 };
      }
      case 1n: // hart_stop
        vcpu.setPowerState('off');
        return { err: 0 };
      case 2n: { // hart_get_status
        const t = vcpu.vm.vcpuByHartId(a[0]!);
        if (!t) return { err: SbiErr.INVALID_PARAM };
        return { err: 0, value: BigInt(t.powerState === 'off' ? HsmState.STOPPED : t.waiting ? HsmState.SUSPENDED : HsmState.STARTED) };
      }
      case 3n: { // hart_suspend(type, resume_addr, opaque)
        const type = a[0]! & 0xffff_ffffn;
        if (type === 0n) { vcpu.waiting = true; return { err: 0 }; } // default retentive = WFI
        if (type === 0x8000_0000n) return { err: SbiErr.NOT_SUPPORTED };
        return { err: SbiErr.INVALID_PARAM };
      }
      default: return { err: SbiErr.NOT_SUPPORTED };
    }
  },

  pmu: (vcpu, fid, a) => sbiPmu(vcpu, fid, a),

  dbcn(vcpu, fid, a, eid) {
    if (!vcpu.profile.dbcnForwardAllFids && fid > 2n) return { err: SbiErr.NOT_SUPPORTED };
    return forward(vcpu, eid, fid, a);
  },

  susp(vcpu, fid, a, eid) {
    if (fid !== 0n) return { err: SbiErr.NOT_SUPPORTED };
    if ((a[0]! & 0xffff_ffffn) !== 0n) return { err: SbiErr.INVALID_PARAM };
    if (vcpu.hart.getMode() !== 1) return { err: SbiErr.FAILED };
    try { vcpu.vm.memory.ram(Number(a[1]!), 4); } catch { return { err: SbiErr.INVALID_ADDRESS }; }
    if (vcpu.vm.vcpus.some((v) => v !== vcpu && v.powerState !== 'off')) return { err: SbiErr.DENIED };
    vcpu.pendingReset = { pc: a[1]!, a1: a[2]! };
    return forward(vcpu, eid, fid, a);
  },

  sta(vcpu, fid, a) {
    if (fid !== 0n) return { err: SbiErr.NOT_SUPPORTED };
    const [lo, hi, flags] = [a[0]!, a[1]!, a[2]!];
    if (flags !== 0n) return { err: SbiErr.INVALID_PARAM };
    if (lo === ALL_ONES && hi === ALL_ONES) { vcpu.staShmem = ALL_ONES; return { err: 0 }; }
    if (lo & 63n) return { err: SbiErr.INVALID_PARAM };
    if (hi !== 0n) return { err: SbiErr.INVALID_ADDRESS };
    let area: Uint8Array;
    try { area = vcpu.vm.memory.ram(Number(lo), 64); } catch { return { err: SbiErr.INVALID_ADDRESS }; }
    area.fill(0);
    vcpu.staShmem = lo;
    return { err: 0 };
  },

  fwft(vcpu, fid, a) {
    if (fid !== 0n && fid !== 1n) return { err: SbiErr.NOT_SUPPORTED };
    const featureId = a[0]! & 0xffff_ffffn;
    const slot = vcpu.profile.fwftFeatures.findIndex((f) => BigInt(f.featureId) === featureId);
    if (slot < 0 || !vcpu.fwftSupported(slot)) {
      // reserved ids are DENIED, defined-but-absent ones NOT_SUPPORTED (SBI FWFT chapter)
      const reserved = (featureId >= 6n && featureId <= 0x3fff_ffffn) || (featureId >= 0x8000_0000n && featureId <= 0xbfff_ffffn);
      return { err: reserved ? SbiErr.DENIED : SbiErr.NOT_SUPPORTED };
    }
    const st = vcpu.fwft[slot]!;
    if (fid === 1n) return { err: 0, value: vcpu.fwftValue(slot) };
    const [value, flags] = [a[1]!, a[2]!];
    if ((flags & ~1n) !== 0n) return { err: SbiErr.INVALID_PARAM };
    if (st.flags & 1n) return { err: SbiErr.DENIED_LOCKED };
    // pointer masking's value is PMLEN (0, 7 or 16: the hart offers both lengths); the others are booleans
    const pm = vcpu.profile.fwftFeatures[slot]!.name === 'pointer_masking';
    if (pm ? value !== 0n && value !== 7n && value !== 16n : value > 1n) return { err: SbiErr.INVALID_PARAM };
    st.value = value;
    st.enable = 1n;
    st.flags = flags;
    applyFwft(vcpu, slot);
    return { err: 0 };
  },

  forward(vcpu, fid, a, eid) {
    return forward(vcpu, eid, fid, a);
  },
};

/** menvcfg.ADUE: hardware A/D updating, the effect of FWFT PTE_AD_HW_UPDATING. */
const MENVCFG_ADUE = 1n << 61n;
/** menvcfg.PMM (bits 33:32): the guest kernel's (S-mode's) pointer masking, the effect of FWFT POINTER_MASKING
 *  (KVM sets henvcfg.PMM for its VS-mode guest; rvkvm's guest kernel runs in the hart's S-mode) */
const MENVCFG_PMM = 3n << 32n;

/** Puts a feature's value into effect on the hart. */
export function applyFwft(vcpu: Vcpu, slot: number): void {
  const f = vcpu.profile.fwftFeatures[slot]!;
  if (f.name === 'pte_ad_hw_updating') {
    const m = vcpu.hart.getCsr(Csr.menvcfg);
    vcpu.hart.setCsr(Csr.menvcfg, vcpu.fwftValue(slot) ? m | MENVCFG_ADUE : m & ~MENVCFG_ADUE);
  } else if (f.name === 'pointer_masking') {
    const pmlen = vcpu.fwftValue(slot), m = vcpu.hart.getCsr(Csr.menvcfg) & ~MENVCFG_PMM;
    vcpu.hart.setCsr(Csr.menvcfg, m | (pmlen === 7n ? 2n << 32n : pmlen === 16n ? 3n << 32n : 0n));
  }
}

/** FWFT state back to its reset values (disabling FWFT through ONE_REG in 7.3). */
export function resetFwft(vcpu: Vcpu): void {
  vcpu.fwft.forEach((st, slot) => {
    st.enable = 0n; st.flags = 0n; st.value = null;
    if (vcpu.hasRun && vcpu.fwftSupported(slot)) applyFwft(vcpu, slot);
  });
}
