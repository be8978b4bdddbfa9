// Translation of the F and D instructions (jit.ts calls emitFp for every op it has no WebAssembly form of).
//
// Every translated FP instruction has two paths. The fast path is WebAssembly: loads and stores through the inline
// TLB lookup, moves, sign injection, compares, fclass, min/max, conversions, and the arithmetic on the host's IEEE
// binary64 operations (binary32 through binary64: for + - * / sqrt one rounding to double and then to float gives
// the correctly rounded float). It is taken only when its result and flags are provably the exact library's: the
// operands are in a range where nothing can overflow or underflow (or the result is checked to be normal), the
// rounding mode is one the host rounds in (round-to-nearest-even, static or from frm), and the inexact flag comes
// from an error-free transformation (TwoSum, Dekker's product, the exact remainder of a quotient or square root).
// Everything else, NaNs, infinities, subnormal results, other rounding modes, FS = Off, a TLB miss, a store to a
// page holding code, takes the slow path: the hart's own semantics (import `ex`, ext/fd.ts and the exact library
// src/hart/fp), exactly what the interpreter does, traps included. The fast path never traps and raises NX only.
//
// Fused multiply-add (the host has no fused operation): binary64 after Boldo and Melquiond ("Emulation of FMA and
// correctly rounded sums: proved algorithms using rounding to odd", IEEE TC 2008): the exact product as a pair,
// TwoSum with the addend, the two error terms added with rounding to odd, then one rounding to nearest; its
// inexactness is decided exactly from the error terms. binary32: the exact binary64 product plus the addend,
// rounded to odd in binary64 and then to nearest float (round-to-odd with two guard bits makes the double rounding
// innocuous).
//
// fcsr and mstatus are in the state block (JIT_CSR): the fast path ORs NX into fflags as the interpreter would; an
// instruction that writes f registers or fflags takes it only with FS already Dirty (fsOn), so it never marks FS.
// With NX already set, + - * / and sqrt skip the exactness test (stickyNx). The shared arithmetic lives in helper functions inside each page's module, included only
// when a page uses them (fpBeginModule / fpModuleParts), so translated code stays small.
import { Op } from './ops.js';
import { CODE_PAGE_BASE } from './memory.js';
import {
  Bytes, Code, W, VOID, F_FP_BASE, T_FP_BASE, ACC_LOAD, ACC_STORE,
  L_XB, L_A, L_B, L_H, L_F0, L_F1, L_S,
  getX, xDest, xStore, countOne, tlbIndex, tlbHit, tlbHost, emitEx,
} from './jit.js';

/** byte offset in the hart's state block of mstatus, fflags, frm and the V bit as i32 (Hart keeps them there for
 *  this file) */
export const JIT_CSR = 1040;
// value types (as jit.ts's; not imported: jit.ts imports this file, so its constants are not ready at load)
const I32 = 0x7f, I64 = 0x7e, F64 = 0x7c;
const MSTATUS_AT = JIT_CSR, FFLAGS_AT = JIT_CSR + 4, FRM_AT = JIT_CSR + 8, VIRT_AT = JIT_CSR + 12;
const MSTATUS_FS = 0x6000;
const F_REGS = 512; // byte offset of the f registers in the state block

/** WebAssembly opcodes beyond jit.ts's integer set */
const enum V {
  f64_load = 0x2b, i64_load32_u = 0x35, i64_store32 = 0x3e, f64_const = 0x44,
  i32_ne = 0x47, i32_lt_s = 0x48, i32_lt_u = 0x49, i32_le_u = 0x4d, i32_ge_s = 0x4e, i32_xor = 0x73,
  i64_lt_s = 0x53,
  f64_eq = 0x61, f64_ne = 0x62, f64_lt = 0x63, f64_gt = 0x64, f64_le = 0x65, f64_ge = 0x66,
  f64_abs = 0x99, f64_neg = 0x9a, f64_ceil = 0x9b, f64_floor = 0x9c, f64_trunc = 0x9d, f64_nearest = 0x9e,
  f64_sqrt = 0x9f, f64_add = 0xa0, f64_sub = 0xa1, f64_mul = 0xa2, f64_div = 0xa3,
  i64_trunc_f64_s = 0xb0, i64_trunc_f64_u = 0xb1, f32_convert_i64_s = 0xb4, f32_convert_i64_u = 0xb5,
  f32_demote_f64 = 0xb6, f64_convert_i32_s = 0xb7, f64_convert_i32_u = 0xb8, f64_convert_i64_s = 0xb9,
  f64_convert_i64_u = 0xba, f64_promote_f32 = 0xbb, i32_reinterpret_f32 = 0xbc, i64_reinterpret_f64 = 0xbd,
  f32_reinterpret_i32 = 0xbe, f64_reinterpret_i64 = 0xbf,
}

const o = (c: Code, ...ops: number[]): Code => { for (const x of ops) c.u8(x); return c; };
const f64c = (c: Code, x: number): Code => {
  const b = new Uint8Array(new Float64Array([x]).buffer);
  c.u8(V.f64_const); c.bytes(b); return c;
};
/** i64.const of any safe integer (jit.ts's i64() takes 32-bit values) */
function i64n(c: Code, v: number): Code {
  c.u8(W.i64_const);
  for (;;) {
    const byte = v & 0x7f;
    v = Math.floor(v / 128);
    if ((v === 0 && !(byte & 0x40)) || (v === -1 && (byte & 0x40))) return c.u8(byte);
    c.u8(byte | 0x80);
  }
}
const BOX = -0x100000000; // 0xffffffff00000000: the NaN-boxing of a binary32 value

// ---------------------------------------------------------------- shared helper functions

interface Helper { params: number[]; results: number[]; locals: number[]; body: (c: Code) => void }

