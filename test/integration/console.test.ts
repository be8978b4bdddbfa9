// The guest console as a user meets it, on the real Debian guest: piped input from the very first byte, the
// escape keys of an interactive console, and the real-time clock the shell's `date` reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnRvkvm } from './rvkvm-process.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'dist/src/cli/main.js');
const guest = resolve(root, '../shared/guest');
const skip = existsSync(join(guest, 'linux-6.12.107-riscv64.Image')) ? false : `missing ${guest}`;

function rvkvm(args: string[], input: string, timeoutSec = 240): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { input, encoding: 'utf8', timeout: timeoutSec * 1000, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('piped input reaches the shell from its first byte (it arrives long before the UART driver is ready)', { skip }, () => {
  const r = rvkvm(['run', '--clock', 'icount', '--timeout', '200', '--append', 'console=ttyS0 panic=-1 quiet'],
    'cat /proc/cpuinfo; poweroff -f\n');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^processor\s*: 0$/m, r.stdout);
  assert.match(r.stdout, /^isa\s*: rv64imafdcv?_\S*zcmop/m); // the default vCPU has V (issue #17)
});

test('console input the guest does not read is held to a bound: the pipe is paused, not buffered', { skip }, async () => {
  // The guest is held before its first instruction (--gdb-wait), so it reads nothing at all.
  const p = spawn(process.execPath, [cli, 'run', '--kernel', join(guest, 'linux-6.12.107-riscv64.Image'), '--no-rng',
    '--gdb', '127.0.0.1:0', '--gdb-wait'], { stdio: ['pipe', 'ignore', 'pipe'] });
  let err = '';
  await new Promise<void>((res) => p.stderr!.on('data', (d: Buffer) => { err += d.toString(); if (err.includes('gdb: listening')) res(); }));
  const chunk = new Uint8Array(1 << 16);
  let written = 0;
  const until = Date.now() + 3000;
  p.stdin!.on('error', () => {});
  while (Date.now() < until) {
    if (p.stdin!.write(chunk)) written += chunk.length;
    else {
      written += chunk.length;
      await Promise.race([new Promise((r) => p.stdin!.once('drain', r)), new Promise((r) => setTimeout(r, 200))]);
    }
  }
  p.kill('SIGKILL');
  // 1 MiB backlog + the pipe's and the streams' buffers; without the pause it swallows about everything offered.
  assert.ok(written < 8 << 20, `rvkvm accepted ${written} bytes of input the guest never read`);
});

test('the guest clock starts at the host time: the goldfish RTC is rtc0 and date shows now', { skip }, () => {
  const before = Math.floor(Date.now() / 1000);
  const r = rvkvm(['run', '--timeout', '200', '--append', 'console=ttyS0 panic=-1 quiet', '--init-commands',
    'echo GUEST-EPOCH=$(date -u +%s); cat /sys/class/rtc/rtc0/name'], '');
  const after = Math.ceil(Date.now() / 1000);
  assert.equal(r.code, 0, r.stderr);
  const m = /GUEST-EPOCH=(\d+)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  const t = Number(m[1]);
  assert.ok(t >= before - 2 && t <= after + 2, `guest time ${t} is not within the run [${before}, ${after}]`);
  assert.match(r.stdout, /goldfish_rtc|101000\.rtc/);
});

test('under --clock icount the RTC starts at the documented epoch, 2025-01-01T00:00:00Z', { skip }, () => {
  const r = rvkvm(['run', '--clock', 'icount', '--timeout', '200', '--append', 'console=ttyS0 panic=-1 quiet', '--init-commands',
    'echo GUEST-DATE=$(date -u +%Y-%m-%dT%H:%M)'], '');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /GUEST-DATE=2025-01-01T00:00\b/, r.stdout);
});

const haveScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

