// Zvksed: the SM4 block cipher (GB/T 32907-2016) on 128-bit element groups: vsm4k.vi makes four round keys,
// vsm4r.vv/.vs runs four rounds. Words are SM4's own (the program byte-swaps big-endian data with vrev8). The
// S-box is computed from its algebraic form (GF(2^8) inverse mod x^8+x^7+x^6+x^5+x^4+x^2+1 between two copies of
// the affine map whose matrix rows are 0xD3 rotated, constant 0xD3), not typed in; the SM4 standard's test
// vector checks it (test/hart/vector/crypto.test.ts).
import { Op } from '../ops.js';
import type { InsnDef } from '../decode.js';
import { exact, type Semantics, type ExecFn } from './enc.js';
import { vdOf, vs1Of, vs2Of } from './v-common.js';
import { zvkMatch, ZVK_MASK, ZVK_MASK_VS1, egConf, disjoint, readGroup, writeGroup, egDone, rotl32 } from './v-zvk.js';

export const encodings: InsnDef[] = [
  exact('vsm4k.vi', 'zvksed', Op.VSM4, zvkMatch(0x21), ZVK_MASK, 'NONE'),
  exact('vsm4r.vv', 'zvksed', Op.VSM4, zvkMatch(0x28, 0x10), ZVK_MASK_VS1, 'NONE'),
  exact('vsm4r.vs', 'zvksed', Op.VSM4, zvkMatch(0x29, 0x10), ZVK_MASK_VS1, 'NONE'),
];

function gmul(a: number, b: number): number {
  let r = 0;
  for (; b !== 0; b >>>= 1) { if (b & 1) r ^= a; a <<= 1; if (a & 0x100) a ^= 0x1f5; }
  return r;
}
const parity = (x: number): number => { x ^= x >>> 4; x ^= x >>> 2; x ^= x >>> 1; return x & 1; };
function affine(x: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) r |= parity((((0xd3 >>> i) | (0xd3 << (8 - i))) & 0xff) & x) << (7 - i);
  return r ^ 0xd3;
}
const SBOX = new Uint8Array(256);
for (let x = 0; x < 256; x++) {
  const a = affine(x);
  let inv = 0;
  for (let y = 1; y < 256 && a !== 0; y++) if (gmul(a, y) === 1) { inv = y; break; }
  SBOX[x] = affine(inv);
}
/** the system parameter CK: byte j of CK[i] is (4i + j) * 7 mod 256, most significant byte first */
const CK = new Int32Array(32);
for (let i = 0; i < 32; i++) for (let j = 0; j < 4; j++) CK[i] |= (((4 * i + j) * 7) & 0xff) << (24 - 8 * j);

const tau = (x: number): number =>
  SBOX[x & 0xff]! | (SBOX[(x >>> 8) & 0xff]! << 8) | (SBOX[(x >>> 16) & 0xff]! << 16) | (SBOX[x >>> 24]! << 24);
/** the key schedule's T' (L' after tau) and the rounds' T (L after tau) */
const tKey = (x: number): number => { const b = tau(x); return b ^ rotl32(b, 13) ^ rotl32(b, 23); };
const tRound = (x: number): number => { const b = tau(x); return b ^ rotl32(b, 2) ^ rotl32(b, 10) ^ rotl32(b, 18) ^ rotl32(b, 24); };

// words 0..3: the input (key words or state), 4..7: round keys, then the four outputs extend the sequence
const w = new Int32Array(8), x = new Int32Array(8);

const vsm4: ExecFn = (h, _w, _imm, raw) => {
  const f6 = raw >>> 26, scalarKey = f6 === 0x29;
  const v = egConf(h, raw, 4, 128, false, scalarKey);
  const vd = vdOf(raw), vs2 = vs2Of(raw);
  if (scalarKey) disjoint(h, raw, v, vd, vs2, 1);
  const rnd = vs1Of(raw) & 7;
  for (let eg = v.vstart >>> 2, n = v.vl >>> 2; eg < n; eg++) {
    if (f6 === 0x21) { // K[i+4] = K[i] ^ T'(K[i+1] ^ K[i+2] ^ K[i+3] ^ CK[i]) for rounds 4*rnd .. 4*rnd+3
      readGroup(v, vs2, eg, x, 0);
      for (let k = 0; k < 4; k++) x[4 + k] = x[k]! ^ tKey(x[k + 1]! ^ x[k + 2]! ^ x[k + 3]! ^ CK[4 * rnd + k]!);
      writeGroup(v, vd, eg, x, 4);
      continue;
    }
    readGroup(v, vd, eg, x, 0);
    readGroup(v, vs2, scalarKey ? 0 : eg, w, 0);
    for (let k = 0; k < 4; k++) x[4 + k] = x[k]! ^ tRound(x[k + 1]! ^ x[k + 2]! ^ x[k + 3]! ^ w[k]!);
    writeGroup(v, vd, eg, x, 4);
  }
  egDone(h, v);
};

export const semantics: Semantics = [[Op.VSM4, vsm4]];
