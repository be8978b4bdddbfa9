// Goldfish real-time clock (`google,goldfish-rtc`), the RTC of QEMU's virt machine, which Linux's rtc-goldfish
// driver reads at boot (CONFIG_RTC_HCTOSYS) to set the system time. 32-bit registers; time in nanoseconds since
// the Unix epoch. Reading TIME_LOW latches the high half for the TIME_HIGH read that follows (so a split 64-bit
// read is consistent); writing TIME_HIGH then TIME_LOW sets the clock, kept as an offset from the time source.
// One alarm: ALARM_HIGH then ALARM_LOW arms it; when the clock reaches it the interrupt is raised (if enabled)
// and held until CLEAR_INTERRUPT. The machine calls poll() between run slices, so an alarm fires within a slice.
// The time source is passed in (the host's clock, or the guest's under --clock icount): no host API here.
import type { IrqLine, MmioDevice } from '../device.js';
import { NO_IRQ } from '../device.js';
import type { StateObject } from '../../kvm/index.js';
import type { StateReader } from '../snapshot/value.js';

const TIME_LOW = 0x00;
const TIME_HIGH = 0x04;
const ALARM_LOW = 0x08;
const ALARM_HIGH = 0x0c;
const IRQ_ENABLED = 0x10;
const CLEAR_ALARM = 0x14;
const ALARM_STATUS = 0x18;
const CLEAR_INTERRUPT = 0x1c;

const MASK32 = 0xffff_ffffn;

export interface GoldfishRtcOptions {
  base: number;
  /** Window size (QEMU's virt gives 0x1000). */
  size?: number;
  irq?: IrqLine;
  /** The clock the RTC shows before the guest sets it: nanoseconds since the Unix epoch. */
  nowNs: () => bigint;
}

export class GoldfishRtc implements MmioDevice {
  readonly name = 'goldfish-rtc';
  readonly base: number;
  readonly size: number;
  private readonly irq: IrqLine;
  private readonly source: () => bigint;
  private offsetNs = 0n; // guest-set time minus the source
  private latchedHigh = 0;
  private writeHigh = 0;
  private alarmNs = 0n;
  private alarmHigh = 0;
  private alarmRunning = false;
  private irqEnabled = false;
  private irqPending = false;
  private irqLevel = false;

  constructor(opts: GoldfishRtcOptions) {
    this.base = opts.base;
    this.size = opts.size ?? 0x1000;
    this.irq = opts.irq ?? NO_IRQ;
    this.source = opts.nowNs;
  }

  /** The time the guest reads now, in ns since the epoch. */
  nowNs(): bigint {
    const t = this.source() + this.offsetNs;
    return t < 0n ? 0n : t & 0xffff_ffff_ffff_ffffn;
  }

  /** Registers and the alarm (snapshots). The offset from the source is kept: a guest that set its clock keeps it. */
  saveState(): StateObject {
    return {
      offsetNs: this.offsetNs, latchedHigh: this.latchedHigh, writeHigh: this.writeHigh, alarmNs: this.alarmNs,
      alarmHigh: this.alarmHigh, alarmRunning: this.alarmRunning, irqEnabled: this.irqEnabled, irqPending: this.irqPending, irqLevel: this.irqLevel,
    };
  }

  loadState(r: StateReader): void {
    this.offsetNs = r.big('offsetNs'); this.latchedHigh = r.int('latchedHigh'); this.writeHigh = r.int('writeHigh');
    this.alarmNs = r.big('alarmNs'); this.alarmHigh = r.int('alarmHigh'); this.alarmRunning = r.bool('alarmRunning');
    this.irqEnabled = r.bool('irqEnabled'); this.irqPending = r.bool('irqPending'); this.irqLevel = r.bool('irqLevel');
  }

  /** Fires the alarm if its time has come (called by the machine between run slices). */
  poll(): void {
    if (!this.alarmRunning || this.nowNs() < this.alarmNs) return;
    this.alarmRunning = false;
    this.irqPending = true;
    this.update();
  }

  private update(): void {
    const level = this.irqPending && this.irqEnabled;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.set(level);
    }
  }

  read(offset: number, _size: 1 | 2 | 4): number {
    switch (offset) {
      case TIME_LOW: {
        const t = this.nowNs();
        this.latchedHigh = Number(t >> 32n);
        return Number(t & MASK32);
      }
      case TIME_HIGH: return this.latchedHigh;
      case ALARM_LOW: return Number(this.alarmNs & MASK32);
      case ALARM_HIGH: return Number(this.alarmNs >> 32n);
      case IRQ_ENABLED: return this.irqEnabled ? 1 : 0;
      case ALARM_STATUS: return this.alarmRunning ? 1 : 0;
      default: return 0;
    }
  }

  write(offset: number, _size: 1 | 2 | 4, value: number): void {
    const v = value >>> 0;
    switch (offset) {
      case TIME_HIGH: this.writeHigh = v; break;
      case TIME_LOW:
        this.offsetNs = ((BigInt(this.writeHigh) << 32n) | BigInt(v)) - this.source();
        this.poll();
        break;
      case ALARM_HIGH: this.alarmHigh = v; break;
      case ALARM_LOW:
        this.alarmNs = (BigInt(this.alarmHigh) << 32n) | BigInt(v);
        this.alarmRunning = true;
        this.poll();
        break;
      case IRQ_ENABLED:
        this.irqEnabled = (v & 1) !== 0;
        this.update();
        break;
      case CLEAR_ALARM: this.alarmRunning = false; break;
      case CLEAR_INTERRUPT:
        this.irqPending = false;
        this.update();
        break;
      default: break;
    }
  }
}
