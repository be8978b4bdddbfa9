// Differential tests: binary32 add/sub/mul/div/sqrt/fma (all four fused variants) against the BigInt
// reference, every rounding mode, random operands biased toward edge cases.

import { test } from 'node:test';
import * as fp from '../../../src/hart/fp/index.js';
import { ALL_RM, F32, Rng, hex, randomFloat, refAdd, refDiv, refFma, refMul, refSqrt } from './reference.js';
import { Mismatches, lib32Binary, out32, pair } from './harness.js';

const PER_RM = 4000;

function binaryTest(name: string, lib: (a: bigint, b: bigint, rm: number) => { bits: bigint; flags: number },
  ref: (a: bigint, b: bigint, rm: number) => { bits: bigint; flags: number }, seed: number) {
  test(`f32 ${name}: ${PER_RM} random cases per rounding mode match the exact reference`, () => {
    const rng = new Rng(seed);
    const bad = new Mismatches();
    for (const rm of ALL_RM) {
      for (let i = 0; i < PER_RM; i++) {
        const [a, b] = pair(rng, F32);
        bad.check(`${name}(${hex(a, 32)}, ${hex(b, 32)}) rm=${rm}`, lib(a, b, rm), ref(a, b, rm), 32);
      }
    }
    bad.assertNone(PER_RM * ALL_RM.length);
  });
}

binaryTest('add', lib32Binary(fp.f32Add), (a, b, rm) => refAdd(F32, a, b, rm), 11);
binaryTest('sub', lib32Binary(fp.f32Sub), (a, b, rm) => refAdd(F32, a, b, rm, true), 12);
binaryTest('mul', lib32Binary(fp.f32Mul), (a, b, rm) => refMul(F32, a, b, rm), 13);
binaryTest('div', lib32Binary(fp.f32Div), (a, b, rm) => refDiv(F32, a, b, rm), 14);

test(`f32 sqrt: ${PER_RM} random cases per rounding mode match the exact reference`, () => {
  const rng = new Rng(15);
  const bad = new Mismatches();
  for (const rm of ALL_RM) {
    for (let i = 0; i < PER_RM; i++) {
      let a = randomFloat(rng, F32);
      if (rng.int(2)) a &= 0x7fffffffn;
      const flags = fp.f32Sqrt(Number(a), rm);
      bad.check(`sqrt(${hex(a, 32)}) rm=${rm}`, { bits: out32(), flags }, refSqrt(F32, a, rm), 32);
    }
  }
  bad.assertNone(PER_RM * ALL_RM.length);
});

const FUSED = [
  { name: 'fmadd', fn: fp.f32MulAdd, negP: false, negC: false },
  { name: 'fmsub', fn: fp.f32MulSub, negP: false, negC: true },
  { name: 'fnmsub', fn: fp.f32NegMulSub, negP: true, negC: false },
  { name: 'fnmadd', fn: fp.f32NegMulAdd, negP: true, negC: true },
];

for (const [k, op] of FUSED.entries()) {
  test(`f32 ${op.name}: ${PER_RM} random cases per rounding mode match the exact reference`, () => {
    const rng = new Rng(200 + k);
    const bad = new Mismatches();
    const view = new DataView(new ArrayBuffer(4));
    for (const rm of ALL_RM) {
      for (let i = 0; i < PER_RM; i++) {
        const [a, b] = pair(rng, F32);
        let c = randomFloat(rng, F32);
        if (rng.int(3) === 0) {
          view.setUint32(0, Number(a));
          const x = view.getFloat32(0);
          view.setUint32(0, Number(b));
          const p = x * view.getFloat32(0);
          if (Number.isFinite(p)) {
            view.setFloat32(0, rng.int(2) ? -p : p);
            c = BigInt((view.getUint32(0) + rng.int(5) - 2) >>> 0);
          }
        }
        const flags = op.fn(Number(a), Number(b), Number(c), rm);
        bad.check(`${op.name}(${hex(a, 32)}, ${hex(b, 32)}, ${hex(c, 32)}) rm=${rm}`,
          { bits: out32(), flags }, refFma(F32, a, b, c, rm, op.negP, op.negC), 32);
      }
    }
    bad.assertNone(PER_RM * ALL_RM.length);
  });
}
