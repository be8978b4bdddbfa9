// rvkvm exact IEEE 754 library for the hart's F, D, Zfh/Zfhmin and Zfa instructions (binary16: f16.ts).
//
// Conventions (the hart's contract with this library):
// - Operands are raw bits. binary32: one number (int32 or uint32, only the low 32 bits matter; the hart
//   checks NaN-boxing first and passes the canonical NaN 0x7fc00000 for an improperly boxed value).
//   binary64: two 32-bit halves (lo, hi), int32 or uint32. binary16: one number, the low 16 bits (f16.ts). 64-bit integers likewise; 32-bit integers one number.
// - Rounding mode rm: 0 RNE, 1 RTZ, 2 RDN, 3 RUP, 4 RMM (RISC-V encoding). The hart resolves DYN (7)
//   from frm and raises illegal instruction for 5/6 itself; other values are not checked here.
// - Every function writes its result to fpOut and returns the accrued exception flags in fflags layout
//   (NV 16, DZ 8, OF 4, UF 2, NX 1); the hart ORs them into fflags. Exception: f32Class/f64Class
//   return the 10-bit class mask directly (fclass raises no flags).
//   * binary64 results: fpOut[0] = low half, fpOut[1] = high half.
//   * binary32 results: fpOut[0] = bits, fpOut[1] = -1 (already NaN-boxed for a 64-bit f register).
//   * binary16 results: fpOut[0] = 0xffff0000 | bits, fpOut[1] = -1 (NaN-boxed likewise).
//   * integer results (fcvt.*.{w,wu,l,lu}, fcvtmod.w.d): fpOut[0] = low half, fpOut[1] = high half;
//     32-bit results (w and wu alike) come sign-extended, as RV64 writes them to x registers.
//   * comparisons (feq/flt/fle/fltq/fleq): fpOut[0] = 0 or 1, fpOut[1] = 0.
// - RISC-V semantics throughout: canonical NaN results, NV for signaling NaN inputs, tininess after
//   rounding, fmin/fmax = minimumNumber/maximumNumber (-0 < +0), fcvt saturation (NaN -> largest).
// - Hot path: no BigInt, no allocation, nothing thrown.
// - How: binary64 add/sub/mul/div/sqrt/fma use native doubles plus exact error terms (f64.ts, finish.ts);
//   operands that could make those inexact (extreme exponents, subnormal or overflowing results) take the
//   exact 32-bit-limb paths (wide.ts) that end in the single rounding routine (round.ts, parametrised by a
//   FloatFormat: F16, F32, F64). binary32 and binary16 go through doubles (f32.ts, f16.ts). Tests: BigInt
//   reference (test/hart/fp/reference.ts) and QEMU's FPU.

export {
  fpOut,
  FLAG_NV, FLAG_DZ, FLAG_OF, FLAG_UF, FLAG_NX,
  RM_RNE, RM_RTZ, RM_RDN, RM_RUP, RM_RMM,
  F32_CANONICAL_NAN,
} from './state.js';

export {
  f64Add, f64Sub, f64Mul, f64Div, f64Sqrt,
  f64MulAdd, f64MulSub, f64NegMulAdd, f64NegMulSub,
  isNaN64, isSignalingNaN64,
} from './f64.js';

export {
  f32Add, f32Sub, f32Mul, f32Div, f32Sqrt,
  f32MulAdd, f32MulSub, f32NegMulAdd, f32NegMulSub,
  isNaN32, isSignalingNaN32,
} from './f32.js';

export {
  f64Eq, f64Lt, f64Le, f64MinMax, f64Class,
  f32Eq, f32Lt, f32Le, f32MinMax, f32Class,
} from './compare.js';

export {
  f64ToI32, f64ToU32, f64ToI64, f64ToU64,
  f32ToI32, f32ToU32, f32ToI64, f32ToU64,
  f64FromI32, f64FromU32, f64FromI64, f64FromU64,
  f32FromI32, f32FromU32, f32FromI64, f32FromU64,
  f32ToF64, f64ToF32,
} from './convert.js';

export { f32Fli, f64Fli, f32Round, f64Round, f64CvtModW } from './zfa.js';

export {
  F16_CANONICAL_NAN, isNaN16, isSignalingNaN16, f16Value,
  f16Add, f16Sub, f16Mul, f16Div, f16Sqrt, f16MulAdd, f16MulSub, f16NegMulAdd, f16NegMulSub,
  f16Eq, f16Lt, f16Le, f16MinMax, f16Class,
  f16ToInt, f16FromInt, f16ToF32, f16ToF64, f32ToF16, f64ToF16, f16Fli, f16Round,
} from './f16.js';
export { F16, F32, F64, roundPackTo, roundDoubleTo, type FloatFormat } from './round.js';
