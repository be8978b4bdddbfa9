// The two Linux KVM ABIs rvkvm models, as data. Where Linux 6.12.107 and 7.3-rc7 differ (see
// shared/reference/kvm-isa-ext-rules.md and sbi.md) the difference is a field here, never an if-chain on a version.

export type KvmAbi = '6.12' | '7.3';
export const DEFAULT_ABI: KvmAbi = '7.3';
export const KVM_ABIS: readonly KvmAbi[] = ['6.12', '7.3'];

/** SBI extension ids (a7). Ranges are inclusive. */
export const SbiEid = {
  V01_SET_TIMER: 0x00, V01_CONSOLE_PUTCHAR: 0x01, V01_CONSOLE_GETCHAR: 0x02, V01_CLEAR_IPI: 0x03,
  V01_SEND_IPI: 0x04, V01_REMOTE_FENCE_I: 0x05, V01_REMOTE_SFENCE_VMA: 0x06, V01_REMOTE_SFENCE_VMA_ASID: 0x07,
  V01_SHUTDOWN: 0x08,
  BASE: 0x10, TIME: 0x54494d45, IPI: 0x735049, RFENCE: 0x52464e43, SRST: 0x53525354, HSM: 0x48534d,
  PMU: 0x504d55, DBCN: 0x4442434e, STA: 0x535441, SUSP: 0x53555350, FWFT: 0x46574654, MPXY: 0x4d505859,
  EXPERIMENTAL_START: 0x08000000, EXPERIMENTAL_END: 0x08ffffff, VENDOR_START: 0x09000000, VENDOR_END: 0x09ffffff,
} as const;

/** enum KVM_RISCV_SBI_EXT_ID (uapi): the ONE_REG SBI_EXT index of each controllable extension. */
export const KVM_SBI_EXT_NAMES: readonly string[] = [
  'V01', 'TIME', 'IPI', 'RFENCE', 'SRST', 'HSM', 'PMU', 'EXPERIMENTAL', 'VENDOR', 'DBCN', 'STA', 'SUSP', 'FWFT', 'MPXY',
];

/** How the hypervisor handles calls to an extension. */
export type SbiHandler = 'v01' | 'base' | 'time' | 'ipi' | 'rfence' | 'srst' | 'hsm' | 'pmu' | 'dbcn' | 'susp' | 'sta' |
  'fwft' | 'forward';

export interface SbiExtRow {
  /** KVM_RISCV_SBI_EXT_* value, or null for BASE (always on, not controllable). */
  readonly kvmId: number | null;
  readonly name: string;
  readonly eidStart: number;
  readonly eidEnd: number;
  readonly defaultEnabled: boolean;
  readonly handler: SbiHandler;
  /** SBI_STATE subtype owning this extension's state registers, if any. */
  readonly stateSubtype: number | null;
}

function ext(kvmId: number | null, name: string, eidStart: number, eidEnd: number, defaultEnabled: boolean,
  handler: SbiHandler, stateSubtype: number | null = null): SbiExtRow {
  return { kvmId, name, eidStart, eidEnd, defaultEnabled, handler, stateSubtype };
}

