// Exact reference model for the FP tests, written independently of src/hart/fp: values are BigInt
// rationals, every operation is computed exactly and then rounded to the target format by one generic
// routine (IEEE 754 rounding, RISC-V flags, tininess after rounding). Slow, simple, and obviously right.

export interface Fmt {
  readonly width: 16 | 32 | 64;
  readonly p: number; // precision including the implicit bit
  readonly emin: number;
  readonly emax: number;
}
export const F32: Fmt = { width: 32, p: 24, emin: -126, emax: 127 };
export const F64: Fmt = { width: 64, p: 53, emin: -1022, emax: 1023 };
export const F16: Fmt = { width: 16, p: 11, emin: -14, emax: 15 };

export const NV = 16, DZ = 8, OF = 4, UF = 2, NX = 1;
export const RNE = 0, RTZ = 1, RDN = 2, RUP = 3, RMM = 4;
export const ALL_RM = [RNE, RTZ, RDN, RUP, RMM];

export interface Result { bits: bigint; flags: number }

export type Val =
  | { kind: 'nan'; signaling: boolean }
  | { kind: 'inf'; neg: boolean }
  | { kind: 'fin'; neg: boolean; m: bigint; e: number }; // value m * 2^e, m >= 0 (0 = a zero)

const fracBits = (f: Fmt) => f.p - 1;
const expBits = (f: Fmt) => f.width - f.p;
const bias = (f: Fmt) => f.emax;

export function decode(bits: bigint, f: Fmt): Val {
  const fb = BigInt(fracBits(f));
  const frac = bits & ((1n << fb) - 1n);
  const expField = Number((bits >> fb) & ((1n << BigInt(expBits(f))) - 1n));
  const neg = ((bits >> BigInt(f.width - 1)) & 1n) === 1n;
  const maxExp = (1 << expBits(f)) - 1;
  if (expField === maxExp) {
    if (frac === 0n) return { kind: 'inf', neg };
    return { kind: 'nan', signaling: ((frac >> (fb - 1n)) & 1n) === 0n };
  }
  if (expField === 0) return { kind: 'fin', neg, m: frac, e: f.emin - fracBits(f) };
  return { kind: 'fin', neg, m: frac | (1n << fb), e: expField - bias(f) - fracBits(f) };
}

export function canonicalNaN(f: Fmt): bigint {
  return f.width === 32 ? 0x7fc00000n : f.width === 16 ? 0x7e00n : 0x7ff8000000000000n;
}
export function infinity(f: Fmt, neg: boolean): bigint {
  const b = ((1n << BigInt(expBits(f))) - 1n) << BigInt(fracBits(f));
  return neg ? b | (1n << BigInt(f.width - 1)) : b;
}
export function zero(f: Fmt, neg: boolean): bigint {
  return neg ? 1n << BigInt(f.width - 1) : 0n;
}
export function maxFinite(f: Fmt, neg: boolean): bigint {
  return infinity(f, neg) - 1n;
}

// ------------------------------------------------------------------ exact positive values

