// Zvbb / Zvkb / Zvbc on the hart against a BigInt reference written from the extension's definitions: every
// instruction at every SEW it allows (vclmul: 64 only), .vv/.vx/.vi forms, masked with v0, vror.vi's 6-bit
// immediate, vwsll's widening; and which extension each instruction needs (Zvkb's subset of Zvbb).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { step } from '../asm.js';
import { opv, vsetvli } from './gen.js';
import { vectorHart, vectorTrapped } from './run.js';

const IVV = 0, MVV = 2, IVI = 3, IVX = 4, MVX = 6;
const bits = (sew: number) => (1n << BigInt(sew)) - 1n;
const rev = (x: bigint, n: number): bigint => { let r = 0n; for (let i = 0; i < n; i++) if ((x >> BigInt(i)) & 1n) r |= 1n << BigInt(n - 1 - i); return r; };
const bytesOf = (x: bigint, sew: number): bigint[] => Array.from({ length: sew / 8 }, (_, k) => (x >> BigInt(8 * k)) & 0xffn);
const fromBytes = (b: bigint[]): bigint => b.reduce((acc, v, k) => acc | (v << BigInt(8 * k)), 0n);
const pop = (x: bigint): bigint => BigInt(x.toString(2).replace(/0/g, '').length);
const rotl = (x: bigint, s: number, sew: number): bigint => ((x << BigInt(s)) | (x >> BigInt((sew - s) % sew))) & bits(sew);
function clmul(a: bigint, b: bigint): bigint { let r = 0n; for (let i = 0n; i < 64n; i++) if ((b >> i) & 1n) r ^= a << i; return r; }

type Ref = (a: bigint, b: bigint, sew: number) => bigint;
interface Case { name: string; f6: number; f3: number; ref: Ref; vs1?: number; widen?: boolean; sews?: number[]; imm?: number; ext: string }
const CASES: Case[] = [
  { name: 'vandn.vv', f6: 0x01, f3: IVV, ref: (a, b, s) => a & ~b & bits(s), ext: 'zvkb' },
  { name: 'vandn.vx', f6: 0x01, f3: IVX, ref: (a, b, s) => a & ~b & bits(s), ext: 'zvkb' },
  { name: 'vbrev.v', f6: 0x12, f3: MVV, vs1: 0x0a, ref: (a, _b, s) => rev(a, s), ext: 'zvbb' },
  { name: 'vbrev8.v', f6: 0x12, f3: MVV, vs1: 0x08, ref: (a, _b, s) => fromBytes(bytesOf(a, s).map((x) => rev(x, 8))), ext: 'zvkb' },
  { name: 'vrev8.v', f6: 0x12, f3: MVV, vs1: 0x09, ref: (a, _b, s) => fromBytes(bytesOf(a, s).reverse()), ext: 'zvkb' },
  { name: 'vclz.v', f6: 0x12, f3: MVV, vs1: 0x0c, ref: (a, _b, s) => BigInt(s - (a === 0n ? 0 : a.toString(2).length)), ext: 'zvbb' },
  { name: 'vctz.v', f6: 0x12, f3: MVV, vs1: 0x0d, ref: (a, _b, s) => { let n = 0; while (n < s && !((a >> BigInt(n)) & 1n)) n++; return BigInt(n); }, ext: 'zvbb' },
  { name: 'vcpop.v', f6: 0x12, f3: MVV, vs1: 0x0e, ref: (a) => pop(a), ext: 'zvbb' },
  { name: 'vrol.vv', f6: 0x15, f3: IVV, ref: (a, b, s) => rotl(a, Number(b % BigInt(s)), s), ext: 'zvkb' },
  { name: 'vrol.vx', f6: 0x15, f3: IVX, ref: (a, b, s) => rotl(a, Number(b % BigInt(s)), s), ext: 'zvkb' },
  { name: 'vror.vv', f6: 0x14, f3: IVV, ref: (a, b, s) => rotl(a, (s - Number(b % BigInt(s))) % s, s), ext: 'zvkb' },
  { name: 'vror.vx', f6: 0x14, f3: IVX, ref: (a, b, s) => rotl(a, (s - Number(b % BigInt(s))) % s, s), ext: 'zvkb' },
  { name: 'vror.vi 45', f6: 0x15, f3: IVI, imm: 45 & 31, ref: (a, _b, s) => rotl(a, (s - (45 % s)) % s, s), ext: 'zvkb' },
  { name: 'vror.vi 13', f6: 0x14, f3: IVI, imm: 13, ref: (a, _b, s) => rotl(a, (s - (13 % s)) % s, s), ext: 'zvkb' },
  { name: 'vwsll.vv', f6: 0x35, f3: IVV, widen: true, sews: [8, 16, 32], ref: (a, b, s) => (a << (b % BigInt(2 * s))) & bits(2 * s), ext: 'zvbb' },
  { name: 'vwsll.vx', f6: 0x35, f3: IVX, widen: true, sews: [8, 16, 32], ref: (a, b, s) => (a << (b % BigInt(2 * s))) & bits(2 * s), ext: 'zvbb' },
  { name: 'vwsll.vi 27', f6: 0x35, f3: IVI, imm: 27, widen: true, sews: [8, 16, 32], ref: (a, _b, s) => (a << BigInt(27 % (2 * s))) & bits(2 * s), ext: 'zvbb' },
  { name: 'vclmul.vv', f6: 0x0c, f3: MVV, sews: [64], ref: (a, b) => clmul(a, b) & bits(64), ext: 'zvbc' },
  { name: 'vclmul.vx', f6: 0x0c, f3: MVX, sews: [64], ref: (a, b) => clmul(a, b) & bits(64), ext: 'zvbc' },
  { name: 'vclmulh.vv', f6: 0x0d, f3: MVV, sews: [64], ref: (a, b) => clmul(a, b) >> 64n, ext: 'zvbc' },
  { name: 'vclmulh.vx', f6: 0x0d, f3: MVX, sews: [64], ref: (a, b) => clmul(a, b) >> 64n, ext: 'zvbc' },
];