const V01 = ext(0, 'V01', SbiEid.V01_SET_TIMER, SbiEid.V01_SHUTDOWN, true, 'v01');
const BASE = ext(null, 'BASE', SbiEid.BASE, SbiEid.BASE, true, 'base');
const TIME = ext(1, 'TIME', SbiEid.TIME, SbiEid.TIME, true, 'time');
const IPI = ext(2, 'IPI', SbiEid.IPI, SbiEid.IPI, true, 'ipi');
const RFENCE = ext(3, 'RFENCE', SbiEid.RFENCE, SbiEid.RFENCE, true, 'rfence');
const SRST = ext(4, 'SRST', SbiEid.SRST, SbiEid.SRST, true, 'srst');
const HSM = ext(5, 'HSM', SbiEid.HSM, SbiEid.HSM, true, 'hsm');
const PMU = ext(6, 'PMU', SbiEid.PMU, SbiEid.PMU, true, 'pmu');
const DBCN = ext(9, 'DBCN', SbiEid.DBCN, SbiEid.DBCN, false, 'dbcn');
const SUSP = ext(11, 'SUSP', SbiEid.SUSP, SbiEid.SUSP, false, 'susp');
const STA = ext(10, 'STA', SbiEid.STA, SbiEid.STA, true, 'sta', 0);
const FWFT = ext(12, 'FWFT', SbiEid.FWFT, SbiEid.FWFT, true, 'fwft', 1);
const MPXY = ext(13, 'MPXY', SbiEid.MPXY, SbiEid.MPXY, false, 'forward');
const EXPERIMENTAL = ext(7, 'EXPERIMENTAL', SbiEid.EXPERIMENTAL_START, SbiEid.EXPERIMENTAL_END, true, 'forward');
const VENDOR = ext(8, 'VENDOR', SbiEid.VENDOR_START, SbiEid.VENDOR_END, true, 'forward');

/** An SBI FWFT feature with its ONE_REG slot (index = 3 * slot + {0 enable, 1 flags, 2 value}). */
export interface FwftFeature {
  readonly name: string;
  readonly featureId: number;
  /** Guest extension (canonical name) the vCPU needs for KVM to offer the feature; null = never offered by rvkvm. */
  readonly needs: string | null;
}

const FWFT_MISALIGNED: FwftFeature = {
  // KVM offers it when the host firmware can delegate misaligned traps; rvkvm's hart handles misaligned
  // accesses in "hardware", so there is no trap to delegate.
  name: 'misaligned_deleg', featureId: 0, needs: null,
};
const FWFT_POINTER_MASKING: FwftFeature = { name: 'pointer_masking', featureId: 5, needs: 'ssnpm' };
const FWFT_PTE_AD: FwftFeature = { name: 'pte_ad_hw_updating', featureId: 4, needs: 'svadu' };
const FWFT_LANDING_PAD: FwftFeature = { name: 'landing_pad', featureId: 1, needs: 'zicfilp' };
const FWFT_SHADOW_STACK: FwftFeature = { name: 'shadow_stack', featureId: 2, needs: 'zicfiss' };

export interface CsrSubtypeRow {
  readonly subtype: number;
  readonly name: string;
  readonly fields: readonly string[];
  /** Guest extension required for the registers to be listed (null = always listed). */
  readonly listedWith: string | null;
}

