// Shared helpers for the VMM tests: host tools, temporary files, a tiny kernel image.
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

/** A RISC-V Linux Image (header v0.2) around "j .", for machines that only need something to run. */
export function spinImage(): Uint8Array {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  const img = new Uint8Array(72);
  const dv = new DataView(img.buffer);
  dv.setUint32(0, 0x0400006f, true);
  dv.setBigUint64(8, 0x200000n, true);
  dv.setBigUint64(16, BigInt(img.length), true);
  dv.setUint32(32, 2, true);
  img.set(enc('RISCV\0\0\0'), 48);
  img.set(enc('RSC\x05'), 56);
  dv.setUint32(64, 0x0000006f, true);
  return img;
}
