// virtio-mmio transport, version 2 ("modern", virtio 1.x section 4.2.2): the register window a
// Linux guest's virtio_mmio driver talks to, on top of which a device model runs its queues.
import type { GuestRam, IrqLine, MmioDevice } from '../device.js';
import { NO_IRQ } from '../device.js';
import { VmmError } from '../errors.js';
import { newQueueCounters, Virtqueue, type QueueCounters } from './virtqueue.js';
import type { StateObject } from '../../kvm/index.js';
import type { StateReader } from '../snapshot/value.js';

export const VIRTIO_MMIO_MAGIC = 0x74726976; // "virt"
/** Our vendor id: "RVKM" read as a little-endian u32. */
export const VIRTIO_VENDOR_ID = 0x4d4b5652;

export const VIRTIO_F_INDIRECT_DESC = 28n;
export const VIRTIO_F_RING_EVENT_IDX = 29n;
export const VIRTIO_F_VERSION_1 = 32n;

export const STATUS_ACKNOWLEDGE = 1;
export const STATUS_DRIVER = 2;
export const STATUS_DRIVER_OK = 4;
export const STATUS_FEATURES_OK = 8;
export const STATUS_NEEDS_RESET = 64;
export const STATUS_FAILED = 128;

export const INTERRUPT_USED_BUFFER = 1;
export const INTERRUPT_CONFIG_CHANGE = 2;

const REG = {
  MagicValue: 0x000, Version: 0x004, DeviceID: 0x008, VendorID: 0x00c,
  DeviceFeatures: 0x010, DeviceFeaturesSel: 0x014, DriverFeatures: 0x020, DriverFeaturesSel: 0x024,
  QueueSel: 0x030, QueueNumMax: 0x034, QueueNum: 0x038, QueueReady: 0x044, QueueNotify: 0x050,
  InterruptStatus: 0x060, InterruptACK: 0x064, Status: 0x070,
  QueueDescLow: 0x080, QueueDescHigh: 0x084, QueueDriverLow: 0x090, QueueDriverHigh: 0x094,
  QueueDeviceLow: 0x0a0, QueueDeviceHigh: 0x0a4, SHMSel: 0x0ac, SHMLenLow: 0x0b0, SHMLenHigh: 0x0b4,
  SHMBaseLow: 0x0b8, SHMBaseHigh: 0x0bc, QueueReset: 0x0c0, ConfigGeneration: 0x0fc, Config: 0x100,
} as const;

/** What a device model gets from its transport. */
export interface VirtioQueues {
  /** The queue if the driver has set it up and made it ready, else null. */
  queue(index: number): Virtqueue | null;
  /** Signals used buffers on a queue (raises the interrupt if the driver wants one). */
  notifyUsed(index: number): void;
  /** The device changed its config space. */
  configChanged(): void;
  /** Feature bits the driver accepted. */
  readonly driverFeatures: bigint;
  /** True once the driver set DRIVER_OK. */
  readonly driverReady: boolean;
}

/** A virtio device type (blk, net, rng, ...) behind the transport. */
export interface VirtioDeviceModel {
  readonly deviceId: number;
  /** Device-type feature bits; the transport adds VERSION_1, EVENT_IDX and INDIRECT_DESC. */
  readonly features: bigint;
  /** Maximum size of each queue (the number of queues is the length). */
  readonly queueMaxSizes: readonly number[];
  /** The device's own state beyond its queues (snapshots); absent: it has none (requests complete at once). */
  saveState?(): StateObject;
  loadState?(r: StateReader): void;
  /** The device-specific configuration space (the transport serves reads from it). */
  readonly config: Uint8Array;
  /** A driver write into config space (most devices ignore them). */
  configWrite?(offset: number, size: 1 | 2 | 4, value: number): void;
  attach(queues: VirtioQueues): void;
  /** The driver notified queue `index` (new buffers available). */
  queueNotify(index: number): void;
  /** The driver reset the device: drop all in-flight state. */
  reset(): void;
}

interface QueueState {
  num: number;
  ready: boolean;
  desc: number;
  driver: number;
  device: number;
  vq: Virtqueue | null;
}

const TRANSPORT_FEATURES = (1n << VIRTIO_F_VERSION_1) | (1n << VIRTIO_F_RING_EVENT_IDX) | (1n << VIRTIO_F_INDIRECT_DESC);

export interface VirtioMmioOptions {
  name?: string;
  base: number;
  size?: number;
  irq?: IrqLine;
  ram: GuestRam;
  device: VirtioDeviceModel;
}