export interface AbiProfile {
  readonly abi: KvmAbi;
  readonly linuxVersion: string;
  /** LINUX_VERSION_CODE, reported by sbi_get_impl_version. */
  readonly linuxVersionCode: number;
  readonly isaExtMax: number;
  readonly sbiExtMax: number;
  /** struct kvm_riscv_config field names in index order. */
  readonly configFields: readonly string[];
  readonly csrSubtypes: readonly CsrSubtypeRow[];
  readonly sbiSpecVersion: { readonly major: number; readonly minor: number };
  /** KVM's SBI extension table in lookup order (first matching EID range wins). */
  readonly sbiExtensions: readonly SbiExtRow[];
  /** FWFT features in ONE_REG slot order (empty where FWFT does not exist). */
  readonly fwftFeatures: readonly FwftFeature[];
  /**
   * CONFIG zicbo{m,z}_block_size: 'vcpu' = -ENOENT unless the vCPU has the extension, value must equal the host
   * size (6.12); 'host' = reads 0 if the host lacks it, accepts 0 or the host size (7.x).
   */
  readonly cboBlockSizeRule: 'vcpu' | 'host';
  /** KVM_GET_REG_LIST omits the CBO block-size CONFIG registers the vCPU lacks (6.12), or lists all (7.x). */
  readonly regListFiltersCboConfig: boolean;
  /** CSR AIA access needs the vCPU to have Ssaia (7.x: -ENOENT) or reads 0 / ignores writes (6.12). */
  readonly aiaNeedsVcpuSsaia: boolean;
  /** errno for Smstateen CSR access when the extension is missing or the index is out of range. */
  readonly smstateenMissingErrno: 'EINVAL' | 'ENOENT';
  /** TIMER state := ON arms at the stored compare value (7.x) or, as 6.12.107 does, at the written value (1). */
  readonly timerOnArmsAt: 'compare' | 'written-value';
  /** SBI_STATE: accepted register sizes in bytes (all must still be "unsigned long" for STA). */
  readonly sbiStateSizes: readonly number[];
  /** SBI_STATE with a subtype no enabled extension owns / unknown STA index: errno. */
  readonly sbiStateUnknownSubtypeErrno: 'EINVAL';
  readonly sbiStaUnknownIndexErrno: 'EINVAL' | 'ENOENT';
  /** STA registers reachable only while STA is enabled (7.x). */
  readonly sbiStaNeedsEnabled: boolean;
  /** Disabling an SBI extension through ONE_REG resets its state (STA shmem, FWFT) (7.3). */
  readonly sbiExtDisableResets: boolean;
  /** DBCN: forward every FID (7.x generic forwarder) or only FIDs 0..2 (6.12). */
  readonly dbcnForwardAllFids: boolean;
  /** Highest PMU FID handled in the kernel (reported by probe only; rvkvm has no PMU, see sbi.ts). */
  readonly pmuLastFid: number;
}

export const ABI_PROFILES: Readonly<Record<KvmAbi, AbiProfile>> = {
  '6.12': {
    abi: '6.12',
    linuxVersion: '6.12.107',
    linuxVersionCode: (6 << 16) | (12 << 8) | 107,
    isaExtMax: 62,
    sbiExtMax: 11,
    configFields: ['isa', 'zicbom_block_size', 'mvendorid', 'marchid', 'mimpid', 'zicboz_block_size', 'satp_mode'],
    csrSubtypes: [
      { subtype: 0, name: 'GENERAL', fields: ['sstatus', 'sie', 'stvec', 'sscratch', 'sepc', 'scause', 'stval', 'sip', 'satp', 'scounteren', 'senvcfg'], listedWith: null },
      { subtype: 1, name: 'AIA', fields: ['siselect', 'iprio1', 'iprio2', 'sieh', 'siph', 'iprio1h', 'iprio2h'], listedWith: 'ssaia' },
      { subtype: 2, name: 'SMSTATEEN', fields: ['sstateen0'], listedWith: 'smstateen' },
    ],
    sbiSpecVersion: { major: 2, minor: 0 },
    sbiExtensions: [V01, BASE, TIME, IPI, RFENCE, SRST, HSM, PMU, DBCN, STA, EXPERIMENTAL, VENDOR],
    fwftFeatures: [],
    cboBlockSizeRule: 'vcpu',
    regListFiltersCboConfig: true,
    aiaNeedsVcpuSsaia: false,
    smstateenMissingErrno: 'EINVAL',
    timerOnArmsAt: 'written-value',
    sbiStateSizes: [8],
    sbiStateUnknownSubtypeErrno: 'EINVAL',
    sbiStaUnknownIndexErrno: 'EINVAL',
    sbiStaNeedsEnabled: false,
    sbiExtDisableResets: false,
    dbcnForwardAllFids: false,
    pmuLastFid: 7,
  },
  '7.3': {
    abi: '7.3',
    linuxVersion: '7.3-rc7',
    linuxVersionCode: (7 << 16) | (3 << 8) | 0,
    isaExtMax: 80,
    sbiExtMax: 14,
    configFields: ['isa', 'zicbom_block_size', 'mvendorid', 'marchid', 'mimpid', 'zicboz_block_size', 'satp_mode', 'zicbop_block_size'],
    csrSubtypes: [
      { subtype: 0, name: 'GENERAL', fields: ['sstatus', 'sie', 'stvec', 'sscratch', 'sepc', 'scause', 'stval', 'sip', 'satp', 'scounteren', 'senvcfg'], listedWith: null },
      { subtype: 1, name: 'AIA', fields: ['siselect', 'iprio1', 'iprio2', 'sieh', 'siph', 'iprio1h', 'iprio2h'], listedWith: 'ssaia' },
      { subtype: 2, name: 'SMSTATEEN', fields: ['sstateen0'], listedWith: 'smstateen' },
      { subtype: 3, name: 'ZICFISS', fields: ['ssp'], listedWith: 'zicfiss' },
    ],
    sbiSpecVersion: { major: 3, minor: 0 },
    sbiExtensions: [V01, BASE, TIME, IPI, RFENCE, SRST, HSM, PMU, DBCN, SUSP, STA, FWFT, MPXY, EXPERIMENTAL, VENDOR],
    fwftFeatures: [FWFT_MISALIGNED, FWFT_POINTER_MASKING, FWFT_PTE_AD, FWFT_LANDING_PAD, FWFT_SHADOW_STACK],
    cboBlockSizeRule: 'host',
    regListFiltersCboConfig: false,
    aiaNeedsVcpuSsaia: true,
    smstateenMissingErrno: 'ENOENT',
    timerOnArmsAt: 'compare',
    sbiStateSizes: [1, 2, 4, 8],
    sbiStateUnknownSubtypeErrno: 'EINVAL',
    sbiStaUnknownIndexErrno: 'ENOENT',
    sbiStaNeedsEnabled: true,
    sbiExtDisableResets: true,
    dbcnForwardAllFids: true,
    pmuLastFid: 8,
  },
};