/** biased exponent field of the f64 in local x is in [lo, hi] (i32 0/1) */
function expIn(c: Code, x: number, lo: number, hi: number): void {
  c.get(x); o(c, V.i64_reinterpret_f64); c.i64(52).op(W.i64_shr_u).op(W.i32_wrap_i64).i32(0x7ff).op(W.i32_and);
  c.i32(lo).op(W.i32_sub).i32(hi - lo + 1); o(c, V.i32_lt_u);
}
// operands of products, quotients, square roots and fused multiply-adds: every exact intermediate (Dekker's
// split products, the error terms) stays a multiple of 2^-1064 below 2^1000, so no step overflows or loses bits
const SAFE_LO = 1023 - 480, SAFE_HI = 1023 + 480;
/** x is zero or its exponent is in the safe range */
function safeOrZero(c: Code, x: number): void {
  expIn(c, x, SAFE_LO, SAFE_HI); c.get(x); f64c(c, 0); o(c, V.f64_eq); c.op(W.i32_or);
}
/** s = x + y, e = its exact error (Knuth's TwoSum; t is scratch) */
function twoSum(c: Code, x: number, y: number, s: number, e: number, t: number): void {
  c.get(x).get(y); o(c, V.f64_add); c.tee(s).get(x); o(c, V.f64_sub); c.set(t);
  c.get(x).get(s).get(t); o(c, V.f64_sub, V.f64_sub); c.get(y).get(t); o(c, V.f64_sub, V.f64_add); c.set(e);
}
/** Veltkamp split of x into hi + lo (26 + 27 bits): t = x * (2^27 + 1); hi = t - (t - x); lo = x - hi */
function split(c: Code, x: number, hi: number, lo: number): void {
  c.get(x); f64c(c, 134217729); o(c, V.f64_mul); c.tee(hi);
  c.get(hi).get(x); o(c, V.f64_sub, V.f64_sub); c.set(hi);
  c.get(x).get(hi); o(c, V.f64_sub); c.set(lo);
}
/** p = x * y, e = its exact error (Dekker; four scratch locals from t) */
function twoProd(c: Code, x: number, y: number, p: number, e: number, t: number): void {
  const xh = t, xl = t + 1, yh = t + 2, yl = t + 3;
  split(c, x, xh, xl); split(c, y, yh, yl);
  c.get(x).get(y); o(c, V.f64_mul); c.set(p);
  c.get(xh).get(yh); o(c, V.f64_mul); c.get(p); o(c, V.f64_sub);
  c.get(xh).get(yl); o(c, V.f64_mul, V.f64_add);
  c.get(xl).get(yh); o(c, V.f64_mul, V.f64_add);
  c.get(xl).get(yl); o(c, V.f64_mul, V.f64_add); c.set(e);
}
/** v = x + err rounded to odd, given x = RN(x + err) and err exact: the odd neighbour toward err when inexact and even */
function roundToOdd(c: Code, x: number, err: number, v: number): void {
  c.get(err); f64c(c, 0); o(c, V.f64_ne);
  c.get(x); o(c, V.i64_reinterpret_f64); c.i64(1).op(W.i64_and).op(W.i64_eqz).op(W.i32_and);
  c.u8(W.if_, F64);
  // same signs: one step up in magnitude (bits + 1), else down (bits - 1)
  c.get(x); o(c, V.i64_reinterpret_f64); c.i64(1).i64(-1);
  c.get(err); f64c(c, 0); o(c, V.f64_gt); c.get(x); f64c(c, 0); o(c, V.f64_gt); c.op(W.i32_eq).op(W.select);
  c.op(W.i64_add); o(c, V.f64_reinterpret_i64);
  c.op(W.else_).get(x).op(W.end).set(v);
}
/** i32 0/1: the binary32 bits on the stack are above the smallest normal magnitude and finite */
function normal32(c: Code): void {
  c.i32(0x7fffffff).op(W.i32_and).i32(0x00800001).op(W.i32_sub).i32(0x7f800000 - 0x00800001); o(c, V.i32_lt_u);
}
/** NaN-box the binary32 bits (i32) on the stack */
function box(c: Code): void {
  c.op(W.i64_extend_i32_u); i64n(c, BOX); c.op(W.i64_or);
}
/** i32 0/1 of (f64 local) != 0 */
function nonZero(c: Code, x: number): void { c.get(x); f64c(c, 0); o(c, V.f64_ne); }

// Helpers return (result bits: i64, status: i32): status -1 = the slow path must do it, else the flags (0 or NX).
// The last instruction of each body is select(nx, -1, ok).