const elem = (b: Uint8Array, i: number, sew: number): bigint => fromBytes(Array.from(b.subarray(i * sew / 8, (i + 1) * sew / 8), (x) => BigInt(x)));

test('Zvbb, Zvkb and Zvbc: every instruction at every SEW, masked and unmasked, against a BigInt reference', () => {
  for (const c of CASES) {
    for (const sew of c.sews ?? [8, 16, 32, 64]) {
      for (const vm of [1, 0]) {
        const vl = 128 / sew;
        const rs1 = c.vs1 ?? (c.f3 === IVI ? c.imm! : c.f3 === IVV || c.f3 === MVV ? 3 : 6);
        const vd = 4;
        const { h } = vectorHart([vsetvli(0, 5, Math.log2(sew / 8) << 3), opv(c.f6, vm, 2, rs1, c.f3, vd)], ['v', 'zvbb', 'zvbc']);
        h.setX(5, BigInt(vl));
        const a = randomBytes(16), b = randomBytes(16), old = randomBytes(32), mask = randomBytes(16);
        // a few elements of interest: zero, all ones, a single bit
        a.fill(0, 0, sew / 8); a.fill(0xff, sew / 8, sew / 4);
        h.vec!.writeReg(2, a); h.vec!.writeReg(3, b); h.vec!.writeReg(0, mask);
        h.vec!.writeReg(vd, old.subarray(0, 16)); h.vec!.writeReg(vd + 1, old.subarray(16));
        const x = BigInt.asUintN(64, BigInt('0x' + randomBytes(8).toString('hex')));
        h.setX(6, x);
        step(h, 2);
        assert.ok(!vectorTrapped(h, 2n), `${c.name} e${sew} executes`);
        const dsew = c.widen ? 2 * sew : sew;
        const out = new Uint8Array([...h.vec!.readReg(vd), ...h.vec!.readReg(vd + 1)]);
        for (let i = 0; i < vl; i++) {
          const active = vm === 1 || ((mask[i >> 3]! >> (i & 7)) & 1) === 1;
          const bval = c.f3 === IVX || c.f3 === MVX ? x & bits(sew) : elem(b, i, sew);
          const want = active ? c.ref(elem(a, i, sew), bval, sew) : elem(old, i, dsew);
          assert.equal(elem(out, i, dsew), want, `${c.name} e${sew} vm=${vm} element ${i}`);
        }
      }
    }
  }
});

test('which extension each instruction needs: Zvkb alone lacks vbrev/vclz/vctz/vcpop/vwsll; vclmul needs SEW 64', () => {
  const runs = (ext: string[], insn: number, sew = 32) => {
    const { h } = vectorHart([vsetvli(0, 5, Math.log2(sew / 8) << 3), insn], ext);
    h.setX(5, 4n);
    step(h, 2);
    return !vectorTrapped(h, 2n);
  };
  for (const c of CASES) {
    const insn = opv(c.f6, 1, 2, c.vs1 ?? (c.f3 === IVI ? c.imm! : 3), c.f3, 4);
    const sew = c.sews?.[0] ?? 32;
    assert.equal(runs(['v'], insn, sew), false, `${c.name} without the extension`);
    assert.equal(runs(['v', 'zvkb'], insn, sew), c.ext === 'zvkb', `${c.name} with Zvkb only`);
    assert.equal(runs(['v', c.ext === 'zvbc' ? 'zvbc' : 'zvbb'], insn, sew), true, `${c.name} with ${c.ext}`);
  }
  assert.equal(runs(['v', 'zvbc'], opv(0x0c, 1, 2, 3, MVV, 4), 32), false, 'vclmul at SEW 32 is reserved');
  // vzext.vf2 still decodes beside the Zvbb rows in the same funct6 slot
  assert.equal(runs(['v', 'zvbb'], opv(0x12, 1, 2, 6, MVV, 4), 32), true);
});
