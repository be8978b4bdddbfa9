// Disk image locking between real `rvkvm run` processes (issue 13: two VMs on one image corrupted its ext4).
// Each VM is held before its first instruction by --gdb-wait, so it has opened and locked its disks but costs
// no CPU; "allowed" means the second process got as far as listening for GDB, "refused" that it stopped with
// the one-line lock error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'dist/src/cli/main.js');
const kernel = resolve(root, '../shared/guest/linux-6.12.107-riscv64.Image');
const skip = existsSync(kernel) ? false : `missing ${kernel}`;

function vmArgs(disk: string): string[] {
  return ['run', '--kernel', kernel, '--no-rng', '--disk', disk, '--gdb', '127.0.0.1:0', '--gdb-wait'];
}

/** Starts a VM that holds `disk`; resolves once it listens for GDB (its disks are open and locked by then). */
async function holder(disk: string): Promise<ChildProcess> {
  const p = spawn(process.execPath, [cli, ...vmArgs(disk)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  await new Promise<void>((res, rej) => {
    p.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('gdb: listening')) res();
    });
    p.on('exit', (code) => rej(new Error(`rvkvm exited ${code} before it listened:\n${err}`)));
  });
  return p;
}

async function stop(p: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill(signal);
  await exited;
}

/** A second VM that must be refused: exit 1 with the one-line lock error, quickly. */
function refused(disk: string, path: string): void {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [cli, ...vmArgs(disk)], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line expected:\n${r.stderr}`);
  assert.ok(r.stderr.startsWith(`rvkvm: ${path} is locked: in use by another process`), r.stderr);
  assert.ok(Date.now() - t0 < 30_000, 'the lock is not waited for');
}

function withImage(fn: (img: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rvkvm-lock-'));
    const img = join(dir, 'disk.img');
    writeFileSync(img, new Uint8Array(1 << 20));
    try { await fn(img); } finally { rmSync(dir, { recursive: true, force: true }); }
  };
}

test('read-write + read-write: the second is refused', { skip }, withImage(async (img) => {
  const a = await holder(img);
  try { refused(img, img); } finally { await stop(a); }
}));

test('read-only + read-only: both run (shared lock)', { skip }, withImage(async (img) => {
  const a = await holder(`${img},ro`);
  try {
    const b = await holder(`${img},ro`);
    await stop(b);
  } finally { await stop(a); }
}));

test('read-write + read-only and read-only + read-write: refused both ways', { skip }, withImage(async (img) => {
  const a = await holder(img);
  try { refused(`${img},ro`, img); } finally { await stop(a); }
  const b = await holder(`${img},ro`);
  try { refused(img, img); } finally { await stop(b); }
}));

test('lock=off opts out: a second writer runs beside the lock holder', { skip }, withImage(async (img) => {
  const a = await holder(img);
  try {
    const b = await holder(`${img},lock=off`);
    await stop(b);
  } finally { await stop(a); }
}));

test('the lock dies with its holder: after SIGKILL a new writer gets it', { skip }, withImage(async (img) => {
  const a = await holder(img);
  refused(img, img);
  await stop(a, 'SIGKILL');
  assert.equal(a.signalCode, 'SIGKILL');
  const b = await holder(img);
  await stop(b);
}));
