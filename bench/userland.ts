// `node dist/bench/userland.js`: real Debian software on rvkvm and on QEMU, side by side. A Debian 13 riscv64 root
// file system, built from Debian's archive (bench/userland-rootfs.sh: debootstrap --foreign; the second stage
// once in a guest, here) and cached as build/userland/rootfs.img, is booted read-only with the bundled kernel
// (../shared/guest) on each VM with the same disk, memory and ISA. /init chroots into it and runs each workload
// (gcc, the compiled programs, python3 and CPython's own tests, perl, xz, sha256sum, openssl speed), timed inside
// the guest with date(1) and, as a cross-check of the guest's clock, by the host from the console lines.
// Every workload's output must be the same on every VM; the compiled C programs' also what bench/reference.ts
// computes. Ratios are rvkvm / QEMU per workload (openssl: from its rates), with their geometric mean.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildInitramfs } from '../src/vmm/initramfs.js';
import { guestFiles, runWatched } from './boot.js';
import { findQemuRefs, type QemuRef } from './refs.js';
import { fpNbodyMatmulResults, intHashSortChecksum } from './reference.js';
import { spread, type Spread } from './report.js';
import { finishSideBench, runAsScript } from './side.js';
import { checkOutput, projectRoot } from './workloads.js';

/** What build/userland/rootfs.img was built from; a stamp that differs makes the bench build it again. */
export const ROOTFS = {
  suite: 'trixie',
  packages: ['gcc', 'libc6-dev', 'python3', 'libpython3.13-testsuite', 'perl', 'xz-utils', 'openssl'],
  script: 'bench/userland-rootfs.sh',
  version: 1,
} as const;

const MODULES = ['virtio_mmio', 'virtio_blk', 'crc32c_generic', 'crc16', 'mbcache', 'jbd2', 'ext4'];
const MEM = '1G';
const KERNEL_APPEND = 'console=ttyS0 panic=-1 quiet';

export interface UserWorkload {
  name: string;
  what: string;
  /** shell command run in the chroot, in /tmp/ul (the files of FILES and the inputs SETUP makes) */
  command: string;
  /** 'seconds': the guest's seconds for the command; 'rate': openssl speed's bytes per second (higher is faster) */
  measure: 'seconds' | 'rate';
  /** the part of the output that must be the same on every VM (default: all of it) */
  keep?(output: string): string;
  /** a check of the output against an independent reference; throws on a wrong result */
  check?(output: string): void;
}

const opensslSpeed = (name: string, what: string, alg: string): UserWorkload => ({
  name, what, measure: 'rate', command: `openssl speed -seconds 3 -bytes 16384 ${alg}`,
  keep: (out) => String(parseOpensslRate(out) !== null),
});

