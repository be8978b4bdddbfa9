// Zvkned: AES (FIPS-197) rounds and key expansion on 128-bit element groups (4 x e32). A group's 16 bytes are the
// AES state in FIPS-197 order (byte k = row k % 4 of column k / 4), which is what vle32.v of the block gives, so
// element j is column j as a little-endian word. The S-boxes are computed once from their definition (inverse in
// GF(2^8) mod x^8+x^4+x^3+x+1, then the affine map), not typed in.
import { Op } from '../ops.js';
import type { InsnDef } from '../decode.js';
import { exact, type Semantics, type ExecFn } from './enc.js';
import { vdOf, vs1Of, vs2Of } from './v-common.js';
import { zvkMatch, ZVK_MASK, ZVK_MASK_VS1, egConf, disjoint, readGroup, writeGroup, egDone } from './v-zvk.js';

const vv = (name: string, f6: number, sel: number): InsnDef => exact(name, 'zvkned', Op.VAES, zvkMatch(f6, sel), ZVK_MASK_VS1, 'NONE');
export const encodings: InsnDef[] = [
  vv('vaesdf.vv', 0x28, 1), vv('vaesdf.vs', 0x29, 1), vv('vaesdm.vv', 0x28, 0), vv('vaesdm.vs', 0x29, 0),
  vv('vaesef.vv', 0x28, 3), vv('vaesef.vs', 0x29, 3), vv('vaesem.vv', 0x28, 2), vv('vaesem.vs', 0x29, 2),
  vv('vaesz.vs', 0x29, 7),
  exact('vaeskf1.vi', 'zvkned', Op.VAES, zvkMatch(0x22), ZVK_MASK, 'NONE'),
  exact('vaeskf2.vi', 'zvkned', Op.VAES, zvkMatch(0x2a), ZVK_MASK, 'NONE'),
];

const xtime = (b: number): number => ((b << 1) ^ (b & 0x80 ? 0x11b : 0)) & 0xff;
function gmul(a: number, b: number): number {
  let r = 0;
  for (; b !== 0; b >>>= 1, a = xtime(a)) if (b & 1) r ^= a;
  return r;
}
const SBOX = new Uint8Array(256), INV_SBOX = new Uint8Array(256);
for (let x = 0; x < 256; x++) {
  let inv = 0;
  for (let y = 1; y < 256 && x !== 0; y++) if (gmul(x, y) === 1) { inv = y; break; }
  let s = inv;
  for (let k = 1; k <= 4; k++) s ^= ((inv << k) | (inv >>> (8 - k))) & 0xff;
  SBOX[x] = s ^ 0x63;
  INV_SBOX[s ^ 0x63] = x;
}
const RCON = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36];

/** SubWord on a little-endian word */
export function aesSubWord(w: number): number {
  return SBOX[w & 0xff]! | (SBOX[(w >>> 8) & 0xff]! << 8) | (SBOX[(w >>> 16) & 0xff]! << 16) | (SBOX[w >>> 24]! << 24);
}

