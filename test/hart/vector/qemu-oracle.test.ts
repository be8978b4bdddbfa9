// QEMU as an oracle for the vector unit: random programs (gen.ts) of one vector instruction per case run on
// qemu-system-riscv64 7.2 (-cpu rv64,v=true, RVV 1.0, tail/mask undisturbed like rvkvm) and on rvkvm's hart;
// every case's 32 registers, vl, vtype, vxsat, scalar result and trap count, and the store scratch area,
// must be equal byte for byte. Skipped when the cross compiler or QEMU is not installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate, type Program } from './gen.js';
import { runOnHart } from './run.js';

const SOURCES = fileURLToPath(new URL('../../../../test/hart/vector/qemu/', import.meta.url));

function missingTool(): string | undefined {
  for (const tool of ['riscv64-linux-gnu-gcc', 'qemu-system-riscv64']) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).error) return `${tool} not installed`;
  }
  return undefined;
}

/** the program's output block as QEMU computes it */
export function runOnQemu(p: Program, vlen: number): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-v-oracle-'));
  try {
    const words = [...p.code].map((w) => `0x${w.toString(16)}u`);
    const bytes = [...p.input].map((b) => String(b));
    writeFileSync(join(dir, 'prog.h'),
      `__attribute__((section(".text.prog"), aligned(64))) const unsigned int PROG[] = {${words.join(',')}};\n` +
      `__attribute__((aligned(64))) const unsigned char INPUT[] = {${bytes.join(',')}};\n#define OUT_BYTES ${p.outBytes}\n`);
    const elf = join(dir, 'oracle.elf');
    const cc = spawnSync('riscv64-linux-gnu-gcc', [
      '-march=rv64imafd', '-mabi=lp64d', '-O1', '-nostdlib', '-ffreestanding', '-static', '-fno-pie', '-no-pie',
      '-mcmodel=medany', '-Wl,--build-id=none', '-Wl,--no-warn-rwx-segments', '-T', join(SOURCES, 'link.ld'), '-I', dir,
      join(SOURCES, 'start.S'), join(SOURCES, 'harness.c'), '-o', elf,
    ], { encoding: 'utf8' });
    assert.equal(cc.status, 0, `cross compile failed:\n${cc.stderr}`);
    const output = join(dir, 'uart.txt');
    const run = spawnSync('qemu-system-riscv64', ['-M', 'virt', '-bios', 'none', '-kernel', elf, '-m', '128M',
      '-cpu', `rv64,v=true,vlen=${vlen},elen=64,vext_spec=v1.0`, '-display', 'none', '-monitor', 'none', '-serial', `file:${output}`],
    { encoding: 'utf8', timeout: 120_000 });
    const text = existsSync(output) ? readFileSync(output, 'utf8').replace(/\s/g, '') : '';
    assert.equal(text.length, p.outBytes * 2, `qemu printed ${text.length / 2} of ${p.outBytes} bytes (status ${run.status} ${run.signal ?? ''} ${run.stderr})`);
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

const skip = missingTool();
for (const [vlen, seed, n, kind] of [[128, 1, 300, 'int'], [128, 7, 300, 'int'], [256, 3, 300, 'int'], [128, 21, 300, 'load/store'],
  [512, 9, 150, 'load/store'], [128, 31, 400, 'fp'], [256, 32, 300, 'fp']] as const) {
  test(`random vector programs equal QEMU's results (VLEN ${vlen}, seed ${seed}, ${n} ${kind} cases)`, { skip }, () => {
    const p = generate(seed, n, vlen, kind === 'load/store', kind === 'fp');
    const want = runOnQemu(p, vlen);
    const got = runOnHart(p, vlen).out;
    const bad = compare(p, vlen, got, want);
    assert.deepEqual(bad.slice(0, 6), [], `${bad.length} differing cases`);
  });
}

test('translated code gives the interpreter\'s vector results (vector ops run through the interpreter)', () => {
  const p = generate(5, 120, 128);
  const a = runOnHart(p, 128, false).out, b = runOnHart(p, 128, true);
  assert.ok(b.hart.jitStats.pages > 0, 'some page was translated');
  assert.deepEqual(compare(p, 128, b.out, a), []);
});
