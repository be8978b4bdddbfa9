// Strict parsing of ISA strings ("rv64gc_zimop_zcmop") and device-tree ISA properties, and the canonical
// formatter. Everything about individual extensions comes from the catalogue.
import { CATALOGUE, extensionByName, type Extension } from './catalogue.js';
import { IsaError } from './errors.js';
import { PROFILE_PREFIX, profileByName, profileMandatory, profiles, type Profile } from './profiles.js';

/** The contract other layers use: what a guest hart gets. */
export interface IsaSpec {
  xlen: 32 | 64;
  base: 'i' | 'e';
  /** Fully expanded canonical lower-case names ('c' also adds 'zca' and, with d, 'zcd'; 'g' adds its members). */
  extensions: ReadonlySet<string>;
  /** As the user wrote them, canonical (shorthands such as 'g' stay as written; a profile's names follow it). */
  explicit: readonly string[];
  /** The profile the string started with ("rva23u64_zvkng"), if any. */
  profile?: Profile;
  /** With a profile: the names written after it ("zvkng" in "rva23u64_zvkng"). */
  profileAdded?: readonly string[];
}

/** One extension as written, for error positions. */
interface Written {
  name: string;
  token: string;
  position: number;
}

// A version suffix after a name: "2", "2p0", "21p13".
const VERSION = /^\d+(p\d+)?/;

/** Parse an ISA string such as "rv64imafdc_zicsr_zifencei_zimop_zcmop" or "RV64GC_Zcmop". */
export function parseIsaString(input: string): IsaSpec {
  const s = input.toLowerCase();
  const fail = (kind: IsaError['kind'], token: string, position: number, message: string): never => {
    throw new IsaError(kind, token, position, input, message);
  };

  if (!s.startsWith('rv')) fail('base', input.slice(0, 4), 0, 'an ISA string starts with rv32 or rv64 (or a profile such as rva23u64)');
  const pm = PROFILE_PREFIX.exec(s);
  if (pm) return parseProfileString(input, pm[1]!, fail);
  const xlenText = /^\d*/.exec(s.slice(2))![0];
  if (xlenText !== '32' && xlenText !== '64') {
    fail('base', input.slice(2, 2 + xlenText.length), 2, xlenText ? `unsupported XLEN ${xlenText}: rvkvm knows rv32 and rv64` : 'missing XLEN after rv (rv32 or rv64)');
  }
  const xlen = Number(xlenText) as 32 | 64;
  let pos = 4;
  const baseChar = s[pos] ?? '';
  if (baseChar !== 'i' && baseChar !== 'e' && baseChar !== 'g') {
    fail('base', input.slice(pos, pos + 1), pos, `expected the base 'i', 'e' or 'g' after rv${xlen}`);
  }
  const base: 'i' | 'e' = baseChar === 'e' ? 'e' : 'i';
  const written: Written[] = [];
  if (baseChar !== 'e') written.push({ name: baseChar, token: input.slice(pos, pos + 1), position: pos });
  pos += 1 + (VERSION.exec(s.slice(pos + 1))?.[0].length ?? 0);

  const seen = new Map<string, Written>();
  for (const w of written) seen.set(w.name, w);
  // g stands for i m a f d zicsr zifencei: writing one of those again is a duplicate.
  const givenBy = new Map<string, string>();
  if (baseChar === 'g') for (const n of extensionByName('g')!.implies) givenBy.set(n, 'g');
  let lastLetter: Extension | undefined = baseChar === 'e' ? undefined : extensionByName(baseChar);
  let multiSeen = false;

  while (pos < s.length) {
    const ch = s[pos]!;
    if (ch === '_') {
      if (pos + 1 >= s.length || s[pos + 1] === '_') fail('syntax', '_', pos, 'empty extension name after "_"');
      pos++;
      continue;
    }
    if (ch === 'z' || ch === 's' || ch === 'x') {
      // Multi-letter name: runs to the next "_" or the end; a trailing version is not part of the name.
      let end = s.indexOf('_', pos);
      if (end < 0) end = s.length;
      const raw = s.slice(pos, end);
      const bad = /[^a-z0-9]/.exec(raw);
      if (bad) fail('syntax', input.slice(pos + bad.index, pos + bad.index + 1), pos + bad.index, 'unexpected character in an extension name');
      // A name may itself end in digits (sv39, sv57); otherwise trailing digits are a version.
      const name = extensionByName(raw) ? raw : /^(.*?[a-z])(\d+(p\d+)?)?$/.exec(raw)![1]!;
      const token = input.slice(pos, end);
      const ext = extensionByName(name);
      if (!ext || ext.singleLetter) fail('unknown', token, pos, `unknown extension '${name}'`);
      record(ext!, token, pos);
      multiSeen = true;
      pos = end;
      continue;
    }
    if (ch >= 'a' && ch <= 'z') {
      const token = input.slice(pos, pos + 1 + (VERSION.exec(s.slice(pos + 1))?.[0].length ?? 0));
      const ext = extensionByName(ch);
      if (ch === 'g' || ch === 'i' || ch === 'e') {
        if (ch === 'i' && base === 'i' && seen.has('i')) fail('duplicate', token, pos, `duplicate extension 'i'`);
        if (ch === 'i' && baseChar === 'g') fail('duplicate', token, pos, `'i' is already part of 'g'`);
        fail('base', token, pos, `'${ch}' is a base and must directly follow rv${xlen}`);
      }
      if (!ext || !ext.singleLetter) fail('unknown', token, pos, `unknown single-letter extension '${ch}'`);
      if (multiSeen) fail('order', token, pos, `single-letter extension '${ch}' must come before the multi-letter extensions`);
      if (!seen.has(ch) && !givenBy.has(ch) && lastLetter && ext!.order < lastLetter.order) {
        fail('order', token, pos, `'${ch}' must come before '${lastLetter.name}' (canonical order IMAFDQLCBKJTPVH)`);
      }
      record(ext!, token, pos);
      lastLetter = ext;
      pos += token.length;
      continue;
    }
    fail('syntax', input.slice(pos, pos + 1), pos, /\d/.test(ch) ? 'a version number must follow an extension name' : 'unexpected character');
  }

  function record(ext: Extension, token: string, position: number): void {
    if (seen.has(ext.name)) fail('duplicate', token, position, `duplicate extension '${ext.name}' (first at position ${seen.get(ext.name)!.position})`);
    if (givenBy.has(ext.name)) fail('duplicate', token, position, `'${ext.name}' is already part of '${givenBy.get(ext.name)}'`);
    const w = { name: ext.name, token, position };
    seen.set(ext.name, w);
    written.push(w);
  }

  return resolve(xlen, base, written, input);
}

