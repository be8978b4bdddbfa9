// The ISA extension catalogue: one row per extension Linux knows (union of v6.12.107 and v7.3-rc7),
// plus the shorthands g and b. Every other module asks this table; nothing else lists extensions.
// Facts come from shared/reference (ids, bits, rules); test/isa/catalogue.test.ts checks every row.

/** Linux versions whose riscv_isa_ext[] table, ids and hwprobe rules the catalogue carries. */
export const LINUX_VERSIONS = ['6.12.107', '7.3-rc7'] as const;
export type LinuxVersion = (typeof LINUX_VERSIONS)[number];
/** Linux versions whose KVM uapi the catalogue records (an id's first appearance). */
export const KVM_VERSIONS = ['6.12.107', '7.2.13', '7.3-rc7'] as const;
export type KvmVersion = (typeof KVM_VERSIONS)[number];
/** KVM_RISCV_ISA_EXT_MAX per version. */
export const KVM_ISA_EXT_MAX: Readonly<Record<KvmVersion, number>> = { '6.12.107': 62, '7.2.13': 78, '7.3-rc7': 80 };

/** The extensions rvkvm's hart executes. Adjust here, in one place. */
export const IMPLEMENTED_EXTENSIONS: ReadonlySet<string> = new Set([
  'i', 'm', 'a', 'f', 'd', 'c', 'zca', 'zcd', 'zicsr', 'zifencei', 'zimop', 'zcmop', 'zba', 'zbb', 'zbs', 'zbc',
  'zfhmin', 'zfh', 'sscofpmf', 'ssnpm', 'smnpm', 'smmpm', 'supm', 'smstateen', 'ssstateen', 'zkt', 'zicond', 'zicntr', 'zihpm', 'zihintpause', 'zihintntl', 'zicbom', 'zicboz', 'zicbop', 'zawrs', 'zacas', 'zfa',
  'zcb', 'sstc', 'svpbmt', 'svinval', 'svnapot', 'svadu', 'h',
  'v', 'zve32x', 'zve32f', 'zve64x', 'zve64f', 'zve64d',
  'zvbb', 'zvkb', 'zvbc', 'zvkt', 'zvkned', 'zvknha', 'zvknhb', 'zvkg', 'zvksed', 'zvksh', 'zvfhmin', 'zvfh',
  // Profile-defined names: properties of the machine rather than instructions (see each row's guarantee).
  'ziccamoa', 'ziccif', 'zicclsm', 'ziccrse', 'za64rs', 'za128rs', 'zic64b', 'ssccptr', 'sstvecd', 'sstvala',
  'sscounterenw', 'ssu64xl', 'svbare', 'sv39', 'sv48', 'sv57', 'svade',
  // the Sha components rvkvm's H meets
  'shcounterenw', 'shgatpa', 'shtvala', 'shvsatpa', 'shvstvala', 'shvstvecd',
]);

/**
 * Whether KVM lets user space turn an extension on (enable) or off (disable) with KVM_SET_ONE_REG before
 * the first KVM_RUN. The host-* values are conditional: allowed only when the host has that feature.
 */
export type KvmRule = 'always' | 'never' | 'host-ssaia' | 'host-smstateen' | 'host-svadu' | 'host-user-vector';

export interface KvmExtension {
  /** KVM_RISCV_ISA_EXT_* (the ONE_REG ISA_EXT index), not the Linux-internal id. */
  readonly id: number;
  /** First Linux version whose uapi has this id (ids were only ever appended). */
  readonly since: KvmVersion;
  readonly enable: KvmRule;
  /** For ids present in both versions the rules of v6.12.107 and v7.3-rc7 are identical. */
  readonly disable: KvmRule;
}

/**
 * When Linux reports a riscv_hwprobe bit for an extension in the resolved set:
 * always; fpu = has_fpu() (F or D resolved, CONFIG_FPU); vector = has_vector() (Zve32x resolved,
 * CONFIG_RISCV_ISA_V); c = C resolved; vector-v = has_vector() and V resolved; supm = CONFIG_RISCV_ISA_SUPM.
 */
export type HwprobeCondition = 'always' | 'fpu' | 'vector' | 'c' | 'vector-v' | 'supm';

export interface HwprobeBit {
  /** 4 = RISCV_HWPROBE_KEY_IMA_EXT_0, 16 = RISCV_HWPROBE_KEY_IMA_EXT_1. */
  readonly key: 4 | 16;
  readonly bit: number;
  /** Per Linux version; a version without an entry has no such bit. */
  readonly when: Readonly<Partial<Record<LinuxVersion, HwprobeCondition>>>;
}

/** The riscv_isa_ext[] entry kinds of cpufeature.c (see linux-isa-extensions.json "table_kinds"). */
export type LinuxEntryKind = 'DATA' | 'DATA_VALIDATE' | 'SUPERSET' | 'SUPERSET_VALIDATE' | 'BUNDLE' | 'BUNDLE_VALIDATE';

export interface LinuxEntry {
  readonly kind: LinuxEntryKind;
  /** Names whose bits the entry also sets (subset or bundle members); 'xlinuxenvcfg' is Linux-internal. */
  readonly implies: readonly string[];
  /** The validate callback (cpufeature.c name); its behaviour is modelled in linux.ts. */
  readonly validate: string | null;
}

export interface ImpliedIf {
  readonly name: string;
  /** Added only when all of these are in the set ... */
  readonly with: readonly string[];
  /** ... and, if given, only at this XLEN. */
  readonly xlen?: 32 | 64;
}

