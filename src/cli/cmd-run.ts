// rvkvm run: boot a Linux guest on the KVM layer, kvmtool-style, with the console on this terminal
// (raw mode, Ctrl-A x quits) or, when stdin is not a terminal, scriptable through stdin/stdout.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants as osConstants } from 'node:os';
import type { Command } from './main.js';
import { Machine, DEFAULT_CMDLINE, VIRTIO_CONSOLE_CMDLINE, DEFAULT_MEM_BYTES, MAX_MEM_BYTES, type MachineConfig, type MachineState } from '../vmm/machine.js';
import { buildInitramfs, INIT_MARKER, type GuestSetup } from '../vmm/initramfs.js';
import { parse9pOption, parseVirtfsOption, type ShareSpec } from './ninep-options.js';
import { HostDirBackend } from './ninep-host.js';
import { guestSetup, parseMountOption, type MountSpec } from './guest-setup.js';
import { parseMemSize } from './sizes.js';
import { openDiskImage, parseDiskOption, parseDriveOption, parseKvmtoolDisk, type DiskSpec } from './disk.js';
import type { BlockBackend } from '../vmm/block/backend.js';
import { openChannel, parseChannelOption, type ChannelSpec, type HostChannel } from './channel.js';
import { extensionByName, profileByName, profiles } from '../isa/index.js';
import { GdbStub } from '../vmm/gdb-stub.js';
import { parseGdbAddress, startGdbServer, type GdbServer } from './gdb-server.js';
import { formatProfileReport } from '../kvm/vcpu.js';
import { openTraceFile, parseProfileTraceFlag, type ProfileTraceArgs } from './cmd-exec.js';
import { UsageError } from './errors.js';
import { readBoundedInput } from './read-input.js';
import { fdtProblem } from '../vmm/fdt.js';
import { finishNet, newNetState, parseNetFlag, NET_USAGE, type NetArgs } from './net-options.js';
import { hostResolver, NodeSocketProvider } from './net-provider.js';
import { UserNetBackend } from '../vmm/devices/usernet.js';
import { restoreSnapshot } from '../vmm/snapshot/machine.js';
import { captureOverlays, checkDisks, DEFAULT_SNAPSHOT_FILE, loadRunSnapshot, saveRunSnapshot, type RunSnapshot, type RunSnapshotSource } from './snapshot-file.js';
import { Monitor } from '../vmm/monitor.js';
import { finishQemuDevices, newQemuDeviceState, parseQemuDeviceFlag, QEMU_DEVICE_DRIVERS } from './qemu-devices.js';
import { MonitorConsole } from './monitor-console.js';
import { runSummary, writeRunSummary, type ExitReason } from './run-summary.js';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where the bundled Debian guest lives: ../shared/guest beside the project (RVKVM_GUEST_DIR overrides). */
export function guestDir(): string {
  return process.env.RVKVM_GUEST_DIR ?? resolve(projectRoot, '../shared/guest');
}

export const GUEST_FILES = {
  kernel: 'linux-6.12.107-riscv64.Image',
  busybox: 'busybox-1.37.0-riscv64',
  modulesDir: 'modules',
} as const;

/** Console input backlog (bytes) at which stdin is paused, and below which it resumes. */
const INPUT_HIGH_WATER = 1 << 20;
const INPUT_LOW_WATER = 64 << 10;

/** Ctrl-A h on an interactive console (raw mode: lines end in CR LF). */
const ESCAPE_HELP = [
  '', 'C-a h    print this help', 'C-a x    exit rvkvm (exit status 0; disks are flushed)',
  'C-a c    switch between the console and the monitor (help, info registers, info extensions, stop, cont, savevm, quit)',
  `C-a s    save the VM (to the --save-on-exit file, else ./${DEFAULT_SNAPSHOT_FILE}); it runs on`,
  'C-a C-a  send C-a to the guest', '',
].join('\r\n');