test('interactive console: Ctrl-A h lists the escape keys, Ctrl-A s saves the VM and it runs on, Ctrl-A x quits with exit status 0', { skip: skip || (haveScript ? false : 'no script(1) for a pty') }, async () => {
  // script(1) gives rvkvm a pseudo-terminal on stdin and stdout, so it runs its raw interactive console.
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-escape-'));
  const snap = join(dir, 'vm.snapshot');
  const cmd = [process.execPath, cli, 'run', '--clock', 'icount', '--timeout', '200', '--append', 'console=ttyS0 panic=-1 quiet', '--save-on-exit', snap]
    .map((a) => `'${a}'`).join(' ');
  const p = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  // one listener collects the output (one per wait would append every chunk once per wait made so far)
  const waiting = new Set<() => void>();
  p.stdout!.on('data', (d: Buffer) => { out += d.toString(); for (const check of waiting) check(); });
  const seen = (re: RegExp, ms: number): Promise<void> => new Promise((res, rej) => {
    const t = setTimeout(() => { waiting.delete(check); rej(new Error(`timed out waiting for ${re}:\n${out.slice(-2000)}`)); }, ms);
    const check = (): void => { if (re.test(out)) { clearTimeout(t); waiting.delete(check); res(); } };
    waiting.add(check);
    check();
  });
  const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
  try {
    await seen(/rvkvm-init: userspace is up/, 200_000);
    p.stdin!.write('\x01h');
    await seen(/C-a C-a +send C-a/, 20_000); // the help's last line: it may arrive in several chunks
    assert.match(out, /C-a h +print this help/);
    assert.match(out, /C-a s +save the VM/);
    p.stdin!.write('\x01s');
    await seen(/rvkvm: saved the VM to \S*vm\.snapshot \([\d.]+ MB in [\d.]+ s\); it runs on/, 60_000);
    assert.ok(existsSync(snap));
    // the shell's prompt (a line typed before the shell runs may be flushed); busybox's line editor may follow it
    // with ESC [ 6 n, asking the terminal for the cursor position, when no input is pending
    await seen(/# (\x1b\[6n)?$/m, 60_000);
    p.stdin!.write('echo still-$((6*7))\r');
    await seen(/still-42/, 30_000);
    const t0 = Date.now();
    p.stdin!.write('\x01x');
    const code = await exited;
    assert.equal(code, 0, out.slice(-2000));
    assert.ok(Date.now() - t0 < 20_000, 'Ctrl-A x quits promptly');
    assert.match(out, /terminated \(Ctrl-A x\)/);
    assert.match(out, /saved the VM to \S*vm\.snapshot .*resume it with: rvkvm run --restore/);
    const r = rvkvm(['run', '--restore', snap], 'echo resumed-$((6*7)); poweroff -f\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /resumed-42/);
  } finally {
    p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--console virtio: the console is hvc0 (console=hvc0), piped input reaches it from the first byte', { skip }, () => {
  const r = rvkvm(['run', '--console', 'virtio', '--clock', 'icount', '--timeout', '200'],
    // dmesg -n 1: no kernel message may land in the middle of the lines checked below
    'dmesg -n 1; echo CMDLINE=$(cat /proc/cmdline); echo ACTIVE=$(cat /sys/class/tty/console/active); echo TTY=$(tty); poweroff -f\n');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^CMDLINE=console=hvc0 earlycon=sbi panic=-1$/m, r.stdout);
  assert.match(r.stdout, /^ACTIVE=hvc0$/m);
  assert.match(r.stdout, /^TTY=\/dev\/hvc0$/m);
  assert.match(r.stdout, /printk: legacy console \[hvc0\] enabled/);
  assert.equal((r.stdout.match(/Linux version/g) ?? []).length, 1, 'boot messages are not shown twice');
});

test('--console rejects what it does not know', () => {
  const r = rvkvm(['run', '--console', 'vga'], '', 30);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^rvkvm: --console 'vga': expected serial \(ttyS0, the default\) or virtio \(hvc0\)$/m);
});

test('--channel unix:PATH: a second virtio-console port carries bytes both ways between a guest program and a host socket', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-chan-'));
  const sock = join(dir, 'chan.sock');
  try {
    // One open for both directions: Linux drops what reached a port when the program that had it open closes it.
    const { p, out: stdout, err: stderr, exited } = spawnRvkvm(['run', '--clock', 'icount', '--timeout', '200', '--append', 'console=ttyS0 panic=-1 quiet',
      '--channel', `unix:${sock},name=org.rvkvm.test`, '--init-commands',
      'ls -l /dev/virtio-ports/; exec 3<>/dev/virtio-ports/org.rvkvm.test; echo FROM-GUEST >&3; echo GOT=$(head -c 9 <&3)']);
    while (!existsSync(sock) && p.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    // The host connects and sends at once, long before the guest has the port open: the bytes must wait for it.
    const c = connect(sock);
    c.write('FROM-HOST');
    let got = '';
    c.on('data', (d: Buffer) => { got += d.toString(); });
    c.on('error', () => {});
    const code = await exited;
    c.destroy();
    assert.equal(code, 0, stderr());
    assert.match(stdout(), /org\.rvkvm\.test -> \/dev\/vport\d+p1/, stdout());
    assert.match(stdout(), /^GOT=FROM-HOST$/m, stdout());
    assert.equal(got, 'FROM-GUEST\n');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('--channel options are checked', () => {
  const r = rvkvm(['run', '--channel', 'unix:/tmp/x.sock,mode=rw'], '', 30);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^rvkvm: --channel 'unix:\/tmp\/x\.sock,mode=rw': unknown option 'mode' \(accepted: name=NAME\)$/m);
  const r2 = rvkvm(['run', '--channel', 'tcp:1234'], '', 30);
  assert.match(r2.stderr, /expected unix:PATH\[,name=NAME\]/);
});
