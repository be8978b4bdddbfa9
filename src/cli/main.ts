#!/usr/bin/env node
// rvkvm command-line entry: each subcommand lives in its own module, loaded on demand.
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { keepBaselineWasmCode } from './wasm-tiering.js';

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
  lines.push('', "Run 'rvkvm <command> --help' for a command's options.");
  return lines.join('\n');
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
    // Bad input is reported in one line; only a real bug shows a stack (RVKVM_DEBUG=1 shows it always).
    const e = err as Error;
    if (process.env.RVKVM_DEBUG) process.stderr.write(`${e.stack}\n`);
    else process.stderr.write(`rvkvm: ${e.message}\n`);
    return 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === (await import('node:fs')).realpathSync(process.argv[1])) {
  process.exitCode = await main(process.argv.slice(2));
}
