// The vector crypto extensions against published test vectors (FIPS-197 AES-128/256 and SP 800-38A, FIPS 180-4
// SHA-256/512, GB/T 32907 SM4, GB/T 32905 SM3, the GCM paper's test case 2 for GHASH), run as instruction
// sequences on the hart at VLEN 128 and 256, plus Node's OpenSSL as an oracle for random blocks; and the
// element-group rules (vl and vstart multiples of EGS, SEW, LMUL * VLEN >= EGW, overlaps) that make them illegal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import type { Hart } from '../../../src/hart/index.js';
import { step, I } from '../asm.js';
import { opv, vsetvli } from './gen.js';
import { vectorHart, vectorTrapped } from './run.js';

const opve = (f6: number, vs2: number, vs1: number, vd: number): number =>
  ((f6 << 26) | (1 << 25) | (vs2 << 20) | (vs1 << 15) | (2 << 12) | (vd << 7) | 0x77) >>> 0;
const E32 = 2 << 3, E64 = 3 << 3;
const vaesz = (vd: number, vs2: number) => opve(0x29, vs2, 7, vd);
const vaesem = (vd: number, vs2: number, vs = false) => opve(vs ? 0x29 : 0x28, vs2, 2, vd);
const vaesef = (vd: number, vs2: number, vs = false) => opve(vs ? 0x29 : 0x28, vs2, 3, vd);
const vaesdm = (vd: number, vs2: number, vs = false) => opve(vs ? 0x29 : 0x28, vs2, 0, vd);
const vaesdf = (vd: number, vs2: number, vs = false) => opve(vs ? 0x29 : 0x28, vs2, 1, vd);
const vaeskf1 = (vd: number, vs2: number, rnd: number) => opve(0x22, vs2, rnd, vd);
const vaeskf2 = (vd: number, vs2: number, rnd: number) => opve(0x2a, vs2, rnd, vd);
const vmvvv = (vd: number, vs1: number) => opv(0x17, 1, 0, vs1, 0, vd);
const vaddvv = (vd: number, vs2: number, vs1: number) => opv(0, 1, vs2, vs1, 0, vd);
const vmergevvm = (vd: number, vs2: number, vs1: number) => opv(0x17, 0, vs2, vs1, 0, vd);
const csrw = (csr: number, rs1: number) => I(csr, rs1, 1, 0, 0x73);
const VSTART = 0x008;

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/** big-endian 32-bit words of a hex string */
const words32 = (s: string): number[] => s.match(/.{8}/g)!.map((w) => parseInt(w, 16));

/** A hart with the given extensions and VLEN running `prog` after vsetvli x0, x5 (vl = AVL) with vtype vt. */
function crypto(ext: string[], vlen: number, vt: number, avl: number, prog: number[]): Hart {
  const { h } = vectorHart([vsetvli(0, 5, vt), ...prog], ext, vlen);
  h.setX(5, BigInt(avl));
  step(h, 1);
  return h;
}
/** write bytes into registers from `reg` on (a group) */
function put(h: Hart, reg: number, bytes: Uint8Array): void {
  const vlenb = h.vec!.vlenb;
  for (let k = 0; k * vlenb < bytes.length; k++) h.vec!.writeReg(reg + k, bytes.subarray(k * vlenb, (k + 1) * vlenb));
}
function get(h: Hart, reg: number, n: number): Uint8Array {
  const vlenb = h.vec!.vlenb, out = new Uint8Array(n);
  for (let k = 0; k * vlenb < n; k++) out.set(h.vec!.readReg(reg + k).subarray(0, Math.min(vlenb, n - k * vlenb)), k * vlenb);
  return out;
}
/** run the rest of the program (n instructions), which must not trap */
function run(h: Hart, n: number): void {
  step(h, n);
  assert.ok(!vectorTrapped(h, 2n), `no illegal instruction (pc 0x${h.getPc().toString(16)})`);
}
const wordsLE = (ws: number[]): Uint8Array => {
  const b = new Uint8Array(4 * ws.length);
  ws.forEach((w, i) => new DataView(b.buffer).setUint32(4 * i, w >>> 0, true));
  return b;
};
const readWords = (h: Hart, reg: number, n: number): number[] => {
  const b = get(h, reg, 4 * n);
  return Array.from({ length: n }, (_, i) => new DataView(b.buffer).getUint32(4 * i, true));
};

// ---- AES

