// Linux boot time of the Debian guest (../shared/guest), measured from outside: spawn `rvkvm run` (and QEMU)
// with an initramfs whose /init prints a unique marker, time spawn -> marker line, and let /init power off.
// rvkvm's guest instruction count comes from its `--stats` line; QEMU's (optional) from a second run with
// `-icount shift=0,sleep=off`, where the guest clock advances 1 ns per instruction.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInitramfs } from '../src/vmm/initramfs.js';
import { parseStatsLine, parseUptimeAfter, spread, type BootEntry, type BootVm } from './report.js';
import type { QemuRef } from './refs.js';

export const KERNEL_APPEND = 'console=ttyS0 panic=-1 quiet';

export interface GuestFiles { kernel: string; busybox: string }

export function guestFiles(guestDir: string): GuestFiles {
  const names = readdirSync(guestDir);
  const kernel = names.find((n) => /^linux-.*-riscv64\.Image$/.test(n));
  const busybox = names.find((n) => /^busybox-.*-riscv64$/.test(n));
  if (!kernel || !busybox) throw new Error(`${guestDir} has no linux-*-riscv64.Image or busybox-*-riscv64 (see its README.md)`);
  return { kernel: join(guestDir, kernel), busybox: join(guestDir, busybox) };
}

/** /init: the marker first (that is what the boot time is measured to), then the guest clock, then power off. */
export function benchInitScript(marker: string): string {
  return [
    '#!/bin/busybox sh',
    `/bin/busybox echo ${marker}`,
    '/bin/busybox mount -t proc proc /proc',
    '/bin/busybox cat /proc/uptime',
    '/bin/busybox poweroff -f',
    '',
  ].join('\n');
}

export interface BootImage { dir: string; initrd: string; marker: string; kernel: string; dispose(): void }

