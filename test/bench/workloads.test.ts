// The benchmark workloads as an integration test of real C code on the hart: each ELF (built by
// `make -C test/guest`) runs once through the exec code path and must print exactly what bench/reference.ts
// computes independently in TypeScript.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WORKLOADS, loadWorkloadElf, runWorkloadOnce, checkOutput, BenchError } from '../../bench/workloads.js';
import { prepareBootImage, guestFiles } from '../../bench/boot.js';
import { join, resolve } from 'node:path';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { projectRoot } from '../../bench/workloads.js';
import { validateResult, type BenchResult } from '../../bench/report.js';
import { runNativeWorkload, runProcess, runProcessFrom, runQemuWorkload } from '../../bench/refs.js';

test('four workloads: int, fp, mem, crypto', () => {
  assert.deepEqual(WORKLOADS.map((w) => w.name), ['int', 'fp', 'mem', 'crypto']);
});

for (const w of WORKLOADS) {
  test(`workload ${w.name}: runs on the hart and prints the reference values`, () => {
    const elf = loadWorkloadElf(w);
    const expected = w.expected();
    assert.ok(expected.size >= 1);
    const r = runWorkloadOnce(w, elf, expected);
    // fixed work: millions of instructions, not a trivially short program
    assert.ok(r.instructions > 5e6, `${r.instructions} instructions`);
    // the check is live: the same console against a value off by one fails
    const [label, value] = [...expected][0]!;
    const tampered = new Map(expected);
    tampered.set(label, value ^ 1n);
    assert.throws(() => checkOutput(w.name, r.console, tampered), BenchError);
  });
}

test('boot image: the initrd is a newc archive whose /init prints the marker', () => {
  const img = prepareBootImage(guestFiles(resolve(projectRoot, '../shared/guest')));
  try {
    const bytes = readFileSync(img.initrd);
    assert.equal(bytes.subarray(0, 6).toString('latin1'), '070701');
    const text = bytes.toString('latin1');
    assert.match(img.marker, /^rvkvm-bench-marker-[0-9a-f]{12}$/);
    assert.ok(text.includes(`/bin/busybox echo ${img.marker}\n`));
    assert.ok(text.includes('TRAILER!!!'));
  } finally {
    img.dispose();
  }
});

test('bench main --only mips --quick --json-only: stdout is the result document, also written to --results-dir', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-bench-test-'));
  try {
    const r = spawnSync(process.execPath, [join(projectRoot, 'dist/bench/main.js'), '--only', 'mips', '--quick', '--json-only', '--results-dir', dir],
      { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as BenchResult;
    assert.deepEqual(validateResult(doc), []);
    assert.deepEqual(doc.mips.map((m) => `${m.name} ${m.mode}`),
      ['int jit', 'int jit+profile', 'int interpreter', 'fp jit', 'fp jit+profile', 'fp interpreter',
        'mem jit', 'mem jit+profile', 'mem interpreter', 'crypto jit', 'crypto jit+profile', 'crypto interpreter']);
    assert.deepEqual(doc.boot, []);
    for (const m of doc.mips) assert.ok(Math.abs(m.mips - m.instructions / m.seconds / 1e6) < 1e-9 * m.mips, m.name);
    const files = readdirSync(dir);
    assert.equal(files.length, 1);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')), doc);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// the references run the same C: QEMU's -M spike build and the host build must print the reference values too
test('QEMU -M spike variant: tohost/fromhost are 8-byte objects and each workload prints the reference values on QEMU 7.2', async (t) => {
  const ver = spawnSync('qemu-system-riscv64', ['--version'], { encoding: 'utf8' });
  for (const w of WORKLOADS) {
    const nm = spawnSync('riscv64-linux-gnu-nm', ['-S', join(projectRoot, w.qemuElf)], { encoding: 'utf8' });
    assert.equal(nm.status, 0, nm.stderr);
    for (const sym of ['tohost', 'fromhost']) assert.match(nm.stdout, new RegExp(`^[0-9a-f]+ 0+8 [A-Za-z] ${sym}$`, 'm'), `${w.name} ${sym}`);
  }
  if (ver.status !== 0) { t.skip('qemu-system-riscv64 is not installed'); return; }
  for (const w of WORKLOADS) {
    const q = await runQemuWorkload({ id: 'qemu-7.2', binary: 'qemu-system-riscv64', version: 'test' }, w, 1);
    assert.equal(q.runs, 1);
    assert.ok(q.seconds.median > 0 && q.startupSeconds! > 0);
  }
});

test('native build: each workload compiled for the host prints the reference values', () => {
  for (const w of WORKLOADS) {
    const n = runNativeWorkload(w, 1);
    assert.equal(n.vm, 'native');
    assert.ok(n.seconds.min > 0 && n.seconds.min === n.seconds.max);
  }
});

test('runProcessFrom: times from the start line to exit', async () => {
  const r = await runProcessFrom('sh', ['-c', 'sleep 0.3; echo rvkvm-bench-start; sleep 0.4; echo done'], 'rvkvm-bench-start');
  assert.equal(r.status, 0);
  assert.ok(r.secondsToStart !== null && r.secondsToStart >= 0.28, String(r.secondsToStart));
  assert.ok(r.seconds - r.secondsToStart! >= 0.38, `${r.seconds} - ${r.secondsToStart}`);
  const none = await runProcessFrom('sh', ['-c', 'echo rvkvm-bench-star; exit 4'], 'rvkvm-bench-start');
  assert.equal(none.status, 4);
  assert.equal(none.secondsToStart, null);
});

test('runProcess: a failing command reports its status; the peak RSS is the child\'s', () => {
  const r = runProcess('sh', ['-c', 'exit 3']);
  assert.equal(r.status, 3);
  // a child that touches ~64 MiB has a peak RSS above that, far beyond sh's own few MiB
  const big = runProcess(process.execPath, ['-e', 'const b = Buffer.alloc(64 << 20, 1); console.log(b[12345])']);
  assert.equal(big.status, 0);
  assert.equal(big.stdout.trim(), '1');
  if (big.peakRssBytes !== null) assert.ok(big.peakRssBytes > 64 << 20, String(big.peakRssBytes));
});