const FIPS197 = { key: '000102030405060708090a0b0c0d0e0f', pt: '00112233445566778899aabbccddeeff', ct: '69c4e0d86a7b0430d8cdb78070b4c55a' };
const SP800_38A = { key: '2b7e151628aed2a6abf7158809cf4f3c', pt: '6bc1bee22e409f96e93d7e117393172a', ct: '3ad77bb40d7a3660a89ecaf32466ef97' };
const FIPS197_256 = { key: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', ct: '8ea2b7ca516745bfeafc49904b496089' };

const vxorvv = (vd: number, vs2: number, vs1: number) => opv(0x0b, 1, vs2, vs1, 0, vd);
/**
 * AES-128: round keys v10..v20 by vaeskf1, encrypt v1, decrypt v2 (.vs: group 0's key for every group; .vv: each
 * group its own, and round 0 by vxor since vaesz has only a .vs form)
 */
function aes128Program(vs: boolean): number[] {
  const p: number[] = [];
  for (let r = 1; r <= 10; r++) p.push(vaeskf1(10 + r, 10 + r - 1, r));
  p.push(vs ? vaesz(1, 10) : vxorvv(1, 1, 10));
  for (let r = 1; r < 10; r++) p.push(vaesem(1, 10 + r, vs));
  p.push(vaesef(1, 20, vs));
  p.push(vs ? vaesz(2, 20) : vxorvv(2, 2, 20));
  for (let r = 9; r >= 1; r--) p.push(vaesdm(2, 10 + r, vs));
  p.push(vaesdf(2, 10, vs));
  return p;
}

test('Zvkned AES-128: FIPS-197 C.1 at VLEN 128 (.vs forms); two keys in two element groups at VLEN 256 (.vv)', () => {
  const prog = aes128Program(true);
  const h = crypto(['v', 'zvkned'], 128, E32, 4, prog);
  put(h, 10, hex(FIPS197.key)); put(h, 1, hex(FIPS197.pt)); put(h, 2, hex(FIPS197.ct));
  run(h, prog.length);
  assert.equal(toHex(get(h, 1, 16)), FIPS197.ct, 'encrypt');
  assert.equal(toHex(get(h, 2, 16)), FIPS197.pt, 'decrypt');

  const prog2 = aes128Program(false);
  const w = crypto(['v', 'zvkned'], 256, E32, 8, prog2);
  put(w, 10, hex(FIPS197.key + SP800_38A.key)); put(w, 1, hex(FIPS197.pt + SP800_38A.pt)); put(w, 2, hex(FIPS197.ct + SP800_38A.ct));
  run(w, prog2.length);
  assert.equal(toHex(get(w, 1, 32)), FIPS197.ct + SP800_38A.ct);
  assert.equal(toHex(get(w, 2, 32)), FIPS197.pt + SP800_38A.pt);
});

test('Zvkned AES-256: FIPS-197 C.3 by vaeskf2, and random keys and blocks against OpenSSL at LMUL 2', () => {
  // round keys v10..v24: rk0, rk1 given; rk[i] = vaeskf2(vd = copy of rk[i-2], vs2 = rk[i-1], i)
  const prog: number[] = [];
  for (let i = 2; i <= 14; i++) prog.push(vmvvv(10 + i, 10 + i - 2), vaeskf2(10 + i, 10 + i - 1, i));
  prog.push(vaesz(1, 10));
  for (let i = 1; i < 14; i++) prog.push(vaesem(1, 10 + i, true));
  prog.push(vaesef(1, 24, true));
  const h = crypto(['v', 'zvkned'], 128, E32, 4, prog);
  put(h, 10, hex(FIPS197_256.key.slice(0, 32))); put(h, 11, hex(FIPS197_256.key.slice(32))); put(h, 1, hex(FIPS197.pt));
  run(h, prog.length);
  assert.equal(toHex(get(h, 1, 16)), FIPS197_256.ct);

  // AES-128, e32 m2 at VLEN 128: 4 blocks in v2..v3 (vl 8, two groups); .vs keys from single registers
  const p2: number[] = [];
  for (let r = 1; r <= 10; r++) p2.push(vaeskf1(10 + r, 10 + r - 1, r));
  p2.push(vsetvli(0, 6, E32 | 1), vaesz(2, 10));
  for (let r = 1; r < 10; r++) p2.push(vaesem(2, 10 + r, true));
  p2.push(vaesef(2, 20, true));
  const key = randomBytes(16), blocks = randomBytes(32);
  const r = crypto(['v', 'zvkned'], 128, E32, 4, p2);
  r.setX(6, 8n);
  put(r, 10, key); put(r, 2, blocks);
  run(r, p2.length);
  const c = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
  assert.equal(toHex(get(r, 2, 32)), toHex(Buffer.concat([c.update(blocks), c.final()])));
});

test('Zvkned rules: vl and vstart multiples of 4, SEW 32, LMUL * VLEN >= 128, .vs vd apart from vs2, extension present', () => {
  const illegal = (ext: string[], vlen: number, vt: number, avl: number, insn: number, vstart = 0) => {
    const h = crypto(ext, vlen, vt, avl, vstart ? [csrw(VSTART, 7), insn] : [insn]);
    h.setX(7, BigInt(vstart));
    step(h, vstart ? 2 : 1);
    return vectorTrapped(h, 2n);
  };
  assert.equal(illegal(['v', 'zvkned'], 128, E32, 4, vaesem(1, 2)), false, 'the legal case');
  assert.ok(illegal(['v', 'zvkned'], 128, E32, 3, vaesem(1, 2)), 'vl = 3');
  assert.ok(illegal(['v', 'zvkned'], 256, E32, 8, vaesem(1, 2), 2), 'vstart = 2');
  assert.ok(illegal(['v', 'zvkned'], 128, E64, 2, vaesem(1, 2)), 'SEW 64');
  assert.ok(illegal(['v', 'zvkned'], 128, E32 | 7, 2, vaesem(1, 2)), 'LMUL 1/2 at VLEN 128: a group cannot hold 128 bits');
  assert.equal(illegal(['v', 'zvkned'], 256, E32 | 7, 4, vaesem(1, 2)), false, 'LMUL 1/2 at VLEN 256 can');
  assert.ok(illegal(['v', 'zvkned'], 128, E32, 4, vaesem(3, 3, true)), '.vs with vd = vs2');
  assert.ok(illegal(['v', 'zvkned'], 128, E32 | 1, 8, vaesem(2, 3, true)), '.vs: vs2 inside the vd group');
  assert.equal(illegal(['v', 'zvkned'], 128, E32 | 1, 8, vaesem(2, 5, true)), false, '.vs: vs2 need not be aligned');
  assert.ok(illegal(['v', 'zvkned'], 128, E32 | 1, 8, vaesem(2, 5)), '.vv: vs2 must be aligned');
  assert.ok(illegal(['v'], 128, E32, 4, vaesem(1, 2)), 'without Zvkned');
  assert.ok(illegal(['v', 'zvkned'], 128, E32, 4, opve(0x28, 2, 7, 1)), 'vaesz has no .vv form');

  // vstart = 4 at VLEN 256: element group 0 is left alone, group 1 is computed
  const h = crypto(['v', 'zvkned'], 256, E32, 8, [csrw(VSTART, 7), vaesz(1, 2)]);
  h.setX(7, 4n);
  put(h, 1, new Uint8Array(32).fill(0x11)); put(h, 2, new Uint8Array(32).fill(0x22));
  run(h, 2);
  assert.equal(toHex(get(h, 1, 32)), '11'.repeat(16) + '33'.repeat(16));
  assert.equal(h.getCsr(VSTART), 0n);
});

// ---- SHA-2

function iroot(n: bigint, k: bigint): bigint {
  let x = 1n << (BigInt(n.toString(2).length) / k + 1n);
  for (;;) { const y = ((k - 1n) * x + n / x ** (k - 1n)) / k; if (y >= x) return x; x = y; }
}
const PRIMES = (() => { const p: number[] = []; for (let n = 2; p.length < 80; n++) if (p.every((q) => n % q !== 0)) p.push(n); return p; })();
/** FIPS 180-4 constants: fractional bits of square roots (initial hash) and cube roots (K) of the first primes */
const frac = (p: number, root: bigint, bits: bigint): bigint => iroot(BigInt(p) << (root * bits), root) & ((1n << bits) - 1n);
const SHA_ABC: Record<number, string> = {
  32: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  64: 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
};
const SHA_EMPTY_256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * One padded block per element group (up to two: groups at VLEN 256 and SEW 32), compressed with vsha2ms /
 * vsha2cl / vsha2ch as in the extension's reference code: W in v1..v4 (groups of `g` registers, at 4g.. for SEW
 * 64), state {f,e,b,a} / {h,g,d,c}, K written by the host into a register before each 4-round step.
 */