/** Writes the initramfs (uncompressed newc: both rvkvm and QEMU's kernel accept it) to a fresh temp dir. */
export function prepareBootImage(files: GuestFiles): BootImage {
  const marker = `rvkvm-bench-marker-${randomBytes(6).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-bench-'));
  const initrd = join(dir, 'initrd.cpio');
  writeFileSync(initrd, buildInitramfs({ busybox: readFileSync(files.busybox), init: benchInitScript(marker) }));
  return { dir, initrd, marker, kernel: files.kernel, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TimedRun {
  secondsToMarker: number | null;
  secondsTotal: number;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  peakRssBytes: number | null;
  spawnError?: string;
}

/** Peak resident set of a live process (Linux: VmHWM in /proc/PID/status), or null where unavailable. */
function readPeakRss(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Spawns a command, times spawn -> first console line containing `marker`, waits for exit (or kills at timeout). */
export function timeUntilMarker(command: string, args: readonly string[], marker: string, timeoutSeconds: number): Promise<TimedRun> {
  return new Promise((resolveRun) => {
    const t0 = performance.now();
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', markerAt: number | null = null, peakRss: number | null = null, timedOut = false;
    let spawnError: string | undefined;
    const sample = (): void => {
      if (child.pid === undefined) return;
      const rss = readPeakRss(child.pid);
      if (rss !== null) peakRss = Math.max(peakRss ?? 0, rss);
    };
    const poll = setInterval(sample, 50);
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutSeconds * 1000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('latin1');
      if (markerAt === null) {
        const at = stdout.indexOf(marker);
        if (at >= 0 && stdout.indexOf('\n', at) >= 0) markerAt = performance.now();
        sample();
      }
    });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
    child.stdin.on('error', () => {});
    child.on('error', (e: NodeJS.ErrnoException) => { spawnError = e.code ?? e.message; });
    child.on('close', (code, signal) => {
      clearInterval(poll); clearTimeout(timer);
      resolveRun({
        secondsToMarker: markerAt === null ? null : (markerAt - t0) / 1000,
        secondsTotal: (performance.now() - t0) / 1000,
        exitCode: code, signal, timedOut, stdout, stderr, peakRssBytes: peakRss,
        ...(spawnError ? { spawnError } : {}),
      });
    });
  });
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join(' | ');
}

/** The most telling stderr line: the last `rvkvm: ...` or `...Error: ...` line, else the last few lines. */
export function errorSummary(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const telling = lines.filter((l) => /^rvkvm: (?!stats:)|^qemu-system|Error\b/.test(l));
  return telling.at(-1) ?? tail(stderr, 3);
}

function failureNote(what: string, r: TimedRun, timeoutSeconds: number): string {
  if (r.spawnError) return `${what} could not be started (${r.spawnError})`;
  if (r.timedOut) return `${what} did not print the marker within ${timeoutSeconds} s; last console: ${tail(r.stdout, 3) || '(none)'}`;
  return `${what} exited (code ${r.exitCode ?? r.signal}) without printing the marker: ${errorSummary(r.stderr) || tail(r.stdout, 3) || '(no output)'}`;
}

export async function bootRvkvm(cliMain: string, img: BootImage, timeoutSeconds: number): Promise<BootEntry> {
  const args = [cliMain, 'run', '--kernel', img.kernel, '--initrd', img.initrd, '--append', KERNEL_APPEND,
    '--mem', '512M', '--smp', '1', '--timeout', String(timeoutSeconds), '--stats'];
  const r = await timeUntilMarker(process.execPath, args, img.marker, timeoutSeconds + 10);
  const stats = parseStatsLine(r.stderr);
  const ok = r.secondsToMarker !== null;
  const notes: string[] = [];
  if (!ok) notes.push(failureNote('rvkvm run', r, timeoutSeconds));
  if (!stats) notes.push("rvkvm printed no 'rvkvm: stats: instructions=N wall=S' line at exit (--stats): instruction count missing");
  return {
    vm: 'rvkvm', ok, runs: ok ? 1 : 0,
    secondsToMarker: r.secondsToMarker, markerSpread: r.secondsToMarker === null ? null : spread([r.secondsToMarker]), secondsTotal: r.secondsTotal,
    instructions: stats?.instructions ?? null,
    instructionsPerSecond: stats && stats.wallSeconds > 0 ? stats.instructions / stats.wallSeconds : null,
    peakRssBytes: r.peakRssBytes,
    ...(notes.length ? { note: notes.join('; ') } : {}),
  };
}

export async function bootQemu(q: QemuRef, img: BootImage, timeoutSeconds: number, icount: boolean): Promise<BootEntry> {
  const args = ['-M', 'virt', '-cpu', 'rv64', '-smp', '1', '-m', '512M', '-nographic', '-bios', 'default',
    '-kernel', img.kernel, '-initrd', img.initrd, '-append', KERNEL_APPEND, '-no-reboot',
    ...(icount ? ['-icount', 'shift=0,sleep=off'] : [])];
  const r = await timeUntilMarker(q.binary, args, img.marker, timeoutSeconds);
  const ok = r.secondsToMarker !== null;
  // with -icount shift=0 the guest clock is the instruction count (1 ns each); it starts with the kernel's
  // clocksource, so OpenSBI's few instructions before it are not included
  const uptime = icount && ok ? parseUptimeAfter(r.stdout, img.marker) : null;
  const instructions = uptime === null ? null : Math.round(uptime * 1e9);
  const notes: string[] = [];
  if (!ok) notes.push(failureNote(`${q.id} (${q.binary})`, r, timeoutSeconds));
  if (icount && ok && uptime === null) notes.push('no /proc/uptime line after the marker');
  if (instructions !== null) notes.push('instructions = guest /proc/uptime at the marker x 1e9 (icount shift=0), 10 M resolution');
  return {
    vm: (icount ? `${q.id}-icount` : q.id) as BootVm, version: q.version, ok, runs: ok ? 1 : 0,
    secondsToMarker: r.secondsToMarker, markerSpread: r.secondsToMarker === null ? null : spread([r.secondsToMarker]), secondsTotal: r.secondsTotal,
    instructions,
    instructionsPerSecond: instructions !== null && r.secondsToMarker ? instructions / r.secondsToMarker : null,
    peakRssBytes: r.peakRssBytes,
    ...(notes.length ? { note: notes.join('; ') } : {}),
  };
}

/**
 * Folds repeated boots of one VM into one entry: seconds to the marker as the median of the runs that reached
 * it (with their spread), the other numbers as medians too, peak RSS as the largest, notes deduplicated.
 * ok only when every run booted.
 */
export function mergeBootRuns(runs: readonly BootEntry[]): BootEntry {
  if (runs.length === 0) throw new Error('internal error: mergeBootRuns of no runs');
  const med = (vals: (number | null)[]): number | null => spread(vals.filter((v): v is number => v !== null))?.median ?? null;
  const good = runs.filter((r) => r.ok);
  const marker = spread(good.map((r) => r.secondsToMarker!));
  const peaks = runs.map((r) => r.peakRssBytes).filter((v): v is number => v !== null);
  const notes = [...new Set(runs.map((r) => r.note).filter((n): n is string => !!n))];
  return {
    vm: runs[0]!.vm, ...(runs[0]!.version !== undefined ? { version: runs[0]!.version } : {}),
    ok: good.length === runs.length, runs: good.length,
    secondsToMarker: marker?.median ?? null, markerSpread: marker,
    secondsTotal: med(runs.map((r) => r.secondsTotal)),
    instructions: med(good.map((r) => r.instructions)),
    instructionsPerSecond: med(good.map((r) => r.instructionsPerSecond)),
    peakRssBytes: peaks.length ? Math.max(...peaks) : null,
    ...(notes.length ? { note: notes.join('; ') } : {}),
  };
}
