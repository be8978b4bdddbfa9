// `rvkvm run` in one glibc malloc arena. glibc gives each thread that allocates its own arena (up to 8 per core),
// and V8's background threads (WebAssembly compiles, GC) each keep one: measured on the Debian boot, about 50 MB
// of the peak RSS was such arenas' free but unreturned memory. MALLOC_ARENA_MAX is read when the process starts,
// so `run` starts itself again with it set, and the parent only passes signals on and reports the child's end.
// Skipped when the user set MALLOC_ARENA_MAX, with RVKVM_NO_REEXEC=1, when Node was started with an inspector or
// profiler flag (the tool attached to this process would see only the parent), and off Linux.
import { spawn } from 'node:child_process';
import { Socket } from 'node:net';
import { constants as osConstants } from 'node:os';

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** the child's end of a pipe from the parent; it reads end-of-file when the parent is gone, however it went */
const PARENT_FD_ENV = 'RVKVM_PARENT_FD';

export function wantsOneArena(env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv,
  platform: NodeJS.Platform = process.platform): boolean {
  if (platform !== 'linux') return false;
  if (env['MALLOC_ARENA_MAX'] !== undefined || env['RVKVM_NO_REEXEC'] !== undefined) return false;
  return !execArgv.some((a) => /^--(inspect|cpu-prof|heap-prof|prof\b)/.test(a));
}

/**
 * Runs this same command line again in a child with MALLOC_ARENA_MAX=1 and resolves to its exit status. The
 * child shares stdin, stdout and stderr (a terminal stays the child's); SIGINT, SIGTERM and SIGHUP sent to the
 * parent are passed on; a child killed by a signal makes the parent exit as killed by it too.
 */
export function runWithOneArena(script: string, args: readonly string[]): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, script, ...args], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    env: { ...process.env, MALLOC_ARENA_MAX: '1', [PARENT_FD_ENV]: '3' },
  });
  const forward = (sig: NodeJS.Signals): void => { child.kill(sig); };
  for (const s of FORWARDED) process.on(s, forward);
  return new Promise((resolveStatus, reject) => {
    child.on('error', (e) => reject(e));
    child.on('exit', (code, signal) => {
      for (const s of FORWARDED) process.off(s, forward);
      if (signal === null) { resolveStatus(code ?? 1); return; }
      // die the same way, so a shell sees what the child saw; 128 + n where the signal cannot be raised again
      process.kill(process.pid, signal);
      resolveStatus(128 + (osConstants.signals[signal] ?? 0));
    });
  });
}

/**
 * In the child: end the run as SIGHUP does (the guest stops, disks are flushed and closed) when the parent is
 * gone, even killed outright with SIGKILL, so that no VM is left running on its own.
 */
export function stopWhenParentGoes(env: NodeJS.ProcessEnv = process.env): void {
  const fd = Number(env[PARENT_FD_ENV]);
  if (!Number.isInteger(fd) || fd < 3) return;
  delete env[PARENT_FD_ENV]; // not for the guest's processes or anything the run starts
  let pipe: Socket;
  try {
    pipe = new Socket({ fd, readable: true, writable: false });
  } catch {
    return; // the fd was not a pipe from a parent (the variable was set by hand)
  }
  const gone = (): void => { process.kill(process.pid, 'SIGHUP'); };
  pipe.once('end', gone);
  pipe.once('error', gone);
  pipe.resume();
  pipe.unref();
}
