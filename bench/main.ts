// `npm run bench`: guest MIPS of the software hart on three C workloads, Linux boot time of the Debian guest
// on rvkvm and on QEMU side by side. Prints a table (progress on stderr) and writes
// bench/results/<timestamp>.json. Exit code 1 when a workload computes a wrong result or fails.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WORKLOADS, measureWorkload, projectRoot } from './workloads.js';
import { keepBaselineWasmCode } from '../src/cli/wasm-tiering.js';
import { bootQemu, bootRvkvm, guestFiles, prepareBootImage, qemuAvailable, QEMU_MISSING, type BootImage } from './boot.js';
import {
  RESULT_SCHEMA, formatNumber, formatTable, gitCommit, machineInfo, resultFileName, validateResult,
  type BenchResult, type BootEntry, type MipsEntry,
} from './report.js';

const SECTIONS = ['mips', 'boot', 'qemu'] as const;
type Section = (typeof SECTIONS)[number];

const USAGE = `usage: node dist/bench/main.js [--only mips|boot|qemu[,...]] [--quick] [--json-only] [--boot-timeout SECONDS] [--results-dir DIR]
  mips   guest MIPS of the hart on test/guest/bench/*.c (build them first: make -C test/guest)
  boot   Linux boot of ../shared/guest on 'rvkvm run' to the /init marker (wall, instructions, peak RSS)
  qemu   the same boot on qemu-system-riscv64 (and, unless --quick, once more with -icount to count instructions)
  --quick      one run per workload (default: 1 warm-up run, then >= 3 runs and >= 5 s), no QEMU icount run
  --json-only  print only the result JSON on stdout
  --results-dir DIR  where the result file goes (default bench/results)`;

export interface BenchOptions { only: Set<Section>; quick: boolean; jsonOnly: boolean; bootTimeout: number; resultsDir: string }

export function parseBenchArgs(argv: readonly string[]): BenchOptions | 'help' {
  const only = new Set<Section>();
  let quick = false, jsonOnly = false, bootTimeout = 900, resultsDir = join(projectRoot, 'bench/results');
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    if (a === '--help' || a === '-h') return 'help';
    else if (a === '--quick') quick = true;
    else if (a === '--json-only') jsonOnly = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a === '--only' ? argv[++k] : a.slice('--only='.length);
      if (!v) throw new Error('--only needs a value: mips, boot or qemu');
      for (const s of v.split(',')) {
        if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`--only '${s}': expected mips, boot or qemu`);
        only.add(s as Section);
      }
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
  return { only, quick, jsonOnly, bootTimeout, resultsDir };
}

keepBaselineWasmCode(); // as the rvkvm CLI does (see src/cli/wasm-tiering.ts)

const progress = (msg: string): void => { process.stderr.write(`bench: ${msg}\n`); };

function runMips(opts: BenchOptions, errors: string[]): MipsEntry[] {
  const out: MipsEntry[] = [];
  for (const w of WORKLOADS) {
    for (const mode of ['jit', 'jit+profile', 'interpreter'] as const) {
      progress(`mips: ${w.name} ${mode} (${w.description})`);
      try {
        const sizing = opts.quick ? { minSeconds: 0, minRuns: 1 } : { minSeconds: 5, minRuns: 3, warmupRuns: 1 };
        out.push(measureWorkload(w, { ...sizing, mode }));
      } catch (e) {
        const msg = `mips ${w.name} (${mode}): ${(e as Error).message}`;
        errors.push(msg);
        process.stderr.write(`bench: FAILED ${msg}\n`);
      }
    }
  }
  return out;
}

