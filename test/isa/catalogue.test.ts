// The catalogue against shared/reference: every KVM id, Linux id, table entry, hwprobe bit and KVM rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CATALOGUE,
  IMPLEMENTED_EXTENSIONS,
  KVM_ISA_EXT_MAX,
  KVM_VERSIONS,
  LINUX_VERSIONS,
  extensionByKvmId,
  extensionByLinuxId,
  extensionByName,
  kvmHas,
  type KvmRule,
} from '../../src/isa/index.js';
import { reference } from './reference.js';

const uapi = reference('kvm-riscv-uapi.json');
const rules = reference('kvm-isa-ext-rules.json');
const linux = reference('linux-isa-extensions.json');
const hwprobe = reference('hwprobe.json');

const kvmName = (macro: string) => macro.replace(/^KVM_RISCV_ISA_EXT_/, '').toLowerCase();

test('every KVM_RISCV_ISA_EXT id of every version maps to the row of that name', () => {
  const ids: Array<Record<string, any>> = uapi.KVM_RISCV_ISA_EXT_ID;
  assert.equal(ids.length, 80);
  for (const e of ids) {
    const row = extensionByKvmId(e.id);
    assert.ok(row, `KVM id ${e.id} (${e.name}) has no row`);
    assert.equal(row.name, kvmName(e.name), `KVM id ${e.id}`);
    for (const v of KVM_VERSIONS) assert.equal(kvmHas(row, v), e[`in_v${v}`], `${e.name} in v${v}`);
  }
  assert.equal(CATALOGUE.filter((r) => r.kvm).length, ids.length, 'no row has a KVM id the reference lacks');
  for (const v of KVM_VERSIONS) assert.equal(KVM_ISA_EXT_MAX[v], uapi.KVM_RISCV_ISA_EXT_MAX[`v${v}`], `MAX v${v}`);
  assert.equal(extensionByName('zcmop')!.kvm!.id, 60);
  assert.equal(extensionByName('zimop')!.kvm!.id, 55);
});

// The reference spells conditions as C expressions; this is what each means for rvkvm (kvm-isa-ext-rules.md).
const CONDITION: Record<string, KvmRule> = {
  true: 'always',
  false: 'never',
  'riscv_v_vstate_ctrl_user_allowed()': 'host-user-vector',
  '__riscv_isa_extension_available(NULL, RISCV_ISA_EXT_SSAIA)': 'host-ssaia',
  '!kvm_riscv_isa_check_host(SSAIA)': 'host-ssaia',
  'arch_has_hw_pte_young()': 'host-svadu',
  'riscv_has_extension_unlikely(RISCV_ISA_EXT_SMSTATEEN)': 'host-smstateen',
};

test('every KVM enable/disable rule and host id, all versions, all rows', () => {
  for (const v of KVM_VERSIONS) {
    const table: Array<Record<string, any>> = rules[`v${v}`].table;
    assert.equal(table.length, KVM_ISA_EXT_MAX[v]);
    for (const e of table) {
      const row = extensionByKvmId(e.kvm_id)!;
      assert.equal(row.name, kvmName(e.kvm_name));
      assert.equal(row.linuxId, e.host_id, `${e.kvm_name} host id (v${v})`);
      assert.ok(e.enable in CONDITION && e.disable in CONDITION, `unmapped condition for ${e.kvm_name}`);
      assert.equal(row.kvm!.enable, CONDITION[e.enable], `${e.kvm_name} enable (v${v})`);
      assert.equal(row.kvm!.disable, CONDITION[e.disable], `${e.kvm_name} disable (v${v})`);
    }
    const alwaysDisable = CATALOGUE.filter((r) => r.kvm && kvmHas(r, v) && r.kvm.disable === 'always').map((r) => r.name.toUpperCase());
    assert.deepEqual(alwaysDisable.sort(), [...rules[`v${v}`].disable_always_allowed].sort(), `disable-always list v${v}`);
  }
  assert.equal(extensionByName('zcmop')!.kvm!.disable, 'never', 'Zcmop is not disable-allowed');
});

