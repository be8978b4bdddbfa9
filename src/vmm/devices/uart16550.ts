// 16550A UART (the guest's ttyS0): byte registers at offsets 0..7, output is instantaneous (THR is
// always empty again right after a write), input goes through a 16-byte receive FIFO fed from a
// host-side backlog so pasted text is not lost.
// The host is the far end of the line and holds its input until the guest is ready for it, as a peer that
// honours flow control does (QEMU's chardev only hands the UART what its FIFO can take): bytes move from the
// backlog into the FIFO only while the guest has armed the received-data interrupt (an interrupt-driven driver
// with the port open) or asserts RTS outside loopback (a polled driver asking to be sent data). Linux's 8250
// driver clears the FIFO and reads RBR while it probes and starts the port, before either; piped input that
// arrived during boot used to land in the FIFO then and be thrown away (18 bytes, the start of the first
// command). A FIFO reset while the guest is not ready puts the unread bytes back at the head of the backlog.
import type { IrqLine, MmioDevice } from '../device.js';
import { NO_IRQ } from '../device.js';
import type { StateObject } from '../../kvm/index.js';
import type { StateReader } from '../snapshot/value.js';
import { ByteQueue } from '../bytequeue.js';

// Register offsets
const RBR_THR_DLL = 0;
const IER_DLM = 1;
const IIR_FCR = 2;
const LCR = 3;
const MCR = 4;
const LSR = 5;
const MSR = 6;
const SCR = 7;

// IER bits
const IER_RDA = 0x01; // received data available (and character timeout)
const IER_THRE = 0x02; // transmitter holding register empty
const IER_RLS = 0x04; // receiver line status
const IER_MS = 0x08; // modem status

// IIR identification values (bit 0 clear = an interrupt is pending), highest priority first
const IIR_NONE = 0x01;
const IIR_RLS = 0x06;
const IIR_RDA = 0x04;
const IIR_TIMEOUT = 0x0c;
const IIR_THRE = 0x02;
const IIR_MS = 0x00;
const IIR_FIFO_ENABLED = 0xc0;

const FCR_ENABLE = 0x01;
const FCR_CLEAR_RX = 0x02;
const LCR_DLAB = 0x80;
const MCR_RTS = 0x02;
const MCR_LOOP = 0x10;

const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;

// MSR: carrier detect, data set ready and clear to send are reported as asserted (a connected line)
const MSR_CONNECTED = 0x80 | 0x20 | 0x10;

export const UART_FIFO_SIZE = 16;
const RX_TRIGGER_LEVELS = [1, 4, 8, 14];

export interface Uart16550Options {
  name?: string;
  base: number;
  /** Window size in the guest's address space (the device tree advertises 0x100). */
  size?: number;
  irq?: IrqLine;
  /** Receives every byte the guest transmits. */
  output: (bytes: Uint8Array) => void;
}

export class Uart16550 implements MmioDevice {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  private readonly irq: IrqLine;
  private readonly output: (bytes: Uint8Array) => void;

  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private scr = 0;
  private fcr = 0;
  private divisor = 0;
  private overrun = false;
  private thrInterrupt = false; // THR-empty interrupt latched until IIR read or THR write
  private rxFifo: number[] = [];
  private readonly backlog = new ByteQueue(); // host input not yet in the FIFO
  private irqLevel = false;
  private modemStatusChanged = false;

  constructor(opts: Uart16550Options) {
    this.name = opts.name ?? 'uart16550';
    this.base = opts.base;
    this.size = opts.size ?? 0x100;
    this.irq = opts.irq ?? NO_IRQ;
    this.output = opts.output;
  }

  /** Host input (keyboard, pipe). Bytes wait in a backlog while the guest's FIFO is full or it is not ready. */
  push(bytes: Uint8Array): void {
    this.backlog.push(bytes);
    this.refill();
    this.update();
  }

  /** Bytes of host input the guest has not read yet (FIFO + backlog). */
  get pendingInput(): number {
    return this.rxFifo.length + this.backlog.length;
  }

  /** The registers, the receive FIFO and host input not yet in it (snapshots). */
  saveState(): StateObject {
    return {
      ier: this.ier, lcr: this.lcr, mcr: this.mcr, scr: this.scr, fcr: this.fcr, divisor: this.divisor, overrun: this.overrun,
      thrInterrupt: this.thrInterrupt, rxFifo: Uint8Array.from(this.rxFifo), backlog: this.backlog.toBytes(),
      irqLevel: this.irqLevel, modemStatusChanged: this.modemStatusChanged,
    };
  }

  /** The interrupt line's level is the interrupt controller's to restore, so it is set here without a call. */
  loadState(r: StateReader): void {
    this.ier = r.int('ier'); this.lcr = r.int('lcr'); this.mcr = r.int('mcr'); this.scr = r.int('scr'); this.fcr = r.int('fcr');
    this.divisor = r.int('divisor'); this.overrun = r.bool('overrun'); this.thrInterrupt = r.bool('thrInterrupt');
    this.rxFifo = [...r.bytes('rxFifo')];
    this.backlog.clear(); this.backlog.push(r.bytes('backlog'));
    this.irqLevel = r.bool('irqLevel'); this.modemStatusChanged = r.bool('modemStatusChanged');
  }

  /** The baud-rate divisor the guest programmed (DLL/DLM). */
  get divisorLatch(): number {
    return this.divisor;
  }

