// The boot bench's memory numbers (bench/boot.ts): the guest RAM found in /proc/PID/smaps, the peak of a process
// tree, and when `rvkvm run` starts itself again in one malloc arena (src/cli/malloc-arenas.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { guestResidentBytes, TreePeak } from '../../bench/boot.js';
import { wantsOneArena } from '../../src/cli/malloc-arenas.js';

const MiB = 1 << 20;

function mapping(start: number, size: number, perms: string, path: string, rssKiB: number): string {
  const hex = (n: number): string => n.toString(16).padStart(12, '0');
  return [`${hex(start)}-${hex(start + size)} ${perms} 00000000 00:00 ${path ? '1234' : '0'}${path ? `    ${path}` : ''}`,
    `Size:           ${size / 1024} kB`, `Rss:            ${rssKiB} kB`, 'Pss:            0 kB', ''].join('\n');
}

test('guestResidentBytes: the Rss of the largest anonymous rw-p mapping at least the RAM size, nothing else', () => {
  const smaps = [
    mapping(0x1000_0000, 8 * MiB, 'r-xp', '/usr/bin/qemu-system-riscv64', 4000), // a file
    mapping(0x2000_0000, 600 * MiB, 'rw-s', '/memfd:ram (deleted)', 9000), // shared, not private
    mapping(0x4000_0000, 1024 * MiB, 'rwxp', '', 7000), // QEMU's code buffer: executable
    mapping(0x8000_0000, 100 * MiB, 'rw-p', '', 90000), // anonymous but smaller than the RAM
    mapping(0x1_0000_0000, 513 * MiB, 'rw-p', '', 86_000), // the RAM
    mapping(0x2_0000_0000, 10240 * MiB, '---p', '', 0), // a reservation
  ].join('');
  assert.equal(guestResidentBytes(smaps, 512 * MiB), 86_000 * 1024);
  assert.equal(guestResidentBytes(smaps, 2048 * MiB), null);
  assert.equal(guestResidentBytes('', 512 * MiB), null);
});

test('TreePeak counts a process and its children, each at its own peak, and ends with them', { skip: process.platform !== 'linux' }, async () => {
  // a shell whose child holds ~64 MiB for a moment: the tree's peak is above the shell's own
  const script = `${JSON.stringify(process.execPath)} -e "const b=Buffer.alloc(64<<20,1); setTimeout(()=>b.length,400)"; sleep 0.2`;
  const sh = spawn('sh', ['-c', script], { stdio: 'ignore' });
  const peak = new TreePeak(sh.pid!);
  const poll = setInterval(() => peak.sample(), 20);
  await new Promise((r) => sh.on('exit', r));
  clearInterval(poll);
  assert.ok((peak.bytes ?? 0) > 64 * MiB, `tree peak ${((peak.bytes ?? 0) / MiB).toFixed(1)} MiB`);
});

test('wantsOneArena: on Linux unless MALLOC_ARENA_MAX or RVKVM_NO_REEXEC is set or an inspector/profiler is attached', () => {
  assert.equal(wantsOneArena({}, [], 'linux'), true);
  assert.equal(wantsOneArena({}, ['--max-old-space-size=100'], 'linux'), true);
  assert.equal(wantsOneArena({ MALLOC_ARENA_MAX: '4' }, [], 'linux'), false);
  assert.equal(wantsOneArena({ RVKVM_NO_REEXEC: '1' }, [], 'linux'), false);
  for (const flag of ['--inspect', '--inspect-brk=9229', '--cpu-prof', '--heap-prof', '--prof']) assert.equal(wantsOneArena({}, [flag], 'linux'), false, flag);
  assert.equal(wantsOneArena({}, [], 'darwin'), false);
});
