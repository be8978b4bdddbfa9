// QEMU 10 as a second oracle for the vector unit (RVV 1.0 as QEMU 10.0 implements it, also in its RVA23 CPU
// model): the random programs of the QEMU 7.2 oracle (gen.ts, the same harness and comparison, oracle.ts) on
// `-cpu rv64,v=true,vlen=N` and `-cpu rva23s64` at VLEN 128 and 256, registers, CSRs and memory compared with
// rvkvm's, interpreted and translated. QEMU 10 is the bench's fetched copy (bench/qemu10.sh, build/qemu-10);
// skipped, saying why, when it cannot be fetched or the cross compiler is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from './gen.js';
import { runOnHart } from './run.js';
import { compare, runOnQemu } from './oracle.js';
import { missingTools, qemu10 } from '../qemu/bare-metal.js';

const tools = missingTools();
const q10 = tools ? { skip: tools } : qemu10();
const skip = 'skip' in q10 ? q10.skip : false;
if (skip) console.log(`# qemu10-oracle: skipped: ${skip}`);

const CPUS = [
  { cpu: (vlen: number) => `rv64,v=true,vlen=${vlen},elen=64`, name: 'rv64,v=true' },
  { cpu: (vlen: number) => (vlen === 128 ? 'rva23s64' : `rva23s64,vlen=${vlen}`), name: 'rva23s64' },
] as const;

for (const { cpu, name } of CPUS) {
  for (const [vlen, seed, n, kind] of [[128, 101, 250, 'int'], [256, 102, 250, 'int'], [128, 103, 200, 'load/store'],
    [256, 104, 200, 'load/store'], [128, 105, 250, 'fp'], [256, 106, 250, 'fp']] as const) {
    test(`QEMU 10 -cpu ${name}: random vector programs equal rvkvm's (VLEN ${vlen}, seed ${seed}, ${n} ${kind} cases)`, { skip }, () => {
      const binary = (q10 as { binary: string }).binary;
      const p = generate(seed, n, vlen, kind === 'load/store', kind === 'fp');
      const want = runOnQemu(p, vlen, binary, cpu(vlen));
      for (const jit of [false, true]) {
        const bad = compare(p, vlen, runOnHart(p, vlen, jit).out, want);
        assert.deepEqual(bad.slice(0, 6), [], `${jit ? 'translated' : 'interpreted'}: ${bad.length} differing cases`);
      }
    });
  }
}
