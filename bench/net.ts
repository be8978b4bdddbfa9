// `node dist/bench/net.js`: TCP throughput of the user-mode network, measured from the host with the bytes'
// SHA-256 checked, on rvkvm (--net) and on qemu-system-riscv64 -netdev user (slirp), same kernel and initramfs.
// host -> guest: the host connects to a hostfwd port and writes N MiB of pseudo-random bytes, which busybox
// `nc -l` in the guest stores in its tmpfs; timed from the connect to the guest's "received" console line.
// guest -> host: busybox `nc` sends that file to a host server on 127.0.0.1 (10.0.2.2 in the guest), which hashes
// it; timed from the first byte to the last. Both directions are one TCP connection through the whole stack.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildInitramfs } from '../src/vmm/initramfs.js';
import { guestFiles, KERNEL_APPEND } from './boot.js';
import { finishSideBench, runAsScript } from './side.js';
import { projectRoot } from './workloads.js';

const QEMU_BINARY = 'qemu-system-riscv64';
const GUEST_PORT = 5000;

const USAGE = `usage: node dist/bench/net.js [--mib N] [--vm rvkvm,qemu] [--cpu-prof DIR] [--results-dir DIR] [-- RVKVM-RUN-OPTIONS...]
  --mib N         bytes to move each way, in MiB (default 64)
  --cpu-prof DIR  run rvkvm under node --cpu-prof, the profile written to DIR (open it in Chrome's DevTools)
  options after -- go to rvkvm run`;

export interface NetEntry {
  vm: 'rvkvm' | 'qemu'; direction: 'host-to-guest' | 'guest-to-host'; bytes: number; seconds: number; mbPerSecond: number;
  /** CPU time (user + system) the VM process used for the transfer, and MB per CPU second: less noisy than wall
   *  time on a loaded host (null where /proc is missing) */
  cpuSeconds: number | null; mbPerCpuSecond: number | null;
  checksumOk: boolean;
}

/** utime + stime of a live process in seconds (Linux /proc/PID/stat), or null. */
function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ
  } catch {
    return null;
  }
}

/** Deterministic pseudo-random bytes (xorshift32): compressible data would flatter nothing here, but stay honest. */
export function payload(bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  let x = 0x9e3779b9;
  for (let i = 0; i < bytes; i += 4) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    b.writeInt32LE(x | 0, i);
  }
  return b;
}

/** The guest's /init commands: a static address (both stacks use 10.0.2.15/24, gateway 10.0.2.2), then the two transfers. */
export function netBenchCommands(sinkPort: number): string[] {
  return [
    ...['failover', 'net_failover', 'virtio_mmio', 'virtio_net'].map((m) => `insmod /lib/modules/${m}.ko`),
    'ip link set eth0 up', 'ip addr add 10.0.2.15/24 dev eth0', 'ip route add default via 10.0.2.2',
    'echo NETBENCH-READY',
    `nc -l -p ${GUEST_PORT} > /big.bin < /dev/null; echo NETBENCH-RECEIVED`,
    'echo "NETBENCH-SHA $(sha256sum /big.bin)"',
    `nc 10.0.2.2 ${sinkPort} < /big.bin > /dev/null; echo NETBENCH-SENT`,
    'echo NETBENCH-END',
  ];
}

interface Sink { server: Server; port: number; next(bytes: number): Promise<{ seconds: number; sha: string }> }

