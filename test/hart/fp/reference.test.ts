// The reference model itself is checked against the host's IEEE doubles (round-to-nearest-even), which
// are correctly rounded by the JS spec: an independent check that the BigInt model rounds right.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F32, F64, RNE, Rng, randomFloat, refAdd, refDiv, refMul, refSqrt, decode } from './reference.js';

const buf = new DataView(new ArrayBuffer(8));
const toDouble = (bits: bigint) => { buf.setBigUint64(0, bits); return buf.getFloat64(0); };
const toBits = (x: number) => { buf.setFloat64(0, x); return buf.getBigUint64(0); };
const f32ToDouble = (bits: bigint) => { buf.setUint32(0, Number(bits)); return buf.getFloat32(0); };
const doubleToF32 = (x: number) => { buf.setFloat32(0, x); return BigInt(buf.getUint32(0)); };

test('reference f64 add/mul/div/sqrt agree with host doubles (RNE, non-NaN results)', () => {
  const rng = new Rng(12345);
  let n = 0;
  for (let i = 0; i < 4000; i++) {
    const a = randomFloat(rng, F64);
    const b = randomFloat(rng, F64);
    if (decode(a, F64).kind === 'nan' || decode(b, F64).kind === 'nan') continue;
    const x = toDouble(a), y = toDouble(b);
    const cases: [bigint, number][] = [
      [refAdd(F64, a, b, RNE).bits, x + y], [refMul(F64, a, b, RNE).bits, x * y],
      [refDiv(F64, a, b, RNE).bits, x / y], [refSqrt(F64, a, RNE).bits, Math.sqrt(x)],
    ];
    for (const [ref, host] of cases) {
      if (Number.isNaN(host)) continue;
      assert.equal(ref, toBits(host), `a=${a.toString(16)} b=${b.toString(16)} host=${host}`);
      n++;
    }
  }
  assert.ok(n > 10000);
});

test('reference f32 ops agree with Math.fround of the exact-enough double (RNE)', () => {
  const rng = new Rng(777);
  for (let i = 0; i < 4000; i++) {
    const a = randomFloat(rng, F32);
    const b = randomFloat(rng, F32);
    if (decode(a, F32).kind === 'nan' || decode(b, F32).kind === 'nan') continue;
    const x = f32ToDouble(a), y = f32ToDouble(b);
    // for binary32 operands one double operation then fround is correctly rounded (53 >= 2*24+2)
    const pairs: [bigint, number][] = [
      [refAdd(F32, a, b, RNE).bits, x + y], [refMul(F32, a, b, RNE).bits, x * y],
      [refDiv(F32, a, b, RNE).bits, x / y], [refSqrt(F32, a, RNE).bits, Math.sqrt(x)],
    ];
    for (const [ref, host] of pairs) {
      if (Number.isNaN(host)) continue;
      assert.equal(ref, doubleToF32(host), `a=${a.toString(16)} b=${b.toString(16)}`);
    }
  }
});
