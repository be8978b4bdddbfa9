// What a Linux guest makes of a device tree's ISA description: Linux's own, lenient resolution
// (unknown names ignored, unmet dependencies dropped, subsets implied), the /proc/cpuinfo "isa" line and
// the riscv_hwprobe IMA_EXT_0 / IMA_EXT_1 values. Rules: shared/reference/linux-isa-extensions.json and
// hwprobe.json; the per-version table rows come from the catalogue.
import { CATALOGUE, extensionByLinuxId, extensionByName, type Extension, type LinuxVersion } from './catalogue.js';

export interface LinuxOptions {
  /** Which Linux to model; default the guest kernel, 6.12.107. */
  version?: LinuxVersion;
  /** The kernel's XLEN (a 64-bit kernel drops RV32-only extensions). Default 64. */
  xlen?: 32 | 64;
  /** riscv,cbom/cboz/cbop-block-size from the device tree; without one Linux drops that Zicbo* extension. */
  blockSizes?: { cbom?: number; cboz?: number; cbop?: number };
  /** Kernel configuration; default as the Debian 6.12.107 guest: CONFIG_FPU=y, CONFIG_RISCV_ISA_V=y. */
  kernel?: { fpu?: boolean; vector?: boolean; userCfi?: boolean; supm?: boolean };
}

export interface LinuxView {
  version: LinuxVersion;
  xlen: 32 | 64;
  /** Resolved extensions (names of riscv_isa_ext[] rows with an id), in Linux's print order. */
  enabled: readonly string[];
  /** Names Linux matched but then refused, with why. */
  dropped: ReadonlyArray<{ name: string; reason: string }>;
  /** Names Linux does not know (silently ignored by the kernel). */
  ignored: readonly string[];
  /** The /proc/cpuinfo line without "isa\t\t: ", e.g. "rv64imafdc_zicntr_zicsr_zifencei_zihpm". */
  isa: string;
  /** The whole /proc/cpuinfo line, "isa\t\t: rv64...". */
  cpuinfoLine: string;
  /** riscv_hwprobe RISCV_HWPROBE_KEY_IMA_EXT_0 (key 4). */
  hwprobeImaExt0: bigint;
  /** RISCV_HWPROBE_KEY_IMA_EXT_1 (key 16), or null where the version has no such key. */
  hwprobeImaExt1: bigint | null;
  /** Set when Linux would not bring the hart up at all (linuxFromDeviceTree only), saying why. */
  hartRejected?: string;
}

/** A hart's ISA properties as a device tree gives them. */
export interface DeviceTreeIsa {
  isa?: string; // riscv,isa
  isaBase?: string; // riscv,isa-base
  isaExtensions?: readonly string[]; // riscv,isa-extensions
}

// Forced on for riscv,isa in a device tree: they were part of "i" when the binding was written.
const DT_ISA_STRING_FORCED = ['zicsr', 'zifencei', 'zicntr', 'zihpm'];

/** Linux's view of a device tree hart: riscv,isa-extensions when present (falling back to riscv,isa when it yields nothing). */
export function linuxFromDeviceTree(dt: DeviceTreeIsa, options: LinuxOptions = {}): LinuxView {
  const rejected = hartRejection(dt, options.xlen ?? 64);
  const withVerdict = (view: LinuxView): LinuxView => (rejected ? { ...view, hartRejected: rejected } : view);
  if (dt.isaExtensions) {
    const view = linuxFromExtensionList(dt.isaExtensions, options);
    // CONFIG_RISCV_ISA_FALLBACK=y in the guest: an empty result falls back to riscv,isa.
    if (view.enabled.length > 0 || dt.isa === undefined) return withVerdict(view);
  }
  if (dt.isa === undefined) throw new Error('device tree hart has neither riscv,isa nor riscv,isa-extensions');
  return withVerdict(linuxFromIsaString(dt.isa, options));
}

