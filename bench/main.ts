// `npm run bench`: guest MIPS of the software hart on three C workloads, Linux boot time of the Debian guest
// on rvkvm and on QEMU side by side. Prints a table (progress on stderr) and writes
// bench/results/<timestamp>.json. Exit code 1 when a workload computes a wrong result or fails.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WORKLOADS, measureWorkload, projectRoot } from './workloads.js';
import { keepBaselineWasmCode } from '../src/cli/wasm-tiering.js';
import { bootQemu, bootRvkvm, guestFiles, mergeBootRuns, prepareBootImage, type BootImage } from './boot.js';
import { findQemuRefs, runNativeWorkload, runQemuWorkload, runRvkvmProcess, type QemuRef } from './refs.js';
import {
  RESULT_SCHEMA, formatNumber, formatTable, geomean, gitCommit, machineInfo, ratio, resultFileName, validateResult,
  type BenchResult, type BootEntry, type CompareEntry, type MipsEntry, type RefTiming, type Spread,
} from './report.js';

const SECTIONS = ['mips', 'ref', 'boot', 'qemu'] as const;
type Section = (typeof SECTIONS)[number];

const USAGE = `usage: node dist/bench/main.js [--only mips|ref|boot|qemu[,...]] [--runs N] [--quick] [--json-only] [--boot-timeout SECONDS] [--results-dir DIR]
  mips   guest MIPS of the hart on test/guest/bench/*.c (build them first: make -C test/guest): jit, jit+profile, interpreter
  ref    the same workloads on QEMU 7.2 and QEMU 10 (-M spike, TCG) and compiled for the host (native), with
         ratios rvkvm / reference, their geometric mean, peak RSS and the translator's counters
  boot   Linux boot of ../shared/guest on 'rvkvm run' to the /init marker (wall, instructions, peak RSS)
  qemu   the same boot on QEMU 7.2 and QEMU 10 (and, unless --quick, once more each with -icount to count instructions)
  --runs N     timed runs per workload, VM and boot (default 3; min/median/max are reported); rvkvm's in-process
               workloads get one untimed warm-up run before them
  --quick      --runs 1, no warm-up, no QEMU icount runs
  --json-only  print only the result JSON on stdout
  --results-dir DIR  where the result file goes (default bench/results)
QEMU 10 is fetched once by bench/qemu10.sh into build/qemu-10 (not installed); a reference that cannot run is
named in one note line and the rest goes on.`;

export interface BenchOptions { only: Set<Section>; quick: boolean; runs: number; jsonOnly: boolean; bootTimeout: number; resultsDir: string }

export function parseBenchArgs(argv: readonly string[]): BenchOptions | 'help' {
  const only = new Set<Section>();
  let quick = false, jsonOnly = false, bootTimeout = 900, resultsDir = join(projectRoot, 'bench/results');
  let runs: number | null = null;
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    if (a === '--help' || a === '-h') return 'help';
    else if (a === '--quick') quick = true;
    else if (a === '--json-only') jsonOnly = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a === '--only' ? argv[++k] : a.slice('--only='.length);
      if (!v) throw new Error('--only needs a value: mips, ref, boot or qemu');
      for (const s of v.split(',')) {
        if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`--only '${s}': expected mips, ref, boot or qemu`);
        only.add(s as Section);
      }
    } else if (a === '--runs' || a.startsWith('--runs=')) {
      const v = a === '--runs' ? argv[++k] : a.slice('--runs='.length);
      const n = Number(v);
      if (!v || !Number.isInteger(n) || n < 1 || n > 1000) throw new Error(`--runs '${v ?? ''}': expected a whole number 1..1000`);
      runs = n;
    } else if (a === '--boot-timeout') {
      const t = Number(argv[++k]);
      if (!(t > 0)) throw new Error(`--boot-timeout '${argv[k] ?? ''}': expected seconds > 0`);
      bootTimeout = t;
    } else if (a === '--results-dir') {
      const d = argv[++k];
      if (!d) throw new Error('--results-dir needs a directory');
      resultsDir = resolve(d);
    } else throw new Error(`unknown option '${a}'\n${USAGE}`);
  }
  if (only.size === 0) for (const s of SECTIONS) only.add(s);
  return { only, quick, runs: runs ?? (quick ? 1 : 3), jsonOnly, bootTimeout, resultsDir };
}

keepBaselineWasmCode(); // as the rvkvm CLI does (see src/cli/wasm-tiering.ts)

const progress = (msg: string): void => { process.stderr.write(`bench: ${msg}\n`); };

function sizing(opts: BenchOptions): { minSeconds: number; minRuns: number; warmupRuns: number } {
  return { minSeconds: 0, minRuns: opts.runs, warmupRuns: opts.quick ? 0 : 1 };
}

