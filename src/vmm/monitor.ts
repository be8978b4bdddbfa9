// The machine monitor (rvkvm run's Ctrl-A c, as QEMU's): a line of text in, a block of text out. Commands are
// rows of a table (MONITOR_COMMANDS, INFO_TOPICS) so a feature adds its own row (Monitor.add: e.g. savevm) without
// touching the dispatcher. Browser-safe: the CLI does the terminal (line editing, the prompt), a page could too.
// stop/cont hold Machine.runUntilDone through the MachineDebugger hook the GDB stub also uses.
import type { Vcpu } from '../kvm/index.js';
import { formatProfileReport } from '../kvm/vcpu.js';
import { registerTable } from './gdb-stub.js';
import type { Machine, MachineDebugger, MachineState } from './machine.js';

export interface MonitorCommand {
  name: string;
  aliases?: readonly string[];
  /** the arguments, as help shows them (e.g. 'FILE') */
  args?: string;
  help: string;
  run(mon: Monitor, args: readonly string[]): string | Promise<string>;
}

/** `info TOPIC` rows. */
export interface InfoTopic {
  name: string;
  help: string;
  run(mon: Monitor): string;
}

const hex = (v: bigint): string => `0x${v.toString(16).padStart(16, '0')}`;

function privilege(v: Vcpu, priv: bigint): string {
  return `${v.virtualized ? 'V' : ''}${priv === 1n ? 'S' : 'U'}`;
}

function cpuState(mon: Monitor, v: Vcpu): string {
  if (v.powerState === 'off') return 'powered off';
  if (mon.stopped) return 'stopped';
  return v.waitingForInterrupt ? 'halted (wfi)' : 'running';
}

/** One vCPU's registers: pc, privilege and V, x1..x31 four to a line, then the S-level CSRs KVM exposes. */
function formatRegisters(mon: Monitor, v: Vcpu): string {
  const regs = registerTable(v);
  const get = (name: string): bigint => regs.find((r) => r.name === name)!.get(v);
  const priv = get('priv');
  const lines = [`CPU#${v.id} pc ${hex(get('pc'))} priv ${privilege(v, priv)} V=${v.virtualized ? 1 : 0} (${cpuState(mon, v)})`];
  const row = (list: typeof regs): void => {
    for (let i = 0; i < list.length; i += 4) {
      lines.push(list.slice(i, i + 4).map((r) => `${r.name.padStart(8)} ${hex(r.get(v))}`).join(' '));
    }
  };
  row(regs.filter((r) => r.feature === 'cpu' && r.name !== 'pc' && r.name !== 'zero'));
  row(regs.filter((r) => r.feature === 'csr'));
  return lines.join('\n');
}

export const INFO_TOPICS: readonly InfoTopic[] = [
  {
    name: 'registers', help: 'each vCPU: pc, privilege and V bit, x1..x31, the S-level CSRs',
    run: (mon) => mon.machine.vcpus.map((v) => formatRegisters(mon, v)).join('\n'),
  },
  {
    name: 'cpus', help: 'each vCPU: pc, privilege, state, instructions retired',
    run: (mon) => mon.machine.vcpus.map((v) => {
      const regs = registerTable(v).filter((r) => r.name === 'pc' || r.name === 'priv');
      const [pc, priv] = [regs.find((r) => r.name === 'pc')!.get(v), regs.find((r) => r.name === 'priv')!.get(v)];
      return `* CPU #${v.id}: pc=${hex(pc)} priv=${privilege(v, priv)} ${cpuState(mon, v)} instructions=${v.instructionsRetired}`;
    }).join('\n'),
  },
  {
    name: 'extensions', help: 'instructions retired per extension and privilege mode so far (the execution profile)',
    run: (mon) => {
      const report = mon.machine.profile();
      if (report === null) return "the execution profile is off: start rvkvm with --profile or --json, or type 'profile on' to count from now";
      return formatProfileReport(report).trimEnd();
    },
  },
  {
    name: 'devices', help: 'the devices the machine has, with their counters',
    run: (mon) => mon.machine.deviceSummary().map((d) =>
      `${d.name} @ 0x${d.base.toString(16)}${d.irq !== undefined ? ` irq ${d.irq}` : ''}${d.detail ? ` (${d.detail})` : ''}: ` +
      Object.entries(d.counters).map(([k, n]) => `${k}=${n}`).join(' ')).join('\n'),
  },
];