const USAGE = `usage: rvkvm run [options]
Boots a Linux guest. With no --kernel, boots the bundled Debian guest (../shared/guest) with an initramfs
built from its busybox and modules.

  --kernel FILE        RISC-V Linux Image
  --initrd FILE        initramfs (cpio, optionally compressed)
  --append "ARGS"      kernel command line (default: console=ttyS0 earlycon=sbi panic=-1)
  --mem SIZE           guest RAM, e.g. 512M, 1G (default 512M)
  --smp N              vCPUs (default 1)
  --isa ISA            the host CPU's ISA, i.e. what the software hart can execute
                       (default: every extension rvkvm implements); the vCPU gets all of it, as KVM does.
                       A profile (rva23s64, rva22s64_zvkng, ...) gives the part rvkvm implements, with a
                       warning listing the rest
  --vlen BITS          VLEN of the vector unit (V): 128 (default), 256, 512 or 1024
  -cpu rva23s64[,EXT=on|off]  the same, as QEMU 10 spells it (also rva23u64, rva22s64, rva22u64, rva20u64)
  --enable-EXT, --disable-EXT
                       ONE_REG ISA_EXT writes before the first run (kvmtool style), e.g. --disable-zcmop
  -cpu rv64,EXT=on|off QEMU-style spelling of the same writes
  --allow-disable-any  rvkvm's strict mode: every extension may be disabled (Linux KVM refuses e.g. zcmop)
  --nested             rvkvm's opt-in past KVM: the vCPUs get H (KVM never lets user space enable it), the guest
                       runs in HS-mode and can load its own kvm.ko; -cpu rv64,h=on needs it too
  --abi 6.12|7.3       which Linux KVM ABI to model (default 7.3)
  --disk FILE[,format=raw|qcow2][,ro][,snapshot=on][,serial=S][,lock=on|off]
                       virtio-blk disk backed by FILE, a raw or qcow2 image (v2/v3, backing files, compressed
                       clusters read). Without format= it is probed; a probed raw disk may not be given a qcow2
                       header by the guest. Writes reach the file unless ,ro; with snapshot=on they go to a
                       temporary overlay that disappears at exit. serial= is the guest's /sys/block/vdX/serial.
                       The image is locked as QEMU does: exclusively, or shared with other readers for ,ro and
                       for backing files; a locked image is refused ("FILE is locked: in use by another
                       process"); ,lock=off skips the lock
  -d FILE[,ro]         kvmtool's spelling of --disk
  -drive file=FILE[,format=raw|qcow2][,if=virtio][,readonly=on][,snapshot=on][,serial=S][,file.locking=off]
                       QEMU's spelling of --disk
  -snapshot            snapshot=on for every disk (QEMU's -snapshot)
  --console serial|virtio
                       the guest console on the 16550 UART (ttyS0, default) or on virtio-console (hvc0; the
                       default command line then says console=hvc0), as kvmtool spells it
  --channel unix:PATH[,name=NAME] | file:PATH[,name=NAME]
                       a virtio-console port (in the bundled guest /dev/virtio-ports/NAME; NAME defaults to
                       rvkvm.N) carried to a Unix socket rvkvm listens on at PATH, or written to the file PATH
  -chardev socket,id=ID,path=PATH,server=on[,wait=on|off] | -chardev file,id=ID,path=PATH[,append=on|off]
  -device virtserialport,chardev=ID[,name=NAME] | -device virtconsole,chardev=ID[,name=NAME]
                       QEMU's spelling of --channel (virtconsole: the port is an hvc terminal too, hvc1...;
                       wait=on, QEMU's default, starts the guest once a client has connected;
                       -device virtio-serial-device is accepted and changes nothing)
  --9p DIR[,TAG][,ro]  share the host directory DIR over virtio-9p under mount tag TAG (default kvm_9p), as
                       kvmtool spells it; in the guest: mount -t 9p -o trans=virtio,version=9p2000.L TAG /mnt.
                       Nothing outside DIR is reachable (host symlinks are never followed; the guest sees them
                       as symlinks); files are created as the host user and the guest's chown changes nothing
                       (QEMU's security_model=none); setuid/setgid bits are dropped; ,ro refuses writes (EROFS)
  -virtfs local,path=DIR,mount_tag=TAG,security_model=none[,readonly=on]
                       QEMU's spelling of --9p (other security models are refused)
  -fsdev local,id=ID,path=DIR,security_model=none[,readonly=on] -device virtio-9p-device,fsdev=ID,mount_tag=TAG
                       the same, as a QEMU backend and device
  --mount SRC[:DIR]    (bundled guest) the init mounts SRC at DIR (default /mnt/SRC): a disk (vda, vdb, ...)
                       or a --9p tag, and says so on the console. The bundled init also loads the modules of
                       every device it has (--disk, --net, --9p) in dependency order, in one line
${NET_USAGE}
  --no-rng             no virtio-rng
  --dtb FILE           use this device tree instead of the generated one
  --dump-dtb FILE      write the generated device tree and continue
  QEMU spellings: -m SIZE, -smp N, -kernel, -initrd, -append, -nographic (the default), -s (--gdb 1234),
                       -S (--gdb-wait), -gdb tcp::PORT, -drive file=FILE,if=virtio,format=raw[,readonly=on]
  kvmtool spellings: -k KERNEL, -i INITRD, -m MiB, -c N (--cpus), -p "PARAMS" (--params: appended to the
                       default command line), -d FILE[,ro]
  --init-commands "CMDS"  (bundled guest) run these shell commands in the guest instead of a shell, then power off
  --clock wall|icount  guest time from the host clock (default) or from retired instructions; the real-time
                       clock (goldfish RTC, date in the guest) starts at the host's time, or under icount at
                       2025-01-01T00:00:00Z so runs are reproducible
  --no-jit             interpret every instruction (no translation of hot code to WebAssembly)
  --timeout SECONDS    stop with an error if the guest has not powered off by then
  --save-on-exit FILE  save the whole VM to FILE when the run is stopped (Ctrl-A x, SIGINT/SIGTERM/SIGHUP,
                       --timeout), not when the guest powers off or fails; Ctrl-A s saves there at any time
  --restore FILE       resume a saved VM where it stopped, with the options it was saved with (only
                       --save-on-exit, --timeout and --stats may be added); refused if FILE is damaged, from
                       another rvkvm version, or a disk changed since. User-net connections are reset
  --json[=FILE]        at exit, a machine-readable summary (exit reason and status, instructions, time, the
                       execution profile per extension, the devices and their counters) as one JSON line on
                       stdout, or in FILE (--json FILE too); implies the execution profile's counting
  --stats              print "rvkvm: stats: instructions=N wall=S mips=M" and what the translator to
                       WebAssembly did to stderr at exit
  --gdb [HOST:]PORT    GDB remote stub (also --gdb=PORT), on 127.0.0.1 unless HOST is given (0.0.0.0 exposes
                       it to the network): registers, guest-virtual memory, breakpoints, stepping, one thread per vCPU
  --gdb-wait           with --gdb: hold the guest before its first instruction until GDB continues it
  --profile[=FILE.json]  at exit (also Ctrl-A x / SIGINT / SIGTERM / SIGHUP) print instructions retired per extension and privilege
                       mode over all vCPUs, and illegal-instruction traps by the extension that would decode them,
                       to stderr; or write them as JSON { perExtension, perMode, illegalTraps, total } to FILE.json
  --trace=FILE         write one Spike-style commit line per retired instruction (slow); filters:
                       --trace-ext E[,E..]  --trace-range LO-HI  --trace-mode m|s|u  --trace-first N | --trace-last N
On a terminal the console is raw; Ctrl-A h lists the escape keys, Ctrl-A x quits, Ctrl-A c opens the monitor.
Exit status: 0 when the guest powers off or on Ctrl-A x (as QEMU); 1 on a guest panic, a VMM fault, a timeout
or bad input (one line saying what and where); 128 + the signal's number after SIGINT, SIGTERM or SIGHUP (each
stops the guest as Ctrl-A x does: disks are flushed and closed, --profile and --trace output is written);
70 on an internal error (a bug in rvkvm: the message says so and shows the stack).`;

