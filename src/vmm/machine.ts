// Machine: the user-space half of a guest, as kvmtool builds it, on src/kvm's API only.
// It asks the KVM layer for a VM and vCPUs, sets their ISA with ONE_REG writes, builds the device tree
// from what the vCPU then reports, loads kernel/initrd/DTB into guest RAM, and serves MMIO and forwarded
// SBI exits with its devices. Runs unchanged in Node and in a browser (files arrive as Uint8Array).
import { extensionByName, formatDeviceTreeExtensions, formatIsaString, parseIsaString, splitImplemented } from '../isa/index.js';
import {
  KvmError, KvmHost, RegType, IsaSubtype, SbiExtSubtype, regId, KVM_SBI_EXT_NAMES, kvmIsaTable, describeTrapLoop,
  type KvmAbi, type Vcpu, type Vm, type VcpuExit, type SbiExit,
} from '../kvm/index.js';
import { mergeProfileReports, type InstructionTracer, type JitStats, type ProfileReport } from '../kvm/vcpu.js';
import { MmioBus } from './device.js';
import { buildDeviceTree, type MachineDescription } from './devicetree.js';
import { fdtProblem } from './fdt.js';
import { VmmError } from './errors.js';
import { parseImageHeader, placeKernel } from './image.js';
import { Plic } from './devices/plic.js';
import { Uart16550 } from './devices/uart16550.js';
import { GoldfishRtc } from './devices/goldfish-rtc.js';
import { VirtioMmio, type VirtioDeviceModel } from './devices/virtio-mmio.js';
import { VirtioBlk, type BlockBackend } from './devices/virtio-blk.js';
import { ReproducibleEntropy, VirtioRng } from './devices/virtio-rng.js';
import { VirtioNet, type NetBackend } from './devices/virtio-net.js';
import { UserNetBackend } from './devices/usernet.js';
import { VirtioConsole, type ConsolePort } from './devices/virtio-console.js';
import { Virtio9p } from './devices/virtio-9p.js';
import { NinepServer } from './ninep/server.js';
import type { FsBackend } from './ninep/backend.js';
import type { StateObject } from '../kvm/index.js';
import type { StateReader } from './snapshot/value.js';

/** Guest physical memory map (QEMU virt / kvmtool style). */
export const MEMORY_MAP = {
  plic: { base: 0x0c00_0000, size: 0x0400_0000 },
  rtc: { base: 0x0010_1000, size: 0x1000, irq: 11 },
  uart: { base: 0x1000_0000, size: 0x100, irq: 10 },
  virtio: { base: 0x1000_1000, stride: 0x1000, firstIrq: 1, max: 8 },
  ram: { base: 0x8000_0000 },
} as const;

/**
 * Where the real-time clock starts under `clock: 'icount'`: 2025-01-01T00:00:00Z, advanced by the guest's own
 * (instruction-counted) time, so every run of the same guest reads the same dates.
 */
export const ICOUNT_RTC_EPOCH_MS = 1_735_689_600_000;

export const DEFAULT_CMDLINE = 'console=ttyS0 earlycon=sbi panic=-1';
/** The default command line with the console on virtio-console (kvmtool's --console virtio). */
export const VIRTIO_CONSOLE_CMDLINE = 'console=hvc0 earlycon=sbi panic=-1';
const UART_CLOCK_HZ = 3_686_400;
const MiB = 1024 * 1024;
/** Work (instructions and traps) a vCPU runs before the step's deadline is checked again. A trap costs 1..6 us
 *  (more with --profile), so this bounds the check interval to about 0.3 s even when a guest only traps; an
 *  instruction costs 10..50 ns, so ordinary code pays nothing measurable for the finer round robin. */
const VCPU_SLICE = 50_000;
/**
 * While a vCPU's translation compiles in the background, a step ends after this much host time: the compiled
 * module reaches the hart only through the event loop, and until then the page runs in the interpreter (at some
 * 50 MIPS). With 20 ms steps the bundled kernel's boot to a busybox init ran 11 % of its instructions
 * interpreted (most of it waiting for installation), with this 6 % (synchronous compiles: 5 %), and reached init in
 * 6.1 s instead of 7.9 s (medians of 5). A step and the event loop turn after it cost ~12 us.
 */
const COMPILE_WAIT_MS = 1;
/** Under --clock icount, runUntilDone's step: a fixed number of instructions with no host-time bound, so where the
 *  guest is interrupted depends on its instructions alone and a run is reproducible (and so is a restored one). */
const ICOUNT_STEP = 2_000_000;

