// Guest physical memory: ONE WebAssembly.Memory holding, in its front region, the hart state blocks, the harts'
// TLBs and the code-page map, and then every RAM region back to back. Everything the hart's hot path reads lives
// there, so code translated to WebAssembly (jit.ts) reads the same registers, TLBs and RAM as the interpreter.
// Physical addresses are JS numbers; anything not RAM or MMIO is an access fault.
//
// The code-page map doubles as the store watch list: a page's byte is non-zero when a store there must call
// invalidateHostPage, because a hart decoded code in it (CODE_PAGE_CODE) or because a hart that is not running
// holds an LR reservation in it (CODE_PAGE_RESERVED, see parkReservation). Stores test the byte for non-zero only,
// so the interpreter and translated code need nothing for the second use.

export interface SyncMmio {
  /** size 8: returns the low 32 bits; the high 32 bits come from readHigh (called right after) */
  read(offset: number, size: 1 | 2 | 4 | 8): number;
  readHigh?(offset: number): number;
  write(offset: number, size: 1 | 2 | 4 | 8, lo: number, hi: number): void;
}

export class MemoryError extends Error {
  override name = 'MemoryError';
}

/** Bytes reserved at the start of the memory for hart state blocks (STATE_BLOCK_BYTES each). */
export const STATE_BYTES = 64 * 1024;
export const STATE_BLOCK_BYTES = 2048;
export const MAX_HARTS = STATE_BYTES / STATE_BLOCK_BYTES;
/** Per hart: 7 translation contexts x (fetch, load, store) x 4096 direct-mapped entries of (i64 tag, i32 host offset, i32 index
 *  of the page's translated code in the hart's function table: fetch entries only, 0 = none). */
export const TLB_ENTRIES = 4096;
export const TLB_FN_OFFSET = TLB_ENTRIES * 12;
export const TLB_ACCESS_BYTES = TLB_ENTRIES * 16;
export const TLB_SET_BYTES = 3 * TLB_ACCESS_BYTES;
/** TLB sets per hart: U, S (SUM=0), S (SUM=1), M, and with H: VU, VS (SUM=0), VS (SUM=1) (mmu.ts selectTlb) */
export const TLB_SETS = 7;
export const TLB_BLOCK_BYTES = TLB_SETS * TLB_SET_BYTES;
const TLB_BASE = STATE_BYTES;
/** The code-page map (one byte per 4 KiB host page) starts here. */
export const CODE_PAGE_BASE = TLB_BASE + MAX_HARTS * TLB_BLOCK_BYTES;
/** code-page map bits: some hart holds decoded code for the page / a parked LR reservation lies in it */
export const CODE_PAGE_CODE = 1, CODE_PAGE_RESERVED = 2;

/** An LR reservation parked while its hart does not run (GuestMemory.parkReservation). */
interface ParkedReservation {
  off: number;
  /** the aligned doubleword holding it, when parked: a write through a ram() view that nobody reported shows here */
  lo: number; hi: number;
  /** no store, AMO or reported DMA / debugger write has hit its page since */
  valid: boolean;
}
/** Count blocks for translated code while the execution profile is on: one int32 per half-word slot of a page.
 *  The arena is virtual memory until a profile touches it. */
export const COUNT_BLOCK_BYTES = 2048 * 4;
const COUNT_BLOCKS = 1024;
/** Per hart: the vector register file (32 registers of up to VLEN = 1024 bits), after the count arena. */
export const VREG_BLOCK_BYTES = 32 * 128;
const WASM_PAGE = 65536;

/** Something holding decoded code for host pages (a hart); told when a page's bytes change. */
export interface CodeCacheOwner {
  dropCodePage(hostPage: number): void;
}

export class GuestMemory {
  readonly memory: WebAssembly.Memory;
  /** bumped whenever the underlying ArrayBuffer changes (grow): harts refresh their views */
  generation = 0;
  u8!: Uint8Array;
  dv!: DataView;
  /** per host 4 KiB page: 1 if some hart holds decoded instructions for it (stores must invalidate); a view of
   *  the memory at CODE_PAGE_BASE */
  codePage!: Uint8Array;
  /** bumped by every invalidateHostPage that dropped code */
  invalidations = 0;

  // RAM regions: guest physical base, length, host byte offset (sorted by gpa)
  readonly ramGpa: number[] = [];
  readonly ramLen: number[] = [];
  readonly ramHost: number[] = [];
  // MMIO windows
  readonly mmioGpa: number[] = [];
  readonly mmioLen: number[] = [];
  readonly mmioHandler: (SyncMmio | undefined)[] = [];

