// `rvkvm isa`: explain an ISA string (canonical form, device-tree properties, per-extension facts), show
// what a Linux guest would make of it, or list the whole catalogue.
import type { Command } from './main.js';
import {
  CATALOGUE,
  IsaError,
  LINUX_VERSIONS,
  checkProfile,
  extensionByName,
  profileByName,
  profileOptional,
  profiles,
  formatDeviceTreeBase,
  formatDeviceTreeExtensions,
  formatIsaString,
  linuxFromDeviceTree,
  parseIsaString,
  type Extension,
  type IsaSpec,
  type LinuxVersion,
  type LinuxView,
} from '../isa/index.js';

const USAGE = `usage: rvkvm isa <isa-string> [--json] [--linux[=<version>]]
       rvkvm isa --check-profile <profile> <isa-string> [--json]
       rvkvm isa --list [--json]

  <isa-string>       e.g. rv64gc_zimop_zcmop, rv64imafdc_zicsr_zifencei_zimop_zcmop, or a profile with
                     options: rva23u64, rva23s64_zvkng (profiles: ${profiles().map((p) => p.name).join(' ')})
  --check-profile P  which mandatory extensions of profile P the ISA string lacks (exit 1 if any)
  --json             machine-readable output
  --linux[=VERSION]  what a Linux guest (default ${LINUX_VERSIONS[0]}; also ${LINUX_VERSIONS.slice(1).join(', ')}) prints in
                     /proc/cpuinfo and reports through riscv_hwprobe, given rvkvm's device tree
  --list             the whole extension catalogue`;

// rvkvm's device tree advertises 64-byte cache blocks for Zicbom/Zicboz/Zicbop (Linux needs a size).
const CACHE_BLOCK_BYTES = 64;

export const command: Command = {
  summary: 'explain an ISA string: extensions, KVM ids, hwprobe bits, what Linux sees',
  async run(args: string[]): Promise<number> {
    let json = false;
    let list = false;
    let checkName: string | undefined;
    let linux: LinuxVersion | undefined;
    const positional: string[] = [];
    for (const arg of args) {
      if (arg === '--help' || arg === '-h') {
        process.stdout.write(USAGE + '\n');
        return 0;
      } else if (arg === '--json') json = true;
      else if (arg === '--check-profile' || arg.startsWith('--check-profile=')) {
        checkName = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : '';
      }
      else if (arg === '--list') list = true;
      else if (arg === '--linux') linux = LINUX_VERSIONS[0];
      else if (arg.startsWith('--linux=')) {
        const v = arg.slice('--linux='.length).replace(/^v/, '');
        if (!(LINUX_VERSIONS as readonly string[]).includes(v)) {
          process.stderr.write(`rvkvm: unknown Linux version '${v}' (known: ${LINUX_VERSIONS.join(', ')})\n`);
          return 2;
        }
        linux = v as LinuxVersion;
      } else if (arg.startsWith('-')) {
        process.stderr.write(`rvkvm: isa: unknown option '${arg}'\n${USAGE}\n`);
        return 2;
      } else positional.push(arg);
    }

    if (list) {
      if (positional.length) return usageError('--list takes no ISA string');
      process.stdout.write(json ? JSON.stringify(CATALOGUE.map(rowJson), null, 2) + '\n' : listTable());
      return 0;
    }
    if (checkName === '') {
      if (!positional.length) return usageError('--check-profile needs a profile name');
      checkName = positional.shift()!;
    }
    if (positional.length !== 1) return usageError(positional.length ? 'give one ISA string' : 'missing ISA string');
    const checked = checkName === undefined ? undefined : profileByName(checkName.toLowerCase());
    if (checkName !== undefined && !checked) {
      process.stderr.write(`rvkvm: unknown profile '${checkName}' (known: ${profiles().map((p) => p.name).join(', ')})\n`);
      return 2;
    }

    let spec: IsaSpec;
    try {
      spec = parseIsaString(positional[0]!);
    } catch (err) {
      if (!(err instanceof IsaError)) throw err;
      const caret = err.caret().split('\n').map((l) => `  ${l}`).join('\n');
      process.stderr.write(`rvkvm: ${err.message}\n${caret}\n`);
      return 1;
    }
    if (checked) {
      const result = checkProfile(checked, spec.extensions);
      if (json) {
        process.stdout.write(JSON.stringify({ profile: checked.name, isa: formatIsaString(spec), missing: result.missing, notChecked: result.notChecked }, null, 2) + '\n');
      } else {
        let out = result.missing.length
          ? `${formatIsaString(spec)} lacks ${result.missing.length} mandatory extension(s) of ${checked.name}: ${result.missing.join(' ')}\n`
          : `${formatIsaString(spec)} has every mandatory extension of ${checked.name}\n`;
        for (const [n, why] of Object.entries(result.notChecked)) out += `  not checked  ${n}: ${why}\n`;
        process.stdout.write(out);
      }
      return result.missing.length ? 1 : 0;
    }
    const dtExtensions = formatDeviceTreeExtensions(spec);
    const view = linux
      ? linuxFromDeviceTree({ isaBase: formatDeviceTreeBase(spec), isaExtensions: dtExtensions }, {
          version: linux,
          xlen: spec.xlen,
          blockSizes: { cbom: CACHE_BLOCK_BYTES, cboz: CACHE_BLOCK_BYTES, cbop: CACHE_BLOCK_BYTES },
        })
      : undefined;
    process.stdout.write(json ? JSON.stringify(specJson(spec, dtExtensions, view), null, 2) + '\n' : explain(spec, dtExtensions, view));
    return 0;
  },
};

