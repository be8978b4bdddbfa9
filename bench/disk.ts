// `node dist/bench/disk.js`: disk throughput measured inside the Debian guest with busybox dd on /dev/vda, on
// rvkvm and on qemu-system-riscv64 with the same kind of image (a fresh qcow2 each, or raw), side by side.
// Sequential: one dd of 4 KiB blocks with O_DIRECT (no guest page cache). Random: one dd per 4 KiB block at
// scattered offsets inside the region the sequential write allocated, so each random figure includes starting
// a busybox process in the guest, which on a software hart costs more than the I/O; the per-operation time is
// printed beside it. The guest's clock is /proc/uptime (10 ms steps) under a wall clock on both VMs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildInitramfs } from '../src/vmm/initramfs.js';
import { guestFiles, KERNEL_APPEND, timeUntilMarker } from './boot.js';
import { finishSideBench, runAsScript } from './side.js';
import { projectRoot } from './workloads.js';

/** the disk bench's reference: the system QEMU (Debian's qemu-system-misc), as the boot bench's first reference */
const QEMU_BINARY = 'qemu-system-riscv64';
const qemuAvailable = (): boolean => spawnSync(QEMU_BINARY, ['--version'], { stdio: 'ignore' }).status === 0;

const USAGE = `usage: node dist/bench/disk.js [--quick] [--format qcow2|raw] [--vm rvkvm,qemu] [--results-dir DIR]
  --quick    8 MiB sequential, 64 random operations (default 32 MiB, 256)`;

export interface DiskEntry { vm: 'rvkvm' | 'qemu'; test: string; bytes: number; seconds: number; mbPerSecond: number; msPerOp: number | null }

const TESTS = ['seq-write', 'seq-read', 'rand-write', 'rand-read'] as const;

/** The measuring /init commands: one `DISKBENCH <test> <bytes> <ops> <t0> <t1>` line per test. */
export function diskBenchCommands(seqBlocks: number, randOps: number): string[] {
  const up = 'read u x < /proc/uptime';
  const rand = (dd: string): string =>
    `i=0; while [ $i -lt ${randOps} ]; do ${dd.replace('N', `$(( (i * 7919) % ${seqBlocks} ))`)} 2>/dev/null || echo DDFAIL; i=$((i + 1)); done`;
  const timed = (name: string, bytes: number, ops: number, body: string): string =>
    `${up}; t0=$u; ${body}; ${up}; echo "DISKBENCH ${name} ${bytes} ${ops} $t0 $u"`;
  return [
    'insmod /lib/modules/virtio_mmio.ko', 'insmod /lib/modules/virtio_blk.ko',
    timed('seq-write', seqBlocks * 4096, 1, `dd if=/dev/zero of=/dev/vda bs=4k count=${seqBlocks} oflag=direct 2>/dev/null || echo DDFAIL`),
    timed('seq-read', seqBlocks * 4096, 1, `dd if=/dev/vda of=/dev/null bs=4k count=${seqBlocks} iflag=direct 2>/dev/null || echo DDFAIL`),
    timed('rand-write', randOps * 4096, randOps, rand('dd if=/dev/zero of=/dev/vda bs=4k count=1 seek=N oflag=direct conv=notrunc')),
    timed('rand-read', randOps * 4096, randOps, rand('dd if=/dev/vda of=/dev/null bs=4k count=1 skip=N iflag=direct')),
    'echo DISKBENCH-END',
  ];
}

export function parseDiskBench(vm: DiskEntry['vm'], out: string): DiskEntry[] {
  if (/DDFAIL/.test(out)) throw new Error(`${vm}: a dd in the guest failed`);
  const entries: DiskEntry[] = [];
  for (const m of out.matchAll(/^DISKBENCH (\S+) (\d+) (\d+) ([\d.]+) ([\d.]+)\s*$/gm)) {
    const seconds = Number(m[5]) - Number(m[4]);
    const bytes = Number(m[2]);
    const ops = Number(m[3]);
    entries.push({ vm, test: m[1]!, bytes, seconds, mbPerSecond: seconds > 0 ? bytes / seconds / 1e6 : Infinity, msPerOp: ops > 1 ? (seconds * 1000) / ops : null });
  }
  const missing = TESTS.filter((t) => !entries.some((e) => e.test === t));
  if (missing.length) throw new Error(`${vm}: no result for ${missing.join(', ')}; console tail: ${out.trimEnd().split('\n').slice(-3).join(' | ')}`);
  return entries;
}

