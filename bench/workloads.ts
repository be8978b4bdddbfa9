// The guest MIPS workloads: bare-metal C programs in test/guest/bench, built by `make -C test/guest` into
// build/guest/bench, run on the software hart through the `rvkvm exec` code path (execElf) in-process.
// Each run's console output must carry exactly the values bench/reference.ts computes, or the run fails.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execElf } from '../src/cli/cmd-exec.js';
import type { JitStats } from '../src/hart/index.js';
import { spread, type JitCounters, type Spread } from './report.js';
import { cryptoShaAesResults, fpNbodyMatmulResults, intHashSortChecksum, memSv39Checksum } from './reference.js';

export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface Workload {
  name: 'int' | 'fp' | 'mem' | 'crypto';
  description: string;
  /** ELF under the project root */
  elf: string;
  /** its C source (the native build compiles it for the host with bench/native/htif.h) */
  source: string;
  /** the same C built for QEMU's -M spike (HTIF console device instead of the syscall proxy) */
  qemuElf: string;
  /** label -> value the guest must print as "<label> 0x<16 hex digits>" */
  expected(): Map<string, bigint>;
}

export const WORKLOADS: readonly Workload[] = [
  {
    name: 'int', elf: 'build/guest/bench/int-hashsort.elf', source: 'test/guest/bench/int-hashsort.c',
    qemuElf: 'build/guest/bench-qemu/int-hashsort.elf',
    description: 'xorshift fill, quicksort + merge sort, FNV-1a 64 (M-mode)',
    expected: () => new Map([['checksum', intHashSortChecksum()]]),
  },
  {
    name: 'fp', elf: 'build/guest/bench/fp-nbody-matmul.elf', source: 'test/guest/bench/fp-nbody-matmul.c',
    qemuElf: 'build/guest/bench-qemu/fp-nbody-matmul.elf',
    description: '5-body simulation + 40x40 matrix products in double (M-mode)',
    expected: () => fpNbodyMatmulResults(),
  },
  {
    name: 'mem', elf: 'build/guest/bench/mem-sv39-user.elf', source: 'test/guest/bench/mem-sv39-user.c',
    qemuElf: 'build/guest/bench-qemu/mem-sv39-user.elf',
    description: 'U-mode pointer chase + page-stride walk over 8 MiB of scrambled Sv39 4 KiB pages',
    expected: () => new Map([['checksum', memSv39Checksum()]]),
  },
  {
    name: 'crypto', elf: 'build/guest/bench/crypto-sha-aes.elf', source: 'test/guest/bench/crypto-sha-aes.c',
    qemuElf: 'build/guest/bench-qemu/crypto-sha-aes.elf',
    description: 'SHA-256 over 64 KiB x12, AES-128-CBC (T-tables) over 16 KiB x12, as OpenSSL\'s generic C (M-mode)',
    expected: () => cryptoShaAesResults(),
  },
];

export class BenchError extends Error {
  override name = 'BenchError';
}

/** Parses "<label> 0x<hex>" lines from the guest console. */
export function parseLabelledHex(text: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of text.split('\n')) {
    const m = /^([a-z][a-z0-9-]*) 0x([0-9a-f]{16})$/.exec(line.trim());
    if (m) out.set(m[1]!, BigInt('0x' + m[2]!));
  }
  return out;
}

/** Throws a BenchError naming every value that is missing or wrong. */
export function checkOutput(workload: string, console: string, expected: ReadonlyMap<string, bigint>): void {
  const got = parseLabelledHex(console);
  const problems: string[] = [];
  for (const [label, want] of expected) {
    const have = got.get(label);
    if (have === undefined) problems.push(`no '${label}' line`);
    else if (have !== want) problems.push(`${label} 0x${have.toString(16)} != expected 0x${want.toString(16)}`);
  }
  if (problems.length > 0) {
    throw new BenchError(`workload '${workload}' computed the wrong result: ${problems.join('; ')}\n--- guest console ---\n${console}`);
  }
}

export type WorkloadMode = 'jit' | 'jit+profile' | 'interpreter';

export interface WorkloadResult {
  name: string;
  description: string;
  /** how the hart ran it: translating hot code to WebAssembly, that with the execution profile counting, or
   *  interpreting every instruction */
  mode: WorkloadMode;
  runs: number;
  instructions: number;
  seconds: number;
  mips: number;
  /** fastest single run */
  bestMips: number;
  runSeconds: Spread;
  jit: JitCounters | null;
}

/** the counters of one run that retired `instret` instructions */
export function jitCounters(s: JitStats, instret: number): JitCounters {
  return {
    translations: s.pages, retranslations: s.retranslated, dropped: s.dropped, failed: s.failed,
    compileMs: s.compileMs, wasmBytes: s.bytes, instructionsTranslated: s.instructions,
    cacheHits: s.cacheHits, translatedShare: instret > 0 ? s.retiredTranslated / instret : 0, pageWalks: s.pageWalks,
  };
}

export function loadWorkloadElf(w: Workload): Uint8Array {
  const path = projectRoot + w.elf;
  if (!existsSync(path)) throw new BenchError(`${w.elf} is missing: build the guest programs first (make -C test/guest)`);
  return readFileSync(path);
}

/** One run: executes the ELF, checks its exit code and printed values. */
export function runWorkloadOnce(w: Workload, elf: Uint8Array, expected: ReadonlyMap<string, bigint>, mode: WorkloadMode = 'jit'): { instructions: number; seconds: number; console: string; jit: JitStats } {
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  const r = execElf(elf, {
    clock: 'icount', maxInstructions: 2e9, jit: mode !== 'interpreter', profile: mode === 'jit+profile',
    write: (_fd, bytes) => chunks.push(decoder.decode(bytes)),
  });
  const console = chunks.join('');
  if (r.exitCode !== 0) {
    throw new BenchError(`workload '${w.name}' failed: exit code ${r.exitCode}${r.message ? ` (${r.message})` : ''}\n--- guest console ---\n${console}`);
  }
  checkOutput(w.name, console, expected);
  return { instructions: r.instret, seconds: r.seconds, console, jit: r.jit };
}

/**
 * Repeats the workload until minSeconds of guest execution have passed (at least minRuns runs), after
 * warmupRuns untimed runs (checked all the same) that let V8 compile the interpreter's hot paths.
 */
export function measureWorkload(w: Workload, opts: { minSeconds: number; minRuns: number; warmupRuns?: number; mode?: WorkloadMode }): WorkloadResult {
  const elf = loadWorkloadElf(w);
  const expected = w.expected();
  const mode = opts.mode ?? 'jit';
  for (let k = 0; k < (opts.warmupRuns ?? 0); k++) runWorkloadOnce(w, elf, expected, mode);
  let instructions = 0, seconds = 0, runs = 0, bestMips = 0, jit: JitStats | null = null, lastInstret = 0;
  const each: number[] = [];
  while (runs < opts.minRuns || seconds < opts.minSeconds) {
    const r = runWorkloadOnce(w, elf, expected, mode);
    instructions += r.instructions; seconds += r.seconds; runs++;
    each.push(r.seconds);
    bestMips = Math.max(bestMips, r.instructions / r.seconds / 1e6);
    jit = r.jit; lastInstret = r.instructions;
  }
  return {
    name: w.name, description: w.description, mode, runs, instructions, seconds, mips: instructions / seconds / 1e6, bestMips,
    runSeconds: spread(each)!, jit: mode === 'interpreter' || jit === null ? null : jitCounters(jit, lastInstret),
  };
}
