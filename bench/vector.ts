// `node dist/bench/vector.js` (`npm run bench:vector`): vector throughput, in elements per second, of a
// strip-mined vector add and a vector dot product (bench/vector/vbench.S, e32 at LMUL 1) at VLEN 128 and 256,
// on rvkvm (in-process through the `rvkvm exec` code path, hot code translated as `rvkvm exec` does) and on
// QEMU 10 (and 7.2 when installed) running the same ELF on -M spike with `-cpu rv64,v=true,vlen=N`. Each
// measurement times R and 2R repetitions and takes the difference, so set-up, the program's own check of its
// result and the VM's start-up cancel out; R is calibrated per VM so that R repetitions take about a second.
// Prints a table with the ratios rvkvm / QEMU (time per element: above 1 is slower) and writes
// bench/results/vector-<timestamp>.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execElf } from '../src/cli/cmd-exec.js';
import { keepBaselineWasmCode } from '../src/cli/wasm-tiering.js';
import { findQemuRefs, runProcess, type QemuRef } from './refs.js';
import { formatNumber, formatTable, gitCommit, machineInfo, resultFileName, spread, type Spread } from './report.js';
import { projectRoot } from './workloads.js';

const N = 4096; // elements per repetition (vbench.S)
const KERNELS = ['add', 'dot'] as const;
type Kernel = (typeof KERNELS)[number];

const USAGE = `usage: node dist/bench/vector.js [--runs N] [--vlen 128,256] [--seconds S] [--results-dir DIR]
  --runs N     timed measurements per kernel, VLEN and VM (default 3; min/median/max reported)
  --vlen LIST  vector lengths (default 128,256)
  --seconds S  target time of R repetitions when calibrating (default 1)`;

interface Options { runs: number; vlens: number[]; seconds: number; resultsDir: string }

function parseArgs(argv: readonly string[]): Options | 'help' {
  const o: Options = { runs: 3, vlens: [128, 256], seconds: 1, resultsDir: join(projectRoot, 'bench/results') };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!, v = argv[k + 1];
    if (a === '--help' || a === '-h') return 'help';
    if (a === '--runs') { o.runs = Number(v); k++; if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error(`--runs '${v ?? ''}': expected a whole number >= 1`); }
    else if (a === '--vlen') {
      o.vlens = (v ?? '').split(',').map(Number); k++;
      if (!o.vlens.length || o.vlens.some((n) => ![128, 256, 512, 1024].includes(n))) throw new Error(`--vlen '${v ?? ''}': expected a list of 128, 256, 512, 1024`);
    } else if (a === '--seconds') { o.seconds = Number(v); k++; if (!(o.seconds > 0)) throw new Error(`--seconds '${v ?? ''}': expected seconds > 0`); }
    else if (a === '--results-dir') { if (!v) throw new Error('--results-dir needs a directory'); o.resultsDir = resolve(v); k++; }
    else throw new Error(`unknown option '${a}'\n${USAGE}`);
  }
  return o;
}

const progress = (msg: string): void => { process.stderr.write(`bench-vector: ${msg}\n`); };

/** build/bench-vector/<kernel>-<reps>.elf, compiled once */
const built = new Map<string, string>();
function elfFor(kernel: Kernel, reps: number): string {
  const key = `${kernel}-${reps}`;
  const have = built.get(key);
  if (have) return have;
  const dir = join(projectRoot, 'build/bench-vector');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `${key}.elf`);
  const src = join(projectRoot, 'bench/vector');
  const r = spawnSync('riscv64-linux-gnu-gcc', ['-march=rv64gcv', '-mabi=lp64d', '-nostdlib', '-static', '-fno-pie', '-no-pie',
    '-Wl,--build-id=none', '-Wl,--no-warn-rwx-segments', `-DREPS=${reps}`, `-DKERNEL_${kernel.toUpperCase()}`,
    '-T', join(src, 'link.ld'), join(src, 'vbench.S'), '-o', out], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`riscv64-linux-gnu-gcc on bench/vector/vbench.S failed: ${r.error?.message ?? r.stderr.trim()}`);
  built.set(key, out);
  return out;
}

/** a VM running one ELF: seconds it took (rvkvm: guest execution; QEMU: process wall time) */
type Runner = (elf: string, vlen: number) => number;

const rvkvmRunner: Runner = (elf, vlen) => {
  const r = execElf(readFileSync(elf), { isa: 'rv64gcv', vlen });
  if (r.exitCode !== 0) throw new Error(`rvkvm: ${elf} failed its own check (${r.message ?? `exit ${r.exitCode}`})`);
  return r.seconds;
};