export class VirtioMmio implements MmioDevice, VirtioQueues {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  private readonly irq: IrqLine;
  private readonly ram: GuestRam;
  readonly device: VirtioDeviceModel;
  private readonly offered: bigint;

  private status = 0;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private driverFeatureBits = 0n;
  private queueSel = 0;
  private interruptStatus = 0;
  private configGeneration = 0;
  private queues: QueueState[] = [];
  private irqLevel = false;
  /** What the queues moved, and the driver's notifications and interrupts raised, since power-on. */
  readonly counters: QueueCounters & { notifications: number; interrupts: number } = { ...newQueueCounters(), notifications: 0, interrupts: 0 };
  /** Last guest-visible error (a bad ring address etc.): the device sets NEEDS_RESET instead of throwing. */
  lastError: string | undefined;

  constructor(opts: VirtioMmioOptions) {
    this.name = opts.name ?? `virtio-mmio-${opts.device.deviceId}`;
    this.base = opts.base;
    this.size = opts.size ?? 0x1000;
    if (this.size < REG.Config + opts.device.config.length) throw new VmmError(`${this.name}: window too small for its config space`);
    this.irq = opts.irq ?? NO_IRQ;
    this.ram = guestDma(opts.ram);
    this.device = opts.device;
    this.offered = opts.device.features | TRANSPORT_FEATURES;
    this.resetState();
    opts.device.attach(this);
  }

  get driverFeatures(): bigint {
    return this.driverFeatureBits;
  }

  get driverReady(): boolean {
    return (this.status & STATUS_DRIVER_OK) !== 0 && (this.status & STATUS_NEEDS_RESET) === 0;
  }

  queue(index: number): Virtqueue | null {
    const q = this.queues[index];
    return q && q.ready ? q.vq : null;
  }

  notifyUsed(index: number): void {
    const vq = this.queue(index);
    if (vq && vq.shouldInterrupt()) { this.counters.interrupts++; this.raise(INTERRUPT_USED_BUFFER); }
  }

  configChanged(): void {
    this.configGeneration = (this.configGeneration + 1) >>> 0;
    if (this.status & STATUS_DRIVER_OK) this.raise(INTERRUPT_CONFIG_CHANGE);
  }

  /**
   * The transport's registers, every queue's layout and ring positions (what the device has taken from the
   * available ring and given back on the used ring) and the device's own state (snapshots). Requests are always
   * completed inside the notification, so no descriptor chain is ever held between two: a request the driver
   * made available but the device has not taken is in guest RAM and is taken after the restore.
   */
  saveState(): StateObject {
    return {
      deviceId: this.device.deviceId, config: this.device.config.slice(),
      status: this.status, deviceFeaturesSel: this.deviceFeaturesSel, driverFeaturesSel: this.driverFeaturesSel,
      driverFeatures: this.driverFeatureBits, queueSel: this.queueSel, interruptStatus: this.interruptStatus,
      configGeneration: this.configGeneration, irqLevel: this.irqLevel, lastError: this.lastError ?? null,
      queues: this.queues.map((q) => ({ num: q.num, ready: q.ready, desc: q.desc, driver: q.driver, device: q.device, indexes: q.vq ? [...q.vq.indexes] : null })),
      model: this.device.saveState?.() ?? null,
    };
  }

  /** Checks that a saved state is of this device (type, queues, configuration) before loadState changes anything. */
  checkState(r: StateReader): void {
    const fail = (m: string): never => { throw new VmmError(`${this.name}: ${m}`); };
    if (r.int('deviceId') !== this.device.deviceId) fail(`the snapshot has virtio device type ${r.int('deviceId')} here, this machine ${this.device.deviceId}`);
    const cfg = r.bytes('config');
    if (cfg.length !== this.device.config.length || cfg.some((b, i) => b !== this.device.config[i])) {
      fail('its configuration differs from the snapshot\'s (a disk of another size, another MAC address or other ports?)');
    }
    if (r.list('queues').length !== this.queues.length) fail(`the snapshot has ${r.list('queues').length} queues, this device ${this.queues.length}`);
  }