/**
 * Why Linux would skip the hart at boot, or undefined. Not in shared/reference: read from Linux 6.12
 * arch/riscv/kernel/cpu.c riscv_early_of_processor_hartid() (riscv,isa-base must start with rv64i and
 * riscv,isa-extensions list i, m and a; otherwise riscv,isa must start with rv64ima, case-insensitively).
 */
function hartRejection(dt: DeviceTreeIsa, xlen: 32 | 64): string | undefined {
  if (dt.isaBase !== undefined) {
    if (!dt.isaBase.toLowerCase().startsWith(`rv${xlen}i`)) return `riscv,isa-base does not start with rv${xlen}i`;
    if (!dt.isaExtensions) return 'riscv,isa-base without riscv,isa-extensions';
    const missing = ['i', 'm', 'a'].filter((n) => !dt.isaExtensions!.includes(n));
    return missing.length ? `riscv,isa-extensions lacks ${missing.join(', ')} (Linux needs i, m and a)` : undefined;
  }
  if (dt.isa === undefined) return 'no riscv,isa-base or riscv,isa';
  return dt.isa.toLowerCase().startsWith(`rv${xlen}ima`) ? undefined : `riscv,isa does not start with rv${xlen}ima`;
}

/** riscv,isa-extensions path: each string matched exactly (case-sensitive) against the table names. */
export function linuxFromExtensionList(extensions: readonly string[], options: LinuxOptions = {}): LinuxView {
  const version = options.version ?? '6.12.107';
  const matched: Extension[] = [];
  const ignored: string[] = [];
  for (const name of extensions) {
    const ext = extensionByName(name);
    if (ext && ext.linux[version]) matched.push(ext);
    else ignored.push(name);
  }
  return resolveLinux(matched, ignored, options);
}

/** riscv,isa string path, with Linux's lenient parser (see "riscv,isa string" rules in the reference). */
export function linuxFromIsaString(isa: string, options: LinuxOptions = {}): LinuxView {
  const version = options.version ?? '6.12.107';
  const names = linuxIsaStringNames(isa);
  const matched: Extension[] = [];
  const ignored: string[] = [];
  for (const name of names) {
    const ext = extensionByName(name);
    if (ext && ext.linux[version]) matched.push(ext);
    else ignored.push(name);
  }
  for (const name of DT_ISA_STRING_FORCED) matched.push(extensionByName(name)!);
  return resolveLinux(matched, ignored, options);
}

/** The names Linux's riscv,isa parser extracts (lower-cased), before table lookup. */
export function linuxIsaStringNames(isa: string): string[] {
  const names: string[] = [];
  const s = isa.slice(4); // "rv32"/"rv64" is skipped without looking
  for (let i = 0; i < s.length; ) {
    const ch = s[i]!;
    if (ch === '_') {
      i++;
      continue;
    }
    const lower = ch.toLowerCase();
    if (lower === 's' || lower === 'z' || lower === 'x') {
      // QEMU's "su" (lower-case s then u, not after "_") is skipped.
      if (ch === 's' && s[i + 1] === 'u' && s[i - 1] !== '_') {
        i += 2;
        continue;
      }
      let end = s.indexOf('_', i);
      if (end < 0) end = s.length;
      const raw = s.slice(i, end);
      i = end;
      if (lower === 'x') continue; // vendor extensions are skipped
      if (/[^A-Za-z0-9]/.test(raw)) continue; // a name with other characters is ignored
      names.push(raw.replace(/\d+(p\d+)?$/i, '').toLowerCase());
      continue;
    }
    if (/[A-Za-z]/.test(ch)) {
      names.push(lower);
      i++;
      const version = /^\d+(p\d+)?/.exec(s.slice(i));
      if (version) i += version[0].length;
      continue;
    }
    i++; // anything else is skipped
  }
  return names;
}

type Verdict = 'ok' | 'defer' | { drop: string };