function qemuRunner(q: QemuRef): Runner {
  return (elf, vlen) => {
    const cpu = `rv64,v=true,vlen=${vlen},elen=64${q.id === 'qemu-7.2' ? ',vext_spec=v1.0' : ''}`;
    const r = runProcess(q.binary, ['-M', 'spike', '-nographic', '-bios', 'none', '-m', '256M', '-cpu', cpu, '-kernel', elf]);
    if (r.status !== 0) throw new Error(`${q.id}: ${elf} exit ${r.status} (its own check failed, or QEMU did): ${r.stderr.trim().split('\n').at(-1) ?? ''}`);
    return r.seconds;
  };
}

/** elements per second of `kernel`: calibrate R, then `runs` times (t(2R) - t(R)) / R */
function measure(run: Runner, kernel: Kernel, vlen: number, opts: Options): { reps: number; elementsPerSecond: Spread } {
  let reps = 8;
  for (;;) { // grow R until R repetitions are clearly measurable, then aim at opts.seconds
    const t = run(elfFor(kernel, 2 * reps), vlen) - run(elfFor(kernel, reps), vlen);
    if (t > 0.1 || reps >= 1 << 20) { reps = Math.max(8, Math.min(1 << 22, Math.round((reps * opts.seconds) / Math.max(t, 1e-3)))); break; }
    reps *= 8;
  }
  const rates: number[] = [];
  for (let k = 0; k < opts.runs; k++) {
    const t1 = run(elfFor(kernel, reps), vlen), t2 = run(elfFor(kernel, 2 * reps), vlen);
    if (t2 > t1) rates.push((reps * N) / (t2 - t1));
  }
  if (rates.length === 0) throw new Error(`${kernel} at VLEN ${vlen}: no run of 2R took longer than R (too noisy)`);
  return { reps, elementsPerSecond: spread(rates)! };
}

interface VectorEntry { kernel: Kernel; vlen: number; vm: string; reps: number; elementsPerSecond: Spread }

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  if (o === 'help') { process.stdout.write(USAGE + '\n'); return 0; }
  keepBaselineWasmCode();
  const startedAt = new Date();
  const notes: string[] = [];
  const refs = findQemuRefs(notes, progress);
  const vms: [string, Runner][] = [['rvkvm', rvkvmRunner], ...refs.map((q) => [q.id, qemuRunner(q)] as [string, Runner])];
  const entries: VectorEntry[] = [];
  for (const kernel of KERNELS) {
    for (const vlen of o.vlens) {
      for (const [vm, run] of vms) {
        progress(`${kernel} VLEN ${vlen} on ${vm}`);
        entries.push({ kernel, vlen, vm, ...measure(run, kernel, vlen, o) });
      }
    }
  }
  const rate = (k: Kernel, v: number, vm: string) => entries.find((e) => e.kernel === k && e.vlen === v && e.vm === vm)?.elementsPerSecond.median ?? null;
  const refIds = refs.map((q) => q.id);
  const rows = KERNELS.flatMap((k) => o.vlens.map((v) => {
    const mine = rate(k, v, 'rvkvm')!;
    const e = entries.find((x) => x.kernel === k && x.vlen === v && x.vm === 'rvkvm')!;
    return [k, v, `${formatNumber(mine / 1e6)} [${formatNumber(e.elementsPerSecond.min / 1e6)}-${formatNumber(e.elementsPerSecond.max / 1e6)}]`,
      ...refIds.map((id) => formatNumber(rate(k, v, id)! / 1e6)),
      ...refIds.map((id) => formatNumber(rate(k, v, id)! / mine))];
  }));
  process.stdout.write(formatTable(['kernel', 'VLEN', 'rvkvm Melem/s', ...refIds.map((id) => `${id} Melem/s`), ...refIds.map((id) => `rvkvm/${id}`)], rows) + '\n');
  process.stdout.write('(ratios are time per element, rvkvm / QEMU: above 1 rvkvm is slower)\n');
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
  mkdirSync(o.resultsDir, { recursive: true });
  const file = join(o.resultsDir, `vector-${resultFileName(startedAt)}`);
  writeFileSync(file, JSON.stringify({
    schema: 'rvkvm-bench-vector/1', startedAt: startedAt.toISOString(), machine: machineInfo(), commit: gitCommit(projectRoot),
    elementsPerRepetition: N, qemu: refs.map((q) => ({ id: q.id, version: q.version })), notes, entries,
  }, null, 2) + '\n');
  progress(`results: ${file}`);
  return 0;
}

main().then((code) => { process.exitCode = code; }, (e: unknown) => {
  process.stderr.write(`bench-vector: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
