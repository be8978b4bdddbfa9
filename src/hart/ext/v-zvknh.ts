// Zvknha (SHA-256) and Zvknhb (SHA-256 and SHA-512), FIPS 180-4: vsha2ms.vv computes four message-schedule words,
// vsha2ch.vv / vsha2cl.vv two compression rounds, on element groups of four SEW-bit words (SEW 32: SHA-256, SEW 64:
// SHA-512, Zvknhb only). Words are the algorithm's own (big-endian data is byte-swapped by the program, vrev8).
// One code path serves both widths: words are (lo, hi) pairs, hi = 0 at SEW 32, and the rotation amounts come
// from a table per width.
import { Op } from '../ops.js';
import type { InsnDef } from '../decode.js';
import { exact, type Semantics, type ExecFn } from './enc.js';
import type { VectorUnit } from '../vector/unit.js';
import { E, add64, srl64, sll64, vdOf, vs1Of, vs2Of } from './v-common.js';
import { zvkMatch, ZVK_MASK, egConf, disjoint, egDone } from './v-zvk.js';

// Zvknhb rows first: with both extensions the superset's row decodes (and is what --profile counts)
const rows = (ext: string): InsnDef[] => [
  exact('vsha2ms.vv', ext, Op.VSHA2, zvkMatch(0x2d), ZVK_MASK, 'NONE'),
  exact('vsha2ch.vv', ext, Op.VSHA2, zvkMatch(0x2e), ZVK_MASK, 'NONE'),
  exact('vsha2cl.vv', ext, Op.VSHA2, zvkMatch(0x2f), ZVK_MASK, 'NONE'),
];
export const encodings: InsnDef[] = [...rows('zvknhb'), ...rows('zvknha')];

let sew = 32;
function rotr(lo: number, hi: number, s: number): number {
  if (sew === 32) { E.hi = 0; return (lo >>> s) | (lo << (32 - s)); }
  const rl = srl64(lo, hi, s), rh = E.hi;
  const ll = sll64(lo, hi, 64 - s);
  E.hi |= rh;
  return ll | rl;
}
function shr(lo: number, hi: number, s: number): number {
  if (sew === 32) { E.hi = 0; return lo >>> s | 0; }
  return srl64(lo, hi, s);
}
function add(alo: number, ahi: number, blo: number, bhi: number): number {
  if (sew === 32) { E.hi = 0; return (alo + blo) | 0; }
  return add64(alo, ahi, blo, bhi);
}
// sigma0, sigma1 (last term a shift), Sigma0, Sigma1 (three rotations): amounts per SEW (FIPS 180-4 4.1.2/4.1.3)
const AMOUNTS: Record<number, readonly number[]> = {
  32: [7, 18, 3, 17, 19, 10, 2, 13, 22, 6, 11, 25],
  64: [1, 8, 7, 19, 61, 6, 28, 34, 39, 14, 18, 41],
};
/** function f (0 sigma0, 1 sigma1, 2 Sigma0, 3 Sigma1) of (lo, hi) */
function fn(f: number, lo: number, hi: number): number {
  const a = AMOUNTS[sew]!, k = 3 * f;
  const l1 = rotr(lo, hi, a[k]!), h1 = E.hi;
  const l2 = rotr(lo, hi, a[k + 1]!), h2 = E.hi;
  const l3 = f < 2 ? shr(lo, hi, a[k + 2]!) : rotr(lo, hi, a[k + 2]!);
  E.hi ^= h1 ^ h2;
  return l1 ^ l2 ^ l3;
}

// words as pairs: the 20 schedule words of vsha2ms, or a..h and the two message words
const lo = new Int32Array(20), hi = new Int32Array(20);
function load(v: VectorUnit, reg: number, eg: number, at: number, k0 = 0, n = 4): void {
  for (let k = k0; k < k0 + n; k++) { lo[at + k - k0] = v.get(reg, 4 * eg + k, sew, false); hi[at + k - k0] = E.hi; }
}
/** W[16 + j] = sigma1(W[14 + j]) + W[9 + j] + sigma0(W[1 + j]) + W[j] */
function schedule(j: number): void {
  let sl = fn(1, lo[14 + j]!, hi[14 + j]!), sh = E.hi;
  sl = add(sl, sh, lo[9 + j]!, hi[9 + j]!); sh = E.hi;
  const s0 = fn(0, lo[1 + j]!, hi[1 + j]!);
  sl = add(sl, sh, s0, E.hi); sh = E.hi;
  lo[16 + j] = add(sl, sh, lo[j]!, hi[j]!); hi[16 + j] = E.hi;
}