function sha2(sew: 32 | 64, vlen: number, messages: Uint8Array[]): string[] {
  const wb = sew / 8, rounds = sew === 32 ? 64 : 80, lmul = Math.max(1, (4 * sew) / vlen);
  const g = lmul, W = [4, 4 + g, 4 + 2 * g, 4 + 3 * g], S0 = 16, S1 = 16 + g, T = 20, MS = 22, K = 24;
  const groups = messages.length;
  const prog: number[] = [];
  const steps: number[] = [];
  for (let r4 = 0; r4 < rounds / 4; r4++) {
    const start = prog.length;
    prog.push(vaddvv(T, K, W[r4 % 4]!), opve(0x2f, S0, T, S1), opve(0x2e, S1, T, S0));
    if (r4 < rounds / 4 - 4) prog.push(vmergevvm(MS, W[(r4 + 2) % 4]!, W[(r4 + 1) % 4]!), opve(0x2d, MS, W[(r4 + 3) % 4]!, W[r4 % 4]!));
    steps.push(prog.length - start);
  }
  const vt = (sew === 32 ? E32 : E64) | Math.log2(lmul);
  const h = crypto(['v', 'zvknhb'], vlen, vt, 4 * groups, prog);
  const ks = Array.from({ length: rounds }, (_, i) => frac(PRIMES[i]!, 3n, BigInt(sew)));
  const iv = Array.from({ length: 8 }, (_, i) => frac(PRIMES[i]!, 2n, BigInt(sew)));
  const bytesOf = (vals: bigint[]): Uint8Array => {
    const b = new Uint8Array(vals.length * wb);
    vals.forEach((x, i) => { for (let k = 0; k < wb; k++) b[i * wb + k] = Number((x >> BigInt(8 * k)) & 0xffn); });
    return b;
  };
  const perGroup = (f: (m: number) => bigint[]): Uint8Array => {
    const parts = messages.map((_, m) => bytesOf(f(m)));
    const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
    let at = 0; for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  };
  // padded single block: message, 0x80, zeros, bit length (big-endian); schedule words as big-endian values
  const blockWords = messages.map((msg) => {
    const blk = new Uint8Array(16 * wb); blk.set(msg); blk[msg.length] = 0x80;
    const len = BigInt(msg.length * 8);
    for (let k = 0; k < 8; k++) blk[16 * wb - 1 - k] = Number((len >> BigInt(8 * k)) & 0xffn);
    return Array.from({ length: 16 }, (_, i) => { let x = 0n; for (let k = 0; k < wb; k++) x = (x << 8n) | BigInt(blk[i * wb + k]!); return x; });
  });
  for (let q = 0; q < 4; q++) put(h, W[q]!, perGroup((m) => blockWords[m]!.slice(4 * q, 4 * q + 4)));
  put(h, S0, perGroup(() => [iv[5]!, iv[4]!, iv[1]!, iv[0]!]));
  put(h, S1, perGroup(() => [iv[7]!, iv[6]!, iv[3]!, iv[2]!]));
  h.vec!.writeReg(0, Uint8Array.from([0x11])); // vmerge's mask: element 0 of each group from vs1
  for (let r4 = 0; r4 < rounds / 4; r4++) {
    put(h, K, perGroup(() => ks.slice(4 * r4, 4 * r4 + 4)));
    run(h, steps[r4]!);
  }
  const mask = (1n << BigInt(sew)) - 1n;
  return messages.map((_, m) => {
    const read = (reg: number): bigint[] => {
      const b = get(h, reg, groups * 4 * wb).subarray(m * 4 * wb);
      return [0, 1, 2, 3].map((i) => { let x = 0n; for (let k = wb - 1; k >= 0; k--) x = (x << 8n) | BigInt(b[i * wb + k]!); return x; });
    };
    const [f, e, b, a] = read(S0), [hh, gg, d, c] = read(S1);
    return [a, b, c, d, e, f, gg, hh].map((x, i) => ((x! + iv[i]!) & mask).toString(16).padStart(sew / 4, '0')).join('');
  });
}

