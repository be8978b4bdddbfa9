// Throughput of the hot FP operations (not a test: run `node dist/test/hart/fp/throughput.js`).
// Operands are random normal doubles/floats preloaded as raw halves, as the hart would pass them.
// Each operation is measured in its own process so that its call site stays monomorphic.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as fp from '../../../src/hart/fp/index.js';

const N = 1 << 16;
const lo = new Int32Array(N);
const hi = new Int32Array(N);
const f32 = new Int32Array(N);
const f64v = new Float64Array(1);
const i32v = new Int32Array(f64v.buffer);
const f32v = new Float32Array(1);
const f32i = new Int32Array(f32v.buffer);
let seed = 1;
const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
for (let i = 0; i < N; i++) {
  f64v[0] = (rand() - 0.5) * 2 ** (rand() * 40 - 20);
  lo[i] = i32v[0];
  hi[i] = i32v[1];
  f32v[0] = f64v[0];
  f32[i] = f32i[0];
}

function measure(name: string, body: (i: number) => number): void {
  const iterations = 4_000_000;
  let sink = 0;
  for (let i = 0; i < 200_000; i++) sink ^= body(i & (N - 1)); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) sink ^= body(i & (N - 1));
  const ms = performance.now() - t0;
  console.log(`${name.padEnd(22)} ${((iterations / ms) * 1000 / 1e6).toFixed(1).padStart(6)} M ops/s   (sink ${sink & 1})`);
}

const M = N - 1;
const BENCHES: [string, (i: number) => number][] = [
  ['f64 add RNE', (i) => fp.f64Add(lo[i], hi[i], lo[(i + 1) & M], hi[(i + 1) & M], fp.RM_RNE)],
  ['f64 add RDN', (i) => fp.f64Add(lo[i], hi[i], lo[(i + 1) & M], hi[(i + 1) & M], fp.RM_RDN)],
  ['f64 mul RNE', (i) => fp.f64Mul(lo[i], hi[i], lo[(i + 1) & M], hi[(i + 1) & M], fp.RM_RNE)],
  ['f64 div RNE', (i) => fp.f64Div(lo[i], hi[i], lo[(i + 1) & M], hi[(i + 1) & M], fp.RM_RNE)],
  ['f64 sqrt RNE', (i) => fp.f64Sqrt(lo[i], hi[i] & 0x7fffffff, fp.RM_RNE)],
  ['f64 fmadd RNE', (i) => fp.f64MulAdd(lo[i], hi[i], lo[(i + 1) & M], hi[(i + 1) & M], lo[(i + 2) & M], hi[(i + 2) & M], fp.RM_RNE)],
  ['f64 fmadd RUP', (i) => fp.f64MulAdd(lo[i], hi[i], lo[(i + 1) & M], hi[(i + 1) & M], lo[(i + 2) & M], hi[(i + 2) & M], fp.RM_RUP)],
  ['f32 add RNE', (i) => fp.f32Add(f32[i], f32[(i + 1) & M], fp.RM_RNE)],
  ['f32 fmadd RNE', (i) => fp.f32MulAdd(f32[i], f32[(i + 1) & M], f32[(i + 2) & M], fp.RM_RNE)],
  ['fcvt.l.d RTZ', (i) => fp.f64ToI64(lo[i], hi[i], fp.RM_RTZ)],
  ['feq.d', (i) => fp.f64Eq(lo[i], hi[i], lo[(i + 1) & M], hi[(i + 1) & M])],
];

const which = process.argv[2];
if (which !== undefined) {
  const [name, body] = BENCHES[Number(which)];
  measure(name, body);
} else {
  const self = fileURLToPath(import.meta.url);
  for (let k = 0; k < BENCHES.length; k++) spawnSync(process.execPath, [self, String(k)], { stdio: 'inherit' });
}