function usageError(message: string): number {
  process.stderr.write(`rvkvm: isa: ${message}\n${USAGE}\n`);
  return 2;
}

const hex = (v: bigint) => `0x${v.toString(16)}`;

function hwprobeText(r: Extension): string {
  if (!r.hwprobe) return '-';
  const key = r.hwprobe.key === 4 ? 'EXT_0' : 'EXT_1';
  return `${key}:${r.hwprobe.bit}`;
}

function requiresText(r: Extension): string {
  return r.requires.length ? r.requires.map((g) => g.join('|')).join(',') : '-';
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

function explain(spec: IsaSpec, dtExtensions: string[], view: LinuxView | undefined): string {
  const rows = dtExtensions.map((n) => extensionByName(n)!);
  let out = `canonical             ${formatIsaString(spec)}\n`;
  out += `riscv,isa-base        ${formatDeviceTreeBase(spec)}\n`;
  out += `riscv,isa-extensions  ${dtExtensions.join(' ')}\n\n`;
  out += table(
    ['extension', 'KVM id', 'Linux id', 'hwprobe', 'requires', 'KVM disable', 'rvkvm executes'],
    rows.map((r) => [
      r.name,
      r.kvm ? String(r.kvm.id) : '-',
      r.linuxId === null ? '-' : String(r.linuxId),
      hwprobeText(r),
      requiresText(r),
      r.kvm ? r.kvm.disable : '-',
      r.implemented ? 'yes' : 'NO',
    ]),
  );
  const missing = rows.filter((r) => !r.implemented).map((r) => r.name);
  if (missing.length) out += `\nrvkvm's hart does not execute: ${missing.join(' ')}\n`;
  const guaranteed = rows.filter((r) => r.guarantee !== null && r.implemented);
  if (guaranteed.length) {
    out += `\nprofile-defined names, what rvkvm guarantees:\n`;
    for (const r of guaranteed) out += `  ${r.name.padEnd(13)} ${r.guarantee}\n`;
  }
  if (spec.profile) {
    const p = spec.profile;
    const options = new Set(profileOptional(p));
    const check = checkProfile(p, spec.extensions);
    const added = spec.profileAdded ?? [];
    out += `\nprofile ${p.name}: its mandatory set${added.length ? ` plus ${added.join(' ')}` : ''}\n`;
    for (const n of added) if (!options.has(n)) out += `  note        ${n} is not an option ${p.name} lists\n`;
    for (const [n, why] of Object.entries(check.notChecked)) out += `  not listed  ${n}: ${why}\n`;
  }
  if (view) {
    out += `\nLinux ${view.version} guest, from this riscv,isa-extensions:\n`;
    out += `  /proc/cpuinfo  ${view.cpuinfoLine.replace(/\t/g, ' ')}\n`;
    out += `  riscv_hwprobe  IMA_EXT_0 = ${hex(view.hwprobeImaExt0)}`;
    out += view.hwprobeImaExt1 === null ? '\n' : `, IMA_EXT_1 = ${hex(view.hwprobeImaExt1)}\n`;
    if (view.hartRejected) out += `  WARNING        Linux would not bring this hart up: ${view.hartRejected}\n`;
    for (const d of view.dropped) out += `  dropped        ${d.name}: ${d.reason}\n`;
    if (view.ignored.length) out += `  ignored        ${view.ignored.join(' ')} (unknown to this Linux)\n`;
  }
  return out;
}

function rowJson(r: Extension) {
  return {
    name: r.name,
    singleLetter: r.singleLetter,
    shorthand: r.shorthand,
    kvm: r.kvm,
    linuxId: r.linuxId,
    hwprobe: r.hwprobe,
    implies: r.implies,
    impliesIf: r.impliesIf,
    requires: r.requires,
    rv32Only: r.rv32Only,
    linuxVersions: Object.keys(r.linux),
    implemented: r.implemented,
    guarantee: r.guarantee,
  };
}

function specJson(spec: IsaSpec, dtExtensions: string[], view: LinuxView | undefined) {
  return {
    canonical: formatIsaString(spec),
    xlen: spec.xlen,
    base: spec.base,
    explicit: spec.explicit,
    deviceTree: { 'riscv,isa-base': formatDeviceTreeBase(spec), 'riscv,isa-extensions': dtExtensions },
    extensions: dtExtensions.map((n) => rowJson(extensionByName(n)!)),
    ...(view && {
      linux: {
        version: view.version,
        cpuinfoIsa: view.isa,
        enabled: view.enabled,
        dropped: view.dropped,
        ignored: view.ignored,
        hwprobeImaExt0: hex(view.hwprobeImaExt0),
        hwprobeImaExt1: view.hwprobeImaExt1 === null ? null : hex(view.hwprobeImaExt1),
        hartRejected: view.hartRejected ?? null,
      },
    }),
  };
}

function listTable(): string {
  return table(
    ['extension', 'KVM id', 'since', 'enable', 'disable', 'Linux id', 'hwprobe', 'Linux', 'requires', 'implies', 'rvkvm'],
    CATALOGUE.map((r) => [
      r.name,
      r.kvm ? String(r.kvm.id) : '-',
      r.kvm ? r.kvm.since : '-',
      r.kvm ? r.kvm.enable : '-',
      r.kvm ? r.kvm.disable : '-',
      r.linuxId === null ? '-' : String(r.linuxId),
      hwprobeText(r),
      Object.keys(r.linux).join(',') || '-',
      requiresText(r),
      [...r.implies, ...r.impliesIf.map((c) => `${c.name}(with ${c.with.join('+')}${c.xlen ? `, rv${c.xlen}` : ''})`)].join(',') || '-',
      r.implemented ? 'yes' : 'no',
    ]),
  );
}
