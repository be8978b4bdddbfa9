// Zfa: fli constants (ratified spec table, as sign/exponent/significand bit fields), fround/froundnx
// against the reference, fcvtmod.w.d against a BigInt model of "truncate, keep the low 32 bits".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fp from '../../../src/hart/fp/index.js';
import { ALL_RM, F32, F64, NV, NX, Rng, decode, dyadic, halves, hex, randomFloat, refRoundIntegral } from './reference.js';
import { Mismatches, out32, out64, outOf } from './harness.js';

// rs1 -> binary32 sign, 8-bit exponent field, top two significand bits: the Zfa FLI.S table
const FLI_S_TABLE: [number, number, number][] = [
  [1, 0b01111111, 0b00], [0, 0b00000001, 0b00], [0, 0b01101111, 0b00], [0, 0b01110000, 0b00],
  [0, 0b01110111, 0b00], [0, 0b01111000, 0b00], [0, 0b01111011, 0b00], [0, 0b01111100, 0b00],
  [0, 0b01111101, 0b00], [0, 0b01111101, 0b01], [0, 0b01111101, 0b10], [0, 0b01111101, 0b11],
  [0, 0b01111110, 0b00], [0, 0b01111110, 0b01], [0, 0b01111110, 0b10], [0, 0b01111110, 0b11],
  [0, 0b01111111, 0b00], [0, 0b01111111, 0b01], [0, 0b01111111, 0b10], [0, 0b01111111, 0b11],
  [0, 0b10000000, 0b00], [0, 0b10000000, 0b01], [0, 0b10000000, 0b10], [0, 0b10000001, 0b00],
  [0, 0b10000010, 0b00], [0, 0b10000011, 0b00], [0, 0b10000110, 0b00], [0, 0b10000111, 0b00],
  [0, 0b10001110, 0b00], [0, 0b10001111, 0b00], [0, 0b11111111, 0b00], [0, 0b11111111, 0b10],
];

test('fli.s: all 32 entries equal the spec table bit fields, no flags', () => {
  assert.equal(FLI_S_TABLE.length, 32);
  for (const [i, [s, e, m]] of FLI_S_TABLE.entries()) {
    const want = BigInt((s << 31) | (e << 23) | (m << 21)) & 0xffffffffn;
    assert.equal(fp.f32Fli(i), 0);
    assert.equal(hex(out32(), 32), hex(want, 32), `fli.s index ${i}`);
  }
});

test('fli.d: same values as fli.s (widened exactly) except entry 1 = binary64 minimum normal', () => {
  for (const [i, [s, e, m]] of FLI_S_TABLE.entries()) {
    let want: bigint;
    if (i === 1) want = 0x0010000000000000n;
    else if (e === 0xff) want = (0x7ffn << 52n) | (BigInt(m) << 50n); // inf / canonical NaN
    else want = (BigInt(s) << 63n) | (BigInt(e - 127 + 1023) << 52n) | (BigInt(m) << 50n);
    assert.equal(fp.f64Fli(i), 0);
    assert.equal(hex(out64(), 64), hex(want, 64), `fli.d index ${i}`);
  }
});

for (const f of [F32, F64]) {
  test(`binary${f.width} fround/froundnx: 3000 cases per rounding mode match the reference`, () => {
    const rng = new Rng(900 + f.width);
    const bad = new Mismatches();
    for (const rm of ALL_RM) {
      for (let i = 0; i < 3000; i++) {
        let a = randomFloat(rng, f);
        if (rng.int(2)) {
          // values with a few fraction bits around the integer point
          const exp = f.emax + rng.int(f.p + 4) - 3;
          a = (a & (1n << BigInt(f.width - 1))) | (BigInt(exp) << BigInt(f.p - 1)) | rng.bits(f.p - 1);
        }
        for (const exact of [false, true]) {
          const flags = f.width === 64 ? fp.f64Round(...halves(a), rm, exact) : fp.f32Round(Number(a), rm, exact);
          bad.check(`fround${exact ? 'nx' : ''}(${hex(a, f.width)}) rm=${rm}`, { bits: outOf(f), flags },
            refRoundIntegral(f, a, rm, exact), f.width);
        }
      }
    }
    bad.assertNone(3000 * 5 * 2);
  });
}

test('fcvtmod.w.d: low 32 bits of the truncated value, sign-extended; flags as fcvt.w.d with RTZ', () => {
  const rng = new Rng(950);
  for (let i = 0; i < 20000; i++) {
    let a = randomFloat(rng, F64);
    if (rng.int(2)) a = (a & (1n << 63n)) | (BigInt(1023 + rng.int(120) - 2) << 52n) | rng.bits(52);
    const v = decode(a, F64);
    let want: bigint;
    let flags: number;
    if (v.kind !== 'fin') {
      want = 0n;
      flags = NV;
    } else if (v.m === 0n) {
      want = 0n;
      flags = 0;
    } else {
      const s = dyadic(v.m, v.e).scaled(0); // truncation toward zero of |x|
      const t = v.neg ? -s.q : s.q;
      want = BigInt.asUintN(64, BigInt.asIntN(32, t));
      flags = t < -(1n << 31n) || t >= 1n << 31n ? NV : s.exact ? 0 : NX;
    }
    const got = fp.f64CvtModW(...halves(a));
    assert.equal(hex(out64(), 64), hex(want, 64), `fcvtmod.w.d(${hex(a, 64)})`);
    assert.equal(got, flags, `fcvtmod.w.d(${hex(a, 64)}) flags`);
  }
});
