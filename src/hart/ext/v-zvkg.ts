// Zvkg: GHASH (the GCM hash, NIST SP 800-38D) on 128-bit element groups: vghsh.vv computes (Y ^ X) * H and vgmul.vv
// Y * H in GF(2^128) mod x^128 + x^7 + x^2 + x + 1. GCM numbers bits from the most significant bit of each byte,
// so operands are bit-reversed within each byte (brev8), multiplied with the usual shift-and-reduce loop over all
// 128 bits (no early exit: Zvkt), and the product reversed back.
import { Op } from '../ops.js';
import type { InsnDef } from '../decode.js';
import { exact, type Semantics, type ExecFn } from './enc.js';
import { align, vdOf, vs1Of, vs2Of } from './v-common.js';
import { brev8w } from './v-zvbb.js';
import { zvkMatch, ZVK_MASK, ZVK_MASK_VS1, egConf, readGroup, writeGroup, egDone } from './v-zvk.js';

export const encodings: InsnDef[] = [
  exact('vghsh.vv', 'zvkg', Op.VGHASH, zvkMatch(0x2c), ZVK_MASK, 'NONE'),
  exact('vgmul.vv', 'zvkg', Op.VGHASH, zvkMatch(0x28, 0x11), ZVK_MASK_VS1, 'NONE'),
];

// words 0..3: Y (then S), 4..7: X, 8..11: H, 12..15: Z
const w = new Int32Array(16);

function multiply(): void {
  for (let k = 0; k < 4; k++) { w[k] = brev8w(w[k]!); w[8 + k] = brev8w(w[8 + k]!); w[12 + k] = 0; }
  for (let b = 0; b < 128; b++) {
    const take = -((w[b >>> 5]! >>> (b & 31)) & 1); // all ones when bit b of S is set
    for (let k = 0; k < 4; k++) w[12 + k] ^= w[8 + k]! & take;
    const reduce = -(w[11]! >>> 31);
    w[11] = (w[11]! << 1) | (w[10]! >>> 31);
    w[10] = (w[10]! << 1) | (w[9]! >>> 31);
    w[9] = (w[9]! << 1) | (w[8]! >>> 31);
    w[8] = (w[8]! << 1) ^ (0x87 & reduce);
  }
  for (let k = 0; k < 4; k++) w[12 + k] = brev8w(w[12 + k]!);
}

const vghash: ExecFn = (h, _w, _imm, raw) => {
  const v = egConf(h, raw, 4, 128);
  const vd = vdOf(raw), vs2 = vs2Of(raw), ghsh = (raw >>> 26) === 0x2c;
  if (ghsh) align(h, raw, vs1Of(raw), v.groupRegs);
  for (let eg = v.vstart >>> 2, n = v.vl >>> 2; eg < n; eg++) {
    readGroup(v, vd, eg, w, 0);
    readGroup(v, vs2, eg, w, 8);
    if (ghsh) { readGroup(v, vs1Of(raw), eg, w, 4); for (let k = 0; k < 4; k++) w[k] ^= w[4 + k]!; }
    multiply();
    writeGroup(v, vd, eg, w, 12);
  }
  egDone(h, v);
};

export const semantics: Semantics = [[Op.VGHASH, vghash]];