export interface MachineConfig {
  kernel: Uint8Array;
  initrd?: Uint8Array;
  cmdline?: string;
  /** Guest RAM in bytes (default 512 MiB). */
  memBytes?: number;
  /** Number of vCPUs (default 1). */
  smp?: number;
  /** The host CPU's ISA (what the software hart can execute); default: every extension rvkvm implements. */
  hostIsa?: string;
  /** VLEN of the host's vector unit (bits; default 128) */
  vlen?: number;
  /** ONE_REG ISA_EXT writes made before the first run, as kvmtool's --disable-<ext> / QEMU's ext=on|off. */
  enable?: readonly string[];
  disable?: readonly string[];
  /** rvkvm's opt-in past Linux: every extension may be disabled (default: Linux's rules). */
  allowDisableAny?: boolean;
  /** rvkvm's opt-in past Linux: the vCPUs get H (nested virtualization; VmOptions.nested). */
  nested?: boolean;
  abi?: KvmAbi;
  clock?: 'wall' | 'icount';
  /** translate hot guest code to WebAssembly (default true), after this many instructions in a page */
  jit?: boolean;
  jitHot?: number;
  /** compile translations off the run loop (runUntilDone lets them in between slices; default false) */
  jitAsync?: boolean;
  /**
   * The host's real time in ms since the Unix epoch (Date.now() in Node and browsers), which the RTC shows the
   * guest under the wall clock; ignored under icount (see ICOUNT_RTC_EPOCH_MS). Default Date.now.
   */
  realTimeMs?: () => number;
  /** virtio-blk disks; `serial` is what the guest's GET_ID returns (default 'rvkvm-disk'). */
  disks?: readonly (BlockBackend | { backend: BlockBackend; serial?: string })[];
  /** a virtio-net with the user-mode stack and no host sockets (a browser: DHCP, ARP, ping, nothing outbound) */
  net?: boolean;
  /** a virtio-net on this backend (e.g. a UserNetBackend with a host SocketProvider); implies `net` */
  netBackend?: NetBackend;
  /** the virtio-net's MAC address (default 52:54:00:12:34:56, QEMU's) */
  netMac?: string;
  rng?: boolean;
  /**
   * Which device is the guest's console (input from input(), output to `console`): the 16550 UART (ttyS0,
   * default) or virtio-console port 0 (hvc0), as kvmtool's --console serial|virtio.
   */
  consoleDevice?: 'serial' | 'virtio';
  /** Extra virtio-console ports (the guest's /dev/vport0p1, ...), each a byte channel to the host. */
  channels?: readonly ConsolePort[];
  /** Folders shared over virtio-9p (9P2000.L), each under its mount tag; `readOnly` refuses writes (EROFS). */
  shares?: readonly SharedFolder[];
  /** A device tree to use instead of the generated one. */
  dtb?: Uint8Array;
  /** Every byte the guest writes to its console (UART and SBI debug console). */
  console: (bytes: Uint8Array) => void;
  /** Count retired instructions per extension / mode and illegal traps on every vCPU (Machine.profile()). */
  profile?: boolean;
  /** Trace every vCPU's retired instructions into this tracer (slower run path); the caller flushes it. */
  tracer?: InstructionTracer;
}

/** One device of the machine as Machine.deviceSummary() reports it. */
export interface DeviceSummary {
  name: string;
  base: number;
  irq?: number;
  detail: string;
  counters: Record<string, number>;
}

/** virtio device ids (virtio 1.x section 5) as the summary names them */
const VIRTIO_NAMES: Record<number, string> = { 1: 'virtio-net', 2: 'virtio-blk', 3: 'virtio-console', 4: 'virtio-rng', 9: 'virtio-9p' };

export interface SharedFolder {
  tag: string;
  backend: FsBackend;
  readOnly?: boolean;
}

export type MachineState =
  | { kind: 'running' }
  | { kind: 'idle'; sleepMs: number | null }
  | { kind: 'shutdown' }
  | { kind: 'reset' }
  /** `timeout`: runUntilDone's timeoutMs passed (the guest did not fail; it ran too long) */
  | { kind: 'error'; message: string; timeout?: true }
  /** A vCPU stopped for a debugger (KVM_EXIT_DEBUG): at a breakpoint, before executing pc, or after one step. */
  | { kind: 'debug'; vcpu: number; pc: bigint; cause: 'breakpoint' | 'step' };

/** A debugger (e.g. the GDB stub) attached to runUntilDone's loop. */
export interface MachineDebugger {
  /** Asked before each slice: a promise while the debugger holds the guest stopped (the loop awaits it), else null. */
  hold(): Promise<void> | null;
  /** A vCPU reported a DEBUG exit; the loop asks hold() next. */
  debugStop(state: Extract<MachineState, { kind: 'debug' }>): void;
}

/** One ONE_REG ISA_EXT write that the KVM layer refused (name, wanted value, errno). */
export interface IsaWriteFailure {
  extension: string;
  enable: boolean;
  errno: string;
  message: string;
}

const UNMAPPED_REPORTS_PER_SECOND = 10, UNMAPPED_ADDRESSES_KEPT = 4096;

/** Guest RAM without MachineConfig.memBytes; at most MAX_MEM_BYTES (the hart's memory holds 4 GiB in all). */
export const DEFAULT_MEM_BYTES = 512 * MiB, MAX_MEM_BYTES = 3 * 1024 * MiB;

export class Machine {
  readonly host: KvmHost;
  readonly vm: Vm;
  readonly vcpus: readonly Vcpu[];
  readonly bus = new MmioBus();
  readonly uart: Uart16550;
  readonly plic: Plic;
  readonly rtc: GoldfishRtc;
  /** virtio-console, when the console is on it or host channels were asked for. */
  readonly virtioConsole: VirtioConsole | null;
  readonly consoleDevice: 'serial' | 'virtio';
  readonly virtio: readonly VirtioMmio[];
  readonly dtb: Uint8Array;
  readonly description: MachineDescription | null;
  /** The vCPU ISA after the ONE_REG writes, as the guest is told it. */
  readonly isaString: string;
  readonly isaExtensions: readonly string[];
  readonly kernelEntry: number;
  /** guest RAM: MEMORY_MAP.ram.base and this many bytes */
  readonly memBytes: number;
  private readonly consoleOut: (bytes: Uint8Array) => void;
  /** the console's current unfinished line (for the kernel panic watch) */
  private consoleLine = '';
  private readonly consoleDecoder = new TextDecoder();
  /** Set when the console showed a kernel panic ("Kernel panic - not syncing: <panicMessage>"). */
  panicked = false;
  panicMessage = '';
  private finished: MachineState | null = null;
  /** Things the user asked for that the machine does not give (e.g. the unimplemented part of a profile). */
  readonly warnings: string[] = [];