test('Zvknh SHA-256 and SHA-512 of "abc" (FIPS 180-4), two messages in two groups at VLEN 256, OpenSSL on a random block', () => {
  const abc = new TextEncoder().encode('abc');
  assert.deepEqual(sha2(32, 128, [abc]), [SHA_ABC[32]]);
  assert.deepEqual(sha2(32, 256, [abc, new Uint8Array(0)]), [SHA_ABC[32], SHA_EMPTY_256]);
  assert.deepEqual(sha2(64, 128, [abc]), [SHA_ABC[64]], 'SHA-512 at LMUL 2');
  assert.deepEqual(sha2(64, 256, [abc]), [SHA_ABC[64]], 'SHA-512 at LMUL 1');
  const msg = randomBytes(40);
  assert.deepEqual(sha2(64, 256, [msg]), [createHash('sha512').update(msg).digest('hex')]);
  assert.deepEqual(sha2(32, 256, [msg.subarray(0, 50), msg.subarray(3, 23)]),
    [createHash('sha256').update(msg.subarray(0, 50)).digest('hex'), createHash('sha256').update(msg.subarray(3, 23)).digest('hex')]);
});

test('Zvknh rules: SEW 64 needs Zvknhb; vd may not overlap vs1 or vs2', () => {
  const illegal = (ext: string[], vt: number, insn: number) => {
    const h = crypto(ext, 256, vt, 4, [insn]);
    step(h, 1);
    return vectorTrapped(h, 2n);
  };
  assert.equal(illegal(['v', 'zvknha'], E32, opve(0x2e, 2, 3, 1)), false);
  assert.ok(illegal(['v', 'zvknha'], E64, opve(0x2e, 2, 3, 1)), 'Zvknha has no SHA-512');
  assert.equal(illegal(['v', 'zvknhb'], E64, opve(0x2e, 2, 3, 1)), false);
  assert.ok(illegal(['v', 'zvknhb'], E32, opve(0x2e, 2, 1, 1)), 'vd = vs1');
  assert.ok(illegal(['v', 'zvknhb'], E32, opve(0x2d, 1, 3, 1)), 'vd = vs2');
});

