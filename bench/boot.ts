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
/** the boot's guest RAM on both VMs (--mem / -m) */
export const BOOT_RAM_BYTES = 512 << 20;

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
  /** the process tree's (see TreePeak) */
  peakRssBytes: number | null;
  /** guest RAM resident when the marker showed (see guestResidentBytes) */
  guestRssBytes: number | null;
  spawnError?: string;
}

/** A /proc/PID file's text, or null once the process is gone (or off Linux). */
function procText(pid: number, file: string): string | null {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return null;
  }
}

/** The process and its descendants, from /proc/PID/task/TID/children (Linux). */
function processTree(root: number): number[] {
  const out: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    out.push(pid);
    let tasks: string[] = [];
    try { tasks = readdirSync(`/proc/${pid}/task`); } catch { continue; }
    for (const t of tasks) {
      const kids = procText(pid, `task/${t}/children`);
      if (kids) for (const k of kids.trim().split(/\s+/)) if (k) todo.push(Number(k));
    }
  }
  return out;
}

/**
 * Peak resident memory of a process tree: `rvkvm run` is two processes (it starts itself again with one malloc
 * arena, src/cli/malloc-arenas.ts), QEMU one. The tree's figure is the largest process's peak (VmHWM) plus the
 * anonymous memory (RssAnon, its largest) of each other process: their file pages (the node binary, libraries)
 * are the ones the largest maps too, and summing RSS would count them twice. For one process: its VmHWM.
 */
const VM_HWM = /^VmHWM:\s+(\d+) kB/m, RSS_ANON = /^RssAnon:\s+(\d+) kB/m;
const kbField = (status: string, field: RegExp): number | null => { const m = field.exec(status); return m ? Number(m[1]) * 1024 : null; };

export class TreePeak {
  private readonly hwm = new Map<number, number>();
  private readonly anon = new Map<number, number>();
  constructor(private readonly root: number) {}
  sample(): void {
    for (const pid of processTree(this.root)) {
      const status = procText(pid, 'status') ?? '';
      const h = kbField(status, VM_HWM), a = kbField(status, RSS_ANON);
      if (h !== null) this.hwm.set(pid, Math.max(this.hwm.get(pid) ?? 0, h));
      if (a !== null) this.anon.set(pid, Math.max(this.anon.get(pid) ?? 0, a));
    }
  }
  get bytes(): number | null {
    if (this.hwm.size === 0) return null;
    let largest = -1, peak = 0;
    for (const [pid, v] of this.hwm) if (v > peak) { peak = v; largest = pid; }
    for (const [pid, v] of this.anon) if (pid !== largest) peak += v;
    return peak;
  }
  /** the guest RAM the guest has touched, now: the largest in the tree (see guestResidentBytes) */
  guestBytes(ramBytes: number): number | null {
    let best: number | null = null;
    for (const pid of processTree(this.root)) {
      const g = guestResidentBytes(procText(pid, 'smaps') ?? '', ramBytes);
      if (g !== null && (best === null || g > best)) best = g;
    }
    return best;
  }
}

/**
 * The resident part of the guest's RAM in a process's /proc/PID/smaps text: the Rss of its largest private
 * anonymous read-write mapping at least as large as the guest RAM (QEMU's RAM block; rvkvm's
 * WebAssembly.Memory, which holds the hart state too, a few KiB). Null when there is none. Resident pages are the
 * ones the guest touched (the kernel's zeroing of free memory included), which a VM cannot avoid holding.
 */
export function guestResidentBytes(smaps: string, ramBytes: number): number | null {
  let best: number | null = null;
  let candidate = false;
  for (const line of smaps.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ (\d+)\s*(\S*)/.exec(line);
    if (head) {
      const size = parseInt(head[2]!, 16) - parseInt(head[1]!, 16);
      candidate = head[3] === 'rw-p' && head[4] === '0' && head[5] === '' && size >= ramBytes;
      continue;
    }
    const rss = candidate ? /^Rss:\s+(\d+) kB/.exec(line) : null;
    if (rss) {
      const bytes = Number(rss[1]) * 1024;
      if (best === null || bytes > best) best = bytes;
      candidate = false;
    }
  }
  return best;
}

