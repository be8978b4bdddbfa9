// Guest MIPS of the software hart on an integer workload (test/guest/bench/intmix.c: hashing + quicksort,
// -O2 -march=rv64gc), run through the same code path as `rvkvm exec`. Build the guest first:
// `make -C test/guest`, then `node dist/bench/hart-mips.js [seconds]`.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execElf } from '../src/cli/cmd-exec.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const elfPath = `${root}build/guest/bench/intmix.elf`;

/** Runs the workload repeatedly for about `seconds`; MIPS per wall-clock second and per CPU second of this
 *  process (the second is robust when other processes compete for the CPU). */
export function measureMips(seconds: number): { mips: number; cpuMips: number; instructions: number; seconds: number; runs: number } {
  const elf = readFileSync(elfPath);
  let instructions = 0, elapsed = 0, runs = 0;
  const cpu0 = process.cpuUsage();
  while (elapsed < seconds) {
    const r = execElf(elf, { clock: 'icount' });
    if (r.exitCode !== 0) throw new Error(`benchmark guest failed with exit code ${r.exitCode}`);
    instructions += r.instret; elapsed += r.seconds; runs++;
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { mips: instructions / elapsed / 1e6, cpuMips: instructions / cpuSeconds / 1e6, instructions, seconds: elapsed, runs };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const seconds = Number(process.argv[2] ?? 5);
  const r = measureMips(seconds);
  console.log(`hart: ${r.instructions} guest instructions in ${r.seconds.toFixed(2)} s (${r.runs} runs) = ${r.mips.toFixed(1)} MIPS wall, ${r.cpuMips.toFixed(1)} MIPS per CPU second`);
}