  constructor(cfg: MachineConfig) {
    const memBytes = cfg.memBytes ?? DEFAULT_MEM_BYTES;
    const smp = cfg.smp ?? 1;
    if (!Number.isInteger(memBytes) || memBytes < 16 * MiB || memBytes % (2 * MiB) !== 0 || memBytes > MAX_MEM_BYTES) {
      throw new VmmError(`memory size ${memBytes} bytes: must be a multiple of 2 MiB between 16 MiB and 3 GiB`);
    }
    if (!Number.isInteger(smp) || smp < 1 || smp > 32) throw new VmmError(`--smp ${smp}: must be 1..32`);
    this.consoleOut = cfg.console;
    this.memBytes = memBytes;

    let hostExtensions = cfg.hostIsa !== undefined ? parseIsaString(cfg.hostIsa).extensions : undefined;
    const hostSpec = cfg.hostIsa !== undefined ? parseIsaString(cfg.hostIsa) : undefined;
    if (hostSpec?.profile) {
      // A profile names what the machine should be; the "hardware" gets the part rvkvm's hart executes, and
      // the rest is said out loud rather than silently missing.
      const { implemented, lacking } = splitImplemented(hostSpec.extensions);
      hostExtensions = implemented;
      if (lacking.length) this.warnings.push(`${hostSpec.profile.name}: rvkvm's hart does not implement ${lacking.join(' ')}; the vCPU gets the rest of the profile`);
    }
    this.host = new KvmHost({ ...(hostExtensions ? { extensions: hostExtensions } : {}), ...(cfg.vlen !== undefined ? { vlen: cfg.vlen } : {}) });
    this.vm = this.host.createVm({
      abi: cfg.abi, allowDisableAny: cfg.allowDisableAny, nested: cfg.nested, clock: cfg.clock, jit: cfg.jit, jitHot: cfg.jitHot, jitAsync: cfg.jitAsync, maxRamBytes: memBytes,
    });
    const ramBase = MEMORY_MAP.ram.base;
    this.vm.setUserMemoryRegion({ slot: 0, guestPhysAddr: ramBase, memorySize: memBytes });

    const vcpus: Vcpu[] = [];
    for (let i = 0; i < smp; i++) vcpus.push(this.vm.createVcpu(i));
    this.vcpus = vcpus;
    for (const vcpu of vcpus) {
      this.configureIsa(vcpu, cfg.enable ?? [], cfg.disable ?? []);
      // kvmtool turns on the SBI debug console (KVM leaves it off) so earlycon=sbi works.
      this.setSbiExt(vcpu, 'DBCN', true);
      if (cfg.profile) vcpu.setProfiling(true);
      if (cfg.tracer) vcpu.setTracer(cfg.tracer);
    }
    const enabled = this.enabledExtensions(vcpus[0]!);
    const spec = { xlen: 64 as const, base: 'i' as const, extensions: new Set(enabled) };
    this.isaString = formatIsaString(spec);
    this.isaExtensions = formatDeviceTreeExtensions(spec);

    // Devices. The PLIC drives each vCPU's S-level external interrupt (KVM_INTERRUPT).
    this.plic = new Plic({
      base: MEMORY_MAP.plic.base, size: MEMORY_MAP.plic.size, ndev: 31, contexts: smp,
      onContextChange: (ctx, level) => this.vcpus[ctx]?.interrupt(level),
    });
    this.bus.add(this.plic);
    this.uart = new Uart16550({
      base: MEMORY_MAP.uart.base, size: MEMORY_MAP.uart.size, irq: this.plic.irqLine(MEMORY_MAP.uart.irq),
      output: (bytes) => this.writeConsole(bytes),
    });
    this.bus.add(this.uart);
    this.rtc = new GoldfishRtc({
      base: MEMORY_MAP.rtc.base, size: MEMORY_MAP.rtc.size, irq: this.plic.irqLine(MEMORY_MAP.rtc.irq),
      nowNs: this.rtcSource(cfg),
    });
    this.bus.add(this.rtc);
    // DMA view of guest RAM for virtio: writes must drop any code the hart decoded there.
    const dma = { ram: (gpa: number, len: number) => this.vm.ram(gpa, len), invalidate: (gpa: number, len: number) => this.vm.memory.invalidate(gpa, len) };
    const models: VirtioDeviceModel[] = [];
    /** what the run summary says about each model, beside its type */
    const details: string[] = [];
    for (const disk of cfg.disks ?? []) {
      models.push('backend' in disk ? new VirtioBlk(disk.backend, disk.serial) : new VirtioBlk(disk));
      details.push(`serial ${('backend' in disk ? disk.serial : undefined) ?? 'rvkvm-disk'}`);
    }
    if (cfg.netBackend || cfg.net) {
      models.push(new VirtioNet(cfg.netBackend ?? new UserNetBackend(), cfg.netMac));
      details.push(`mac ${cfg.netMac ?? '52:54:00:12:34:56'}`);
    }
    // under icount the guest's entropy is reproducible too (ReproducibleEntropy): its random pool steers its code
    const entropy = cfg.clock === 'icount' ? new ReproducibleEntropy() : null;
    if (cfg.rng ?? true) { models.push(new VirtioRng(entropy ?? undefined)); details.push(''); }
    this.consoleDevice = cfg.consoleDevice ?? 'serial';
    const channels = cfg.channels ?? [];
    this.virtioConsole = this.consoleDevice === 'virtio' || channels.length > 0
      ? new VirtioConsole([{ output: (bytes) => this.writeConsole(bytes) }, ...channels])
      : null;
    if (this.virtioConsole) {
      models.push(this.virtioConsole);
      details.push(`${this.consoleDevice === 'virtio' ? 'the console (hvc0)' : 'no console'}${channels.length ? `, ${channels.length} channel(s): ${channels.map((c) => c.name).join(' ')}` : ''}`);
    }
    for (const share of cfg.shares ?? []) {
      if ((cfg.shares ?? []).filter((s) => s.tag === share.tag).length > 1) throw new VmmError(`9p mount tag '${share.tag}' is used twice`);
      models.push(new Virtio9p(share.tag, new NinepServer(share.backend, { readOnly: share.readOnly === true })));
      details.push(`mount tag ${share.tag}${share.readOnly ? ', read-only' : ''}`);
    }
    this.virtioDetails = details;
    if (models.length > MEMORY_MAP.virtio.max) throw new VmmError(`too many virtio devices (${models.length}, at most ${MEMORY_MAP.virtio.max})`);
    this.virtio = models.map((device, i) => {
      const dev = new VirtioMmio({
        name: VIRTIO_NAMES[device.deviceId] ?? `virtio-${device.deviceId}`,
        base: MEMORY_MAP.virtio.base + i * MEMORY_MAP.virtio.stride, size: MEMORY_MAP.virtio.stride,
        irq: this.plic.irqLine(MEMORY_MAP.virtio.firstIrq + i), ram: dma, device,
      });
      this.bus.add(dev);
      return dev;
    });
    for (const dev of this.bus.list()) this.vm.addMmioWindow(dev.base, dev.size);

    // Kernel, initrd and device tree in RAM: kernel low, DTB at the top, initrd below it.
    const header = parseImageHeader(cfg.kernel);
    const ram = { base: ramBase, size: memBytes };
    const kernel = placeKernel(header, ram);
    this.vm.ram(kernel.loadAddress, cfg.kernel.length).set(cfg.kernel);
    this.kernelEntry = kernel.loadAddress;
    const dtbMax = 64 * 1024;
    const dtbAddr = ramBase + memBytes - 2 * MiB;
    let initrd: { start: number; end: number } | undefined;
    if (cfg.initrd) {
      const start = Math.floor((dtbAddr - cfg.initrd.length) / 4096) * 4096;
      if (start < kernel.end) {
        throw new VmmError(`initrd of ${cfg.initrd.length} bytes does not fit in RAM between the kernel (ends 0x${kernel.end.toString(16)}) and the device tree; give more memory`);
      }
      this.vm.ram(start, cfg.initrd.length).set(cfg.initrd);
      initrd = { start, end: start + cfg.initrd.length };
    }
    if (cfg.dtb) {
      const problem = fdtProblem(cfg.dtb);
      if (problem !== null) throw new VmmError(`the device tree given (MachineConfig.dtb) is not a device tree blob: ${problem}`);
      this.description = null;
      this.dtb = cfg.dtb;
    } else {
      this.description = {
        harts: vcpus.map((v) => ({
          hartId: v.id, isaBase: 'rv64i' as const, isaString: this.isaString, isaExtensions: this.isaExtensions,
          mmuType: 'riscv,sv57' as const,
          ...(enabled.includes('zicbom') ? { cbomBlockSize: this.configReg(v, 1) } : {}),
          ...(enabled.includes('zicboz') ? { cbozBlockSize: this.configReg(v, 5) } : {}),
          ...(enabled.includes('zicbop') ? { cbopBlockSize: 64 } : {}),
        })),
        timebaseHz: this.host.timebaseHz,
        memory: ram,
        bootargs: cfg.cmdline ?? (this.consoleDevice === 'virtio' ? VIRTIO_CONSOLE_CMDLINE : DEFAULT_CMDLINE),
        ...(initrd ? { initrd } : {}),
        plic: { base: MEMORY_MAP.plic.base, size: MEMORY_MAP.plic.size, ndev: 31 },
        uart: { base: MEMORY_MAP.uart.base, irq: MEMORY_MAP.uart.irq, clockHz: UART_CLOCK_HZ },
        virtio: this.virtio.map((d, i) => ({ base: d.base, size: d.size, irq: MEMORY_MAP.virtio.firstIrq + i })),
        rtc: { base: MEMORY_MAP.rtc.base, size: MEMORY_MAP.rtc.size, irq: MEMORY_MAP.rtc.irq },
        rngSeed: entropy ? deterministicSeed(entropy) : crypto.getRandomValues(new Uint8Array(32)),
      };
      this.dtb = buildDeviceTree(this.description);
    }
    if (this.dtb.length > dtbMax) throw new VmmError(`device tree of ${this.dtb.length} bytes is larger than ${dtbMax}`);
    this.vm.ram(dtbAddr, this.dtb.length).set(this.dtb);

    // Boot protocol: vCPU 0 enters the Image in S-mode, MMU off, a0 = hart id, a1 = DTB.
    const boot = vcpus[0]!;
    boot.setOneReg(regId(RegType.CORE, 0, 0), BigInt(kernel.loadAddress));
    boot.setOneReg(regId(RegType.CORE, 0, 10), 0n);
    boot.setOneReg(regId(RegType.CORE, 0, 11), BigInt(dtbAddr));
  }

