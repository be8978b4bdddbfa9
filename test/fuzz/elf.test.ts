// Fuzz: mutated bare-metal ELFs through `rvkvm exec`'s in-process API (execElf): the ELF reader, the segment
// loader and a bounded run (--max-insns, which counts traps taken too, so a program whose trap vector faults
// again ends as well): a result, or a clean ExecError/VmmError/IsaError; never a host exception or a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execElf } from '../../src/cli/cmd-exec.js';
import { clean, rng, mutate } from './harness.js';

const dir = fileURLToPath(new URL('../../../build/guest/hart/', import.meta.url));
const NAMES = ['hello', 'arith', 'sv39-user', 'timer'];
const have = NAMES.every((n) => existsSync(`${dir}${n}.elf`));

test('fuzz: 80 mutated ELFs run by exec with a small budget: a result or a clean error, each within a second', { skip: !have && 'run make -C test/guest', timeout: 60_000 }, () => {
  const elves = NAMES.map((n) => new Uint8Array(readFileSync(`${dir}${n}.elf`)));
  const next = rng(0xe1f);
  const outcomes = new Map<string, number>();
  for (let i = 0; i < 80; i++) {
    const base = elves[next(elves.length)]!;
    // ELF header and program headers (the first 0x200 bytes) most of the time, else anywhere (code, symbols)
    const b = mutate(base, next, next(3) === 0 ? base.length : 0x200);
    const jit = next(2) === 0;
    const r = clean(`elf case ${i}`, 1500, () => execElf(b, { maxInstructions: 20_000, pollInstructions: 5_000, jit, jitHot: 50, ramBytes: 16 << 20 }));
    const key = r instanceof Error ? r.constructor.name : `exit ${r.exitCode}`;
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  }
  // the mix shows the cases reach every stage: refused by the reader, run to a result, stopped by the budget
  assert.ok((outcomes.get('VmmError') ?? 0) > 5 && (outcomes.get('ExecError') ?? 0) > 5, JSON.stringify([...outcomes]));
  assert.ok([...outcomes.keys()].some((k) => k.startsWith('exit')), JSON.stringify([...outcomes]));
});