// compression state: indexes of a..h in lo/hi, and the two message words (plus constants)
const A = 0, B = 1, C = 2, D = 3, EW = 4, F = 5, G = 6, H = 7, W0 = 8, W1 = 9;
const ORDER = new Int32Array(8); // ORDER[name] = the word now holding it (a round renames words, it does not copy)
const RESULT = [F, EW, B, A]; // what vsha2c[hl] writes: {f, e, b, a} after its two rounds
function compressRound(w: number): void {
  const a = ORDER[A]!, b = ORDER[B]!, c = ORDER[C]!, d = ORDER[D]!, e = ORDER[EW]!, f = ORDER[F]!, g = ORDER[G]!, h = ORDER[H]!;
  // T1 = h + Sigma1(e) + Ch(e, f, g) + w
  let tl = fn(3, lo[e]!, hi[e]!), th = E.hi;
  tl = add(tl, th, lo[h]!, hi[h]!); th = E.hi;
  tl = add(tl, th, (lo[e]! & lo[f]!) ^ (~lo[e]! & lo[g]!), (hi[e]! & hi[f]!) ^ (~hi[e]! & hi[g]!)); th = E.hi;
  tl = add(tl, th, lo[w]!, hi[w]!); th = E.hi;
  // T2 = Sigma0(a) + Maj(a, b, c)
  let ul = fn(2, lo[a]!, hi[a]!), uh = E.hi;
  ul = add(ul, uh, (lo[a]! & lo[b]!) ^ (lo[a]! & lo[c]!) ^ (lo[b]! & lo[c]!), (hi[a]! & hi[b]!) ^ (hi[a]! & hi[c]!) ^ (hi[b]! & hi[c]!)); uh = E.hi;
  lo[d] = add(lo[d]!, hi[d]!, tl, th); hi[d] = E.hi; // the new e
  lo[h] = add(tl, th, ul, uh); hi[h] = E.hi; // the new a
  ORDER[H] = g; ORDER[G] = f; ORDER[F] = e; ORDER[EW] = d; ORDER[D] = c; ORDER[C] = b; ORDER[B] = a; ORDER[A] = h;
}

const vsha2: ExecFn = (h, _w, _imm, raw) => {
  const v = egConf(h, raw, 4, 4 * 32, true);
  sew = v.sew;
  if (sew === 64 && !h.isa.has('zvknhb')) h.illegal(raw);
  if (v.lmulOf(v.vlmul) * v.vlen < 4 * sew) h.illegal(raw);
  const vd = vdOf(raw), vs2 = vs2Of(raw), vs1 = vs1Of(raw), g = v.groupRegs, f6 = raw >>> 26;
  disjoint(h, raw, v, vd, vs1, g); disjoint(h, raw, v, vd, vs2, g);
  if ((vs1 & (g - 1)) !== 0) h.illegal(raw);
  for (let eg = v.vstart >>> 2, n = v.vl >>> 2; eg < n; eg++) {
    if (f6 === 0x2d) {
      load(v, vd, eg, 0); load(v, vs2, eg, 4, 0, 1); load(v, vs2, eg, 9, 1, 3); load(v, vs1, eg, 12);
      for (let j = 0; j < 4; j++) schedule(j);
      for (let k = 0; k < 4; k++) v.set(vd, 4 * eg + k, sew, lo[16 + k]!, hi[16 + k]!);
      continue;
    }
    // vs2 = {f, e, b, a}, vd = {h, g, d, c}; vs1 = message words plus constants: cl uses elements 0, 1, ch 2, 3
    load(v, vs2, eg, F, 0, 1); load(v, vs2, eg, EW, 1, 1); load(v, vs2, eg, B, 2, 1); load(v, vs2, eg, A, 3, 1);
    load(v, vd, eg, H, 0, 1); load(v, vd, eg, G, 1, 1); load(v, vd, eg, D, 2, 1); load(v, vd, eg, C, 3, 1);
    load(v, vs1, eg, W0, f6 === 0x2f ? 0 : 2, 2);
    for (let k = 0; k < 8; k++) ORDER[k] = k;
    compressRound(W0);
    compressRound(W1);
    for (let k = 0; k < 4; k++) { const src = ORDER[RESULT[k]!]!; v.set(vd, 4 * eg + k, sew, lo[src]!, hi[src]!); }
  }
  egDone(h, v);
};

export const semantics: Semantics = [[Op.VSHA2, vsha2]];
