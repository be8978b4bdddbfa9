// The vector oracle's QEMU side and comparison, shared by the QEMU 7.2 and QEMU 10 tests: a generated program
// (gen.ts) runs in harness.c on QEMU (test/hart/qemu/bare-metal.ts) and its output block is compared case by
// case with rvkvm's (run.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Program } from './gen.js';
import { QEMU_7, runBareMetal } from '../qemu/bare-metal.js';

const SOURCES = fileURLToPath(new URL('../../../../test/hart/vector/qemu/', import.meta.url));

/** the program's output block as QEMU computes it: `qemu` with `-cpu cpu` (default: rv64 with V at this VLEN) */
export function runOnQemu(p: Program, vlen: number, qemu = QEMU_7, cpu = `rv64,v=true,vlen=${vlen},elen=64,vext_spec=v1.0`): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-v-oracle-'));
  try {
    const words = [...p.code].map((w) => `0x${w.toString(16)}u`);
    const bytes = [...p.input].map((b) => String(b));
    writeFileSync(join(dir, 'prog.h'),
      `__attribute__((section(".text.prog"), aligned(64))) const unsigned int PROG[] = {${words.join(',')}};\n` +
      `__attribute__((aligned(64))) const unsigned char INPUT[] = {${bytes.join(',')}};\n#define OUT_BYTES ${p.outBytes}\n`);
    const text = runBareMetal(dir, join(SOURCES, 'harness.c'), qemu, cpu).replace(/\s/g, '');
    assert.equal(text.length, p.outBytes * 2, `${qemu} -cpu ${cpu} printed ${text.length / 2} of ${p.outBytes} bytes`);
    return Uint8Array.from(text.match(/../g)!.map((h) => parseInt(h, 16)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** case-by-case differences, readable */
export function compare(p: Program, vlen: number, got: Uint8Array, want: Uint8Array): string[] {
  const vlenb = vlen / 8, slot = 32 * vlenb + 64;
  const bad: string[] = [];
  const hex = (a: Uint8Array) => [...a].map((b) => b.toString(16).padStart(2, '0')).join('');
  for (let k = 0; k < p.cases.length; k++) {
    const g = got.subarray(k * slot, (k + 1) * slot), w = want.subarray(k * slot, (k + 1) * slot);
    if (g.every((b, i) => b === w[i])) continue;
    const diffs: string[] = [];
    for (let r = 0; r < 32; r++) {
      const gr = g.subarray(r * vlenb, (r + 1) * vlenb), wr = w.subarray(r * vlenb, (r + 1) * vlenb);
      if (!gr.every((b, i) => b === wr[i])) diffs.push(`v${r}: rvkvm ${hex(gr)} qemu ${hex(wr)}`);
    }
    const names = ['vl', 'vtype', 'vxsat', 'x30', 'traps', 'mcause', 'vstart', 'fflags'];
    for (let j = 0; j < 8; j++) {
      const o = 32 * vlenb + j * 8;
      const gv = new DataView(g.buffer, g.byteOffset + o, 8).getBigUint64(0, true), wv = new DataView(w.buffer, w.byteOffset + o, 8).getBigUint64(0, true);
      if (gv !== wv) diffs.push(`${names[j]}: rvkvm ${gv.toString(16)} qemu ${wv.toString(16)}`);
    }
    bad.push(`case ${k} (${p.cases[k]}): ${diffs.join('; ')}`);
  }
  const so = p.cases.length * slot;
  for (let i = so; i < got.length; i++) if (got[i] !== want[i]) { bad.push(`scratch byte ${i - so}: rvkvm ${got[i]} qemu ${want[i]}`); break; }
  return bad;
}