/** "rva23u64_zvkng": the profile's mandatory set, then each further name as in an ISA string's multi-letter part. */
function parseProfileString(input: string, name: string, fail: (kind: IsaError['kind'], token: string, position: number, message: string) => never): IsaSpec {
  const profile = profileByName(name);
  if (!profile) fail('unknown', input.slice(0, name.length), 0, `unknown profile '${name}' (known: ${profiles().map((p) => p.name).join(', ')})`);
  const written: Written[] = profileMandatory(profile!).map((n) => ({ name: n, token: input.slice(0, name.length), position: 0 }));
  const seen = new Set(written.map((w) => w.name));
  const s = input.toLowerCase();
  let pos = name.length;
  while (pos < s.length) {
    if (s[pos] !== '_' || pos + 1 >= s.length || s[pos + 1] === '_') fail('syntax', s[pos]!, pos, 'a profile name is followed by "_" and extension names');
    pos++;
    let end = s.indexOf('_', pos);
    if (end < 0) end = s.length;
    const raw = s.slice(pos, end);
    const bad = /[^a-z0-9]/.exec(raw);
    if (bad) fail('syntax', input.slice(pos + bad.index, pos + bad.index + 1), pos + bad.index, 'unexpected character in an extension name');
    const m = /^(.*?[a-z])(\d+(p\d+)?)?$/.exec(raw);
    const ext = extensionByName(raw) ?? (m ? extensionByName(m[1]!) : undefined);
    const token = input.slice(pos, end);
    if (!ext) fail('unknown', token, pos, `unknown extension '${m ? m[1] : raw}'`);
    if (seen.has(ext!.name)) fail('duplicate', token, pos, `'${ext!.name}' is already in ${profile!.name} or written twice`);
    seen.add(ext!.name);
    written.push({ name: ext!.name, token, position: pos });
    pos = end;
  }
  const mandatoryCount = profileMandatory(profile!).length;
  return { ...resolve(64, 'i', written, input), profile: profile!, profileAdded: written.slice(mandatoryCount).map((w) => w.name) };
}

