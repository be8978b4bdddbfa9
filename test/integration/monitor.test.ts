// The monitor (Ctrl-A c) typed on a real terminal while the Debian guest runs, and the --json run summary, on the
// real guest: what a user and a script see at the end of a run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Monitor, MONITOR_COMMANDS } from '../../src/vmm/monitor.js';
import type { Machine } from '../../src/vmm/machine.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'dist/src/cli/main.js');
const guest = resolve(root, '../shared/guest');
const skip = existsSync(join(guest, 'linux-6.12.107-riscv64.Image')) ? false : `missing ${guest}`;
const haveScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

test('monitor: Ctrl-A c on a terminal gives (rvkvm); info registers/cpus/extensions, stop/cont, back to the console, quit', { skip: skip || (haveScript ? false : 'no script(1) for a pty') }, async () => {
  // script(1) gives rvkvm a pseudo-terminal on stdin and stdout: the keys below are what a user types.
  const cmd = [process.execPath, cli, 'run', '--smp', '2', '--timeout', '300', '--append', 'console=ttyS0 panic=-1 quiet']
    .map((a) => `'${a}'`).join(' ');
  const p = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  p.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  /** waits until `re` matches the output after `from`; returns the match */
  const seen = (re: RegExp, ms: number, from = 0): Promise<RegExpExecArray> => new Promise((res, rej) => {
    const t = setTimeout(() => { clearInterval(poll); rej(new Error(`timed out waiting for ${re}:\n${out.slice(-3000)}`)); }, ms);
    const poll = setInterval(() => {
      const m = re.exec(out.slice(from));
      if (m) { clearTimeout(t); clearInterval(poll); res(m); }
    }, 50);
  });
  /** types a monitor command and returns what it printed up to the next prompt */
  const monitor = async (line: string): Promise<string> => {
    const from = out.length;
    p.stdin!.write(`${line}\r`);
    const m = await seen(/\r\n([\s\S]*?)\(rvkvm\) $/, 30_000, from);
    return m[1]!;
  };
  const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
  try {
    await seen(/rvkvm-init: userspace is up/, 280_000);
    // a busy guest, so a stopped one is visibly stopped
    p.stdin!.write('while :; do :; done &\r');
    await new Promise((r) => setTimeout(r, 1000));
    const before = out.length;
    p.stdin!.write('\x01c');
    await seen(/rvkvm monitor - type 'help'[^\n]*\r\n\(rvkvm\) $/, 20_000, before);

    const help = await monitor('help');
    for (const c of ['info TOPIC', 'stop', 'cont|c', 'quit|q']) assert.ok(help.includes(c), `help lists ${c}:\n${help}`);
    const regs = await monitor('info registers');
    for (const cpu of [0, 1]) assert.match(regs, new RegExp(`^CPU#${cpu} pc 0x[0-9a-f]{16} priv (S|U) V=0 \\(`, 'm'), regs);
    for (const r of ['ra', 'sp', 'a0', 't6', 'sstatus', 'sepc', 'satp', 'stvec']) assert.match(regs, new RegExp(`\\b${r} 0x[0-9a-f]{16}`), `${r} in:\n${regs}`);
    assert.match(regs, /satp 0x[89a]/, 'the guest kernel runs with paging on (satp mode set)');

    assert.match(await monitor('info extensions'), /the execution profile is off/);
    assert.match(await monitor('profile on'), /counting/);
    await new Promise((r) => setTimeout(r, 1500));
    const ext = await monitor('info extensions');
    assert.match(ext, /^instructions retired: [1-9]\d*/m, ext);
    assert.match(ext, /^ {2}i +\d+/m, ext);
    assert.match(ext, /^ {2}U +[1-9]\d*/m, 'the busy loop runs in U-mode');

    const count = (s: string, cpu: number): number => Number(new RegExp(`\\* CPU #${cpu}: pc=0x[0-9a-f]+ priv=\\w+ [\\w ()]+ instructions=(\\d+)`).exec(s)?.[1] ?? NaN);
    const total = (s: string): number => count(s, 0) + count(s, 1);
    assert.equal(await monitor('stop'), '');
    const s1 = await monitor('info cpus');
    assert.match(s1, /^\* CPU #0: .* stopped instructions=\d+/m, s1);
    assert.match(s1, /^\* CPU #1: /m, s1);
    await new Promise((r) => setTimeout(r, 1500));
    const s2 = await monitor('info cpus');
    assert.equal(total(s2), total(s1), `a stopped guest retires nothing:\n${s1}\n${s2}`);
    await monitor('cont');
    await new Promise((r) => setTimeout(r, 1500));
    const s3 = await monitor('info cpus');
    assert.ok(total(s3) > total(s2), `cont resumes the guest:\n${s2}\n${s3}`);
    assert.match(await monitor('info nonsense'), /info: unknown topic 'nonsense'; one of:/);
    assert.match(await monitor('frobnicate'), /unknown command: 'frobnicate'/);

    // Ctrl-A c again: the keyboard is the guest's
    p.stdin!.write('\x01c');
    const back = out.length;
    p.stdin!.write('echo BACK-$((40+2))\r');
    await seen(/BACK-42/, 30_000, back);

    p.stdin!.write('\x01c');
    // (busybox's line editor may query the cursor after its prompt, so the monitor's prompt is not last here)
    await seen(/rvkvm monitor - type 'help'[^\n]*\r\n\(rvkvm\) /, 20_000, back);
    p.stdin!.write('q\r');
    assert.equal(await exited, 0, out.slice(-2000));
    assert.match(out, /terminated \(monitor quit\)/);
  } finally {
    p.kill('SIGKILL');
  }
});

test('monitor command table: another feature adds a row (savevm-like), names are unique, errors are shown', async () => {
  const machine = { vcpus: [] } as unknown as Machine;
  let quit = 0;
  const mon = new Monitor(machine, () => { quit++; });
  mon.add({ name: 'savevm', args: 'FILE', help: 'save the machine', run: async (_m, args) => `saved to ${args[0]}` });
  assert.equal(await mon.execute('savevm /tmp/x.snap'), 'saved to /tmp/x.snap');
  assert.match(await mon.execute('help'), /^savevm FILE +save the machine$/m);
  assert.throws(() => mon.add({ name: 'q', help: '', run: () => '' }), /monitor command 'q' is defined twice/);
  mon.add({ name: 'boom', help: '', run: () => { throw new Error('disk full'); } });
  assert.equal(await mon.execute('boom'), 'boom: disk full');
  assert.equal(await mon.execute('   '), '');
  assert.equal(mon.hold(), null);
  await mon.execute('stop');
  const held = mon.hold();
  assert.ok(held instanceof Promise && mon.stopped);
  await mon.execute('c');
  await held; // cont releases the run loop
  assert.equal(mon.hold(), null);
  await mon.execute('quit');
  assert.equal(quit, 1);
  assert.ok(MONITOR_COMMANDS.every((c) => c.help.length > 0));
});

function rvkvm(args: string[], timeoutSec = 300): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { input: '', encoding: 'utf8', timeout: (timeoutSec + 30) * 1000, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Summary {
  version: number; exitReason: string; exitStatus: number; message?: string; instructions: number; wallSeconds: number;
  vcpus: number; isa: string; profile: { perExtension: Record<string, number>; total: number; perMode: Record<string, number> };
  devices: { name: string; base: string; irq?: number; detail: string; counters: Record<string, number> }[];
}

test('--json: the last stdout line is the run summary (exit reason, instructions, profile, devices with counts)', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-json-'));
  try {
    const img = join(dir, 'd.img');
    writeFileSync(img, Buffer.alloc(4 << 20, 0x5a));
    const r = rvkvm(['run', '--clock', 'icount', '--timeout', '300', '--append', 'console=ttyS0 panic=-1 quiet', '--disk', `${img},format=raw`,
      '--json', '--init-commands', 'dd if=/dev/vda of=/dev/null bs=64k count=16 2>/dev/null; echo READ-DONE']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /READ-DONE/);
    const last = r.stdout.trimEnd().split('\n').at(-1)!;
    const s = JSON.parse(last) as Summary;
    assert.equal(s.version, 1);
    assert.equal(s.exitReason, 'poweroff');
    assert.equal(s.exitStatus, 0);
    assert.ok(s.instructions > 1e8, `instructions ${s.instructions}`);
    assert.ok(s.wallSeconds > 0);
    assert.equal(s.vcpus, 1);
    assert.match(s.isa, /^rv64/);
    assert.equal(s.profile.total, s.instructions, 'the profile counted every instruction from power-on');
    assert.ok(s.profile.perExtension.i! > 0 && s.profile.perExtension.c! > 0, JSON.stringify(s.profile.perExtension));
    assert.ok(s.profile.perMode.U! > 0 && s.profile.perMode.S! > 0);
    const blk = s.devices.find((d) => d.name === 'virtio-blk');
    assert.ok(blk, JSON.stringify(s.devices));
    assert.equal(blk.base, '0x10001000');
    assert.ok(blk.counters.bytesToDriver! >= 1 << 20, `the guest read 1 MiB: ${JSON.stringify(blk.counters)}`);
    assert.ok(blk.counters.notifications! > 0 && blk.counters.interrupts! > 0 && blk.counters.buffers! > 0);
    const uart = s.devices.find((d) => d.name === 'uart16550')!;
    assert.ok(uart.counters.bytesOut! > 0 && /ttyS0/.test(uart.detail));
    assert.ok(s.devices.some((d) => d.name === 'virtio-rng') && s.devices.some((d) => d.name === 'goldfish-rtc'));
    assert.doesNotMatch(r.stderr, /per extension:/, '--json alone does not print the --profile table');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('--json FILE and --json=FILE: the summary in a file; a timeout is exitReason timeout with exit status 1', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-json-'));
  try {
    const file = join(dir, 'summary.json');
    const r = rvkvm(['run', '--timeout', '1', '--json', file], 60);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /timeout: the guest ran for 1\.0 s/);
    const s = JSON.parse(readFileSync(file, 'utf8')) as Summary;
    assert.equal(s.exitReason, 'timeout');
    assert.equal(s.exitStatus, 1);
    assert.match(s.message!, /^timeout: /);
    assert.doesNotMatch(r.stdout, /"exitReason"/, 'nothing on stdout');
    const file2 = join(dir, 's2.json');
    const r2 = rvkvm(['run', '--timeout', '1', `--json=${file2}`, '--console', 'virtio'], 60);
    assert.equal(r2.code, 1);
    const s2 = JSON.parse(readFileSync(file2, 'utf8')) as Summary;
    assert.equal(s2.exitReason, 'timeout');
    assert.match(s2.devices.find((d) => d.name === 'virtio-console')!.detail, /the console \(hvc0\)/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