/** Signals that stop the guest cleanly (Node's default action would exit at once: no disk flush, no profile). */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface RunArgs {
  cfg: Omit<MachineConfig, 'console' | 'kernel' | 'initrd'>;
  kernel?: string;
  initrd?: string;
  /** --dtb FILE (read once --mem is known: the read is bounded by guest RAM) */
  dtb?: string;
  dumpDtb?: string;
  timeoutSec?: number;
  stats: boolean;
  /** --json: '-' for stdout, else a file */
  json?: string;
  gdb?: { host: string; port: number };
  gdbWait?: boolean;
  initCommands?: string;
  diskFiles: DiskSpec[];
  channels: ChannelSpec[];
  /** -snapshot: every disk's writes go to a temporary overlay */
  snapshot?: boolean;
  shares: ShareSpec[];
  mounts: MountSpec[];
  /** kvmtool's -p: kernel parameters appended to the default command line */
  params?: string;
  profileTrace: ProfileTraceArgs;
  net: NetArgs | null;
  /** --save-on-exit FILE */
  saveOnExit?: string;
  /** --restore FILE */
  restore?: string;
}

/** Options that steer this run rather than describe the machine: a snapshot does not keep them. */
const RUN_CONTROL: Readonly<Record<string, boolean>> = { '--save-on-exit': true, '--restore': true, '--timeout': true, '--stats': false, '--dump-dtb': true };

/** The machine's options of a command line (what a snapshot keeps), and the run-control ones. */
export function splitRunControl(args: readonly string[]): { machine: string[]; control: string[] } {
  const machine: string[] = [], control: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const takesValue = RUN_CONTROL[args[i]!];
    if (takesValue === undefined) { machine.push(args[i]!); continue; }
    control.push(args[i]!);
    if (takesValue && i + 1 < args.length) control.push(args[++i]!);
  }
  return { machine, control };
}