function runMips(opts: BenchOptions, errors: string[]): MipsEntry[] {
  const out: MipsEntry[] = [];
  for (const w of WORKLOADS) {
    for (const mode of ['jit', 'jit+profile', 'interpreter'] as const) {
      progress(`mips: ${w.name} ${mode} (${w.description})`);
      try {
        out.push(measureWorkload(w, { ...sizing(opts), mode }));
      } catch (e) {
        const msg = `mips ${w.name} (${mode}): ${(e as Error).message}`;
        errors.push(msg);
        process.stderr.write(`bench: FAILED ${msg}\n`);
      }
    }
  }
  return out;
}

/** Ratios of one workload: rvkvm / each reference and each QEMU / native, of the median seconds. */
export function workloadRatios(rvkvmSeconds: number | null, refs: readonly RefTiming[]): Record<string, number | null> {
  const med = (vm: string): number | null => refs.find((r) => r.vm === vm)?.seconds.median ?? null;
  return {
    'rvkvm/qemu-7.2': ratio(rvkvmSeconds, med('qemu-7.2')),
    'rvkvm/qemu-10': ratio(rvkvmSeconds, med('qemu-10')),
    'rvkvm/native': ratio(rvkvmSeconds, med('native')),
    'qemu-7.2/native': ratio(med('qemu-7.2'), med('native')),
    'qemu-10/native': ratio(med('qemu-10'), med('native')),
  };
}

/** Geometric mean of each ratio over the workloads (null where a workload lacks it). */
export function ratioGeomeans(entries: readonly CompareEntry[]): Record<string, number | null> {
  const keys = new Set(entries.flatMap((e) => Object.keys(e.ratios)));
  return Object.fromEntries([...keys].map((k) => [k, geomean(entries.map((e) => e.ratios[k] ?? null))]));
}

async function runRefs(opts: BenchOptions, qemus: readonly QemuRef[], mips: MipsEntry[], errors: string[]): Promise<CompareEntry[]> {
  const out: CompareEntry[] = [];
  const attempt = <T>(what: string, f: () => T): T | null => {
    try { return f(); } catch (e) {
      const msg = `ref ${what}: ${(e as Error).message}`;
      errors.push(msg);
      process.stderr.write(`bench: FAILED ${msg}\n`);
      return null;
    }
  };
  for (const w of WORKLOADS) {
    let jit = mips.find((m) => m.name === w.name && m.mode === 'jit');
    if (!jit) {
      progress(`ref: ${w.name} on rvkvm (jit)`);
      jit = attempt(`${w.name} rvkvm`, () => measureWorkload(w, { ...sizing(opts), mode: 'jit' })) ?? undefined;
      if (jit) mips.push(jit);
    }
    progress(`ref: ${w.name}: one rvkvm exec process (peak RSS)`);
    const proc = attempt(`${w.name} rvkvm exec`, () => runRvkvmProcess(w));
    const refs: RefTiming[] = [];
    for (const q of qemus) {
      progress(`ref: ${w.name} on ${q.id} (${q.version})`);
      try {
        refs.push(await runQemuWorkload(q, w, opts.runs));
      } catch (e) {
        const msg = `ref ${w.name} ${q.id}: ${(e as Error).message}`;
        errors.push(msg);
        process.stderr.write(`bench: FAILED ${msg}\n`);
      }
    }
    progress(`ref: ${w.name} native`);
    const nat = attempt(`${w.name} native`, () => runNativeWorkload(w, opts.runs));
    if (nat) refs.push(nat);
    out.push({
      name: w.name,
      rvkvm: jit ? {
        runs: jit.runs, instructions: jit.instructions / jit.runs, seconds: jit.runSeconds,
        mips: jit.instructions / jit.runs / jit.runSeconds.median / 1e6,
        peakRssBytes: proc?.peakRssBytes ?? null, processSeconds: proc?.seconds ?? null, jit: jit.jit,
      } : null,
      refs, ratios: workloadRatios(jit?.runSeconds.median ?? null, refs),
    });
  }
  return out;
}

