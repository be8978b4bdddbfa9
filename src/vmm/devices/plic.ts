// Platform-Level Interrupt Controller, riscv,plic0 register layout. Sources are level-triggered:
// a high line makes the source pending unless it is claimed and not yet completed (the gateway
// holds it back); completing it re-arms the gateway, and a line still high pends again.
import type { IrqLine, MmioDevice } from '../device.js';
import { VmmError } from '../errors.js';
import { bytesOf } from '../snapshot/value.js';
import type { StateObject } from '../../kvm/index.js';
import type { StateReader } from '../snapshot/value.js';

const PRIORITY_BASE = 0x0;
const PENDING_BASE = 0x1000;
const ENABLE_BASE = 0x2000;
const ENABLE_STRIDE = 0x80;
const CONTEXT_BASE = 0x200000;
const CONTEXT_STRIDE = 0x1000;
/** Priorities 0 (never) .. 7, as QEMU's virt machine implements. */
export const PLIC_MAX_PRIORITY = 7;
export const PLIC_MAX_SOURCES = 1023;
export const PLIC_WINDOW_SIZE = 0x4000000;

export interface PlicOptions {
  name?: string;
  base: number;
  size?: number;
  /** Number of sources (ids 1..ndev); `riscv,ndev` in the device tree. */
  ndev: number;
  /** Number of contexts: one per hart (its S-mode external interrupt). */
  contexts: number;
  /** Called when a context's interrupt output changes (the VMM raises/lowers the hart's SEIP). */
  onContextChange: (context: number, level: boolean) => void;
}

export class Plic implements MmioDevice {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  readonly ndev: number;
  readonly contexts: number;
  private readonly onContextChange: (context: number, level: boolean) => void;

  private readonly priority: Uint32Array; // index = source id
  private readonly level: Uint8Array; // input line state
  private readonly pending: Uint8Array;
  private readonly claimed: Uint8Array; // in service: gateway closed until complete
  private readonly enable: Uint32Array[]; // per context, one bit per source id
  private readonly threshold: Uint32Array;
  private readonly output: Uint8Array;

  constructor(opts: PlicOptions) {
    if (!Number.isInteger(opts.ndev) || opts.ndev < 1 || opts.ndev > PLIC_MAX_SOURCES) {
      throw new VmmError(`PLIC: ndev ${opts.ndev} outside 1..${PLIC_MAX_SOURCES}`);
    }
    if (!Number.isInteger(opts.contexts) || opts.contexts < 1 || opts.contexts > 15872) throw new VmmError(`PLIC: ${opts.contexts} contexts`);
    this.name = opts.name ?? 'plic';
    this.base = opts.base;
    this.size = opts.size ?? PLIC_WINDOW_SIZE;
    if (this.size < CONTEXT_BASE + opts.contexts * CONTEXT_STRIDE) throw new VmmError(`PLIC: window of 0x${this.size.toString(16)} bytes too small for ${opts.contexts} contexts`);
    this.ndev = opts.ndev;
    this.contexts = opts.contexts;
    this.onContextChange = opts.onContextChange;
    const words = Math.ceil((opts.ndev + 1) / 32);
    this.priority = new Uint32Array(opts.ndev + 1);
    this.level = new Uint8Array(opts.ndev + 1);
    this.pending = new Uint8Array(opts.ndev + 1);
    this.claimed = new Uint8Array(opts.ndev + 1);
    this.enable = Array.from({ length: opts.contexts }, () => new Uint32Array(words));
    this.threshold = new Uint32Array(opts.contexts);
    this.output = new Uint8Array(opts.contexts);
  }

  /** The interrupt line of source `id` (1..ndev), for a device. */
  irqLine(id: number): IrqLine {
    if (!Number.isInteger(id) || id < 1 || id > this.ndev) throw new VmmError(`PLIC: source ${id} outside 1..${this.ndev}`);
    return { set: (level: boolean) => this.setLevel(id, level) };
  }

  private setLevel(id: number, level: boolean): void {
    this.level[id] = level ? 1 : 0;
    if (level && !this.claimed[id]) this.pending[id] = 1;
    // A level source that drops before being claimed is no longer requesting.
    if (!level && !this.claimed[id]) this.pending[id] = 0;
    this.update();
  }

  private enabled(ctx: number, id: number): boolean {
    return ((this.enable[ctx][id >>> 5] >>> (id & 31)) & 1) === 1;
  }

  /** The id the context would claim now (0 = none): highest priority above threshold, lowest id on ties. */
  private best(ctx: number): number {
    let bestId = 0;
    let bestPriority = this.threshold[ctx];
    for (let id = 1; id <= this.ndev; id++) {
      if (this.pending[id] && this.priority[id] > bestPriority && this.enabled(ctx, id)) {
        bestId = id;
        bestPriority = this.priority[id];
      }
    }
    return bestId;
  }

  private update(): void {
    for (let ctx = 0; ctx < this.contexts; ctx++) {
      const level = this.best(ctx) !== 0 ? 1 : 0;
      if (level !== this.output[ctx]) {
        this.output[ctx] = level;
        this.onContextChange(ctx, level === 1);
      }
    }
  }

