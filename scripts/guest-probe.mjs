// Part of `npm start`: cross-compiles the guest's rvkvm-probe (test/guest/linux/rvkvm-probe.c, the program the
// README tells the user to run in the shell) when Debian's RISC-V cross compiler is installed, so the first boot
// of a fresh checkout has it. Without the compiler, or if the build fails, it says so in one line and exits 0:
// the guest still boots, and `rvkvm run` repeats at boot that the probe is absent and how to get it.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cross = process.env.CROSS ?? 'riscv64-linux-gnu-';
const cc = `${cross}gcc`;
const target = join(root, 'build/guest/linux/rvkvm-probe.elf');
const how = 'install gcc-riscv64-linux-gnu and libc6-dev-riscv64-cross (Debian), then npm start again';

const probe = spawnSync(cc, ['--version'], { stdio: 'ignore' });
if (probe.error || probe.status !== 0) {
  process.stderr.write(`rvkvm: ${cc} not found, so the guest gets no rvkvm-probe (${how})\n`);
} else {
  const r = spawnSync('make', ['-s', '-C', join(root, 'test/guest'), `CROSS=${cross}`, target], { stdio: 'inherit' });
  if (r.error || r.status !== 0) {
    process.stderr.write(`rvkvm: building rvkvm-probe failed (above), so the guest gets none (${how})\n`);
  }
}