export interface Extension {
  /** Canonical lower-case name as Linux spells it in riscv,isa-extensions. */
  readonly name: string;
  /** Single-letter (i, m, a, ...) or multi-letter (zicsr, sstc, ...). */
  readonly singleLetter: boolean;
  /** Canonical position: single letters in "IMAFDQLCBKJTPVH" order, then riscv_isa_ext[] order. */
  readonly order: number;
  /** Stands for a set of extensions and is never itself a member of one (g, b, Linux bundles). */
  readonly shorthand: boolean;
  /** Linux-internal RISCV_ISA_EXT_* id (hwcap.h); null for shorthands. Same value in every version. */
  readonly linuxId: number | null;
  readonly kvm: KvmExtension | null;
  readonly hwprobe: HwprobeBit | null;
  /** The riscv_isa_ext[] entry per Linux version; no entry = unknown to that version. */
  readonly linux: Readonly<Partial<Record<LinuxVersion, LinuxEntry>>>;
  /** What writing this name also gives (rvkvm's strict parser; c's members are conditional). */
  readonly implies: readonly string[];
  readonly impliesIf: readonly ImpliedIf[];
  /** Each group must be satisfied by one of its names (e.g. zacas: [['zaamo', 'a']]). */
  readonly requires: readonly (readonly string[])[];
  /** Only valid on RV32 (Linux drops it on a 64-bit kernel; rvkvm's parser rejects it on rv64). */
  readonly rv32Only: boolean;
  /** Whether rvkvm's hart executes it (a shorthand: whether it executes every member). */
  readonly implemented: boolean;
  /**
   * For a profile-defined name (Ziccif, Za64rs, Sstvala, Sv39, ...): what rvkvm guarantees about it. Such a
   * row is a member of an ISA set like any extension, but Linux may not know it (then it has no Linux id).
   */
  readonly guarantee: string | null;
}

interface RowFacts {
  linuxId?: number;
  kvm?: KvmExtension;
  hwprobe?: HwprobeBit;
  linux: Partial<Record<LinuxVersion, LinuxEntry>>;
  requires?: string[][];
  rv32Only?: boolean;
  /** Overrides the implies taken from the newest Linux entry. */
  implies?: string[];
  impliesIf?: ImpliedIf[];
  /** A profile-defined name (a property of the machine, not an instruction set): what rvkvm guarantees. */
  guarantee?: string;
}

const L = (kind: LinuxEntryKind, implies: string[] = [], validate: string | null = null): LinuxEntry => ({ kind, implies, validate });
const both = (e: LinuxEntry): Partial<Record<LinuxVersion, LinuxEntry>> => ({ '6.12.107': e, '7.3-rc7': e });
const kvm = (id: number, enable: KvmRule, disable: KvmRule, since: KvmVersion = '6.12.107'): KvmExtension => ({ id, since, enable, disable });
const hw = (key: 4 | 16, bit: number, when: HwprobeCondition | Partial<Record<LinuxVersion, HwprobeCondition>>): HwprobeBit =>
  ({ key, bit, when: typeof when === 'string' ? { '6.12.107': when, '7.3-rc7': when } : when });

// Linux-internal pseudo extension (RISCV_ISA_EXT_XLINUXENVCFG = 127): set by some entries, never printed.
const LINUX_INTERNAL = new Set(['xlinuxenvcfg']);

const drafts: Array<{ name: string; facts: RowFacts }> = [];
function row(name: string, facts: RowFacts): void {
  drafts.push({ name, facts });
}

// Rows in riscv_isa_ext[] order of v7.3-rc7 (v6.12.107's table is a subsequence of it), with the
// profile-defined names Linux does not know (rows with a guarantee and no Linux entry) next to their kin.
row('i', { linuxId: 8, kvm: kvm(5, 'always', 'never'), linux: both(L('DATA')) });
row('m', { linuxId: 12, kvm: kvm(6, 'always', 'never'), linux: both(L('DATA')) });
row('a', {
  // Linux v7.x splits A into zaamo + zalrsc; rvkvm keeps A whole (its hart implements 'a', not the halves).
  implies: [], linuxId: 0, kvm: kvm(0, 'always', 'never'), linux: { '6.12.107': L('DATA'),
    '7.3-rc7': L('SUPERSET', ['zaamo', 'zalrsc']) } });
row('f', { requires: [['zicsr']], linuxId: 5, kvm: kvm(3, 'always', 'always'), hwprobe: hw(4, 0, 'fpu'), linux: { '6.12.107': L('DATA'),
    '7.3-rc7': L('DATA_VALIDATE', [], 'riscv_ext_f_validate') } });
row('d', { requires: [['f']], linuxId: 3, kvm: kvm(2, 'always', 'always'), hwprobe: hw(4, 0, 'fpu'), linux: { '6.12.107': L('DATA'),
    '7.3-rc7': L('DATA_VALIDATE', [], 'riscv_ext_d_validate') } });
row('q', { requires: [['d']], linuxId: 16, linux: both(L('DATA')) });
row('c', {
  // C is Zca, plus Zcd with D, plus Zcf with F on RV32 (Linux implies all three, then validates).
  implies: ['zca'], impliesIf: [{ name: 'zcd', with: ['d'] }, { name: 'zcf', with: ['f'], xlen: 32 }], linuxId: 2, kvm: kvm(1, 'always', 'never'), hwprobe: hw(4, 1, 'c'), linux: both(L('SUPERSET', ['zca', 'zcf', 'zcd'])) });