  /** The RTC's time source: host real time, or under icount the fixed epoch plus the guest's own time. */
  private rtcSource(cfg: MachineConfig): () => bigint {
    if (cfg.clock === 'icount') {
      const epochNs = BigInt(ICOUNT_RTC_EPOCH_MS) * 1_000_000n;
      const hz = BigInt(this.host.timebaseHz);
      return () => epochNs + (this.vcpus[0]!.guestTime() * 1_000_000_000n) / hz;
    }
    const realTimeMs = cfg.realTimeMs ?? (() => Date.now());
    return () => {
      const ms = realTimeMs();
      const whole = Math.floor(ms);
      return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
    };
  }

  /** Sets the vCPU's ISA_EXT registers: enable/disable lists, like kvmtool's options. Refusals are errors. */
  private configureIsa(vcpu: Vcpu, enable: readonly string[], disable: readonly string[]): void {
    const failures: IsaWriteFailure[] = [];
    const write = (name: string, on: boolean): void => {
      const row = extensionByName(name);
      if (!row) throw new VmmError(`unknown extension '${name}' (see 'rvkvm isa --list')`);
      if (row.kvm === null || row.kvm === undefined) {
        throw new VmmError(`extension '${name}' has no KVM ISA_EXT register, so it cannot be ${on ? 'enabled' : 'disabled'} per vCPU`);
      }
      const id = regId(RegType.ISA_EXT, IsaSubtype.SINGLE, row.kvm.id);
      try {
        vcpu.setOneReg(id, on ? 1n : 0n);
      } catch (e) {
        if (!(e instanceof KvmError)) throw e;
        failures.push({ extension: name, enable: on, errno: e.errnoName, message: e.message });
      }
    };
    for (const n of enable) write(n, true);
    for (const n of disable) write(n, false);
    if (failures.length > 0) throw new IsaConfigError(failures, this.vm.allowDisableAny);
  }

