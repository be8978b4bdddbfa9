// How rvkvm reports what ends a command: a user's mistake in one line with exit status 1, rvkvm's own bug as
// "internal error" with its stack and exit status 70, so bugs never pass for bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeFailure, EXIT } from '../../src/cli/main.js';
import { UsageError } from '../../src/cli/errors.js';
import { ExecError } from '../../src/cli/cmd-exec.js';
import { IsaError } from '../../src/isa/errors.js';
import { KvmError } from '../../src/kvm/errors.js';
import { VmmError } from '../../src/vmm/errors.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

test('user errors (typed errors, usage errors, system errors) are one line and exit status 1', () => {
  let sys: unknown;
  try { readFileSync('/nonexistent/rvkvm-file'); } catch (e) { sys = e; }
  const errors: unknown[] = [
    new UsageError("--mem 'lots': expected a size such as 512M or 1G"),
    new IsaError('unknown', 'zfoo', 5, 'rv64i_zfoo', "unknown extension 'zfoo'"),
    new KvmError('EINVAL', 'cannot disable zcmop'),
    new VmmError('--dtb bad.dtb: not a device tree blob: bad magic'),
    new ExecError('not a RISC-V ELF'),
    sys,
  ];
  for (const e of errors) {
    const f = describeFailure(e);
    assert.equal(f.status, EXIT.failure, String(e));
    assert.match(f.text, /^rvkvm: [^\n]+\n$/, `one line for ${String(e)}`);
    assert.doesNotMatch(f.text, /internal error/);
  }
});

test('an internal error says it is one, shows the stack and exits 70 (EX_SOFTWARE)', () => {
  const bugs: unknown[] = [
    new RangeError('Offset is outside the bounds of the DataView'),
    new TypeError("Cannot read properties of undefined (reading 'x')"),
    new Error('vcpu 0: hart returned unknown exit 9'),
    'a thrown string',
  ];
  for (const e of bugs) {
    const f = describeFailure(e);
    assert.equal(f.status, 70);
    assert.match(f.text, /^rvkvm: internal error: \w+: /);
    assert.match(f.text, /this is a bug in rvkvm/);
    if (e instanceof Error) assert.match(f.text, /\n\s+at .*errors\.test\.js/, 'the stack says where');
  }
  assert.match(describeFailure(bugs[0]).text, /^rvkvm: internal error: RangeError: Offset is outside the bounds of the DataView\n/);
});

test('--help documents the exit statuses; a usage error from the command line is one line with status 1', () => {
  const top = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
  assert.match(top.stdout, /exit status:[\s\S]*\b70\b.*internal error/);
  const run = spawnSync(process.execPath, [cli, 'run', '--help'], { encoding: 'utf8' });
  assert.match(run.stdout, /Exit status:[\s\S]*\b70 on an internal error/);
  const bad = spawnSync(process.execPath, [cli, 'run', '--smp', 'x'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr, "rvkvm: --smp 'x': expected a positive integer\n");
});
