// Pure helpers of the benchmark suite: the result document (its shape and a validator), the parser for the
// line `rvkvm run --stats` prints, the text table, and the host description that goes into each result file.
import { execFileSync } from 'node:child_process';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';

export const RESULT_SCHEMA = 'rvkvm-bench/2';

/** Spread of repeated measurements. */
export interface Spread { min: number; median: number; max: number }

/** min/median/max of samples (the median of an even count is the mean of the middle two); null when empty. */
export function spread(samples: readonly number[]): Spread | null {
  if (samples.length === 0) return null;
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { min: s[0]!, median, max: s[s.length - 1]! };
}

/** a / b, or null when either is missing or b is not positive. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a === null || a === undefined || b === null || b === undefined || !(b > 0) || !Number.isFinite(a) ? null : a / b;
}

/** Geometric mean of positive values; null when there is none or one is missing/non-positive (a partial mean
 *  over fewer workloads would not be comparable with a full one). */
export function geomean(values: readonly (number | null)[]): number | null {
  if (values.length === 0) return null;
  let logSum = 0;
  for (const v of values) {
    if (v === null || !(v > 0) || !Number.isFinite(v)) return null;
    logSum += Math.log(v);
  }
  return Math.exp(logSum / values.length);
}

/** What the translator did during one run (Hart.jitStats): instructionsTranslated is static (per translation);
 *  translatedShare is the share of the retired instructions that ran in translated code; cacheHits the
 *  translations instantiated from an already compiled module (same bytes) instead of compiled. */
export interface JitCounters {
  translations: number; retranslations: number; dropped: number; failed: number; compileMs: number;
  wasmBytes: number; instructionsTranslated: number; cacheHits: number; translatedShare: number; pageWalks: number;
}

/** One reference's time for a workload (seconds of the workload itself; see `how`). */
export interface RefTiming {
  vm: 'qemu-7.2' | 'qemu-10' | 'native';
  version: string | null;
  runs: number;
  seconds: Spread;
  peakRssBytes: number | null;
  /** QEMU: median seconds from spawn to the program's first line (QEMU's own start-up) */
  startupSeconds?: number;
  /** how `seconds` was taken */
  how: string;
}

/** A workload on rvkvm (jit) beside its references, with ratios rvkvm / reference of the median seconds. */
export interface CompareEntry {
  name: string;
  rvkvm: {
    runs: number; instructions: number; seconds: Spread; mips: number;
    /** peak RSS and wall seconds of one `rvkvm exec` process running the workload (start-up included) */
    peakRssBytes: number | null; processSeconds: number | null;
    jit: JitCounters | null;
  } | null;
  refs: RefTiming[];
  ratios: Record<string, number | null>;
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  os: string;
  node: string;
  /** 1-minute load average when the run started: other work on the host skews every number */
  loadAverage1m: number;
  /** the same when the run ended (the result file's) */
  loadAverageAtEnd1m?: number;
}

export interface MipsEntry {
  name: string; description: string; mode: 'jit' | 'jit+profile' | 'interpreter'; runs: number; instructions: number; seconds: number; mips: number; bestMips: number;
  /** seconds of each timed run */
  runSeconds: Spread;
  /** the translator's counters of the last run (null for the interpreter) */
  jit: JitCounters | null;
}

/** One boot measurement; numbers are null when that part could not be measured (see `note`). */
export interface BootEntry {
  vm: BootVm;
  /** QEMU's --version (null for rvkvm) */
  version?: string | null;
  ok: boolean;
  /** successful runs (secondsToMarker is their median) */
  runs: number;
  /** spawn to the marker line on the console: median over the runs, and the spread */
  secondsToMarker: number | null;
  markerSpread: Spread | null;
  /** spawn to process exit */
  secondsTotal: number | null;
  /** guest instructions during the boot (rvkvm: its --stats line; qemu-*-icount: guest uptime at the marker x 1e9) */
  instructions: number | null;
  instructionsPerSecond: number | null;
  /** of the VM's whole process tree (rvkvm run is two processes), the largest over the runs */
  peakRssBytes: number | null;
  /** the part of that which is guest RAM the guest touched, read when the marker showed (bench/boot.ts) */
  guestRssBytes?: number | null;
  note?: string;
}

