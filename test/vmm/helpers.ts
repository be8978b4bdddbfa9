// Shared helpers for the VMM tests: host tools and temporary files.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const guestDir = resolve(projectRoot, '../shared/guest');

export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status === 0;
}

export function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-vmm-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a host tool; throws with its stderr if it fails. */
export function run(cmd: string, args: string[], opts: { cwd?: string; input?: Uint8Array } = {}): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, input: opts.input, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Decompiles a DTB with dtc. */
export function dtcDecompile(blob: Uint8Array): string {
  return withTempDir((dir) => {
    const f = join(dir, 'x.dtb');
    writeFileSync(f, blob);
    return run('dtc', ['-q', '-I', 'dtb', '-O', 'dts', f]);
  });
}

/** Compiles DTS source with dtc. */
export function dtcCompile(dts: string): Uint8Array {
  return withTempDir((dir) => {
    const f = join(dir, 'x.dts');
    writeFileSync(f, dts);
    run('dtc', ['-q', '-I', 'dts', '-O', 'dtb', '-o', join(dir, 'x.dtb'), f]);
    return new Uint8Array(readFileSync(join(dir, 'x.dtb')));
  });
}