test('every Linux RISCV_ISA_EXT id of v6.12.107 and v7.3-rc7', () => {
  for (const v of LINUX_VERSIONS) {
    for (const e of linux[`v${v}`].ids as Array<Record<string, any>>) {
      if (e.macro === 'RISCV_ISA_EXT_XLINUXENVCFG') {
        assert.equal(extensionByLinuxId(e.id), undefined, 'the Linux-internal xlinuxenvcfg has no row');
        continue;
      }
      const row = extensionByName(e.isa_string_name);
      assert.ok(row, `${e.macro} (${e.isa_string_name}) has no row`);
      assert.equal(row.linuxId, e.id, e.macro);
      assert.equal(extensionByLinuxId(e.id), row);
    }
  }
  assert.equal(extensionByName('zcmop')!.linuxId, 84);
});

test('every riscv_isa_ext[] entry: kind, implied names, validate callback, per version', () => {
  for (const v of LINUX_VERSIONS) {
    const idToName = new Map<number, string>();
    for (const e of linux[`v${v}`].ids as Array<Record<string, any>>) {
      idToName.set(e.id, e.isa_string_name ?? e.macro.replace(/^RISCV_ISA_EXT_/, '').toLowerCase());
    }
    const table: Array<Record<string, any>> = linux[`v${v}`].riscv_isa_ext_table;
    for (const e of table) {
      const row = extensionByName(e.name);
      assert.ok(row, `${e.name} (v${v}) has no row`);
      const entry = row.linux[v];
      assert.ok(entry, `${e.name} lacks its v${v} entry`);
      assert.equal(entry.kind, e.kind, `${e.name} kind v${v}`);
      assert.equal(entry.validate, e.validate ?? null, `${e.name} validate v${v}`);
      assert.deepEqual(entry.implies, (e.implies_ids ?? []).map((id: number) => idToName.get(id)), `${e.name} implies v${v}`);
      assert.equal(row.linuxId, e.id, `${e.name} id`);
      assert.equal(row.shorthand, e.id === null, `${e.name}: bundles are shorthands`);
    }
    assert.equal(CATALOGUE.filter((r) => r.linux[v]).length, table.length, `rows known to v${v}`);
  }
});

test('catalogue order is /proc/cpuinfo order for both versions', () => {
  for (const v of LINUX_VERSIONS) {
    const printed = CATALOGUE.filter((r) => r.linux[v] && r.linuxId !== null).map((r) => r.name);
    assert.deepEqual(printed, linux[`v${v}`].cpuinfo_isa_order, `v${v}`);
  }
});

// Profile-defined names Linux does not know (riscv-profiles: RVA20/RVA22/RVA23 mandatory names).
const PROFILE_ONLY = ['zic64b', 'za128rs', 'ssccptr', 'sscounterenw', 'sstvala', 'sstvecd', 'ssu64xl', 'supm', 'sv39', 'sv48', 'sv57', 'svbare',
  // the Sha components (issue #15)
  'shcounterenw', 'shgatpa', 'shtvala', 'shvsatpa', 'shvstvala', 'shvstvecd', 'ssstateen'];

test('rows are exactly the union of both Linux tables plus g, b and the profile-defined names', () => {
  const union = new Set<string>();
  for (const v of LINUX_VERSIONS) for (const e of linux[`v${v}`].riscv_isa_ext_table) union.add(e.name);
  union.add('g');
  union.add('b');
  for (const n of PROFILE_ONLY) {
    assert.ok(!union.has(n), `${n} is known to Linux: give it its Linux facts`);
    union.add(n);
    const row = extensionByName(n)!;
    assert.ok(row.guarantee && !row.shorthand && row.linuxId === null && row.kvm === null, n);
  }
  assert.deepEqual(new Set(CATALOGUE.map((r) => r.name)), union);
  assert.equal(CATALOGUE.length, union.size, 'no duplicate rows');
});

// Which rows a hwprobe bit name refers to: IMA_FD is F and D; SUPM is Ssnpm for an S-mode kernel.
const hwprobeRows = (bitName: string): string[] => {
  const n = bitName.replace(/^RISCV_HWPROBE_(IMA|EXT)_/, '').toLowerCase();
  return n === 'fd' ? ['f', 'd'] : n === 'supm' ? ['ssnpm'] : [n];
};
const HWPROBE_CONDITION: Record<string, string> = {
  'always (present in hart_isa)': 'always',
  'has_fpu()': 'fpu',
  'has_vector()': 'vector',
  'riscv_isa_extension_available(NULL, c)': 'c',
  'riscv_isa_extension_available(NULL, C)': 'c',
  'has_vector() && riscv_isa_extension_available(NULL, v)': 'vector-v',
  'has_vector() && riscv_isa_extension_available(NULL, V)': 'vector-v',
  'IS_ENABLED(CONFIG_RISCV_ISA_SUPM)': 'supm',
};

