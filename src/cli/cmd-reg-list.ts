// rvkvm reg-list: the vCPU's KVM_GET_REG_LIST, decoded like Linux's get-reg-list selftest prints it.
import type { Command } from './main.js';
import { parseIsaString } from '../isa/index.js';
import { KvmHost, KvmError, KVM_ABIS, regId, RegType, IsaSubtype, regIdName, hexId, kvmIsaTable, type KvmAbi } from '../kvm/index.js';
import { UsageError } from './errors.js';

const USAGE = `usage: rvkvm reg-list [--isa ISA] [--host-isa ISA] [--abi 6.12|7.3] [--allow-disable-any] [--json]

Prints the register list a vCPU reports (KVM_GET_REG_LIST), each id in hex and symbolically.
  --isa ISA            configure the vCPU's ISA extensions through ONE_REG ISA_EXT writes (e.g. rv64gc, rv64imac_zcmop);
                       every write KVM rejects is reported with its errno
  --host-isa ISA       the host's extensions (default: everything rvkvm's hart executes); may name extensions the
                       hart does not execute, since nothing runs here
  --abi 6.12|7.3       Linux KVM ABI to model (default 7.3)
  --allow-disable-any  rvkvm's opt-in: let ONE_REG disable any extension (Linux refuses e.g. Zcmop)
  --json               machine-readable output`;

interface IsaWrite { extension: string; kvmId: number; value: 0 | 1; result: string }

export const command: Command = {
  summary: "print a vCPU's KVM register list (ids decoded as get-reg-list does)",
  async run(args: string[]): Promise<number> {
    let isa: string | undefined;
    let hostIsa: string | undefined;
    let abi: KvmAbi = '7.3';
    let json = false;
    let allowDisableAny = false;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      const value = (): string => {
        const v = args[++i];
        if (v === undefined) throw new UsageError(`reg-list: ${a} needs a value`);
        return v;
      };
      switch (a) {
        case '--isa': isa = value(); break;
        case '--host-isa': hostIsa = value(); break;
        case '--abi': {
          const v = value();
          if (!(KVM_ABIS as readonly string[]).includes(v)) throw new UsageError(`reg-list: --abi must be one of ${KVM_ABIS.join(', ')}, not '${v}'`);
          abi = v as KvmAbi;
          break;
        }
        case '--json': json = true; break;
        case '--allow-disable-any': allowDisableAny = true; break;
        case '-h': case '--help': process.stdout.write(USAGE + '\n'); return 0;
        default: throw new UsageError(`reg-list: unknown option '${a}'\n${USAGE}`);
      }
    }
    const host = new KvmHost({
      ...(hostIsa !== undefined ? { extensions: parseIsaString(hostIsa).extensions } : {}),
      allowUnimplemented: true,
    });
    const vm = host.createVm({ abi, allowDisableAny });
    const vcpu = vm.createVcpu(0);
    const writes: IsaWrite[] = [];
    const unavailable: string[] = [];
    if (isa !== undefined) {
      const want = parseIsaString(isa).extensions;
      const table = kvmIsaTable(abi);
      for (const ext of table) {
        if (!ext || !host.has(ext.hostCheck)) continue;
        const id = regId(RegType.ISA_EXT, IsaSubtype.SINGLE, ext.kvmId);
        const value = want.has(ext.name) ? 1 : 0;
        if (vcpu.getOneReg(id) === BigInt(value)) continue;
        let result = 'ok';
        try { vcpu.setOneReg(id, BigInt(value)); } catch (e) {
          if (!(e instanceof KvmError)) throw e;
          result = `${e.errnoName} (${e.errno})`;
        }
        writes.push({ extension: ext.name, kvmId: ext.kvmId, value, result });
      }
      for (const n of want) {
        const ext = table.find((e) => e?.name === n);
        if (!ext) unavailable.push(`${n} (no KVM ISA_EXT id in the ${abi} ABI)`);
        else if (!host.has(ext.hostCheck)) unavailable.push(`${n} (host lacks it)`);
      }
    }
    const ids = vcpu.getRegList();
    if (json) {
      process.stdout.write(JSON.stringify({
        abi,
        host: [...host.extensions],
        vcpuExtensions: vcpu.enabledExtensions(),
        isaWrites: writes,
        unavailable,
        regs: ids.map((id) => ({ id: hexId(id), name: regIdName(id, abi) })),
      }, null, 2) + '\n');
      return 0;
    }
    const out: string[] = [];
    for (const w of writes) {
      out.push(`# ONE_REG ISA_EXT ${w.extension} (KVM id ${w.kvmId}) := ${w.value}: ${w.result === 'ok' ? 'accepted' : `rejected, ${w.result}`}`);
    }
    for (const u of unavailable) out.push(`# not available: ${u}`);
    out.push(`# KVM ${abi} ABI, vCPU extensions: ${vcpu.enabledExtensions().join(' ')}`);
    for (const id of ids) out.push(`${hexId(id)}  ${regIdName(id, abi)},`);
    out.push(`# ${ids.length} registers`);
    process.stdout.write(out.join('\n') + '\n');
    return 0;
  },
};