  private setSbiExt(vcpu: Vcpu, name: string, on: boolean): void {
    const idx = KVM_SBI_EXT_NAMES.indexOf(name);
    vcpu.setOneReg(regId(RegType.SBI_EXT, SbiExtSubtype.SINGLE, idx), on ? 1n : 0n);
  }

  private configReg(vcpu: Vcpu, index: number): number {
    return Number(vcpu.getOneReg(regId(RegType.CONFIG, 0, index)));
  }

  /** Reads every ISA_EXT register the vCPU has (as kvmtool does to build riscv,isa). */
  private enabledExtensions(vcpu: Vcpu): string[] {
    const names: string[] = [];
    for (const ext of kvmIsaTable(this.vm.abi)) {
      if (!ext) continue;
      let on: bigint;
      try {
        on = vcpu.getOneReg(regId(RegType.ISA_EXT, IsaSubtype.SINGLE, ext.kvmId));
      } catch (e) {
        if (e instanceof KvmError && e.errnoName === 'ENOENT') continue; // the host lacks it
        throw e;
      }
      if (on === 1n) names.push(ext.name);
    }
    return names;
  }

  /** The execution profile summed over all vCPUs (rvkvm run --profile); null unless MachineConfig.profile was set. */
  profile(): ProfileReport | null {
    const reports = this.vcpus.map((v) => v.executionProfile()).filter((r): r is ProfileReport => r !== null);
    return reports.length === 0 ? null : mergeProfileReports(reports);
  }

  /** What the vCPUs' translators to WebAssembly did, summed (null when the harts have none). */
  translationStats(): JitStats | null {
    let sum: JitStats | null = null;
    for (const v of this.vcpus) {
      const s = v.translationStats();
      if (s === null) continue;
      if (sum === null) { sum = { ...s }; continue; }
      // every counter is a number: sum them all, so a counter added to JitStats is summed too
      const acc = sum as unknown as Record<string, number>, add = s as unknown as Record<string, number>;
      for (const k of Object.keys(add)) if (typeof add[k] === 'number') acc[k] = (acc[k] ?? 0) + add[k]!;
      if (s.firstFailure !== undefined) sum.firstFailure ??= s.firstFailure;
    }
    return sum;
  }

  /** Guest instructions retired so far, over all vCPUs. */
  get instructions(): number {
    let n = 0;
    for (const v of this.vcpus) n += v.instructionsRetired;
    return n;
  }

  /** The machine's own state beyond its devices (snapshots): the console's unfinished line and the panic watch. */
  saveState(): StateObject {
    return { consoleLine: this.consoleLine, panicked: this.panicked, panicMessage: this.panicMessage, finished: this.finished ? this.finished.kind : null };
  }

  loadState(r: StateReader): void {
    this.consoleLine = r.str('consoleLine');
    this.panicked = r.bool('panicked');
    this.panicMessage = r.str('panicMessage');
  }