/**
 * Parse the device-tree form: riscv,isa-base ("rv64i") and riscv,isa-extensions (exact canonical names).
 * Positions of errors in the list are character indexes in the property value (strings joined by NUL).
 */
export function parseDeviceTreeIsa(base: string, extensions: readonly string[]): IsaSpec {
  const m = /^rv(32|64)([ie])$/.exec(base);
  if (!m) throw new IsaError('base', base, 0, base, `riscv,isa-base must be rv32i, rv32e, rv64i or rv64e, not '${base}'`);
  const xlen = Number(m[1]) as 32 | 64;
  const baseLetter = m[2] as 'i' | 'e';
  const property = extensions.join('\0');
  const written: Written[] = [];
  const seen = new Set<string>();
  let offset = 0;
  for (const token of extensions) {
    const fail = (kind: IsaError['kind'], message: string): never => {
      throw new IsaError(kind, token, offset, property, message);
    };
    const ext = extensionByName(token);
    if (token === '') fail('syntax', 'empty string in riscv,isa-extensions');
    if (token === 'e') fail('base', `'e' is a base: use riscv,isa-base = "rv${xlen}e"`);
    if (!ext) fail('unknown', `unknown extension '${token}' (names are lower-case and exact)`);
    if (ext!.shorthand && Object.keys(ext!.linux).length === 0) {
      fail('unknown', `'${token}' is a shorthand, not a devicetree name: list ${ext!.implies.join(', ')}`);
    }
    if (seen.has(token)) fail('duplicate', `duplicate extension '${token}'`);
    if (token === 'i' && baseLetter === 'e') fail('base', `'i' conflicts with riscv,isa-base '${base}'`);
    seen.add(token);
    written.push({ name: token, token, position: offset });
    offset += token.length + 1;
  }
  if (baseLetter === 'i' && !seen.has('i')) {
    throw new IsaError('base', '', property.length, property, `riscv,isa-extensions must list 'i' (riscv,isa-base is '${base}')`);
  }
  return resolve(xlen, baseLetter, written, property);
}

/** The full set a list of names stands for at an XLEN: shorthands replaced by members, implications added. */
export function expandExtensions(names: Iterable<string>, xlen: 32 | 64): Set<string> {
  const origin = new Map<string, string>();
  for (const n of names) addWithImplies(n, n, origin);
  addConditional(origin, xlen);
  return new Set(origin.keys());
}

function addWithImplies(name: string, from: string, into: Map<string, string>): void {
  const ext = extensionByName(name);
  if (!ext) throw new Error(`expandExtensions: unknown extension '${name}'`);
  if (!ext.shorthand) {
    if (into.has(name)) return;
    into.set(name, from);
  }
  for (const n of ext.implies) addWithImplies(n, from, into);
}

function addConditional(into: Map<string, string>, xlen: 32 | 64): void {
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, from] of [...into]) {
      for (const c of extensionByName(name)!.impliesIf) {
        if (into.has(c.name) || (c.xlen && c.xlen !== xlen) || !c.with.every((w) => into.has(w))) continue;
        addWithImplies(c.name, from, into);
        changed = true;
      }
    }
  }
}

/** Expand what was written and check the rules that do not depend on spelling. */
function resolve(xlen: 32 | 64, base: 'i' | 'e', written: Written[], input: string): IsaSpec {
  for (const w of written) {
    if (xlen === 64 && extensionByName(w.name)!.rv32Only) {
      throw new IsaError('rv32-only', w.token, w.position, input, `${w.name} exists only on RV32 and cannot be used with rv64`);
    }
  }
  const origin = new Map<string, string>(); // member -> the written name that brought it in
  if (base === 'i') origin.set('i', written.find((w) => w.name === 'i' || w.name === 'g')?.name ?? 'i');
  for (const w of written) addWithImplies(w.name, w.name, origin);
  addConditional(origin, xlen);

  const byName = new Map(written.map((w) => [w.name, w]));
  for (const [member, from] of origin) {
    for (const group of extensionByName(member)!.requires) {
      if (group.some((n) => origin.has(n))) continue;
      const w = byName.get(from) ?? { name: from, token: '', position: 0 };
      const who = member === from ? member : `${member} (implied by ${from})`;
      throw new IsaError('dependency', w.token, w.position, input, `${who} requires ${describeRequirement(group)}`);
    }
  }
  const members = CATALOGUE.filter((r) => origin.has(r.name)).map((r) => r.name);
  return { xlen, base, extensions: new Set(members), explicit: written.map((w) => w.name) };
}