/** How a watched process ended (runWatched). */
export interface WatchedExit {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  stderr: string;
  /** the process tree's (see TreePeak) */
  peakRssBytes: number | null;
  /** from spawn to exit */
  seconds: number;
  spawnError?: string;
}

/**
 * Spawns a VM (stdin an open pipe nobody writes), polls its process tree's RSS every `pollMs`, kills it at the
 * timeout and resolves at its exit. `onStdout` gets each chunk of its output (latin1) with the seconds since spawn.
 */
export function runWatched(command: string, args: readonly string[], timeoutSeconds: number, pollMs: number,
  onStdout: (chunk: string, at: number, tree: TreePeak | null) => void): Promise<WatchedExit> {
  return new Promise((done) => {
    const t0 = performance.now();
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '', timedOut = false, spawnError: string | undefined;
    const tree = child.pid === undefined ? null : new TreePeak(child.pid);
    const poll = setInterval(() => tree?.sample(), pollMs);
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutSeconds * 1000);
    child.stdout.on('data', (d: Buffer) => onStdout(d.toString('latin1'), (performance.now() - t0) / 1000, tree));
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
    child.stdin.on('error', () => {});
    child.on('error', (e: NodeJS.ErrnoException) => { spawnError = e.code ?? e.message; });
    child.on('close', (code, signal) => {
      clearInterval(poll); clearTimeout(timer);
      done({ exitCode: code, signal, timedOut, stderr, peakRssBytes: tree?.bytes ?? null, seconds: (performance.now() - t0) / 1000, ...(spawnError ? { spawnError } : {}) });
    });
  });
}

/** Spawns a command, times spawn -> first console line containing `marker`, waits for exit (or kills at timeout). */
export async function timeUntilMarker(command: string, args: readonly string[], marker: string, timeoutSeconds: number, ramBytes = BOOT_RAM_BYTES): Promise<TimedRun> {
  let stdout = '', markerAt: number | null = null, guestRss: number | null = null;
  const r = await runWatched(command, args, timeoutSeconds, 50, (chunk, at, tree) => {
    stdout += chunk;
    if (markerAt !== null) return;
    const k = stdout.indexOf(marker);
    if (k >= 0 && stdout.indexOf('\n', k) >= 0) {
      markerAt = at;
      guestRss = tree?.guestBytes(ramBytes) ?? null;
    }
    tree?.sample();
  });
  const { seconds, ...rest } = r;
  return { ...rest, secondsToMarker: markerAt, secondsTotal: seconds, stdout, guestRssBytes: guestRss };
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
    '--mem', `${BOOT_RAM_BYTES >> 20}M`, '--smp', '1', '--timeout', String(timeoutSeconds), '--stats'];
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
    peakRssBytes: r.peakRssBytes, guestRssBytes: r.guestRssBytes,
    ...(notes.length ? { note: notes.join('; ') } : {}),
  };
}

export async function bootQemu(q: QemuRef, img: BootImage, timeoutSeconds: number, icount: boolean): Promise<BootEntry> {
  const args = ['-M', 'virt', '-cpu', 'rv64', '-smp', '1', '-m', `${BOOT_RAM_BYTES >> 20}M`, '-nographic', '-bios', 'default',
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
    peakRssBytes: r.peakRssBytes, guestRssBytes: r.guestRssBytes,
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
  const guests = runs.map((r) => r.guestRssBytes ?? null).filter((v): v is number => v !== null);
  const notes = [...new Set(runs.map((r) => r.note).filter((n): n is string => !!n))];
  return {
    vm: runs[0]!.vm, ...(runs[0]!.version !== undefined ? { version: runs[0]!.version } : {}),
    ok: good.length === runs.length, runs: good.length,
    secondsToMarker: marker?.median ?? null, markerSpread: marker,
    secondsTotal: med(runs.map((r) => r.secondsTotal)),
    instructions: med(good.map((r) => r.instructions)),
    instructionsPerSecond: med(good.map((r) => r.instructionsPerSecond)),
    peakRssBytes: peaks.length ? Math.max(...peaks) : null,
    guestRssBytes: guests.length ? Math.max(...guests) : null,
    ...(notes.length ? { note: notes.join('; ') } : {}),
  };
}
