// Boot progress for the page: which milestone of a Linux boot the console has shown, and an estimate of the
// fraction done. A guest cannot say how far it is, so the estimate is the instructions retired against a
// measured boot of the bundled guest, held between the fractions at which the milestones appear in that boot
// (so the bar never runs ahead of the console or back). Pure: the worker feeds it console text and counts.
import { INIT_MARKER } from '../../src/vmm/initramfs.js';

export interface Milestone {
  /** text of a console line that marks it */
  match: string;
  phase: string;
  /** instructions retired when it appears in the measured bundled boot; null for the init's steps, whose
   *  place depends on the devices (loading modules costs more than the whole init otherwise) */
  instructions: number | null;
}

/**
 * The bundled Debian guest's boot (Linux 6.12, 1 vCPU, default command line, --clock icount), in console order,
 * measured with scripts/boot-milestones.mjs; the init's steps in the order its setup script runs them.
 */
export const BOOT_MILESTONES: readonly Milestone[] = [
  { match: 'Linux version', phase: 'kernel started', instructions: 14.7e6 },
  { match: 'smp: Bringing up secondary CPUs', phase: 'bringing up CPUs', instructions: 104e6 },
  { match: 'Serial: 8250/16550 driver', phase: 'probing devices', instructions: 518e6 },
  { match: 'Freeing unused kernel image', phase: 'freeing init memory', instructions: 932e6 },
  { match: 'Run /init as init process', phase: 'running /init', instructions: 932e6 },
  { match: 'rvkvm-init: loaded', phase: 'modules loaded', instructions: null },
  { match: 'rvkvm-init: mounted', phase: 'disk mounted', instructions: null },
  { match: 'rvkvm-init: eth0', phase: 'network configured', instructions: null },
  { match: INIT_MARKER, phase: 'userspace is up', instructions: null },
];

/** Instructions from power-on to the init marker in that boot, without modules and with the network's four
 *  (whose insmod, in the interpreter mostly, costs about as much as the rest of the init's work). */
export const BUNDLED_BOOT_INSTRUCTIONS = { plain: 995e6, withModules: 1.75e9 };

/** The estimate stops short of 1 until the marker shows, however long the boot takes. */
const MAX_BEFORE_DONE = 0.99;

export class BootProgress {
  private tail = '';
  private reached = -1;
  /** the estimate when the last milestone was reached: later estimates never go below it */
  private floor = 0;
  /** instructions retired at each milestone reached (for re-measuring) */
  readonly seenAt: { phase: string; instructions: number }[] = [];

  /** @param expectedInstructions the whole boot's instructions, when the guest is one whose boot was measured */
  constructor(private readonly expectedInstructions: number | null) {}

  get done(): boolean {
    return this.reached === BOOT_MILESTONES.length - 1;
  }

  /** Console text as it arrives (any chunking); `instructions` is the count retired when it was printed. */
  feed(text: string, instructions: number): void {
    if (this.done) return;
    // keep the unfinished line: a milestone may arrive split over two chunks
    const lines = (this.tail + text).split('\n');
    this.tail = lines.pop()!.slice(-256);
    for (const line of [...lines, this.tail]) {
      for (let i = this.reached + 1; i < BOOT_MILESTONES.length; i++) {
        if (!line.includes(BOOT_MILESTONES[i]!.match)) continue;
        // from here on the bar starts at the milestone's place in the measured boot (or where it was, for a step
        // of the init's)
        const known = BOOT_MILESTONES[i]!.instructions;
        const here = this.fraction(instructions) ?? 0;
        this.floor = known !== null && this.expectedInstructions !== null
          ? Math.max(here, Math.min(MAX_BEFORE_DONE, known / this.expectedInstructions)) : here;
        this.seenAt.push({ phase: BOOT_MILESTONES[i]!.phase, instructions });
        this.reached = i;
        break;
      }
    }
  }

  phase(): string {
    return this.reached < 0 ? 'starting' : BOOT_MILESTONES[this.reached]!.phase;
  }

  /** The estimated fraction done, or null when the guest's boot is unknown (until the marker: then 1). */
  fraction(instructions: number): number | null {
    if (this.done) return 1;
    if (this.expectedInstructions === null) return null;
    // not past the next milestone's place in the measured boot: a slower boot waits there instead
    const next = BOOT_MILESTONES[this.reached + 1]!.instructions;
    const ceiling = next === null ? MAX_BEFORE_DONE : Math.min(MAX_BEFORE_DONE, next / this.expectedInstructions);
    return Math.max(this.floor, Math.min(ceiling, instructions / this.expectedInstructions));
  }
}