/** A positive exact value that can be rounded: floor(log2) and scaled floor with remainder class. */
export interface Exact {
  log2floor(): number;
  /** floor(v / 2^qe), whether that was exact, and the remainder compared with one half (-1, 0, 1) */
  scaled(qe: number): { q: bigint; exact: boolean; half: number };
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

export function rational(n: bigint, d: bigint): Exact {
  if (n <= 0n || d <= 0n) throw new Error('rational: positive values only');
  return {
    log2floor() {
      let e = bitLength(n) - bitLength(d);
      const below = e >= 0 ? n < d << BigInt(e) : n << BigInt(-e) < d;
      if (below) e--;
      return e;
    },
    scaled(qe: number) {
      const N = qe >= 0 ? n : n << BigInt(-qe);
      const D = qe >= 0 ? d << BigInt(qe) : d;
      const q = N / D;
      const r = N - q * D;
      const twice = 2n * r;
      return { q, exact: r === 0n, half: twice < D ? -1 : twice === D ? 0 : 1 };
    },
  };
}

export function dyadic(m: bigint, e: number): Exact {
  return e >= 0 ? rational(m << BigInt(e), 1n) : rational(m, 1n << BigInt(-e));
}

export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(bitLength(n) / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** sqrt(n/d) */
export function sqrtRational(n: bigint, d: bigint): Exact {
  const inner = rational(n, d);
  return {
    log2floor() {
      return Math.floor(inner.log2floor() / 2);
    },
    scaled(qe: number) {
      // sqrt(v) / 2^qe = sqrt(n / (d * 4^qe))
      const Yn = qe >= 0 ? n : n << BigInt(-2 * qe);
      const Yd = qe >= 0 ? d << BigInt(2 * qe) : d;
      const q = isqrt(Yn / Yd);
      const exact = Yn === q * q * Yd;
      const lhs = 4n * Yn;
      const rhs = (2n * q + 1n) * (2n * q + 1n) * Yd;
      return { q, exact, half: lhs < rhs ? -1 : lhs === rhs ? 0 : 1 };
    },
  };
}

function roundUp(neg: boolean, q: bigint, exact: boolean, half: number, rm: number): boolean {
  if (exact) return false;
  switch (rm) {
    case RNE: return half > 0 || (half === 0 && (q & 1n) === 1n);
    case RTZ: return false;
    case RDN: return neg;
    case RUP: return !neg;
    case RMM: return half >= 0;
    default: throw new Error(`bad rm ${rm}`);
  }
}

/** Round ±v (v > 0) to the format: IEEE 754 with RISC-V flags, tininess after rounding. */
export function roundTo(neg: boolean, v: Exact, f: Fmt, rm: number): Result {
  const E = v.log2floor();
  const p = f.p;
  // tininess: round to p bits with an unbounded exponent; tiny if the result is below 2^emin
  const qeU = E - (p - 1);
  const u = v.scaled(qeU);
  const uq = u.q + (roundUp(neg, u.q, u.exact, u.half, rm) ? 1n : 0n);
  const tiny = bitLength(uq) - 1 + qeU < f.emin;

  let qe = Math.max(E, f.emin) - (p - 1);
  const s = v.scaled(qe);
  let q = s.q + (roundUp(neg, s.q, s.exact, s.half, rm) ? 1n : 0n);
  const inexact = !s.exact;
  if (q === 1n << BigInt(p)) {
    q >>= 1n;
    qe++;
  }
  let flags = inexact ? NX : 0;
  if (inexact && tiny) flags |= UF;
  const signBit = neg ? 1n << BigInt(f.width - 1) : 0n;
  if (q === 0n) return { bits: signBit, flags };
  const normal = q >= 1n << BigInt(p - 1);
  if (normal) {
    const exp = qe + p - 1;
    if (exp > f.emax) {
      const toInf = rm === RNE || rm === RMM || (rm === RDN && neg) || (rm === RUP && !neg);
      return { bits: toInf ? infinity(f, neg) : maxFinite(f, neg), flags: OF | NX };
    }
    const field = BigInt(exp + bias(f));
    return { bits: signBit | (field << BigInt(p - 1)) | (q - (1n << BigInt(p - 1))), flags };
  }
  return { bits: signBit | q, flags };
}

/** Round a signed rational n/d (d > 0, n != 0). */
function roundSigned(n: bigint, d: bigint, f: Fmt, rm: number): Result {
  return n < 0n ? roundTo(true, rational(-n, d), f, rm) : roundTo(false, rational(n, d), f, rm);
}

// ------------------------------------------------------------------ operations

const isSNaN = (v: Val) => v.kind === 'nan' && v.signaling;
const isZero = (v: Val) => v.kind === 'fin' && v.m === 0n;

function nanResult(f: Fmt, ...vals: Val[]): Result {
  return { bits: canonicalNaN(f), flags: vals.some(isSNaN) ? NV : 0 };
}

/** signed value as n / 2^k with a common k for all operands */
function asScaled(v: Val & { kind: 'fin' }, k: number): bigint {
  const m = v.neg ? -v.m : v.m;
  return m << BigInt(v.e + k);
}
const SCALE = 1200; // every finite value of both formats times 2^SCALE... is an integer (doubled for products)

export function refAdd(f: Fmt, ab: bigint, bb: bigint, rm: number, subtract = false): Result {
  const a = decode(ab, f);
  let b = decode(bb, f);
  if (subtract && b.kind !== 'nan') b = { ...b, neg: !b.neg };
  if (a.kind === 'nan' || b.kind === 'nan') return nanResult(f, a, b);
  if (a.kind === 'inf' || b.kind === 'inf') {
    if (a.kind === 'inf' && b.kind === 'inf' && a.neg !== b.neg) return { bits: canonicalNaN(f), flags: NV };
    return { bits: infinity(f, a.kind === 'inf' ? a.neg : (b as { neg: boolean }).neg), flags: 0 };
  }
  const sum = asScaled(a, SCALE) + asScaled(b, SCALE);
  if (sum === 0n) {
    const neg = isZero(a) && isZero(b) && a.neg === b.neg ? a.neg : rm === RDN;
    return { bits: zero(f, neg), flags: 0 };
  }
  return roundSigned(sum, 1n << BigInt(SCALE), f, rm);
}

export function refMul(f: Fmt, ab: bigint, bb: bigint, rm: number): Result {
  const a = decode(ab, f);
  const b = decode(bb, f);
  if (a.kind === 'nan' || b.kind === 'nan') return nanResult(f, a, b);
  const neg = (a as { neg: boolean }).neg !== (b as { neg: boolean }).neg;
  if (a.kind === 'inf' || b.kind === 'inf') {
    if (isZero(a) || isZero(b)) return { bits: canonicalNaN(f), flags: NV };
    return { bits: infinity(f, neg), flags: 0 };
  }
  if (a.m === 0n || b.m === 0n) return { bits: zero(f, neg), flags: 0 };
  return roundTo(neg, dyadic(a.m * b.m, a.e + b.e), f, rm);
}

export function refDiv(f: Fmt, ab: bigint, bb: bigint, rm: number): Result {
  const a = decode(ab, f);
  const b = decode(bb, f);
  if (a.kind === 'nan' || b.kind === 'nan') return nanResult(f, a, b);
  const neg = (a as { neg: boolean }).neg !== (b as { neg: boolean }).neg;
  if (a.kind === 'inf') return b.kind === 'inf' ? { bits: canonicalNaN(f), flags: NV } : { bits: infinity(f, neg), flags: 0 };
  if (b.kind === 'inf') return { bits: zero(f, neg), flags: 0 };
  if (b.m === 0n) return a.m === 0n ? { bits: canonicalNaN(f), flags: NV } : { bits: infinity(f, neg), flags: DZ };
  if (a.m === 0n) return { bits: zero(f, neg), flags: 0 };
  // (ma 2^ea) / (mb 2^eb)
  const k = a.e - b.e;
  const n = k >= 0 ? a.m << BigInt(k) : a.m;
  const d = k >= 0 ? b.m : b.m << BigInt(-k);
  return roundTo(neg, rational(n, d), f, rm);
}

export function refSqrt(f: Fmt, ab: bigint, rm: number): Result {
  const a = decode(ab, f);
  if (a.kind === 'nan') return nanResult(f, a);
  if (a.kind === 'fin' && a.m === 0n) return { bits: zero(f, a.neg), flags: 0 };
  if (a.neg) return { bits: canonicalNaN(f), flags: NV };
  if (a.kind === 'inf') return { bits: infinity(f, false), flags: 0 };
  const n = a.e >= 0 ? a.m << BigInt(a.e) : a.m;
  const d = a.e >= 0 ? 1n : 1n << BigInt(-a.e);
  return roundTo(false, sqrtRational(n, d), f, rm);
}

/** (negProduct ? -(a*b) : a*b) + (negAddend ? -c : c), rounded once */
export function refFma(f: Fmt, ab: bigint, bb: bigint, cb: bigint, rm: number, negProduct = false, negAddend = false): Result {
  const a = decode(ab, f);
  const b = decode(bb, f);
  let c = decode(cb, f);
  const invalidProduct = (a.kind === 'inf' && isZero(b)) || (b.kind === 'inf' && isZero(a));
  if (a.kind === 'nan' || b.kind === 'nan' || c.kind === 'nan') {
    return { bits: canonicalNaN(f), flags: [a, b, c].some(isSNaN) || invalidProduct ? NV : 0 };
  }
  if (invalidProduct) return { bits: canonicalNaN(f), flags: NV };
  if (negAddend) c = { ...c, neg: !c.neg };
  const pNeg = (a.neg !== b.neg) !== negProduct;
  if (a.kind === 'inf' || b.kind === 'inf') {
    if (c.kind === 'inf' && c.neg !== pNeg) return { bits: canonicalNaN(f), flags: NV };
    return { bits: infinity(f, pNeg), flags: 0 };
  }
  if (c.kind === 'inf') return { bits: infinity(f, c.neg), flags: 0 };
  if (a.kind !== 'fin' || b.kind !== 'fin') throw new Error('unreachable');
  const pm = a.m * b.m;
  const product = (pNeg ? -pm : pm) << BigInt(a.e + b.e + 2 * SCALE);
  const sum = product + asScaled(c, 2 * SCALE);
  if (sum === 0n) {
    const neg = pm === 0n && c.m === 0n && pNeg === c.neg ? pNeg : rm === RDN;
    return { bits: zero(f, neg), flags: 0 };
  }
  return roundSigned(sum, 1n << BigInt(2 * SCALE), f, rm);
}

// ------------------------------------------------------------------ conversions

export type IntKind = 'w' | 'wu' | 'l' | 'lu';
const INT_RANGE: Record<IntKind, [bigint, bigint]> = {
  w: [-(1n << 31n), (1n << 31n) - 1n],
  wu: [0n, (1n << 32n) - 1n],
  l: [-(1n << 63n), (1n << 63n) - 1n],
  lu: [0n, (1n << 64n) - 1n],
};

/** fcvt.<kind>.<fmt>: the integer result as a 64-bit pattern (32-bit kinds sign-extended), with flags */
export function refToInt(f: Fmt, ab: bigint, kind: IntKind, rm: number): Result {
  const a = decode(ab, f);
  const [lo, hi] = INT_RANGE[kind];
  const pattern = (v: bigint) => {
    const w = kind === 'w' || kind === 'wu' ? BigInt.asIntN(32, v) : v;
    return BigInt.asUintN(64, w);
  };
  if (a.kind === 'nan') return { bits: pattern(hi), flags: NV };
  if (a.kind === 'inf') return { bits: pattern(a.neg ? lo : hi), flags: NV };
  let v = 0n;
  let inexact = false;
  if (a.m !== 0n) {
    const s = dyadic(a.m, a.e).scaled(0);
    v = s.q + (roundUp(a.neg, s.q, s.exact, s.half, rm) ? 1n : 0n);
    inexact = !s.exact;
    if (a.neg) v = -v;
  }
  if (v < lo) return { bits: pattern(lo), flags: NV };
  if (v > hi) return { bits: pattern(hi), flags: NV };
  return { bits: pattern(v), flags: inexact ? NX : 0 };
}

/** fcvt.<fmt>.<kind>: v is the integer's value */
export function refFromInt(f: Fmt, v: bigint, rm: number): Result {
  if (v === 0n) return { bits: 0n, flags: 0 };
  return v < 0n ? roundTo(true, rational(-v, 1n), f, rm) : roundTo(false, rational(v, 1n), f, rm);
}

/** fcvt between formats */
export function refConvert(from: Fmt, to: Fmt, ab: bigint, rm: number): Result {
  const a = decode(ab, from);
  if (a.kind === 'nan') return nanResult(to, a);
  if (a.kind === 'inf') return { bits: infinity(to, a.neg), flags: 0 };
  if (a.m === 0n) return { bits: zero(to, a.neg), flags: 0 };
  return roundTo(a.neg, dyadic(a.m, a.e), to, rm);
}

/** exact comparison of two non-NaN values: -1, 0, 1 (zeros equal) */
export function compareValues(a: Val, b: Val): number {
  const key = (v: Val): bigint | number => {
    if (v.kind === 'inf') return v.neg ? -Infinity : Infinity;
    if (v.kind === 'nan') throw new Error('NaN has no order');
    const m = v.neg ? -v.m : v.m;
    return m << BigInt(v.e + SCALE);
  };
  const ka = key(a);
  const kb = key(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** round to integral value in the same format (Zfa fround/froundnx) */
export function refRoundIntegral(f: Fmt, ab: bigint, rm: number, exact: boolean): Result {
  const a = decode(ab, f);
  if (a.kind === 'nan') return nanResult(f, a);
  if (a.kind === 'inf' || a.m === 0n) return { bits: ab, flags: 0 };
  const s = dyadic(a.m, a.e).scaled(0);
  const v = s.q + (roundUp(a.neg, s.q, s.exact, s.half, rm) ? 1n : 0n);
  const flags = exact && !s.exact ? NX : 0;
  if (v === 0n) return { bits: zero(f, a.neg), flags };
  const r = roundTo(a.neg, rational(v, 1n), f, RNE); // an integer of a representable magnitude: exact
  return { bits: r.bits, flags };
}

// ------------------------------------------------------------------ random operands

/** small deterministic PRNG (mulberry32) so failures reproduce */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  int(n: number): number { return Math.floor((this.u32() / 4294967296) * n); }
  bits(n: number): bigint {
    let v = 0n;
    for (let i = 0; i < n; i += 32) v = (v << 32n) | BigInt(this.u32());
    return v & ((1n << BigInt(n)) - 1n);
  }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]; }
}

/** a random encoding biased toward edge cases: specials, boundaries, short significands (ties, exact results) */
export function randomFloat(rng: Rng, f: Fmt): bigint {
  const fb = fracBits(f);
  const maxExp = (1 << expBits(f)) - 1;
  const sign = BigInt(rng.int(2)) << BigInt(f.width - 1);
  const enc = (exp: number, frac: bigint) => sign | (BigInt(exp) << BigInt(fb)) | (frac & ((1n << BigInt(fb)) - 1n));
  const shortFrac = () => {
    // only the top k fraction bits random: products and sums of such values land on exact/tie results
    const k = rng.int(8);
    return k === 0 ? 0n : rng.bits(k) << BigInt(fb - k);
  };
  const frac = () => {
    switch (rng.int(6)) {
      case 0: return shortFrac();
      case 1: return (1n << BigInt(fb)) - 1n - rng.bits(rng.int(4)); // all ones
      case 2: return (shortFrac() | 1n); // top bits and the last bit
      default: return rng.bits(fb);
    }
  };
  switch (rng.int(16)) {
    case 0: return enc(0, 0n); // zero
    case 1: return enc(maxExp, 0n); // infinity
    case 2: return rng.int(2) ? enc(maxExp, (1n << BigInt(fb - 1)) | rng.bits(fb - 1)) : enc(maxExp, rng.bits(fb - 1) | 1n); // qNaN / sNaN
    case 3: return enc(0, frac() || 1n); // subnormal
    case 4: return enc(1 + rng.int(3), frac()); // just above the subnormal range
    case 5: return enc(maxExp - 1 - rng.int(3), frac()); // near overflow
    case 6: return enc(bias(f) + rng.int(5) - 2, frac()); // around 1
    case 7: return enc(Math.min(maxExp - 1, Math.max(1, bias(f) + rng.int(70) - 35)), frac());
    default: return enc(1 + rng.int(maxExp - 1), frac());
  }
}

/** f64 bits -> [lo, hi] int32 halves */
export function halves(bits: bigint): [number, number] {
  return [Number(BigInt.asIntN(32, bits & 0xffffffffn)), Number(BigInt.asIntN(32, bits >> 32n))];
}

export function hex(v: bigint, width: number): string {
  return '0x' + BigInt.asUintN(width, v).toString(16).padStart(width / 4, '0');
}
