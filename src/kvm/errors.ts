// Typed errors of the KVM layer: every failure carries the errno Linux KVM returns for the same mistake.

/** errno names and numbers (Linux asm-generic/errno-base.h, errno.h) used by the KVM ABI. */
export const ERRNO = {
  ENOENT: 2,
  E2BIG: 7,
  ENOEXEC: 8,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  ENOSPC: 28,
  EOPNOTSUPP: 95,
} as const;

export type ErrnoName = keyof typeof ERRNO;

export class KvmError extends Error {
  readonly errno: number;
  /** For E2BIG from getRegList: the number of registers the caller must make room for. */
  readonly needed?: number;
  constructor(readonly errnoName: ErrnoName, message: string, extra?: { needed?: number }) {
    super(`${errnoName} (${ERRNO[errnoName]}): ${message}`);
    this.name = 'KvmError';
    this.errno = ERRNO[errnoName];
    if (extra?.needed !== undefined) this.needed = extra.needed;
  }
}

export function kvmError(name: ErrnoName, message: string): KvmError {
  return new KvmError(name, message);
}