const D_ADD: Helper = {
  params: [F64, F64], results: [I64, I32], locals: [F64, F64, F64],
  body: (c) => {
    const A = 0, B = 1, R = 2, E = 3, T = 4;
    twoSum(c, A, B, R, E, T);
    c.get(R); o(c, V.i64_reinterpret_f64);
    nonZero(c, E); c.i32(-1);
    // below 2^1023 each nothing overflows and TwoSum is exact; a subnormal or zero sum is exact (no UF)
    expIn(c, A, 0, 0x7fd); expIn(c, B, 0, 0x7fd); c.op(W.i32_and);
    c.op(W.select);
  },
};
/** the significand of the f64 local x (implicit bit included) as i64, into local m; its trailing zeros into t */
function significand(c: Code, x: number, m: number, t: number): void {
  c.get(x); o(c, V.i64_reinterpret_f64); i64n(c, 2 ** 52 - 1); c.op(W.i64_and); i64n(c, 2 ** 52); c.op(W.i64_or).tee(m);
  c.op(W.i64_ctz).set(t);
}
// Exactness of products, quotients and square roots from the odd parts of the significands (integer operations,
// cheaper than Dekker's product): with a = ma * 2^ea, b = mb * 2^eb, ma and mb odd, a * b is exact iff
// ma * mb < 2^53, a / b iff mb divides ma. The safe exponent range keeps every result normal.
const D_MUL: Helper = {
  params: [F64, F64], results: [I64, I32], locals: [I64, I64, I64, I64],
  body: (c) => {
    const A = 0, B = 1, MA = 2, TA = 3, MB = 4, TB = 5;
    significand(c, A, MA, TA); significand(c, B, MB, TB);
    c.get(A).get(B); o(c, V.f64_mul, V.i64_reinterpret_f64);
    // exact: at most 53 significant bits together (trailing zeros >= 53), or at most 55 and the product < 2^53
    c.get(TA).get(TB).op(W.i64_add).i64(53).op(W.i64_ge_u);
    c.get(TA).get(TB).op(W.i64_add).i64(51).op(W.i64_ge_u);
    c.get(MA).get(TA).op(W.i64_shr_u).get(MB).get(TB).op(W.i64_shr_u).op(W.i64_mul); i64n(c, 2 ** 53); c.op(W.i64_lt_u);
    c.op(W.i32_and).op(W.i32_or);
    c.get(A); f64c(c, 0); o(c, V.f64_eq); c.op(W.i32_or); c.get(B); f64c(c, 0); o(c, V.f64_eq); c.op(W.i32_or);
    c.op(W.i32_eqz);
    c.i32(-1);
    safeOrZero(c, A); safeOrZero(c, B); c.op(W.i32_and);
    c.op(W.select);
  },
};
const D_DIV: Helper = {
  params: [F64, F64], results: [I64, I32], locals: [I64, I64, I64, I64],
  body: (c) => {
    const A = 0, B = 1, MA = 2, TA = 3, MB = 4, TB = 5;
    significand(c, A, MA, TA); significand(c, B, MB, TB);
    c.get(A).get(B); o(c, V.f64_div, V.i64_reinterpret_f64);
    // inexact: a is not zero and b's odd part does not divide a's (never zero: the implicit bit is set)
    c.get(MA).get(TA).op(W.i64_shr_u).get(MB).get(TB).op(W.i64_shr_u).op(W.i64_rem_u).i64(0).op(W.i64_ne);
    nonZero(c, A); c.op(W.i32_and);
    c.i32(-1);
    safeOrZero(c, A); expIn(c, B, SAFE_LO, SAFE_HI); c.op(W.i32_and);
    c.op(W.select);
  },
};
const D_SQRT: Helper = {
  params: [F64], results: [I64, I32], locals: [F64, I64, I64, I64],
  body: (c) => {
    // r = sqrt(a) is exact iff r * r = a; r * r is computed exactly when r's odd part squared is below 2^53
    const A = 0, R = 1, MR = 2, TR = 3, OD = 4;
    c.get(A); o(c, V.f64_sqrt); c.set(R);
    significand(c, R, MR, TR);
    c.get(R); o(c, V.i64_reinterpret_f64);
    c.get(MR).get(TR).op(W.i64_shr_u).tee(OD).get(OD).op(W.i64_mul); i64n(c, 2 ** 53); c.op(W.i64_lt_u);
    c.get(TR).i64(26).op(W.i64_ge_u).op(W.i32_and);
    c.get(R).get(R); o(c, V.f64_mul); c.get(A); o(c, V.f64_eq).op(W.i32_and).op(W.i32_eqz);
    c.i32(-1);
    c.get(A); f64c(c, 0); o(c, V.f64_ge); safeOrZero(c, A); c.op(W.i32_and);
    c.op(W.select);
  },
};
const D_FMA: Helper = {
  params: [F64, F64, F64], results: [I64, I32], locals: new Array<number>(14).fill(F64),
  body: (c) => {
    const A = 0, B = 1, C = 2, UH = 3, UL = 4, TH = 5, TL = 6, S = 7, E = 8, Vv = 9, Z = 10, Wd = 11, T = 12;
    // scratch T..T+3 for twoProd; twoSum uses T only; D reuses UH and the final pair reuses TH / TL
    twoProd(c, A, B, UH, UL, T);
    twoSum(c, C, UH, TH, TL, T);
    twoSum(c, TL, UL, S, E, T);
    roundToOdd(c, S, E, Vv);
    twoSum(c, TH, Vv, Z, Wd, T);
    c.get(Z); o(c, V.i64_reinterpret_f64);
    // exact iff w + e - (v - s) = 0: with x1 + y1 = w + e exactly, iff x1 = v - s and y1 = 0
    c.get(Vv).get(S); o(c, V.f64_sub); c.set(UH);
    twoSum(c, Wd, E, TH, TL, T);
    c.get(TH).get(UH); o(c, V.f64_eq); c.get(TL); f64c(c, 0); o(c, V.f64_eq); c.op(W.i32_and).op(W.i32_eqz);
    c.i32(-1);
    safeOrZero(c, A); safeOrZero(c, B); c.op(W.i32_and); safeOrZero(c, C); c.op(W.i32_and);
    // a result this small (or an exact zero, whose sign the pairs do not keep) goes to the library
    c.get(Z); o(c, V.f64_abs); f64c(c, 2 ** -969); o(c, V.f64_ge); c.op(W.i32_and);
    c.op(W.select);
  },
};