/** Linux's resolution: source bits walked in id order, deferring and dropping per validate callback. */
function resolveLinux(matched: readonly Extension[], ignored: string[], options: LinuxOptions): LinuxView {
  const version = options.version ?? '6.12.107';
  const xlen = options.xlen ?? 64;
  const kernel = { fpu: true, vector: true, userCfi: true, supm: true, ...options.kernel };
  const blocks = options.blockSizes ?? {};
  const source = new Set<number>();
  for (const ext of matched) {
    const entry = ext.linux[version]!;
    if (ext.linuxId !== null) source.add(ext.linuxId);
    for (const n of entry.implies) {
      const implied = extensionByName(n);
      if (implied?.linuxId != null && implied.linux[version]) source.add(implied.linuxId);
    }
  }

  const resolved = new Set<number>();
  const has = (name: string) => resolved.has(extensionByName(name)!.linuxId!);
  const powerOfTwo = (n: number | undefined) => n !== undefined && n > 0 && (n & (n - 1)) === 0;
  const callbacks: Record<string, () => Verdict> = {
    riscv_ext_zca_depends: () => (has('zca') ? 'ok' : 'defer'),
    riscv_ext_zcd_validate: () => (has('zca') && has('d') ? 'ok' : 'defer'),
    riscv_ext_zcf_validate: () => (xlen === 64 ? { drop: 'RV32-only on a 64-bit kernel' } : has('zca') && has('f') ? 'ok' : 'defer'),
    riscv_ext_zicbom_validate: () => (powerOfTwo(blocks.cbom) ? 'ok' : { drop: 'no valid riscv,cbom-block-size' }),
    riscv_ext_zicboz_validate: () => (powerOfTwo(blocks.cboz) ? 'ok' : { drop: 'no valid riscv,cboz-block-size' }),
    riscv_ext_zicbop_validate: () => (powerOfTwo(blocks.cbop) ? 'ok' : { drop: 'no valid riscv,cbop-block-size' }),
    riscv_ext_d_validate: () => (kernel.fpu ? 'ok' : { drop: 'kernel without CONFIG_FPU' }),
    riscv_ext_f_depends: () => (has('f') ? 'ok' : 'defer'),
    riscv_ext_f_validate: () => (!kernel.fpu ? { drop: 'kernel without CONFIG_FPU' } : has('d') ? 'ok' : { drop: 'F without D is not supported' }),
    riscv_ext_smcdeleg_validate: () => (has('sscsrind') && has('zihpm') && has('zicntr') ? 'ok' : 'defer'),
    riscv_ext_ssccfg_validate: () => (has('sscsrind') && has('zihpm') && has('zicntr') && has('smcdeleg') ? 'ok' : 'defer'),
    riscv_ext_svadu_validate: () => (has('svade') ? { drop: 'Svade wins over Svadu' } : 'ok'),
    riscv_ext_vector_crypto_validate: () => (!kernel.vector ? { drop: 'kernel without CONFIG_RISCV_ISA_V' } : has('zve32x') ? 'ok' : 'defer'),
    riscv_ext_vector_float_validate: () =>
      !kernel.vector ? { drop: 'kernel without CONFIG_RISCV_ISA_V' } : !kernel.fpu ? { drop: 'kernel without CONFIG_FPU' } : has('d') ? 'ok' : { drop: 'needs D' },
    riscv_ext_vector_x_validate: () => (kernel.vector ? 'ok' : { drop: 'kernel without CONFIG_RISCV_ISA_V' }),
    riscv_vector_f_validate: () => (!kernel.vector ? { drop: 'kernel without CONFIG_RISCV_ISA_V' } : has('zve32f') ? 'ok' : 'defer'),
    riscv_ext_zvfbfwma_validate: () => (has('zfbfmin') && has('zvfbfmin') ? 'ok' : 'defer'),
    riscv_ext_zclsd_validate: () => (xlen === 64 ? { drop: 'RV32-only on a 64-bit kernel' } : has('zilsd') && has('zca') ? 'ok' : 'defer'),
    riscv_ext_zilsd_validate: () => (xlen === 64 ? { drop: 'RV32-only on a 64-bit kernel' } : 'ok'),
    riscv_cfilp_validate: () => (kernel.userCfi ? 'ok' : { drop: 'kernel without CONFIG_RISCV_USER_CFI' }),
    riscv_cfiss_validate: () => (kernel.userCfi ? 'ok' : { drop: 'kernel without CONFIG_RISCV_USER_CFI' }),
  };

  const dropped: Array<{ name: string; reason: string }> = [];
  const pending = [...source].sort((a, b) => a - b);
  let deferred: number[] = [];
  // Passes repeat while something was deferred and the previous pass changed the resolved set.
  for (let pass = 0, changed = true; pending.length > 0 && changed && pass <= CATALOGUE.length; pass++) {
    changed = false;
    deferred = [];
    for (const id of pending) {
      const ext = extensionByLinuxId(id);
      const validate = ext?.linux[version]?.validate ?? null;
      if (validate && !callbacks[validate]) throw new Error(`linux: no model for validate callback ${validate}`);
      const verdict: Verdict = validate ? callbacks[validate]!() : 'ok';
      if (verdict === 'ok') {
        resolved.add(id);
        changed = true;
      } else if (verdict === 'defer') deferred.push(id);
      else dropped.push({ name: ext!.name, reason: verdict.drop });
    }
    pending.splice(0, pending.length, ...deferred);
  }
  for (const id of pending) {
    const ext = extensionByLinuxId(id)!;
    const unmet = ext.requires.filter((g) => !g.some((n) => extensionByName(n)!.linuxId !== null && has(n)));
    const needs = unmet.map((g) => g.join(' or ')).join(', ');
    dropped.push({ name: ext.name, reason: `never resolved${needs ? ` (needs ${needs})` : ''}` });
  }

  const enabledRows = CATALOGUE.filter((r) => r.linuxId !== null && r.linux[version] && resolved.has(r.linuxId));
  const letters = enabledRows.filter((r) => r.singleLetter).map((r) => r.name).join('');
  const multi = enabledRows.filter((r) => !r.singleLetter).map((r) => `_${r.name}`).join('');
  const isa = `rv${xlen}${letters}${multi}`;
  const enabled = new Set(enabledRows.map((r) => r.name));
  const [ext0, ext1] = hwprobe(enabled, version, kernel);
  return {
    version,
    xlen,
    enabled: enabledRows.map((r) => r.name),
    dropped,
    ignored,
    isa,
    cpuinfoLine: `isa\t\t: ${isa}`,
    hwprobeImaExt0: ext0,
    hwprobeImaExt1: version === '6.12.107' ? null : ext1,
  };
}

