// ELF64 reader: a real RISC-V executable (checked against binutils' own view of it) and malformed inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseElf, EM_RISCV } from '../../src/vmm/elf.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const helloPath = `${root}build/guest/hart/hello.elf`;

test('reads header, PT_LOAD segments and symbols of a built guest program, matching readelf/nm', () => {
  const bytes = readFileSync(helloPath);
  const elf = parseElf(bytes);
  assert.equal(elf.machine, EM_RISCV);
  const nm = spawnSync('riscv64-linux-gnu-nm', [helloPath], { encoding: 'utf8' });
  assert.equal(nm.status, 0, 'riscv64-linux-gnu-nm runs');
  let checked = 0;
  const rows = nm.stdout.split('\n').map((l) => /^([0-9a-f]{16}) \S (\S+)$/.exec(l)).filter((m) => m !== null);
  for (const m of rows) {
    if (rows.filter((o) => o[2] === m[2]).length > 1) continue; // names defined twice (local labels) are ambiguous
    assert.equal(elf.symbols.get(m[2]!)?.value, BigInt(`0x${m[1]}`), m[2]);
    checked++;
  }
  assert.ok(checked >= 5 && elf.symbols.has('tohost') && elf.symbols.has('fromhost'));
  const re = spawnSync('riscv64-linux-gnu-readelf', ['-lW', helloPath], { encoding: 'utf8' });
  assert.equal(elf.entry, BigInt(/Entry point (0x[0-9a-f]+)/.exec(re.stdout)![1]!));
  const loads = re.stdout.split('\n').filter((l) => /^\s+LOAD/.test(l)).map((l) => l.trim().split(/\s+/));
  assert.equal(elf.segments.length, loads.length);
  loads.forEach((f, k) => {
    const s = elf.segments[k]!;
    assert.equal(s.vaddr, BigInt(f[2]!));
    assert.equal(s.paddr, BigInt(f[3]!));
    assert.equal(BigInt(s.data.length), BigInt(f[4]!));
    assert.equal(s.memSize, BigInt(f[5]!));
  });
});

test('malformed files give clear errors naming the problem', () => {
  const good = new Uint8Array(readFileSync(helloPath));
  const gdv = new DataView(good.buffer);
  const phoff0 = Number(gdv.getBigUint64(32, true));
  let firstLoad = 0;
  while (gdv.getUint32(phoff0 + firstLoad * 56, true) !== 1) firstLoad++;
  const load0 = phoff0 + firstLoad * 56;
  const mutate = (f: (b: Uint8Array, dv: DataView) => void): Uint8Array => {
    const b = good.slice();
    f(b, new DataView(b.buffer));
    return b;
  };
  const cases: [string, Uint8Array, RegExp][] = [
    ['truncated', good.subarray(0, 20), /too short/],
    ['bad magic', mutate((b) => { b[1] = 0; }), /bad magic/],
    ['32-bit', mutate((b) => { b[4] = 1; }), /not ELF64/],
    ['big-endian', mutate((b) => { b[5] = 2; }), /not little-endian/],
    ['phoff outside', mutate((_b, dv) => dv.setBigUint64(32, 1n << 40n, true)), /e_phoff .* outside the file/],
    ['program headers past end', mutate((_b, dv) => dv.setUint16(56, 60000, true)), /program headers .* run past the end/],
    ['segment past end', mutate((_b, dv) => dv.setBigUint64(load0 + 32, 1n << 32n, true)), /segment \d+: file bytes .* run past the end/],
    ['memsz < filesz', mutate((_b, dv) => {
      dv.setBigUint64(load0 + 40, 0n, true);
      dv.setBigUint64(load0 + 32, 16n, true);
    }), /p_memsz 0 is smaller than p_filesz 16/],
  ];
  for (const [name, bytes, re] of cases) assert.throws(() => parseElf(bytes, 'test.elf'), (e: Error) => re.test(e.message) && e.message.startsWith('test.elf: '), name);
});
