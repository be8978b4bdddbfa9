// Debian's gdb-multiarch against `rvkvm run --gdb --gdb-wait` on the bundled Debian guest: attach at the Image
// entry, stepi, a breakpoint further in, continue, interrupt (SIGINT to gdb) once the kernel has its MMU on,
// satp and a read of guest-virtual memory, then kill.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'dist/src/cli/main.js');
const guest = resolve(root, '../shared/guest');
const IMAGE_LOAD = 0x80200000n;
const BREAK_AT = 0x802010e0n; // a few instructions into head.S (found by stepping), before the MMU is on

const haveGdb = spawnSync('sh', ['-c', 'command -v gdb-multiarch'], { encoding: 'utf8' }).status === 0;
const skip = !haveGdb && process.env.CI !== 'true' ? 'gdb-multiarch is not installed (apt-get install gdb-multiarch)' : false;

function waitFor(child: ChildProcess, stream: 'stdout' | 'stderr', re: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolveMatch, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re} in ${stream}:\n${text}`)), timeoutMs);
    child[stream]!.on('data', (b: Buffer) => {
      text += b.toString();
      const m = re.exec(text);
      if (m) { clearTimeout(timer); resolveMatch(m); }
    });
  });
}

test('gdb-multiarch: attach, stepi, breakpoint, continue, interrupt, satp, virtual memory, kill', { skip, timeout: 120_000 }, async () => {
  assert.ok(haveGdb, 'gdb-multiarch is required in CI (.ci/run installs it)');
  assert.ok(existsSync(join(guest, 'linux-6.12.107-riscv64.Image')), 'bundled guest missing');
  const vm = spawn(process.execPath, [cli, 'run', '--gdb=127.0.0.1:0', '--gdb-wait', '--clock', 'icount'], { stdio: ['pipe', 'pipe', 'pipe'] });
  vm.stdout!.resume();
  let gdb: ChildProcess | null = null;
  try {
    const [, port] = await waitFor(vm, 'stderr', /gdb: listening on 127\.0\.0\.1:(\d+)/, 30_000);
    const ex = [
      'set arch riscv:rv64', 'set pagination off', `target remote 127.0.0.1:${port}`,
      'printf "PC0=%lx\\n", $pc', 'printf "SATP0=%lx\\n", $satp', 'x/1hx $pc',
      'stepi', 'printf "PC1=%lx\\n", $pc', 'stepi', 'printf "PC2=%lx\\n", $pc',
      `break *0x${BREAK_AT.toString(16)}`, 'continue', 'printf "PCB=%lx\\n", $pc', 'delete',
      'continue',
      'printf "PCI=%lx\\n", $pc', 'printf "SATP1=%lx\\n", $satp', 'x/2gx $pc', 'info threads', 'kill',
    ];
    gdb = spawn('gdb-multiarch', ['-nx', '-batch', ...ex.flatMap((c) => ['-ex', c])], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    gdb.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
    gdb.stderr!.on('data', (b: Buffer) => { out += b.toString(); });
    // after the breakpoint gdb continues: give the kernel time to turn its MMU on, then interrupt as Ctrl-C would
    await waitFor(gdb, 'stdout', /PCB=/, 60_000);
    await new Promise((r) => setTimeout(r, 10_000));
    gdb.kill('SIGINT');
    const code = await new Promise<number | null>((r) => gdb!.on('exit', r));
    const val = (key: string): bigint => {
      const m = new RegExp(`${key}=([0-9a-f]+)`).exec(out);
      assert.ok(m, `${key} missing in gdb output:\n${out}`);
      return BigInt('0x' + m[1]);
    };
    assert.equal(code, 0, out);
    assert.equal(val('PC0'), IMAGE_LOAD, 'the vCPU waits at the Image load address');
    assert.equal(val('SATP0'), 0n, 'MMU off at entry');
    const half = /0x80200000:\s+0x([0-9a-f]{4})/.exec(out);
    assert.ok(half, out);
    const len = (parseInt(half[1]!, 16) & 3) === 3 ? 4n : 2n;
    assert.equal(val('PC1'), IMAGE_LOAD + len, 'stepi advances by the instruction length');
    assert.notEqual(val('PC2'), val('PC1'));
    assert.equal(val('PCB'), BREAK_AT, 'stopped at the breakpoint');
    assert.match(out, /Program received signal SIGINT/);
    const satp = val('SATP1');
    assert.ok([8n, 9n, 10n].includes(satp >> 60n), `satp 0x${satp.toString(16)}: mode should be Sv39/48/57 once the MMU is on`);
    const pci = val('PCI');
    assert.ok(pci >= 0xffff_ffff_0000_0000n, `interrupted in the kernel's virtual mapping, pc 0x${pci.toString(16)}`);
    assert.match(out, new RegExp(`0x${pci.toString(16)}:\\s+0x[0-9a-f]{16}\\s+0x[0-9a-f]{16}`), 'memory read at a virtual address');
    assert.match(out, /Thread 1 \(vCPU 0/);
    assert.match(out, /\[Inferior 1 \(Remote target\) killed\]/);
    const vmCode = await new Promise<number | null>((r) => { if (vm.exitCode !== null) r(vm.exitCode); else vm.on('exit', r); });
    assert.notEqual(vmCode, null, 'rvkvm exits after kill');
  } finally {
    if (gdb && gdb.exitCode === null) gdb.kill('SIGKILL');
    if (vm.exitCode === null) vm.kill('SIGKILL');
  }
});