test('every riscv_hwprobe IMA_EXT_0 / IMA_EXT_1 bit and its condition, both versions', () => {
  for (const v of LINUX_VERSIONS) {
    const seen = new Set<string>();
    for (const key of hwprobe[`v${v}`].keys as Array<Record<string, any>>) {
      if (key.value !== 4 && key.value !== 16) continue;
      for (const b of key.bits as Array<Record<string, any>>) {
        assert.equal(BigInt(b.mask), 1n << BigInt(b.bit), `${b.name} mask`);
        for (const name of hwprobeRows(b.name)) {
          const row = extensionByName(name);
          assert.ok(row?.hwprobe, `${b.name}: row ${name} has no hwprobe bit`);
          assert.equal(row.hwprobe.key, key.value, `${b.name} key`);
          assert.equal(row.hwprobe.bit, b.bit, `${b.name} bit`);
          assert.equal(row.hwprobe.when[v], HWPROBE_CONDITION[b.reported_when], `${b.name} condition v${v}`);
          seen.add(name);
        }
      }
    }
    const claimed = CATALOGUE.filter((r) => r.hwprobe?.when[v]).map((r) => r.name);
    assert.deepEqual(new Set(claimed), seen, `no row claims a bit v${v} lacks`);
  }
  assert.deepEqual(extensionByName('zcmop')!.hwprobe, { key: 4, bit: 47, when: { '6.12.107': 'always', '7.3-rc7': 'always' } });
  assert.equal(extensionByName('zimop')!.hwprobe!.bit, 42);
});

test('implemented is exactly the hart list of issue #3, plus H (issue #15) and the scalar RVA23 rows (issue #17)', () => {
  const expected = ('i m a f d c zca zcd zicsr zifencei zimop zcmop zba zbb zbs zbc zicond zicntr zihpm zihintpause zihintntl zicbom zicboz zicbop zawrs zacas zfa zcb sstc svpbmt svinval svnapot svadu h ' +
    'v zve32x zve32f zve64x zve64f zve64d ' +
    // vector bit manipulation and crypto (issue #17)
    'zvbb zvkb zvbc zvkt zvkned zvknha zvknhb zvkg zvksed zvksh zvfhmin zvfh ' +
    // profile-defined properties the machine guarantees (each row says what)
    'ziccamoa ziccif zicclsm ziccrse za64rs za128rs zic64b ssccptr sstvecd sstvala sscounterenw ssu64xl svbare sv39 sv48 sv57 svade ' +
    // the Sha components H meets (issue #15)
    'shcounterenw shgatpa shtvala shvsatpa shvstvala shvstvecd ' +
    // the scalar rest of RVA23 (issue #17)
    'zfhmin zfh sscofpmf ssnpm smnpm smmpm supm smstateen ssstateen zkt').split(' ');
  assert.deepEqual(new Set(IMPLEMENTED_EXTENSIONS), new Set(expected));
  for (const r of CATALOGUE.filter((x) => !x.shorthand)) assert.equal(r.implemented, expected.includes(r.name), r.name);
  assert.equal(extensionByName('g')!.implemented, true, 'g: every member executes');
  assert.equal(extensionByName('zk')!.implemented, false);
  for (const r of CATALOGUE.filter((x) => x.implemented && x.guarantee === null)) assert.ok(!PROFILE_ONLY.includes(r.name), r.name);
});

test('dependencies and implications the parser uses', () => {
  const req = (n: string) => extensionByName(n)!.requires;
  assert.deepEqual(req('zcmop'), [['zca']]);
  assert.deepEqual(req('zcb'), [['zca']]);
  assert.deepEqual(req('zcd'), [['zca'], ['d']]);
  assert.deepEqual(extensionByName('g')!.implies, ['i', 'm', 'a', 'f', 'd', 'zicsr', 'zifencei']);
  assert.deepEqual(extensionByName('b')!.implies, ['zba', 'zbb', 'zbs']);
  assert.deepEqual(extensionByName('c')!.implies, ['zca']);
  for (const r of ['zcf', 'zilsd', 'zclsd']) assert.equal(extensionByName(r)!.rv32Only, true, r);
  assert.equal(CATALOGUE.filter((r) => r.rv32Only).length, 3);
});