// binary32, on binary64 values of the operands: r = the float result, boxed; ok when r is normal above the
// smallest normal (tininess after rounding cannot apply) or the binary64 result is an exact zero
function s2(kind: 'add' | 'mul' | 'div'): Helper {
  return {
    params: [F64, F64], results: [I64, I32], locals: [F64, F64, F64, I32],
    body: (c) => {
      const A = 0, B = 1, S = 2, E = 3, T = 4, R = 5;
      if (kind === 'add') twoSum(c, A, B, S, E, T);
      else { c.get(A).get(B); o(c, kind === 'mul' ? V.f64_mul : V.f64_div); c.set(S); }
      c.get(S); o(c, V.f32_demote_f64, V.i32_reinterpret_f32); c.set(R);
      c.get(R); box(c);
      // inexact: the binary64 step was (add: TwoSum error), or the float differs from the binary64 value
      // (products of floats are exact in binary64); a quotient is exact iff r * b (exact in binary64) = a
      if (kind === 'div') {
        // (a zero quotient, of a zero or by an infinity, is exact)
        c.get(R); o(c, V.f32_reinterpret_i32, V.f64_promote_f32); c.get(B); o(c, V.f64_mul); c.get(A); o(c, V.f64_ne);
        nonZero(c, S); c.op(W.i32_and);
      } else {
        c.get(R); o(c, V.f32_reinterpret_i32, V.f64_promote_f32); c.get(S); o(c, V.f64_ne);
        if (kind === 'add') { nonZero(c, E); c.op(W.i32_or); }
      }
      c.i32(-1);
      c.get(R); normal32(c); c.get(S); f64c(c, 0); o(c, V.f64_eq); c.op(W.i32_or);
      c.op(W.select);
    },
  };
}
const S_ADD = s2('add'), S_MUL = s2('mul'), S_DIV = s2('div');
const S_SQRT: Helper = {
  params: [F64], results: [I64, I32], locals: [F64, F64, I32],
  body: (c) => {
    const A = 0, S = 1, P = 2, R = 3;
    c.get(A); o(c, V.f64_sqrt); c.set(S);
    c.get(S); o(c, V.f32_demote_f64, V.i32_reinterpret_f32); c.set(R);
    c.get(R); box(c);
    c.get(R); o(c, V.f32_reinterpret_i32, V.f64_promote_f32); c.tee(P).get(P); o(c, V.f64_mul); c.get(A); o(c, V.f64_ne);
    c.i32(-1);
    c.get(R); normal32(c); c.get(S); f64c(c, 0); o(c, V.f64_eq); c.op(W.i32_or);
    c.op(W.select);
  },
};
const S_FMA: Helper = {
  params: [F64, F64, F64], results: [I64, I32], locals: [F64, F64, F64, F64, F64, I32],
  body: (c) => {
    // a * b is exact in binary64; s + e = a * b + c exactly; rounded to odd, then to float: correctly rounded
    const A = 0, B = 1, C = 2, P = 3, S = 4, E = 5, Vv = 6, T = 7, R = 8;
    c.get(A).get(B); o(c, V.f64_mul); c.set(P);
    twoSum(c, P, C, S, E, T);
    roundToOdd(c, S, E, Vv);
    c.get(Vv); o(c, V.f32_demote_f64, V.i32_reinterpret_f32); c.set(R);
    c.get(R); box(c);
    c.get(R); o(c, V.f32_reinterpret_i32, V.f64_promote_f32); c.get(Vv); o(c, V.f64_ne); nonZero(c, E); c.op(W.i32_or);
    c.i32(-1);
    c.get(R); normal32(c); c.get(S); f64c(c, 0); o(c, V.f64_eq); c.op(W.i32_or);
    c.op(W.select);
  },
};
/** fcvt.s.d in round-to-nearest-even */
const D_TO_S: Helper = {
  params: [F64], results: [I64, I32], locals: [I32],
  body: (c) => {
    const A = 0, R = 1;
    c.get(A); o(c, V.f32_demote_f64, V.i32_reinterpret_f32); c.set(R);
    c.get(R); box(c);
    c.get(R); o(c, V.f32_reinterpret_i32, V.f64_promote_f32); c.get(A); o(c, V.f64_ne);
    c.i32(-1);
    c.get(R); normal32(c); c.get(A); f64c(c, 0); o(c, V.f64_eq); c.op(W.i32_or);
    c.op(W.select);
  },
};
/** fmin/fmax: (a bits, b bits, a, b, max) -> (bits, status); NaN operands: -1; equal operands: -0 < +0 */
const MINMAX: Helper = {
  params: [I64, I64, F64, F64, I32], results: [I64, I32], locals: [I64, I64],
  body: (c) => {
    const AB = 0, BB = 1, FA = 2, FB = 3, MAX = 4, LO = 5, HI = 6;
    // lo = the smaller, hi = the larger; equal: lo = a | b (-0 wins), hi = a & b (+0 wins)
    c.get(AB).get(BB).get(AB).get(BB).op(W.i64_or).get(FB).get(FA); o(c, V.f64_lt); c.op(W.select);
    c.get(FA).get(FB); o(c, V.f64_lt); c.op(W.select).set(LO);
    c.get(BB).get(AB).get(AB).get(BB).op(W.i64_and).get(FB).get(FA); o(c, V.f64_lt); c.op(W.select);
    c.get(FA).get(FB); o(c, V.f64_lt); c.op(W.select).set(HI);
    c.get(HI).get(LO).get(MAX).op(W.select);
    c.i32(0).i32(-1);
    c.get(FA).get(FA); o(c, V.f64_eq); c.get(FB).get(FB); o(c, V.f64_eq); c.op(W.i32_and).op(W.select);
  },
};
/** fclass from (negative, exponent all ones, exponent zero, mantissa non-zero, quiet bit) -> the class bit as i64 */
const CLASS: Helper = {
  params: [I32, I32, I32, I32, I32], results: [I64], locals: [],
  body: (c) => {
    const NEG = 0, EMAX = 1, EZERO = 2, MNZ = 3, QUIET = 4;
    c.i32(1);
    // exponent all ones: NaN (9 quiet, 8 signalling) or infinity (0 / 7)
    c.i32(9).i32(8).get(QUIET).op(W.select).i32(0).i32(7).get(NEG).op(W.select).get(MNZ).op(W.select);
    // exponent zero: subnormal (2 / 5) or zero (3 / 4); else normal (1 / 6)
    c.i32(2).i32(5).get(NEG).op(W.select).i32(3).i32(4).get(NEG).op(W.select).get(MNZ).op(W.select);
    c.i32(1).i32(6).get(NEG).op(W.select).get(EZERO).op(W.select);
    c.get(EMAX).op(W.select);
    c.op(W.i32_shl).op(W.i64_extend_i32_u);
  },
};
/** the binary32 bits of an f register's i64: the canonical NaN unless properly NaN-boxed */
const UNBOX: Helper = {
  params: [I64], results: [I32], locals: [],
  body: (c) => {
    c.get(0).op(W.i32_wrap_i64).i32(0x7fc00000);
    c.get(0).i64(32).op(W.i64_shr_u).op(W.i32_wrap_i64).i32(-1).op(W.i32_eq).op(W.select);
  },
};
/** significant bits of the integer (signed when the flag is 0): it converts exactly when they fit */
const SIGBITS: Helper = {
  params: [I64, I32], results: [I32], locals: [I64],
  body: (c) => {
    const VV = 0, UNS = 1, U = 2;
    // unsigned: the value; signed: its magnitude (the most negative one stays, as unsigned 2^63)
    c.get(VV);
    c.i64(0).get(VV).op(W.i64_sub).get(VV).get(VV).i64(0); o(c, V.i64_lt_s); c.op(W.select);
    c.get(UNS).op(W.select).set(U);
    // 64 - clz - ctz (a zero gives -64: exact)
    c.i64(64).get(U).op(W.i64_clz).op(W.i64_sub).get(U).op(W.i64_ctz).op(W.i64_sub).op(W.i32_wrap_i64);
  },
};
/** round to an integral value in rounding mode rm (0..3); NaN for RMM or an invalid mode (slow path) */
const ROUND: Helper = {
  params: [F64, I32], results: [F64], locals: [],
  body: (c) => {
    const X = 0, RM = 1;
    c.get(X); o(c, V.f64_nearest); c.get(X); o(c, V.f64_trunc); c.get(RM).op(W.i32_eqz).op(W.select);
    c.get(X); o(c, V.f64_floor); c.get(X); o(c, V.f64_ceil); c.get(RM).i32(2).op(W.i32_eq).op(W.select);
    c.get(RM).i32(2); o(c, V.i32_lt_u); c.op(W.select);
    f64c(c, NaN); c.get(RM).i32(4); o(c, V.i32_lt_u); c.op(W.select);
  },
};