export const MONITOR_COMMANDS: readonly MonitorCommand[] = [
  {
    name: 'help', aliases: ['?'], help: 'list the commands',
    run: (mon) => mon.commands.map((c) => {
      const names = [c.name, ...(c.aliases ?? [])].join('|') + (c.args ? ` ${c.args}` : '');
      return `${names.padEnd(24)} ${c.help}`;
    }).join('\n'),
  },
  {
    name: 'info', args: 'TOPIC', help: `show machine state: ${INFO_TOPICS.map((t) => t.name).join(', ')}`,
    run: (mon, args) => {
      const topic = INFO_TOPICS.find((t) => t.name === args[0]);
      if (!topic) {
        const list = INFO_TOPICS.map((t) => `info ${t.name.padEnd(12)} ${t.help}`).join('\n');
        return args[0] === undefined ? list : `info: unknown topic '${args[0]}'; one of:\n${list}`;
      }
      return topic.run(mon);
    },
  },
  { name: 'stop', help: 'pause the guest (its vCPUs run no instructions until cont)', run: (mon) => { mon.stop(); return ''; } },
  { name: 'cont', aliases: ['c'], help: 'resume the guest after stop', run: (mon) => { mon.cont(); return ''; } },
  {
    name: 'profile', args: 'on|off', help: 'start or stop counting instructions per extension (info extensions)',
    run: (mon, args) => {
      if (args[0] !== 'on' && args[0] !== 'off') return 'profile: expected on or off';
      for (const v of mon.machine.vcpus) v.setProfiling(args[0] === 'on');
      return args[0] === 'on' ? 'counting instructions per extension from now (info extensions)' : 'the execution profile is off';
    },
  },
  { name: 'quit', aliases: ['q'], help: 'end rvkvm (exit status 0; disks are flushed)', run: (mon) => { mon.quit(); return ''; } },
];

export class Monitor implements MachineDebugger {
  /** the table help and execute read; add() appends rows */
  readonly commands: MonitorCommand[];
  private held: { promise: Promise<void>; release: () => void } | null = null;
  private quitAsked = false;

  /**
   * `onQuit` ends the run (the CLI aborts runUntilDone); `inner` is another debugger (the GDB stub) whose holds
   * and DEBUG stops go on as if the monitor were not there.
   */
  constructor(readonly machine: Machine, private readonly onQuit: () => void, private readonly inner: MachineDebugger | null = null,
    commands: readonly MonitorCommand[] = MONITOR_COMMANDS) {
    this.commands = [...commands];
  }

  /** A command row from elsewhere (e.g. savevm FILE); its name must not be taken. */
  add(cmd: MonitorCommand): void {
    for (const n of [cmd.name, ...(cmd.aliases ?? [])]) {
      if (this.find(n)) throw new Error(`monitor command '${n}' is defined twice`);
    }
    this.commands.push(cmd);
  }

  private find(name: string): MonitorCommand | undefined {
    return this.commands.find((c) => c.name === name || (c.aliases ?? []).includes(name));
  }

  /** Runs one command line; the text to show (possibly empty). A command's own error is shown, not thrown. */
  async execute(line: string): Promise<string> {
    const [name, ...args] = line.trim().split(/\s+/).filter((w) => w !== '');
    if (name === undefined) return '';
    const cmd = this.find(name);
    if (!cmd) return `unknown command: '${name}' (help lists them)`;
    try {
      return await cmd.run(this, args);
    } catch (e) {
      return `${name}: ${(e as Error).message}`;
    }
  }

  get stopped(): boolean { return this.held !== null; }
  get quitRequested(): boolean { return this.quitAsked; }

  stop(): void {
    if (this.held) return;
    let release!: () => void;
    const promise = new Promise<void>((r) => { release = r; });
    this.held = { promise, release };
  }

  cont(): void {
    const h = this.held;
    this.held = null;
    h?.release();
  }

  quit(): void {
    this.quitAsked = true;
    this.cont();
    this.onQuit();
  }

  // MachineDebugger: the monitor's stop first, then the inner debugger's
  hold(): Promise<void> | null {
    return this.held?.promise ?? this.inner?.hold() ?? null;
  }

  debugStop(state: Extract<MachineState, { kind: 'debug' }>): void {
    this.inner?.debugStop(state);
  }
}
