// RISC-V profiles (RVA20, RVA22, RVA23; U64 and S64) as tables of catalogue names, taken from the ratified
// profile text (riscv/riscv-profiles: src/profiles.adoc for RVA20/RVA22, src/rva23-profile.adoc for RVA23).
// A profile name is an ISA string ("rva23u64", "rva23u64_zvkng"): parseIsaString expands it to the
// mandatory set plus the names written after it. Names the profile text lists that rvkvm cannot express as a
// catalogue member (a privileged-architecture version) are kept apart with the reason, so nothing is silently
// dropped; Sha is listed as its components.

export type ProfileName = 'rva20u64' | 'rva20s64' | 'rva22u64' | 'rva22s64' | 'rva23u64' | 'rva23s64';

export interface Profile {
  readonly name: ProfileName;
  /** 'u' profiles cover what user mode sees; 's' profiles add the supervisor architecture. */
  readonly mode: 'u' | 's';
  /** The profile whose mandatory set this one includes (S64 includes its U64). */
  readonly includes: ProfileName | null;
  /** Mandatory extensions this profile lists itself, as catalogue names (b and other shorthands allowed). */
  readonly mandatory: readonly string[];
  /** Mandatory names that are not catalogue members, and why (reported by --check-profile). */
  readonly notModelled: Readonly<Record<string, string>>;
  /** Optional extensions (localized, development, expansion, transitory), catalogue names. */
  readonly optional: readonly string[];
}

const PRIV_VERSION = 'a privileged-architecture version, not an extension rvkvm can list; the hart implements the ' +
  'S-mode CSRs and rules it was built against (priv 1.12 plus Sstc, Svpbmt, Svinval, Svnapot, Svadu)';

const PROFILES: readonly Profile[] = [
  {
    name: 'rva20u64', mode: 'u', includes: null,
    mandatory: ['i', 'm', 'a', 'f', 'd', 'c', 'zicsr', 'zicntr', 'ziccif', 'ziccrse', 'ziccamoa', 'za128rs', 'zicclsm'],
    notModelled: {},
    optional: ['zifencei', 'zihpm'],
  },
  {
    name: 'rva20s64', mode: 's', includes: 'rva20u64',
    mandatory: ['zifencei', 'svbare', 'sv39', 'svade', 'ssccptr', 'sstvecd', 'sstvala'],
    notModelled: { ss1p11: PRIV_VERSION },
    optional: ['zihpm', 'sv48', 'ssu64xl'],
  },
  {
    name: 'rva22u64', mode: 'u', includes: null,
    mandatory: ['i', 'm', 'a', 'f', 'd', 'c', 'zicsr', 'zicntr', 'ziccif', 'ziccrse', 'ziccamoa', 'zicclsm', 'za64rs',
      'zihpm', 'zihintpause', 'b', 'zic64b', 'zicbom', 'zicbop', 'zicboz', 'zfhmin', 'zkt'],
    notModelled: {},
    optional: ['zfh', 'v', 'zkn', 'zks'],
  },
  {
    name: 'rva22s64', mode: 's', includes: 'rva22u64',
    mandatory: ['zifencei', 'svbare', 'sv39', 'svade', 'ssccptr', 'sstvecd', 'sstvala', 'sscounterenw', 'svpbmt', 'svinval'],
    notModelled: { ss1p12: PRIV_VERSION },
    optional: ['sv48', 'sv57', 'svnapot', 'ssu64xl', 'sstc', 'sscofpmf', 'zkr', 'h'],
  },
  {
    name: 'rva23u64', mode: 'u', includes: null,
    mandatory: ['i', 'm', 'a', 'f', 'd', 'c', 'b', 'zicsr', 'zicntr', 'zihpm', 'ziccif', 'ziccrse', 'ziccamoa', 'zicclsm',
      'za64rs', 'zihintpause', 'zic64b', 'zicbom', 'zicbop', 'zicboz', 'zfhmin', 'zkt',
      'v', 'zvfhmin', 'zvbb', 'zvkt', 'zihintntl', 'zicond', 'zimop', 'zcmop', 'zcb', 'zfa', 'zawrs', 'supm'],
    notModelled: {},
    optional: ['zvkng', 'zvksg', 'zabha', 'zacas', 'zvbc', 'zfh', 'zbc', 'zicfilp', 'zicfiss', 'zvfh', 'zfbfmin',
      'zvfbfmin', 'zvfbfwma'],
  },
  {
    name: 'rva23s64', mode: 's', includes: 'rva23u64',
    // Sha, the augmented hypervisor extension, stands for its components (H and the properties listed after it)
    mandatory: ['zifencei', 'svbare', 'sv39', 'svade', 'ssccptr', 'sstvecd', 'sstvala', 'sscounterenw', 'svpbmt',
      'svinval', 'svnapot', 'sstc', 'sscofpmf', 'ssnpm', 'ssu64xl',
      'h', 'ssstateen', 'shcounterenw', 'shvstvala', 'shtvala', 'shvstvecd', 'shvsatpa', 'shgatpa'],
    notModelled: { ss1p13: PRIV_VERSION },
    optional: ['sv48', 'sv57', 'zkr', 'svadu', 'svvptc'],
  },
];

const byName = new Map(PROFILES.map((p) => [p.name, p]));

/** Every profile rvkvm knows, in the order above. */
export function profiles(): readonly Profile[] {
  return PROFILES;
}

/** The profile of that (lower-case) name, or undefined. */
export function profileByName(name: string): Profile | undefined {
  return byName.get(name as ProfileName);
}

/** Mandatory catalogue names of a profile including the ones it inherits (unexpanded: b stays b). */
export function profileMandatory(p: Profile): string[] {
  const inherited = p.includes ? profileMandatory(byName.get(p.includes)!) : [];
  return [...inherited, ...p.mandatory.filter((n) => !inherited.includes(n))];
}

/** Names the profile lists that are not catalogue members, inherited ones included. */
export function profileNotModelled(p: Profile): Record<string, string> {
  return { ...(p.includes ? profileNotModelled(byName.get(p.includes)!) : {}), ...p.notModelled };
}

/** Optional names of a profile including the U64 options an S64 profile inherits. */
export function profileOptional(p: Profile): string[] {
  const inherited = p.includes ? profileOptional(byName.get(p.includes)!) : [];
  return [...new Set([...inherited, ...p.optional])];
}

/** A profile name at the head of an ISA string: "rva23u64" in "rva23u64_zvkng". */
export const PROFILE_PREFIX = /^(rv[a-z]\d\d[a-z]\d\d)/;
