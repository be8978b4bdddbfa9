// Contracts between devices, the MMIO dispatcher, guest RAM (for DMA) and interrupt lines.
import { VmmError } from './errors.js';

/** A memory-mapped device window. Offsets are relative to `base`; accesses are 1, 2 or 4 bytes. */
export interface MmioDevice {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  read(offset: number, size: 1 | 2 | 4): number;
  write(offset: number, size: 1 | 2 | 4, value: number): void;
}

/** Guest RAM as devices see it for DMA (the hart's GuestMemory has exactly these two methods). */
export interface GuestRam {
  /** A live view of guest RAM; throws if [gpa, gpa+len) is not RAM. */
  ram(gpa: number, len: number): Uint8Array;
  /** Call after writing guest RAM so decoded code there is dropped. */
  invalidate(gpa: number, len: number): void;
}

/** One interrupt source wire into the interrupt controller (level-triggered). */
export interface IrqLine {
  set(level: boolean): void;
}

/** An IrqLine that goes nowhere, for devices used without an interrupt controller. */
export const NO_IRQ: IrqLine = { set() {} };

const hex = (n: number): string => '0x' + n.toString(16);

/**
 * Routes guest physical MMIO accesses to devices. 8-byte accesses are split into two 4-byte
 * ones (low word first), as the contract with devices only knows 1/2/4.
 */
export class MmioBus {
  private readonly devices: MmioDevice[] = [];

  add(dev: MmioDevice): void {
    if (!Number.isSafeInteger(dev.base) || dev.base < 0 || !Number.isSafeInteger(dev.size) || dev.size <= 0) {
      throw new VmmError(`device ${dev.name}: bad window base ${dev.base} size ${dev.size}`);
    }
    for (const other of this.devices) {
      if (dev.base < other.base + other.size && other.base < dev.base + dev.size) {
        throw new VmmError(
          `device ${dev.name} [${hex(dev.base)}, ${hex(dev.base + dev.size)}) overlaps ` +
            `${other.name} [${hex(other.base)}, ${hex(other.base + other.size)})`,
        );
      }
    }
    this.devices.push(dev);
    this.devices.sort((a, b) => a.base - b.base);
  }

  /** The device whose window contains `addr`, or undefined. */
  find(addr: number): MmioDevice | undefined {
    for (const dev of this.devices) {
      if (addr >= dev.base && addr < dev.base + dev.size) return dev;
    }
    return undefined;
  }

  list(): readonly MmioDevice[] {
    return this.devices;
  }

  private target(addr: number, size: number, what: string): MmioDevice {
    if (size !== 1 && size !== 2 && size !== 4 && size !== 8) throw new VmmError(`MMIO ${what} at ${hex(addr)}: bad size ${size}`);
    const dev = this.find(addr);
    if (!dev) throw new VmmError(`MMIO ${what} of ${size} bytes at ${hex(addr)}: no device there`);
    if (addr + size > dev.base + dev.size) {
      throw new VmmError(`MMIO ${what} of ${size} bytes at ${hex(addr)} runs past the end of ${dev.name}`);
    }
    return dev;
  }

  /** A 1, 2 or 4 byte read; the value is zero-extended. */
  read(addr: number, size: 1 | 2 | 4): number {
    const dev = this.target(addr, size, 'read');
    return dev.read(addr - dev.base, size) >>> 0;
  }

  write(addr: number, size: 1 | 2 | 4, value: number): void {
    const dev = this.target(addr, size, 'write');
    dev.write(addr - dev.base, size, size === 4 ? value >>> 0 : value & ((1 << (size * 8)) - 1));
  }

  /** An 8-byte read as two 4-byte ones: returns [low, high] 32-bit halves. */
  read64(addr: number): [number, number] {
    this.target(addr, 8, 'read');
    return [this.read(addr, 4), this.read(addr + 4, 4)];
  }

  /** An 8-byte write as two 4-byte ones, low half first. */
  write64(addr: number, lo: number, hi: number): void {
    this.target(addr, 8, 'write');
    this.write(addr, 4, lo);
    this.write(addr + 4, 4, hi);
  }

  /**
   * Completes a KVM-style MMIO exit: `data` is the 8-byte little-endian buffer of the exit.
   * For a read it is filled with the value; for a write it holds the value.
   */
  access(addr: number, size: 1 | 2 | 4 | 8, isWrite: boolean, data: Uint8Array): void {
    const view = new DataView(data.buffer, data.byteOffset, 8);
    if (isWrite) {
      if (size === 8) this.write64(addr, view.getUint32(0, true), view.getUint32(4, true));
      else this.write(addr, size, view.getUint32(0, true) & (size === 4 ? 0xffffffff : (1 << (size * 8)) - 1));
    } else {
      let lo: number;
      let hi = 0;
      if (size === 8) [lo, hi] = this.read64(addr);
      else lo = this.read(addr, size);
      view.setUint32(0, lo >>> 0, true);
      view.setUint32(4, hi >>> 0, true);
    }
  }
}
