// The bench's references for the C workloads and the boot: QEMU 7.2 (the machine's qemu-system-misc), QEMU 10
// (fetched, not installed, by bench/qemu10.sh into build/qemu-10) and the same C compiled for the host (the
// native limit). Every run's printed values are checked like rvkvm's. Child processes are timed here from
// spawn (QEMU: from the start line its program prints first) to exit; peak RSS comes from GNU time's maximum
// resident set (exact, unlike polling /proc).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkOutput, projectRoot, type Workload } from './workloads.js';
import { spread, type RefTiming } from './report.js';

export interface QemuRef { id: 'qemu-7.2' | 'qemu-10'; binary: string; version: string }

const GNU_TIME = '/usr/bin/time';

/** "QEMU emulator version 10.0.2 (Debian ...)" -> "10.0.2" */
export function parseQemuVersion(text: string): string | null {
  const m = /QEMU emulator version (\d+\.\d+(?:\.\d+)?)/.exec(text);
  return m ? m[1]! : null;
}

function versionOf(binary: string): string | null {
  const r = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return r.error || r.status !== 0 ? null : parseQemuVersion(r.stdout);
}

/**
 * The QEMU references that can run here; for each one that cannot, one line in `notes` saying which and why.
 * QEMU 10 is fetched on first use (bench/qemu10.sh: apt-get download + dpkg -x, cached under build/qemu-10).
 */
export function findQemuRefs(notes: string[], progress: (m: string) => void): QemuRef[] {
  const refs: QemuRef[] = [];
  const sys = versionOf('qemu-system-riscv64');
  if (sys === null) notes.push('reference qemu-7.2 missing: qemu-system-riscv64 not found (install Debian\'s qemu-system-misc)');
  else if (!sys.startsWith('7.')) notes.push(`reference qemu-7.2 missing: qemu-system-riscv64 is version ${sys}`);
  else refs.push({ id: 'qemu-7.2', binary: 'qemu-system-riscv64', version: sys });
  progress('qemu-10: bench/qemu10.sh (fetches bookworm-backports qemu-system-riscv into build/qemu-10 once)');
  const r = spawnSync('sh', [join(projectRoot, 'bench/qemu10.sh')], { encoding: 'utf8', timeout: 600_000 });
  const wrapper = r.stdout?.trim().split('\n').at(-1) ?? '';
  if (r.error || r.status !== 0 || !wrapper) {
    const why = (r.stderr ?? '').trim().split('\n').at(-1) || r.error?.message || `exit ${r.status}`;
    notes.push(`reference qemu-10 missing: ${why}`);
  } else {
    const v = versionOf(wrapper);
    if (v === null) notes.push(`reference qemu-10 missing: ${wrapper} --version failed`);
    else refs.push({ id: 'qemu-10', binary: wrapper, version: v });
  }
  return refs;
}

export interface ProcessRun { seconds: number; peakRssBytes: number | null; status: number | null; stdout: string; stderr: string }

/** Runs a command to completion; wall seconds spawn -> exit, peak RSS through GNU time when it is installed. */
export function runProcess(command: string, args: readonly string[], timeoutSeconds = 600): ProcessRun {
  const useTime = existsSync(GNU_TIME);
  const dir = useTime ? mkdtempSync(join(tmpdir(), 'rvkvm-bench-time-')) : '';
  try {
    const out = join(dir, 'rusage');
    const [cmd, argv] = useTime ? [GNU_TIME, ['-f', '%M', '-o', out, command, ...args]] : [command, [...args]];
    const t0 = performance.now();
    const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: timeoutSeconds * 1000, maxBuffer: 64 << 20 });
    const seconds = (performance.now() - t0) / 1000;
    let peak: number | null = null;
    if (useTime && existsSync(out)) {
      const kb = Number(readFileSync(out, 'utf8').trim().split('\n').at(-1));
      if (kb > 0) peak = kb * 1024;
    }
    return { seconds, peakRssBytes: peak, status: r.error ? null : r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

function qemuSpikeArgs(elf: string): string[] {
  return ['-M', 'spike', '-nographic', '-bios', 'none', '-m', '256M', '-kernel', elf];
}

/** The line crt0.S of the bench-qemu build prints before main (test/guest/crt0.S). */
export const QEMU_START_LINE = 'rvkvm-bench-start';

export interface StartedRun extends ProcessRun {
  /** spawn -> the start line on stdout (null if it never came) */
  secondsToStart: number | null;
}

/** Like runProcess, streaming stdout to timestamp the first line containing `startLine`. */
export function runProcessFrom(command: string, args: readonly string[], startLine: string, timeoutSeconds = 600): Promise<StartedRun> {
  const useTime = existsSync(GNU_TIME);
  const dir = useTime ? mkdtempSync(join(tmpdir(), 'rvkvm-bench-time-')) : '';
  const out = join(dir, 'rusage');
  const [cmd, argv] = useTime ? [GNU_TIME, ['-f', '%M', '-o', out, command, ...args]] : [command, [...args]];
  return new Promise((done) => {
    const t0 = performance.now();
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', startAt: number | null = null, failed = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutSeconds * 1000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('latin1');
      if (startAt === null) {
        const at = stdout.indexOf(startLine);
        if (at >= 0 && stdout.indexOf('\n', at) >= 0) startAt = performance.now();
      }
    });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
    child.on('error', (e) => { failed = true; stderr += e.message; });
    child.on('close', (code) => {
      const end = performance.now();
      clearTimeout(timer);
      let peak: number | null = null;
      try {
        if (useTime && existsSync(out)) {
          const kb = Number(readFileSync(out, 'utf8').trim().split('\n').at(-1));
          if (kb > 0) peak = kb * 1024;
        }
      } finally {
        if (dir) rmSync(dir, { recursive: true, force: true });
      }
      done({
        seconds: (end - t0) / 1000, secondsToStart: startAt === null ? null : (startAt - t0) / 1000,
        peakRssBytes: peak, status: failed ? null : code, stdout, stderr,
      });
    });
  });
}