  /** A restore failed part way: nothing of this machine may run. */
  markBroken(message: string): void {
    this.finished = { kind: 'error', message };
  }

  /** Host keyboard / pipe input for the guest console. */
  input(bytes: Uint8Array): void {
    this.consoleCounters.bytesIn += bytes.length;
    if (this.consoleDevice === 'virtio') this.virtioConsole!.push(0, bytes);
    else this.uart.push(bytes);
  }

  /** Console input the guest has not read yet; a host with more to send waits while this is large. */
  get pendingInput(): number {
    return this.consoleDevice === 'virtio' ? this.virtioConsole!.pending(0) : this.uart.pendingInput;
  }

  /** Host bytes for virtio-console channel `n` (1 = MachineConfig.channels[0], the guest's /dev/vport0p1). */
  channelInput(n: number, bytes: Uint8Array): void {
    if (!this.virtioConsole || n < 1 || n > (this.virtioConsole.queueMaxSizes.length - 2) / 2) throw new VmmError(`no virtio-console channel ${n}`);
    this.virtioConsole.push(n, bytes);
  }

  /** Bytes of channel `n`'s host input the guest has not read yet. */
  channelPending(n: number): number {
    return this.virtioConsole?.pending(n) ?? 0;
  }

  /**
   * What the machine has, for the run summary (--json) and the monitor's info devices: each device with its
   * window, interrupt and counters (virtio: chains used, bytes each way, notifications, interrupts).
   */
  deviceSummary(): DeviceSummary[] {
    const out: DeviceSummary[] = [
      { name: 'uart16550', base: this.uart.base, irq: MEMORY_MAP.uart.irq, detail: this.consoleDevice === 'serial' ? 'the console (ttyS0)' : '',
        counters: this.consoleDevice === 'serial' ? { ...this.consoleCounters } : {} },
      { name: 'goldfish-rtc', base: this.rtc.base, irq: MEMORY_MAP.rtc.irq, detail: '', counters: {} },
      { name: 'plic', base: this.plic.base, detail: `${this.vcpus.length} context(s)`, counters: {} },
    ];
    this.virtio.forEach((d, i) => {
      const console = d.device === this.virtioConsole && this.consoleDevice === 'virtio' ? this.consoleCounters : {};
      // a model's own counters (virtio-net: frames each way, drops, TSO frames) beside the transport's
      const own = (d.device as { stats?: Record<string, number> }).stats ?? {};
      out.push({ name: d.name, base: d.base, irq: MEMORY_MAP.virtio.firstIrq + i, detail: this.virtioDetails[i] ?? '', counters: { ...d.counters, ...own, ...console } });
    });
    return out;
  }

  private readonly virtioDetails: readonly string[];
  /** console bytes (on the device that is the console; SBI debug-console output too): what the guest wrote, what the host gave it */
  private readonly consoleCounters = { bytesOut: 0, bytesIn: 0 };

  private writeConsole(bytes: Uint8Array): void {
    this.consoleCounters.bytesOut += bytes.length;
    this.consoleOut(bytes);
    const lines = (this.consoleLine + this.consoleDecoder.decode(bytes, { stream: true })).split('\n');
    this.consoleLine = lines.pop()!.slice(-1024);
    for (const line of lines) this.watchPanic(line);
  }