/** riscv_hwprobe IMA_EXT_0 and IMA_EXT_1 for a resolved extension set (every hart alike). */
export function hwprobe(
  enabled: ReadonlySet<string>,
  version: LinuxVersion,
  kernel: { fpu?: boolean; vector?: boolean; supm?: boolean } = {},
): [bigint, bigint] {
  const fpu = (kernel.fpu ?? true) && (enabled.has('f') || enabled.has('d'));
  const vector = (kernel.vector ?? true) && enabled.has('zve32x');
  const values: Record<4 | 16, bigint> = { 4: 0n, 16: 0n };
  for (const r of CATALOGUE) {
    const when = r.hwprobe?.when[version];
    if (!r.hwprobe || !when) continue;
    const on =
      when === 'always' ? enabled.has(r.name)
      : when === 'fpu' ? (r.name === 'f' || r.name === 'd' ? fpu : fpu && enabled.has(r.name))
      : when === 'vector' ? vector && enabled.has(r.name)
      : when === 'c' ? enabled.has('c')
      : when === 'vector-v' ? vector && enabled.has('v')
      : (kernel.supm ?? true) && enabled.has(r.name);
    if (on) values[r.hwprobe.key] |= 1n << BigInt(r.hwprobe.bit);
  }
  return [values[4], values[16]];
}
