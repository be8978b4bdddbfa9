// Fuzz: mutated kernel Image headers and device-tree blobs, through the readers (parseImageHeader, parseFdt)
// and through a Machine (kernel placement; --dtb): accepted, or a clean VmmError; never another exception.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseImageHeader } from '../../src/vmm/image.js';
import { parseFdt, FdtError } from '../../src/vmm/fdt.js';
import { buildDeviceTree } from '../../src/vmm/devicetree.js';
import { Machine } from '../../src/vmm/machine.js';
import { clean, rng, mutate, tinyImage } from './harness.js';

const kernel = tinyImage([0x00000013, 0x0000006f]); // nop; j .
const dtb = buildDeviceTree({
  harts: [{ hartId: 0, isaBase: 'rv64i', isaExtensions: ['i', 'm', 'a'], isaString: 'rv64ima', mmuType: 'riscv,sv39' }],
  timebaseHz: 1e7, memory: { base: 0x80000000, size: 1 << 24 }, bootargs: 'console=ttyS0',
  plic: { base: 0xc000000, size: 0x4000000, ndev: 31 }, uart: { base: 0x10000000, irq: 10, clockHz: 3686400 },
  virtio: [{ base: 0x10001000, size: 0x1000, irq: 1 }],
});

test('fuzz: 3000 mutated Image headers: parsed or a clean VmmError; 40 of them placed by a Machine', { timeout: 30_000 }, () => {
  const next = rng(0x1a6f);
  for (let i = 0; i < 3000; i++) {
    const b = mutate(kernel, next, 64);
    clean(`image case ${i}`, 200, () => parseImageHeader(b));
    if (i % 75 === 0) clean(`machine image case ${i}`, 2000, () => new Machine({ kernel: b, memBytes: 16 << 20, rng: false, console: () => {} }));
  }
});

test('fuzz: 3000 mutated device-tree blobs: parsed or an FdtError with an offset; 40 of them given to a Machine', { timeout: 30_000 }, () => {
  const next = rng(0xd7b);
  let refused = 0;
  for (let i = 0; i < 3000; i++) {
    // header fields, then the structure block (tokens, lengths, name offsets) are where corruption bites
    const b = mutate(dtb, next, next(2) === 0 ? 40 : dtb.length);
    const r = clean(`dtb case ${i}`, 200, () => parseFdt(b));
    if (r instanceof Error) {
      refused++;
      assert.ok(r instanceof FdtError, `dtb case ${i}: ${r.message}`);
      assert.ok(r.offset >= 0 && r.offset <= b.length, `dtb case ${i}: offset ${r.offset} in a ${b.length}-byte blob`);
    }
    if (i % 75 === 0) {
      const m = clean(`machine dtb case ${i}`, 2000, () => new Machine({ kernel, dtb: b, memBytes: 16 << 20, rng: false, console: () => {} }));
      assert.equal(m instanceof Error, r instanceof Error, `dtb case ${i}: the Machine takes exactly what the reader takes`);
    }
  }
  assert.ok(refused > 1000, `${refused} refused`);
});
