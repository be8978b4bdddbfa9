// ONE_REG register ids exactly as Linux's RISC-V KVM UAPI encodes them:
//   id = KVM_REG_RISCV | KVM_REG_SIZE_xx | (type << 24) | (subtype << 16) | index
import { KvmError } from './errors.js';

export const KVM_REG_ARCH_MASK = 0xff00_0000_0000_0000n;
export const KVM_REG_RISCV = 0x8000_0000_0000_0000n;
export const KVM_REG_SIZE_SHIFT = 52n;
export const KVM_REG_SIZE_MASK = 0x00f0_0000_0000_0000n;
export const KVM_REG_RISCV_TYPE_SHIFT = 24n;
export const KVM_REG_RISCV_TYPE_MASK = 0xff00_0000n;
export const KVM_REG_RISCV_SUBTYPE_SHIFT = 16n;
export const KVM_REG_RISCV_SUBTYPE_MASK = 0x00ff_0000n;
/** Bits of an id that are neither arch, size, type nor subtype: the index ("reg_num" in the kernel). */
const INDEX_MASK = ~(KVM_REG_ARCH_MASK | KVM_REG_SIZE_MASK | KVM_REG_RISCV_TYPE_MASK | KVM_REG_RISCV_SUBTYPE_MASK) &
  0xffff_ffff_ffff_ffffn;

/** Register types (KVM_REG_RISCV_*), by the number in bits 31..24. */
export const RegType = {
  CONFIG: 1,
  CORE: 2,
  CSR: 3,
  TIMER: 4,
  FP_F: 5,
  FP_D: 6,
  ISA_EXT: 7,
  SBI_EXT: 8,
  VECTOR: 9,
  SBI_STATE: 10,
} as const;
export type RegTypeName = keyof typeof RegType;

export const CsrSubtype = { GENERAL: 0, AIA: 1, SMSTATEEN: 2, ZICFISS: 3 } as const;
export const IsaSubtype = { SINGLE: 0, MULTI_EN: 1, MULTI_DIS: 2 } as const;
export const SbiExtSubtype = { SINGLE: 0, MULTI_EN: 1, MULTI_DIS: 2 } as const;
export const SbiStateSubtype = { STA: 0, FWFT: 1 } as const;

/** Size field values (bits 55..52): bytes = 1 << field. */
export const RegSize = { U8: 0, U16: 1, U32: 2, U64: 3, U128: 4, U256: 5, U512: 6, U1024: 7, U2048: 8 } as const;
export type RegSizeName = keyof typeof RegSize;
/** "unsigned long" registers on rv64. */
export const ULONG = RegSize.U64;

export interface DecodedRegId {
  /** log2 of the size in bytes (the KVM_REG_SIZE field). */
  sizeField: number;
  sizeBytes: number;
  type: number;
  subtype: number;
  index: number;
}

export function regId(type: number, subtype: number, index: number, sizeField: number = ULONG): bigint {
  return KVM_REG_RISCV | (BigInt(sizeField) << KVM_REG_SIZE_SHIFT) | (BigInt(type) << KVM_REG_RISCV_TYPE_SHIFT) |
    (BigInt(subtype) << KVM_REG_RISCV_SUBTYPE_SHIFT) | BigInt(index);
}

export function regSizeBytes(id: bigint): number {
  return 1 << Number((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
}

/** Splits an id into its fields. An id whose arch is not RISC-V is rejected (the ioctl would not reach the arch code). */
export function decodeRegId(id: bigint): DecodedRegId {
  if (typeof id !== 'bigint' || id < 0n || id > 0xffff_ffff_ffff_ffffn) {
    throw new KvmError('EINVAL', `register id ${String(id)} is not an unsigned 64-bit bigint`);
  }
  if ((id & KVM_REG_ARCH_MASK) !== KVM_REG_RISCV) {
    throw new KvmError('EINVAL', `register id 0x${id.toString(16)} is not a RISC-V id (arch field must be 0x80)`);
  }
  const sizeField = Number((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
  return {
    sizeField,
    sizeBytes: 1 << sizeField,
    type: Number((id & KVM_REG_RISCV_TYPE_MASK) >> KVM_REG_RISCV_TYPE_SHIFT),
    subtype: Number((id & KVM_REG_RISCV_SUBTYPE_MASK) >> KVM_REG_RISCV_SUBTYPE_SHIFT),
    // like the kernel's reg_num: every bit that is not arch/size/type/subtype (bits 51..32 too), so stray
    // high bits give an out-of-range index (-ENOENT) rather than aliasing a real register; < 2^52, exact
    index: Number(id & INDEX_MASK),
  };
}

export function hexId(id: bigint): string {
  return '0x' + id.toString(16).padStart(16, '0');
}