export const USER_WORKLOADS: readonly UserWorkload[] = [
  {
    name: 'gcc', what: 'gcc 14 -O2: the int and fp bench programs (test/guest/bench) compiled and linked', measure: 'seconds',
    command: 'gcc -O2 -I native -o int-hashsort int-hashsort.c && gcc -O2 -I native -o fp-nbody-matmul fp-nbody-matmul.c -lm',
  },
  {
    name: 'cc-run', what: 'the two programs gcc built, 3 runs each, checked against bench/reference.ts', measure: 'seconds',
    command: 'for i in 1 2 3; do ./int-hashsort && ./fp-nbody-matmul || exit 1; done',
    check: (out) => {
      checkOutput('cc-run (int-hashsort)', out, new Map([['checksum', intHashSortChecksum()]]));
      checkOutput('cc-run (fp-nbody-matmul)', out, fpNbodyMatmulResults());
    },
  },
  { name: 'python', what: 'python3.13: loops, dicts, strings, big integers, json/re/hashlib/zlib (bench/userland/py-loops.py)', measure: 'seconds', command: 'python3 py-loops.py' },
  {
    name: 'cpython-tests', what: "CPython's own test_math, test_float, test_struct (python3 -m test)", measure: 'seconds',
    command: 'python3 -m test test_math test_float test_struct',
    keep: (out) => /Tests? result: *\S+/.exec(out)?.[0] ?? 'no result line',
    check: (out) => { if (!/Tests? result: *SUCCESS/.test(out)) throw new Error(`cpython-tests did not pass: ${out.trim().split('\n').slice(-4).join(' | ')}`); },
  },
  { name: 'perl', what: 'perl 5.40: regular expressions, hashes, sort, sprintf (bench/userland/perl-text.pl)', measure: 'seconds', command: 'perl perl-text.pl' },
  { name: 'xz', what: 'xz -9 of 3 MB of cc1, then its sha256', measure: 'seconds', command: 'xz -9 -T1 -c xz.in | sha256sum' },
  { name: 'sha256sum', what: 'coreutils sha256sum of 32 MiB', measure: 'seconds', command: 'sha256sum big' },
  opensslSpeed('openssl-sha256', 'openssl speed sha256, 16 KiB blocks, 3 s', 'sha256'),
  opensslSpeed('openssl-aes-cbc', 'openssl speed -evp aes-128-cbc, 16 KiB blocks, 3 s', '-evp aes-128-cbc'),
  opensslSpeed('openssl-aes-gcm', 'openssl speed -evp aes-128-gcm, 16 KiB blocks, 3 s', '-evp aes-128-gcm'),
];

/** Files /init copies into /tmp/ul: guest path -> project path. */
const FILES: Record<string, string> = {
  'int-hashsort.c': 'test/guest/bench/int-hashsort.c',
  'fp-nbody-matmul.c': 'test/guest/bench/fp-nbody-matmul.c',
  'native/htif.h': 'bench/native/htif.h',
  'py-loops.py': 'bench/userland/py-loops.py',
  'perl-text.pl': 'bench/userland/perl-text.pl',
};

/** openssl speed's rate in bytes per second: the last line "<alg> <n>k" ("numbers are in 1000s of bytes"). */
export function parseOpensslRate(out: string): number | null {
  let rate: number | null = null;
  for (const m of out.matchAll(/^\S+\s+([\d.]+)k\s*$/gm)) rate = Number(m[1]) * 1000;
  return rate;
}

/**
 * The chroot's script: untimed inputs first, then per workload `UL-BEGIN name`, its output as `UL-OUT name ...`
 * lines and `UL-END name <status> <t0> <t1>` (guest seconds since the epoch), then `UL-DONE`.
 */
export function guestScript(workloads: readonly UserWorkload[], o: { dir?: string; inputs?: boolean } = {}): string {
  const lines = [
    '#!/bin/sh',
    `cd ${o.dir ?? '/tmp/ul'} || exit 1`,
    ...(o.inputs === false ? [] : [
      'cc1=$(gcc -print-prog-name=cc1)',
      'head -c 3000000 "$cc1" > xz.in',
      'cat "$cc1" "$cc1" "$cc1" "$cc1" | head -c 33554432 > big',
    ]),
    'echo "UL-ISA $(grep -m1 "^isa" /proc/cpuinfo)"',
  ];
  for (const w of workloads) {
    lines.push(
      `echo "UL-BEGIN ${w.name}"`,
      't0=$(date +%s.%N)',
      `( ${w.command} ) > out.txt 2>&1; rc=$?`,
      't1=$(date +%s.%N)',
      `head -n 400 out.txt | sed 's/^/UL-OUT ${w.name} /'`,
      `echo "UL-END ${w.name} $rc $t0 $t1"`,
    );
  }
  lines.push('echo UL-DONE', '');
  return lines.join('\n');
}

/** /init: the modules, the root file system (read-only, or writable for the second stage), then `body`. */
function initScript(readOnly: boolean, body: string[]): string {
  return [
    '#!/bin/busybox sh',
    'export PATH=/bin:/sbin',
    'mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev',
    `for m in ${MODULES.join(' ')}; do insmod /lib/modules/$m.ko || echo "UL-FAIL insmod $m"; done`,
    `mount -t ext4${readOnly ? ' -o ro' : ''} /dev/vda /mnt || echo "UL-FAIL mount /dev/vda"`,
    ...body,
    'sync',
    'poweroff -f',
    '',
  ].join('\n');
}