// ---- SM4, SM3, GHASH

test('Zvksed SM4: the GB/T 32907 example (key = plaintext = 0123...3210), and random blocks against OpenSSL at VLEN 256', () => {
  const FK = [0xa3b1bac6, 0x56aa3350, 0x677d9197, 0xb27022dc];
  const enc = (vlen: number, key: Uint8Array, blocks: Uint8Array): Uint8Array => {
    const n = blocks.length / 16;
    const prog: number[] = [];
    for (let r = 0; r < 8; r++) prog.push(opve(0x21, 10 + r, r, 11 + r)); // vsm4k.vi: rk[4r..4r+3] in v11+r
    for (let r = 0; r < 8; r++) prog.push(opve(0x28, 11 + r, 0x10, 1)); // vsm4r.vv
    const h = crypto(['v', 'zvksed'], vlen, E32, 4 * n, prog);
    const kw = words32(toHex(key)).map((w, i) => (w ^ FK[i]!) >>> 0);
    put(h, 10, wordsLE(Array.from({ length: n }, () => kw).flat()));
    put(h, 1, wordsLE(words32(toHex(blocks))));
    run(h, prog.length);
    const out = readWords(h, 1, 4 * n);
    // the cipher's output is (X35, X34, X33, X32): the last four state words reversed
    const res = Array.from({ length: n }, (_, b) => [3, 2, 1, 0].map((k) => out[4 * b + k]!)).flat();
    return hex(res.map((w) => w.toString(16).padStart(8, '0')).join(''));
  };
  const v = hex('0123456789abcdeffedcba9876543210');
  assert.equal(toHex(enc(128, v, v)), '681edf34d206965e86b3e94f536e4246');
  const key = randomBytes(16), blocks = randomBytes(32);
  const c = createCipheriv('sm4-ecb', key, null).setAutoPadding(false);
  assert.equal(toHex(enc(256, key, blocks)), toHex(Buffer.concat([c.update(blocks), c.final()])));
});

