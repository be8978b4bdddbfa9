// What the side benches (disk.ts, net.ts: one VM feature each, rvkvm beside QEMU) share: the report at the end (the
// host line, the table, the errors, a JSON result file under bench/results) and running as a script.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatNumber, formatTable, gitCommit, machineInfo, resultFileName } from './report.js';
import { projectRoot } from './workloads.js';

/** Prints the title, host, table and errors, writes `<kind>-<time>.json` with `fields`; the exit status (1 on errors). */
export function finishSideBench(o: {
  kind: string; title: string; headers: readonly string[]; rows: readonly (readonly (string | number | null)[])[];
  errors: readonly string[]; resultsDir: string; fields: Record<string, unknown>;
}): number {
  const m = machineInfo();
  console.log(o.title);
  console.log(`host: ${m.cpuModel}, ${m.cores} cores, load ${formatNumber(m.loadAverage1m)}\n`);
  console.log(formatTable(o.headers, o.rows));
  for (const e of o.errors) console.log(`ERROR: ${e}`);
  mkdirSync(o.resultsDir, { recursive: true });
  const file = join(o.resultsDir, `${o.kind}-${resultFileName(new Date())}`);
  writeFileSync(file, JSON.stringify({ schema: `rvkvm-${o.kind}-bench/1`, gitCommit: gitCommit(projectRoot), machine: m, ...o.fields, errors: o.errors }, null, 2) + '\n');
  console.log(`results: ${file}`);
  return o.errors.length ? 1 : 0;
}

/** Runs `main` with the command line when `moduleUrl` is the script node was started with. */
export function runAsScript(moduleUrl: string, main: (argv: readonly string[]) => Promise<number>): void {
  if (!process.argv[1] || fileURLToPath(moduleUrl) !== resolve(process.argv[1])) return;
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