const HELPERS = [D_ADD, D_MUL, D_DIV, D_SQRT, D_FMA, S_ADD, S_MUL, S_DIV, S_SQRT, S_FMA, D_TO_S, MINMAX, CLASS,
  UNBOX, SIGBITS, ROUND] as const;
const enum H {
  D_ADD, D_MUL, D_DIV, D_SQRT, D_FMA, S_ADD, S_MUL, S_DIV, S_SQRT, S_FMA, D_TO_S, MINMAX, CLASS, UNBOX, SIGBITS, ROUND,
}

/** per helper: its encoded type and body (with locals), built once */
let encoded: { type: Uint8Array; code: Uint8Array }[] | null = null;
function encodeHelpers(): { type: Uint8Array; code: Uint8Array }[] {
  return HELPERS.map((h) => {
    const t = new Bytes().u8(0x60).uleb(h.params.length).bytes(h.params).uleb(h.results.length).bytes(h.results);
    const body = new Code();
    h.body(body);
    body.op(W.end);
    const locals = new Bytes().uleb(h.locals.length);
    for (const l of h.locals) locals.uleb(1).u8(l);
    const code = new Bytes().uleb(locals.len + body.len).append(locals).append(body);
    return { type: t.buf.slice(0, t.len), code: code.buf.slice(0, code.len) };
  });
}

// the helpers the module being translated uses, in order of first use (its function index order)
const used: number[] = [];
const slot = new Int32Array(HELPERS.length);

export function fpBeginModule(): void {
  for (const h of used) slot[h] = 0;
  used.length = 0;
}
function call(c: Code, h: H): void {
  if (slot[h] === 0) { used.push(h); slot[h] = used.length; }
  c.u8(W.call).uleb(F_FP_BASE + slot[h]! - 1);
}
/** the used helpers' types, function type indices and bodies, for jit.ts's module */
export function fpModuleParts(): { typeCount: number; types: Bytes; funcTypes: number[]; code: Bytes } {
  encoded ??= encodeHelpers();
  const types = new Bytes(), code = new Bytes(), funcTypes: number[] = [];
  for (let k = 0; k < used.length; k++) {
    const e = encoded[used[k]!]!;
    types.bytes(e.type); code.bytes(e.code); funcTypes.push(T_FP_BASE + k);
  }
  return { typeCount: used.length, types, funcTypes, code };
}

// ---------------------------------------------------------------- translation of one FP instruction

const fOff = (r2: number): number => F_REGS + r2 * 4;

/**
 * i32 0/1: the fast path may run: V=0 (with V=1 vsstatus.FS gates and is dirtied as well: the slow path does that)
 * and mstatus.FS is Dirty for an instruction that writes an f register or fflags (then it has nothing to mark: the
 * first such instruction after FS was cleaned takes the slow path, which dirties it), or not Off for one that
 * only reads them.
 */
function fsOn(c: Code, writes: boolean): void {
  c.get(L_XB).mem(W.i32_load, 2, MSTATUS_AT).i32(MSTATUS_FS).op(W.i32_and);
  if (writes) c.i32(MSTATUS_FS).op(W.i32_eq); else { c.i32(0); o(c, V.i32_ne); }
  c.get(L_XB).mem(W.i32_load, 2, VIRT_AT).op(W.i32_eqz).op(W.i32_and);
}
/** fflags |= L_S */
function orFlags(c: Code): void {
  c.get(L_XB).get(L_XB).mem(W.i32_load, 2, FFLAGS_AT).get(L_S).op(W.i32_or).mem(W.i32_store, 2, FFLAGS_AT);
}
/** the frm field */
function frm(c: Code): void { c.get(L_XB).mem(W.i32_load, 2, FRM_AT); }

/**
 * How the instruction's rounding mode allows the fast path: 'rne' pushes i32 0/1 = it rounds to nearest even;
 * 'valid' pushes 0/1 = it is a valid mode (for results that are exact in every mode). null: never (a static
 * mode the host cannot do, or a reserved one).
 */
function rmIs(c: Code, raw: number, need: 'rne' | 'valid'): boolean {
  const rm = (raw >>> 12) & 7;
  if (rm === 7) {
    frm(c);
    if (need === 'rne') c.op(W.i32_eqz); else { c.i32(5); o(c, V.i32_lt_u); }
    return true;
  }
  if (need === 'rne' ? rm !== 0 : rm > 4) return false;
  c.i32(1);
  return true;
}