async function runBoots(opts: BenchOptions, qemus: readonly QemuRef[], errors: string[]): Promise<BootEntry[]> {
  const guestDir = process.env.RVKVM_GUEST_DIR ?? resolve(projectRoot, '../shared/guest');
  let img: BootImage;
  try {
    img = prepareBootImage(guestFiles(guestDir));
  } catch (e) {
    errors.push(`boot: cannot prepare the guest: ${(e as Error).message}`);
    return [];
  }
  const out: BootEntry[] = [];
  const repeat = async (what: string, n: number, f: () => Promise<BootEntry>): Promise<BootEntry> => {
    const runs: BootEntry[] = [];
    for (let k = 0; k < n; k++) {
      progress(`boot: ${what} (run ${k + 1}/${n})`);
      const e = await f();
      runs.push(e);
      if (!e.ok) { progress(`${what} could not boot the guest: ${e.note ?? ''}`); break; }
    }
    return mergeBootRuns(runs);
  };
  try {
    if (opts.only.has('boot')) {
      const cli = join(projectRoot, 'dist/src/cli/main.js');
      out.push(existsSync(cli)
        ? await repeat(`rvkvm run (timeout ${opts.bootTimeout} s)`, opts.runs, () => bootRvkvm(cli, img, opts.bootTimeout))
        : { vm: 'rvkvm', ok: false, runs: 0, secondsToMarker: null, markerSpread: null, secondsTotal: null, instructions: null,
            instructionsPerSecond: null, peakRssBytes: null, note: `${cli} is missing: run npm run build` });
    }
    if (opts.only.has('qemu')) {
      for (const q of qemus) {
        out.push(await repeat(`${q.id} ${q.version}`, opts.runs, () => bootQemu(q, img, opts.bootTimeout, false)));
        if (!opts.quick) out.push(await repeat(`${q.id} -icount shift=0,sleep=off`, 1, () => bootQemu(q, img, opts.bootTimeout, true)));
      }
    }
  } finally {
    img.dispose();
  }
  return out;
}

const MiB = (b: number | null | undefined): number | null => (b === null || b === undefined ? null : b / 2 ** 20);
const spreadText = (s: Spread | null | undefined): string | null =>
  s ? `${formatNumber(s.median)} [${formatNumber(s.min)}-${formatNumber(s.max)}]` : null;

function printTables(r: BenchResult): void {
  const m = r.machine;
  console.log(`rvkvm bench ${r.startedAt}  commit ${r.gitCommit ?? '(unknown)'}`);
  console.log(`host: ${m.cpuModel}, ${m.cores} cores, ${formatNumber(m.memoryBytes / 2 ** 30)} GiB, ${m.os}, Node ${m.node}, load ${formatNumber(m.loadAverage1m)}\n`);
  if (r.mips.length > 0) {
    console.log(formatTable(['workload', 'hart', 'runs', 'instructions', 'seconds', 'run s (median [min-max])', 'MIPS', 'best MIPS', 'what'],
      r.mips.map((e) => [e.name, e.mode, e.runs, e.instructions, e.seconds, spreadText(e.runSeconds), e.mips, e.bestMips, e.description])));
    // what --profile costs: its counting runs inside translated code
    const overheads = r.mips.filter((e) => e.mode === 'jit+profile').map((p) => {
      const base = r.mips.find((e) => e.name === p.name && e.mode === 'jit');
      return base ? `${p.name} ${formatNumber(100 * (1 - p.mips / base.mips))} %` : null;
    }).filter((s): s is string => s !== null);
    if (overheads.length > 0) console.log(`execution profile (--profile) slows the jit by: ${overheads.join(', ')}`);
    console.log('');
  }
  if (r.compare.length > 0) {
    const ref = (e: CompareEntry, vm: string): RefTiming | undefined => e.refs.find((x) => x.vm === vm);
    console.log('seconds: median [min-max] of the runs; QEMU: its program\'s start line to exit; rvkvm: in-process guest execution; native: process');
    console.log(formatTable(['workload', 'rvkvm MIPS', 'rvkvm s', 'qemu-7.2 s', 'qemu-10 s', 'native s', 'rv/q7.2', 'rv/q10', 'rv/native', 'q10/native'],
      r.compare.map((e) => [e.name, e.rvkvm?.mips ?? null, spreadText(e.rvkvm?.seconds), spreadText(ref(e, 'qemu-7.2')?.seconds),
        spreadText(ref(e, 'qemu-10')?.seconds), spreadText(ref(e, 'native')?.seconds),
        e.ratios['rvkvm/qemu-7.2'] ?? null, e.ratios['rvkvm/qemu-10'] ?? null, e.ratios['rvkvm/native'] ?? null, e.ratios['qemu-10/native'] ?? null])));
    const g = r.compareGeomean;
    console.log(`geometric mean: rvkvm/qemu-7.2 ${fmt(g['rvkvm/qemu-7.2'])}x, rvkvm/qemu-10 ${fmt(g['rvkvm/qemu-10'])}x, rvkvm/native ${fmt(g['rvkvm/native'])}x, qemu-10/native ${fmt(g['qemu-10/native'])}x\n`);
    console.log(formatTable(['workload', 'rvkvm RSS MiB', 'rvkvm exec s', 'qemu-7.2 RSS MiB', 'qemu-10 RSS MiB', 'native RSS MiB', 'q7.2 start s', 'q10 start s', 'translations', 're-translations', 'dropped', 'cache hits', 'compile ms', 'wasm KiB', 'insns translated', 'share run translated', 'page walks'],
      r.compare.map((e) => {
        const j = e.rvkvm?.jit ?? null;
        return [e.name, MiB(e.rvkvm?.peakRssBytes), e.rvkvm?.processSeconds ?? null, MiB(ref(e, 'qemu-7.2')?.peakRssBytes),
          MiB(ref(e, 'qemu-10')?.peakRssBytes), MiB(ref(e, 'native')?.peakRssBytes),
          ref(e, 'qemu-7.2')?.startupSeconds ?? null, ref(e, 'qemu-10')?.startupSeconds ?? null,
          j?.translations ?? null, j?.retranslations ?? null, j?.dropped ?? null, j?.cacheHits ?? null, j?.compileMs ?? null, j ? j.wasmBytes / 1024 : null,
          j?.instructionsTranslated ?? null, j?.translatedShare ?? null, j?.pageWalks ?? null];
      })));
    console.log('(translator counters: last run; insns translated are counted per translation, statically; share run translated: of the retired instructions, those run in translated code)\n');
  }
  if (r.boot.length > 0) {
    console.log(formatTable(['boot', 'version', 'booted', 'runs', 's to marker (median [min-max])', 's total', 'instructions', 'MIPS', 'peak RSS MiB', 'guest RAM MiB', 'RSS - guest MiB'],
      r.boot.map((e) => [e.vm, e.version ?? null, e.ok ? 'yes' : 'NO', e.runs, spreadText(e.markerSpread), e.secondsTotal, e.instructions,
        e.instructionsPerSecond === null ? null : e.instructionsPerSecond / 1e6, MiB(e.peakRssBytes), MiB(e.guestRssBytes ?? null),
        e.peakRssBytes !== null && typeof e.guestRssBytes === 'number' ? MiB(e.peakRssBytes - e.guestRssBytes) : null])));
    console.log('(peak RSS: of the process tree, the larger process\'s peak plus the other\'s anonymous memory; guest RAM: resident guest memory when the marker showed; the RSS target is QEMU\'s peak plus the guest RAM rvkvm\'s guest touched)');
    for (const e of r.boot) if (e.note) console.log(`  ${e.vm}: ${e.note}`);
    for (const [k, v] of Object.entries(r.bootRatios)) if (v !== null) console.log(`boot time rvkvm / ${k}: ${formatNumber(v)}x`);
    console.log('');
  }
  for (const n of r.notes) console.log(`note: ${n}`);
  for (const e of r.errors) console.log(`ERROR: ${e}`);
}