async function runBoots(opts: BenchOptions, errors: string[], notes: string[]): Promise<BootEntry[]> {
  const guestDir = process.env.RVKVM_GUEST_DIR ?? resolve(projectRoot, '../shared/guest');
  let img: BootImage;
  try {
    img = prepareBootImage(guestFiles(guestDir));
  } catch (e) {
    errors.push(`boot: cannot prepare the guest: ${(e as Error).message}`);
    return [];
  }
  const out: BootEntry[] = [];
  try {
    if (opts.only.has('boot')) {
      const cli = join(projectRoot, 'dist/src/cli/main.js');
      progress(`boot: rvkvm run (timeout ${opts.bootTimeout} s)`);
      const e = existsSync(cli)
        ? await bootRvkvm(cli, img, opts.bootTimeout)
        : { vm: 'rvkvm' as const, ok: false, secondsToMarker: null, secondsTotal: null, instructions: null,
            instructionsPerSecond: null, peakRssBytes: null, note: `${cli} is missing: run npm run build` };
      if (!e.ok) progress(`rvkvm could not boot the guest: ${e.note ?? ''}`);
      out.push(e);
    }
    if (opts.only.has('qemu')) {
      if (!qemuAvailable()) { progress(QEMU_MISSING); notes.push(QEMU_MISSING); }
      else {
        progress('boot: qemu-system-riscv64');
        out.push(await bootQemu(img, opts.bootTimeout, false));
        if (!opts.quick) {
          progress('boot: qemu-system-riscv64 -icount shift=0,sleep=off');
          out.push(await bootQemu(img, opts.bootTimeout, true));
        }
      }
    }
  } finally {
    img.dispose();
  }
  return out;
}

function printTables(r: BenchResult): void {
  const m = r.machine;
  console.log(`rvkvm bench ${r.startedAt}  commit ${r.gitCommit ?? '(unknown)'}`);
  console.log(`host: ${m.cpuModel}, ${m.cores} cores, ${formatNumber(m.memoryBytes / 2 ** 30)} GiB, ${m.os}, Node ${m.node}, load ${formatNumber(m.loadAverage1m)}\n`);
  if (r.mips.length > 0) {
    console.log(formatTable(['workload', 'hart', 'runs', 'instructions', 'seconds', 'MIPS', 'best MIPS', 'what'],
      r.mips.map((e) => [e.name, e.mode, e.runs, e.instructions, e.seconds, e.mips, e.bestMips, e.description])));
    // what --profile costs: its counting runs inside translated code
    const overheads = r.mips.filter((e) => e.mode === 'jit+profile').map((p) => {
      const base = r.mips.find((e) => e.name === p.name && e.mode === 'jit');
      return base ? `${p.name} ${formatNumber(100 * (1 - p.mips / base.mips))} %` : null;
    }).filter((s): s is string => s !== null);
    if (overheads.length > 0) console.log(`execution profile (--profile) slows the jit by: ${overheads.join(', ')}`);
    console.log('');
  }
  if (r.boot.length > 0) {
    console.log(formatTable(['boot', 'booted', 's to marker', 's total', 'instructions', 'MIPS', 'peak RSS MiB'],
      r.boot.map((e) => [e.vm, e.ok ? 'yes' : 'NO', e.secondsToMarker, e.secondsTotal, e.instructions,
        e.instructionsPerSecond === null ? null : e.instructionsPerSecond / 1e6,
        e.peakRssBytes === null ? null : e.peakRssBytes / 2 ** 20])));
    for (const e of r.boot) if (e.note) console.log(`  ${e.vm}: ${e.note}`);
    if (r.bootRatioRvkvmToQemu !== null) console.log(`boot time rvkvm / QEMU: ${formatNumber(r.bootRatioRvkvmToQemu)}x`);
    console.log('');
  }
  for (const n of r.notes) console.log(`note: ${n}`);
  for (const e of r.errors) console.log(`ERROR: ${e}`);
}

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
  const errors: string[] = [], notes: string[] = [];
  const mips = opts.only.has('mips') ? runMips(opts, errors) : [];
  const boot = opts.only.has('boot') || opts.only.has('qemu') ? await runBoots(opts, errors, notes) : [];
  const rv = boot.find((b) => b.vm === 'rvkvm'), qemu = boot.find((b) => b.vm === 'qemu');
  const result: BenchResult = {
    schema: RESULT_SCHEMA,
    startedAt: started.toISOString(),
    gitCommit: gitCommit(projectRoot),
    machine: machineInfo(),
    options: { only: [...opts.only], quick: opts.quick },
    mips, boot,
    bootRatioRvkvmToQemu: rv?.secondsToMarker && qemu?.secondsToMarker ? rv.secondsToMarker / qemu.secondsToMarker : null,
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
