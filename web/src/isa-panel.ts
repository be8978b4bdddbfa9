// The vCPU ISA toggles, generated from the catalogue: one per extension the hart implements that has a KVM
// ISA_EXT register (hasToggle), grouped for
// display, each with KVM's disable rule. Pure data and functions (no DOM), so Node tests can check them.
import { CATALOGUE, IMPLEMENTED_EXTENSIONS, splitImplemented, type Extension, type KvmRule } from '../../src/isa/index.js';

/** Display groups, in page order. An implemented extension no group names lands in 'other'. */
export const ISA_GROUPS: readonly { id: string; title: string; names: readonly string[] }[] = [
  { id: 'base', title: 'Base and standard', names: ['i', 'm', 'a', 'f', 'd', 'zicsr', 'zifencei', 'zicntr', 'zihpm'] },
  { id: 'compressed', title: 'Compressed', names: ['c', 'zca', 'zcd', 'zcb'] },
  { id: 'mops', title: 'May-be-operations (MOPs)', names: ['zimop', 'zcmop'] },
  { id: 'bitmanip', title: 'Bit manipulation', names: ['zba', 'zbb', 'zbs', 'zbc'] },
  { id: 'cache', title: 'Cache-block operations', names: ['zicbom', 'zicboz', 'zicbop'] },
  { id: 'vector', title: 'Vector', names: ['v'] },
  { id: 'vector-ext', title: 'Vector bit manipulation, half precision and crypto',
    names: ['zvbb', 'zvkb', 'zvbc', 'zvfhmin', 'zvfh', 'zvkned', 'zvknha', 'zvknhb', 'zvkg', 'zvksed', 'zvksh'] },
  { id: 'atomics', title: 'Atomics and waits', names: ['zacas', 'zawrs'] },
  { id: 'privileged', title: 'Privileged (supervisor)', names: ['sstc', 'svpbmt', 'svinval', 'svnapot', 'svadu'] },
  { id: 'virtualization', title: 'H (nested virtualization)', names: ['h'] },
  { id: 'other', title: 'Other', names: [] },
];

export interface IsaToggle {
  name: string;
  group: string;
  /** KVM_RISCV_ISA_EXT_* id, or null when KVM has no register for it (then it cannot be toggled). */
  kvmId: number | null;
  disableRule: KvmRule | null;
  /** Whether Linux KVM lets user space turn it off (conditional rules count as allowed only with that host feature). */
  kvmMayDisable: boolean;
  /** The rule as the page shows it next to the toggle. */
  ruleText: string;
  /** H: never enable-allowed under KVM rules; turning it on is rvkvm's nested opt-in (`rvkvm run --nested`) */
  nestedOptIn: boolean;
}

const HOST_FEATURE: Record<string, string> = {
  'host-ssaia': 'Ssaia', 'host-smstateen': 'Smstateen', 'host-svadu': 'Svadu', 'host-user-vector': 'user-mode vector',
};

/** How the page states KVM's disable rule for one extension. */
export function disableRuleText(rule: KvmRule | null): string {
  if (rule === null) return 'no KVM ISA_EXT register: fixed for the vCPU';
  if (rule === 'always') return 'may be disabled under KVM rules';
  if (rule === 'never') return 'cannot be disabled under KVM rules';
  return `may be disabled under KVM rules only if the host has ${HOST_FEATURE[rule] ?? rule}`;
}

function toggleFor(row: Extension, group: string): IsaToggle {
  const rule = row.kvm?.disable ?? null;
  const nestedOptIn = row.kvm?.enable === 'never';
  return {
    name: row.name, group, kvmId: row.kvm?.id ?? null, disableRule: rule,
    kvmMayDisable: rule === 'always', nestedOptIn,
    ruleText: nestedOptIn ? 'never enabled under KVM rules; on = rvkvm\'s nested opt-in (rvkvm run --nested): the guest runs in HS-mode with its own KVM'
      : disableRuleText(rule),
  };
}

/** What the default host has: the implemented extensions whose requirements they meet (Zvfh needs Zfhmin). */
const HOST_EXTENSIONS = splitImplemented(IMPLEMENTED_EXTENSIONS).implemented;

/**
 * Whether an extension of the default host gets a toggle: it has a KVM ISA_EXT register (Zve* come with V and
 * have none) and is not a property of the machine with a guarantee (Ziccrse, Svade, Zvkt, ...: those stay as they are).
 */
export function hasToggle(r: Extension): boolean {
  return !r.shorthand && HOST_EXTENSIONS.has(r.name) && r.kvm !== null && r.guarantee === null;
}

/** Every extension with a toggle (catalogue order inside each group), exactly once. */
export function isaToggles(): IsaToggle[] {
  const groupOf = new Map<string, string>();
  for (const g of ISA_GROUPS) for (const n of g.names) groupOf.set(n, g.id);
  const rows = CATALOGUE.filter(hasToggle);
  const toggles = rows.map((r) => toggleFor(r, groupOf.get(r.name) ?? 'other'));
  const order = new Map(ISA_GROUPS.map((g, i) => [g.id, i]));
  return toggles.sort((x, y) => order.get(x.group)! - order.get(y.group)!);
}

/**
 * The ONE_REG ISA_EXT writes the toggles stand for, as the Machine's `enable`/`disable` lists. The vCPU
 * starts with everything the host has (as KVM does), so an extension switched on that is on by default
 * needs no write, and one switched off needs a disable write.
 */
export function isaWrites(onByDefault: ReadonlySet<string>, wanted: ReadonlyMap<string, boolean>): { enable: string[]; disable: string[] } {
  const enable: string[] = [];
  const disable: string[] = [];
  for (const [name, on] of wanted) {
    if (on && !onByDefault.has(name)) enable.push(name);
    if (!on && onByDefault.has(name)) disable.push(name);
  }
  return { enable, disable };
}