/** the f register as f64: binary64 as is; binary32 unboxed and widened (exactly) */
function getF(c: Code, r2: number, d: boolean): void {
  if (d) c.get(L_XB).mem(V.f64_load as number as W, 3, fOff(r2));
  else { c.get(L_XB).mem(W.i64_load, 3, fOff(r2)); call(c, H.UNBOX); o(c, V.f32_reinterpret_i32, V.f64_promote_f32); }
}
/** the f register's binary32 bits after the NaN-boxing check */
function getS(c: Code, r2: number): void { c.get(L_XB).mem(W.i64_load, 3, fOff(r2)); call(c, H.UNBOX); }

/**
 * The common shape: `prep` pushes (i64 result, i32 status) from a helper; on status >= 0 (and the extra i32
 * condition `cond` pushes) the result goes to f[rd] with the flags; else the slow path.
 */
function fastF(c: Code, w: number, imm: number, raw: number, so: number, rd: number, prep: () => void, cond: () => void): void {
  prep();
  c.set(L_S).set(L_B);
  c.get(L_S).i32(0); o(c, V.i32_ge_s); cond(); c.op(W.i32_and); fsOn(c, true); c.op(W.i32_and);
  c.u8(W.if_, VOID);
  c.get(L_XB).get(L_B).mem(W.i64_store, 3, fOff(rd));
  orFlags(c);
  countOne(c);
  c.op(W.else_);
  emitEx(c, w, imm, raw, so);
  c.op(W.end);
}
/**
 * + - * / and sqrt when fflags.NX is already set (as it stays in FP code after its first inexact result) in
 * round-to-nearest-even with FS Dirty: no exactness test is needed. A host result whose magnitude is finite,
 * normal and above the smallest normal (biased exponent 2..max-1) raised no flag but NX (no overflow, no tininess
 * after rounding, no invalid operation or division by zero: those give infinities, NaNs or tiny results), and NX is
 * set, so the instruction writes only f[rd]. Any other result (or state) goes on to `general`, the exact fast path
 * and the slow path. binary32: the host's binary64 result rounded to float is the correctly rounded float.
 */
function stickyNx(c: Code, raw: number, d: boolean, rd: number, operate: () => void, general: () => void): void {
  if (!rmIs(c, raw, 'rne')) { general(); return; }
  c.get(L_XB).mem(W.i32_load, 2, FFLAGS_AT).i32(1).op(W.i32_and).op(W.i32_and); fsOn(c, true); c.op(W.i32_and);
  c.u8(W.if_, I32);
  operate();
  if (d) {
    o(c, V.i64_reinterpret_f64); c.tee(L_B).i64(52).op(W.i64_shr_u).op(W.i32_wrap_i64).i32(0x7ff).op(W.i32_and);
    c.i32(2).op(W.i32_sub).i32(0x7fd); o(c, V.i32_lt_u);
  } else {
    o(c, V.f32_demote_f64, V.i32_reinterpret_f32); c.tee(L_H); box(c); c.set(L_B);
    c.get(L_H).i32(23).op(W.i32_shr_u).i32(0xff).op(W.i32_and).i32(2).op(W.i32_sub).i32(0xfd); o(c, V.i32_lt_u);
  }
  c.op(W.else_).i32(0).op(W.end);
  c.u8(W.if_, VOID);
  c.get(L_XB).get(L_B).mem(W.i64_store, 3, fOff(rd));
  countOne(c);
  c.op(W.else_);
  general();
  c.op(W.end);
}
/** an instruction with no result-dependent condition: `ok` pushes i32 0/1, `body` does the work; `writes`: it
 *  writes an f register or fflags (fsOn) */
function guarded(c: Code, w: number, imm: number, raw: number, so: number, writes: boolean, ok: () => void, body: () => void): void {
  ok(); fsOn(c, writes); c.op(W.i32_and);
  c.u8(W.if_, VOID);
  body();
  countOne(c);
  c.op(W.else_);
  emitEx(c, w, imm, raw, so);
  c.op(W.end);
}
const one = (c: Code) => (): void => { c.i32(1); };

const ARITH: Partial<Record<Op, [H, H]>> = {
  [Op.FADD]: [H.S_ADD, H.D_ADD], [Op.FSUB]: [H.S_ADD, H.D_ADD], [Op.FMUL]: [H.S_MUL, H.D_MUL],
  [Op.FDIV]: [H.S_DIV, H.D_DIV],
};
/** the host operation of each ARITH op (FSUB adds the negated operand) */
const HOST_ARITH: Partial<Record<Op, V>> = {
  [Op.FADD]: V.f64_add, [Op.FSUB]: V.f64_add, [Op.FMUL]: V.f64_mul, [Op.FDIV]: V.f64_div,
};
const FMA_NEG: Partial<Record<Op, [boolean, boolean]>> = {
  // (negate the product, negate the addend): fmsub = a*b - c, fnmsub = -(a*b) + c, fnmadd = -(a*b) - c
  [Op.FMADD]: [false, false], [Op.FMSUB]: [false, true], [Op.FNMSUB]: [true, false], [Op.FNMADD]: [true, true],
};
const CMP: Partial<Record<Op, V>> = { [Op.FEQ]: V.f64_eq, [Op.FLT]: V.f64_lt, [Op.FLE]: V.f64_le };
/** float -> integer: (lowest, highest allowed rounded value, wasm truncation, result is 32 bits) */
const TO_INT: Partial<Record<Op, [number, number, V, boolean]>> = {
  [Op.FCVT_W]: [-2147483648, 2147483647, V.i64_trunc_f64_s, true],
  [Op.FCVT_WU]: [0, 4294967295, V.i64_trunc_f64_u, true],
  [Op.FCVT_L]: [-9223372036854775808, 9223372036854774784, V.i64_trunc_f64_s, false],
  [Op.FCVT_LU]: [0, 18446744073709549568, V.i64_trunc_f64_u, false],
};
/** integer -> float: (source is 32 bits, unsigned) */
const FROM_INT: Partial<Record<Op, [boolean, boolean]>> = {
  [Op.FCVT_FROM_W]: [true, false], [Op.FCVT_FROM_WU]: [true, true],
  [Op.FCVT_FROM_L]: [false, false], [Op.FCVT_FROM_LU]: [false, true],
};
const STATIC_ROUND: readonly V[] = [V.f64_nearest, V.f64_trunc, V.f64_floor, V.f64_ceil];

