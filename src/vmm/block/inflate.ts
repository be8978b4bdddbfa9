// Raw DEFLATE decoding (RFC 1951) in plain TypeScript, for reading compressed qcow2 clusters where no zlib is
// at hand: the browser's DecompressionStream is asynchronous, and a virtio-blk request completes inside the
// hart's MMIO write, so it cannot wait for a stream. The CLI passes Node's zlib instead (faster); this is the
// default of the block layer. Codes of up to FAST_BITS bits decode by one table lookup on the next bits; longer
// ones (rare) bit by bit over the canonical count and symbol tables. qcow2 stores each cluster as one raw deflate stream
// padded to whole sectors, so decoding stops at the final block or once `outLen` bytes are out.

const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
  6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CLEN_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
const MAX_BITS = 15;
const FAST_BITS = 9;
const FAST_MASK = (1 << FAST_BITS) - 1;

class InflateError extends Error {}

/** `fast[next FAST_BITS stream bits]` = symbol << 4 | code length, or 0 when the code is longer. */
interface Huffman { count: Uint16Array; symbol: Uint16Array; fast: Int32Array }

/** Canonical Huffman tables from code lengths; an over-subscribed set of lengths is an error. */
function huffman(lengths: ArrayLike<number>, n: number): Huffman {
  const count = new Uint16Array(MAX_BITS + 1);
  for (let s = 0; s < n; s++) count[lengths[s]!]!++;
  let left = 1;
  for (let len = 1; len <= MAX_BITS; len++) {
    left = left * 2 - count[len]!;
    if (left < 0) throw new InflateError('over-subscribed Huffman code');
  }
  const offs = new Uint16Array(MAX_BITS + 2);
  for (let len = 1; len <= MAX_BITS; len++) offs[len + 1] = offs[len]! + count[len]!;
  const symbol = new Uint16Array(n);
  for (let s = 0; s < n; s++) if (lengths[s]) symbol[offs[lengths[s]!]!++] = s;
  count[0] = 0;
  // Canonical codes in (length, symbol) order, i.e. the order of `symbol`; the stream sends a code's bits
  // from its most significant end, so the lookup index is the code bit-reversed.
  const fast = new Int32Array(1 << FAST_BITS);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= FAST_BITS; len++) {
    for (let c = 0; c < count[len]!; c++, k++, code++) {
      let rev = 0;
      for (let b = 0; b < len; b++) rev |= ((code >> b) & 1) << (len - 1 - b);
      for (let r = rev; r <= FAST_MASK; r += 1 << len) fast[r] = (symbol[k]! << 4) | len;
    }
    code <<= 1;
  }
  return { count, symbol, fast };
}

let fixedLit: Huffman | null = null;
let fixedDist: Huffman | null = null;