  private nextHost: number;
  private readonly countArena: number;
  private readonly vregArena: number;
  private readonly freeCountBlocks: number[] = [];
  private nextCountBlock = 0;
  private readonly firstRamHost: number;
  private nextStateBlock = 0;
  private readonly maxBytes: number;
  private readonly hostPages: number;
  private readonly codeOwners: CodeCacheOwner[] = [];
  private readonly parked = new Map<object, ParkedReservation>();
  /** per host page with CODE_PAGE_RESERVED: how many valid parked reservations lie in it */
  private readonly reservedPages = new Map<number, number>();

  constructor(opts?: { maxRamBytes?: number }) {
    const maxRam = opts?.maxRamBytes ?? 2 * 1024 * 1024 * 1024;
    if (!Number.isInteger(maxRam) || maxRam < 0) throw new MemoryError(`maxRamBytes ${maxRam} is not a byte count`);
    const limit = 65536 * WASM_PAGE;
    this.hostPages = Math.ceil(limit / 4096);
    this.countArena = CODE_PAGE_BASE + this.hostPages;
    this.vregArena = this.countArena + COUNT_BLOCKS * COUNT_BLOCK_BYTES;
    const front = Math.ceil((this.vregArena + MAX_HARTS * VREG_BLOCK_BYTES) / WASM_PAGE) * WASM_PAGE;
    this.nextHost = front; this.firstRamHost = front;
    this.maxBytes = Math.min(front + maxRam, limit);
    this.memory = new WebAssembly.Memory({
      initial: front / WASM_PAGE,
      maximum: Math.ceil(this.maxBytes / WASM_PAGE),
    });
    this.refreshViews();
  }

  private refreshViews(): void {
    const buf = this.memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.dv = new DataView(buf);
    this.codePage = new Uint8Array(buf, CODE_PAGE_BASE, this.hostPages);
    this.generation++;
  }

  /** A hart asks for its state block (byte offset into memory). */
  allocStateBlock(): number {
    const off = this.nextStateBlock;
    if (off + STATE_BLOCK_BYTES > STATE_BYTES) throw new MemoryError('too many harts for one GuestMemory');
    this.nextStateBlock += STATE_BLOCK_BYTES;
    return off;
  }

  /** Byte offset of the vector register file of the hart whose state block is at stateOff (VREG_BLOCK_BYTES). */
  vregBlock(stateOff: number): number {
    return this.vregArena + (stateOff / STATE_BLOCK_BYTES) * VREG_BLOCK_BYTES;
  }

  /** Byte offset of the TLB block of the hart whose state block is at stateOff. */
  tlbBlock(stateOff: number): number {
    return TLB_BASE + (stateOff / STATE_BLOCK_BYTES) * TLB_BLOCK_BYTES;
  }

  /** A zeroed count block (byte offset) for a profiled translation, or -1 when all are in use. */
  allocCountBlock(): number {
    let k = this.freeCountBlocks.pop();
    if (k === undefined) {
      if (this.nextCountBlock >= COUNT_BLOCKS) return -1;
      k = this.nextCountBlock++;
    }
    const off = this.countArena + k * COUNT_BLOCK_BYTES;
    this.u8.fill(0, off, off + COUNT_BLOCK_BYTES);
    return off;
  }
  freeCountBlock(off: number): void {
    this.freeCountBlocks.push((off - this.countArena) / COUNT_BLOCK_BYTES);
  }

  registerCodeOwner(o: CodeCacheOwner): void {
    this.codeOwners.push(o);
  }

  addRam(gpa: number, bytes: number): void {
    this.checkWindow('RAM', gpa, bytes);
    const host = this.nextHost;
    const end = host + bytes;
    if (end > this.maxBytes) {
      throw new MemoryError(`RAM at 0x${gpa.toString(16)} (${bytes} bytes) exceeds the memory limit of ${this.maxBytes - this.firstRamHost} bytes`);
    }
    const needPages = Math.ceil(end / WASM_PAGE) - this.memory.buffer.byteLength / WASM_PAGE;
    if (needPages > 0) this.memory.grow(needPages);
    this.nextHost = end;
    let i = 0;
    while (i < this.ramGpa.length && this.ramGpa[i]! < gpa) i++;
    this.ramGpa.splice(i, 0, gpa);
    this.ramLen.splice(i, 0, bytes);
    this.ramHost.splice(i, 0, host);
    this.refreshViews();
  }

  addMmio(gpa: number, bytes: number, handler?: SyncMmio): void {
    if (!Number.isSafeInteger(gpa) || !Number.isSafeInteger(bytes) || bytes <= 0 || gpa < 0) {
      throw new MemoryError(`MMIO window 0x${gpa.toString(16)}+${bytes} is not a valid address range`);
    }
    if (this.overlaps(gpa, bytes)) throw new MemoryError(`MMIO window at 0x${gpa.toString(16)} overlaps another region`);
    this.mmioGpa.push(gpa);
    this.mmioLen.push(bytes);
    this.mmioHandler.push(handler);
  }