/** Translate the F/D instruction (w, imm, raw) at page offset so; false: not an op this file translates */
export function emitFp(c: Code, op: Op, w: number, imm: number, raw: number, so: number): boolean {
  const rd = (w >>> 10) & 127, rs1 = (w >>> 17) & 127, rs2 = (w >>> 24) & 127, rs3 = (raw >>> 27) * 2;
  const d = ((raw >>> 25) & 3) === 1;
  const arith = ARITH[op], fmaNeg = FMA_NEG[op], cmp = CMP[op], toInt = TO_INT[op], fromInt = FROM_INT[op];
  if (op === Op.FLW || op === Op.FLD) {
    const size = op === Op.FLW ? 4 : 8;
    getX(c, rs1); c.i64(imm).op(W.i64_add).set(L_A);
    tlbIndex(c);
    guarded(c, w, imm, raw, so, true, () => tlbHit(c, ACC_LOAD, size), () => {
      c.get(L_XB); tlbHost(c, ACC_LOAD);
      if (size === 4) { c.mem(V.i64_load32_u as number as W, 2, 0); i64n(c, BOX); c.op(W.i64_or); } else c.mem(W.i64_load, 3, 0);
      c.mem(W.i64_store, 3, fOff(rd));
    });
  } else if (op === Op.FSW || op === Op.FSD) {
    const size = op === Op.FSW ? 4 : 8;
    getX(c, rs1); c.i64(imm).op(W.i64_add).set(L_A);
    tlbIndex(c);
    // hit, and not a page holding decoded code (the slow path's store drops that code)
    guarded(c, w, imm, raw, so, false, () => {
      tlbHit(c, ACC_STORE, size); c.u8(W.if_, I32);
      tlbHost(c, ACC_STORE); c.tee(L_H).i32(12).op(W.i32_shr_u).mem(W.i32_load8_u, 0, CODE_PAGE_BASE).op(W.i32_eqz);
      c.op(W.else_).i32(0).op(W.end);
    }, () => {
      c.get(L_H).get(L_XB).mem(W.i64_load, 3, fOff(rs2));
      c.mem(size === 4 ? V.i64_store32 as number as W : W.i64_store, size === 4 ? 2 : 3, 0);
    });
  } else if (arith !== undefined) {
    const operands = (): void => { getF(c, rs1, d); getF(c, rs2, d); if (op === Op.FSUB) o(c, V.f64_neg); };
    stickyNx(c, raw, d, rd, () => { operands(); o(c, HOST_ARITH[op]!); }, () => {
      fastF(c, w, imm, raw, so, rd, () => { operands(); call(c, arith[d ? 1 : 0]); },
        () => { if (!rmIs(c, raw, 'rne')) c.i32(0); });
    });
  } else if (op === Op.FSQRT) {
    stickyNx(c, raw, d, rd, () => { getF(c, rs1, d); o(c, V.f64_sqrt); }, () => {
      fastF(c, w, imm, raw, so, rd, () => { getF(c, rs1, d); call(c, d ? H.D_SQRT : H.S_SQRT); },
        () => { if (!rmIs(c, raw, 'rne')) c.i32(0); });
    });
  } else if (fmaNeg !== undefined) {
    fastF(c, w, imm, raw, so, rd, () => {
      getF(c, rs1, d); if (fmaNeg[0]) o(c, V.f64_neg);
      getF(c, rs2, d);
      getF(c, rs3, d); if (fmaNeg[1]) o(c, V.f64_neg);
      call(c, d ? H.D_FMA : H.S_FMA);
    }, () => { if (!rmIs(c, raw, 'rne')) c.i32(0); });
  } else if (op === Op.FCVT_S_D) {
    fastF(c, w, imm, raw, so, rd, () => { getF(c, rs1, true); call(c, H.D_TO_S); },
      () => { if (!rmIs(c, raw, 'rne')) c.i32(0); });
  } else if (op === Op.FCVT_D_S) {
    // exact; NaNs (signalling: NV) go to the library
    getF(c, rs1, false); c.set(L_F0);
    guarded(c, w, imm, raw, so, true, () => {
      c.get(L_F0).get(L_F0); o(c, V.f64_eq);
      if (!rmIs(c, raw, 'valid')) c.i32(0);
      c.op(W.i32_and);
    }, () => {
      c.get(L_XB).get(L_F0); o(c, V.i64_reinterpret_f64); c.mem(W.i64_store, 3, fOff(rd));
    });
  } else if (op === Op.FSGNJ || op === Op.FSGNJN || op === Op.FSGNJX) {
    // sign of rs2 (negated, or xor-ed with rs1's) on the magnitude of rs1; binary32 after the NaN-boxing check
    guarded(c, w, imm, raw, so, true, one(c), () => {
      c.get(L_XB);
      if (d) {
        c.get(L_XB).mem(W.i64_load, 3, fOff(rs1));
        if (op !== Op.FSGNJX) c.i64(-1).i64(1).op(W.i64_shr_u);
        c.get(L_XB).mem(W.i64_load, 3, fOff(rs2));
        if (op === Op.FSGNJN) c.i64(-1).op(W.i64_xor);
        i64n(c, -(2 ** 63)).op(W.i64_and);
        if (op === Op.FSGNJX) c.op(W.i64_xor); else c.set(L_B).op(W.i64_and).get(L_B).op(W.i64_or);
      } else {
        getS(c, rs1);
        if (op !== Op.FSGNJX) c.i32(0x7fffffff).op(W.i32_and);
        getS(c, rs2);
        if (op === Op.FSGNJN) c.i32(-1); else c.i32(0);
        o(c, V.i32_xor); c.i32(-0x80000000).op(W.i32_and);
        if (op === Op.FSGNJX) o(c, V.i32_xor); else c.op(W.i32_or);
        box(c);
      }
      c.mem(W.i64_store, 3, fOff(rd));
    });
  } else if (op === Op.FMIN || op === Op.FMAX) {
    fastF(c, w, imm, raw, so, rd, () => {
      c.get(L_XB).mem(W.i64_load, 3, fOff(rs1)).get(L_XB).mem(W.i64_load, 3, fOff(rs2));
      getF(c, rs1, d); getF(c, rs2, d); c.i32(op === Op.FMAX ? 1 : 0);
      call(c, H.MINMAX);
    }, one(c));
  } else if (cmp !== undefined) {
    // NaN operands (flags NV by the signalling / quiet rules) go to the library
    getF(c, rs1, d); c.set(L_F0); getF(c, rs2, d); c.set(L_F1);
    guarded(c, w, imm, raw, so, false, () => {
      c.get(L_F0).get(L_F0); o(c, V.f64_eq); c.get(L_F1).get(L_F1); o(c, V.f64_eq); c.op(W.i32_and);
    }, () => {
      xDest(c, rd); c.get(L_F0).get(L_F1); o(c, cmp); c.op(W.i64_extend_i32_u); xStore(c, rd);
    });
  } else if (op === Op.FCLASS) {
    guarded(c, w, imm, raw, so, false, one(c), () => {
      xDest(c, rd);
      if (d) {
        c.get(L_XB).mem(W.i64_load, 3, fOff(rs1)).set(L_A);
        c.get(L_A).i64(0).op(W.i64_lt_s as W);
        c.get(L_A).i64(52).op(W.i64_shr_u).op(W.i32_wrap_i64).i32(0x7ff).op(W.i32_and).tee(L_H).i32(0x7ff).op(W.i32_eq);
        c.get(L_H).op(W.i32_eqz);
        c.get(L_A); i64n(c, 2 ** 52 - 1); c.op(W.i64_and).i64(0).op(W.i64_ne);
        c.get(L_A).i64(51).op(W.i64_shr_u).op(W.i32_wrap_i64).i32(1).op(W.i32_and);
      } else {
        getS(c, rs1); c.tee(L_H).i32(0); o(c, V.i32_lt_s);
        c.get(L_H).i32(23).op(W.i32_shr_u).i32(0xff).op(W.i32_and).i32(0xff).op(W.i32_eq);
        c.get(L_H).i32(23).op(W.i32_shr_u).i32(0xff).op(W.i32_and).op(W.i32_eqz);
        c.get(L_H).i32(0x7fffff).op(W.i32_and).i32(0); o(c, V.i32_ne);
        c.get(L_H).i32(22).op(W.i32_shr_u).i32(1).op(W.i32_and);
      }
      call(c, H.CLASS);
      xStore(c, rd);
    });
  } else if (op === Op.FMV_X) {
    guarded(c, w, imm, raw, so, false, one(c), () => {
      xDest(c, rd); c.get(L_XB).mem(W.i64_load, 3, fOff(rs1));
      if (!d) c.op(W.i64_extend32_s);
      xStore(c, rd);
    });
  } else if (op === Op.FMV_F) {
    guarded(c, w, imm, raw, so, true, one(c), () => {
      c.get(L_XB); getX(c, rs1);
      if (!d) { c.op(W.i32_wrap_i64); box(c); }
      c.mem(W.i64_store, 3, fOff(rd));
    });
  } else if (toInt !== undefined) {
    const [lo, hi, trunc, word] = toInt;
    const rm = (raw >>> 12) & 7;
    if (rm === 4 || rm === 5 || rm === 6) return false;
    getF(c, rs1, d); c.set(L_F0);
    if (rm === 7) { c.get(L_F0); frm(c); call(c, H.ROUND); } else { c.get(L_F0); o(c, STATIC_ROUND[rm]!); }
    c.set(L_F1);
    // in range after rounding (NaN never is): the result is exact, NX when rounding changed the value
    guarded(c, w, imm, raw, so, true, () => {
      c.get(L_F1); f64c(c, lo); o(c, V.f64_ge); c.get(L_F1); f64c(c, hi); o(c, V.f64_le); c.op(W.i32_and);
    }, () => {
      xDest(c, rd); c.get(L_F1); o(c, trunc); if (word) c.op(W.i64_extend32_s);
      xStore(c, rd);
      c.get(L_F1).get(L_F0); o(c, V.f64_ne); c.tee(L_S).u8(W.if_, VOID); orFlags(c); c.op(W.end);
    });
  } else if (fromInt !== undefined) {
    const [word, uns] = fromInt;
    // x -> i64 (32-bit sources extended as their signedness says)
    getX(c, rs1); if (word) { c.op(W.i32_wrap_i64).op(uns ? W.i64_extend_i32_u : W.i64_extend_i32_s); }
    c.set(L_A);
    if (word && d) {
      // always exact
      guarded(c, w, imm, raw, so, true, () => { if (!rmIs(c, raw, 'valid')) c.i32(0); }, () => {
        c.get(L_XB).get(L_A); o(c, V.f64_convert_i64_s, V.i64_reinterpret_f64); c.mem(W.i64_store, 3, fOff(rd));
      });
    } else {
      // exact when the significant bits fit; else only in round-to-nearest-even (the host's conversion), NX
      c.get(L_A).i32(uns ? 1 : 0); call(c, H.SIGBITS); c.i32(d ? 54 : 25); o(c, V.i32_ge_s); c.set(L_S);
      guarded(c, w, imm, raw, so, true, () => {
        if (!rmIs(c, raw, 'valid')) c.i32(0);
        c.get(L_S).op(W.i32_eqz);
        if (!rmIs(c, raw, 'rne')) c.i32(0);
        c.op(W.i32_or).op(W.i32_and);
      }, () => {
        c.get(L_XB).get(L_A);
        if (d) o(c, uns ? V.f64_convert_i64_u : V.f64_convert_i64_s, V.i64_reinterpret_f64);
        else { o(c, uns ? V.f32_convert_i64_u : V.f32_convert_i64_s, V.i32_reinterpret_f32); box(c); }
        c.mem(W.i64_store, 3, fOff(rd));
        orFlags(c);
      });
    }
  } else return false;
  return true;
}