  /**
   * A kernel panic shows on the console and, only sometimes, in a signal: with panic=-1 (the default command line)
   * Linux resets through SBI SRST at once, but with the same reason as a reboot, and a panic before the command line
   * is parsed (e.g. too little RAM for the memory map) uses the built-in panic timeout 0: the kernel prints its
   * report, ends it with "---[ end Kernel panic - not syncing: ... ]---" and spins forever. So the console is
   * watched: the first panic line marks the machine as panicked (a reset that follows is the panic's), and the end
   * line, which Linux prints only when it will never reset, finishes the machine.
   */
  private watchPanic(line: string): void {
    const MARK = 'Kernel panic - not syncing';
    const k = line.indexOf(MARK);
    if (k < 0) return;
    if (!this.panicked) {
      this.panicked = true;
      this.panicMessage = line.slice(k + MARK.length).replace(/^:\s*/, '').replace(/\s*\]---\s*$/, '').trim();
    }
    if (line.includes('---[ end ' + MARK)) {
      this.finished ??= { kind: 'error', message: `the guest kernel panicked${this.panicMessage ? `: ${this.panicMessage}` : ''}` };
    }
  }

  /**
   * Runs the vCPUs for up to `instructions` guest instructions (traps count as instructions, so a guest that only
   * traps uses them up too) or about `maxMs` of host time (COMPILE_WAIT_MS while a translation compiles), serving
   * every exit on the way.
   * Returns what the machine is doing now: still running, idle (waiting for its timer or input), or done.
   */
  step(instructions = 2_000_000, maxMs = 100): MachineState {
    if (this.finished) return this.finished;
    this.rtc.poll();
    let left = instructions;
    const start = globalThis.performance.now(), deadline = start + maxMs;
    // a step with no host-time bound (icount: reproducible) does not end for compiles either
    const compileWaitOver = (): boolean => maxMs !== Infinity && globalThis.performance.now() - start >= COMPILE_WAIT_MS &&
      this.vcpus.some((v) => v.translationsCompiling > 0);
    while (left > 0) {
      const before = this.workDone;
      const { vcpu, exit } = this.vm.runAll({ maxInstructions: left, sliceInstructions: Math.min(VCPU_SLICE, left), deadline, until: compileWaitOver });
      left -= Math.max(1, this.workDone - before);
      const state = this.handle(exit, vcpu);
      if (state) return state;
      if (this.finished) return this.finished; // a device saw the end (the console showed a kernel panic)
      if (globalThis.performance.now() >= deadline || compileWaitOver()) break;
    }
    return { kind: 'running' };
  }

  private get workDone(): number {
    let n = 0;
    for (const v of this.vcpus) n += v.workDone;
    return n;
  }

  private handle(exit: VcpuExit, vcpu: Vcpu | null): MachineState | null {
    switch (exit.reason) {
      case 'mmio': {
        const m = exit.mmio;
        try {
          this.bus.access(m.physAddr, m.len, m.isWrite, m.data);
        } catch (e) {
          // No device decodes this address (or the access does not fit it): reads see zeros, writes are dropped,
          // as kvmtool does; the guest runs on. Reported once per address, at a bounded rate.
          if (!m.isWrite) m.data.fill(0);
          this.reportUnmapped(m.physAddr, `guest ${m.isWrite ? 'write to' : 'read from'} unmapped MMIO 0x${m.physAddr.toString(16)}: ${(e as Error).message} (${m.isWrite ? 'dropped' : 'reads 0'})`);
        }
        return null;
      }
      case 'riscv_sbi':
        this.forwardedSbi(exit);
        return null;
      case 'system_event':
        return (this.finished = exit.type === 1 ? { kind: 'shutdown' } : { kind: 'reset' });
      case 'internal_error': {
        const t = exit.trap;
        if (exit.trapLoop) return (this.finished = { kind: 'error', message: `vCPU ${vcpu?.id ?? 0}: ${describeTrapLoop(exit.trapLoop)}` });
        return (this.finished = {
          kind: 'error',
          message: `vCPU stopped on a trap the hypervisor cannot handle: cause ${t.cause}, tval 0x${t.tval.toString(16)}, pc 0x${t.pc.toString(16)}`,
        });
      }
      case 'debug':
        return { kind: 'debug', vcpu: vcpu?.id ?? 0, pc: exit.debug.pc, cause: exit.debug.cause };
      case 'intr':
        if (!exit.idle) return null;
        if (exit.idle.reason === 'stopped') {
          return (this.finished = { kind: 'error', message: 'every vCPU is stopped and nothing can wake them' });
        }
        return { kind: 'idle', sleepMs: exit.idle.sleepNs === null ? null : exit.idle.sleepNs / 1e6 };
    }
  }

  /** guest addresses reportUnmapped has told about (bounded: past the cap, repeats may be told again) */
  private readonly unmappedSeen = new Set<number>();
  private unmappedWindow = { start: -Infinity, told: 0, suppressed: 0 };

  /** At most UNMAPPED_REPORTS_PER_SECOND lines a second, each address once: a guest scanning memory cannot flood. */
  private reportUnmapped(addr: number, msg: string): void {
    if (this.unmappedSeen.has(addr)) return;
    if (this.unmappedSeen.size < UNMAPPED_ADDRESSES_KEPT) this.unmappedSeen.add(addr);
    const w = this.unmappedWindow, now = performance.now();
    if (now - w.start >= 1000) {
      if (w.suppressed > 0) this.writeConsole(new TextEncoder().encode(`\r\n[rvkvm: ${w.suppressed} more accesses to unmapped addresses not shown]\r\n`));
      this.unmappedWindow = { start: now, told: 0, suppressed: 0 };
    }
    if (this.unmappedWindow.told >= UNMAPPED_REPORTS_PER_SECOND) {
      if (this.unmappedWindow.suppressed++ === 0) {
        this.writeConsole(new TextEncoder().encode('\r\n[rvkvm: further unmapped accesses this second are not shown]\r\n'));
      }
      return;
    }
    this.unmappedWindow.told++;
    this.writeConsole(new TextEncoder().encode(`\r\n[rvkvm: ${msg}]\r\n`));
  }

  /** SBI calls KVM forwards to user space: the debug console (DBCN) and legacy console putchar. */
  private forwardedSbi(exit: SbiExit): void {
    const { extensionId: eid, functionId: fid, args } = exit.sbi;
    const SBI_SUCCESS = 0n;
    const SBI_ERR_INVALID_PARAM = -3n;
    if (eid === 0x4442434en) { // DBCN
      if (fid === 0n || fid === 1n) {
        const len = Number(args[0]!);
        const addr = Number(args[1]!);
        if (args[2] !== 0n || len < 0 || len > 1 << 20) { exit.sbi.ret = [SBI_ERR_INVALID_PARAM, 0n]; return; }
        let bytes: Uint8Array;
        try { bytes = this.vm.ram(addr, len); } catch { exit.sbi.ret = [SBI_ERR_INVALID_PARAM, 0n]; return; }
        if (fid === 0n) {
          this.writeConsole(bytes.slice());
          exit.sbi.ret = [SBI_SUCCESS, BigInt(len)];
        } else {
          exit.sbi.ret = [SBI_SUCCESS, 0n]; // console read: no buffered input on this path (the UART has it)
        }
        return;
      }
      if (fid === 2n) {
        this.writeConsole(new Uint8Array([Number(args[0]! & 0xffn)]));
        exit.sbi.ret = [SBI_SUCCESS, 0n];
        return;
      }
    }
    if (eid === 0x01n) { // legacy console putchar
      this.writeConsole(new Uint8Array([Number(args[0]! & 0xffn)]));
      exit.sbi.ret = [SBI_SUCCESS, 0n];
    }
    // anything else keeps KVM's pre-set SBI_ERR_NOT_SUPPORTED
  }

  /**
   * Runs until the guest powers off, resets, fails, or `timeoutMs` passes. Yields to the event loop between
   * slices so console input and timers get in; sleeps while every vCPU waits for an interrupt.
   */
  async runUntilDone(opts: {
    timeoutMs?: number; sliceMs?: number; signal?: AbortSignal; debugger?: MachineDebugger;
    /** called before every step, between run slices: where a snapshot may be taken (Ctrl-A s, a monitor) */
    betweenSteps?: () => void;
  } = {}): Promise<MachineState> {
    const start = performance.now();
    const sliceMs = opts.sliceMs ?? 20;
    const icount = this.vm.clock === 'icount';
    let sliceInstructions = icount ? ICOUNT_STEP : 500_000;
    for (;;) {
      if (opts.signal?.aborted) return { kind: 'error', message: 'stopped by the user' };
      opts.betweenSteps?.();
      const held = opts.debugger?.hold();
      if (held) { await untilAborted(held, opts.signal); continue; }
      if (opts.timeoutMs !== undefined && performance.now() - start > opts.timeoutMs) {
        return { kind: 'error', timeout: true, message: `timeout: the guest ran for ${(opts.timeoutMs / 1000).toFixed(1)} s without powering off` };
      }
      const t0 = performance.now();
      const state = this.step(sliceInstructions, icount ? Infinity : 2 * sliceMs);
      const took = performance.now() - t0;
      // Keep each slice near sliceMs of host time so input stays responsive (not under icount: see ICOUNT_STEP).
      if (state.kind === 'running' && took > 0 && !icount) {
        sliceInstructions = Math.max(10_000, Math.min(50_000_000, Math.round(sliceInstructions * (sliceMs / took))));
      }
      if (state.kind === 'running') { await yieldToEventLoop(); continue; }
      if (state.kind === 'debug') { opts.debugger?.debugStop(state); continue; }
      if (state.kind === 'idle') {
        const wait = state.sleepMs === null ? 10 : Math.min(10, Math.max(0, state.sleepMs));
        await new Promise((r) => setTimeout(r, wait));
        continue;
      }
      return state;
    }
  }
}

