// `node dist/bench/userland.js` (`npm run bench:userland`): Debian userland workloads timed inside the guest, on
// rvkvm and on QEMU (10, and 7.2 when installed) with the same kernel (../shared/guest), initramfs and disk.
// The disk is a Debian 13 riscv64 root file system built from Debian's archive: bench/userland/make-rootfs.sh
// runs `debootstrap --foreign` (build/userland/stage1.img), then this boots it once on QEMU 10 to run the second
// stage (debootstrap --second-stage in a chroot) and keeps the result as build/userland/rootfs.img. The
// measuring /init mounts it read-only (a tmpfs on its /tmp), chroots into it and runs bench/userland/workloads.sh,
// which prints one `UL <name> <t0> <t1> <output digest>` line per workload, t0/t1 from the guest's /proc/uptime;
// every VM must print the same digests. Prints seconds per workload, ratios rvkvm / QEMU and their geometric mean;
// writes bench/results/userland-<timestamp>.json.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { buildInitramfs, BUSYBOX_APPLETS, DEVICE_MODULES } from '../src/vmm/initramfs.js';
import { guestFiles, timeUntilMarker, type GuestFiles } from './boot.js';
import { findQemuRefs, type QemuRef } from './refs.js';
import { formatNumber, formatTable, geomean, gitCommit, machineInfo, resultFileName, spread, type Spread } from './report.js';
import { projectRoot } from './workloads.js';

const OUT = join(projectRoot, 'build/userland');
const ROOTFS = join(OUT, 'rootfs.img');
const APPEND = 'console=ttyS0 panic=-1 quiet';

const USAGE = `usage: node dist/bench/userland.js [--runs N] [--vm rvkvm,qemu-10,qemu-7.2] [--timeout S] [--results-dir DIR]
  builds build/userland/rootfs.img once (bench/userland/make-rootfs.sh, root and debootstrap needed, then the
  second stage on QEMU 10), then boots it on each VM and times the workloads of bench/userland/workloads.sh
  --runs N   boots per VM (default 1; min/median/max per workload)
  --timeout S  bound for one boot (default 3600)`;

interface Options { runs: number; vms: string[] | null; timeout: number; resultsDir: string }

function parseArgs(argv: readonly string[]): Options | 'help' {
  const o: Options = { runs: 1, vms: null, timeout: 3600, resultsDir: join(projectRoot, 'bench/results') };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!, v = argv[k + 1];
    if (a === '--help' || a === '-h') return 'help';
    if (a === '--runs') { o.runs = Number(v); k++; if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error(`--runs '${v ?? ''}': expected a whole number >= 1`); }
    else if (a === '--vm') { o.vms = (v ?? '').split(',').filter(Boolean); k++; if (!o.vms.length) throw new Error('--vm needs a list'); }
    else if (a === '--timeout') { o.timeout = Number(v); k++; if (!(o.timeout > 0)) throw new Error(`--timeout '${v ?? ''}': expected seconds > 0`); }
    else if (a === '--results-dir') { if (!v) throw new Error('--results-dir needs a directory'); o.resultsDir = resolve(v); k++; }
    else throw new Error(`unknown option '${a}'\n${USAGE}`);
  }
  return o;
}

const progress = (msg: string): void => { process.stderr.write(`bench-userland: ${msg}\n`); };

/** an initramfs whose /init mounts the disk (modules first) and runs `body` (lines of busybox sh), then powers off */
function initramfs(files: GuestFiles, marker: string, body: readonly string[], extra: { path: string; data: Uint8Array }[] = []): string {
  const modDir = join(files.kernel, '../modules');
  const modules = DEVICE_MODULES.disk.map((m) => ({ name: `${m}.ko`, data: readFileSync(join(modDir, `${m}.ko`)) }));
  const init = [
    '#!/bin/busybox sh',
    'export PATH=/bin',
    'mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev',
    ...DEVICE_MODULES.disk.map((m) => `insmod /lib/modules/${m}.ko`),
    `echo ${marker}-up`,
    ...body,
    'sync',
    `echo ${marker}-end`,
    'poweroff -f',
    '',
  ].join('\n');
  const path = join(OUT, `initrd-${marker}.cpio`);
  writeFileSync(path, buildInitramfs({ busybox: readFileSync(files.busybox), modules, init, files: extra, applets: [...BUSYBOX_APPLETS, 'chroot'] }));
  return path;
}