export const BOOT_VMS = ['rvkvm', 'qemu-7.2', 'qemu-7.2-icount', 'qemu-10', 'qemu-10-icount'] as const;
export type BootVm = (typeof BOOT_VMS)[number];

export interface BenchResult {
  schema: typeof RESULT_SCHEMA;
  startedAt: string;
  gitCommit: string | null;
  machine: MachineInfo;
  options: { only: string[]; quick: boolean; runs: number };
  mips: MipsEntry[];
  /** the workloads on rvkvm (jit) against QEMU 7.2, QEMU 10 and native code (section 'ref') */
  compare: CompareEntry[];
  /** geometric mean over the workloads of each ratio in compare[].ratios (null when one is missing) */
  compareGeomean: Record<string, number | null>;
  boot: BootEntry[];
  /** rvkvm median seconds to the marker divided by each QEMU's ('qemu-7.2', 'qemu-10'), when both booted */
  bootRatios: Record<string, number | null>;
  /** what could not be measured and why (e.g. QEMU not installed); not failures */
  notes: string[];
  /** failures: a workload computed a wrong result, the guest files are missing, ... */
  errors: string[];
}

export function machineInfo(): MachineInfo {
  const cpuList = cpus();
  return {
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    memoryBytes: totalmem(),
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    loadAverage1m: loadavg()[0] ?? 0,
  };
}

