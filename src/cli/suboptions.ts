// Comma sub-options of CLI flags (`--disk FILE,ro,lock=off`), parsed from one table per flag so an unknown key
// or value is always an error that names it and lists what the flag accepts: a silently ignored
// `format=qcow2` would have let a user write raw sectors over a qcow2 image.
import { UsageError } from './errors.js';

/** One accepted key: a bare flag (`ro`), or `key=value` with the values it takes. */
export interface SubOptionSpec {
  key: string;
  /** The accepted values; absent for a bare flag. */
  values?: readonly string[];
  /** Values that are known but not implemented yet (the error says so rather than "unknown"). */
  notYet?: readonly string[];
  /** Takes any value (checked by the caller), described as `key=<valueName>`. */
  valueName?: string;
}

function describe(spec: SubOptionSpec): string {
  if (spec.valueName) return `${spec.key}=${spec.valueName}`;
  return spec.values ? `${spec.key}=${spec.values.join('|')}` : spec.key;
}

/** Parses `a,b=c,...` against `specs`; returns key -> value ('' for a bare flag). Throws a one-line Error. */
export function parseSubOptions(flag: string, whole: string, parts: readonly string[], specs: readonly SubOptionSpec[]): Map<string, string> {
  const out = new Map<string, string>();
  const accepted = specs.map(describe).join(', ');
  for (const part of parts) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const val = eq < 0 ? undefined : part.slice(eq + 1);
    const spec = specs.find((s) => s.key === key);
    if (!spec) {
      throw new UsageError(`${flag} '${whole}': unknown option '${key === '' ? part : key}' (accepted: ${accepted})`);
    }
    if (spec.valueName) {
      if (val === undefined || val === '') throw new UsageError(`${flag} '${whole}': '${key}' needs a value: ${describe(spec)}`);
      out.set(key, val);
      continue;
    }
    if (spec.values === undefined) {
      if (val !== undefined) throw new UsageError(`${flag} '${whole}': '${key}' takes no value (accepted: ${accepted})`);
      out.set(key, '');
      continue;
    }
    if (val === undefined) throw new UsageError(`${flag} '${whole}': '${key}' needs a value: ${describe(spec)}`);
    if (spec.notYet?.includes(val)) {
      throw new UsageError(`${flag} '${whole}': ${key}=${val} is not supported yet (accepted: ${describe(spec)})`);
    }
    if (!spec.values.includes(val)) throw new UsageError(`${flag} '${whole}': ${key}=${val} is not accepted (accepted: ${describe(spec)})`);
    out.set(key, val);
  }
  return out;
}