const fmt = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : formatNumber(v));

export async function main(argv: readonly string[]): Promise<number> {
  let opts: BenchOptions;
  try {
    const parsed = parseBenchArgs(argv);
    if (parsed === 'help') { console.log(USAGE); return 0; }
    opts = parsed;
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    return 2;
  }
  const started = new Date();
  const machine = machineInfo(); // load average before the bench adds its own
  const errors: string[] = [], notes: string[] = [];
  const mips = opts.only.has('mips') ? runMips(opts, errors) : [];
  const qemus = opts.only.has('ref') || opts.only.has('qemu') ? findQemuRefs(notes, progress) : [];
  for (const n of notes) progress(n);
  const compare = opts.only.has('ref') ? await runRefs(opts, qemus, mips, errors) : [];
  const boot = opts.only.has('boot') || opts.only.has('qemu') ? await runBoots(opts, qemus, errors) : [];
  const rv = boot.find((b) => b.vm === 'rvkvm');
  const bootRatios: Record<string, number | null> = {};
  for (const q of ['qemu-7.2', 'qemu-10']) {
    const b = boot.find((x) => x.vm === q);
    if (rv && b) bootRatios[q] = ratio(rv.secondsToMarker, b.secondsToMarker);
  }
  const result: BenchResult = {
    schema: RESULT_SCHEMA,
    startedAt: started.toISOString(),
    gitCommit: gitCommit(projectRoot),
    machine: { ...machine, loadAverageAtEnd1m: machineInfo().loadAverage1m },
    options: { only: [...opts.only], quick: opts.quick, runs: opts.runs },
    mips, compare, compareGeomean: ratioGeomeans(compare), boot, bootRatios,
    notes, errors,
  };
  const problems = validateResult(JSON.parse(JSON.stringify(result)));
  if (problems.length > 0) errors.push(`internal: malformed result document: ${problems.join('; ')}`);
  mkdirSync(opts.resultsDir, { recursive: true });
  const file = join(opts.resultsDir, resultFileName(started));
  const json = JSON.stringify(result, null, 2) + '\n';
  writeFileSync(file, json);
  if (opts.jsonOnly) process.stdout.write(json);
  else {
    printTables(result);
    console.log(`results: ${file}`);
  }
  return errors.length > 0 ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
    process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  });
}