export function inflateRaw(src: Uint8Array, outLen: number): Uint8Array {
  const out = new Uint8Array(outLen);
  let outPos = 0;
  let inPos = 0;
  let bitBuf = 0;
  let bitCnt = 0;
  const bits = (need: number): number => {
    while (bitCnt < need) {
      if (inPos >= src.length) throw new InflateError('input ends inside the stream');
      bitBuf |= src[inPos++]! << bitCnt;
      bitCnt += 8;
    }
    const v = bitBuf & ((1 << need) - 1);
    bitBuf >>>= need;
    bitCnt -= need;
    return v;
  };
  const decode = (h: Huffman): number => {
    while (bitCnt < FAST_BITS && inPos < src.length) {
      bitBuf |= src[inPos++]! << bitCnt;
      bitCnt += 8;
    }
    if (bitCnt >= FAST_BITS) {
      const e = h.fast[bitBuf & FAST_MASK]!;
      if (e !== 0) {
        const len = e & 15;
        bitBuf >>>= len;
        bitCnt -= len;
        return e >> 4;
      }
    }
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len <= MAX_BITS; len++) {
      code |= bits(1);
      const count = h.count[len]!;
      if (code - count < first) return h.symbol[index + (code - first)]!;
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw new InflateError('invalid Huffman code');
  };
  const codes = (lit: Huffman, dist: Huffman): void => {
    for (;;) {
      const sym = decode(lit);
      if (sym < 256) {
        if (outPos >= outLen) return;
        out[outPos++] = sym;
      } else if (sym === 256) {
        return;
      } else {
        const li = sym - 257;
        if (li >= 29) throw new InflateError(`invalid length code ${sym}`);
        const len = LEN_BASE[li]! + bits(LEN_EXTRA[li]!);
        const di = decode(dist);
        if (di >= 30) throw new InflateError(`invalid distance code ${di}`);
        const d = DIST_BASE[di]! + bits(DIST_EXTRA[di]!);
        if (d > outPos) throw new InflateError(`distance ${d} reaches before the start of the output`);
        for (let k = 0; k < len && outPos < outLen; k++, outPos++) out[outPos] = out[outPos - d]!;
      }
    }
  };
  let final = 0;
  while (!final && outPos < outLen) {
    final = bits(1);
    const type = bits(2);
    if (type === 0) {
      // Stored block: the rest of the current byte is padding; whole bytes the Huffman decoder read ahead
      // into the bit buffer belong to the block, so they go back to the input.
      inPos -= bitCnt >> 3;
      bitBuf = 0;
      bitCnt = 0;
      if (inPos + 4 > src.length) throw new InflateError('input ends inside a stored block header');
      const len = src[inPos]! | (src[inPos + 1]! << 8);
      const nlen = src[inPos + 2]! | (src[inPos + 3]! << 8);
      if ((len ^ 0xffff) !== nlen) throw new InflateError('stored block length does not match its complement');
      inPos += 4;
      if (inPos + len > src.length) throw new InflateError('input ends inside a stored block');
      const n = Math.min(len, outLen - outPos);
      out.set(src.subarray(inPos, inPos + n), outPos);
      outPos += n;
      inPos += len;
    } else if (type === 1) {
      if (!fixedLit) {
        const l = new Uint8Array(288);
        l.fill(8, 0, 144); l.fill(9, 144, 256); l.fill(7, 256, 280); l.fill(8, 280, 288);
        fixedLit = huffman(l, 288);
        fixedDist = huffman(new Uint8Array(30).fill(5), 30);
      }
      codes(fixedLit, fixedDist!);
    } else if (type === 2) {
      const nlen = bits(5) + 257;
      const ndist = bits(5) + 1;
      const ncode = bits(4) + 4;
      if (nlen > 286 || ndist > 30) throw new InflateError('too many length or distance codes');
      const clen = new Uint8Array(19);
      for (let k = 0; k < ncode; k++) clen[CLEN_ORDER[k]!] = bits(3);
      const lencode = huffman(clen, 19);
      const lengths = new Uint8Array(nlen + ndist);
      for (let k = 0; k < nlen + ndist;) {
        const sym = decode(lencode);
        if (sym < 16) { lengths[k++] = sym; continue; }
        let rep: number;
        let val = 0;
        if (sym === 16) {
          if (k === 0) throw new InflateError('repeat with no previous length');
          val = lengths[k - 1]!;
          rep = 3 + bits(2);
        } else if (sym === 17) {
          rep = 3 + bits(3);
        } else {
          rep = 11 + bits(7);
        }
        if (k + rep > nlen + ndist) throw new InflateError('code lengths run past their count');
        lengths.fill(val, k, k + rep);
        k += rep;
      }
      if (lengths[256] === 0) throw new InflateError('no end-of-block code');
      codes(huffman(lengths.subarray(0, nlen), nlen), huffman(lengths.subarray(nlen), ndist));
    } else {
      throw new InflateError('invalid block type 3');
    }
  }
  if (outPos < outLen) throw new InflateError(`stream ends after ${outPos} of ${outLen} bytes`);
  return out;
}
