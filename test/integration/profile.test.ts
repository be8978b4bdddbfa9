// rvkvm run --profile on the real Debian guest: the probe program's c.mop.n show up as Zcmop instructions retired
// when the vCPU has Zcmop, and as illegal-instruction traps grouped under zcmop when strict mode disables it.
// Also the exec path: the profile of a bare-metal benchmark accounts for every retired instruction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'dist/src/cli/main.js');
const guest = resolve(root, '../shared/guest');
const probe = join(root, 'build/guest/linux/rvkvm-probe.elf');
const hashsort = join(root, 'build/guest/bench/int-hashsort.elf');
const prerequisites = existsSync(join(guest, 'linux-6.12.107-riscv64.Image')) && existsSync(probe);

interface Report { perExtension: Record<string, number>; perMode: { M: number; S: number; U: number }; illegalTraps: Record<string, number>; total: number }

function rvkvm(args: string[], timeoutSec = 300): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { input: '', encoding: 'utf8', timeout: (timeoutSec + 30) * 1000, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function bootWithProfile(extra: string[]): { report: Report; stdout: string; instructions: number } {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-profile-'));
  try {
    const json = join(dir, 'p.json');
    const r = rvkvm(['run', '--clock', 'icount', '--timeout', '300', '--append', 'console=ttyS0 panic=-1 quiet', '--stats',
      `--profile=${json}`, ...extra, '--init-commands', '/bin/rvkvm-probe']);
    assert.equal(r.code, 0, r.stderr);
    const stats = /instructions=(\d+)/.exec(r.stderr);
    assert.ok(stats, r.stderr);
    return { report: JSON.parse(readFileSync(json, 'utf8')) as Report, stdout: r.stdout, instructions: Number(stats[1]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function assertConsistent(r: Report, instructions: number): void {
  const sum = (o: Record<string, number>): number => Object.values(o).reduce((s, n) => s + n, 0);
  assert.equal(sum(r.perExtension), r.total, 'perExtension sums to total');
  assert.equal(r.perMode.M + r.perMode.S + r.perMode.U, r.total, 'perMode sums to total');
  assert.equal(r.total, instructions, 'every retired instruction is counted once');
}

test('Debian boot + probe: c.mop.n retire as Zcmop; the kernel runs in S-mode, busybox and the probe in U-mode', { skip: !prerequisites }, () => {
  const { report, stdout, instructions } = bootWithProfile([]);
  assert.match(stdout, /c\.mop\.n: 8 executed, 0 trapped/);
  assertConsistent(report, instructions);
  assert.ok((report.perExtension.zcmop ?? 0) >= 8, `zcmop count ${report.perExtension.zcmop}`);
  assert.ok((report.perExtension.zimop ?? 0) >= 40, `zimop count ${report.perExtension.zimop}`);
  assert.equal(report.illegalTraps.zcmop ?? 0, 0);
  assert.equal(report.perMode.M, 0, 'a KVM guest never runs in M-mode');
  assert.ok(report.perMode.S > 0 && report.perMode.U > 0);
  for (const ext of ['i', 'c', 'm', 'a', 'zicsr']) assert.ok((report.perExtension[ext] ?? 0) > 0, `${ext} executed`);
});

test('strict mode without Zcmop: zero Zcmop retired, the probe\'s 8 c.mop.n are counted as zcmop traps', { skip: !prerequisites }, () => {
  const { report, stdout, instructions } = bootWithProfile(['--allow-disable-any', '--disable-zcmop']);
  assert.match(stdout, /c\.mop\.n: 0 executed, 8 trapped/);
  assertConsistent(report, instructions);
  assert.equal(report.perExtension.zcmop ?? 0, 0);
  assert.ok((report.illegalTraps.zcmop ?? 0) >= 8, `zcmop traps ${report.illegalTraps.zcmop}`);
});

test('rvkvm exec --profile: the table on stderr accounts for every instruction of a bare-metal benchmark', { skip: !existsSync(hashsort) }, () => {
  const r = rvkvm(['exec', hashsort, '--stats', '--profile'], 120);
  assert.equal(r.code, 0, r.stderr);
  const n = Number(/rvkvm: (\d+) instructions/.exec(r.stderr)![1]);
  assert.match(r.stderr, new RegExp(`^instructions retired: ${n}$`, 'm'));
  assert.match(r.stderr, new RegExp(`^ {2}M\\s+${n}\\s+100\\.00 %$`, 'm'));
  assert.match(r.stderr, /^ {2}c\s+\d+/m, 'the rv64gc build uses compressed code (counted under c)');
  assert.match(r.stderr, /^illegal-instruction traps: 0$/m);
});

test('profile/trace flag errors are one-line messages', () => {
  for (const [args, msg] of [
    [['exec', hashsort, '--trace-first', '0', '--trace=/dev/null'], /--trace-first '0' is not a positive integer/],
    [['exec', hashsort, '--trace-range', '0x20-0x10', '--trace=/dev/null'], /LO is above HI/],
    [['exec', hashsort, '--trace-mode', 'h', '--trace=/dev/null'], /'h' is not m, s or u/],
    [['exec', hashsort, '--trace-ext', 'zfoo', '--trace=/dev/null'], /unknown extension 'zfoo'/],
    [['exec', hashsort, '--trace-ext', 'zcmop'], /need --trace=FILE/],
    [['run', '--profile=', '--timeout', '5'], /--profile= needs a file name/],
  ] as const) {
    const r = rvkvm([...args], 30);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, msg);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});
