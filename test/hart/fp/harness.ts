// Glue between the BigInt reference and the library under test: call, read fpOut, compare, and report
// the first mismatches with inputs in hex.

import assert from 'node:assert/strict';
import { fpOut } from '../../../src/hart/fp/index.js';
import { F16, F32, F64, Fmt, Result, Rng, halves, hex, randomFloat } from './reference.js';

export function out64(): bigint {
  return (BigInt(fpOut[1] >>> 0) << 32n) | BigInt(fpOut[0] >>> 0);
}

/** binary32 result: the low word, and the high word must be the NaN-box (all ones) */
export function out32(): bigint {
  assert.equal(fpOut[1], -1, 'binary32 result must be NaN-boxed (fpOut[1] = -1)');
  return BigInt(fpOut[0] >>> 0);
}

/** binary16 result: the low 16 bits, and the upper 48 must be the NaN-box */
export function out16(): bigint {
  assert.equal(fpOut[1], -1, 'binary16 result must be NaN-boxed (fpOut[1] = -1)');
  assert.equal(fpOut[0]! >>> 16, 0xffff, 'binary16 result must be NaN-boxed (fpOut[0] bits 31:16 all ones)');
  return BigInt(fpOut[0]! & 0xffff);
}

export function outOf(f: Fmt): bigint {
  return f.width === 16 ? out16() : f.width === 32 ? out32() : out64();
}

export class Mismatches {
  readonly list: string[] = [];
  count = 0;
  check(what: string, got: Result, want: Result, width: number): void {
    if (got.bits === want.bits && got.flags === want.flags) return;
    this.count++;
    if (this.list.length < 8) {
      this.list.push(`${what}: got ${hex(got.bits, width)} flags ${got.flags}, want ${hex(want.bits, width)} flags ${want.flags}`);
    }
  }
  assertNone(total: number): void {
    assert.equal(this.count, 0, `${this.count} of ${total} cases differ:\n${this.list.join('\n')}`);
  }
}

export type Unary = (f: Fmt, a: bigint, rm: number) => Result;
export type Binary = (f: Fmt, a: bigint, b: bigint, rm: number) => Result;
export type Ternary = (f: Fmt, a: bigint, b: bigint, c: bigint, rm: number) => Result;

/** library adapters: bits in, Result out */
export function lib64Binary(fn: (aLo: number, aHi: number, bLo: number, bHi: number, rm: number) => number) {
  return (a: bigint, b: bigint, rm: number): Result => {
    const [aLo, aHi] = halves(a);
    const [bLo, bHi] = halves(b);
    const flags = fn(aLo, aHi, bLo, bHi, rm);
    return { bits: out64(), flags };
  };
}
export function lib32Binary(fn: (a: number, b: number, rm: number) => number) {
  return (a: bigint, b: bigint, rm: number): Result => {
    const flags = fn(Number(a), Number(b), rm);
    return { bits: out32(), flags };
  };
}

/** random second operand related to the first so that sums cancel, products/quotients hit boundaries */
export function relatedOperand(rng: Rng, f: Fmt, a: bigint): bigint {
  const signBit = 1n << BigInt(f.width - 1);
  switch (rng.int(4)) {
    case 0: return a ^ signBit; // -a
    case 1: return (a ^ (rng.int(2) ? signBit : 0n)) + BigInt(rng.int(9) - 4); // near ±a
    case 2: return (a ^ (rng.int(2) ? signBit : 0n)) + (BigInt(rng.int(200) - 100) << BigInt(f.p - 1)); // exponent nearby
    default: return randomFloat(rng, f);
  }
}

export function pair(rng: Rng, f: Fmt): [bigint, bigint] {
  const a = randomFloat(rng, f);
  const mask = (1n << BigInt(f.width)) - 1n;
  const b = rng.int(3) === 0 ? relatedOperand(rng, f, a) & mask : randomFloat(rng, f);
  return rng.int(2) ? [a, b] : [b, a];
}

export { F16, F32, F64 };
