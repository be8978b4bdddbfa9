// What an ISA set lacks of a profile, and which part of a profile rvkvm's hart can give a vCPU. Separate from
// profiles.ts (the tables) because it needs the parser's expansion, and the parser needs the tables.
import { CATALOGUE, extensionByName } from './catalogue.js';
import { expandExtensions } from './parse.js';
import { profileMandatory, profileNotModelled, type Profile } from './profiles.js';

export interface ProfileCheck {
  profile: Profile;
  /** Mandatory members (expanded: b -> zba zbb zbs, v -> zve*) the set lacks, canonical order. */
  missing: string[];
  /** Mandatory names outside the catalogue, with why they are not checked. */
  notChecked: Record<string, string>;
}

/** Which mandatory extensions of a profile an (expanded) ISA set lacks. */
export function checkProfile(profile: Profile, extensions: ReadonlySet<string>): ProfileCheck {
  const want = expandExtensions(profileMandatory(profile), 64);
  const missing = CATALOGUE.filter((r) => want.has(r.name) && !extensions.has(r.name)).map((r) => r.name);
  return { profile, missing, notChecked: profileNotModelled(profile) };
}

/**
 * Split a set into what rvkvm's hart executes and what it lacks. A member lacking only because a subset it
 * implies is lacking stays in lacking too (v lacks when zve64d does).
 */
export function splitImplemented(extensions: ReadonlySet<string>): { implemented: Set<string>; lacking: string[] } {
  const lacking = CATALOGUE.filter((r) => extensions.has(r.name) && !r.implemented).map((r) => r.name);
  const implemented = new Set([...extensions].filter((n) => extensionByName(n)!.implemented));
  // Drop members whose own requirements the implemented part no longer meets (e.g. zvfhmin without zve32f).
  for (let changed = true; changed; ) {
    changed = false;
    for (const n of [...implemented]) {
      const row = extensionByName(n)!;
      if (row.requires.every((g) => g.some((x) => implemented.has(x)))) continue;
      implemented.delete(n);
      lacking.push(n);
      changed = true;
    }
  }
  return { implemented, lacking };
}
