#!/usr/bin/env node
// rvkvm command-line entry: each subcommand lives in its own module, loaded on demand.
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { keepBaselineWasmCode } from './wasm-tiering.js';
import { UsageError } from './errors.js';
import { IsaError } from '../isa/errors.js';
import { KvmError } from '../kvm/errors.js';
import { VmmError } from '../vmm/errors.js';
import { TraceError } from '../hart/trace.js';

keepBaselineWasmCode();

export interface Command {
  summary: string;
  run(args: string[]): Promise<number>;
}

const COMMANDS = ['run', 'exec', 'isa', 'reg-list'] as const;

async function loadCommand(name: string): Promise<Command | undefined> {
  if (!(COMMANDS as readonly string[]).includes(name)) return undefined;
  const file = new URL(`./cmd-${name}.js`, import.meta.url);
  if (!existsSync(fileURLToPath(file))) return undefined;
  const mod = (await import(file.href)) as { command: Command };
  return mod.command;
}

async function usage(): Promise<string> {
  const lines = ['usage: rvkvm <command> [options]', '', 'commands:'];
  for (const name of COMMANDS) {
    const cmd = await loadCommand(name);
    if (cmd) lines.push(`  ${name.padEnd(10)} ${cmd.summary}`);
  }
  lines.push('', "Run 'rvkvm <command> --help' for a command's options.", '', EXIT_STATUSES);
  return lines.join('\n');
}

/** Exit statuses of every command (sysexits.h's EX_SOFTWARE for rvkvm's own bugs). */
export const EXIT = { ok: 0, failure: 1, usage: 2, internal: 70 } as const;
const EXIT_STATUSES = `exit status:
  0   success (run: the guest powered off; exec: the program passed)
  1   an error in the input (options, files, ISA strings) or the guest failed (panic, fault, timeout)
  2   no command or an unknown command
  70  internal error: a bug in rvkvm (the message says so and shows where)`;

/** Errors that describe the user's input or environment: one line, no stack. */
function isUserError(e: unknown): e is Error {
  if (e instanceof UsageError || e instanceof IsaError || e instanceof KvmError || e instanceof VmmError || e instanceof TraceError) return true;
  if (e instanceof Error && e.name === 'ExecError') return true; // cmd-exec.ts's own (not imported: loaded on demand)
  // Node's system errors (ENOENT, EACCES, EADDRINUSE, ...): the machine's state, not rvkvm's bug
  const sys = e as { code?: unknown; syscall?: unknown };
  return e instanceof Error && typeof sys.code === 'string' && typeof sys.syscall === 'string';
}

/**
 * What to print for an error that ended a command, and the exit status. A user's mistake is one line; anything
 * else is rvkvm's bug and must not look like one: it says so, with the stack, and exits EX_SOFTWARE.
 */
export function describeFailure(err: unknown): { text: string; status: number } {
  if (isUserError(err)) {
    if (process.env.RVKVM_DEBUG) return { text: `${err.stack}\n`, status: EXIT.failure };
    return { text: `rvkvm: ${err.message}\n`, status: EXIT.failure };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const stack = (e.stack ?? `${e.name}: ${e.message}`).split('\n').slice(1).join('\n');
  return {
    text: `rvkvm: internal error: ${e.name}: ${e.message}\n${stack}\n` +
      'rvkvm: this is a bug in rvkvm, not in your input; please report it with the command line and the lines above\n',
    status: EXIT.internal,
  };
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write((await usage()) + '\n');
    return name ? 0 : 2;
  }
  const cmd = await loadCommand(name);
  if (!cmd) {
    process.stderr.write(`rvkvm: unknown command '${name}'\n${await usage()}\n`);
    return 2;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    // Bad input is reported in one line; a real bug shows its stack (RVKVM_DEBUG=1 shows one always).
    const f = describeFailure(err);
    process.stderr.write(f.text);
    return f.status;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === (await import('node:fs')).realpathSync(process.argv[1])) {
  const argv = process.argv.slice(2);
  const arenas = argv[0] === 'run' ? await import('./malloc-arenas.js') : null;
  if (arenas?.wantsOneArena()) {
    process.exitCode = await arenas.runWithOneArena(process.argv[1], argv);
  } else {
    arenas?.stopWhenParentGoes();
    process.exitCode = await main(argv);
  }
}
