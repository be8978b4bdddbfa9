// Input files are read only up to what guest RAM can hold: an endless input (/dev/zero) or a huge file given as
// --kernel, --initrd, --dtb or an exec ELF is refused in one line, quickly, instead of eating the host's memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, ftruncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBoundedInput } from '../../src/cli/read-input.js';
import { DeviceTree } from '../../src/vmm/fdt.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function rvkvm(args: string[]): { status: number | null; stderr: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [cli, ...args], { input: '', encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stderr: r.stderr, ms: Date.now() - t0 };
}

test('endless inputs (/dev/zero) as --kernel, --initrd, --dtb and exec ELF are refused in one line, within seconds', () => {
  const cases: [string[], RegExp][] = [
    [['run', '--mem', '32M', '--kernel', '/dev/zero'], /^rvkvm: kernel '\/dev\/zero' is larger than 32 MiB, the guest RAM \(--mem 32M\): it cannot fit/],
    [['run', '--mem', '32M', '--initrd', '/dev/zero'], /^rvkvm: initrd '\/dev\/zero' is larger than 32 MiB, the guest RAM \(--mem 32M\)/],
    [['run', '--dtb', '/dev/zero', '--mem', '16M'], /^rvkvm: device tree '\/dev\/zero' is larger than 16 MiB, the guest RAM \(--mem 16M\)/],
    [['exec', '/dev/zero', '--mem', '16'], /^rvkvm: ELF '\/dev\/zero' is larger than 16 MiB, the program's RAM \(--mem 16M\)/],
  ];
  for (const [args, want] of cases) {
    const r = rvkvm(args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, want);
    assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
    assert.ok(r.ms < 20_000, `${args.join(' ')} took ${r.ms} ms`);
  }
});

test('readBoundedInput: a large regular file is refused before reading; up to the limit it is read whole', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-input-'));
  try {
    const big = join(dir, 'big.img');
    const fd = openSync(big, 'w');
    ftruncateSync(fd, 64 * 1024 * 1024 * 1024); // sparse: 64 GiB that must not be read
    closeSync(fd);
    const t0 = Date.now();
    assert.throws(() => readBoundedInput(big, 'kernel', 512 << 20, 'the guest RAM (--mem 512M)'),
      /^UsageError: kernel '.*big.img' is larger than 512 MiB, the guest RAM \(--mem 512M\): it cannot fit/);
    assert.ok(Date.now() - t0 < 1000);
    const small = join(dir, 'small');
    const f2 = openSync(small, 'w'); ftruncateSync(f2, 4096); closeSync(f2);
    assert.equal(readBoundedInput(small, 'initrd', 4096, 'x').length, 4096);
    assert.throws(() => readBoundedInput(small, 'initrd', 4095, 'x'), /larger than 4095 bytes/);
    assert.throws(() => readBoundedInput(dir, 'initrd', 4096, 'x'), /is a directory/);
    assert.throws(() => readBoundedInput(join(dir, 'none'), 'initrd', 4096, 'x'), /initrd '.*none' does not exist/);
    // a device: bounded chunked reads
    assert.throws(() => readBoundedInput('/dev/zero', 'kernel', 3 << 20, 'x'), /larger than 3 MiB/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--dtb with a broken blob is refused before boot: "--dtb FILE: not a device tree blob: what at offset"', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-dtb-'));
  try {
    const dt = new DeviceTree();
    dt.root.u32('#address-cells', 2).addChild('chosen').string('bootargs', 'console=ttyS0');
    const good = dt.toBlob();
    const random = new Uint8Array(300).map((_, i) => (i * 7919 + 13) & 0xff);
    const badToken = good.slice();
    new DataView(badToken.buffer).setUint32(new DataView(good.buffer).getUint32(8), 0x77);
    const cases: [string, Uint8Array, RegExp][] = [
      ['random.dtb', random, /: not a device tree blob: bad magic 0x[0-9a-f]+ \(expected 0xd00dfeed\) at offset 0x0$/],
      ['short.dtb', good.slice(0, good.length - 8), /: not a device tree blob: totalsize \d+ exceeds the \d+ bytes given \(truncated\) at offset 0x4$/],
      ['token.dtb', badToken, /: not a device tree blob: unknown token 0x77 at offset 0x38$/],
    ];
    for (const [name, bytes, want] of cases) {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      const r = rvkvm(['run', '--dtb', file, '--timeout', '10']);
      assert.equal(r.status, 1, r.stderr);
      const line = r.stderr.trimEnd();
      assert.ok(line.startsWith(`rvkvm: --dtb ${file}: not a device tree blob: `), line);
      assert.match(line, want);
      assert.equal(r.stderr.split('\n').length, 2, 'one line');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
