import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseImageHeader, placeKernel } from '../../src/vmm/image.js';
import { VmmError } from '../../src/vmm/errors.js';
import { guestDir } from './helpers.js';

const kernel = new Uint8Array(readFileSync(join(guestDir, 'linux-6.12.107-riscv64.Image')));

test('image: the real Debian 6.12 kernel header', () => {
  const h = parseImageHeader(kernel);
  // shared/guest/README.md: loaded at RAM base + 2 MiB, EFI stub image
  assert.equal(h.textOffset, 0x200000n);
  assert.equal(h.efiStub, true);
  assert.deepEqual(h.version, { major: 0, minor: 2 });
  assert.equal(h.flags, 0n);
  assert.ok(h.imageSize >= BigInt(kernel.length), 'image_size covers the file (plus bss)');
  assert.equal(h.imageSize % 4096n, 0n);
  // the PE header the EFI stub points at says RISC-V 64 (machine 0x5064)
  const pe = h.peHeaderOffset;
  assert.equal(String.fromCharCode(...kernel.subarray(pe, pe + 2)), 'PE');
  assert.equal(kernel[pe + 4] | (kernel[pe + 5] << 8), 0x5064);
  const place = placeKernel(h, { base: 0x80000000, size: 512 << 20 });
  assert.equal(place.loadAddress, 0x80200000);
  assert.equal(place.end, 0x80200000 + Number(h.imageSize));
  assert.throws(() => placeKernel(h, { base: 0x80000000, size: 16 << 20 }), /RAM ends at 0x81000000/);
});

function corrupted(edit: (b: Uint8Array, v: DataView) => Uint8Array | void): Uint8Array {
  const b = kernel.slice(0, 1 << 20);
  return edit(b, new DataView(b.buffer)) ?? b;
}

test('image: corrupted copies give clear errors', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['truncated', kernel.slice(0, 63), /truncated: 63 bytes/],
    ['no magic2', corrupted((b) => { b[58] = 0x58; }), /magic at offset 56 is "RSX\\u0005"/],
    ['no magic', corrupted((b) => { b[48] = 0x78; }), /magic at offset 48/],
    ['big-endian flag', corrupted((b, v) => { v.setUint32(24, 1, true); }), /big-endian/],
    ['old header version', corrupted((b, v) => { v.setUint32(32, 1, true); }), /version 0\.1/],
    ['zero image size', corrupted((b, v) => { v.setBigUint64(16, 0n, true); }), /image_size \(offset 16\) is 0/],
    ['image size smaller than file', corrupted((b, v) => { v.setBigUint64(16, 4096n, true); }), /smaller than the file/],
    ['unaligned text offset', corrupted((b, v) => { v.setBigUint64(8, 0x200010n, true); }), /not page aligned/],
    ['MZ without PE', corrupted((b, v) => { v.setUint32(60, 0x10000, true); }), /no PE header at offset 65536/],
  ];
  for (const [what, img, re] of cases) {
    assert.throws(() => parseImageHeader(img), (e: unknown) => e instanceof VmmError && re.test(e.message), what);
  }
});

test('image: a raw (non-EFI) image is accepted without a PE header', () => {
  const img = corrupted((b, v) => { b[0] = 0x13; b[1] = 0; v.setUint32(60, 0, true); });
  const h = parseImageHeader(img);
  assert.equal(h.efiStub, false);
});
