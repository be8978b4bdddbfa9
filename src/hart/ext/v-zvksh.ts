// Zvksh: the SM3 hash (GB/T 32905-2016) on 256-bit element groups (8 x e32): vsm3me.vv expands eight message
// words, vsm3c.vi runs two compression rounds. Registers hold SM3's big-endian words as loaded from memory, so
// every word is byte-swapped on the way in and out, as the extension defines.
import { Op } from '../ops.js';
import type { InsnDef } from '../decode.js';
import { exact, type Semantics, type ExecFn } from './enc.js';
import { align, vdOf, vs1Of, vs2Of } from './v-common.js';
import { zvkMatch, ZVK_MASK, egConf, disjoint, egDone, rotl32 } from './v-zvk.js';

export const encodings: InsnDef[] = [
  exact('vsm3me.vv', 'zvksh', Op.VSM3, zvkMatch(0x20), ZVK_MASK, 'NONE'),
  exact('vsm3c.vi', 'zvksh', Op.VSM3, zvkMatch(0x2b), ZVK_MASK, 'NONE'),
];

const bswap = (x: number): number => ((x >>> 24) | ((x >>> 8) & 0xff00) | ((x << 8) & 0xff0000) | (x << 24)) | 0;
const p0 = (x: number): number => x ^ rotl32(x, 9) ^ rotl32(x, 17);
const p1 = (x: number): number => x ^ rotl32(x, 15) ^ rotl32(x, 23);

// vsm3me: W[0..23]; vsm3c: s[0..7] = A..H, then the message words in m[0..7]
const W = new Int32Array(24), s = new Int32Array(8), m = new Int32Array(8);

/** SM3 round j on s (A..H) with message word wj and W'j = wj ^ W[j+4] */
function round(j: number, wj: number, wj4: number): void {
  const a = s[0]!, b = s[1]!, c = s[2]!, d = s[3]!, e = s[4]!, f = s[5]!, g = s[6]!, hh = s[7]!;
  const t = rotl32(j < 16 ? 0x79cc4519 : 0x7a879d8a, j & 31);
  const ss1 = rotl32((rotl32(a, 12) + e + t) | 0, 7);
  const ss2 = ss1 ^ rotl32(a, 12);
  const ff = j < 16 ? a ^ b ^ c : (a & b) | (a & c) | (b & c);
  const gg = j < 16 ? e ^ f ^ g : (e & f) | (~e & g);
  const tt1 = (ff + d + ss2 + wj4) | 0;
  const tt2 = (gg + hh + ss1 + wj) | 0;
  s[3] = c; s[2] = rotl32(b, 9); s[1] = a; s[0] = tt1;
  s[7] = g; s[6] = rotl32(f, 19); s[5] = e; s[4] = p0(tt2);
}

const vsm3: ExecFn = (h, _w, _imm, raw) => {
  const v = egConf(h, raw, 8, 256);
  const vd = vdOf(raw), vs2 = vs2Of(raw), me = (raw >>> 26) === 0x20;
  disjoint(h, raw, v, vd, vs2, v.groupRegs);
  if (me) align(h, raw, vs1Of(raw), v.groupRegs);
  for (let eg = v.vstart >>> 3, n = v.vl >>> 3; eg < n; eg++) {
    if (me) { // W[j] = P1(W[j-16] ^ W[j-9] ^ (W[j-3] <<< 15)) ^ (W[j-13] <<< 7) ^ W[j-6]
      for (let k = 0; k < 8; k++) { W[k] = bswap(v.get(vs1Of(raw), 8 * eg + k, 32, false)); W[8 + k] = bswap(v.get(vs2, 8 * eg + k, 32, false)); }
      for (let j = 16; j < 24; j++) W[j] = p1(W[j - 16]! ^ W[j - 9]! ^ rotl32(W[j - 3]!, 15)) ^ rotl32(W[j - 13]!, 7) ^ W[j - 6]!;
      for (let k = 0; k < 8; k++) v.set(vd, 8 * eg + k, 32, bswap(W[16 + k]!), 0);
      continue;
    }
    for (let k = 0; k < 8; k++) { s[k] = bswap(v.get(vd, 8 * eg + k, 32, false)); m[k] = bswap(v.get(vs2, 8 * eg + k, 32, false)); }
    const rnds = vs1Of(raw);
    round(2 * rnds, m[0]!, m[0]! ^ m[4]!);
    round(2 * rnds + 1, m[1]!, m[1]! ^ m[5]!);
    for (let k = 0; k < 8; k++) v.set(vd, 8 * eg + k, 32, bswap(s[k]!), 0);
  }
  egDone(h, v);
};

export const semantics: Semantics = [[Op.VSM3, vsm3]];