const st = new Uint8Array(16), tmp = new Uint8Array(16);
const words = new Int32Array(12);
function toBytes(at: number): void {
  for (let c = 0; c < 4; c++) { const w = words[at + c]!; for (let r = 0; r < 4; r++) st[4 * c + r] = w >>> (8 * r); }
}
function fromBytes(at: number): void {
  for (let c = 0; c < 4; c++) words[at + c] = st[4 * c]! | (st[4 * c + 1]! << 8) | (st[4 * c + 2]! << 16) | (st[4 * c + 3]! << 24);
}
/** SubBytes then ShiftRows (forward), or InvShiftRows then InvSubBytes */
function subShift(inverse: boolean): void {
  for (let k = 0; k < 16; k++) tmp[k] = st[k]!;
  for (let c = 0; c < 4; c++) {
    for (let r = 0; r < 4; r++) {
      if (inverse) st[4 * ((c + r) & 3) + r] = INV_SBOX[tmp[4 * c + r]!]!;
      else st[4 * c + r] = SBOX[tmp[4 * ((c + r) & 3) + r]!]!;
    }
  }
}
const MIX = [2, 3, 1, 1], INV_MIX = [14, 11, 13, 9];
function mixColumns(inverse: boolean): void {
  const m = inverse ? INV_MIX : MIX, m0 = m[0]!, m1 = m[1]!, m2 = m[2]!, m3 = m[3]!;
  for (let c = 0; c < 4; c++) {
    const a0 = st[4 * c]!, a1 = st[4 * c + 1]!, a2 = st[4 * c + 2]!, a3 = st[4 * c + 3]!;
    st[4 * c] = gmul(a0, m0) ^ gmul(a1, m1) ^ gmul(a2, m2) ^ gmul(a3, m3);
    st[4 * c + 1] = gmul(a0, m3) ^ gmul(a1, m0) ^ gmul(a2, m1) ^ gmul(a3, m2);
    st[4 * c + 2] = gmul(a0, m2) ^ gmul(a1, m3) ^ gmul(a2, m0) ^ gmul(a3, m1);
    st[4 * c + 3] = gmul(a0, m1) ^ gmul(a1, m2) ^ gmul(a2, m3) ^ gmul(a3, m0);
  }
}

/** round kinds by vs1 selector: what follows the state (words 0..3) with the round key (words 4..7) */
function round(sel: number): void {
  if (sel !== 7) {
    toBytes(0);
    const decrypt = sel < 2, middle = sel === 0 || sel === 2;
    subShift(decrypt);
    if (middle && !decrypt) mixColumns(false);
    fromBytes(0);
    for (let k = 0; k < 4; k++) words[k] ^= words[4 + k]!;
    if (middle && decrypt) { toBytes(0); mixColumns(true); fromBytes(0); }
    return;
  }
  for (let k = 0; k < 4; k++) words[k] ^= words[4 + k]!; // vaesz: the round-0 AddRoundKey
}

/** vaeskf1 (AES-128, round rnd 1..10) from words 4..7, vaeskf2 (AES-256, rnd 2..14) from 4..7 and 0..3 */
function keyStep(kf2: boolean, imm: number): void {
  let rnd = imm & 15;
  if (kf2 ? rnd < 2 || rnd > 14 : rnd > 10 || rnd === 0) rnd ^= 8; // out-of-range rounds: the spec's fixed mapping
  const last = words[7]!;
  const rot = (last >>> 8) | (last << 24);
  let w0: number;
  if (!kf2) w0 = aesSubWord(rot) ^ RCON[rnd - 1]! ^ words[4]!;
  else if (rnd & 1) w0 = aesSubWord(last) ^ words[0]!;
  else w0 = aesSubWord(rot) ^ RCON[(rnd >>> 1) - 1]! ^ words[0]!;
  const base = kf2 ? 0 : 4;
  words[8] = w0;
  for (let k = 1; k < 4; k++) words[8 + k] = words[8 + k - 1]! ^ words[base + k]!;
}

const vaes: ExecFn = (h, _w, _imm, raw) => {
  const f6 = raw >>> 26;
  const scalarKey = f6 === 0x29; // .vs: the round key is element group 0 of the single register vs2
  const v = egConf(h, raw, 4, 128, false, scalarKey);
  const vd = vdOf(raw), vs2 = vs2Of(raw), sel = vs1Of(raw);
  if (scalarKey) disjoint(h, raw, v, vd, vs2, 1);
  for (let eg = v.vstart >>> 2, n = v.vl >>> 2; eg < n; eg++) {
    readGroup(v, vd, eg, words, 0);
    readGroup(v, vs2, scalarKey ? 0 : eg, words, 4);
    if (f6 === 0x22 || f6 === 0x2a) { keyStep(f6 === 0x2a, sel); writeGroup(v, vd, eg, words, 8); continue; }
    round(sel);
    writeGroup(v, vd, eg, words, 0);
  }
  egDone(h, v);
};

export const semantics: Semantics = [[Op.VAES, vaes]];
