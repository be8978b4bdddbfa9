// The bare-metal H program (test/guest/hart/hyp.S: M builds a G-stage, HS enters VS itself, checks the virtual-
// instruction, guest-page-fault and ecall traps) on rvkvm and, as an oracle, on QEMU's spike machine with H on
// and off: both must pass with H and fail without it. (guest.test.ts also runs it with its declared ISA.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execElf } from '../../src/cli/cmd-exec.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const elf = `${root}build/guest/hart/hyp.elf`;
const qemu = spawnSync('sh', ['-c', 'command -v qemu-system-riscv64']).status === 0;

test('hyp.S passes on rvkvm with H, and fails without it (the H CSRs trap)', () => {
  assert.ok(existsSync(elf), 'make -C test/guest');
  for (const jit of [true, false]) {
    const r = execElf(readFileSync(elf), { isa: 'rv64gch', maxInstructions: 1_000_000, jit });
    assert.equal(r.exitCode, 0, r.message);
  }
  assert.notEqual(execElf(readFileSync(elf), { isa: 'rv64gc', maxInstructions: 1_000_000 }).exitCode, 0);
});

test('QEMU agrees: hyp.S passes with -cpu rv64,h=true and fails with h=false', { skip: qemu ? false : 'qemu-system-riscv64 not installed' }, () => {
  const run = (h: boolean): number | null => spawnSync('qemu-system-riscv64', ['-M', 'spike', '-cpu', `rv64,h=${h}`, '-bios', 'none',
    '-kernel', elf, '-m', '128M', '-nographic'], { timeout: 30_000 }).status;
  assert.equal(run(true), 0);
  assert.notEqual(run(false), 0);
});
