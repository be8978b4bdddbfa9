// Per-extension execution profile: instructions retired per extension and per privilege mode, and
// illegal-instruction traps grouped by the extension that *would* have decoded the trapping bits.
//
// The hart does the cheap part (one counter per cached decode entry, bumped only while profiling; mode time
// accounted at mode switches). This module turns those counts into names: it maps an encoding-table row to the
// extension it belongs to, and classifies raw bits against every table regardless of the enabled set.
import { Decoder, type InsnDef } from './decode.js';
import { ALL_ENCODINGS } from './ext/index.js';
import { CATALOGUE, expandExtensions } from '../isa/index.js';

/** Privilege-mode names by mode number (0 = U, 1 = S, 3 = M), as profile reports spell them. */
export const MODE_NAMES = ['U', 'S', '', 'M'] as const;

/** Extension label of illegal bits that no encoding table knows. */
export const UNKNOWN_EXTENSION = 'unknown';

/** What `--profile=FILE.json` writes (and Machine.profile() / Hart.profileReport() return). */
export interface ProfileReport {
  /** instructions retired, by extension (canonical lower-case name), largest first */
  perExtension: Record<string, number>;
  /** instructions retired, by privilege mode */
  perMode: { M: number; S: number; U: number };
  /** illegal-instruction traps, by the extension whose table decodes the trapping bits (or 'unknown') */
  illegalTraps: Record<string, number>;
  /** instructions retired while profiling (the sum of perExtension, and of perMode) */
  total: number;
}

/**
 * The extension an encoding row belongs to (profileLabels lifts it to what the profile counts). A row gated on
 * several extensions ('zcb+zbb': c.zext.h needs both) is the first one's encoding: the others only lend it semantics.
 */
export function extensionOfRow(def: InsnDef): string {
  const plus = def.ext.indexOf('+');
  return plus < 0 ? def.ext : def.ext.slice(0, plus);
}

/**
 * The extension a retired instruction is counted under, for every member of a hart's ISA (issue #17's rule).
 * An encoding row names the smallest extension that has the instruction (vadd: zve32x, vfadd: zve32f, vandn: zvkb,
 * c.addi: zca). The profile counts it under the largest extension of the hart's ISA that contains that one through
 * the catalogue's implications: with V, vector code is counted under v (V contains Zve64d, ..., Zve32x); with
 * Zvbb, vandn under zvbb; with C, c.addi under c; a hart with only Zve32x counts under zve32x. Shorthands (g, b,
 * zvkn) stand for sets and are never members, so they never count. Should two enabled extensions contain it and
 * neither contain the other, the first in canonical order wins.
 */
export function profileLabels(isa: ReadonlySet<string>): Map<string, string> {
  const members = CATALOGUE.filter((r) => isa.has(r.name) && !r.shorthand).map((r) => r.name);
  const closure = new Map(members.map((n) => [n, expandExtensions([n], 64)]));
  const contains = (outer: string, inner: string): boolean => outer !== inner && closure.get(outer)!.has(inner);
  const labels = new Map<string, string>();
  for (const x of members) {
    const containers = members.filter((e) => contains(e, x));
    const largest = containers.filter((e) => !containers.some((f) => contains(f, e)));
    labels.set(x, largest[0] ?? x);
  }
  return labels;
}

let decodeAnything: Decoder | null = null;
let anyLabels: Map<string, string> | null = null;
const anyScratch = new Int32Array(3);

/**
 * The extension whose encoding table decodes `insn` with every extension enabled, or 'unknown', named by the
 * counting rule over the whole catalogue (vector bits: v, compressed: c).
 */
export function classifyAnyIsa(insn: number): string {
  if (decodeAnything === null || anyLabels === null) {
    const every = new Set<string>();
    for (const row of ALL_ENCODINGS) for (const e of row.ext.split('+')) every.add(e);
    decodeAnything = new Decoder(ALL_ENCODINGS, every);
    anyLabels = profileLabels(new Set(CATALOGUE.filter((r) => !r.shorthand).map((r) => r.name)));
  }
  const def = decodeAnything.decode(insn | 0, anyScratch, 0);
  if (!def) return UNKNOWN_EXTENSION;
  const ext = extensionOfRow(def);
  return anyLabels.get(ext) ?? ext;
}

/** Counts of one hart (mutable; the hart feeds it). */
export class ExecutionProfile {
  private readonly retired = new Map<string, number>();
  /** by mode number 0..3 */
  private readonly modeRetired = [0, 0, 0, 0];
  private readonly illegal = new Map<string, number>();

  addRetired(extension: string, count: number): void {
    this.retired.set(extension, (this.retired.get(extension) ?? 0) + count);
  }

  addModeRetired(mode: number, count: number): void {
    this.modeRetired[mode] = this.modeRetired[mode]! + count;
  }

  /** an illegal-instruction trap on these bits (tval) */
  addIllegalTrap(insn: number): void {
    const ext = classifyAnyIsa(insn);
    this.illegal.set(ext, (this.illegal.get(ext) ?? 0) + 1);
  }

  report(): ProfileReport {
    let total = 0;
    for (const n of this.retired.values()) total += n;
    return {
      perExtension: sortedRecord(this.retired),
      perMode: { M: this.modeRetired[3]!, S: this.modeRetired[1]!, U: this.modeRetired[0]! },
      illegalTraps: sortedRecord(this.illegal),
      total,
    };
  }
}

/** Sum of several harts' reports (rvkvm run counts over all vCPUs). */
export function mergeProfileReports(reports: readonly ProfileReport[]): ProfileReport {
  const ext = new Map<string, number>(), traps = new Map<string, number>();
  const perMode = { M: 0, S: 0, U: 0 };
  let total = 0;
  for (const r of reports) {
    for (const [k, v] of Object.entries(r.perExtension)) ext.set(k, (ext.get(k) ?? 0) + v);
    for (const [k, v] of Object.entries(r.illegalTraps)) traps.set(k, (traps.get(k) ?? 0) + v);
    perMode.M += r.perMode.M; perMode.S += r.perMode.S; perMode.U += r.perMode.U;
    total += r.total;
  }
  return { perExtension: sortedRecord(ext), perMode, illegalTraps: sortedRecord(traps), total };
}

/** The human-readable table `--profile` prints. */
export function formatProfileReport(r: ProfileReport): string {
  const lines: string[] = [];
  const pct = (n: number, of: number): string => (of > 0 ? ((100 * n) / of).toFixed(2) : '0.00').padStart(6) + ' %';
  lines.push(`instructions retired: ${r.total}`);
  lines.push('per extension:');
  for (const [ext, n] of Object.entries(r.perExtension)) lines.push(`  ${ext.padEnd(10)} ${String(n).padStart(14)} ${pct(n, r.total)}`);
  lines.push('per privilege mode:');
  for (const m of ['M', 'S', 'U'] as const) lines.push(`  ${m.padEnd(10)} ${String(r.perMode[m]).padStart(14)} ${pct(r.perMode[m], r.total)}`);
  const traps = Object.entries(r.illegalTraps);
  lines.push(`illegal-instruction traps: ${traps.reduce((s, [, n]) => s + n, 0)}`);
  for (const [ext, n] of traps) lines.push(`  ${ext}: ${n} traps`);
  return lines.join('\n') + '\n';
}

function sortedRecord(m: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of [...m].filter(([, v]) => v !== 0).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) out[k] = v;
  return out;
}