function benchInit(): string {
  const copies = Object.keys(FILES).map((g) => `cp /root/${g.replace('/', '-')} /mnt/tmp/ul/${g}`);
  return initScript(true, [
    'mount -t tmpfs -o size=600m tmpfs /mnt/tmp',
    'mount -t proc proc /mnt/proc; mount -t sysfs sysfs /mnt/sys; mount -t devtmpfs devtmpfs /mnt/dev',
    'mkdir -p /mnt/tmp/ul/native',
    ...copies,
    'cp /root/run.sh /mnt/tmp/ul/run.sh',
    'chroot /mnt /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp LC_ALL=C.UTF-8 /bin/sh /tmp/ul/run.sh',
    'echo "UL-EXIT $?"',
  ]);
}

function stage2Init(): string {
  return initScript(false, [
    // debootstrap mounts and unmounts the chroot's /proc and /sys itself
    'mount -t devtmpfs devtmpfs /mnt/dev',
    'if chroot /mnt /debootstrap/debootstrap --second-stage; then echo UL-STAGE2-OK; else echo "UL-FAIL stage2"; tail -n 20 /mnt/debootstrap/debootstrap.log; fi',
    'umount /mnt/dev; sync; umount /mnt',
  ]);
}

function initramfs(guestDir: string, init: string, files: { path: string; data: Uint8Array }[] = []): Uint8Array {
  const g = guestFiles(guestDir);
  return buildInitramfs({
    busybox: new Uint8Array(readFileSync(g.busybox)),
    modules: MODULES.map((m) => ({ name: `${m}.ko`, data: new Uint8Array(readFileSync(join(guestDir, 'modules', `${m}.ko`))) })),
    files: files.map((f) => ({ ...f, mode: 0o644 })),
    init,
  });
}

type VmId = 'rvkvm' | 'qemu-10' | 'qemu-7.2';

/** One VM's command line for the kernel, initramfs and disk; `cpu` is QEMU's -cpu (rvkvm takes the same). */
function vmCommand(vm: VmId, qemu: QemuRef | undefined, o: { kernel: string; initrd: string; disk: string; readOnly: boolean; cpu: string; smp?: number; timeout: number; nodeArgs?: readonly string[] }):
  { command: string; args: string[] } {
  if (vm === 'rvkvm') {
    return {
      command: process.execPath,
      args: [...o.nodeArgs ?? [], join(projectRoot, 'dist/src/cli/main.js'), 'run', '--kernel', o.kernel, '--initrd', o.initrd, '--append', KERNEL_APPEND,
        '--mem', MEM, '--smp', String(o.smp ?? 1), '-cpu', o.cpu, '--timeout', String(o.timeout), '--stats',
        '--disk', `${o.disk},format=raw${o.readOnly ? ',ro' : ''}`],
    };
  }
  return {
    command: qemu!.binary,
    args: ['-M', 'virt', '-cpu', o.cpu, '-smp', String(o.smp ?? 1), '-m', MEM, '-nographic', '-bios', 'default',
      '-kernel', o.kernel, '-initrd', o.initrd, '-append', KERNEL_APPEND, '-no-reboot',
      '-drive', `file=${o.disk},format=raw,if=none,id=d0${o.readOnly ? ',readonly=on' : ''}`, '-device', 'virtio-blk-device,drive=d0'],
  };
}

export interface ConsoleRun { lines: { at: number; text: string }[]; stderr: string; status: number | null; timedOut: boolean; peakRssBytes: number | null; seconds: number }