export function abiProfile(abi: KvmAbi): AbiProfile {
  const p = (ABI_PROFILES as Record<string, AbiProfile | undefined>)[abi];
  if (!p) throw new Error(`unknown KVM ABI '${abi}' (expected one of ${KVM_ABIS.join(', ')})`);
  return p;
}

/** struct kvm_riscv_core field names in index order (0 = regs.pc, 1..31 = x1..x31, 32 = mode). */
export const CORE_FIELDS: readonly string[] = [
  'regs.pc', 'regs.ra', 'regs.sp', 'regs.gp', 'regs.tp', 'regs.t0', 'regs.t1', 'regs.t2', 'regs.s0', 'regs.s1',
  'regs.a0', 'regs.a1', 'regs.a2', 'regs.a3', 'regs.a4', 'regs.a5', 'regs.a6', 'regs.a7', 'regs.s2', 'regs.s3',
  'regs.s4', 'regs.s5', 'regs.s6', 'regs.s7', 'regs.s8', 'regs.s9', 'regs.s10', 'regs.s11', 'regs.t3', 'regs.t4',
  'regs.t5', 'regs.t6', 'mode',
];
export const TIMER_FIELDS: readonly string[] = ['frequency', 'time', 'compare', 'state'];
export const STA_FIELDS: readonly string[] = ['shmem_lo', 'shmem_hi'];
export const FWFT_REG_PARTS: readonly string[] = ['enable', 'flags', 'value'];
export const VECTOR_CSR_FIELDS: readonly string[] = ['vstart', 'vl', 'vtype', 'vcsr', 'vlenb', 'datap'];

export const KVM_RISCV_MODE_S = 1n;
export const KVM_RISCV_MODE_U = 0n;
export const KVM_RISCV_TIMER_STATE_OFF = 0n;
export const KVM_RISCV_TIMER_STATE_ON = 1n;
export const KVM_SBI_IMPID = 3;
/** Zicbom/Zicboz/Zicbop block size of rvkvm's hart (bytes). */
export const CBO_BLOCK_SIZE = 64n;