row('v', { requires: [['d']], linuxId: 21, kvm: kvm(15, 'host-user-vector', 'always'), hwprobe: hw(4, 2, 'vector-v'), linux: { '6.12.107': L('SUPERSET', ['zve64d', 'zve64f', 'zve64x', 'zve32f', 'zve32x']),
    '7.3-rc7': L('SUPERSET_VALIDATE', ['zve64d', 'zve64f', 'zve64x', 'zve32f', 'zve32x'], 'riscv_ext_vector_float_validate') } });
row('h', { linuxId: 7, kvm: kvm(4, 'never', 'always'), linux: both(L('DATA')) });
// The Sha profile's components (RVA23S64's hypervisor, beside H): properties of rvkvm's H that Linux does not list.
row('shcounterenw', { requires: [['h']], guarantee: 'every bit of hcounteren is writable (as scounteren, Sscounterenw)', linux: {} });
row('shgatpa', { requires: [['h']], guarantee: 'hgatp offers Bare and the x4 mode (Sv39x4/Sv48x4/Sv57x4) of every mode satp offers, with 14 VMID bits', linux: {} });
row('shtvala', { requires: [['h']], guarantee: 'htval holds the guest physical address >> 2 of every guest-page fault (mtval2 in M-mode)', linux: {} });
row('shvsatpa', { requires: [['h']], guarantee: 'vsatp offers every translation mode satp offers', linux: {} });
row('shvstvala', { requires: [['h']], guarantee: 'vstval is written for every trap taken into VS-mode as stval is under Sstvala', linux: {} });
row('shvstvecd', { requires: [['h']], guarantee: 'vstvec.MODE holds 0 (Direct) with any 4-byte-aligned BASE', linux: {} });
row('ssstateen', { requires: [['h']], guarantee: 'hstateen0-3 and sstateen0-3 exist: SE0/SE (bit 63) gates sstateenN from VS and ENVCFG (bit 62) gates senvcfg from VS (virtual-instruction exception); every other state-enable bit guards state rvkvm lacks and is read-only zero', linux: {} });
row('zicbom', { linuxId: 31, kvm: kvm(11, 'always', 'always'), hwprobe: hw(4, 55, { '7.3-rc7': 'always' }), linux: both(L('SUPERSET_VALIDATE', ['xlinuxenvcfg'], 'riscv_ext_zicbom_validate')) });
row('zicbop', { linuxId: 99, kvm: kvm(71, 'always', 'never', '7.2.13'), hwprobe: hw(4, 60, { '7.3-rc7': 'always' }), linux: { '7.3-rc7': L('DATA_VALIDATE', [], 'riscv_ext_zicbop_validate') } });
row('zicboz', { linuxId: 34, kvm: kvm(12, 'always', 'always'), hwprobe: hw(4, 6, 'always'), linux: both(L('SUPERSET_VALIDATE', ['xlinuxenvcfg'], 'riscv_ext_zicboz_validate')) });
row('ziccamoa', { guarantee: 'every AMO (and LR/SC) works on all of guest RAM', linuxId: 113, hwprobe: hw(16, 2, { '7.3-rc7': 'always' }), linux: { '7.3-rc7': L('DATA') } });
row('ziccif', { guarantee: 'instruction fetches from RAM are atomic per naturally aligned 16/32-bit parcel (a vCPU runs one instruction at a time, and stores to decoded code drop it)', linuxId: 114, hwprobe: hw(16, 3, { '7.3-rc7': 'always' }), linux: { '7.3-rc7': L('DATA') } });
row('zicclsm', { guarantee: 'misaligned loads and stores to RAM complete (emulated in the hart; they never trap)', linuxId: 112, hwprobe: hw(16, 1, { '7.3-rc7': 'always' }), linux: { '7.3-rc7': L('DATA') } });
row('ziccrse', { guarantee: 'LR/SC on RAM succeeds eventually: a reservation is lost only to a store to the reserved address, an SC or a trap', linuxId: 91, kvm: kvm(68, 'always', 'never', '7.2.13'), hwprobe: hw(16, 4, { '7.3-rc7': 'always' }), linux: { '7.3-rc7': L('DATA') } });
row('zicfilp', { linuxId: 104, kvm: kvm(78, 'always', 'always', '7.3-rc7'), hwprobe: hw(4, 63, { '7.3-rc7': 'always' }), linux: { '7.3-rc7': L('SUPERSET_VALIDATE', ['xlinuxenvcfg'], 'riscv_cfilp_validate') } });
row('zicfiss', { requires: [['zimop']], linuxId: 105, kvm: kvm(79, 'always', 'always', '7.3-rc7'), hwprobe: hw(16, 0, { '7.3-rc7': 'always' }), linux: { '7.3-rc7': L('SUPERSET_VALIDATE', ['xlinuxenvcfg'], 'riscv_cfiss_validate') } });
row('zicntr', { requires: [['zicsr']], linuxId: 39, kvm: kvm(19, 'always', 'never'), hwprobe: hw(4, 50, { '7.3-rc7': 'always' }), linux: both(L('DATA')) });
row('zicond', { linuxId: 44, kvm: kvm(24, 'always', 'never'), hwprobe: hw(4, 35, 'always'), linux: both(L('DATA')) });
row('zicsr', { linuxId: 40, kvm: kvm(20, 'always', 'never'), linux: both(L('DATA')) });
row('zifencei', { linuxId: 41, kvm: kvm(21, 'always', 'never'), linux: both(L('DATA')) });
row('zihintntl', { linuxId: 68, kvm: kvm(48, 'always', 'never'), hwprobe: hw(4, 29, 'always'), linux: both(L('DATA')) });
row('zihintpause', { linuxId: 32, kvm: kvm(10, 'always', 'never'), hwprobe: hw(4, 36, 'always'), linux: both(L('DATA')) });
row('zihpm', { requires: [['zicsr']], linuxId: 42, kvm: kvm(22, 'always', 'never'), hwprobe: hw(4, 51, { '7.3-rc7': 'always' }), linux: both(L('DATA')) });
row('zic64b', { guarantee: "cache blocks are 64 bytes, naturally aligned (the device tree's riscv,cbo*-block-size)", linux: {} });
row('zimop', { linuxId: 79, kvm: kvm(55, 'always', 'never'), hwprobe: hw(4, 42, 'always'), linux: both(L('DATA')) });
row('za64rs', { guarantee: 'the reservation set is the reserved naturally aligned doubleword (at most 64 bytes)', linuxId: 115, hwprobe: hw(16, 5, { '7.3-rc7': 'always' }), linux: { '7.3-rc7': L('DATA') } });
row('za128rs', { guarantee: 'the reservation set is the reserved naturally aligned doubleword (at most 128 bytes)', linux: {} });
row('zaamo', { linuxId: 97, kvm: kvm(69, 'always', 'never', '7.2.13'), hwprobe: hw(4, 56, { '7.3-rc7': 'always' }), linux: { '7.3-rc7': L('DATA') } });
row('zabha', { requires: [['zaamo', 'a']], linuxId: 90, kvm: kvm(67, 'always', 'never', '7.2.13'), hwprobe: hw(4, 58, { '7.3-rc7': 'always' }), linux: { '7.3-rc7': L('DATA') } });
row('zacas', { requires: [['zaamo', 'a']], linuxId: 73, kvm: kvm(53, 'always', 'never'), hwprobe: hw(4, 34, 'always'), linux: both(L('DATA')) });
row('zalasr', { linuxId: 101, kvm: kvm(77, 'always', 'never', '7.2.13'), hwprobe: hw(4, 59, { '7.3-rc7': 'always' }), linux: { '7.3-rc7': L('DATA') } });
row('zalrsc', { linuxId: 98, kvm: kvm(70, 'always', 'never', '7.2.13'), hwprobe: hw(4, 57, { '7.3-rc7': 'always' }), linux: { '7.3-rc7': L('DATA') } });
row('zawrs', { requires: [['zalrsc', 'a']], linuxId: 85, kvm: kvm(61, 'always', 'never'), hwprobe: hw(4, 48, 'always'), linux: both(L('DATA')) });
row('zfa', { requires: [['f']], linuxId: 71, kvm: kvm(51, 'always', 'never'), hwprobe: hw(4, 32, { '6.12.107': 'fpu', '7.3-rc7': 'always' }), linux: { '6.12.107': L('DATA'),
    '7.3-rc7': L('DATA_VALIDATE', [], 'riscv_ext_f_depends') } });
