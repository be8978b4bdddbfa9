// The fuzz suite's rules, shared by its files: deterministic inputs (xorshift32 from a fixed seed, so a failing
// case reproduces from its number), every case bounded in wall time, and only "clean" outcomes allowed: the
// input is accepted, or refused with one of the project's typed errors in one line. Anything else (a RangeError,
// a TypeError, a multi-line message, a case that runs past its time) is a bug the suite reports with the case.
import assert from 'node:assert/strict';
import { IsaError } from '../../src/isa/errors.js';
import { KvmError } from '../../src/kvm/errors.js';
import { VmmError } from '../../src/vmm/errors.js';
import { ExecError } from '../../src/cli/cmd-exec.js';
import { UsageError } from '../../src/cli/errors.js';

/** xorshift32: next(n) is uniform-ish in [0, n). */
export function rng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s % n;
  };
}

const TYPED = [IsaError, KvmError, VmmError, ExecError, UsageError];

/** Runs one case: it must return or throw a typed one-line error, within `ms` of wall time. */
export function clean<T>(what: string, ms: number, fn: () => T): T | Error {
  const t0 = performance.now();
  let out: T | Error;
  try {
    out = fn();
  } catch (e) {
    assert.ok(TYPED.some((c) => e instanceof c), `${what}: not a typed error: ${(e as Error)?.stack ?? String(e)}`);
    assert.ok(!(e as Error).message.includes('\n') || e instanceof ExecError, `${what}: a multi-line message: ${(e as Error).message}`);
    out = e as Error;
  }
  const took = performance.now() - t0;
  assert.ok(took < ms, `${what}: took ${took.toFixed(0)} ms (bound ${ms} ms)`);
  return out;
}

/** The async form of clean(). */
export async function cleanAsync<T>(what: string, ms: number, fn: () => Promise<T>): Promise<T | Error> {
  const t0 = performance.now();
  let out: T | Error;
  try {
    out = await fn();
  } catch (e) {
    assert.ok(TYPED.some((c) => e instanceof c), `${what}: not a typed error: ${(e as Error)?.stack ?? String(e)}`);
    out = e as Error;
  }
  const took = performance.now() - t0;
  assert.ok(took < ms, `${what}: took ${took.toFixed(0)} ms (bound ${ms} ms)`);
  return out;
}

/** A copy of `base` with 1..k random byte changes, sometimes truncated or extended, positions biased to `hot`. */
export function mutate(base: Uint8Array, next: (n: number) => number, hot = base.length): Uint8Array {
  let b = base.slice();
  const r = next(10);
  if (r === 0) b = b.slice(0, next(b.length + 1));
  else if (r === 1) { const longer = new Uint8Array(b.length + 1 + next(64)); longer.set(b); b = longer; }
  if (b.length === 0) return b;
  for (let k = 1 + next(6); k > 0; k--) {
    const at = next(3) === 0 ? next(b.length) : next(Math.min(hot, b.length));
    switch (next(4)) {
      case 0: b[at] = next(256); break;
      case 1: b[at] = b[at]! ^ (1 << next(8)); break;
      case 2: b[at] = [0, 0xff, 0x7f, 0x80][next(4)]!; break;
      default: { // an interesting 32-bit value
        const v = [0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0x1000, b.length, b.length + 1][next(8)]!;
        for (let i = 0; i < 4 && at + i < b.length; i++) b[at + i] = (v >>> (8 * i)) & 0xff;
      }
    }
  }
  return b;
}

/** A Linux Image (header v0.2) of these 32-bit instruction words, entered in S-mode with the MMU off. */
export function tinyImage(words: number[]): Uint8Array {
  const img = new Uint8Array(64 + 4 * words.length);
  const dv = new DataView(img.buffer);
  dv.setUint32(0, 0x0400006f, true); // jal x0, +64
  dv.setBigUint64(8, 0x200000n, true); // text_offset
  dv.setBigUint64(16, BigInt(img.length), true); // image_size
  dv.setUint32(32, 2, true); // version 0.2
  img.set(new TextEncoder().encode('RISCV\0\0\0RSC\x05'), 48);
  words.forEach((w, i) => dv.setUint32(64 + 4 * i, w, true));
  return img;
}