  private fifoEnabled(): boolean {
    return (this.fcr & FCR_ENABLE) !== 0;
  }

  private capacity(): number {
    return this.fifoEnabled() ? UART_FIFO_SIZE : 1;
  }

  /** Whether the guest is ready for host input (see the header): RDA interrupt armed, or RTS outside loopback. */
  private readyForInput(): boolean {
    if (this.mcr & MCR_LOOP) return false;
    return (this.ier & IER_RDA) !== 0 || (this.mcr & MCR_RTS) !== 0;
  }

  private refill(): void {
    if (!this.readyForInput()) return;
    while (this.rxFifo.length < this.capacity() && this.backlog.length > 0) this.rxFifo.push(this.backlog.shift());
  }

  /** A byte arriving on the line itself (loopback): no backlog, a full FIFO overruns. */
  private receiveFromLine(byte: number): void {
    if (this.rxFifo.length >= this.capacity()) this.overrun = true;
    else this.rxFifo.push(byte);
  }

  private rxTrigger(): number {
    return this.fifoEnabled() ? RX_TRIGGER_LEVELS[this.fcr >> 6] : 1;
  }

  /** The highest-priority pending interrupt's IIR identification. */
  private identify(): number {
    if (this.ier & IER_RLS && this.overrun) return IIR_RLS;
    if (this.ier & IER_RDA && this.rxFifo.length > 0) {
      // Below the trigger level a real 16550A raises a timeout after 4 idle character times; the
      // host delivers whole chunks, so the line is idle as soon as data sits in the FIFO.
      return this.rxFifo.length >= this.rxTrigger() ? IIR_RDA : IIR_TIMEOUT;
    }
    if (this.ier & IER_THRE && this.thrInterrupt) return IIR_THRE;
    if (this.ier & IER_MS && this.modemStatusChanged) return IIR_MS;
    return IIR_NONE;
  }

  private update(): void {
    const level = this.identify() !== IIR_NONE;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.set(level);
    }
  }

  private msr(): number {
    if (this.mcr & MCR_LOOP) {
      // loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD
      const m = this.mcr;
      return ((m & 1) << 5) | ((m & 2) << 3) | ((m & 4) << 4) | ((m & 8) << 4);
    }
    return MSR_CONNECTED;
  }

  read(offset: number, _size: 1 | 2 | 4): number {
    let value = 0;
    switch (offset) {
      case RBR_THR_DLL:
        if (this.lcr & LCR_DLAB) value = this.divisor & 0xff;
        else {
          value = this.rxFifo.shift() ?? 0;
          this.refill();
        }
        break;
      case IER_DLM:
        value = this.lcr & LCR_DLAB ? (this.divisor >> 8) & 0xff : this.ier;
        break;
      case IIR_FCR: {
        const id = this.identify();
        if (id === IIR_THRE) this.thrInterrupt = false; // reading IIR acknowledges THRE
        value = id | (this.fifoEnabled() ? IIR_FIFO_ENABLED : 0);
        break;
      }
      case LCR:
        value = this.lcr;
        break;
      case MCR:
        value = this.mcr;
        break;
      case LSR:
        value = LSR_THRE | LSR_TEMT | (this.rxFifo.length > 0 ? LSR_DR : 0) | (this.overrun ? LSR_OE : 0);
        this.overrun = false; // reading LSR clears the error bits
        break;
      case MSR:
        value = this.msr();
        this.modemStatusChanged = false;
        break;
      case SCR:
        value = this.scr;
        break;
      default:
        value = 0; // rest of the window reads as zero
    }
    this.update();
    return value;
  }

  write(offset: number, _size: 1 | 2 | 4, value: number): void {
    value &= 0xff;
    switch (offset) {
      case RBR_THR_DLL:
        if (this.lcr & LCR_DLAB) this.divisor = (this.divisor & 0xff00) | value;
        else {
          if (this.mcr & MCR_LOOP) this.receiveFromLine(value);
          else this.output(Uint8Array.of(value));
          this.thrInterrupt = true; // sent instantly: THR is empty again
        }
        break;
      case IER_DLM:
        if (this.lcr & LCR_DLAB) this.divisor = (this.divisor & 0xff) | (value << 8);
        else {
          const enablingThre = !(this.ier & IER_THRE) && value & IER_THRE;
          this.ier = value & 0x0f;
          if (enablingThre) this.thrInterrupt = true; // THR is empty, so enabling THRE interrupts fires one
          this.refill();
        }
        break;
      case IIR_FCR:
        if (value & FCR_CLEAR_RX) {
          // Bytes the guest never had the chance to read go back to the host side (see the header).
          if (!this.readyForInput() && !(this.mcr & MCR_LOOP)) this.backlog.unshift(Uint8Array.from(this.rxFifo));
          this.rxFifo = [];
          this.overrun = false;
        }
        this.fcr = value & 0xc1; // trigger level and enable; clear bits self-reset, DMA mode ignored
        this.refill();
        break;
      case LCR:
        this.lcr = value;
        break;
      case MCR: {
        const old = this.msr();
        this.mcr = value & 0x1f;
        if (this.msr() !== old) this.modemStatusChanged = true;
        this.refill();
        break;
      }
      case SCR:
        this.scr = value;
        break;
      default:
        break; // LSR, MSR and the rest of the window ignore writes
    }
    this.update();
  }
}
