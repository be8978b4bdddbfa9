// The block layer's own raw-deflate decoder against zlib: every compression level and strategy (stored,
// fixed and dynamic Huffman blocks, long matches, overlapping copies), qcow2's sector padding after the
// stream, and damaged streams (an error, never garbage or a hang). Then compressed qcow2 images that
// qemu-img makes, read without zlib.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, deflateRawSync } from 'node:zlib';
import { inflateRaw } from '../../../src/vmm/block/inflate.js';
import { NodeFile } from '../../../src/cli/block-host.js';
import { Qcow2Image, parseQcow2Header } from '../../../src/vmm/block/qcow2.js';

function samples(): { name: string; data: Uint8Array }[] {
  let x = 99;
  const next = (): number => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
  const random = new Uint8Array(65536).map(() => next() & 0xff);
  const text = new TextEncoder().encode(Array.from({ length: 3000 }, (_, i) => `line ${i % 97} of the ext4 journal ${i * 7}\n`).join('')).subarray(0, 65536);
  const runs = new Uint8Array(65536);
  for (let i = 0; i < runs.length; i++) runs[i] = (i >> 9) % 3 === 0 ? 0 : (i >> 6) & 0xff;
  const skewed = new Uint8Array(65536).map(() => (next() % 100 < 90 ? 65 : next() & 0xff));
  // Huffman blocks, then stored ones (zlib stores what does not compress): the decoder must hand back
  // bytes it read ahead into its bit buffer when a stored block starts.
  const mixed = new Uint8Array(65536);
  for (let i = 0; i < 8; i++) mixed.set((i & 1 ? random : text).subarray(i * 8192, (i + 1) * 8192), i * 8192);
  return [{ name: 'mixed', data: mixed }, { name: 'random', data: random }, { name: 'text', data: text }, { name: 'runs', data: runs },
    { name: 'zeros', data: new Uint8Array(65536) }, { name: 'skewed', data: skewed }, { name: 'tiny', data: Uint8Array.of(7) }];
}

test('inflateRaw decodes what zlib deflates, at every level and strategy, with sector padding after the stream', () => {
  for (const { name, data } of samples()) {
    for (const level of [0, 1, 6, 9]) {
      for (const strategy of [constants.Z_DEFAULT_STRATEGY, constants.Z_FIXED, constants.Z_HUFFMAN_ONLY, constants.Z_RLE]) {
        const z = deflateRawSync(data, { level, strategy, windowBits: 12 });
        const padded = new Uint8Array(Math.ceil(z.length / 512) * 512 + 512);
        padded.set(z);
        padded.fill(0xa5, z.length);
        const out = inflateRaw(padded, data.length);
        assert.ok(Buffer.from(out).equals(Buffer.from(data)), `${name} level ${level} strategy ${strategy}`);
      }
    }
  }
});

test('inflateRaw: a stored block right after Huffman blocks (zlib sync-flush markers, then level 0)', () => {
  const all = samples();
  const twoSymbols = all.find((x) => x.name === 'skewed')!.data.map((v) => (v === 65 ? 65 : 66));
  const heads: { name: string; data: Uint8Array; opts: object }[] = all.map((x) => ({ name: x.name, data: x.data.subarray(0, 5000), opts: {} }));
  // Huffman-only on two-symbol data: codes of 1-2 bits, so the end-of-block code is short and the decoder
  // has whole bytes read ahead when the stored block starts (at some of these lengths' bit alignments).
  for (let n = 4990; n < 5010; n++) heads.push({ name: `two-symbol ${n}`, data: twoSymbols.subarray(0, n), opts: { strategy: constants.Z_HUFFMAN_ONLY } });
  for (const h of heads) {
    for (const b of all) {
      const head = deflateRawSync(h.data, { level: 6, finishFlush: constants.Z_SYNC_FLUSH, ...h.opts });
      const tail = deflateRawSync(b.data.subarray(0, 3000), { level: 0 });
      const want = Buffer.concat([h.data, b.data.subarray(0, 3000)]);
      const out = inflateRaw(new Uint8Array(Buffer.concat([head, tail])), want.length);
      assert.ok(Buffer.from(out).equals(want), `${h.name} then ${b.name}`);
    }
  }
});

test('inflateRaw refuses damaged streams with an error', () => {
  const data = samples().find((x) => x.name === 'text')!.data;
  const z = new Uint8Array(deflateRawSync(data, { level: 9 }));
  assert.throws(() => inflateRaw(z.subarray(0, z.length >> 1), data.length), /input ends/);
  assert.throws(() => inflateRaw(Uint8Array.of(0x07), 16), /invalid block type 3/);
  assert.throws(() => inflateRaw(Uint8Array.of(0x01, 0x05, 0x00, 0x00, 0x00), 5), /complement/);
  let errors = 0;
  let x = 5;
  const next = (): number => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
  for (let round = 0; round < 300; round++) {
    const bad = z.slice();
    for (let k = 0; k < 3; k++) bad[next() % bad.length] ^= 1 << (next() % 8);
    try {
      const out = inflateRaw(bad, data.length);
      assert.equal(out.length, data.length);
    } catch (e) {
      assert.ok(!(e instanceof RangeError) && !(e instanceof TypeError), `round ${round}: ${(e as Error).stack}`);
      errors++;
    }
  }
  assert.ok(errors > 100, `only ${errors} of 300 damaged streams were refused`);
});

const haveQemuImg = spawnSync('sh', ['-c', 'command -v qemu-img']).status === 0;

test('compressed qcow2 images (qemu-img convert -c) read without zlib: the block layer decodes them itself', { skip: !haveQemuImg }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-inflate-'));
  try {
    const raw = join(dir, 'src.raw');
    const data = new Uint8Array(3 << 20);
    samples().forEach((s, i) => data.set(s.data, i * 65536 * 3 + 4096));
    writeFileSync(raw, data);
    for (const cs of [512, 65536, 2 << 20]) {
      const img = join(dir, `c${cs}.qcow2`);
      assert.equal(spawnSync('qemu-img', ['convert', '-c', '-f', 'raw', '-O', 'qcow2', '-o', `cluster_size=${cs}`, raw, img]).status, 0);
      const f = new NodeFile(img, true);
      const disk = new Qcow2Image(f, parseQcow2Header(f), { readOnly: true }); // no inflate option: the built-in decoder
      const got = new Uint8Array(disk.size);
      disk.read(0, got);
      disk.close();
      assert.ok(Buffer.from(got).equals(Buffer.from(readFileSync(raw))), `cluster size ${cs}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
