// The ABI tables of src/kvm against shared/reference, every row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ABI_PROFILES, KVM_ABIS, KVM_SBI_EXT_NAMES, CORE_FIELDS, TIMER_FIELDS, SbiEid } from '../../src/kvm/abi.js';
import { disableAllowed, enableAllowed, kvmIsaTable, hostHasKvmExt, type HostFeatures } from '../../src/kvm/isa-rules.js';
import { loadRef, REF_VERSION } from './reference.js';

const uapi = loadRef('kvm-riscv-uapi.json');
const rules = loadRef('kvm-isa-ext-rules.json');
const sbi = loadRef('sbi.json');
const regIdx = uapi.register_indexes;

const present = (f: { present_in?: string[] }, v: string): boolean => !f.present_in || f.present_in.includes(v);

for (const abi of KVM_ABIS) {
  const p = ABI_PROFILES[abi];
  const v = REF_VERSION[abi];

  test(`${abi}: MAX values`, () => {
    assert.equal(p.isaExtMax, uapi.KVM_RISCV_ISA_EXT_MAX[v]);
    assert.equal(p.sbiExtMax, uapi.KVM_RISCV_SBI_EXT_MAX[v]);
    assert.equal(kvmIsaTable(abi).length, p.isaExtMax);
  });

  test(`${abi}: struct field orders (CONFIG, CORE, CSR subtypes, TIMER)`, () => {
    const names = (key: string): string[] => (regIdx[key].fields as { index: number; name: string; present_in?: string[] }[])
      .filter((f) => present(f, v)).sort((a, b) => a.index - b.index).map((f) => f.name);
    assert.deepEqual(p.configFields, names('CONFIG (struct kvm_riscv_config)'));
    assert.deepEqual(CORE_FIELDS, names('CORE (struct kvm_riscv_core = struct user_regs_struct regs; unsigned long mode)'));
    assert.deepEqual(TIMER_FIELDS, names('TIMER (struct kvm_riscv_timer)'));
    const csrType = (uapi.one_reg_id_encoding.types as { name: string; subtypes?: { name: string; subtype: number; present_in: string[] }[] }[])
      .find((t) => t.name === 'KVM_REG_RISCV_CSR')!;
    const subs = csrType.subtypes!.filter((s) => present(s, v));
    assert.deepEqual(p.csrSubtypes.map((s) => [s.subtype, `KVM_REG_RISCV_CSR_${s.name}`]), subs.map((s) => [s.subtype, s.name]));
    for (const s of p.csrSubtypes) {
      const key = Object.keys(regIdx).find((k) => k.startsWith(`CSR ${s.name} `))!;
      assert.deepEqual(s.fields, names(key), s.name);
    }
  });

  test(`${abi}: SBI extension table (lookup order, ids, defaults, EID ranges, spec version)`, () => {
    const k = sbi[`kvm_${v}`];
    assert.equal(k.spec_version_reported, `${p.sbiSpecVersion.major}.${p.sbiSpecVersion.minor}`);
    const linuxEids = new Map<string, number>((sbi[`linux_${v}`].sbi_ext_id as { name: string; eid: string }[]).map((e) => [e.name, Number(e.eid)]));
    const rows = k.sbi_ext_table_in_lookup_order as { kvm_ext_idx: string; kvm_ext_idx_value: number; extid_start: string; extid_end: string; default_disabled: string; state_reg_subtype: string | null }[];
    assert.equal(p.sbiExtensions.length, rows.length);
    rows.forEach((ref, i) => {
      const mine = p.sbiExtensions[i]!;
      const isBase = ref.kvm_ext_idx === 'KVM_RISCV_SBI_EXT_MAX';
      assert.equal(mine.kvmId, isBase ? null : ref.kvm_ext_idx_value, ref.kvm_ext_idx);
      if (!isBase) assert.equal(`KVM_RISCV_SBI_EXT_${mine.name}`, ref.kvm_ext_idx);
      assert.equal(mine.defaultEnabled, ref.default_disabled === 'false', ref.kvm_ext_idx);
      assert.equal(mine.eidStart, linuxEids.get(ref.extid_start), `${ref.kvm_ext_idx} start`);
      assert.equal(mine.eidEnd, linuxEids.get(ref.extid_end), `${ref.kvm_ext_idx} end`);
      // 6.12's table has no state_reg_subtype member (STA state is dispatched by subtype 0 directly)
      if (abi === '7.3') assert.equal(mine.stateSubtype !== null, ref.state_reg_subtype !== null, ref.kvm_ext_idx);
      else assert.equal(mine.stateSubtype, mine.name === 'STA' ? 0 : null, ref.kvm_ext_idx);
    });
  });

  test(`${abi}: every ISA_EXT row: id, host bit, enable/disable rule on hosts with and without the condition`, () => {
    const table = rules[v].table as { kvm_id: number; kvm_name: string; host_id: number; enable: string; disable: string }[];
    assert.equal(table.length, p.isaExtMax);
    // the C expressions of the reference -> the host feature they test
    const CONDITION_FEATURE: Record<string, string> = {
      'riscv_v_vstate_ctrl_user_allowed()': 'v',
      '__riscv_isa_extension_available(NULL, RISCV_ISA_EXT_SSAIA)': 'ssaia',
      '!kvm_riscv_isa_check_host(SSAIA)': 'ssaia',
      'arch_has_hw_pte_young()': 'svadu',
      'riscv_has_extension_unlikely(RISCV_ISA_EXT_SMSTATEEN)': 'smstateen',
    };
    const hostWith = (has: boolean, feature: string | null): HostFeatures => ({ has: (n) => (feature === null || n === feature ? has : !has) });
    const expected = (expr: string, host: HostFeatures): boolean => {
      if (expr === 'true') return true;
      if (expr === 'false') return false;
      const f = CONDITION_FEATURE[expr];
      assert.ok(f, `unknown condition ${expr}`);
      return host.has(f);
    };
    for (const ref of table) {
      const ext = kvmIsaTable(abi)[ref.kvm_id];
      assert.ok(ext, `no KVM id ${ref.kvm_id}`);
      assert.equal(`KVM_RISCV_ISA_EXT_${ext.symbol}`, ref.kvm_name);
      assert.equal(ext.hostBit, ref.host_id, ref.kvm_name);
      for (const feature of ['v', 'ssaia', 'svadu', 'smstateen']) {
        for (const has of [true, false]) {
          const host = hostWith(has, feature);
          assert.equal(enableAllowed(ext, host), expected(ref.enable, host), `${ref.kvm_name} enable, host ${has ? 'with' : 'without only'} ${feature}`);
          assert.equal(disableAllowed(ext, host, false), expected(ref.disable, host), `${ref.kvm_name} disable, host ${has ? 'with' : 'without only'} ${feature}`);
          assert.equal(disableAllowed(ext, host, true), true, `${ref.kvm_name}: allowDisableAny permits disabling`);
        }
      }
    }
  });
}