  private checkWindow(what: string, gpa: number, bytes: number): void {
    if (!Number.isSafeInteger(gpa) || !Number.isSafeInteger(bytes) || gpa < 0 || bytes <= 0 || gpa % 4096 !== 0 || bytes % 4096 !== 0) {
      throw new MemoryError(`${what} at 0x${gpa.toString(16)} size ${bytes}: base and size must be positive multiples of 4096`);
    }
    if (this.overlaps(gpa, bytes)) throw new MemoryError(`${what} at 0x${gpa.toString(16)} overlaps another region`);
  }

  private overlaps(gpa: number, bytes: number): boolean {
    for (let i = 0; i < this.ramGpa.length; i++) {
      if (gpa < this.ramGpa[i]! + this.ramLen[i]! && this.ramGpa[i]! < gpa + bytes) return true;
    }
    for (let i = 0; i < this.mmioGpa.length; i++) {
      if (gpa < this.mmioGpa[i]! + this.mmioLen[i]! && this.mmioGpa[i]! < gpa + bytes) return true;
    }
    return false;
  }

  /** Host byte offset of [gpa, gpa+len) if it lies entirely in one RAM region, else -1. */
  hostOffset(gpa: number, len: number): number {
    const g = this.ramGpa;
    for (let i = 0; i < g.length; i++) {
      const d = gpa - g[i]!;
      if (d >= 0 && d + len <= this.ramLen[i]!) return this.ramHost[i]! + d;
    }
    return -1;
  }

  /** Index of the MMIO window containing [gpa, gpa+len), or -1. */
  mmioIndex(gpa: number, len: number): number {
    const g = this.mmioGpa;
    for (let i = 0; i < g.length; i++) {
      const d = gpa - g[i]!;
      if (d >= 0 && d + len <= this.mmioLen[i]!) return i;
    }
    return -1;
  }

  /** View of guest RAM for loaders and DMA. Throws if the range is not inside one RAM region. */
  ram(gpa: number, len: number): Uint8Array {
    const off = this.hostOffset(gpa, len);
    if (off < 0) throw new MemoryError(`0x${gpa.toString(16)}+${len} is not inside guest RAM`);
    return new Uint8Array(this.memory.buffer, off, len);
  }

  /** Bytes at [gpa, gpa+len) changed behind the harts' backs (DMA, loader, debugger): drop decoded code there
   *  and break the LR reservations there. */
  invalidate(gpa: number, len: number): void {
    const off = this.hostOffset(gpa, Math.max(len, 1));
    if (off < 0) return;
    const last = (off + Math.max(len, 1) - 1) >>> 12;
    for (let p = off >>> 12; p <= last; p++) this.invalidateHostPage(p);
  }

  /** A store hit a page on the watch list: drop its decoded code, break the parked reservations in it. */
  invalidateHostPage(p: number): void {
    const v = this.codePage[p]!;
    if (v === 0) return;
    this.codePage[p] = 0;
    if (v & CODE_PAGE_RESERVED) {
      this.reservedPages.delete(p);
      for (const r of this.parked.values()) if (r.valid && r.off >>> 12 === p) r.valid = false;
    }
    if (v & CODE_PAGE_CODE) {
      this.invalidations++;
      for (const o of this.codeOwners) o.dropCodePage(p);
    }
  }

  /**
   * A hart stops running with an LR reservation at host offset `off`: until it runs again (takeReservation), any
   * other agent's store, AMO or SC to that page (another hart), and any invalidate() of it (DMA, the debugger),
   * breaks the reservation. Page granularity is what the store watch gives; the spec lets a reservation set be
   * larger than the reserved bytes (an SC then fails spuriously, and the guest's LR/SC loop retries).
   */
  parkReservation(owner: object, off: number): void {
    this.takeReservation(owner);
    // host offsets reach past 2^31 (--mem 2G and more): & ~7 would make them negative
    const d = off - (off % 8), p = off >>> 12;
    this.parked.set(owner, { off, lo: this.dv.getInt32(d, true), hi: this.dv.getInt32(d + 4, true), valid: true });
    this.reservedPages.set(p, (this.reservedPages.get(p) ?? 0) + 1);
    this.codePage[p] = this.codePage[p]! | CODE_PAGE_RESERVED;
  }

  /** The hart runs again: whether its parked reservation (if any) survived. It is no longer watched. */
  takeReservation(owner: object): boolean {
    const r = this.parked.get(owner);
    if (r === undefined) return false;
    this.parked.delete(owner);
    if (!r.valid) return false;
    const p = r.off >>> 12, n = (this.reservedPages.get(p) ?? 1) - 1;
    if (n > 0) this.reservedPages.set(p, n);
    else { this.reservedPages.delete(p); this.codePage[p] = this.codePage[p]! & ~CODE_PAGE_RESERVED; }
    const d = r.off - (r.off % 8);
    return this.dv.getInt32(d, true) === r.lo && this.dv.getInt32(d + 4, true) === r.hi;
  }
}