/** Runs a VM to its exit, each console line with the host time it arrived (seconds from spawn). */
async function runVm(command: string, args: readonly string[], timeoutSeconds: number, echo: (line: string) => void): Promise<ConsoleRun> {
  const lines: ConsoleRun['lines'] = [];
  let partial = '';
  const r = await runWatched(command, args, timeoutSeconds, 100, (chunk, at) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const p of parts) {
      const text = p.replace(/\r$/, '');
      lines.push({ at, text });
      if (/^UL-(BEGIN|END|FAIL|ISA|STAGE2|DONE)/.test(text)) echo(text);
    }
  });
  if (partial) lines.push({ at: r.seconds, text: partial });
  return { lines, stderr: r.stderr + (r.spawnError ? `${r.spawnError}\n` : ''), status: r.exitCode, timedOut: r.timedOut, peakRssBytes: r.peakRssBytes, seconds: r.seconds };
}

export interface WorkloadRun { name: string; status: number; guestSeconds: number; hostSeconds: number | null; output: string }

/** The workloads' results from a run's console; throws with what is missing or failed. */
export function parseRun(vm: string, lines: readonly { at: number; text: string }[], workloads: readonly UserWorkload[]): { runs: WorkloadRun[]; isa: string | null } {
  const begins = new Map<string, number>();
  const outputs = new Map<string, string[]>();
  const runs: WorkloadRun[] = [];
  let isa: string | null = null, done = false;
  for (const { at, text } of lines) {
    let m: RegExpExecArray | null;
    if ((m = /^UL-ISA (.*)$/.exec(text))) isa = m[1]!.replace(/^isa\s*:\s*/, '').trim();
    else if ((m = /^UL-BEGIN (\S+)$/.exec(text))) begins.set(m[1]!, at);
    else if ((m = /^UL-OUT (\S+) ?(.*)$/.exec(text))) { if (!outputs.has(m[1]!)) outputs.set(m[1]!, []); outputs.get(m[1]!)!.push(m[2]!); }
    else if ((m = /^UL-END (\S+) (\d+) ([\d.]+) ([\d.]+)$/.exec(text))) {
      const b = begins.get(m[1]!);
      runs.push({ name: m[1]!, status: Number(m[2]), guestSeconds: Number(m[4]) - Number(m[3]), hostSeconds: b === undefined ? null : at - b,
        output: (outputs.get(m[1]!) ?? []).join('\n') + '\n' });
    } else if (text === 'UL-DONE') done = true;
    else if ((m = /^UL-FAIL (.*)$/.exec(text))) throw new Error(`${vm}: the guest's /init failed: ${m[1]}`);
  }
  for (const w of workloads) {
    const r = runs.find((x) => x.name === w.name);
    if (!r) throw new Error(`${vm}: no result for ${w.name}; console tail: ${lines.slice(-3).map((l) => l.text).join(' | ')}`);
    if (r.status !== 0) throw new Error(`${vm}: ${w.name} exited ${r.status}: ${r.output.trim().split('\n').slice(-3).join(' | ')}`);
    if (w.measure === 'rate' && parseOpensslRate(r.output) === null) throw new Error(`${vm}: ${w.name}: no rate in openssl's output: ${r.output.trim().split('\n').slice(-2).join(' | ')}`);
    w.check?.(r.output);
  }
  if (!done) throw new Error(`${vm}: the guest did not finish (no UL-DONE)`);
  return { runs, isa };
}

/** The measure a ratio is made of: seconds, or for a rate seconds per byte (so that > 1 is always slower). */
export function cost(w: UserWorkload, r: WorkloadRun): number {
  return w.measure === 'rate' ? 1 / parseOpensslRate(r.output)! : r.guestSeconds;
}

export function geomean(values: readonly number[]): number | null {
  return values.length === 0 ? null : Math.exp(values.reduce((s, v) => s + Math.log(v), 0) / values.length);
}

