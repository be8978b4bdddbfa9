// The QEMU oracles' one harness: a bare-metal C program (the FP oracle's oracle.c, the vector oracle's harness.c,
// each with its generated headers in a scratch directory) is linked with start.S and link.ld here and run on
// qemu-system-riscv64 -M virt -bios none, whose UART output (to a file: through a pipe QEMU drops characters
// when the reader falls behind) is the oracle's answer. QEMU 7.2 is the machine's qemu-system-misc; QEMU 10 is
// fetched, not installed, by bench/qemu10.sh into build/qemu-10 (`.ci/run` does it once; here it is only
// looked up, or fetched when the cache is missing).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(new URL('../../../../test/hart/qemu/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** the machine's QEMU (7.2, Debian's qemu-system-misc) */
export const QEMU_7 = 'qemu-system-riscv64';

/** why the oracle cannot run (a tool missing), or false */
export function missingTools(...tools: string[]): string | false {
  for (const tool of ['riscv64-linux-gnu-gcc', ...tools]) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).error) return `${tool} not installed`;
  }
  return false;
}

let qemu10Cache: { binary: string } | { skip: string } | undefined;

/** QEMU 10's wrapper (build/qemu-10/qemu-system-riscv64), fetched by bench/qemu10.sh when not cached yet */
export function qemu10(): { binary: string } | { skip: string } {
  if (qemu10Cache) return qemu10Cache;
  const r = spawnSync('sh', [join(ROOT, 'bench/qemu10.sh')], { encoding: 'utf8', timeout: 600_000 });
  const binary = r.stdout?.trim().split('\n').at(-1) ?? '';
  if (r.status === 0 && binary && existsSync(binary)) qemu10Cache = { binary };
  else qemu10Cache = { skip: `QEMU 10 unavailable: ${(r.stderr ?? '').trim().split('\n').at(-1) || r.error?.message || `bench/qemu10.sh exit ${r.status}`}` };
  return qemu10Cache;
}

/**
 * Compiles `source` (with `includeDir` for its generated headers) against the shared start.S/link.ld into
 * dir/oracle.elf (for `march`), runs it on `qemu` with `-cpu cpu` and returns what it printed on the UART.
 */
export function runBareMetal(dir: string, source: string, qemu: string, cpu: string | undefined, timeoutMs = 120_000, march = 'rv64imafd'): string {
  const elf = join(dir, 'oracle.elf');
  const cc = spawnSync('riscv64-linux-gnu-gcc', [
    `-march=${march}`, '-mabi=lp64d', '-O1', '-nostdlib', '-ffreestanding', '-static', '-fno-pie', '-no-pie',
    '-mcmodel=medany', '-Wl,--build-id=none', '-Wl,--no-warn-rwx-segments', '-T', join(HERE, 'link.ld'), '-I', dir,
    join(HERE, 'start.S'), source, '-o', elf,
  ], { encoding: 'utf8' });
  assert.equal(cc.status, 0, `cross compile failed:\n${cc.stderr}`);
  const output = join(dir, 'uart.txt');
  const run = spawnSync(qemu, ['-M', 'virt', '-bios', 'none', '-kernel', elf, '-m', '128M', ...(cpu ? ['-cpu', cpu] : []),
    '-display', 'none', '-monitor', 'none', '-serial', `file:${output}`], { encoding: 'utf8', timeout: timeoutMs });
  const text = existsSync(output) ? readFileSync(output, 'utf8') : '';
  assert.ok(text.length > 0, `${qemu} printed nothing (status ${run.status} ${run.signal ?? ''}): ${run.stderr.slice(-500)}`);
  return text;
}
