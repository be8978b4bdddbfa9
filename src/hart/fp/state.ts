// Shared state of the FP library: the result registers, flag and rounding-mode constants, and scratch
// views used to move between raw bits and JS doubles without allocating.
// The scratch views assume a little-endian host (every platform Node and browsers run on); checked below.

/** Results of every FP function: [0] = f32 bits / low half of f64 or integer, [1] = high half. */
export const fpOut = new Int32Array(2);

// fflags bits (RISC-V fcsr layout)
export const FLAG_NX = 1;
export const FLAG_UF = 2;
export const FLAG_OF = 4;
export const FLAG_DZ = 8;
export const FLAG_NV = 16;

// rounding modes (RISC-V frm encoding)
export const RM_RNE = 0;
export const RM_RTZ = 1;
export const RM_RDN = 2;
export const RM_RUP = 3;
export const RM_RMM = 4;

const scratch = new ArrayBuffer(8);
export const sF64 = new Float64Array(scratch);
export const sI32 = new Int32Array(scratch);
export const sF32 = new Float32Array(scratch, 0, 1);

sF64[0] = 1;
if (sI32[1] !== 0x3ff00000) throw new Error('src/hart/fp: a little-endian host is required');

/** The double held by the binary64 bits (lo, hi). Only for non-NaN inputs (NaN payloads are not kept). */
export function f64FromBits(lo: number, hi: number): number {
  sI32[0] = lo;
  sI32[1] = hi;
  return sF64[0];
}

/** Write a non-NaN double to fpOut as binary64 bits. */
export function outF64(x: number): void {
  sF64[0] = x;
  fpOut[0] = sI32[0];
  fpOut[1] = sI32[1];
}

/** The double equal to the binary32 bits. Only for non-NaN inputs. */
export function f32FromBits(bits: number): number {
  sI32[0] = bits;
  return sF32[0];
}

/** Write a double that is exactly representable in binary32 (or ±inf) to fpOut as binary32 bits, NaN-boxed. */
export function outF32(x: number): void {
  sF32[0] = x;
  fpOut[0] = sI32[0];
  fpOut[1] = -1;
}

export const F32_CANONICAL_NAN = 0x7fc00000;

export function outF32CanonicalNaN(): void {
  fpOut[0] = F32_CANONICAL_NAN;
  fpOut[1] = -1;
}

export function outF64CanonicalNaN(): void {
  fpOut[0] = 0;
  fpOut[1] = 0x7ff80000; // 0x7ff8000000000000
}

/** The double adjacent to finite x in the direction of dir (+1 up, -1 down); may return ±inf. */
export function nextToward(x: number, dir: number): number {
  if (x === 0) return dir > 0 ? 5e-324 : -5e-324;
  sF64[0] = x;
  let lo = sI32[0] >>> 0;
  let hi = sI32[1];
  if ((x > 0) === (dir > 0)) {
    // magnitude grows by one unit in the last place
    lo = (lo + 1) >>> 0;
    if (lo === 0) hi = (hi + 1) | 0;
  } else {
    if (lo === 0) hi = (hi - 1) | 0;
    lo = (lo - 1) >>> 0;
  }
  sI32[0] = lo | 0;
  sI32[1] = hi;
  return sF64[0];
}

/** 2^k as an exact double for -1022 <= k <= 1023 (built from bits, no Math.pow rounding doubts). */
export function pow2(k: number): number {
  sI32[0] = 0;
  sI32[1] = (k + 1023) << 20;
  return sF64[0];
}
