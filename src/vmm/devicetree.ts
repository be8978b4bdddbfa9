// Builds the guest's device tree from a machine description, laid out like kvmtool's RISC-V
// machine: one S-mode external interrupt context per hart on the PLIC, devices under /soc.
import { DeviceTree, FdtNode } from './fdt.js';
import { VmmError } from './errors.js';

export type MmuType = 'riscv,sv39' | 'riscv,sv48' | 'riscv,sv57';

export interface HartDescription {
  hartId: number;
  isaBase: 'rv64i';
  /** Canonical extension names for `riscv,isa-extensions` (built by the caller from the vCPU's state). */
  isaExtensions: readonly string[];
  /** The `riscv,isa` string (built by the caller with src/isa's formatter). */
  isaString: string;
  mmuType: MmuType;
  cbomBlockSize?: number;
  cbozBlockSize?: number;
  cbopBlockSize?: number;
}

export interface MachineDescription {
  harts: readonly HartDescription[];
  timebaseHz: number;
  memory: { base: number; size: number };
  bootargs: string;
  /** Defaults to the UART's node path. */
  stdoutPath?: string;
  initrd?: { start: number; end: number };
  plic: { base: number; size: number; ndev: number };
  uart: { base: number; irq: number; clockHz: number };
  virtio: readonly { base: number; size: number; irq: number }[];
  /** A goldfish real-time clock (as QEMU's virt machine has). */
  rtc?: { base: number; size: number; irq: number };
  rngSeed?: Uint8Array;
}

/** Interrupt number of the supervisor external interrupt in a hart's local interrupt controller. */
export const S_EXTERNAL_INTERRUPT = 9;

const hexName = (n: number): string => n.toString(16);

export function uartNodePath(m: Pick<MachineDescription, 'uart'>): string {
  return `/soc/serial@${hexName(m.uart.base)}`;
}

/** PLIC context index that drives `hartIndex`'s S-mode external interrupt (one context per hart). */
export function plicContextForHart(hartIndex: number): number {
  return hartIndex;
}

function validate(m: MachineDescription): void {
  const bad = (what: string): never => {
    throw new VmmError(`machine description: ${what}`);
  };
  if (m.harts.length === 0) bad('no harts');
  const ids = new Set<number>();
  for (const h of m.harts) {
    if (!Number.isInteger(h.hartId) || h.hartId < 0 || h.hartId > 0xffffffff) bad(`hart id ${h.hartId} is not a u32`);
    if (ids.has(h.hartId)) bad(`hart id ${h.hartId} appears twice`);
    ids.add(h.hartId);
    if (!h.isaString.startsWith('rv64')) bad(`hart ${h.hartId}: riscv,isa '${h.isaString}' does not start with rv64`);
  }
  if (!(m.timebaseHz > 0)) bad(`timebase ${m.timebaseHz} Hz`);
  if (!(m.memory.size > 0)) bad(`memory size ${m.memory.size}`);
  const irqs = [m.uart.irq, ...m.virtio.map((v) => v.irq), ...(m.rtc ? [m.rtc.irq] : [])];
  for (const irq of irqs) if (!Number.isInteger(irq) || irq < 1 || irq > m.plic.ndev) bad(`irq ${irq} outside PLIC sources 1..${m.plic.ndev}`);
  if (new Set(irqs).size !== irqs.length) bad('two devices share an irq');
  if (m.initrd && !(m.initrd.end > m.initrd.start)) bad('initrd end is not after its start');
}

/** Builds the DTB for `m`. Cells: #address-cells = #size-cells = 2 at the root and in /soc. */
export function buildDeviceTree(m: MachineDescription): Uint8Array {
  return buildDeviceTreeNodes(m).toBlob();
}

