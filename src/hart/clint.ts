// A SiFive-compatible CLINT (msip at 0x0, mtimecmp at 0x4000, mtime at 0xbff8; 64 KiB window) for harts running
// M-mode software (rvkvm exec). It drives MSIP directly and MTIP through each hart's mtimecmp (the hart compares
// with its own clock, so WFI can fast-forward to the deadline).
import type { SyncMmio } from './memory.js';
import type { Hart } from './hart.js';

export const CLINT_SIZE = 0x10000;
const MSIP = 0x0, MTIMECMP = 0x4000, MTIME = 0xbff8;
const TWO32 = 4294967296;

export class Clint implements SyncMmio {
  private readonly cmpLo: number[];
  private readonly cmpHi: number[];

  constructor(private readonly harts: readonly Hart[]) {
    this.cmpLo = harts.map(() => -1);
    this.cmpHi = harts.map(() => -1);
  }

  private word(offset: number, high: boolean): number {
    if (offset >= MSIP && offset < MSIP + 4 * this.harts.length) {
      const h = this.harts[(offset - MSIP) >> 2]!;
      return high ? 0 : (h.mip >>> 3) & 1;
    }
    if (offset >= MTIMECMP && offset < MTIMECMP + 8 * this.harts.length) {
      const k = (offset - MTIMECMP) >> 3;
      const hiWord = high || (offset & 4) !== 0;
      return hiWord ? this.cmpHi[k]! : this.cmpLo[k]!;
    }
    if (offset === MTIME || offset === MTIME + 4) {
      const t = this.harts[0]?.readTime() ?? 0;
      return high || offset === MTIME + 4 ? Math.floor(t / TWO32) | 0 : (t % TWO32) | 0;
    }
    return 0;
  }

  read(offset: number, _size: 1 | 2 | 4 | 8): number {
    return this.word(offset, false);
  }
  readHigh(offset: number): number {
    return this.word(offset, true);
  }

  write(offset: number, size: 1 | 2 | 4 | 8, lo: number, hi: number): void {
    if (offset >= MSIP && offset < MSIP + 4 * this.harts.length) {
      this.harts[(offset - MSIP) >> 2]!.setInterruptPending(3, (lo & 1) !== 0);
      return;
    }
    if (offset >= MTIMECMP && offset < MTIMECMP + 8 * this.harts.length) {
      const k = (offset - MTIMECMP) >> 3;
      if (size === 8) { this.cmpLo[k] = lo | 0; this.cmpHi[k] = hi | 0; }
      else if (offset & 4) this.cmpHi[k] = lo | 0;
      else this.cmpLo[k] = lo | 0;
      this.harts[k]!.mtimecmp = (this.cmpHi[k]! >>> 0) * TWO32 + (this.cmpLo[k]! >>> 0);
    }
    // mtime is read-only here: each hart owns its clock
  }
}
