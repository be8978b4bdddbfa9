// The userland bench (bench/userland.ts) without a VM: its guest script run by the host's shell, parsed back;
// the checks that make a wrong or missing result an error; openssl speed's rate from a real run when the host
// has openssl.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cost, geomean, guestScript, parseOpensslRate, parseRun, USER_WORKLOADS, type UserWorkload } from '../../bench/userland.js';

const lines = (text: string): { at: number; text: string }[] => text.split('\n').filter(Boolean).map((t, k) => ({ at: k * 0.01, text: t }));

test('guest script -> console -> parseRun: each workload timed, its status and output kept (host sh for the guest)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-ul-'));
  try {
    const ws: UserWorkload[] = [
      { name: 'two', what: '', measure: 'seconds', command: 'echo one; sleep 0.2; echo two >&2' },
      { name: 'rate', what: '', measure: 'rate', command: "printf 'type 16384 bytes\\nsha256 1500.50k\\n'" },
    ];
    writeFileSync(join(dir, 'run.sh'), guestScript(ws, { dir, inputs: false }));
    const r = spawnSync('sh', [join(dir, 'run.sh')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const { runs } = parseRun('host', lines(r.stdout), ws);
    assert.deepEqual(runs.map((x) => [x.name, x.status]), [['two', 0], ['rate', 0]]);
    assert.equal(runs[0]!.output, 'one\ntwo\n', 'stdout and stderr, in order');
    assert.ok(runs[0]!.guestSeconds >= 0.19 && runs[0]!.guestSeconds < 2, `timed ${runs[0]!.guestSeconds} s`);
    assert.equal(cost(ws[1]!, runs[1]!), 1 / 1_500_500);

    // a failing command, and a script that stops early, are errors that say which
    writeFileSync(join(dir, 'run.sh'), guestScript([{ ...ws[0]!, command: 'echo broken; exit 3' }], { dir, inputs: false }));
    const bad = spawnSync('sh', [join(dir, 'run.sh')], { encoding: 'utf8' });
    assert.throws(() => parseRun('vm', lines(bad.stdout), ws.slice(0, 1)), /vm: two exited 3: broken/);
    assert.throws(() => parseRun('vm', lines(r.stdout.replace('UL-DONE', '')), ws), /did not finish/);
    assert.throws(() => parseRun('vm', lines('UL-FAIL mount /dev/vda\n'), ws), /\/init failed: mount \/dev\/vda/);
    assert.throws(() => parseRun('vm', lines(r.stdout), [...ws, { ...ws[0]!, name: 'absent' }]), /no result for absent/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the workloads\' own checks: cc-run against bench/reference.ts, CPython\'s result line, openssl\'s rate', () => {
  const byName = (n: string): UserWorkload => USER_WORKLOADS.find((w) => w.name === n)!;
  const console = (name: string, status: number, out: string): { at: number; text: string }[] =>
    lines([`UL-BEGIN ${name}`, ...out.split('\n').filter(Boolean).map((l) => `UL-OUT ${name} ${l}`), `UL-END ${name} ${status} 10.0 12.5`, 'UL-DONE'].join('\n'));
  assert.throws(() => parseRun('vm', console('cc-run', 0, 'checksum 0x0000000000000001\n'), [byName('cc-run')]), /computed the wrong result/);
  assert.throws(() => parseRun('vm', console('cpython-tests', 0, '== Tests result: FAILURE ==\n'), [byName('cpython-tests')]), /did not pass/);
  const ok = parseRun('vm', console('cpython-tests', 0, 'Total tests: run=3\n== Tests result: SUCCESS ==\n'), [byName('cpython-tests')]);
  assert.equal(ok.runs[0]!.guestSeconds, 2.5);
  assert.equal(byName('cpython-tests').keep!(ok.runs[0]!.output), 'Tests result: SUCCESS');
  assert.throws(() => parseRun('vm', console('openssl-sha256', 0, 'Doing sha256 ops\n'), [byName('openssl-sha256')]), /no rate/);
  assert.equal(geomean([2, 8]), 4);
  assert.equal(geomean([]), null);
});

test('parseOpensslRate reads a real `openssl speed` run', { skip: spawnSync('openssl', ['version']).status !== 0 ? 'no openssl on the host' : false }, () => {
  const r = spawnSync('openssl', ['speed', '-seconds', '1', '-bytes', '16384', 'sha256'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const rate = parseOpensslRate(r.stdout);
  assert.ok(rate !== null && rate > 1e6, `rate ${rate}`);
});