function parseCpus(v: string, flag: string): number {
  const n = Number(/^cpus=/.test(v) ? v.slice(5) : v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} '${v}': expected a positive integer`);
  return n;
}

function knownExtension(name: string, flag: string): string {
  const n = name.toLowerCase();
  if (!extensionByName(n)) throw new UsageError(`${flag}: unknown extension '${name}' (see 'rvkvm isa --list')`);
  return n;
}

export function parseRunArgs(args: string[]): RunArgs {
  const out: RunArgs = { cfg: {}, stats: false, diskFiles: [], channels: [], shares: [], mounts: [], profileTrace: { filter: {} }, net: null };
  const net = newNetState();
  const qemuDevices = newQemuDeviceState();
  const enable: string[] = [];
  const disable: string[] = [];
  const value = (i: number, flag: string): string => {
    const v = args[i + 1];
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  args = args.flatMap((x) => (/^--(gdb|json)=/.test(x) ? [x.slice(0, x.indexOf('=')), x.slice(x.indexOf('=') + 1)] : [x]));
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    let m: RegExpExecArray | null;
    const used = parseProfileTraceFlag(args, i, out.profileTrace);
    if (used > 0) { i += used - 1; continue; }
    const netUsed = parseNetFlag(args, i, net);
    if (netUsed > 0) { i += netUsed - 1; continue; }
    const devUsed = parseQemuDeviceFlag(args, i, qemuDevices);
    if (devUsed > 0) { i += devUsed - 1; continue; }
    if (a === '-device' || a === '--device') {
      throw new UsageError(`${a} '${args[i + 1] ?? ''}': unknown device (rvkvm has virtio-net-device, ${QEMU_DEVICE_DRIVERS.join(', ')})`);
    }
    switch (a) {
      case '--kernel': case '-kernel': case '-k': out.kernel = value(i++, a); continue;
      case '--initrd': case '-initrd': case '-i': out.initrd = value(i++, a); continue;
      case '--append': case '-append': out.cfg.cmdline = value(i++, a); continue;
      case '--params': case '-p': out.params = value(i++, a); continue;
      case '--mem': case '-m': out.cfg.memBytes = parseMemSize(value(i++, a), a); continue;
      case '--smp': case '-smp': case '--cpus': case '-c': out.cfg.smp = parseCpus(value(i++, a), a); continue;
      case '-nographic': continue; // the console is this terminal already
      case '-s': out.gdb = parseGdbAddress('1234'); continue;
      case '-S': out.gdbWait = true; continue;
      case '-gdb': out.gdb = parseGdbAddress(value(i++, a).replace(/^tcp:/, '')); continue;
      case '--9p': out.shares.push(parse9pOption(value(i++, a))); continue;
      case '-virtfs': case '--virtfs': out.shares.push(parseVirtfsOption(value(i++, a))); continue;
      case '--mount': out.mounts.push(parseMountOption(value(i++, a))); continue;
      case '--isa':
        if (out.cfg.hostIsa !== undefined) throw new UsageError('--isa: a -cpu profile or --isa was given already');
        out.cfg.hostIsa = value(i++, a);
        continue;
      case '--allow-disable-any': out.cfg.allowDisableAny = true; continue;
      case '--nested': out.cfg.nested = true; continue;
      case '--vlen': {
        const n = Number(value(i++, a));
        if (![128, 256, 512, 1024].includes(n)) throw new UsageError(`--vlen '${args[i]}': expected 128, 256, 512 or 1024`);
        out.cfg.vlen = n;
        continue;
      }
      case '--abi': {
        const v = value(i++, a);
        if (v !== '6.12' && v !== '7.3') throw new UsageError(`--abi '${v}': expected 6.12 or 7.3`);
        out.cfg.abi = v;
        continue;
      }
      case '--disk': out.diskFiles.push(parseDiskOption(value(i++, a))); continue;
      case '-d': out.diskFiles.push(parseKvmtoolDisk(value(i++, a))); continue;
      case '-drive': case '--drive': out.diskFiles.push(parseDriveOption(value(i++, a))); continue;
      case '-snapshot': case '--snapshot': out.snapshot = true; continue;
      case '--console': {
        const v = value(i++, a);
        if (v !== 'serial' && v !== 'virtio') throw new UsageError(`--console '${v}': expected serial (ttyS0, the default) or virtio (hvc0)`);
        out.cfg.consoleDevice = v;
        continue;
      }
      case '--channel': out.channels.push(parseChannelOption(value(i++, a), out.channels.length + 1)); continue;
      case '--no-rng': out.cfg.rng = false; continue;
      case '--no-jit': out.cfg.jit = false; continue;
      case '--dtb': case '-dtb': out.dtb = value(i++, a); continue;
      case '--dump-dtb': out.dumpDtb = value(i++, a); continue;
      case '--init-commands': out.initCommands = value(i++, a); continue;
      case '--clock': {
        const v = value(i++, a);
        if (v !== 'wall' && v !== 'icount') throw new UsageError(`--clock '${v}': expected wall or icount`);
        out.cfg.clock = v;
        continue;
      }
      case '--timeout': {
        const t = Number(value(i++, a));
        if (!(t > 0)) throw new UsageError(`--timeout '${args[i]}': expected seconds > 0`);
        out.timeoutSec = t;
        continue;
      }
      case '--stats': out.stats = true; continue;
      case '--save-on-exit': out.saveOnExit = value(i++, a); continue;
      case '--restore': out.restore = value(i++, a); continue;
      case '--json': {
        const next = args[i + 1];
        out.json = next !== undefined && !next.startsWith('-') ? (i++, next) : '-';
        continue;
      }
      case '--gdb': out.gdb = parseGdbAddress(value(i++, a)); continue;
      case '--gdb-wait': out.gdbWait = true; continue;
      case '-cpu': case '--cpu': {
        const [model, ...props] = value(i++, a).split(',');
        if (profileByName(model!.toLowerCase())) {
          if (out.cfg.hostIsa !== undefined) throw new UsageError(`-cpu ${model}: --isa was given too; give one of them`);
          out.cfg.hostIsa = model!.toLowerCase();
        } else if (model !== 'rv64') {
          throw new UsageError(`-cpu '${model}': expected rv64 or a profile (${profiles().map((p) => p.name).join(', ')})`);
        }
        for (const p of props) {
          const pm = /^([a-z0-9]+)=(on|off|true|false)$/i.exec(p);
          if (!pm) throw new UsageError(`-cpu property '${p}': expected EXT=on or EXT=off`);
          (pm[2] === 'on' || pm[2] === 'true' ? enable : disable).push(knownExtension(pm[1]!, '-cpu'));
        }
        continue;
      }
    }
    if ((m = /^--(enable|disable)-([a-z0-9]+)$/i.exec(a))) {
      (m[1] === 'enable' ? enable : disable).push(knownExtension(m[2]!, a));
      continue;
    }
    throw new UsageError(`run: unknown option '${a}'\n${USAGE}`);
  }
  if (enable.length) out.cfg.enable = enable;
  if (disable.length) out.cfg.disable = disable;
  out.net = finishNet(net);
  const fromQemu = finishQemuDevices(qemuDevices, out.channels.length);
  out.channels.push(...fromQemu.channels);
  out.shares.push(...fromQemu.shares);
  if (out.gdbWait && !out.gdb) throw new UsageError('--gdb-wait (-S) needs --gdb [HOST:]PORT (or -s)');
  if (out.params !== undefined && out.cfg.cmdline !== undefined) throw new UsageError('-p/--params adds to the default command line: give it or --append, not both');
  if (out.params !== undefined) out.cfg.cmdline = `${out.cfg.consoleDevice === 'virtio' ? VIRTIO_CONSOLE_CMDLINE : DEFAULT_CMDLINE} ${out.params}`;
  for (const m of out.mounts) {
    if (!/^vd[a-z]$/.test(m.source) && !out.shares.some((s) => s.tag === m.source)) {
      throw new UsageError(`--mount '${m.source}': not a disk (vda, vdb, ...) or the tag of a --9p share`);
    }
    if (/^vd[a-z]$/.test(m.source) && m.source.charCodeAt(2) - 97 >= out.diskFiles.length) {
      throw new UsageError(`--mount '${m.source}': there ${out.diskFiles.length === 1 ? 'is 1 disk' : `are ${out.diskFiles.length} disks`}`);
    }
  }
  return out;
}

/** A restored run's options name files as its command line did: relative to the directory it was started in. */
function withPathsFrom(o: RunArgs, cwd: string): RunArgs {
  const abs = (p: string): string => resolve(cwd, p);
  return {
    ...o,
    ...(o.kernel !== undefined ? { kernel: abs(o.kernel) } : {}), ...(o.initrd !== undefined ? { initrd: abs(o.initrd) } : {}),
    ...(o.dtb !== undefined ? { dtb: abs(o.dtb) } : {}),
    diskFiles: o.diskFiles.map((d) => ({ ...d, path: abs(d.path) })),
    shares: o.shares.map((s) => ({ ...s, path: abs(s.path) })),
    channels: o.channels.map((c) => ({ ...c, path: abs(c.path) })),
  };
}

/** What bounds an input file read, and how to say so: guest RAM, as nothing larger can be loaded into it. */
interface InputLimit { bytes: number; room: string }

function ramLimit(memBytes: number): InputLimit {
  const size = memBytes % (1 << 30) === 0 ? `${memBytes / (1 << 30)}G` : `${Math.floor(memBytes / (1 << 20))}M`;
  // a --mem the machine refuses fails later, in Machine, with its own message
  return { bytes: Math.min(memBytes, MAX_MEM_BYTES), room: `the guest RAM (--mem ${size})` };
}

function readInput(path: string, what: string, limit: InputLimit): Uint8Array {
  return readBoundedInput(path, what, limit.bytes, limit.room);
}

/**
 * The machine, with the kernel and initrd read here and loaded into guest RAM by Machine: this plain function's
 * frame is gone when it returns, so the host keeps no copy of the images (tens of MB) while the guest runs, as it
 * would if they were locals of the long-running async run. `release` frees what was opened before, on an error.
 */
function machineWithImages(opts: RunArgs, limit: InputLimit, cfg: Omit<MachineConfig, 'kernel' | 'initrd'>, release: () => void): Machine {
  try {
    const kernel = readInput(opts.kernel ?? join(guestDir(), GUEST_FILES.kernel), 'kernel', limit);
    let initrd: Uint8Array | undefined;
    if (opts.initrd) initrd = readInput(opts.initrd, 'initrd', limit);
    else if (!opts.kernel) {
      initrd = bundledInitramfs(opts.initCommands ? [opts.initCommands] : undefined, limit, {
        virtioConsole: opts.cfg.consoleDevice === 'virtio', channels: opts.channels.length, setup: guestSetup(opts),
      });
    }
    return new Machine({ ...cfg, kernel, ...(initrd ? { initrd } : {}) });
  } catch (e) {
    release();
    throw e;
  }
}

/** The initramfs for the bundled guest: busybox, every module, the project's guest programs if built. */
export function bundledInitramfs(
  commands?: string[], limit = ramLimit(DEFAULT_MEM_BYTES), opts: { virtioConsole?: boolean; channels?: number; setup?: GuestSetup } = {},
): Uint8Array {
  const dir = guestDir();
  const busyboxPath = join(dir, GUEST_FILES.busybox);
  if (!existsSync(busyboxPath)) {
    throw new UsageError(`bundled guest not found: ${busyboxPath} is missing (set RVKVM_GUEST_DIR or pass --kernel/--initrd)`);
  }
  const modDir = join(dir, GUEST_FILES.modulesDir);
  const modules = existsSync(modDir)
    ? readdirSync(modDir).filter((f) => f.endsWith('.ko')).sort().map((name) => ({ name, data: readInput(join(modDir, name), 'module', limit) }))
    : [];
  const files: { path: string; data: Uint8Array }[] = [];
  const probe = resolve(projectRoot, 'build/guest/linux/rvkvm-probe.elf');
  if (existsSync(probe)) files.push({ path: 'bin/rvkvm-probe', data: readInput(probe, 'probe program', limit) });
  else {
    process.stderr.write(`rvkvm: rvkvm-probe is absent from the guest (${probe} is not built): install ` +
      `gcc-riscv64-linux-gnu and libc6-dev-riscv64-cross, then run 'npm start' (or 'make -C test/guest')\n`);
  }
  // rvkvm-vmm: a minimal VMM on the guest's /dev/kvm (for --nested), if built
  const vmm = resolve(projectRoot, 'build/guest/linux/rvkvm-vmm.elf');
  if (existsSync(vmm)) files.push({ path: 'bin/rvkvm-vmm', data: readInput(vmm, 'rvkvm-vmm program', limit) });
  return buildInitramfs({
    busybox: readInput(busyboxPath, 'busybox', limit), modules, files, ...(commands ? { commands } : {}),
    ...(opts.virtioConsole ? { virtioConsole: true } : {}), ...(opts.channels ? { channels: opts.channels } : {}),
    ...(opts.setup ? { setup: opts.setup } : {}),
  });
}

export const command: Command = {
  summary: 'boot a Linux guest (default: the bundled Debian guest)',
  async run(args: string[]): Promise<number> {
    if (args.includes('--help') || args.includes('-h')) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    let opts = parseRunArgs(args);
    let machineArgv = splitRunControl(args).machine;
    let restoring: RunSnapshot | null = null;
    let restorePath = '';
    let overlays: (Uint8Array | null)[] = [];
    if (opts.restore !== undefined) {
      if (machineArgv.length > 0) {
        throw new UsageError(`--restore takes the machine's options from the snapshot; only --save-on-exit, --timeout and --stats may be added (not ${machineArgv[0]})`);
      }
      restoring = loadRunSnapshot(opts.restore);
      machineArgv = restoring.argv;
      const control = opts;
      restorePath = control.restore!;
      opts = withPathsFrom(parseRunArgs(restoring.argv), restoring.cwd);
      if (control.timeoutSec !== undefined) opts.timeoutSec = control.timeoutSec;
      if (control.saveOnExit !== undefined) opts.saveOnExit = control.saveOnExit;
      opts.stats = control.stats;
      overlays = checkDisks(`--restore ${control.restore}`, restoring.disks, opts.diskFiles);
    }
    if (opts.net && opts.cfg.clock === 'icount') {
      process.stderr.write('rvkvm: warning: --clock icount with a network: guest time skips ahead while the guest waits for the host, ' +
        'so its connections can time out before the host answers (use --clock wall)\n');
    }
    // Disks first: a locked image stops the run before any work is done.
    const warn = (m: string): void => { process.stderr.write(`rvkvm: warning: ${m}\n`); };
    const disks: { backend: BlockBackend; serial?: string }[] = [];
    try {
      for (const [i, d] of opts.diskFiles.entries()) {
        const backend = openDiskImage({ ...d, snapshot: d.snapshot || opts.snapshot === true }, warn, overlays[i] ?? undefined);
        disks.push({ backend, ...(d.serial !== undefined ? { serial: d.serial } : {}) });
      }
    } catch (e) {
      for (const d of disks) d.backend.close?.();
      throw e;
    }
    const limit = ramLimit(opts.cfg.memBytes ?? DEFAULT_MEM_BYTES);
    if (opts.dtb !== undefined) {
      const dtb = readInput(opts.dtb, 'device tree', limit);
      const problem = fdtProblem(dtb);
      if (problem !== null) throw new UsageError(`--dtb ${opts.dtb}: not a device tree blob: ${problem}`);
      opts.cfg.dtb = dtb;
    }
    const net = opts.net && new UserNetBackend({
      provider: new NodeSocketProvider(opts.net.dnsForward ?? hostResolver()),
      restrict: opts.net.restrict, hostForwards: opts.net.hostForwards,
    });
    if (net) {
      try { await net.start(); } catch (e) { net.close(); for (const d of disks) d.backend.close?.(); throw e; }
    }
    const shares = opts.shares.map((s) => ({ tag: s.tag, readOnly: s.readOnly, backend: new HostDirBackend(s.path, s.readOnly) }));

    const stdin = process.stdin;
    const interactive = stdin.isTTY === true && process.stdout.isTTY === true;
    const trace = openTraceFile(opts.profileTrace);
    const hostChannels: (HostChannel | null)[] = opts.channels.map(() => null);
    const machine = machineWithImages(opts, limit, {
      ...(opts.channels.length > 0
        ? { channels: opts.channels.map((c, i) => ({ name: c.name, ...(c.console ? { console: true } : {}), output: (b: Uint8Array) => hostChannels[i]?.fromGuest(b) })) }
        : {}),
      // runUntilDone yields to the event loop between slices: translations compile off the run loop
      jitAsync: true,
      ...opts.cfg, disks, ...(shares.length ? { shares } : {}),
      ...(net ? { netBackend: net, ...(opts.net!.mac ? { netMac: opts.net!.mac } : {}) } : {}),
      console: (bytes) => process.stdout.write(bytes),
      realTimeMs: () => Date.now(),
      ...(opts.profileTrace.profile !== undefined || opts.json !== undefined ? { profile: true } : {}),
      ...(trace ? { tracer: trace.tracer } : {}),
    }, () => { for (const d of disks) d.backend.close?.(); net?.close(); for (const s of shares) s.backend.close(); trace?.close(); });
    if (restoring) {
      try {
        restoreSnapshot(machine, restoring.snap);
      } catch (e) {
        for (const d of disks) d.backend.close?.();
        net?.close();
        throw e;
      }
      process.stderr.write(`rvkvm: resumed the VM saved in ${restorePath} (${machine.instructions} instructions in)\n`);
    }
    const snapshotSource: RunSnapshotSource = {
      machine, argv: machineArgv,
      disks: opts.diskFiles.map((spec, i) => ({ spec: { ...spec, snapshot: spec.snapshot || opts.snapshot === true }, backend: disks[i]?.backend ?? null })),
    };
    /** Ctrl-A s and the monitor's savevm: one line saying where the VM went, or why not */
    const saveNow = (path = opts.saveOnExit ?? DEFAULT_SNAPSHOT_FILE): string => {
      try {
        const r = saveRunSnapshot(snapshotSource, path);
        return `rvkvm: saved the VM to ${r.path} (${(r.bytes / 1e6).toFixed(1)} MB in ${(r.ms / 1000).toFixed(1)} s); it runs on`;
      } catch (e) {
        return `rvkvm: ${(e as Error).message}`;
      }
    };
    if (opts.dumpDtb) (await import('node:fs')).writeFileSync(opts.dumpDtb, machine.dtb);
    for (const w of machine.warnings) process.stderr.write(`rvkvm: warning: ${w}\n`);
    process.stderr.write(`rvkvm: ${machine.vcpus.length} vCPU(s), ISA ${machine.isaString}\n`);
    if (!machine.isaExtensions.includes('zicntr')) {
      process.stderr.write('rvkvm: warning: the vCPU has no Zicntr, so reading the time CSR traps; a Linux guest needs it (add _zicntr to --isa)\n');
    }

    const logLine = (msg: string): void => { process.stderr.write(`rvkvm: ${msg}\n`); };
    for (let i = 0; i < opts.channels.length; i++) {
      hostChannels[i] = await openChannel(opts.channels[i]!, (b) => machine.channelInput(i + 1, b), () => machine.channelPending(i + 1), logLine);
    }

    const abort = new AbortController();
    let gdb: { stub: GdbStub; server: GdbServer } | null = null;
    if (opts.gdb) {
      const log = (msg: string): void => { process.stderr.write(`rvkvm: ${msg}\n`); };
      const stub = new GdbStub(machine, { waitForAttach: opts.gdbWait === true, onKill: () => abort.abort(), log });
      gdb = { stub, server: await startGdbServer(stub, opts.gdb, log) };
      log(`gdb: listening on ${gdb.server.host}:${gdb.server.port}${opts.gdbWait ? ' (the guest waits for GDB to continue it)' : ''}`);
    }
    let ctrlA = false;
    let quitBy: 'escape' | 'monitor' | null = null;
    // the monitor's stop holds the run loop; the GDB stub behind it keeps its own holds and stops
    const monitor = new Monitor(machine, () => { quitBy ??= 'monitor'; abort.abort(); }, gdb?.stub ?? null);
    const monitorConsole = new MonitorConsole(monitor, (text) => process.stdout.write(text));
    monitor.add({
      name: 'savevm', args: '[FILE]', run: (_m, args) => saveNow(args[0]),
      help: `save the whole VM to FILE (default: the --save-on-exit file, else ./${DEFAULT_SNAPSHOT_FILE}); the run goes on`,
    });
    const onData = (chunk: Buffer): void => {
      if (interactive) {
        // QEMU's escape keys: Ctrl-A x quits (exit 0), Ctrl-A h lists the keys, Ctrl-A c switches between the
        // console and the monitor, Ctrl-A Ctrl-A sends Ctrl-A.
        const out: number[] = [];
        for (const b of chunk) {
          if (ctrlA) {
            ctrlA = false;
            if (b === 0x78 /* x */) { quitBy ??= 'escape'; abort.abort(); return; }
            if (b === 0x68 /* h */) process.stderr.write(ESCAPE_HELP);
            if (b === 0x73 /* s */) process.stderr.write(`\r\n${saveNow()}\r\n`); // event-loop callbacks run between run slices: a consistent point
            if (b === 0x63 /* c */) monitorConsole.toggle();
            if (b === 0x01) (monitorConsole.active ? monitorConsole.key(b) : out.push(0x01));
            continue;
          }
          if (b === 0x01) { ctrlA = true; continue; }
          if (monitorConsole.active) monitorConsole.key(b);
          else out.push(b);
        }
        machine.input(new Uint8Array(out));
      } else {
        machine.input(new Uint8Array(chunk));
      }
      holdInputWhileBacklogged();
    };
    // The console holds input until the guest reads it; a pipe that outruns the guest (cat big-file |) is
    // paused rather than buffered without bound.
    let inputPoll: ReturnType<typeof setInterval> | null = null;
    const holdInputWhileBacklogged = (): void => {
      if (inputPoll !== null || machine.pendingInput < INPUT_HIGH_WATER) return;
      stdin.pause();
      inputPoll = setInterval(() => {
        if (machine.pendingInput > INPUT_LOW_WATER) return;
        clearInterval(inputPoll!);
        inputPoll = null;
        stdin.resume();
      }, 20);
    };
    if (interactive) stdin.setRawMode(true);
    stdin.on('data', onData);
    stdin.on('error', () => {});
    let stopSignal: (typeof STOP_SIGNALS)[number] | null = null;
    const onSignal = (sig: (typeof STOP_SIGNALS)[number]): void => { stopSignal ??= sig; abort.abort(); };
    for (const s of STOP_SIGNALS) process.on(s, onSignal);


    const t0 = performance.now();
    const instructionsBefore = machine.instructions; // a resumed VM's count starts where it was saved
    let state: MachineState;
    let ended: MachineState | null = null; // for the finally block: null when the run loop threw
    try {
      state = await machine.runUntilDone({
        ...(opts.timeoutSec ? { timeoutMs: opts.timeoutSec * 1000 } : {}),
        signal: abort.signal,
        debugger: monitor,
      });
      ended = state;
      gdb?.stub.guestExited(state.kind === 'shutdown' || state.kind === 'reset' ? 0 : 1);
    } finally {
      await gdb?.server.close();
      for (const c of hostChannels) await c?.close();
      if (interactive) stdin.setRawMode(false);
      stdin.off('data', onData);
      if (inputPoll !== null) clearInterval(inputPoll);
      stdin.pause();
      (stdin as { unref?: () => void }).unref?.();
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
      // --save-on-exit: when the run was stopped (not when the guest ended: there is nothing to resume)
      const stopped = ended !== null && (quitBy !== null || stopSignal !== null || (ended.kind === 'error' && /^(timeout|stopped by the user)/.test(ended.message)));
      let finalOverlays: (Uint8Array | null)[] | null = null;
      if (opts.saveOnExit !== undefined && stopped) {
        try { finalOverlays = captureOverlays(snapshotSource); } catch (e) { process.stderr.write(`rvkvm: cannot save the VM: ${(e as Error).message}\n`); }
      }
      for (const d of disks) {
        try {
          d.backend.flush();
          d.backend.close?.();
        } catch (e) {
          process.stderr.write(`rvkvm: closing a disk failed: ${(e as Error).message}\n`);
        }
      }
      // after the disks are closed, so the identities recorded are final (closing may still write a qcow2 header)
      if (finalOverlays !== null) {
        try {
          const r = saveRunSnapshot(snapshotSource, opts.saveOnExit!, finalOverlays);
          process.stderr.write(`rvkvm: saved the VM to ${r.path} (${(r.bytes / 1e6).toFixed(1)} MB in ${(r.ms / 1000).toFixed(1)} s); resume it with: rvkvm run --restore ${opts.saveOnExit}\n`);
        } catch (e) {
          process.stderr.write(`rvkvm: ${(e as Error).message}\n`);
        }
      } else if (opts.saveOnExit !== undefined && ended !== null && !stopped) {
        process.stderr.write(`rvkvm: the guest ended (${ended.kind}); nothing saved to ${opts.saveOnExit}\n`);
      }
      net?.close();
      for (const s of shares) s.backend.close();
      trace?.close();
      const report = opts.profileTrace.profile !== undefined ? machine.profile() : null;
      if (report) {
        const path = opts.profileTrace.profile;
        if (path) (await import('node:fs')).writeFileSync(path, JSON.stringify(report, null, 2) + '\n');
        else process.stderr.write(formatProfileReport(report));
      }
    }
    const wall = (performance.now() - t0) / 1000;
    if (opts.stats) {
      const n = machine.instructions - instructionsBefore;
      process.stderr.write(`rvkvm: stats: instructions=${n} wall=${wall.toFixed(3)} mips=${(n / wall / 1e6).toFixed(1)}\n`);
      const jit = machine.translationStats();
      if (jit !== null) {
        process.stderr.write(`rvkvm: stats: translated pages=${jit.pages} instructions=${jit.instructions} ` +
          `wasm-bytes=${jit.bytes} compile-ms=${jit.compileMs.toFixed(0)} dropped=${jit.dropped} retranslated=${jit.retranslated} optimized=${jit.optimized}` +
          ` cache-hits=${jit.cacheHits} translated-share=${n > 0 ? (jit.retiredTranslated / n).toFixed(3) : '0'}` +
          ` page-walks=${jit.pageWalks} tlb-flushes=${jit.tlbFlushes} decoded-pages=${jit.decodedPages}` +
          (jit.failed > 0 ? ` failed=${jit.failed} (${jit.firstFailure ?? ''})` : '') + '\n');
      }
    }
    const end = exitOf(state, { stopSignal, panicked: machine.panicked, panicMessage: machine.panicMessage, quitBy });
    if (end.message !== undefined) process.stderr.write(`rvkvm: ${end.message}\n`);
    if (opts.json !== undefined) {
      writeRunSummary(opts.json, runSummary(machine, { reason: end.reason, status: end.status, ...(end.message !== undefined ? { message: end.message } : {}), wallSeconds: wall }));
    }
    return end.status;
  },
};