row('zfbfmin', { requires: [['f']], linuxId: 94, kvm: kvm(72, 'always', 'never', '7.2.13'), hwprobe: hw(4, 52, { '7.3-rc7': 'always' }), linux: { '7.3-rc7': L('DATA_VALIDATE', [], 'riscv_ext_f_depends') } });
row('zfh', { requires: [['f']], linuxId: 66, kvm: kvm(46, 'always', 'never'), hwprobe: hw(4, 27, { '6.12.107': 'fpu', '7.3-rc7': 'always' }), linux: { '6.12.107': L('DATA'),
    '7.3-rc7': L('SUPERSET_VALIDATE', ['zfhmin'], 'riscv_ext_f_depends') } });
row('zfhmin', { requires: [['f']], linuxId: 67, kvm: kvm(47, 'always', 'never'), hwprobe: hw(4, 28, { '6.12.107': 'fpu', '7.3-rc7': 'always' }), linux: { '6.12.107': L('DATA'),
    '7.3-rc7': L('DATA_VALIDATE', [], 'riscv_ext_f_depends') } });
row('zca', { linuxId: 80, kvm: kvm(56, 'always', 'never'), hwprobe: hw(4, 43, 'always'), linux: both(L('DATA')) });
row('zcb', { requires: [['zca']], linuxId: 81, kvm: kvm(57, 'always', 'never'), hwprobe: hw(4, 44, 'always'), linux: both(L('DATA_VALIDATE', [], 'riscv_ext_zca_depends')) });
row('zcd', { requires: [['zca'], ['d']], linuxId: 82, kvm: kvm(58, 'always', 'never'), hwprobe: hw(4, 45, { '6.12.107': 'fpu', '7.3-rc7': 'always' }), linux: both(L('DATA_VALIDATE', [], 'riscv_ext_zcd_validate')) });
row('zcf', { requires: [['zca'], ['f']], rv32Only: true, linuxId: 83, kvm: kvm(59, 'always', 'never'), hwprobe: hw(4, 46, { '6.12.107': 'fpu', '7.3-rc7': 'always' }), linux: both(L('DATA_VALIDATE', [], 'riscv_ext_zcf_validate')) });
row('zcmop', { requires: [['zca']], linuxId: 84, kvm: kvm(60, 'always', 'never'), hwprobe: hw(4, 47, 'always'), linux: both(L('DATA_VALIDATE', [], 'riscv_ext_zca_depends')) });
row('zclsd', { requires: [['zilsd'], ['zca']], rv32Only: true, linuxId: 103, kvm: kvm(75, 'always', 'always', '7.2.13'), hwprobe: hw(4, 62, { '7.3-rc7': 'always' }), linux: { '7.3-rc7': L('DATA_VALIDATE', [], 'riscv_ext_zclsd_validate') } });
row('zilsd', { rv32Only: true, linuxId: 102, kvm: kvm(76, 'always', 'always', '7.2.13'), hwprobe: hw(4, 61, { '7.3-rc7': 'always' }), linux: { '7.3-rc7': L('DATA_VALIDATE', [], 'riscv_ext_zilsd_validate') } });
row('zba', { linuxId: 37, kvm: kvm(17, 'always', 'never'), hwprobe: hw(4, 3, 'always'), linux: both(L('DATA')) });
row('zbb', { linuxId: 30, kvm: kvm(13, 'always', 'never'), hwprobe: hw(4, 4, 'always'), linux: both(L('DATA')) });
row('zbc', { linuxId: 45, kvm: kvm(25, 'always', 'never'), hwprobe: hw(4, 7, 'always'), linux: both(L('DATA')) });
row('zbkb', { linuxId: 46, kvm: kvm(26, 'always', 'never'), hwprobe: hw(4, 8, 'always'), linux: both(L('DATA')) });
row('zbkc', { linuxId: 47, kvm: kvm(27, 'always', 'never'), hwprobe: hw(4, 9, 'always'), linux: both(L('DATA')) });
row('zbkx', { linuxId: 48, kvm: kvm(28, 'always', 'never'), hwprobe: hw(4, 10, 'always'), linux: both(L('DATA')) });
row('zbs', { linuxId: 38, kvm: kvm(18, 'always', 'never'), hwprobe: hw(4, 5, 'always'), linux: both(L('DATA')) });
row('zk', { linux: { '6.12.107': L('BUNDLE', ['zbkb', 'zbkc', 'zbkx', 'zknd', 'zkne', 'zkr', 'zkt']),
    '7.3-rc7': L('BUNDLE', ['zbkb', 'zbkc', 'zbkx', 'zknd', 'zkne', 'zknh', 'zkr', 'zkt']) } });
