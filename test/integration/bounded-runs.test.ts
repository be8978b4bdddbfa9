// Every run stays bounded: trap storms (a trap vector that faults itself), a guest that does nothing but trap,
// mutated ELFs, a guest kernel panic; and `rvkvm run` stops cleanly within a second of --timeout, SIGINT, SIGTERM
// or SIGHUP (disks flushed, --profile written). Each hang case asserts an upper bound on wall time.
// Guests: test/guest/image/*.S (Linux Image format, for `run --kernel`), test/guest/hang/*.S (bare metal, for exec).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execElf } from '../../src/cli/cmd-exec.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'dist/src/cli/main.js');
const built = (p: string): string => join(root, 'build/guest', p);
const guestKernel = resolve(root, '../shared/guest/linux-6.12.107-riscv64.Image');

interface Run { code: number | null; signal: string | null; stdout: string; stderr: string; seconds: number }

/** rvkvm with a hard kill after `killAfterSec` (so a regression fails the test instead of hanging it) */
function rvkvm(args: string[], killAfterSec: number): Run {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, ...args], { input: '', encoding: 'utf8', timeout: killAfterSec * 1000, maxBuffer: 64 << 20 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, seconds: (performance.now() - t0) / 1000 };
}

/** Starts `rvkvm run ARGS`, waits until stdout shows `ready`, sends `signal`; resolves with the result and the
 *  seconds from the signal to the exit. */
function runAndSignal(args: string[], ready: string, signal: NodeJS.Signals): Promise<Run & { afterSignal: number }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [cli, 'run', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', sentAt = 0;
    const t0 = performance.now();
    const kill = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`rvkvm did not exit; stdout:\n${stdout}\nstderr:\n${stderr}`)); }, 30_000);
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
      if (sentAt === 0 && stdout.includes(ready)) {
        // let the guest run on for a while first, so the signal lands in the middle of its trap storm
        setTimeout(() => { sentAt = performance.now(); child.kill(signal); }, 500);
        sentAt = -1;
      }
    });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    child.on('exit', (code, sig) => {
      clearTimeout(kill);
      const end = performance.now();
      resolveRun({ code, signal: sig, stdout, stderr, seconds: (end - t0) / 1000, afterSignal: sentAt > 0 ? (end - sentAt) / 1000 : NaN });
    });
  });
}

const haveImages = existsSync(built('image/trap-storm.Image')) && existsSync(built('image/trap-flood.Image'));
const haveHang = existsSync(built('hang/trap-storm.elf')) && existsSync(built('hang/trap-flood.elf'));

test('the trap-storm guests were built (make -C test/guest)', () => {
  assert.ok(haveImages, 'build/guest/image/trap-storm.Image and trap-flood.Image');
  assert.ok(haveHang, 'build/guest/hang/trap-storm.elf and trap-flood.elf');
});

test('rvkvm run: a trap storm (the vector faults itself) is reported as a trap loop and exits 1 at once', { skip: !haveImages }, () => {
  const r = rvkvm(['run', '--kernel', built('image/trap-storm.Image')], 30);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /trap-storm: stvec points at an illegal instruction/);
  assert.match(r.stderr, /^rvkvm: vCPU 0: trap loop at pc 0x8020[0-9a-f]{4}, cause 2, vector 0x8020[0-9a-f]{4} faults \(cause 2, /m);
  assert.ok(r.seconds < 10, `took ${r.seconds.toFixed(1)} s`);
});