/** How the run ended: the exit status, its reason (the summary's exitReason) and the line saying so. */
function exitOf(state: MachineState, how: { stopSignal: (typeof STOP_SIGNALS)[number] | null; panicked: boolean; panicMessage: string; quitBy: 'escape' | 'monitor' | null }):
  { status: number; reason: ExitReason; message?: string } {
  if (how.stopSignal !== null) {
    return { status: 128 + osConstants.signals[how.stopSignal], reason: 'signal', message: `stopped by ${how.stopSignal}` };
  }
  if (how.panicked) return { status: 1, reason: 'panic', message: `the guest kernel panicked${how.panicMessage ? `: ${how.panicMessage}` : ''}` };
  if (how.quitBy === 'escape') return { status: 0, reason: 'escape', message: 'terminated (Ctrl-A x)' };
  if (how.quitBy === 'monitor') return { status: 0, reason: 'monitor-quit', message: 'terminated (monitor quit)' };
  switch (state.kind) {
    case 'shutdown': return { status: 0, reason: 'poweroff' };
    case 'reset': return { status: 0, reason: 'reset', message: 'the guest asked for a reboot; exiting' };
    case 'error': return { status: 1, reason: state.timeout ? 'timeout' : 'error', message: state.message };
    default: return { status: 1, reason: 'error', message: `internal error: the run ended while the machine was ${state.kind}` };
  }
}

export { INIT_MARKER };
