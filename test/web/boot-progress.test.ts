// The page's boot progress: milestones found in console text however it is chunked, phases in boot order,
// the estimate held between the milestones' fractions, and unknown (null) for a guest whose boot is not measured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOOT_MILESTONES, BootProgress, BUNDLED_BOOT_INSTRUCTIONS } from '../../web/src/boot-progress.js';
import { INIT_MARKER } from '../../src/vmm/initramfs.js';

const lines = [
  '[    0.000000] Linux version 6.12.107+deb13-riscv64 (debian-kernel@lists.debian.org)',
  '[    0.100000] rcu: Hierarchical SRCU implementation.',
  '[    1.080901] smp: Bringing up secondary CPUs ...',
  '[    4.957786] Serial: 8250/16550 driver, 4 ports, IRQ sharing disabled',
  '[    7.192128] Freeing unused kernel image (initmem) memory: 2684K',
  '[    7.200912] Run /init as init process',
  'rvkvm-init: loaded virtio_mmio virtio_blk',
  INIT_MARKER,
];

test('milestones are found across chunk boundaries, in order, each once', () => {
  const text = lines.join('\r\n') + '\r\n';
  for (const chunk of [1, 7, 64, text.length]) {
    const p = new BootProgress(BUNDLED_BOOT_INSTRUCTIONS.plain);
    const phases: string[] = [];
    for (let i = 0; i < text.length; i += chunk) {
      p.feed(text.slice(i, i + chunk), i);
      if (phases.at(-1) !== p.phase()) phases.push(p.phase());
    }
    assert.equal(p.done, true);
    assert.deepEqual(p.seenAt.map((s) => s.phase), BOOT_MILESTONES.filter((m) => !m.match.startsWith('rvkvm-init: eth0') && !m.match.startsWith('rvkvm-init: mounted')).map((m) => m.phase));
    assert.equal(phases[phases.length - 1], 'userspace is up');
    assert.equal(p.fraction(0), 1);
  }
});

test('a milestone skipped by this guest (no network) does not stop later ones; an early line cannot match late', () => {
  const p = new BootProgress(BUNDLED_BOOT_INSTRUCTIONS.plain);
  p.feed(`${INIT_MARKER.slice(0, 5)}\n`, 0);
  assert.equal(p.phase(), 'starting');
  p.feed('Run /init as init process\n', 10);
  assert.equal(p.phase(), 'running /init');
  // the kernel's first line after a later one is not progress backwards
  p.feed('Linux version 6.12\n', 20);
  assert.equal(p.phase(), 'running /init');
});

test('the estimate follows instructions but stays between the reached and the next milestone', () => {
  const expected = 1e9;
  const p = new BootProgress(expected);
  assert.equal(p.fraction(0), 0);
  p.feed('Linux version x\n', 14e6);
  const next = BOOT_MILESTONES[1]!.instructions! / expected;
  assert.ok(Math.abs(p.fraction(50e6)! - 0.05) < 1e-9);
  assert.equal(p.fraction(900e6), next, 'ran past the next milestone without the console showing it');
  p.feed('Serial: 8250/16550 driver\n', 700e6);
  assert.equal(p.fraction(0), BOOT_MILESTONES[2]!.instructions! / expected, 'went back below the milestone reached');
  let last = 0;
  for (let n = 0; n <= 3e9; n += 1e8) { const f = p.fraction(n)!; assert.ok(f >= last && f <= 0.99); last = f; }
  p.feed(`${INIT_MARKER}\n`, 3e9);
  assert.equal(p.fraction(3e9), 1);
  assert.equal(new BootProgress(null).fraction(5e9), null);
});

test('the milestone instruction counts rise; the marker is last', () => {
  const known = BOOT_MILESTONES.map((m) => m.instructions).filter((n): n is number => n !== null);
  for (let i = 1; i < known.length; i++) assert.ok(known[i]! >= known[i - 1]!);
  assert.ok(known.at(-1)! < BUNDLED_BOOT_INSTRUCTIONS.plain);
  assert.equal(BOOT_MILESTONES.at(-1)!.match, INIT_MARKER);
});
