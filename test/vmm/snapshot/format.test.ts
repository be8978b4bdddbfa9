// The snapshot container and its values: round trips, and every way a file can be unusable (not a snapshot,
// another format version, another rvkvm version, truncated, damaged, garbage after it), each refused with one
// line that says so, before anything is read from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { crc32 } from '../../../src/vmm/snapshot/crc32.js';
import { SnapshotFile, writeSnapshotFile, SNAPSHOT_FORMAT_VERSION } from '../../../src/vmm/snapshot/format.js';
import { decodeState, encodeState, SnapshotError, StateReader, type StateValue } from '../../../src/vmm/snapshot/value.js';
import { encodeRam } from '../../../src/vmm/snapshot/machine.js';
import { RVKVM_VERSION } from '../../../src/vmm/version.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

test('RVKVM_VERSION is package.json\'s version', () => {
  assert.equal(RVKVM_VERSION, JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
});

test('CRC-32 matches the standard check value and continues across chunks', () => {
  const bytes = new TextEncoder().encode('123456789');
  assert.equal(crc32(bytes), 0xcbf43926);
  assert.equal(crc32(bytes.subarray(5), crc32(bytes.subarray(0, 5))), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

test('state values round-trip, including what JSON cannot carry', () => {
  const v: StateValue = {
    big: -(1n << 70n) + 5n, u64: 0xffff_ffff_ffff_ffffn, zero: 0n, inf: Infinity, ninf: -Infinity, negzero: -0, frac: 0.5,
    i32: -2147483648, big53: 2 ** 53 - 1, str: 'ünïcode', t: true, f: false, n: null, bytes: Uint8Array.of(1, 2, 255),
    list: [1, [2, [3]], { deep: 'x' }], empty: {},
  };
  const back = decodeState(encodeState(v), 'test') as Record<string, StateValue>;
  assert.deepEqual(back, v);
  assert.ok(Object.is(back['negzero'], -0));
  assert.ok(Number.isNaN(decodeState(encodeState(NaN), 'test') as number));
});

test('damaged state values are errors, never reads past the end', () => {
  const good = encodeState({ a: Uint8Array.of(1, 2, 3), b: [1, 2] });
  for (let cut = 0; cut < good.length; cut++) {
    assert.throws(() => decodeState(good.subarray(0, cut), 'machine'), (e: unknown) => e instanceof SnapshotError && /section 'machine' is damaged/.test(e.message));
  }
  assert.throws(() => decodeState(Uint8Array.of(42), 'x'), /unknown value tag 42/);
  assert.throws(() => decodeState(Uint8Array.of(0, 0), 'x'), /1 bytes after its value/);
});

test('StateReader names a missing or mistyped field', () => {
  const r = StateReader.of({ a: 1, b: 'x', c: Uint8Array.of(1) }, 'machine.uart');
  assert.equal(r.int('a'), 1);
  assert.throws(() => r.str('a'), /machine\.uart\.a is missing or not a string/);
  assert.throws(() => r.num('zz'), /machine\.uart\.zz is missing or not a number/);
  assert.throws(() => r.bytes('c', 2), /not 2 bytes \(it has 1\)/);
});

const codec = { deflate: (b: Uint8Array) => new Uint8Array(deflateRawSync(b)) };
function sample(): Uint8Array {
  const ram = new Uint8Array(1 << 20); ram.fill(7, 4096, 8192);
  return writeSnapshotFile([
    { name: 'machine', data: encodeState({ pc: 0x8020_0000n, regs: Uint8Array.of(1, 2, 3) }) },
    { name: 'ram', data: ram, compress: true },
  ], codec);
}

test('a file reads back section by section; deflated sections decompress with the built-in inflater', () => {
  const file = sample();
  assert.ok(file.length < 20_000, `1 MiB of mostly zeros deflated: ${file.length} bytes`);
  const s = new SnapshotFile(file, 'x.snap'); // no codec: src/vmm/block/inflate.ts, as a page reads it
  assert.deepEqual(s.names(), ['machine', 'ram']);
  assert.equal(s.rvkvmVersion, RVKVM_VERSION);
  assert.deepEqual(decodeState(s.section('machine'), 'machine'), { pc: 0x8020_0000n, regs: Uint8Array.of(1, 2, 3) });
  const ram = s.section('ram');
  assert.equal(ram.length, 1 << 20);
  assert.equal(ram[4096], 7); assert.equal(ram[8192], 0);
  assert.throws(() => s.section('nope'), /x\.snap: has no 'nope' section/);
});

test('every flipped byte is refused (the checksum, or a check before it), never half read', () => {
  const file = sample();
  for (let i = 0; i < file.length; i += Math.max(1, Math.floor(file.length / 500))) {
    const bad = file.slice();
    bad[i]! ^= 0x10;
    assert.throws(() => new SnapshotFile(bad, 'x.snap'), (e: unknown) => e instanceof SnapshotError && /^x\.snap: /.test(e.message) && !e.message.includes('\n'), `byte ${i}`);
  }
  const bad = file.slice(); bad[file.length >> 1]! ^= 1;
  assert.throws(() => new SnapshotFile(bad, 'x.snap'), /x\.snap: checksum mismatch \(CRC-32 0x[0-9a-f]{8}, the file says 0x[0-9a-f]{8}\): the file is damaged/);
});

test('a truncated file says how much of it is there; garbage after it is refused too', () => {
  const file = sample();
  for (const cut of [file.length - 1, file.length >> 1, 40]) {
    assert.throws(() => new SnapshotFile(file.subarray(0, cut), 'x.snap'), new RegExp(`x\\.snap: truncated: ${cut} of its ${file.length} bytes are there`));
  }
  assert.throws(() => new SnapshotFile(file.subarray(0, 10), 'x.snap'), /not an rvkvm snapshot/);
  const longer = new Uint8Array(file.length + 3); longer.set(file);
  assert.throws(() => new SnapshotFile(longer, 'x.snap'), /3 bytes of garbage after its end/);
  assert.throws(() => new SnapshotFile(new TextEncoder().encode('#!/bin/sh\necho not a snapshot at all, but long enough\n'), 'x.snap'), /x\.snap: not an rvkvm snapshot \(no RVKVMSNP header\)/);
});

/** `file` with its header patched and the checksum made right again: what another version would write. */
function reseal(file: Uint8Array, patch: (b: Uint8Array, dv: DataView) => void): Uint8Array {
  const b = file.slice();
  const dv = new DataView(b.buffer);
  patch(b, dv);
  dv.setUint32(b.length - 4, crc32(b.subarray(0, b.length - 4)), true);
  return b;
}

test('files of another format version or another rvkvm version are refused by name', () => {
  const file = sample();
  const v2 = reseal(file, (_b, dv) => dv.setUint32(8, SNAPSHOT_FORMAT_VERSION + 1, true));
  assert.throws(() => new SnapshotFile(v2, 'x.snap'), new RegExp(`x\\.snap: snapshot format version ${SNAPSHOT_FORMAT_VERSION + 1}; this rvkvm \\(${RVKVM_VERSION}\\) reads version ${SNAPSHOT_FORMAT_VERSION} only`));
  const other = RVKVM_VERSION.replace(/\d$/, (d) => String((Number(d) + 1) % 10));
  const older = reseal(file, (b) => b.set(new TextEncoder().encode(other), 26));
  assert.throws(() => new SnapshotFile(older, 'x.snap'), new RegExp(`saved by rvkvm ${other.replace(/\./g, '\\.')}; this is rvkvm ${RVKVM_VERSION.replace(/\./g, '\\.')}`));
  const outside = reseal(file, (_b, dv) => dv.setFloat64(26 + RVKVM_VERSION.length + 2 + 7 + 1, 1e9, true));
  assert.throws(() => new SnapshotFile(outside, 'x.snap'), /section 'machine' lies outside the file/);
});

test('RAM is sparse: pages of zeros cost nothing, present pages are kept in order', () => {
  const ram = new Uint8Array(64 * 4096);
  ram[3 * 4096 + 17] = 1;
  ram[60 * 4096 + 4095] = 2;
  const enc = encodeRam(ram, 0x8000_0000);
  assert.equal(enc.length, 20 + 8 + 2 * 4096);
  const dv = new DataView(enc.buffer);
  assert.equal(dv.getFloat64(0, true), 0x8000_0000);
  assert.equal(dv.getUint32(16, true), 2);
  assert.equal(enc[20], 1 << 3); assert.equal(enc[27], 1 << 4);
  assert.equal(enc[28 + 17], 1); assert.equal(enc[28 + 4096 + 4095], 2);
});

test('a file read as a Node Buffer (at any offset of a larger one) gives bytes that are copies of their own', () => {
  const file = writeSnapshotFile([{ name: 'machine', data: encodeState({ regs: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) }) }]);
  const big = Buffer.alloc(file.length + 3);
  big.set(file, 3);
  const s = new SnapshotFile(big.subarray(3), 'x.snap');
  const regs = (decodeState(s.section('machine'), 'machine') as { regs: Uint8Array }).regs;
  assert.equal(regs.slice().buffer.byteLength, 8, 'slice() copies (a Buffer would share the whole file)');
  assert.deepEqual(new Float64Array(regs.slice().buffer).length, 1);
  big.fill(0);
  assert.deepEqual([...regs], [1, 2, 3, 4, 5, 6, 7, 8]);
});