/** A workload on one QEMU (-M spike, TCG): seconds from the program's start line to QEMU's exit. */
export async function runQemuWorkload(q: QemuRef, w: Workload, runs: number): Promise<RefTiming> {
  const elf = join(projectRoot, w.qemuElf);
  if (!existsSync(elf)) throw new Error(`${w.qemuElf} is missing: make -C test/guest`);
  const expected = w.expected();
  const each: number[] = [], starts: number[] = [];
  let peak: number | null = null;
  for (let k = 0; k < runs; k++) {
    const r = await runProcessFrom(q.binary, qemuSpikeArgs(elf), QEMU_START_LINE);
    if (r.status !== 0) throw new Error(`${q.id} on ${w.name}: exit ${r.status}: ${r.stderr.trim().split('\n').at(-1) ?? ''}`);
    if (r.secondsToStart === null) throw new Error(`${q.id} on ${w.name}: no '${QEMU_START_LINE}' line (rebuild: make -C test/guest)`);
    checkOutput(`${w.name} on ${q.id}`, r.stdout.replace(/\r/g, ''), expected);
    each.push(r.seconds - r.secondsToStart);
    starts.push(r.secondsToStart);
    if (r.peakRssBytes !== null) peak = Math.max(peak ?? 0, r.peakRssBytes);
  }
  return {
    vm: q.id, version: q.version, runs, seconds: spread(each)!, peakRssBytes: peak, startupSeconds: spread(starts)!.median,
    how: 'wall seconds from the start line the program prints first (crt0) to QEMU\'s exit',
  };
}

/** Compiles the workload's C for the host (gcc -O2, bench/native/htif.h) into build/bench-native. */
export function buildNative(w: Workload): string {
  const outDir = join(projectRoot, 'build/bench-native');
  mkdirSync(outDir, { recursive: true });
  const exe = join(outDir, w.name);
  const r = spawnSync('gcc', ['-O2', '-Wall', '-Wno-unused-function', '-Wno-unused-variable', '-I', join(projectRoot, 'bench/native'),
    '-o', exe, join(projectRoot, w.source), '-lm'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`gcc on ${w.source} failed: ${r.error?.message ?? r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  return exe;
}

/** The native limit: the host build's process seconds (its start-up is about a millisecond). */
export function runNativeWorkload(w: Workload, runs: number): RefTiming {
  const exe = buildNative(w);
  const gcc = spawnSync('gcc', ['-dumpfullversion'], { encoding: 'utf8' }).stdout?.trim() || null;
  const expected = w.expected();
  const each: number[] = [];
  let peak: number | null = null;
  for (let k = 0; k < runs; k++) {
    const r = runProcess(exe, []);
    if (r.status !== 0) throw new Error(`native ${w.name}: exit ${r.status}: ${r.stderr.trim()}`);
    checkOutput(`${w.name} (native)`, r.stdout, expected);
    each.push(r.seconds);
    if (r.peakRssBytes !== null) peak = Math.max(peak ?? 0, r.peakRssBytes);
  }
  return { vm: 'native', version: gcc ? `gcc ${gcc} -O2` : null, runs, seconds: spread(each)!, peakRssBytes: peak, how: 'process wall seconds' };
}

/** One `rvkvm exec` process on the workload: its peak RSS and wall seconds (Node's start-up included). */
export function runRvkvmProcess(w: Workload): { seconds: number; peakRssBytes: number | null } {
  const cli = join(projectRoot, 'dist/src/cli/main.js');
  const r = runProcess(process.execPath, [cli, 'exec', join(projectRoot, w.elf)]);
  if (r.status !== 0) throw new Error(`rvkvm exec ${w.elf}: exit ${r.status}: ${r.stderr.trim().split('\n').at(-1) ?? ''}`);
  checkOutput(`${w.name} (rvkvm exec)`, r.stdout, w.expected());
  return { seconds: r.seconds, peakRssBytes: r.peakRssBytes };
}