/** The device tree's rng-seed under icount: fixed, like the rest of a reproducible run's entropy. */
function deterministicSeed(entropy: ReproducibleEntropy): Uint8Array {
  const seed = new Uint8Array(32);
  entropy.source(seed);
  return seed;
}

/** Resolves when `p` does or when `signal` aborts (a debugger holding the guest must not block the user's stop). */
function untilAborted(p: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return p;
  return new Promise((resolve) => {
    const done = (): void => { signal.removeEventListener('abort', done); resolve(); };
    signal.addEventListener('abort', done);
    void p.then(done);
  });
}

/**
 * Lets console input, timers and messages in between run slices. setTimeout(0) would cost a millisecond or more
 * each time (5 % of a 20 ms slice): Node's setImmediate, else a MessageChannel round trip (browsers).
 */
const yieldToEventLoop: () => Promise<void> = (() => {
  const immediate = (globalThis as { setImmediate?: (cb: () => void) => unknown }).setImmediate;
  if (typeof immediate === 'function') return () => new Promise<void>((r) => { immediate(r); });
  if (typeof MessageChannel === 'function') {
    const waiting: (() => void)[] = [];
    const channel = new MessageChannel();
    channel.port1.onmessage = (): void => { waiting.shift()?.(); };
    return () => new Promise<void>((r) => { waiting.push(r); channel.port2.postMessage(0); });
  }
  return () => new Promise<void>((r) => setTimeout(r, 0));
})();

/** ONE_REG ISA_EXT writes that KVM refused, with what to do about it. */
export class IsaConfigError extends VmmError {
  constructor(readonly failures: readonly IsaWriteFailure[], allowDisableAny: boolean) {
    super(failures.map((f) => describeFailure(f, allowDisableAny)).join('\n'));
  }
}

function describeFailure(f: IsaWriteFailure, allowDisableAny: boolean): string {
  const row = extensionByName(f.extension);
  const kvmName = row?.kvm ? `KVM_RISCV_ISA_EXT_${f.extension.toUpperCase()}=${row.kvm.id}` : f.extension;
  if (!f.enable && f.errno === 'EINVAL' && !allowDisableAny) {
    return `cannot disable ${f.extension}: under KVM's rules ${kvmName} is not disable-allowed (KVM_SET_ONE_REG gives EINVAL). ` +
      `rvkvm's software hart can hide it anyway: add --allow-disable-any (strict mode) to opt in.`;
  }
  if (f.enable && f.errno === 'ENOENT') {
    return `cannot enable ${f.extension}: the host CPU does not have it (${kvmName} register does not exist, ENOENT); add it to the host ISA (rvkvm run --isa)`;
  }
  return `cannot ${f.enable ? 'enable' : 'disable'} ${f.extension} (${kvmName}): ${f.errno}: ${f.message}`;
}

