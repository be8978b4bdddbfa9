// A running `rvkvm run` for tests that talk to it while it runs (sockets, files): its output so far and its exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = join(resolve(dirname(fileURLToPath(import.meta.url)), '../../..'), 'dist/src/cli/main.js');

export interface RvkvmProcess { p: ChildProcess; out(): string; err(): string; exited: Promise<number | null> }

/** Spawns `rvkvm ARGS` with no stdin, collecting stdout and stderr. */
export function spawnRvkvm(args: readonly string[]): RvkvmProcess {
  const p = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  p.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
  return { p, out: () => out, err: () => err, exited };
}