row('zkn', { linux: both(L('BUNDLE', ['zbkb', 'zbkc', 'zbkx', 'zknd', 'zkne', 'zknh'])) });
row('zknd', { linuxId: 49, kvm: kvm(29, 'always', 'never'), hwprobe: hw(4, 11, 'always'), linux: both(L('DATA')) });
row('zkne', { linuxId: 50, kvm: kvm(30, 'always', 'never'), hwprobe: hw(4, 12, 'always'), linux: both(L('DATA')) });
row('zknh', { linuxId: 51, kvm: kvm(31, 'always', 'never'), hwprobe: hw(4, 13, 'always'), linux: both(L('DATA')) });
row('zkr', { linuxId: 52, kvm: kvm(32, 'always', 'never'), linux: both(L('DATA')) });
row('zks', { linux: both(L('BUNDLE', ['zbkb', 'zbkc', 'zksed', 'zksh'])) });
row('zkt', { guarantee: 'listed so that software requiring it (RVA22/RVA23) runs, but data-independent latency is a ' +
  "promise about hardware an emulator cannot keep: a guest instruction's time depends on the host CPU, its JavaScript " +
  "and WebAssembly compilers, rvkvm's decode caches and TLBs, and some of rvkvm's code branches on operand values " +
  '(shift amounts, carry-less multiply bits). What holds: the instructions Zkt lists read no operand-indexed table or ' +
  'memory in rvkvm (no data-dependent access pattern), and mulh/mulhsu/mulhu take no branch on operand signs', linuxId: 55, kvm: kvm(35, 'always', 'never'), hwprobe: hw(4, 16, 'always'), linux: both(L('DATA')) });
row('zksed', { linuxId: 53, kvm: kvm(33, 'always', 'never'), hwprobe: hw(4, 14, 'always'), linux: both(L('DATA')) });
row('zksh', { linuxId: 54, kvm: kvm(34, 'always', 'never'), hwprobe: hw(4, 15, 'always'), linux: both(L('DATA')) });
row('ztso', { linuxId: 72, kvm: kvm(52, 'always', 'never'), hwprobe: hw(4, 33, 'always'), linux: both(L('DATA')) });
row('zvbb', { requires: [['zve32x']], linuxId: 56, kvm: kvm(36, 'always', 'never'), hwprobe: hw(4, 17, 'vector'), linux: { '6.12.107': L('SUPERSET', ['zvkb']),
    '7.3-rc7': L('SUPERSET_VALIDATE', ['zvkb'], 'riscv_ext_vector_crypto_validate') } });
row('zvbc', { requires: [['zve64x']], linuxId: 57, kvm: kvm(37, 'always', 'never'), hwprobe: hw(4, 18, 'vector'), linux: { '6.12.107': L('DATA'),
    '7.3-rc7': L('DATA_VALIDATE', [], 'riscv_ext_vector_crypto_validate') } });
row('zve32f', { requires: [['f']], linuxId: 75, hwprobe: hw(4, 38, 'vector'), linux: { '6.12.107': L('SUPERSET', ['zve32x']),
    '7.3-rc7': L('SUPERSET_VALIDATE', ['zve32x'], 'riscv_ext_vector_float_validate') } });