export function gitCommit(cwd: string): string | null {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${head}-dirty` : head;
  } catch {
    return null;
  }
}

/** Parses `rvkvm: stats: instructions=N wall=S [mips=M]` out of stderr text (the last such line wins). */
export function parseStatsLine(text: string): { instructions: number; wallSeconds: number } | null {
  let found: { instructions: number; wallSeconds: number } | null = null;
  for (const line of text.split('\n')) {
    const m = /^rvkvm: stats: instructions=(\d+) wall=(\d+(?:\.\d+)?)(?:\s|$)/.exec(line.trim());
    if (m) found = { instructions: Number(m[1]), wallSeconds: Number(m[2]) };
  }
  return found;
}

/** Parses the first field of /proc/uptime as printed on the console after the marker (`12.34 5.67`). */
export function parseUptimeAfter(consoleText: string, marker: string): number | null {
  const at = consoleText.indexOf(marker);
  if (at < 0) return null;
  const m = /^\s*(\d+\.\d+) \d+\.\d+\s*$/m.exec(consoleText.slice(at + marker.length));
  return m ? Number(m[1]) : null;
}

/** A plain text table: columns padded to their widest cell, numbers right-aligned. */
export function formatTable(headers: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
  const cell = (v: string | number | null): string => (v === null ? '-' : typeof v === 'number' ? formatNumber(v) : v);
  const text = rows.map((r) => headers.map((_, k) => cell(r[k] ?? null)));
  const numeric = headers.map((_, k) => rows.every((r) => typeof r[k] === 'number' || r[k] === null));
  const widths = headers.map((h, k) => Math.max(h.length, ...text.map((r) => r[k]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, k) => (numeric[k] ? c.padStart(widths[k]!) : c.padEnd(widths[k]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...text.map(line)].join('\n');
}

/** Integers as is (with thousands separators), others with 3 significant decimals at most. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const abs = Math.abs(v);
  return v.toFixed(abs >= 100 ? 1 : abs >= 1 ? 2 : 3);
}

/** Checks a parsed result document; returns the problems found (empty when it is well-formed). */
export function validateResult(doc: unknown): string[] {
  const problems: string[] = [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const numOrNull = (v: unknown): boolean => v === null || (typeof v === 'number' && Number.isFinite(v));
  const isSpread = (v: unknown): boolean => isObj(v) && ['min', 'median', 'max'].every((f) => typeof v[f] === 'number' && Number.isFinite(v[f]))
    && (v.min as number) <= (v.median as number) && (v.median as number) <= (v.max as number);
  if (!isObj(doc)) return ['result is not an object'];
  if (doc.schema !== RESULT_SCHEMA) problems.push(`schema is ${JSON.stringify(doc.schema)}, expected ${RESULT_SCHEMA}`);
  if (typeof doc.startedAt !== 'string' || Number.isNaN(Date.parse(doc.startedAt))) problems.push('startedAt is not an ISO date');
  if (!(doc.gitCommit === null || (typeof doc.gitCommit === 'string' && /^[0-9a-f]{40}(-dirty)?$/.test(doc.gitCommit)))) problems.push('gitCommit is neither null nor a commit id');
  const m = doc.machine;
  if (!isObj(m)) problems.push('machine is missing');
  else {
    if (typeof m.cpuModel !== 'string' || m.cpuModel === '') problems.push('machine.cpuModel is missing');
    if (!(typeof m.cores === 'number' && m.cores >= 1)) problems.push('machine.cores is not a positive number');
    if (!(typeof m.memoryBytes === 'number' && m.memoryBytes > 0)) problems.push('machine.memoryBytes is not a positive number');
    if (typeof m.node !== 'string' || !m.node.startsWith('v')) problems.push('machine.node is not a Node version');
  }
  if (!Array.isArray(doc.mips)) problems.push('mips is not an array');
  else doc.mips.forEach((e: unknown, k: number) => {
    if (!isObj(e)) { problems.push(`mips[${k}] is not an object`); return; }
    for (const f of ['runs', 'instructions', 'seconds', 'mips', 'bestMips']) {
      if (!(typeof e[f] === 'number' && (e[f] as number) > 0)) problems.push(`mips[${k}].${f} is not a positive number`);
    }
    if (typeof e.name !== 'string') problems.push(`mips[${k}].name is missing`);
    if (!['jit', 'jit+profile', 'interpreter'].includes(e.mode as string)) problems.push(`mips[${k}].mode is ${JSON.stringify(e.mode)}`);
    if (!isSpread(e.runSeconds)) problems.push(`mips[${k}].runSeconds is not a min/median/max spread`);
  });
  if (!Array.isArray(doc.compare)) problems.push('compare is not an array');
  else doc.compare.forEach((e: unknown, k: number) => {
    if (!isObj(e)) { problems.push(`compare[${k}] is not an object`); return; }
    if (typeof e.name !== 'string') problems.push(`compare[${k}].name is missing`);
    if (!(e.rvkvm === null || (isObj(e.rvkvm) && isSpread(e.rvkvm.seconds)))) problems.push(`compare[${k}].rvkvm is neither null nor a timing`);
    if (!Array.isArray(e.refs) || !e.refs.every((r) => isObj(r) && ['qemu-7.2', 'qemu-10', 'native'].includes(r.vm as string) && isSpread(r.seconds))) {
      problems.push(`compare[${k}].refs is not a list of reference timings`);
    }
    if (!isObj(e.ratios) || !Object.values(e.ratios).every(numOrNull)) problems.push(`compare[${k}].ratios is not a map of numbers or nulls`);
  });
  if (!isObj(doc.compareGeomean) || !Object.values(doc.compareGeomean).every(numOrNull)) problems.push('compareGeomean is not a map of numbers or nulls');
  if (!Array.isArray(doc.boot)) problems.push('boot is not an array');
  else doc.boot.forEach((e: unknown, k: number) => {
    if (!isObj(e)) { problems.push(`boot[${k}] is not an object`); return; }
    if (!(BOOT_VMS as readonly string[]).includes(e.vm as string)) problems.push(`boot[${k}].vm is ${JSON.stringify(e.vm)}`);
    if (typeof e.ok !== 'boolean') problems.push(`boot[${k}].ok is not a boolean`);
    for (const f of ['secondsToMarker', 'secondsTotal', 'instructions', 'instructionsPerSecond', 'peakRssBytes']) {
      if (!numOrNull(e[f])) problems.push(`boot[${k}].${f} is neither null nor a number`);
    }
    if (e.guestRssBytes !== undefined && !numOrNull(e.guestRssBytes)) problems.push(`boot[${k}].guestRssBytes is neither null nor a number`);
  });
  if (!isObj(doc.bootRatios) || !Object.values(doc.bootRatios).every(numOrNull)) problems.push('bootRatios is not a map of numbers or nulls');
  if (!Array.isArray(doc.notes) || !doc.notes.every((e) => typeof e === 'string')) problems.push('notes is not a list of strings');
  if (!Array.isArray(doc.errors) || !doc.errors.every((e) => typeof e === 'string')) problems.push('errors is not a list of strings');
  return problems;
}

/** File name for a run's result: bench/results/<timestamp>.json with ':' and '.' made file-name safe. */
export function resultFileName(startedAt: Date): string {
  return `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`;
}