/** A host server that takes one connection per transfer, hashes `bytes` bytes and closes. */
async function startSink(): Promise<Sink> {
  let want: { bytes: number; done: (r: { seconds: number; sha: string }) => void } | null = null;
  const server = createServer((sock) => {
    const w = want;
    if (!w) { sock.destroy(); return; }
    const sha = createHash('sha256');
    let n = 0, start = 0;
    sock.on('data', (d: Buffer) => {
      if (n === 0) start = performance.now();
      sha.update(d);
      n += d.length;
      if (n >= w.bytes) { sock.end(); want = null; w.done({ seconds: (performance.now() - start) / 1000, sha: sha.digest('hex') }); }
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server, port: (server.address() as AddressInfo).port,
    next: (bytes) => new Promise((done) => { want = { bytes, done }; }),
  };
}

/** A loopback port nothing listens on now (for a hostfwd). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

/** Boots one VM, runs both transfers against it, returns its two entries. */
async function runVm(vm: NetEntry['vm'], command: string, args: string[], fwdPort: number, sink: Sink, data: Buffer, timeoutSec: number): Promise<NetEntry[]> {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end();
  let out = '';
  let err = '';
  child.stdout.setEncoding('latin1').on('data', (s: string) => { out += s; if (process.env.NETBENCH_VERBOSE) process.stderr.write(s); });
  child.stderr.setEncoding('utf8').on('data', (s: string) => { err += s; if (process.env.NETBENCH_VERBOSE) process.stderr.write(s); });
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutSec * 1000);
  const until = async (re: RegExp): Promise<RegExpExecArray> => {
    for (;;) {
      const m = re.exec(out);
      if (m) return m;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${vm} exited before ${re}: ${err.trim().split('\n').slice(-2).join(' | ')} / ${out.trimEnd().split('\n').slice(-3).join(' | ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    await until(/NETBENCH-READY/);
    await new Promise((r) => setTimeout(r, 500)); // nc -l is listening by then
    const t0 = performance.now();
    const c0 = cpuSeconds(child.pid);
    await new Promise<void>((res, rej) => {
      const s = connect(fwdPort, '127.0.0.1', () => { s.end(data); });
      s.on('error', rej);
      s.on('close', () => res());
    });
    await until(/NETBENCH-RECEIVED/);
    const downSeconds = (performance.now() - t0) / 1000;
    const c1 = cpuSeconds(child.pid);
    const guestSha = (await until(/NETBENCH-SHA ([0-9a-f]{64})/))[1]!;
    const upNext = sink.next(data.length);
    // the sink's clock starts at the first byte; CPU time is sampled around it as closely as the console allows
    const c2 = cpuSeconds(child.pid);
    const up = await upNext;
    const c3 = cpuSeconds(child.pid);
    await until(/NETBENCH-END/);
    const want = createHash('sha256').update(data).digest('hex');
    const cpu = (a: number | null, b: number | null): { cpuSeconds: number | null; mbPerCpuSecond: number | null } =>
      (a === null || b === null || b <= a ? { cpuSeconds: null, mbPerCpuSecond: null } : { cpuSeconds: b - a, mbPerCpuSecond: data.length / 1e6 / (b - a) });
    return [
      { vm, direction: 'host-to-guest', bytes: data.length, seconds: downSeconds, mbPerSecond: data.length / 1e6 / downSeconds, ...cpu(c0, c1), checksumOk: guestSha === want },
      { vm, direction: 'guest-to-host', bytes: data.length, seconds: up.seconds, mbPerSecond: data.length / 1e6 / up.seconds, ...cpu(c2, c3), checksumOk: up.sha === want },
    ];
  } finally {
    clearTimeout(killer);
    await exited;
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let mib = 64;
  let vms = ['rvkvm', 'qemu'];
  let resultsDir = join(projectRoot, 'bench/results');
  let extra: string[] = [];
  let nodeArgs: string[] = [];
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    if (a === '--help' || a === '-h') { console.log(USAGE); return 0; }
    if (a === '--mib' && Number(argv[k + 1]) > 0) mib = Number(argv[++k]);
    else if (a === '--vm' && argv[k + 1]) vms = argv[++k]!.split(',');
    else if (a === '--results-dir' && argv[k + 1]) resultsDir = resolve(argv[++k]!);
    else if (a === '--cpu-prof' && argv[k + 1]) nodeArgs = ['--cpu-prof', `--cpu-prof-dir=${resolve(argv[++k]!)}`];
    else if (a === '--') { extra = argv.slice(k + 1) as string[]; break; }
    else { process.stderr.write(`bench: unknown option '${a}'\n${USAGE}\n`); return 2; }
  }
  const guestDir = process.env.RVKVM_GUEST_DIR ?? resolve(projectRoot, '../shared/guest');
  const files = guestFiles(guestDir);
  const modules = ['failover.ko', 'net_failover.ko', 'virtio_mmio.ko', 'virtio_net.ko']
    .map((name) => ({ name, data: new Uint8Array(readFileSync(join(guestDir, 'modules', name))) }));
  const data = payload(mib << 20);
  const sink = await startSink();
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-netbench-'));
  const entries: NetEntry[] = [];
  const errors: string[] = [];
  try {
    const initrd = join(dir, 'initrd.cpio');
    writeFileSync(initrd, buildInitramfs({ busybox: new Uint8Array(readFileSync(files.busybox)), modules, commands: netBenchCommands(sink.port) }));
    for (const vm of vms) {
      const fwd = await freePort();
      process.stderr.write(`bench: net: ${vm}, ${mib} MiB each way\n`);
      if (vm === 'qemu' && spawnSync(QEMU_BINARY, ['--version'], { stdio: 'ignore' }).status !== 0) { errors.push(`${QEMU_BINARY} not found`); continue; }
      const [command, args] = vm === 'rvkvm'
        ? [process.execPath, [...nodeArgs, join(projectRoot, 'dist/src/cli/main.js'), 'run', '--kernel', files.kernel, '--initrd', initrd, '--append', KERNEL_APPEND,
          '--mem', '512M', '--timeout', '1800', '--net', `user,hostfwd=tcp:127.0.0.1:${fwd}-:${GUEST_PORT}`, ...extra]] as const
        : [QEMU_BINARY, ['-M', 'virt', '-cpu', 'rv64', '-smp', '1', '-m', '512M', '-nographic', '-bios', 'default',
          '-kernel', files.kernel, '-initrd', initrd, '-append', KERNEL_APPEND, '-no-reboot',
          '-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${fwd}-:${GUEST_PORT}`, '-device', 'virtio-net-device,netdev=n0']] as const;
      try {
        entries.push(...await runVm(vm as NetEntry['vm'], command, [...args], fwd, sink, data, 1900));
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
  } finally {
    sink.server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  for (const e of entries) if (!e.checksumOk) errors.push(`${e.vm} ${e.direction}: the SHA-256 of what arrived differs from what was sent`);
  const rows = (['host-to-guest', 'guest-to-host'] as const).map((d) => {
    const rv = entries.find((e) => e.vm === 'rvkvm' && e.direction === d);
    const q = entries.find((e) => e.vm === 'qemu' && e.direction === d);
    return [d, rv?.mbPerSecond ?? null, rv?.mbPerCpuSecond ?? null, q?.mbPerSecond ?? null, q?.mbPerCpuSecond ?? null, rv && q ? rv.mbPerSecond / q.mbPerSecond : null];
  });
  return finishSideBench({
    kind: 'net', title: `rvkvm network bench: ${mib} MiB over TCP each way, busybox nc in the guest, SHA-256 checked`,
    headers: ['direction', 'rvkvm MB/s', 'rvkvm MB/CPU-s', 'QEMU slirp MB/s', 'QEMU MB/CPU-s', 'rvkvm / QEMU (MB/s)'], rows, errors, resultsDir, fields: { mib, entries },
  });
}

runAsScript(import.meta.url, main);