row('zve32x', { requires: [['zicsr']], linuxId: 74, hwprobe: hw(4, 37, 'vector'), linux: { '6.12.107': L('DATA'),
    '7.3-rc7': L('DATA_VALIDATE', [], 'riscv_ext_vector_x_validate') } });
row('zve64d', { requires: [['d']], linuxId: 78, hwprobe: hw(4, 41, 'vector'), linux: { '6.12.107': L('SUPERSET', ['zve64f', 'zve64x', 'zve32f', 'zve32x']),
    '7.3-rc7': L('SUPERSET_VALIDATE', ['zve64f', 'zve64x', 'zve32f', 'zve32x'], 'riscv_ext_vector_float_validate') } });
row('zve64f', { requires: [['f']], linuxId: 77, hwprobe: hw(4, 40, 'vector'), linux: { '6.12.107': L('SUPERSET', ['zve64x', 'zve32f', 'zve32x']),
    '7.3-rc7': L('SUPERSET_VALIDATE', ['zve64x', 'zve32f', 'zve32x'], 'riscv_ext_vector_float_validate') } });
row('zve64x', { requires: [['zicsr']], linuxId: 76, hwprobe: hw(4, 39, 'vector'), linux: { '6.12.107': L('SUPERSET', ['zve32x', 'zve64x']),
    '7.3-rc7': L('SUPERSET_VALIDATE', ['zve32x', 'zve64x'], 'riscv_ext_vector_x_validate') } });
row('zvfbfmin', { requires: [['zve32f']], linuxId: 95, kvm: kvm(73, 'always', 'never', '7.2.13'), hwprobe: hw(4, 53, { '7.3-rc7': 'vector' }), linux: { '7.3-rc7': L('DATA_VALIDATE', [], 'riscv_vector_f_validate') } });
row('zvfbfwma', { requires: [['zvfbfmin'], ['zfbfmin']], linuxId: 96, kvm: kvm(74, 'always', 'never', '7.2.13'), hwprobe: hw(4, 54, { '7.3-rc7': 'vector' }), linux: { '7.3-rc7': L('DATA_VALIDATE', [], 'riscv_ext_zvfbfwma_validate') } });
row('zvfh', { requires: [['zve32f'], ['zfhmin']], linuxId: 69, kvm: kvm(49, 'always', 'never'), hwprobe: hw(4, 30, 'vector'), linux: { '6.12.107': L('DATA'),
    '7.3-rc7': L('SUPERSET_VALIDATE', ['zvfhmin'], 'riscv_ext_vector_float_validate') } });
row('zvfhmin', { requires: [['zve32f']], linuxId: 70, kvm: kvm(50, 'always', 'never'), hwprobe: hw(4, 31, 'vector'), linux: both(L('DATA')) });
row('zvkb', { requires: [['zve32x']], linuxId: 58, kvm: kvm(38, 'always', 'never'), hwprobe: hw(4, 19, 'vector'), linux: { '6.12.107': L('DATA'),
    '7.3-rc7': L('DATA_VALIDATE', [], 'riscv_ext_vector_crypto_validate') } });
row('zvkg', { requires: [['zve32x']], linuxId: 59, kvm: kvm(39, 'always', 'never'), hwprobe: hw(4, 20, 'vector'), linux: { '6.12.107': L('DATA'),
    '7.3-rc7': L('DATA_VALIDATE', [], 'riscv_ext_vector_crypto_validate') } });
row('zvkn', { linux: { '6.12.107': L('BUNDLE', ['zvkned', 'zvknhb', 'zvkb', 'zvkt']),
    '7.3-rc7': L('BUNDLE_VALIDATE', ['zvkned', 'zvknhb', 'zvkb', 'zvkt'], 'riscv_ext_vector_crypto_validate') } });
row('zvknc', { linux: { '6.12.107': L('BUNDLE', ['zvkned', 'zvknhb', 'zvkb', 'zvkt', 'zvbc']),
    '7.3-rc7': L('BUNDLE_VALIDATE', ['zvkned', 'zvknhb', 'zvkb', 'zvkt', 'zvbc'], 'riscv_ext_vector_crypto_validate') } });
row('zvkned', { requires: [['zve32x']], linuxId: 60, kvm: kvm(40, 'always', 'never'), hwprobe: hw(4, 21, 'vector'), linux: { '6.12.107': L('DATA'),
    '7.3-rc7': L('DATA_VALIDATE', [], 'riscv_ext_vector_crypto_validate') } });
row('zvkng', { linux: { '6.12.107': L('BUNDLE', ['zvkned', 'zvknhb', 'zvkb', 'zvkt', 'zvkg']),
    '7.3-rc7': L('BUNDLE_VALIDATE', ['zvkned', 'zvknhb', 'zvkb', 'zvkt', 'zvkg'], 'riscv_ext_vector_crypto_validate') } });
row('zvknha', { requires: [['zve32x']], linuxId: 61, kvm: kvm(41, 'always', 'never'), hwprobe: hw(4, 22, 'vector'), linux: { '6.12.107': L('DATA'),
    '7.3-rc7': L('DATA_VALIDATE', [], 'riscv_ext_vector_crypto_validate') } });