async function main(argv: readonly string[]): Promise<number> {
  let quick = false;
  let format: 'qcow2' | 'raw' = 'qcow2';
  let vms = ['rvkvm', 'qemu'];
  let resultsDir = join(projectRoot, 'bench/results');
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    if (a === '--help' || a === '-h') { console.log(USAGE); return 0; }
    if (a === '--quick') quick = true;
    else if (a === '--format' && (argv[k + 1] === 'qcow2' || argv[k + 1] === 'raw')) format = argv[++k] as 'qcow2' | 'raw';
    else if (a === '--vm' && argv[k + 1]) vms = argv[++k]!.split(',');
    else if (a === '--results-dir' && argv[k + 1]) resultsDir = resolve(argv[++k]!);
    else { process.stderr.write(`bench: unknown option '${a}'\n${USAGE}\n`); return 2; }
  }
  const seqBlocks = quick ? 2048 : 8192;
  const randOps = quick ? 64 : 256;
  const guestDir = process.env.RVKVM_GUEST_DIR ?? resolve(projectRoot, '../shared/guest');
  const files = guestFiles(guestDir);
  const modules = ['virtio_mmio.ko', 'virtio_blk.ko'].map((name) => ({ name, data: new Uint8Array(readFileSync(join(guestDir, 'modules', name))) }));
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-diskbench-'));
  const entries: DiskEntry[] = [];
  const errors: string[] = [];
  try {
    const initrd = join(dir, 'initrd.cpio');
    writeFileSync(initrd, buildInitramfs({ busybox: new Uint8Array(readFileSync(files.busybox)), modules, commands: diskBenchCommands(seqBlocks, randOps) }));
    const image = (): string => {
      const p = join(dir, `disk-${Math.random().toString(36).slice(2)}.${format}`);
      const r = spawnSync('qemu-img', ['create', '-q', '-f', format, p, '256M'], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`qemu-img create failed: ${r.stderr || r.error?.message}`);
      return p;
    };
    for (const vm of vms) {
      if (vm === 'qemu' && !qemuAvailable()) { errors.push(`${QEMU_BINARY} not found`); continue; }
      const img = image();
      process.stderr.write(`bench: disk: ${vm} (${format})\n`);
      const run = vm === 'rvkvm'
        ? await timeUntilMarker(process.execPath, [join(projectRoot, 'dist/src/cli/main.js'), 'run', '--kernel', files.kernel, '--initrd', initrd,
          '--append', KERNEL_APPEND, '--mem', '512M', '--timeout', '1800', '--disk', `${img},format=${format}`], 'DISKBENCH-END', 1900)
        : await timeUntilMarker(QEMU_BINARY, ['-M', 'virt', '-cpu', 'rv64', '-smp', '1', '-m', '512M', '-nographic', '-bios', 'default',
          '-kernel', files.kernel, '-initrd', initrd, '-append', KERNEL_APPEND, '-no-reboot',
          '-drive', `file=${img},format=${format},if=none,id=d0`, '-device', 'virtio-blk-device,drive=d0'], 'DISKBENCH-END', 1900);
      try {
        entries.push(...parseDiskBench(vm as DiskEntry['vm'], run.stdout));
      } catch (e) {
        errors.push((e as Error).message);
      }
      if (format === 'qcow2') {
        const check = spawnSync('qemu-img', ['check', img], { encoding: 'utf8' });
        if (check.status !== 0) errors.push(`${vm}: qemu-img check after the run: exit ${check.status}: ${check.stdout.trim().split('\n').slice(-2).join(' ')}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const rows = TESTS.map((t) => {
    const rv = entries.find((e) => e.vm === 'rvkvm' && e.test === t);
    const q = entries.find((e) => e.vm === 'qemu' && e.test === t);
    return [t, rv?.mbPerSecond ?? null, rv?.msPerOp ?? null, q?.mbPerSecond ?? null, q?.msPerOp ?? null,
      rv && q ? rv.mbPerSecond / q.mbPerSecond : null];
  });
  return finishSideBench({
    kind: 'disk', title: `rvkvm disk bench, ${format} image, ${seqBlocks * 4} KiB sequential, ${randOps} random 4 KiB operations`,
    headers: ['test', 'rvkvm MB/s', 'rvkvm ms/op', 'QEMU MB/s', 'QEMU ms/op', 'rvkvm / QEMU'], rows, errors, resultsDir, fields: { format, seqBlocks, randOps, entries },
  });
}

runAsScript(import.meta.url, main);
