// `rvkvm run --json[=FILE]`: what a script wants to know about a run once it is over, as one JSON object: how it
// ended (a reason word and the exit status), how much the guest ran, where it spent its instructions (the
// execution profile), and which devices it had with what each moved. On stdout it is the last line, after the
// console output, so `tail -n 1` finds it; a FILE gets the same object, pretty-printed.
import { writeFileSync } from 'node:fs';
import type { Machine, DeviceSummary } from '../vmm/machine.js';
import type { ProfileReport } from '../kvm/vcpu.js';

/** Why the run ended: the guest powered off or reset, panicked, failed, ran past --timeout, or the user stopped it. */
export type ExitReason = 'poweroff' | 'reset' | 'panic' | 'error' | 'timeout' | 'signal' | 'escape' | 'monitor-quit';

export interface RunSummary {
  /** the layout of this object; raised when a field changes meaning */
  version: 1;
  exitReason: ExitReason;
  exitStatus: number;
  /** the line rvkvm printed about the end, if any */
  message?: string;
  instructions: number;
  wallSeconds: number;
  mips: number;
  vcpus: number;
  isa: string;
  memBytes: number;
  profile: ProfileReport | null;
  devices: (Omit<DeviceSummary, 'base'> & { base: string })[];
}

export function runSummary(machine: Machine, end: { reason: ExitReason; status: number; message?: string; wallSeconds: number }): RunSummary {
  const n = machine.instructions;
  return {
    version: 1,
    exitReason: end.reason,
    exitStatus: end.status,
    ...(end.message !== undefined ? { message: end.message } : {}),
    instructions: n,
    wallSeconds: Number(end.wallSeconds.toFixed(3)),
    mips: end.wallSeconds > 0 ? Number((n / end.wallSeconds / 1e6).toFixed(1)) : 0,
    vcpus: machine.vcpus.length,
    isa: machine.isaString,
    memBytes: machine.memBytes,
    profile: machine.profile(),
    devices: machine.deviceSummary().map((d) => ({ ...d, base: `0x${d.base.toString(16)}` })),
  };
}

/** `-` is stdout (one line); anything else a file. */
export function writeRunSummary(where: string, summary: RunSummary): void {
  if (where === '-') process.stdout.write(`${JSON.stringify(summary)}\n`);
  else writeFileSync(where, `${JSON.stringify(summary, null, 2)}\n`);
}
