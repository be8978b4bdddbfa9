// Differential tests: binary64 add/sub/mul/div/sqrt/fma (all four fused variants) against the BigInt
// reference, every rounding mode, random operands biased toward edge cases.

import { test } from 'node:test';
import * as fp from '../../../src/hart/fp/index.js';
import { ALL_RM, F64, Rng, halves, hex, randomFloat, refAdd, refDiv, refFma, refMul, refSqrt } from './reference.js';
import { Mismatches, lib64Binary, out64, pair } from './harness.js';

const PER_RM = 4000;

function binaryTest(name: string, lib: (a: bigint, b: bigint, rm: number) => { bits: bigint; flags: number },
  ref: (a: bigint, b: bigint, rm: number) => { bits: bigint; flags: number }, seed: number) {
  test(`f64 ${name}: ${PER_RM} random cases per rounding mode match the exact reference`, () => {
    const rng = new Rng(seed);
    const bad = new Mismatches();
    for (const rm of ALL_RM) {
      for (let i = 0; i < PER_RM; i++) {
        const [a, b] = pair(rng, F64);
        bad.check(`${name}(${hex(a, 64)}, ${hex(b, 64)}) rm=${rm}`, lib(a, b, rm), ref(a, b, rm), 64);
      }
    }
    bad.assertNone(PER_RM * ALL_RM.length);
  });
}

binaryTest('add', lib64Binary(fp.f64Add), (a, b, rm) => refAdd(F64, a, b, rm), 1);
binaryTest('sub', lib64Binary(fp.f64Sub), (a, b, rm) => refAdd(F64, a, b, rm, true), 2);
binaryTest('mul', lib64Binary(fp.f64Mul), (a, b, rm) => refMul(F64, a, b, rm), 3);
binaryTest('div', lib64Binary(fp.f64Div), (a, b, rm) => refDiv(F64, a, b, rm), 4);

test(`f64 sqrt: ${PER_RM} random cases per rounding mode match the exact reference`, () => {
  const rng = new Rng(5);
  const bad = new Mismatches();
  for (const rm of ALL_RM) {
    for (let i = 0; i < PER_RM; i++) {
      let a = randomFloat(rng, F64);
      if (rng.int(2)) a &= ~(1n << 63n); // mostly positive inputs
      const [lo, hi] = halves(a);
      const flags = fp.f64Sqrt(lo, hi, rm);
      bad.check(`sqrt(${hex(a, 64)}) rm=${rm}`, { bits: out64(), flags }, refSqrt(F64, a, rm), 64);
    }
  }
  bad.assertNone(PER_RM * ALL_RM.length);
});

const FUSED = [
  { name: 'fmadd', fn: fp.f64MulAdd, negP: false, negC: false },
  { name: 'fmsub', fn: fp.f64MulSub, negP: false, negC: true },
  { name: 'fnmsub', fn: fp.f64NegMulSub, negP: true, negC: false },
  { name: 'fnmadd', fn: fp.f64NegMulAdd, negP: true, negC: true },
];

for (const [k, op] of FUSED.entries()) {
  test(`f64 ${op.name}: ${PER_RM} random cases per rounding mode match the exact reference`, () => {
    const rng = new Rng(100 + k);
    const bad = new Mismatches();
    const view = new DataView(new ArrayBuffer(8));
    for (const rm of ALL_RM) {
      for (let i = 0; i < PER_RM; i++) {
        const [a, b] = pair(rng, F64);
        let c = randomFloat(rng, F64);
        if (rng.int(3) === 0) {
          // c close to ±a*b: massive cancellation and sticky-bit cases
          view.setBigUint64(0, a);
          const x = view.getFloat64(0);
          view.setBigUint64(0, b);
          const p = x * view.getFloat64(0);
          if (Number.isFinite(p)) {
            view.setFloat64(0, rng.int(2) ? -p : p);
            c = (view.getBigUint64(0) + BigInt(rng.int(5) - 2)) & ((1n << 64n) - 1n);
          }
        }
        const [aLo, aHi] = halves(a), [bLo, bHi] = halves(b), [cLo, cHi] = halves(c);
        const flags = op.fn(aLo, aHi, bLo, bHi, cLo, cHi, rm);
        bad.check(`${op.name}(${hex(a, 64)}, ${hex(b, 64)}, ${hex(c, 64)}) rm=${rm}`,
          { bits: out64(), flags }, refFma(F64, a, b, c, rm, op.negP, op.negC), 64);
      }
    }
    bad.assertNone(PER_RM * ALL_RM.length);
  });
}
