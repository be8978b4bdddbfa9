// Symbolic names of ONE_REG ids in the style Linux's KVM selftest get-reg-list prints them, e.g.
//   KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_SINGLE | KVM_RISCV_ISA_EXT_ZCMOP
import { ABI_PROFILES, CORE_FIELDS, FWFT_REG_PARTS, KVM_SBI_EXT_NAMES, STA_FIELDS, TIMER_FIELDS, VECTOR_CSR_FIELDS, type KvmAbi } from './abi.js';
import { kvmIsaExt } from './isa-rules.js';
import { decodeRegId, RegSize, RegType } from './reg-id.js';

const SIZE_NAMES = Object.fromEntries(Object.entries(RegSize).map(([k, v]) => [v, `KVM_REG_SIZE_${k}`])) as Record<number, string>;
const TYPE_NAMES = Object.fromEntries(Object.entries(RegType).map(([k, v]) => [v, `KVM_REG_RISCV_${k}`])) as Record<number, string>;
const MULTI_SUBTYPES = ['SINGLE', 'MULTI_EN', 'MULTI_DIS'];

/** Decodes a RISC-V ONE_REG id to its symbolic form. Unknown parts are printed as numbers, never guessed. */
export function regIdName(id: bigint, abi: KvmAbi = '7.3'): string {
  const r = decodeRegId(id);
  const p = ABI_PROFILES[abi];
  const parts = ['KVM_REG_RISCV', SIZE_NAMES[r.sizeField] ?? `size field ${r.sizeField}`];
  const typeName = TYPE_NAMES[r.type];
  if (!typeName) return [...parts, `type ${r.type}`, `0x${(id & 0xffffffn).toString(16)}`].join(' | ');
  parts.push(typeName);
  const flat = r.subtype * 0x10000 + r.index;
  const field = (macro: string, names: readonly (string | undefined)[], i: number): string =>
    names[i] !== undefined ? `${macro}(${names[i]})` : String(i);
  switch (r.type) {
    case RegType.CONFIG: parts.push(field('KVM_REG_RISCV_CONFIG_REG', ABI_PROFILES['7.3'].configFields, flat)); break;
    case RegType.CORE: parts.push(field('KVM_REG_RISCV_CORE_REG', CORE_FIELDS, flat)); break;
    case RegType.CSR: {
      const sub = ABI_PROFILES['7.3'].csrSubtypes.find((s) => s.subtype === r.subtype);
      if (!sub) { parts.push(`subtype ${r.subtype}`, String(r.index)); break; }
      parts.push(`KVM_REG_RISCV_CSR_${sub.name}`);
      parts.push(field(sub.name === 'GENERAL' ? 'KVM_REG_RISCV_CSR_REG' : `KVM_REG_RISCV_CSR_${sub.name}_REG`, sub.fields, r.index));
      break;
    }
    case RegType.TIMER: parts.push(field('KVM_REG_RISCV_TIMER_REG', TIMER_FIELDS, flat)); break;
    case RegType.FP_F: case RegType.FP_D: {
      const macro = r.type === RegType.FP_F ? 'KVM_REG_RISCV_FP_F_REG' : 'KVM_REG_RISCV_FP_D_REG';
      parts.push(flat < 32 ? `${macro}(f[${flat}])` : flat === 32 ? `${macro}(fcsr)` : String(flat));
      break;
    }
    case RegType.ISA_EXT: case RegType.SBI_EXT: {
      const isa = r.type === RegType.ISA_EXT;
      const sub = MULTI_SUBTYPES[r.subtype];
      if (!sub) { parts.push(`subtype ${r.subtype}`, String(r.index)); break; }
      parts.push(`KVM_REG_RISCV_${isa ? 'ISA' : 'SBI'}_${sub}`);
      if (sub !== 'SINGLE') { parts.push(String(r.index)); break; }
      const sym = isa ? (r.index < p.isaExtMax ? kvmIsaExt(abi, r.index)?.symbol : undefined) : (r.index < p.sbiExtMax ? KVM_SBI_EXT_NAMES[r.index] : undefined);
      parts.push(sym ? `KVM_RISCV_${isa ? 'ISA' : 'SBI'}_EXT_${sym}` : String(r.index));
      break;
    }
    case RegType.VECTOR:
      if (flat < 6) parts.push(field('KVM_REG_RISCV_VECTOR_CSR_REG', VECTOR_CSR_FIELDS, flat));
      else parts.push(flat <= 37 ? `KVM_REG_RISCV_VECTOR_REG(${flat - 6})` : String(flat));
      break;
    case RegType.SBI_STATE: {
      if (r.subtype === 0) { parts.push('KVM_REG_RISCV_SBI_STA', field('KVM_REG_RISCV_SBI_STA_REG', STA_FIELDS, r.index)); break; }
      if (r.subtype === 1) {
        const f = ABI_PROFILES['7.3'].fwftFeatures[Math.floor(r.index / 3)];
        parts.push('KVM_REG_RISCV_SBI_FWFT', f ? `KVM_REG_RISCV_SBI_FWFT_REG(${f.name}.${FWFT_REG_PARTS[r.index % 3]})` : String(r.index));
        break;
      }
      parts.push(`subtype ${r.subtype}`, String(r.index));
      break;
    }
  }
  return parts.join(' | ');
}