test('7.3: SMNPM presence is tested against host SSNPM; 6.12 has no SMNPM', () => {
  const smnpm = kvmIsaTable('7.3')[62]!;
  assert.equal(smnpm.name, 'smnpm');
  assert.equal(hostHasKvmExt(smnpm, { has: (n) => n === 'ssnpm' }), true);
  assert.equal(hostHasKvmExt(smnpm, { has: (n) => n === 'smnpm' }), false);
  assert.equal(kvmIsaTable('6.12')[62], undefined);
});

test('SBI uapi names and EIDs', () => {
  const ids = uapi.KVM_RISCV_SBI_EXT_ID as { name: string; id: number }[];
  assert.deepEqual(KVM_SBI_EXT_NAMES.map((n, i) => [`KVM_RISCV_SBI_EXT_${n}`, i]), ids.map((e) => [e.name, e.id]));
  const eids = new Map<string, number>((sbi['linux_v7.3-rc7'].sbi_ext_id as { name: string; eid: string }[]).map((e) => [e.name, Number(e.eid)]));
  for (const [k, val] of Object.entries(SbiEid)) {
    const refName = k.startsWith('V01_') ? `SBI_EXT_0_1_${k.slice(4)}` : `SBI_EXT_${k}`;
    assert.equal(val, eids.get(refName), k);
  }
});
