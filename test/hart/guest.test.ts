// Integration: every bare-metal guest program in test/guest/hart (built by `make -C test/guest` into
// build/guest/hart) runs through the `rvkvm exec` code path with the ISA named on its first line and must
// report success through HTIF. Negative runs check that the ISA really decides (Zimop/Zcmop on vs off).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execElf } from '../../src/cli/cmd-exec.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const srcDir = `${root}test/guest/hart`;
const buildDir = `${root}build/guest/hart`;

function isaOf(source: string): string {
  const m = /rvkvm-isa:\s*(\S+)/.exec(readFileSync(`${srcDir}/${source}`, 'utf8').split('\n')[0] ?? '');
  return m ? m[1]! : 'rv64gc';
}

const sources = readdirSync(srcDir).filter((f) => /\.(S|c)$/.test(f)).sort();

test('the guest programs have been built (make -C test/guest)', () => {
  assert.ok(sources.length >= 6, 'guest sources present');
  for (const s of sources) assert.ok(existsSync(`${buildDir}/${s.replace(/\.(S|c)$/, '.elf')}`), `${s} built`);
});

for (const source of sources) {
  const elf = `${buildDir}/${source.replace(/\.(S|c)$/, '.elf')}`;
  const isa = isaOf(source);
  test(`guest ${source} passes with --isa ${isa}`, () => {
    const out: string[] = [];
    const r = execElf(readFileSync(elf), { isa, maxInstructions: 50_000_000, write: (_fd, b) => out.push(Buffer.from(b).toString()) });
    assert.equal(r.exitCode, 0, `${source}: ${r.message ?? ''} ${out.join('')}`);
  });
}

test('zimop-on fails when Zimop/Zcmop are not configured (the MOPs trap)', () => {
  const r = execElf(readFileSync(`${buildDir}/zimop-on.elf`), { isa: 'rv64gc', maxInstructions: 1_000_000 });
  assert.notEqual(r.exitCode, 0);
});

test('zimop-off fails when Zimop/Zcmop are configured (no trap happens)', () => {
  const r = execElf(readFileSync(`${buildDir}/zimop-off.elf`), { isa: 'rv64gc_zimop_zcmop', maxInstructions: 1_000_000 });
  assert.notEqual(r.exitCode, 0);
});

test('hello prints through HTIF SYS_write', () => {
  const out: string[] = [];
  const r = execElf(readFileSync(`${buildDir}/hello.elf`), { write: (fd, b) => out.push(`${fd}:${Buffer.from(b).toString()}`) });
  assert.equal(r.exitCode, 0);
  assert.deepEqual(out, ['1:hello from rvkvm\n']);
});

test('exceeding --max-insns is a clear error', () => {
  assert.throws(() => execElf(readFileSync(`${root}build/guest/bench/int-hashsort.elf`), { maxInstructions: 100_000 }), /did not finish within --max-insns 100000/);
});