test('Zvksh SM3 of "abc" (GB/T 32905) at VLEN 128 (LMUL 2) and 256, and OpenSSL on a random block; EGW 256 rules', () => {
  const sm3 = (vlen: number, msg: Uint8Array): string => {
    const lmul = vlen === 128 ? 1 : 0, g = 1 << lmul; // log2 LMUL, registers per group
    const blk = new Uint8Array(64); blk.set(msg); blk[msg.length] = 0x80;
    new DataView(blk.buffer).setUint32(60, msg.length * 8);
    // vsm3me: W[8k..8k+7] from W[8k-16..] (vs1) and W[8k-8..] (vs2), into register groups A = 2g, 3g, ...
    const prog: number[] = [];
    for (let k = 2; k < 9; k++) prog.push(opve(0x20, g * (k - 1), g * (k - 2), g * k));
    const h = crypto(['v', 'zvksh'], vlen, E32 | lmul, 8, prog);
    put(h, 0, blk.subarray(0, 32)); put(h, g, blk.subarray(32, 64)); // registers hold memory order (big-endian words)
    run(h, prog.length);
    const w = get(h, 0, 9 * 32);
    // vsm3c round pair r uses W[2r .. 2r+7]: the host slides the window in (the program would vslidedown)
    const iv = hex('7380166f4914b2b9172442d7da8a0600a96f30bc163138aae38dee4db0fb0e4e');
    const cprog = Array.from({ length: 32 }, (_, r) => opve(0x2b, 16, r, 24));
    const c = crypto(['v', 'zvksh'], vlen, E32 | lmul, 8, cprog);
    put(c, 24, iv);
    for (let r = 0; r < 32; r++) { put(c, 16, w.subarray(8 * r, 8 * r + 32)); run(c, 1); }
    const out = get(c, 24, 32).map((b, i) => b ^ iv[i]!);
    return toHex(out);
  };
  const abc = new TextEncoder().encode('abc');
  const want = '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0';
  assert.equal(sm3(128, abc), want);
  assert.equal(sm3(256, abc), want);
  const msg = randomBytes(50);
  assert.equal(sm3(256, msg), createHash('sm3').update(msg).digest('hex'));
  // EGS 8: vl = 4 is reserved; a group of one register at VLEN 128 cannot hold 256 bits
  const h = crypto(['v', 'zvksh'], 256, E32, 4, [opve(0x2b, 16, 0, 24)]);
  step(h, 1); assert.ok(vectorTrapped(h, 2n), 'vl = 4');
  const n = crypto(['v', 'zvksh'], 128, E32, 4, [opve(0x2b, 16, 0, 24)]);
  step(n, 1); assert.ok(vectorTrapped(n, 2n), 'LMUL 1 at VLEN 128');
  const o = crypto(['v', 'zvksh'], 256, E32, 8, [opve(0x2b, 24, 0, 24)]);
  step(o, 1); assert.ok(vectorTrapped(o, 2n), 'vd = vs2');
});

test('Zvkg GHASH: GCM test case 2 (H = E(0^128, 0^128), one ciphertext block, the length block), vgmul = one step', () => {
  const H = '66e94bd4ef8a2c3b884cfa59ca342b2e', C = '0388dace60b6a392f328c2b971b2fe78';
  const LEN = '00000000000000000000000000000080', TAG_HASH = 'f38cbb1ad69223dcc3457ae5b6b0f885';
  for (const vlen of [128, 256]) {
    const groups = vlen / 128;
    const prog = [opve(0x2c, 2, 3, 1), opve(0x2c, 2, 4, 1), opve(0x28, 2, 0x11, 5)]; // vghsh x2, vgmul v5 = v5 * H
    const h = crypto(['v', 'zvkg'], vlen, E32, 4 * groups, prog);
    put(h, 1, new Uint8Array(16 * groups)); put(h, 2, hex(H.repeat(groups))); put(h, 3, hex(C.repeat(groups)));
    put(h, 4, hex(LEN.repeat(groups))); put(h, 5, hex(C.repeat(groups)));
    run(h, 1);
    const y1 = toHex(get(h, 1, 16 * groups));
    run(h, 2);
    assert.equal(toHex(get(h, 1, 16 * groups)), TAG_HASH.repeat(groups), `VLEN ${vlen}`);
    assert.equal(toHex(get(h, 5, 16 * groups)), y1, 'vgmul(C, H) = vghsh(0, C, H)');
  }
});

test('the shorthands expand in the ISA layer: rva23u64_zvkng and zvksc', async () => {
  const { parseIsaString } = await import('../../../src/isa/index.js');
  const s = parseIsaString('rva23u64_zvkng').extensions;
  for (const n of ['zvkned', 'zvknhb', 'zvkb', 'zvkt', 'zvkg', 'zvbb', 'zvfhmin']) assert.ok(s.has(n), n);
  const c = parseIsaString('rv64gcv_zvksc').extensions;
  for (const n of ['zvksed', 'zvksh', 'zvkb', 'zvkt', 'zvbc']) assert.ok(c.has(n), n);
});
