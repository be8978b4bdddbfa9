// KVM's view of the ISA catalogue: which KVM_RISCV_ISA_EXT_* ids exist for an ABI, whether user space may
// enable/disable them on a given host, and how a vCPU's enabled set becomes the hart's executed ISA.
// Every extension fact comes from src/isa's catalogue; this file only adds KVM's evaluation of the rules.
import { CATALOGUE, expandExtensions, extensionByKvmId, type Extension, type KvmRule } from '../isa/index.js';
import { abiProfile, type KvmAbi } from './abi.js';

/** The "hardware" the vCPUs run on, as KVM's rules see it. */
export interface HostFeatures {
  has(name: string): boolean;
}

export interface KvmIsaExt {
  readonly kvmId: number;
  readonly name: string;
  /** KVM_RISCV_ISA_EXT_<symbol>. */
  readonly symbol: string;
  /** Linux-internal RISCV_ISA_EXT_* id: the vCPU ISA bitmap position (0..25 = single letters). */
  readonly hostBit: number;
  /** Name tested for "does the host have it" (differs from name only for SMNPM in 7.x). */
  readonly hostCheck: string;
  readonly row: Extension;
}

// KVM's host-feature conditions, named as the catalogue names them.
const RULE_TEST: Readonly<Record<KvmRule, (host: HostFeatures) => boolean>> = {
  always: () => true,
  never: () => false,
  'host-ssaia': (h) => h.has('ssaia'),
  'host-smstateen': (h) => h.has('smstateen'),
  'host-svadu': (h) => h.has('svadu'),
  // riscv_v_vstate_ctrl_user_allowed(): the host runs user vector code only if it has V
  'host-user-vector': (h) => h.has('v'),
};

/** v7.x tests host SSNPM for KVM_RISCV_ISA_EXT_SMNPM (kvm-isa-ext-rules.md section 1). */
const HOST_CHECK_ALIAS: Readonly<Record<KvmAbi, Readonly<Record<string, string>>>> = {
  '6.12': {},
  '7.3': { smnpm: 'ssnpm' },
};

const tables = new Map<KvmAbi, readonly (KvmIsaExt | undefined)[]>();

/** Index = KVM id, length = KVM_RISCV_ISA_EXT_MAX of the ABI; undefined where the catalogue has no row. */
export function kvmIsaTable(abi: KvmAbi): readonly (KvmIsaExt | undefined)[] {
  let t = tables.get(abi);
  if (!t) {
    const max = abiProfile(abi).isaExtMax;
    const rows: (KvmIsaExt | undefined)[] = [];
    for (let id = 0; id < max; id++) {
      const row = extensionByKvmId(id);
      rows.push(row && row.linuxId !== null ? {
        kvmId: id,
        name: row.name,
        symbol: row.name.toUpperCase(),
        hostBit: row.linuxId,
        hostCheck: HOST_CHECK_ALIAS[abi][row.name] ?? row.name,
        row,
      } : undefined);
    }
    t = rows;
    tables.set(abi, t);
  }
  return t;
}

export function kvmIsaExt(abi: KvmAbi, kvmId: number): KvmIsaExt | undefined {
  return kvmId >= 0 && Number.isInteger(kvmId) ? kvmIsaTable(abi)[kvmId] : undefined;
}

export function hostHasKvmExt(ext: KvmIsaExt, host: HostFeatures): boolean {
  return host.has(ext.hostCheck);
}

export function enableAllowed(ext: KvmIsaExt, host: HostFeatures): boolean {
  return RULE_TEST[ext.row.kvm!.enable](host);
}

/** allowDisableAny is rvkvm's documented per-VM opt-in past Linux's rules (e.g. to take Zcmop away). */
export function disableAllowed(ext: KvmIsaExt, host: HostFeatures, allowDisableAny: boolean): boolean {
  return allowDisableAny || RULE_TEST[ext.row.kvm!.disable](host);
}

/** The vCPU ISA word's single-letter part: KVM ids whose host bit is a letter (0..25 = 'a'..'z'). */
export function kvmExtForLetterBit(abi: KvmAbi, bit: number): KvmIsaExt | undefined {
  return kvmIsaTable(abi).find((e) => e?.hostBit === bit);
}

/**
 * The hart's executed ISA for a vCPU: every enabled extension with what it implies (c -> zca, +zcd with d),
 * plus what the host executes but this ABI has no KVM id for (real hardware cannot hide those either).
 */
export function hartIsaFor(abi: KvmAbi, enabled: Iterable<string>, host: HostFeatures): ReadonlySet<string> {
  const names = new Set(enabled);
  const table = kvmIsaTable(abi);
  for (const row of CATALOGUE) {
    if (row.shorthand || !host.has(row.name)) continue;
    const id = row.kvm?.id;
    if (id === undefined || id >= table.length) names.add(row.name);
  }
  return expandExtensions(names, 64);
}
