// KvmHost: the "hardware" and host kernel the VMs run on (what /dev/kvm would describe).
import { CATALOGUE, extensionByName, splitImplemented } from '../isa/index.js';
import { KvmError } from './errors.js';
export { CBO_BLOCK_SIZE } from './abi.js';
import type { HostFeatures } from './isa-rules.js';
import { Vm, type VmOptions } from './vm.js';

export interface KvmHostOptions {
  /** Extensions the host CPU has (canonical names). Default: every catalogue extension the hart executes but svade. */
  extensions?: Iterable<string>;
  /**
   * Let `extensions` name extensions rvkvm's hart does not execute (e.g. ssaia, v) to study KVM's register
   * rules. vCPUs of such a host refuse to run() while any such extension is enabled for them.
   */
  allowUnimplemented?: boolean;
  /** Host timebase (TIMER frequency register, guest `time` rate). Default 10 MHz. */
  timebaseHz?: number;
  mvendorid?: bigint;
  marchid?: bigint;
  mimpid?: bigint;
  /** VLEN in bits of the host's vector unit (V): 128 (default), 256, 512 or 1024. */
  vlen?: number;
  /** satp mode field of the host (8 = Sv39, 9 = Sv48, 10 = Sv57). Default 10: the hart walks Sv57. */
  satpMode?: 8 | 9 | 10;
}

export class KvmHost implements HostFeatures {
  readonly extensions: ReadonlySet<string>;
  readonly allowUnimplemented: boolean;
  readonly timebaseHz: number;
  readonly mvendorid: bigint;
  readonly marchid: bigint;
  readonly mimpid: bigint;
  readonly satpMode: bigint;
  readonly vlen: number;

  constructor(opts: KvmHostOptions = {}) {
    this.allowUnimplemented = opts.allowUnimplemented ?? false;
    // Svade beside Svadu makes a guest start with hardware A/D updating off (KVM's rule, modelled by the hart),
    // so the default host has Svadu only; a host that names svade (--isa, a profile) gets both.
    // The default host: every extension the hart executes whose requirements those meet (Zvfh needs Zfhmin).
    const names = opts.extensions ? [...opts.extensions] : [...splitImplemented(new Set(CATALOGUE.filter((r) => r.implemented && !r.shorthand && r.name !== 'svade').map((r) => r.name))).implemented];
    const set = new Set<string>();
    for (const n of names) {
      const row = extensionByName(n);
      if (!row || row.shorthand) {
        throw new KvmError('EINVAL', `host extension '${n}' is not a catalogue extension name (use canonical lower-case names such as 'zcmop')`);
      }
      if (!row.implemented && !this.allowUnimplemented) {
        throw new KvmError('EINVAL', `host extension '${n}' is not executed by rvkvm's hart (allowUnimplemented makes an ABI-only host)`);
      }
      set.add(n);
    }
    this.extensions = set;
    this.timebaseHz = opts.timebaseHz ?? 10_000_000;
    if (!Number.isInteger(this.timebaseHz) || this.timebaseHz <= 0) throw new KvmError('EINVAL', `timebaseHz ${this.timebaseHz} must be a positive integer`);
    this.mvendorid = opts.mvendorid ?? 0n;
    this.marchid = opts.marchid ?? 0n;
    this.mimpid = opts.mimpid ?? 0n;
    this.satpMode = BigInt(opts.satpMode ?? 10);
    this.vlen = opts.vlen ?? 128;
    if (![128, 256, 512, 1024].includes(this.vlen)) throw new KvmError('EINVAL', `VLEN ${this.vlen}: rvkvm's hart offers 128, 256, 512 or 1024`);
  }

  has(name: string): boolean {
    return this.extensions.has(name);
  }

  createVm(opts: VmOptions = {}): Vm {
    return new Vm(this, opts);
  }
}