  /** Restores a saveState() after guest RAM (the rings live there); the interrupt line is the PLIC's to restore. */
  loadState(r: StateReader): void {
    this.checkState(r);
    this.status = r.int('status'); this.deviceFeaturesSel = r.int('deviceFeaturesSel'); this.driverFeaturesSel = r.int('driverFeaturesSel');
    this.driverFeatureBits = r.big('driverFeatures'); this.queueSel = r.int('queueSel'); this.interruptStatus = r.int('interruptStatus');
    this.configGeneration = r.int('configGeneration'); this.irqLevel = r.bool('irqLevel');
    const err = r.value('lastError');
    this.lastError = typeof err === 'string' ? err : undefined;
    r.records('queues').forEach((qr, i) => {
      const q = this.queues[i]!;
      q.num = qr.int('num'); q.ready = false; q.vq = null;
      q.desc = qr.num('desc'); q.driver = qr.num('driver'); q.device = qr.num('device');
      const idx = qr.value('indexes');
      if (qr.bool('ready')) {
        this.enableQueue(q, i);
        const vq = q.vq as Virtqueue | null; // enableQueue set it
        if (vq && Array.isArray(idx) && idx.length === 3) vq.indexes = idx as [number, number, number];
      }
    });
    const model = r.value('model');
    if (model !== null) this.device.loadState?.(r.sub('model'));
  }

  private raise(bits: number): void {
    this.interruptStatus |= bits;
    this.updateIrq();
  }