row('zvknhb', { requires: [['zve64x']], linuxId: 62, kvm: kvm(42, 'always', 'never'), hwprobe: hw(4, 23, 'vector'), linux: { '6.12.107': L('DATA'),
    '7.3-rc7': L('DATA_VALIDATE', [], 'riscv_ext_vector_crypto_validate') } });
row('zvks', { linux: { '6.12.107': L('BUNDLE', ['zvksed', 'zvksh', 'zvkb', 'zvkt']),
    '7.3-rc7': L('BUNDLE_VALIDATE', ['zvksed', 'zvksh', 'zvkb', 'zvkt'], 'riscv_ext_vector_crypto_validate') } });
row('zvksc', { linux: { '6.12.107': L('BUNDLE', ['zvksed', 'zvksh', 'zvkb', 'zvkt', 'zvbc']),
    '7.3-rc7': L('BUNDLE_VALIDATE', ['zvksed', 'zvksh', 'zvkb', 'zvkt', 'zvbc'], 'riscv_ext_vector_crypto_validate') } });
row('zvksed', { requires: [['zve32x']], linuxId: 63, kvm: kvm(43, 'always', 'never'), hwprobe: hw(4, 24, 'vector'), linux: { '6.12.107': L('DATA'),
    '7.3-rc7': L('DATA_VALIDATE', [], 'riscv_ext_vector_crypto_validate') } });
row('zvksh', { requires: [['zve32x']], linuxId: 64, kvm: kvm(44, 'always', 'never'), hwprobe: hw(4, 25, 'vector'), linux: { '6.12.107': L('DATA'),
    '7.3-rc7': L('DATA_VALIDATE', [], 'riscv_ext_vector_crypto_validate') } });
row('zvksg', { linux: { '6.12.107': L('BUNDLE', ['zvksed', 'zvksh', 'zvkb', 'zvkt', 'zvkg']),
    '7.3-rc7': L('BUNDLE_VALIDATE', ['zvksed', 'zvksh', 'zvkb', 'zvkt', 'zvkg'], 'riscv_ext_vector_crypto_validate') } });
row('zvkt', { requires: [['zve32x']], guarantee: 'the instructions Zvkt lists retire as one instruction each whatever their element values, with guest-visible control flow and accesses that depend only on vl, vtype and register numbers (cycle, instret and --clock icount time cannot tell data apart); no claim against an observer of the host', linuxId: 65, kvm: kvm(45, 'always', 'never'), hwprobe: hw(4, 26, 'vector'), linux: { '6.12.107': L('DATA'),
    '7.3-rc7': L('DATA_VALIDATE', [], 'riscv_ext_vector_crypto_validate') } });
row('smaia', { linuxId: 35, linux: both(L('DATA')) });
row('smcdeleg', { requires: [['sscsrind'], ['zihpm'], ['zicntr']], linuxId: 110, linux: { '7.3-rc7': L('DATA_VALIDATE', [], 'riscv_ext_smcdeleg_validate') } });
row('smcntrpmf', { linuxId: 108, linux: { '7.3-rc7': L('DATA') } });
row('smcsrind', { linuxId: 107, linux: { '7.3-rc7': L('DATA') } });
row('smmpm', { linuxId: 87, linux: { '7.3-rc7': L('DATA') } });
row('smnpm', { linuxId: 88, kvm: kvm(62, 'always', 'always', '7.2.13'), linux: { '7.3-rc7': L('SUPERSET', ['xlinuxenvcfg']) } });
row('smstateen', { linuxId: 43, kvm: kvm(23, 'always', 'always'), linux: both(L('DATA')) });
row('ssaia', { linuxId: 36, kvm: kvm(14, 'always', 'host-smstateen'), linux: both(L('DATA')) });
row('ssccfg', { requires: [['smcdeleg']], linuxId: 109, linux: { '7.3-rc7': L('DATA_VALIDATE', [], 'riscv_ext_ssccfg_validate') } });
row('sscofpmf', { linuxId: 26, kvm: kvm(54, 'host-ssaia', 'never'), linux: both(L('DATA')) });
row('sscsrind', { linuxId: 106, linux: { '7.3-rc7': L('DATA') } });
row('supm', { guarantee: 'user-mode pointer masking: senvcfg.PMM (Ssnpm) offers PMLEN 0, 7 and 16 to U-mode; a Linux guest enables it per process with PR_SET_TAGGED_ADDR_CTRL (Linux 6.13 and later)', linux: {} });
row('ssnpm', { linuxId: 89, kvm: kvm(63, 'always', 'never', '7.2.13'), hwprobe: hw(4, 49, { '7.3-rc7': 'supm' }), linux: { '7.3-rc7': L('SUPERSET', ['xlinuxenvcfg']) } });
row('ssqosid', { linuxId: 111, linux: { '7.3-rc7': L('DATA') } });
row('ssccptr', { guarantee: 'the page-table walker reads page tables from any of guest RAM', linux: {} });
row('sscounterenw', { guarantee: 'every bit of scounteren is writable', linux: {} });
row('sstvala', { guarantee: 'stval holds the faulting virtual address of every access, fetch and breakpoint fault and the instruction bits of an illegal instruction', linux: {} });
row('sstvecd', { guarantee: 'stvec.MODE holds 0 (Direct) with any 4-byte-aligned BASE', linux: {} });
row('ssu64xl', { guarantee: 'sstatus.UXL is 2 (U-mode XLEN 64; read-only)', linux: {} });
row('sstc', { linuxId: 27, kvm: kvm(8, 'always', 'never'), linux: both(L('DATA')) });
row('svade', { guarantee: 'without Svadu enabled (menvcfg.ADUE = 0), an access to a page whose A bit (or a store whose D bit) is clear raises a page fault', linuxId: 92, kvm: kvm(64, 'always', 'host-svadu', '7.2.13'), linux: { '7.3-rc7': L('DATA') } });
row('svadu', { linuxId: 93, kvm: kvm(65, 'host-svadu', 'always', '7.2.13'), linux: { '7.3-rc7': L('DATA_VALIDATE', [], 'riscv_ext_svadu_validate') } });
row('sv39', { guarantee: 'satp MODE 8 (Sv39) translates', linux: {} });
row('sv48', { guarantee: 'satp MODE 9 (Sv48) translates', linux: {} });
row('sv57', { guarantee: 'satp MODE 10 (Sv57) translates', linux: {} });
row('svbare', { guarantee: 'satp MODE 0 (Bare) is supported', linux: {} });
row('svinval', { linuxId: 28, kvm: kvm(9, 'always', 'never'), linux: both(L('DATA')) });
row('svnapot', { linuxId: 33, kvm: kvm(16, 'always', 'never'), linux: both(L('DATA')) });
row('svpbmt', { linuxId: 29, kvm: kvm(7, 'always', 'always'), linux: both(L('DATA')) });
row('svrsw60t59b', { linuxId: 100, linux: { '7.3-rc7': L('DATA') } });
row('svvptc', { linuxId: 86, kvm: kvm(66, 'always', 'never', '7.2.13'), linux: both(L('DATA')) });
// Shorthands Linux does not know (it ignores "g" and "b" in riscv,isa).
row('g', { implies: ['i', 'm', 'a', 'f', 'd', 'zicsr', 'zifencei'], linux: {} });
row('b', { implies: ['zba', 'zbb', 'zbs'], linux: {} });