function qemuArgs(kernel: string, initrd: string, disk: string, readOnly: boolean, memory: string): string[] {
  return ['-M', 'virt', '-cpu', 'rv64', '-smp', '1', '-m', memory, '-nographic', '-bios', 'default', '-kernel', kernel,
    '-initrd', initrd, '-append', APPEND, '-no-reboot',
    '-drive', `file=${disk},format=raw,if=none,id=d0${readOnly ? ',readonly=on' : ''}`, '-device', 'virtio-blk-device,drive=d0'];
}

/** build/userland/rootfs.img: first stage by the script, second stage in a QEMU 10 guest */
async function prepareRootfs(files: GuestFiles, q10: QemuRef | undefined): Promise<void> {
  if (existsSync(ROOTFS)) return;
  progress('bench/userland/make-rootfs.sh: debootstrap --foreign (downloads Debian riscv64 packages once)');
  const r = spawnSync('sh', [join(projectRoot, 'bench/userland/make-rootfs.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error('make-rootfs.sh failed (see above)');
  const stage1 = r.stdout.trim().split('\n').at(-1)!;
  if (!q10) throw new Error('the second stage needs QEMU 10 (bench/qemu10.sh)');
  const tmp = `${ROOTFS}.tmp`;
  // a sparse copy: the 3 GiB image holds about 300 MiB
  if (spawnSync('cp', ['--sparse=always', stage1, tmp]).status !== 0) throw new Error(`cp ${stage1} ${tmp} failed`);
  const marker = `rvkvm-stage2-${randomBytes(4).toString('hex')}`;
  const initrd = initramfs(files, marker, [
    'mount /dev/vda /mnt',
    'mount -t proc proc /mnt/proc; mount -t sysfs sys /mnt/sys; mount -t devtmpfs dev /mnt/dev',
    'chroot /mnt /debootstrap/debootstrap --second-stage',
    `echo ${marker}-rc=$?`,
    'chroot /mnt apt-get clean',
    'umount /mnt/dev /mnt/sys /mnt/proc; umount /mnt',
  ]);
  progress('second stage on QEMU 10 (debootstrap --second-stage in the guest; several minutes)');
  const run = await timeUntilMarker(q10.binary, qemuArgs(files.kernel, initrd, tmp, false, '1G'), `${marker}-end`, 7200);
  rmSync(initrd, { force: true });
  writeFileSync(join(OUT, 'stage2.log'), run.stdout);
  if (!run.stdout.includes(`${marker}-rc=0`)) throw new Error(`the second stage failed (build/userland/stage2.log: ${run.stdout.trim().split('\n').slice(-3).join(' | ')})`);
  renameSync(tmp, ROOTFS);
}

interface Workload { name: string; seconds: number; digest: string }

/** `UL name t0 t1 digest` lines after the marker */
export function parseWorkloadLines(text: string): Workload[] {
  const out: Workload[] = [];
  for (const line of text.replace(/\r/g, '').split('\n')) {
    const m = /^UL (\S+) (\d+\.\d+) (\d+\.\d+) ([0-9a-f]{16})$/.exec(line.trim());
    if (m) out.push({ name: m[1]!, seconds: Number(m[3]) - Number(m[2]), digest: m[4]! });
  }
  return out;
}

async function runVm(vm: string, files: GuestFiles, q: QemuRef | undefined, o: Options): Promise<Workload[]> {
  const marker = `rvkvm-ul-${randomBytes(4).toString('hex')}`;
  const script = readFileSync(join(projectRoot, 'bench/userland/workloads.sh'));
  const initrd = initramfs(files, marker, [
    'mount -o ro,noload /dev/vda /mnt',
    'mount -t proc proc /mnt/proc; mount -t sysfs sys /mnt/sys; mount -t devtmpfs dev /mnt/dev; mount -t tmpfs tmp /mnt/tmp',
    'cp /workloads.sh /mnt/tmp/workloads.sh',
    'chroot /mnt /bin/sh /tmp/workloads.sh',
    `echo ${marker}-rc=$?`,
  ], [{ path: 'workloads.sh', data: script }]);
  try {
    const cli = join(projectRoot, 'dist/src/cli/main.js');
    const [cmd, args] = vm === 'rvkvm'
      ? [process.execPath, [cli, 'run', '--kernel', files.kernel, '--initrd', initrd, '--append', APPEND, '--mem', '1G', '--smp', '1',
        '--disk', `${ROOTFS},ro`, '--timeout', String(o.timeout), '--stats']]
      : [q!.binary, qemuArgs(files.kernel, initrd, ROOTFS, true, '1G')];
    const r = await timeUntilMarker(cmd, args, `${marker}-end`, o.timeout + 30);
    if (!r.stdout.includes(`${marker}-rc=0`)) throw new Error(`${vm}: the workloads did not finish (exit ${r.exitCode ?? r.signal}): ${r.stdout.trim().split('\n').slice(-3).join(' | ')} ${r.stderr.trim().split('\n').at(-1) ?? ''}`);
    return parseWorkloadLines(r.stdout);
  } finally {
    rmSync(initrd, { force: true });
  }
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  if (o === 'help') { process.stdout.write(USAGE + '\n'); return 0; }
  const startedAt = new Date();
  const files = guestFiles(join(projectRoot, '../shared/guest'));
  mkdirSync(OUT, { recursive: true });
  for (const f of readdirSync(OUT)) if (f.startsWith('initrd-')) rmSync(join(OUT, f), { force: true });
  const notes: string[] = [];
  const refs = findQemuRefs(notes, progress);
  await prepareRootfs(files, refs.find((q) => q.id === 'qemu-10'));
  const vms = (o.vms ?? ['rvkvm', ...refs.map((q) => q.id)]).filter((vm) => vm === 'rvkvm' || refs.some((q) => q.id === vm));
  const results = new Map<string, Workload[][]>();
  for (let k = 0; k < o.runs; k++) {
    for (const vm of vms) {
      progress(`run ${k + 1}/${o.runs} on ${vm}`);
      const w = await runVm(vm, files, refs.find((q) => q.id === vm), o);
      results.set(vm, [...(results.get(vm) ?? []), w]);
    }
  }
  const names = results.get(vms[0]!)![0]!.map((w) => w.name);
  const digests = new Map<string, string>();
  let mismatch = false;
  for (const [vm, runs] of results) {
    for (const run of runs) for (const w of run) {
      const want = digests.get(w.name);
      if (want === undefined) digests.set(w.name, w.digest);
      else if (want !== w.digest) { mismatch = true; process.stderr.write(`bench-userland: ${w.name} on ${vm} printed another result (${w.digest}, first was ${want})\n`); }
    }
  }
  const seconds = (vm: string, name: string): Spread | null =>
    spread((results.get(vm) ?? []).flatMap((run) => run.filter((w) => w.name === name).map((w) => w.seconds)));
  const qemus = vms.filter((v) => v !== 'rvkvm');
  const rows = names.map((n) => {
    const mine = seconds('rvkvm', n);
    return [n, mine ? `${formatNumber(mine.median)} [${formatNumber(mine.min)}-${formatNumber(mine.max)}]` : '-',
      ...qemus.map((q) => { const s = seconds(q, n); return s ? formatNumber(s.median) : '-'; }),
      ...qemus.map((q) => { const s = seconds(q, n); return mine && s && s.median > 0 ? formatNumber(mine.median / s.median) : '-'; })];
  });
  const gm = qemus.map((q) => geomean(names.map((n) => { const a = seconds('rvkvm', n), b = seconds(q, n); return a && b && b.median > 0 ? a.median / b.median : null; })));
  rows.push(['geomean', '', ...qemus.map(() => ''), ...gm.map((g) => (g === null ? '-' : formatNumber(g)))]);
  process.stdout.write(formatTable(['workload', 'rvkvm s', ...qemus.map((q) => `${q} s`), ...qemus.map((q) => `rvkvm/${q}`)], rows) + '\n');
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
  mkdirSync(o.resultsDir, { recursive: true });
  const file = join(o.resultsDir, `userland-${resultFileName(startedAt)}`);
  writeFileSync(file, JSON.stringify({
    schema: 'rvkvm-bench-userland/1', startedAt: startedAt.toISOString(), machine: machineInfo(), commit: gitCommit(projectRoot),
    vms, runs: Object.fromEntries(results), geomean: Object.fromEntries(qemus.map((q, k) => [q, gm[k]])), notes,
  }, null, 2) + '\n');
  progress(`results: ${file}`);
  return mismatch ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (e: unknown) => {
  process.stderr.write(`bench-userland: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