  private updateIrq(): void {
    const level = this.interruptStatus !== 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.set(level);
    }
  }

  private resetState(): void {
    this.status = 0;
    this.deviceFeaturesSel = this.driverFeaturesSel = 0;
    this.driverFeatureBits = 0n;
    this.queueSel = 0;
    this.interruptStatus = 0;
    this.queues = this.device.queueMaxSizes.map(() => ({ num: 0, ready: false, desc: 0, driver: 0, device: 0, vq: null }));
    this.lastError = undefined;
    this.updateIrq();
  }

  /** A driver mistake: mark the device as needing reset (virtio 2.1.2) rather than crash the VMM. */
  private deviceError(message: string): void {
    this.lastError = `${this.name}: ${message}`;
    this.status |= STATUS_NEEDS_RESET;
    if (this.status & STATUS_DRIVER_OK) this.raise(INTERRUPT_CONFIG_CHANGE);
  }

  private selected(): QueueState | undefined {
    return this.queues[this.queueSel];
  }

  read(offset: number, size: 1 | 2 | 4): number {
    if (offset >= REG.Config) {
      const cfg = this.device.config;
      const at = offset - REG.Config;
      if (at + size > cfg.length) return 0;
      let v = 0;
      for (let i = size - 1; i >= 0; i--) v = v * 256 + cfg[at + i];
      return v;
    }
    if (size !== 4) return 0; // registers are 32-bit only
    const q = this.selected();
    switch (offset) {
      case REG.MagicValue: return VIRTIO_MMIO_MAGIC;
      case REG.Version: return 2;
      case REG.DeviceID: return this.device.deviceId;
      case REG.VendorID: return VIRTIO_VENDOR_ID;
      case REG.DeviceFeatures:
        return this.deviceFeaturesSel > 1 ? 0 : Number((this.offered >> BigInt(32 * this.deviceFeaturesSel)) & 0xffffffffn);
      case REG.QueueNumMax: return q ? this.device.queueMaxSizes[this.queueSel] : 0;
      case REG.QueueNum: return q?.num ?? 0;
      case REG.QueueReady: return q?.ready ? 1 : 0;
      case REG.InterruptStatus: return this.interruptStatus;
      case REG.Status: return this.status;
      case REG.QueueDescLow: return q ? q.desc % 2 ** 32 : 0;
      case REG.QueueDescHigh: return q ? Math.floor(q.desc / 2 ** 32) : 0;
      case REG.QueueDriverLow: return q ? q.driver % 2 ** 32 : 0;
      case REG.QueueDriverHigh: return q ? Math.floor(q.driver / 2 ** 32) : 0;
      case REG.QueueDeviceLow: return q ? q.device % 2 ** 32 : 0;
      case REG.QueueDeviceHigh: return q ? Math.floor(q.device / 2 ** 32) : 0;
      case REG.SHMLenLow: case REG.SHMLenHigh: return 0xffffffff; // no shared memory regions
      case REG.SHMBaseLow: case REG.SHMBaseHigh: return 0xffffffff;
      case REG.QueueReset: return 0;
      case REG.ConfigGeneration: return this.configGeneration;
      default: return 0;
    }
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    if (offset >= REG.Config) {
      const at = offset - REG.Config;
      if (at + size <= this.device.config.length) this.device.configWrite?.(at, size, value);
      return;
    }
    if (size !== 4) return;
    value >>>= 0;
    const q = this.selected();
    const setupAllowed = q !== undefined && !q.ready;
    switch (offset) {
      case REG.DeviceFeaturesSel: this.deviceFeaturesSel = value; break;
      case REG.DriverFeaturesSel: this.driverFeaturesSel = value; break;
      case REG.DriverFeatures:
        if (this.driverFeaturesSel <= 1 && !(this.status & STATUS_FEATURES_OK)) {
          const shift = BigInt(32 * this.driverFeaturesSel);
          this.driverFeatureBits = (this.driverFeatureBits & ~(0xffffffffn << shift)) | (BigInt(value) << shift);
        }
        break;
      case REG.QueueSel: this.queueSel = value; break;
      case REG.QueueNum:
        if (setupAllowed) q.num = value;
        break;
      case REG.QueueDescLow: if (setupAllowed) q.desc = setLow(q.desc, value); break;
      case REG.QueueDescHigh: if (setupAllowed) q.desc = setHigh(q.desc, value); break;
      case REG.QueueDriverLow: if (setupAllowed) q.driver = setLow(q.driver, value); break;
      case REG.QueueDriverHigh: if (setupAllowed) q.driver = setHigh(q.driver, value); break;
      case REG.QueueDeviceLow: if (setupAllowed) q.device = setLow(q.device, value); break;
      case REG.QueueDeviceHigh: if (setupAllowed) q.device = setHigh(q.device, value); break;
      case REG.QueueReady:
        if (q) {
          if (value & 1) this.enableQueue(q, this.queueSel);
          else {
            q.ready = false;
            q.vq = null;
          }
        }
        break;
      case REG.QueueNotify:
        this.notify(value & 0xffff);
        break;
      case REG.InterruptACK:
        this.interruptStatus &= ~value;
        this.updateIrq();
        break;
      case REG.Status:
        this.writeStatus(value & 0xff);
        break;
      default:
        break;
    }
  }

  private enableQueue(q: QueueState, index: number): void {
    const max = this.device.queueMaxSizes[index];
    if (q.num === 0 || q.num > max) return this.deviceError(`queue ${index}: size ${q.num} outside 1..${max}`);
    try {
      q.vq = new Virtqueue(this.ram, {
        size: q.num, descAddr: q.desc, availAddr: q.driver, usedAddr: q.device,
        eventIdx: (this.driverFeatureBits & (1n << VIRTIO_F_RING_EVENT_IDX)) !== 0n,
        indirect: (this.driverFeatureBits & (1n << VIRTIO_F_INDIRECT_DESC)) !== 0n,
      }, this.counters);
      q.ready = true;
    } catch (e) {
      this.deviceError(`queue ${index}: ${(e as Error).message}`);
    }
  }

  private notify(index: number): void {
    if (!this.driverReady || !this.queue(index)) return;
    this.counters.notifications++;
    try {
      this.device.queueNotify(index);
    } catch (e) {
      // A malformed ring is the guest's fault: report it through the status register, keep running.
      if (e instanceof VmmError) this.deviceError(`queue ${index}: ${(e as Error).message}`);
      else throw e;
    }
  }

  private writeStatus(value: number): void {
    if (value === 0) {
      this.device.reset();
      this.resetState();
      return;
    }
    if (value & STATUS_FEATURES_OK && !(this.status & STATUS_FEATURES_OK)) {
      // Only a subset of what we offered, and the modern interface, are acceptable.
      const ok = (this.driverFeatureBits & ~this.offered) === 0n && (this.driverFeatureBits & (1n << VIRTIO_F_VERSION_1)) !== 0n;
      if (!ok) value &= ~STATUS_FEATURES_OK;
    }
    const wasReady = this.driverReady;
    this.status = value | (this.status & STATUS_NEEDS_RESET);
    if (this.driverReady && !wasReady) {
      // Buffers made available before DRIVER_OK are processed now.
      this.queues.forEach((_, i) => this.notify(i));
    }
  }
}

/**
 * Guest RAM for DMA: whatever the RAM provider throws for an address that is not RAM becomes a
 * VmmError, so a guest's bad buffer address marks the device broken instead of stopping the VMM.
 */
function guestDma(ram: GuestRam): GuestRam {
  return {
    ram(gpa: number, len: number): Uint8Array {
      try {
        return ram.ram(gpa, len);
      } catch (e) {
        throw new VmmError(`DMA to [0x${gpa.toString(16)}, +${len}) outside guest RAM (${(e as Error).message})`);
      }
    },
    invalidate: (gpa: number, len: number) => ram.invalidate(gpa, len),
  };
}

function setLow(v: number, lo: number): number {
  return Math.floor(v / 2 ** 32) * 2 ** 32 + lo;
}
function setHigh(v: number, hi: number): number {
  if (hi >= 2 ** 21) return Number.MAX_SAFE_INTEGER; // beyond 2^53: never RAM, enableQueue reports it
  return hi * 2 ** 32 + (v % 2 ** 32);
}
