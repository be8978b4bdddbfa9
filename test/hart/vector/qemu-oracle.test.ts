// QEMU as an oracle for the vector unit: random programs (gen.ts) of one vector instruction per case run on
// qemu-system-riscv64 7.2 (-cpu rv64,v=true, RVV 1.0, tail/mask undisturbed like rvkvm) and on rvkvm's hart;
// every case's 32 registers, vl, vtype, vxsat, scalar result and trap count, and the store scratch area,
// must be equal byte for byte. Skipped when the cross compiler or QEMU is not installed. QEMU 10:
// qemu10-oracle.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from './gen.js';
import { runOnHart } from './run.js';
import { compare, runOnQemu } from './oracle.js';
import { QEMU_7, missingTools } from '../qemu/bare-metal.js';

const skip = missingTools(QEMU_7);
for (const [vlen, seed, n, kind] of [[128, 1, 300, 'int'], [128, 7, 300, 'int'], [256, 3, 300, 'int'], [128, 21, 300, 'load/store'],
  [512, 9, 150, 'load/store'], [128, 31, 400, 'fp'], [256, 32, 300, 'fp']] as const) {
  test(`random vector programs equal QEMU's results (VLEN ${vlen}, seed ${seed}, ${n} ${kind} cases)`, { skip }, () => {
    const p = generate(seed, n, vlen, kind === 'load/store', kind === 'fp');
    const want = runOnQemu(p, vlen);
    const got = runOnHart(p, vlen).out;
    const bad = compare(p, vlen, got, want);
    assert.deepEqual(bad.slice(0, 6), [], `${bad.length} differing cases`);
  });
}

test('translated code gives the interpreter\'s vector results (vector ops run through the interpreter)', () => {
  const p = generate(5, 120, 128);
  const a = runOnHart(p, 128, false).out, b = runOnHart(p, 128, true);
  assert.ok(b.hart.jitStats.pages > 0, 'some page was translated');
  assert.deepEqual(compare(p, 128, b.out, a), []);
});