// Canonical single-letter order (unprivileged spec naming chapter; Linux uses the same). 'g' stands in the
// base position, so it sorts first.
const SINGLE_LETTER_ORDER = 'gimafdqlcbkjtpvh';

function build(): Extension[] {
  const rows = drafts.map(({ name, facts }, tableIndex): Extension => {
    const singleLetter = name.length === 1;
    const newest = facts.linux['7.3-rc7'] ?? facts.linux['6.12.107'];
    const implies = facts.implies ?? (newest ? newest.implies.filter((n) => n !== name && !LINUX_INTERNAL.has(n)) : []);
    const shorthand = facts.linuxId === undefined && facts.guarantee === undefined;
    const letterIndex = SINGLE_LETTER_ORDER.indexOf(name);
    if (singleLetter && letterIndex < 0) throw new Error(`catalogue: single letter '${name}' has no canonical position`);
    return {
      name,
      singleLetter,
      order: singleLetter ? letterIndex : SINGLE_LETTER_ORDER.length + tableIndex,
      shorthand,
      linuxId: facts.linuxId ?? null,
      kvm: facts.kvm ?? null,
      hwprobe: facts.hwprobe ?? null,
      linux: facts.linux,
      implies,
      impliesIf: facts.impliesIf ?? [],
      requires: facts.requires ?? [],
      rv32Only: facts.rv32Only ?? false,
      implemented: shorthand ? implies.every((n) => IMPLEMENTED_EXTENSIONS.has(n)) : IMPLEMENTED_EXTENSIONS.has(name),
      guarantee: facts.guarantee ?? null,
    };
  });
  rows.sort((x, y) => x.order - y.order);
  const names = new Set(rows.map((r) => r.name));
  for (const r of rows) {
    const refs = [...r.implies, ...r.impliesIf.flatMap((c) => [c.name, ...c.with]), ...r.requires.flat()];
    for (const n of refs) if (!names.has(n)) throw new Error(`catalogue: row '${r.name}' refers to unknown '${n}'`);
  }
  for (const n of IMPLEMENTED_EXTENSIONS) if (!names.has(n)) throw new Error(`catalogue: implemented '${n}' has no row`);
  return rows;
}

/** Every row, in canonical order. */
export const CATALOGUE: readonly Extension[] = build();

const byName = new Map(CATALOGUE.map((r) => [r.name, r]));
const byKvmId = new Map(CATALOGUE.filter((r) => r.kvm).map((r) => [r.kvm!.id, r]));
const byLinuxId = new Map(CATALOGUE.filter((r) => r.linuxId !== null).map((r) => [r.linuxId!, r]));

/** The row for a canonical (lower-case) name, or undefined. */
export function extensionByName(name: string): Extension | undefined {
  return byName.get(name);
}
/** The row for a KVM_RISCV_ISA_EXT_* id, or undefined. */
export function extensionByKvmId(id: number): Extension | undefined {
  return byKvmId.get(id);
}
/** The row for a Linux-internal RISCV_ISA_EXT_* id, or undefined. */
export function extensionByLinuxId(id: number): Extension | undefined {
  return byLinuxId.get(id);
}
/** Whether KVM of that version has an ISA_EXT id for the row. */
export function kvmHas(ext: Extension, version: KvmVersion): boolean {
  return ext.kvm !== null && KVM_VERSIONS.indexOf(ext.kvm.since) <= KVM_VERSIONS.indexOf(version);
}
/** Rows in canonical order restricted to the given names (unknown names are left out). */
export function inCanonicalOrder(names: Iterable<string>): Extension[] {
  const set = new Set(names);
  return CATALOGUE.filter((r) => set.has(r.name));
}