/** "zca (or c)", "zaamo or a (or g)": names that satisfy a requirement, with single letters implying them. */
export function describeRequirement(group: readonly string[]): string {
  const via = new Set<string>();
  for (const r of CATALOGUE) {
    if (!r.singleLetter || group.includes(r.name)) continue;
    if (group.some((n) => r.implies.includes(n) || r.impliesIf.some((c) => c.name === n))) via.add(r.name);
  }
  return group.join(' or ') + (via.size ? ` (or ${[...via].join(' or ')})` : '');
}

/** The shortest canonical ISA string for a spec, e.g. "rv64gc_zimop_zcmop". parse(format(x)) equals x. */
export function formatIsaString(spec: Pick<IsaSpec, 'xlen' | 'base' | 'extensions'>): string {
  const have = spec.extensions;
  const chosen = new Set<string>();
  const covered = new Set<string>();
  const cover = (name: string) => {
    chosen.add(name);
    for (const n of expandInContext(name, spec.xlen, have)) covered.add(n);
  };
  const g = extensionByName('g')!;
  const useG = spec.base === 'i' && g.implies.every((n) => have.has(n));
  if (useG) cover('g');
  // Other shorthands (b, zk, zkn, ...), largest first, where they replace at least two names.
  const shorthands = CATALOGUE.filter((r) => r.shorthand && r.name !== 'g').sort((x, y) => y.implies.length - x.implies.length);
  for (const r of shorthands) {
    if (r.implies.every((n) => have.has(n)) && r.implies.filter((n) => !covered.has(n)).length >= 2) cover(r.name);
  }
  // Greedy choice can pick a shorthand whose extra members others already cover (zvknc beside zvksc): use a
  // shorter shorthand inside it when the cover stays the same.
  for (const name of [...chosen]) {
    const r = extensionByName(name)!;
    if (!r.shorthand || name === 'g') continue;
    const others = new Set<string>();
    for (const c of chosen) if (c !== name) for (const n of expandInContext(c, spec.xlen, have)) others.add(n);
    const alt = shorthands.find((t) => t.name.length < name.length && t.implies.every((n) => r.implies.includes(n)) &&
      r.implies.every((n) => t.implies.includes(n) || others.has(n)));
    if (alt) { chosen.delete(name); chosen.add(alt.name); }
  }
  // A member implied by another member is left out: parsing puts it back.
  const impliedByOther = new Set<string>();
  for (const n of have) for (const m of expandInContext(n, spec.xlen, have)) if (m !== n) impliedByOther.add(m);
  for (const n of have) if (!covered.has(n) && !impliedByOther.has(n)) chosen.add(n);

  const rows = CATALOGUE.filter((r) => chosen.has(r.name));
  const letters = rows.filter((r) => r.singleLetter && r.name !== 'g' && !(r.name === 'i' && spec.base === 'i')).map((r) => r.name);
  const multi = rows.filter((r) => !r.singleLetter).map((r) => r.name);
  const head = `rv${spec.xlen}${useG ? 'g' : spec.base}${letters.join('')}`;
  return multi.length ? `${head}_${multi.join('_')}` : head;
}

function expandInContext(name: string, xlen: 32 | 64, context: ReadonlySet<string>): Set<string> {
  const into = new Map<string, string>();
  addWithImplies(name, name, into);
  // Conditional members (c -> zcd with d) count when their condition holds in the whole set.
  for (const [member] of [...into]) {
    for (const c of extensionByName(member)!.impliesIf) {
      if ((!c.xlen || c.xlen === xlen) && c.with.every((w) => context.has(w) || into.has(w))) addWithImplies(c.name, name, into);
    }
  }
  return new Set(into.keys());
}

/** riscv,isa-base for a spec: "rv64i". */
export function formatDeviceTreeBase(spec: Pick<IsaSpec, 'xlen' | 'base'>): string {
  return `rv${spec.xlen}${spec.base}`;
}

/** riscv,isa-extensions for a spec: every member, in Linux's (canonical) order. */
export function formatDeviceTreeExtensions(spec: Pick<IsaSpec, 'extensions'>): string[] {
  return CATALOGUE.filter((r) => spec.extensions.has(r.name)).map((r) => r.name);
}