test('rvkvm run --timeout 2 ends a guest that only traps (not a loop: it retires) within a second of the timeout', { skip: !haveImages }, () => {
  const r = rvkvm(['run', '--kernel', built('image/trap-flood.Image'), '--timeout', '2'], 30);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /timeout: the guest ran for 2\.0 s without powering off/);
  // start-up (node, the machine) plus the 2 s, plus at most one second
  assert.ok(r.seconds < 2 + 1 + 1.5, `took ${r.seconds.toFixed(1)} s`);
});

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
  test(`rvkvm run stops within a second of ${signal} during a trap storm, exits ${code} and writes --profile as JSON`, { skip: !haveImages }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rvkvm-sig-'));
    try {
      const profile = join(dir, 'profile.json');
      const r = await runAndSignal(['--kernel', built('image/trap-flood.Image'), `--profile=${profile}`], 'trap-flood:', signal);
      assert.equal(r.signal, null, 'exited by itself, not killed by the signal');
      assert.equal(r.code, code, r.stderr);
      assert.match(r.stderr, new RegExp(`rvkvm: stopped by ${signal}`));
      assert.ok(r.afterSignal < 1, `exited ${r.afterSignal.toFixed(2)} s after ${signal}`);
      const report = JSON.parse(readFileSync(profile, 'utf8')) as { total: number; perMode: Record<string, number> };
      assert.ok(report.total > 1000, `profile total ${report.total}`);
      assert.ok(report.perMode.S! > 0, 'the guest ran in S-mode');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** The pids of a process's children (Linux /proc). */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

test('rvkvm run is two processes (the child in one malloc arena); a parent killed outright (SIGKILL) takes its VM with it', { skip: !haveImages || process.platform !== 'linux' }, async () => {
  const child = spawn(process.execPath, [cli, 'run', '--kernel', built('image/trap-flood.Image')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
  try {
    let out = '';
    await new Promise<void>((ready) => child.stdout.on('data', (b: Buffer) => { out += b.toString(); if (out.includes('trap-flood:')) ready(); }));
    const vms = childrenOf(child.pid!);
    assert.equal(vms.length, 1, 'one child process runs the VM');
    const vm = vms[0]!;
    assert.match(readFileSync(`/proc/${vm}/environ`, 'latin1'), /(^|\0)MALLOC_ARENA_MAX=1\0/);
    child.kill('SIGKILL');
    const t0 = performance.now();
    // ended: gone, or a zombie left for whoever adopted it to reap
    const ended = (): boolean => { try { return / Z /.test(readFileSync(`/proc/${vm}/stat`, 'utf8').replace(/^.*\)/, '')); } catch { return true; } };
    while (!ended() && performance.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 50));
    assert.ok(ended(), 'the VM process ended after its parent was killed');
    assert.ok(performance.now() - t0 < 3000, `it ended ${((performance.now() - t0) / 1000).toFixed(1)} s after the kill`);
  } finally {
    clearTimeout(guard);
  }
});

const haveScript = spawnSync('sh', ['-c', 'command -v script'], { encoding: 'utf8' }).status === 0;
test('rvkvm run on a terminal: Ctrl-A x stops a trap storm within a second', { skip: !haveImages || !haveScript ? 'needs script(1) and the guests' : false }, async () => {
  // script(1) gives rvkvm a pseudo-terminal, so the console is interactive and Ctrl-A x is the escape
  const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} run --kernel ${JSON.stringify(built('image/trap-flood.Image'))}`;
  const r = await new Promise<{ out: string; afterKeys: number; code: number | null }>((resolveRun, reject) => {
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', sentAt = 0;
    const kill = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`no exit; output:\n${out}`)); }, 30_000);
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (sentAt === 0 && out.includes('trap-flood:')) {
        sentAt = -1;
        setTimeout(() => { sentAt = performance.now(); child.stdin.write('\x01x'); }, 500);
      }
    });
    child.on('exit', (code) => { clearTimeout(kill); resolveRun({ out, code, afterKeys: (performance.now() - sentAt) / 1000 }); });
  });
  assert.match(r.out, /terminated \(Ctrl-A x\)/);
  assert.equal(r.code, 0, 'Ctrl-A x exits 0, as QEMU does');
  assert.ok(r.afterKeys < 1, `exited ${r.afterKeys.toFixed(2)} s after Ctrl-A x`);
});

test('rvkvm exec --isa rv64i on an rv64gc program: trap loop reported (compressed code is illegal, mtvec 0 faults), exit 1', () => {
  const r = rvkvm(['exec', built('hart/hello.elf'), '--isa', 'rv64i'], 30);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^rvkvm: hart 0: trap loop at pc 0x800000[0-9a-f]{2}, cause 2, vector 0x0 faults \(cause 1, \d+ times in a row without retiring an instruction\)\n$/);
  assert.ok(r.seconds < 10, `took ${r.seconds.toFixed(1)} s`);
});

test('rvkvm exec: an M-mode trap storm is a trap loop; a program that only traps ends at --timeout', { skip: !haveHang }, () => {
  const storm = rvkvm(['exec', built('hang/trap-storm.elf')], 30);
  assert.equal(storm.code, 1);
  assert.match(storm.stderr, /^rvkvm: hart 0: trap loop at pc 0x800000[0-9a-f]{2}, cause 2, vector 0x800000[0-9a-f]{2} faults/);
  assert.ok(storm.seconds < 10, `trap storm took ${storm.seconds.toFixed(1)} s`);
  const flood = rvkvm(['exec', built('hang/trap-flood.elf'), '--timeout', '1'], 30);
  assert.equal(flood.code, 1);
  assert.match(flood.stderr, /^rvkvm: the program did not finish within --timeout 1 s \(\d+ instructions retired, pc 0x800000[0-9a-f]{2}\)\n$/);
  assert.ok(flood.seconds < 1 + 1.5, `trap flood took ${flood.seconds.toFixed(1)} s`);
  const bad = rvkvm(['exec', built('hang/trap-flood.elf'), '--timeout', 'soon'], 30);
  assert.match(bad.stderr, /^rvkvm: --timeout 'soon': expected seconds > 0\n$/);
});

test('mutated ELFs never hang exec: 48 deterministic mutations of hello.elf each end (result or clean error) in bounded time', () => {
  const original = readFileSync(built('hart/hello.elf'));
  let seed = 0x2545f491;
  const rand = (n: number): number => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) % n; };
  const t0 = performance.now();
  const outcomes = new Map<string, number>();
  for (let k = 0; k < 48; k++) {
    const bytes = new Uint8Array(original);
    // half the mutations hit the ELF and program headers, half the code and data
    const region = k % 2 === 0 ? Math.min(bytes.length, 0x100) : bytes.length;
    for (let j = 0, n = 1 + rand(8); j < n; j++) bytes[rand(region)] = rand(256);
    const start = performance.now();
    let outcome: string;
    try {
      const r = execElf(bytes, { maxInstructions: 5_000_000, timeoutMs: 2000 });
      outcome = `exit ${r.exitCode}`;
    } catch (e) {
      const err = e as Error;
      // a clean error is one of the project's own, with a message; a TypeError / RangeError would be a host bug
      assert.match(err.name, /^(ExecError|VmmError|ElfError|MemoryError|HartError|IsaError)$/, `mutation ${k}: ${err.name}: ${err.message}`);
      outcome = err.message.replace(/0x[0-9a-f]+|\d+/g, 'N').slice(0, 60);
    }
    const took = performance.now() - start;
    assert.ok(took < 3000, `mutation ${k} took ${took.toFixed(0)} ms (${outcome})`);
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  assert.ok(performance.now() - t0 < 60_000);
  assert.ok(outcomes.size >= 2, `the mutations reach different outcomes: ${JSON.stringify([...outcomes])}`);
});

const haveGuest = existsSync(guestKernel);
test('rvkvm run --mem 64M: the bundled kernel panics early (no panic= yet, it would spin for ever): exit 1, promptly', { skip: !haveGuest }, () => {
  const r = rvkvm(['run', '--mem', '64M'], 120);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /---\[ end Kernel panic - not syncing: /);
  assert.match(r.stderr, /^rvkvm: the guest kernel panicked: memblocks_present: Failed to allocate \d+ bytes/m);
  assert.ok(r.seconds < 60, `took ${r.seconds.toFixed(1)} s`);
});

test('a panic after boot (sysrq crash): panic=-1 resets the guest through SBI, and the reset after a panic exits 1', { skip: !haveGuest }, () => {
  const r = rvkvm(['run', '--clock', 'icount', '--timeout', '200', '--init-commands', 'echo c > /proc/sysrq-trigger'], 260);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /Kernel panic - not syncing: sysrq triggered crash/);
  assert.doesNotMatch(r.stdout, /---\[ end Kernel panic/, 'panic=-1 reset at once, it did not spin');
  assert.match(r.stderr, /^rvkvm: the guest kernel panicked: sysrq triggered crash$/m);
  assert.doesNotMatch(r.stderr, /timeout/);
});