/** Builds build/userland/rootfs.img if it is missing or from other inputs: stage 1 on the host, stage 2 in a guest. */
async function ensureRootfs(guestDir: string, qemu: QemuRef | undefined, progress: (m: string) => void): Promise<string> {
  const dir = join(projectRoot, 'build/userland');
  const image = join(dir, 'rootfs.img');
  const stamp = join(dir, 'rootfs.stamp');
  const want = JSON.stringify(ROOTFS);
  if (existsSync(image) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === want) return image;
  const stage1 = join(dir, 'stage1.img');
  if (!existsSync(stage1)) {
    progress('userland: stage 1 (bench/userland-rootfs.sh: debootstrap --foreign, mkfs.ext4 -d)');
    const r = spawnSync('sh', [join(projectRoot, ROOTFS.script), stage1], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) throw new Error(`${ROOTFS.script} failed (exit ${r.status ?? r.error?.message})`);
  }
  const tmp = mkdtempSync(join(tmpdir(), 'rvkvm-userland-'));
  try {
    const initrd = join(tmp, 'stage2.cpio');
    writeFileSync(initrd, initramfs(guestDir, stage2Init()));
    const work = `${image}.stage2`;
    spawnSync('cp', ['--sparse=always', stage1, work]);
    const vm: VmId = qemu ? qemu.id : 'rvkvm';
    progress(`userland: stage 2 (debootstrap --second-stage) in a guest on ${vm}: once, some minutes`);
    const { command, args } = vmCommand(vm, qemu, { kernel: guestFiles(guestDir).kernel, initrd, disk: work, readOnly: false, cpu: 'rv64', smp: 2, timeout: 7200 });
    const r = await runVm(command, args, 7300, progress);
    if (!r.lines.some((l) => l.text === 'UL-STAGE2-OK')) {
      throw new Error(`stage 2 failed on ${vm}: ${r.lines.slice(-5).map((l) => l.text).join(' | ')} ${r.stderr.trim().split('\n').at(-1) ?? ''}`);
    }
    renameSync(work, image);
    writeFileSync(stamp, want + '\n');
    return image;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const USAGE = `usage: node dist/bench/userland.js [--runs N] [--vm rvkvm,qemu-10,qemu-7.2] [--only a,b] [--cpu MODEL] [--cpu-prof DIR] [--results-dir DIR]
  --runs N     boots per VM (default 1); each workload's median is taken
  --vm         the VMs (default rvkvm,qemu-10, and qemu-7.2 with --cpu rv64)
  --only       these workloads only (${USER_WORKLOADS.map((w) => w.name).join(', ')})
  --cpu MODEL  the vCPU on every VM, QEMU's -cpu spelling, which rvkvm takes too (default rva23s64: the same
               ISA on rvkvm and QEMU 10, vector included; rv64 is each VM's own default set, not the same)
  --cpu-prof DIR  run rvkvm under node --cpu-prof, the profile written to DIR (open it in Chrome's DevTools)
Builds build/userland/rootfs.img on first use: needs root, Debian's archive, QEMU 10 (bench/qemu10.sh) or rvkvm.`;

interface Summary { name: string; measure: UserWorkload['measure']; perVm: Record<string, { cost: Spread; guestSeconds: Spread }>; ratios: Record<string, number | null> }

async function main(argv: readonly string[]): Promise<number> {
  let runs = 1, cpu = 'rva23s64', vmsArg: string | null = null, only: string[] | null = null;
  let resultsDir = join(projectRoot, 'bench/results');
  let nodeArgs: string[] = [];
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!, v = argv[k + 1];
    if (a === '--help' || a === '-h') { console.log(USAGE); return 0; }
    if (a === '--runs' && v && /^[1-9]\d*$/.test(v)) { runs = Number(v); k++; }
    else if (a === '--vm' && v) { vmsArg = v; k++; }
    else if (a === '--only' && v) { only = v.split(','); k++; }
    else if (a === '--cpu' && v) { cpu = v; k++; }
    else if (a === '--results-dir' && v) { resultsDir = resolve(v); k++; }
    else if (a === '--cpu-prof' && v) { nodeArgs = ['--cpu-prof', `--cpu-prof-dir=${resolve(v)}`]; k++; }
    else { process.stderr.write(`bench: unknown option '${a}'\n${USAGE}\n`); return 2; }
  }
  const workloads = only ? USER_WORKLOADS.filter((w) => only!.includes(w.name)) : USER_WORKLOADS;
  const unknown = (only ?? []).filter((n) => !USER_WORKLOADS.some((w) => w.name === n));
  if (unknown.length) { process.stderr.write(`bench: unknown workload ${unknown.join(', ')}\n${USAGE}\n`); return 2; }
  const progress = (m: string): void => { process.stderr.write(`bench: ${m}\n`); };
  const errors: string[] = [], notes: string[] = [];
  const refs = findQemuRefs(notes, progress);
  let vms = (vmsArg ?? (cpu === 'rv64' ? 'rvkvm,qemu-10,qemu-7.2' : 'rvkvm,qemu-10')).split(',') as VmId[];
  for (const vm of vms) {
    if (!['rvkvm', 'qemu-10', 'qemu-7.2'].includes(vm)) { process.stderr.write(`bench: unknown VM '${vm}'\n${USAGE}\n`); return 2; }
  }
  if (cpu !== 'rv64' && vms.includes('qemu-7.2')) { notes.push(`qemu-7.2 left out: it has no -cpu ${cpu}`); vms = vms.filter((v) => v !== 'qemu-7.2'); }
  const missing = vms.filter((v) => v !== 'rvkvm' && !refs.some((r) => r.id === v));
  for (const m of missing) errors.push(`${m} is not available: ${notes.find((n) => n.includes(m)) ?? 'not found'}`);
  vms = vms.filter((v) => !missing.includes(v));

  const guestDir = process.env.RVKVM_GUEST_DIR ?? resolve(projectRoot, '../shared/guest');
  const image = await ensureRootfs(guestDir, refs.find((r) => r.id === 'qemu-10'), progress);
  const tmp = mkdtempSync(join(tmpdir(), 'rvkvm-userland-'));
  const byVm = new Map<VmId, WorkloadRun[][]>();
  const peaks: Record<string, number | null> = {};
  const isas: Record<string, string | null> = {};
  const stats: Record<string, string[]> = {};
  try {
    const initrd = join(tmp, 'bench.cpio');
    const files = [
      ...Object.entries(FILES).map(([g, p]) => ({ path: `root/${g.replace('/', '-')}`, data: new Uint8Array(readFileSync(join(projectRoot, p))) })),
      { path: 'root/run.sh', data: new TextEncoder().encode(guestScript(workloads)) },
    ];
    writeFileSync(initrd, initramfs(guestDir, benchInit(), files));
    for (let k = 0; k < runs; k++) {
      for (const vm of vms) {
        progress(`userland: ${vm}, run ${k + 1} of ${runs}`);
        const { command, args } = vmCommand(vm, refs.find((r) => r.id === vm), { kernel: guestFiles(guestDir).kernel, initrd, disk: image, readOnly: true, cpu, timeout: 3600, nodeArgs });
        const r = await runVm(command, args, 3700, (l) => progress(`  ${vm}: ${l}`));
        try {
          const parsed = parseRun(vm, r.lines, workloads);
          if (!byVm.has(vm)) byVm.set(vm, []);
          byVm.get(vm)!.push(parsed.runs);
          isas[vm] = parsed.isa;
          peaks[vm] = Math.max(peaks[vm] ?? 0, r.peakRssBytes ?? 0) || null;
          if (vm === 'rvkvm') stats[vm] = r.stderr.split('\n').filter((l) => l.startsWith('rvkvm: stats:'));
          for (const w of parsed.runs) {
            if (w.hostSeconds !== null && Math.abs(w.hostSeconds - w.guestSeconds) > Math.max(0.3, 0.1 * w.hostSeconds)) {
              notes.push(`${vm} ${w.name}: guest clock ${w.guestSeconds.toFixed(2)} s, host ${w.hostSeconds.toFixed(2)} s`);
            }
          }
        } catch (e) {
          errors.push(`${(e as Error).message}${r.timedOut ? ' (timed out)' : ''}${r.status ? `; exit ${r.status}: ${r.stderr.trim().split('\n').at(-1) ?? ''}` : ''}`);
        }
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  // the same output on every VM and in every run (what `keep` keeps of it)
  for (const w of workloads) {
    const seen = new Map<string, string>();
    for (const [vm, rs] of byVm) {
      rs.forEach((r, k) => { const x = r.find((y) => y.name === w.name); if (x) seen.set(rs.length > 1 ? `${vm} run ${k + 1}` : vm, (w.keep ?? ((o: string) => o))(x.output)); });
    }
    if (new Set(seen.values()).size > 1) errors.push(`${w.name}: the output differs between VMs or runs: ${[...seen].map(([vm, o]) => `${vm}: ${o.trim().split('\n')[0]}`).join('; ')}`);
  }
  const summaries: Summary[] = workloads.map((w) => {
    const perVm: Summary['perVm'] = {};
    for (const [vm, rs] of byVm) {
      const xs = rs.map((r) => r.find((y) => y.name === w.name)!).filter(Boolean);
      perVm[vm] = { cost: spread(xs.map((x) => cost(w, x)))!, guestSeconds: spread(xs.map((x) => x.guestSeconds))! };
    }
    const ratios: Record<string, number | null> = {};
    for (const ref of vms.filter((v) => v !== 'rvkvm')) {
      ratios[`rvkvm/${ref}`] = perVm['rvkvm'] && perVm[ref] ? perVm['rvkvm'].cost.median / perVm[ref].cost.median : null;
    }
    return { name: w.name, measure: w.measure, perVm, ratios };
  });
  const geomeans: Record<string, number | null> = {};
  const maxima: Record<string, number | null> = {};
  for (const ref of vms.filter((v) => v !== 'rvkvm')) {
    const rs = summaries.map((s) => s.ratios[`rvkvm/${ref}`]).filter((v): v is number => typeof v === 'number');
    geomeans[`rvkvm/${ref}`] = rs.length === summaries.length ? geomean(rs) : null;
    maxima[`rvkvm/${ref}`] = rs.length ? Math.max(...rs) : null;
  }
  const refCols = vms.filter((v) => v !== 'rvkvm');
  const rows = summaries.map((s) => [s.name, s.measure === 'rate' ? 'MB/s' : 's',
    ...vms.map((vm) => { const c = s.perVm[vm]?.cost.median; return c === undefined ? null : s.measure === 'rate' ? 1 / c / 1e6 : c; }),
    ...refCols.map((r) => s.ratios[`rvkvm/${r}`] ?? null)]);
  rows.push(['geometric mean', '', ...vms.map(() => null), ...refCols.map((r) => geomeans[`rvkvm/${r}`] ?? null)]);
  rows.push(['max', '', ...vms.map(() => null), ...refCols.map((r) => maxima[`rvkvm/${r}`] ?? null)]);
  rows.push(['peak RSS MiB', '', ...vms.map((vm) => (peaks[vm] ?? null) === null ? null : peaks[vm]! / 2 ** 20), ...refCols.map(() => null)]);
  for (const [vm, isa] of Object.entries(isas)) notes.push(`${vm} guest isa: ${isa ?? '?'}`);
  for (const l of stats['rvkvm'] ?? []) notes.push(l);
  for (const n of notes) console.log(`note: ${n}`);
  return finishSideBench({
    kind: 'userland', title: `rvkvm userland bench: Debian ${ROOTFS.suite} riscv64, -cpu ${cpu}, ${MEM}, ${runs} run(s) per VM (medians; openssl: its rate)`,
    headers: ['workload', 'unit', ...vms, ...refCols.map((r) => `rvkvm / ${r}`)], rows, errors, resultsDir,
    fields: { cpu, runs, vms, workloads: summaries, geomeans, maxima, peakRssBytes: peaks, isas, notes, rvkvmStats: stats['rvkvm'] ?? [] },
  });
}

runAsScript(import.meta.url, main);
