// Whole-VM snapshots on the real Debian guest. Under --clock icount a run is reproducible to the instruction, so
// a VM saved at random points of its boot and resumed must end exactly as the run that was never interrupted:
// the same console output from the save point on and the same instruction count (twice from one file, too).
// Through the CLI: a VM stopped with --save-on-exit resumes with --restore, a command typed after the restore
// runs, a snapshot=on disk's overlay comes back with it, and damaged, truncated or stale files are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Machine, type MachineState } from '../../src/vmm/machine.js';
import { captureSnapshot, readSnapshot, restoreSnapshot } from '../../src/vmm/snapshot/machine.js';
import { bundledInitramfs, GUEST_FILES } from '../../src/cli/cmd-run.js';
import { NODE_SNAPSHOT_CODEC } from '../../src/cli/snapshot-file.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'dist/src/cli/main.js');
const guest = resolve(root, '../shared/guest');
const skip = existsSync(join(guest, GUEST_FILES.kernel)) ? false : `missing ${guest}`;

/** A small LCG, so a failing set of save points can be run again (RVKVM_SNAPSHOT_SEED). */
function points(seed: number, n: number, max: number): number[] {
  let s = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; out.push(Math.floor((s / 2 ** 32) * max)); }
  return out.sort((a, b) => a - b);
}

test('a VM saved at random points of an icount boot resumes to exactly the uninterrupted run\'s end', { skip, timeout: 900_000 }, async () => {
  const seed = Number(process.env.RVKVM_SNAPSHOT_SEED ?? Date.now() % 1_000_000);
  const kernel = readFileSync(join(guest, GUEST_FILES.kernel));
  const initrd = bundledInitramfs(['echo snapshot-test-$((6*7)); uname -r; cat /proc/uptime']);
  const make = (out: Buffer[]): Machine => new Machine({ kernel, initrd, clock: 'icount', console: (b) => { out.push(Buffer.from(b)); } });
  // the boot to power-off takes about 1.0e9 instructions; the points lie in its first 0.9e9
  const targets = points(seed, 3, 900_000_000);
  const saves: { at: number; outLen: number; file: Uint8Array }[] = [];
  const refOut: Buffer[] = [];
  const ref = make(refOut);
  const refState = await ref.runUntilDone({
    timeoutMs: 600_000,
    betweenSteps: () => {
      const t = targets[saves.length];
      if (t !== undefined && ref.instructions >= t) {
        saves.push({ at: ref.instructions, outLen: Buffer.concat(refOut).length, file: captureSnapshot(ref, { codec: NODE_SNAPSHOT_CODEC }) });
      }
    },
  });
  const refText = Buffer.concat(refOut);
  assert.equal(refState.kind, 'shutdown', `seed ${seed}: ${JSON.stringify(refState)}`);
  assert.match(refText.toString(), /snapshot-test-42/);
  assert.equal(saves.length, targets.length, `seed ${seed}: the boot ended after ${ref.instructions} instructions, before every save point`);

  const resume = async (file: Uint8Array): Promise<{ state: MachineState; out: Buffer; instructions: number; at: number }> => {
    const out: Buffer[] = [];
    const m = make(out);
    restoreSnapshot(m, readSnapshot(file, 'snapshot', NODE_SNAPSHOT_CODEC));
    const at = m.instructions;
    const state = await m.runUntilDone({ timeoutMs: 600_000 });
    return { state, out: Buffer.concat(out), instructions: m.instructions, at };
  };
  for (const [k, s] of saves.entries()) {
    const copy = s.file.slice();
    const runs = k === 0 ? 2 : 1; // the first file is resumed twice: restoring reads a file, never changes it
    for (let r = 0; r < runs; r++) {
      const got = await resume(s.file);
      const where = `seed ${seed}, save ${k} at ${s.at} instructions${r ? ', second restore' : ''}`;
      assert.equal(got.at, s.at, where);
      assert.equal(got.state.kind, 'shutdown', where);
      assert.equal(got.instructions, ref.instructions, `${where}: instruction count at the end`);
      assert.ok(got.out.equals(refText.subarray(s.outLen)), `${where}: console output from the save point on differs\n--- resumed:\n${got.out.toString().slice(0, 2000)}`);
    }
    assert.ok(Buffer.from(copy).equals(Buffer.from(s.file)));
  }
});