  /** Every register and gateway, and the outputs (snapshots). */
  saveState(): StateObject {
    return {
      ndev: this.ndev, contexts: this.contexts, priority: bytesOf(this.priority), level: bytesOf(this.level), pending: bytesOf(this.pending),
      claimed: bytesOf(this.claimed), enable: this.enable.map(bytesOf), threshold: bytesOf(this.threshold), output: bytesOf(this.output),
    };
  }

  /** The outputs are set without calling onContextChange: the harts' pending bits are restored with the harts. */
  loadState(r: StateReader): void {
    if (r.int('ndev') !== this.ndev || r.int('contexts') !== this.contexts) throw new VmmError(`PLIC state: saved with ${r.int('ndev')} sources and ${r.int('contexts')} contexts`);
    const enable = r.list('enable');
    if (enable.length !== this.contexts) throw new VmmError('PLIC state: enable words damaged');
    r.into('priority', this.priority); r.into('level', this.level); r.into('pending', this.pending); r.into('claimed', this.claimed);
    r.into('threshold', this.threshold); r.into('output', this.output);
    enable.forEach((e, i) => {
      if (!(e instanceof Uint8Array) || e.length !== this.enable[i]!.byteLength) throw new VmmError('PLIC state: enable words damaged');
      new Uint8Array(this.enable[i]!.buffer).set(e);
    });
  }

  /** Current output of a context (for tests and the run loop). */
  contextLevel(ctx: number): boolean {
    return this.output[ctx] === 1;
  }

  private claim(ctx: number): number {
    const id = this.best(ctx);
    if (id !== 0) {
      this.pending[id] = 0;
      this.claimed[id] = 1;
      this.update();
    }
    return id;
  }

  private complete(ctx: number, id: number): void {
    // Completing an id that is out of range or not enabled for this context is ignored (spec).
    if (id < 1 || id > this.ndev || !this.enabled(ctx, id)) return;
    this.claimed[id] = 0;
    if (this.level[id]) this.pending[id] = 1;
    this.update();
  }

  read(offset: number, size: 1 | 2 | 4): number {
    if (size !== 4 || offset & 3) return 0; // the PLIC only defines aligned 32-bit accesses
    if (offset < PENDING_BASE) {
      const id = (offset - PRIORITY_BASE) >>> 2;
      return id <= this.ndev ? this.priority[id] : 0;
    }
    if (offset < ENABLE_BASE) {
      const word = (offset - PENDING_BASE) >>> 2;
      let bits = 0;
      for (let b = 0; b < 32; b++) {
        const id = word * 32 + b;
        if (id <= this.ndev && this.pending[id]) bits |= 1 << b;
      }
      return bits >>> 0;
    }
    if (offset < CONTEXT_BASE) {
      const ctx = Math.floor((offset - ENABLE_BASE) / ENABLE_STRIDE);
      const word = ((offset - ENABLE_BASE) % ENABLE_STRIDE) >>> 2;
      return ctx < this.contexts && word < this.enable[ctx].length ? this.enable[ctx][word] : 0;
    }
    const ctx = Math.floor((offset - CONTEXT_BASE) / CONTEXT_STRIDE);
    if (ctx >= this.contexts) return 0;
    const reg = (offset - CONTEXT_BASE) % CONTEXT_STRIDE;
    if (reg === 0) return this.threshold[ctx];
    if (reg === 4) return this.claim(ctx);
    return 0;
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    if (size !== 4 || offset & 3) return;
    value >>>= 0;
    if (offset < PENDING_BASE) {
      const id = (offset - PRIORITY_BASE) >>> 2;
      if (id >= 1 && id <= this.ndev) this.priority[id] = Math.min(value, PLIC_MAX_PRIORITY);
    } else if (offset < ENABLE_BASE) {
      return; // pending bits are read-only
    } else if (offset < CONTEXT_BASE) {
      const ctx = Math.floor((offset - ENABLE_BASE) / ENABLE_STRIDE);
      const word = ((offset - ENABLE_BASE) % ENABLE_STRIDE) >>> 2;
      if (ctx >= this.contexts || word >= this.enable[ctx].length) return;
      let mask = 0xffffffff;
      if (word === 0) mask &= ~1; // source 0 does not exist
      const lastBits = (this.ndev + 1) - word * 32;
      if (lastBits < 32) mask &= (1 << lastBits) - 1;
      this.enable[ctx][word] = (value & mask) >>> 0;
    } else {
      const ctx = Math.floor((offset - CONTEXT_BASE) / CONTEXT_STRIDE);
      if (ctx >= this.contexts) return;
      const reg = (offset - CONTEXT_BASE) % CONTEXT_STRIDE;
      if (reg === 0) this.threshold[ctx] = Math.min(value, PLIC_MAX_PRIORITY);
      else if (reg === 4) this.complete(ctx, value);
      else return;
    }
    this.update();
  }
}
