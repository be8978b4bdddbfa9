// Guest time shared by every hart of a machine: KVM keeps one time base per VM, so a write to `time` or an
// idle fast-forward moves it for all vCPUs, and with the instruction-counting clock every hart's work advances it.

export type ClockKind = 'wall' | 'icount';

export class GuestClock {
  /** icount: instructions retired by all harts, folded in at the end of each run() (1 ns each). */
  icountNs = 0;
  /** Ticks added by writes to `time` and by fast-forwards over idle time. */
  offsetTicks = 0;
  private readonly wallBase = performance.now();

  constructor(readonly kind: ClockKind = 'wall', readonly timebaseHz = 10_000_000) {
    if (kind !== 'wall' && kind !== 'icount') throw new Error(`clock '${String(kind)}' is not 'wall' or 'icount'`);
    if (!(timebaseHz > 0)) throw new Error(`timebaseHz ${timebaseHz} must be positive`);
  }

  /** The clock's state for a snapshot: the instruction count and offset, and the time it shows now. */
  saveState(): { icountNs: number; offsetTicks: number; ticks: number } {
    return { icountNs: this.icountNs, offsetTicks: this.offsetTicks, ticks: this.ticks(0) };
  }

  /**
   * Resumes a saved clock: under icount exactly as it was; under the wall clock from the time it showed when saved,
   * so the guest's time goes on from there instead of jumping by the time the snapshot lay on disk.
   */
  loadState(s: { icountNs: number; offsetTicks: number; ticks: number }): void {
    this.icountNs = s.icountNs;
    if (this.kind === 'icount') { this.offsetTicks = s.offsetTicks; return; }
    this.offsetTicks = 0;
    this.offsetTicks = s.ticks - this.ticks(0);
  }

  /** Current time in ticks, given the running hart's instructions not yet folded in. */
  ticks(unfoldedInstructions: number): number {
    const base = this.kind === 'wall'
      ? Math.floor((performance.now() - this.wallBase) * (this.timebaseHz / 1000))
      : Math.floor((this.icountNs + unfoldedInstructions) * (this.timebaseHz / 1e9));
    return base + this.offsetTicks;
  }
}