function rvkvm(args: string[], input = '', timeoutSec = 300): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { input, encoding: 'utf8', timeout: timeoutSec * 1000, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('rvkvm run --save-on-exit, then --restore: a typed command runs, the snapshot=on overlay is back, bad files are refused', { skip, timeout: 900_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-snap-'));
  try {
    const rw = join(dir, 'rw.img'), over = join(dir, 'over.img'), snap = join(dir, 'vm.snapshot');
    writeFileSync(rw, new Uint8Array(1 << 20));
    writeFileSync(over, new Uint8Array(1 << 20));
    // The first run: write to the snapshot=on disk, then be stopped by SIGTERM (with --save-on-exit it saves).
    const p = spawn(process.execPath, [cli, 'run', '--disk', `${rw},format=raw`, '--disk', `${over},format=raw,snapshot=on`,
      '--save-on-exit', snap, '--timeout', '600'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    const wrote = new Promise<void>((res) => p.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (/^WROTE-\d+/m.test(out)) res(); }));
    p.stdin!.write('echo overlay-data-$((6*7)) | dd of=/dev/vdb bs=512 conv=sync,fsync 2>/dev/null; echo WROTE-$((6*7))\n');
    await wrote;
    p.kill('SIGTERM');
    const code = await new Promise<number | null>((res) => p.on('exit', (c) => res(c)));
    assert.equal(code, 143, err);
    assert.match(err, /rvkvm: saved the VM to .*vm\.snapshot \([\d.]+ MB in [\d.]+ s\); resume it with: rvkvm run --restore/);
    assert.ok(readFileSync(over).every((b) => b === 0), 'snapshot=on left the disk file untouched');

    for (let round = 0; round < 2; round++) {
      const r = rvkvm(['run', '--restore', snap, '--timeout', '300'], 'dd if=/dev/vdb bs=512 count=1 2>/dev/null | head -c 15; echo; echo typed-after-$((6*7)); poweroff -f\n');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /rvkvm: resumed the VM saved in .*vm\.snapshot \(\d+ instructions in\)/);
      assert.match(r.stdout, /^overlay-data-42$/m, 'the overlay the guest wrote came back');
      assert.match(r.stdout, /^typed-after-42$/m);
    }

    const file = readFileSync(snap);
    const refused = (bytes: Uint8Array | null, args: string[], why: RegExp): void => {
      const path = join(dir, 'bad.snapshot');
      if (bytes) writeFileSync(path, bytes);
      const r = rvkvm(['run', '--restore', bytes ? path : snap, ...args]);
      assert.equal(r.code, 1, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, why);
    };
    const flipped = file.slice(); flipped[flipped.length >> 1]! ^= 0x40;
    refused(flipped, [], /^rvkvm: --restore .*bad\.snapshot: checksum mismatch .*: the file is damaged$/);
    refused(file.subarray(0, file.length - 100), [], /^rvkvm: --restore .*bad\.snapshot: truncated: \d+ of its \d+ bytes are there$/);
    const v2 = file.slice(); new DataView(v2.buffer).setUint32(8, 2, true);
    refused(v2, [], /^rvkvm: --restore .*: snapshot format version 2; this rvkvm \(\S+\) reads version 1 only$/);
    refused(null, ['--mem', '1G'], /^rvkvm: --restore takes the machine's options from the snapshot; only --save-on-exit, --timeout and --stats may be added \(not --mem\)$/);
    utimesSync(rw, new Date(), new Date(Date.now() + 5000));
    refused(null, [], /^rvkvm: --restore .*: disk '.*rw\.img' was modified after the VM was saved/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