/** The same tree before serialisation (for callers that add nodes of their own). */
export function buildDeviceTreeNodes(m: MachineDescription): DeviceTree {
  validate(m);
  const dt = new DeviceTree();
  dt.bootCpuidPhys = m.harts[0].hartId;
  const root = dt.root;
  root.u32('#address-cells', 2).u32('#size-cells', 2).string('compatible', 'linux,dummy-virt').string('model', 'rvkvm');

  const chosen = root.addChild('chosen');
  chosen.string('bootargs', m.bootargs);
  chosen.string('stdout-path', m.stdoutPath ?? uartNodePath(m));
  if (m.initrd) chosen.u64('linux,initrd-start', m.initrd.start).u64('linux,initrd-end', m.initrd.end);
  if (m.rngSeed) chosen.bytes('rng-seed', m.rngSeed);

  root.addChild(`memory@${hexName(m.memory.base)}`).string('device_type', 'memory').u64('reg', m.memory.base, m.memory.size);

  const cpus = root.addChild('cpus');
  cpus.u32('#address-cells', 1).u32('#size-cells', 0).u32('timebase-frequency', m.timebaseHz);
  const intcPhandles: number[] = [];
  for (const h of m.harts) {
    const cpu = cpus.addChild(`cpu@${hexName(h.hartId)}`);
    cpu.string('device_type', 'cpu').u32('reg', h.hartId).string('status', 'okay').string('compatible', 'riscv');
    cpu.string('riscv,isa', h.isaString).string('riscv,isa-base', h.isaBase).strings('riscv,isa-extensions', h.isaExtensions);
    cpu.string('mmu-type', h.mmuType);
    if (h.cbomBlockSize !== undefined) cpu.u32('riscv,cbom-block-size', h.cbomBlockSize);
    if (h.cbozBlockSize !== undefined) cpu.u32('riscv,cboz-block-size', h.cbozBlockSize);
    if (h.cbopBlockSize !== undefined) cpu.u32('riscv,cbop-block-size', h.cbopBlockSize);
    const intc = cpu.addChild('interrupt-controller');
    intc.u32('#address-cells', 0).u32('#interrupt-cells', 1).empty('interrupt-controller').string('compatible', 'riscv,cpu-intc');
    intcPhandles.push(dt.phandle(intc));
  }

  const soc = root.addChild('soc');
  soc.u32('#address-cells', 2).u32('#size-cells', 2).string('compatible', 'simple-bus').empty('ranges');

  const plic = soc.addChild(`plic@${hexName(m.plic.base)}`);
  plic.strings('compatible', ['sifive,plic-1.0.0', 'riscv,plic0']);
  plic.u32('#address-cells', 0).u32('#interrupt-cells', 1).empty('interrupt-controller');
  plic.u64('reg', m.plic.base, m.plic.size).u32('riscv,ndev', m.plic.ndev);
  // Context i is hart i's S-mode external interrupt, in hart order (see plicContextForHart).
  plic.u32('interrupts-extended', ...intcPhandles.flatMap((ph) => [ph, S_EXTERNAL_INTERRUPT]));
  const plicPhandle = dt.phandle(plic);

  const uart = soc.addChild(`serial@${hexName(m.uart.base)}`);
  uart.string('compatible', 'ns16550a').u64('reg', m.uart.base, 0x100).u32('clock-frequency', m.uart.clockHz);
  uart.u32('interrupts', m.uart.irq).u32('interrupt-parent', plicPhandle);

  if (m.rtc) {
    const rtc = soc.addChild(`rtc@${hexName(m.rtc.base)}`);
    rtc.string('compatible', 'google,goldfish-rtc').u64('reg', m.rtc.base, m.rtc.size);
    rtc.u32('interrupts', m.rtc.irq).u32('interrupt-parent', plicPhandle);
  }

  for (const v of m.virtio) {
    const node: FdtNode = soc.addChild(`virtio_mmio@${hexName(v.base)}`);
    node.string('compatible', 'virtio,mmio').u64('reg', v.base, v.size).empty('dma-coherent');
    node.u32('interrupts', v.irq).u32('interrupt-parent', plicPhandle);
  }
  return dt;
}
