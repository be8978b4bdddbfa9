// A port (written anew) of the checks Linux's KVM selftest get-reg-list makes on RISC-V: for a base
// configuration and one configuration per ISA extension, the register list holds exactly the expected ids,
// every listed register can be read and written back, and the writes KVM must reject are rejected.
// The expected lists are built here from shared/reference (section 6 of kvm-isa-ext-rules.md), not from src/kvm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KVM_ABIS, regIdName, hexId, type KvmAbi, type Vcpu } from '../../src/kvm/index.js';
import { IMPLEMENTED_EXTENSIONS, splitImplemented } from '../../src/isa/index.js';
import { loadRef, REF_VERSION } from './reference.js';
import { ID, assertErrno, makeVm } from './helpers.js';

const uapi = loadRef('kvm-riscv-uapi.json');
const rules = loadRef('kvm-isa-ext-rules.json');
const sbiRef = loadRef('sbi.json');
const U32 = 2, U64 = 3;

interface IsaRow { kvm_id: number; kvm_name: string; enable: string; disable: string }
const isaRows = (abi: KvmAbi): IsaRow[] => rules[REF_VERSION[abi]].table;
const extName = (row: IsaRow): string => row.kvm_name.replace('KVM_RISCV_ISA_EXT_', '').toLowerCase();
const fields = (key: string, v: string): string[] => (uapi.register_indexes[key].fields as { name: string; present_in?: string[] }[])
  .filter((f) => !f.present_in || f.present_in.includes(v)).map((f) => f.name);

/** rvkvm's default host: the extensions its hart executes but Svade (KvmHost's default, so guests keep
 *  hardware A/D updating). Every SBI ext exists (PMU on the hart's hpm counters). */
// the default host: what the hart executes, less Svade and less what lacks a requirement (Zvfh without Zfhmin)
const HOST = splitImplemented(new Set([...IMPLEMENTED_EXTENSIONS].filter((n) => n !== 'svade'))).implemented;
/** VLEN of the default host's vector unit: 128 bits, so v0..v31 are U128 (size field 4) */
const U128 = 4;

function expectedRegList(abi: KvmAbi, vcpuExts: ReadonlySet<string>, sbiEnabled: ReadonlySet<string>): bigint[] {
  const v = REF_VERSION[abi];
  const id = (type: number, sub: number, idx: number, size = U64): bigint =>
    0x8000_0000_0000_0000n | (BigInt(size) << 52n) | (BigInt(type) << 24n) | (BigInt(sub) << 16n) | BigInt(idx);
  const out: bigint[] = [];
  fields('CONFIG (struct kvm_riscv_config)', v).forEach((name, i) => {
    if (abi === '6.12' && name === 'zicbom_block_size' && !vcpuExts.has('zicbom')) return;
    if (abi === '6.12' && name === 'zicboz_block_size' && !vcpuExts.has('zicboz')) return;
    out.push(id(1, 0, i));
  });
  for (let i = 0; i < 33; i++) out.push(id(2, 0, i));
  fields('CSR GENERAL (struct kvm_riscv_csr)', v).forEach((_, i) => out.push(id(3, 0, i)));
  if (vcpuExts.has('ssaia')) fields('CSR AIA (struct kvm_riscv_aia_csr)', v).forEach((_, i) => out.push(id(3, 1, i)));
  if (vcpuExts.has('smstateen')) out.push(id(3, 2, 0));
  fields('TIMER (struct kvm_riscv_timer)', v).forEach((_, i) => out.push(id(4, 0, i)));
  if (vcpuExts.has('f')) for (let i = 0; i <= 32; i++) out.push(id(5, 0, i, U32));
  if (vcpuExts.has('d')) { for (let i = 0; i < 32; i++) out.push(id(6, 0, i)); out.push(id(6, 0, 32, U32)); }
  // VECTOR: vstart vl vtype vcsr vlenb (datap, index 5, is not listed), then v0..v31 at 6..37 sized vlenb
  if (vcpuExts.has('v')) { for (let i = 0; i < 5; i++) out.push(id(9, 0, i)); for (let i = 0; i < 32; i++) out.push(id(9, 0, 6 + i, U128)); }
  for (const row of isaRows(abi)) if (HOST.has(extName(row))) out.push(id(7, 0, row.kvm_id));
  const sbiIds = (uapi.KVM_RISCV_SBI_EXT_ID as { name: string; id: number; [k: string]: unknown }[]).filter((e) => e[`in_${v}`]);
  for (const e of sbiIds) out.push(id(8, 0, e.id));
  const table = sbiRef[`kvm_${v}`].sbi_ext_table_in_lookup_order as { kvm_ext_idx: string }[];
  for (const row of table) {
    const name = row.kvm_ext_idx.replace('KVM_RISCV_SBI_EXT_', '');
    if (!sbiEnabled.has(name)) continue;
    if (name === 'STA') { out.push(id(10, 0, 0), id(10, 0, 1)); }
    // FWFT: rvkvm offers pointer_masking (slot 1) with Ssnpm and pte_ad_hw_updating (slot 2) with Svadu; no other
    // feature has its extension
    if (name === 'FWFT' && vcpuExts.has('ssnpm')) for (let k = 0; k < 3; k++) out.push(id(10, 1, 3 + k));
    if (name === 'FWFT' && vcpuExts.has('svadu')) for (let k = 0; k < 3; k++) out.push(id(10, 1, 6 + k));
  }
  return out;
}

function sbiEnabledOf(vcpu: Vcpu, abi: KvmAbi): Set<string> {
  const v = REF_VERSION[abi];
  const s = new Set<string>();
  for (const e of uapi.KVM_RISCV_SBI_EXT_ID as { name: string; id: number; [k: string]: unknown }[]) {
    if (!e[`in_${v}`]) continue;
    if (vcpu.getOneReg(ID.sbi(e.id)) === 1n) s.add(e.name.replace('KVM_RISCV_SBI_EXT_', ''));
  }
  return s;
}

function vcpuExtsOf(vcpu: Vcpu, abi: KvmAbi): Set<string> {
  const s = new Set<string>();
  for (const row of isaRows(abi)) if (HOST.has(extName(row)) && vcpu.getOneReg(ID.isa(row.kvm_id)) === 1n) s.add(extName(row));
  return s;
}

function diff(got: bigint[], want: bigint[], abi: KvmAbi): string {
  const g = new Set(got), w = new Set(want);
  const missing = want.filter((x) => !g.has(x)).map((x) => `missing ${hexId(x)} ${regIdName(x, abi)}`);
  const extra = got.filter((x) => !w.has(x)).map((x) => `extra ${hexId(x)} ${regIdName(x, abi)}`);
  return [...missing, ...extra].join('\n') || 'same set, different order';
}

/** Every listed register reads, and writing back the value read succeeds (before the first run). */
function readWriteBack(vcpu: Vcpu, list: bigint[], abi: KvmAbi): void {
  for (const id of list) {
    const v = vcpu.getOneReg(id);
    assert.doesNotThrow(() => vcpu.setOneReg(id, v), `write back ${regIdName(id, abi)}`);
  }
}

for (const abi of KVM_ABIS) {
  const v = REF_VERSION[abi];
  const disableAllowed = (row: IsaRow): boolean => row.disable === 'true' ||
    (row.disable === 'arch_has_hw_pte_young()' && HOST.has('svadu')) ||
    (row.disable === 'riscv_has_extension_unlikely(RISCV_ISA_EXT_SMSTATEEN)' && HOST.has('smstateen'));

  /** Whether KVM lets user space enable the row on this host (vcpu_onereg.c's enable rules). */
  const enableOk = (row: IsaRow): boolean => row.enable === 'true' ||
    (row.enable === 'arch_has_hw_pte_young()' && HOST.has('svadu')) ||
    (row.enable === 'riscv_v_vstate_ctrl_user_allowed()' && HOST.has('v')) ||
    (row.enable === '__riscv_isa_extension_available(NULL, RISCV_ISA_EXT_SSAIA)' && HOST.has('ssaia'));

  /** The selftest's base: every ISA extension that may be disabled is off, every SBI extension off. */
  function baseVcpu(): Vcpu {
    const { vcpu } = makeVm({ abi });
    for (let r = 0; r <= (abi === '6.12' ? 0 : 1); r++) vcpu.setOneReg(ID.isaMulti(2, r), 0xffff_ffff_ffff_ffffn);
    vcpu.setOneReg(ID.sbiMulti(2, 0), 0xffff_ffff_ffff_ffffn);
    return vcpu;
  }

  test(`get-reg-list ${abi}: base configuration`, () => {
    const vcpu = baseVcpu();
    const exts = vcpuExtsOf(vcpu, abi);
    for (const row of isaRows(abi)) {
      if (!HOST.has(extName(row))) continue;
      assert.equal(exts.has(extName(row)), enableOk(row) && !disableAllowed(row), `${row.kvm_name} in base config`);
    }
    assert.equal(sbiEnabledOf(vcpu, abi).size, 0);
    const list = vcpu.getRegList();
    const want = expectedRegList(abi, exts, new Set());
    assert.deepEqual(list, want, diff(list, want, abi));
    readWriteBack(vcpu, list, abi);
  });

  test(`get-reg-list ${abi}: default vCPU (KVM_CREATE_VCPU state)`, () => {
    const { vcpu } = makeVm({ abi });
    const exts = vcpuExtsOf(vcpu, abi);
    for (const row of isaRows(abi)) {
      const name = extName(row);
      assert.equal(exts.has(name), HOST.has(name) && enableOk(row), `${row.kvm_name} initially enabled`);
    }
    const sbi = sbiEnabledOf(vcpu, abi);
    const defaults = (sbiRef[`kvm_${v}`].sbi_ext_table_in_lookup_order as { kvm_ext_idx: string; default_disabled: string }[])
      .filter((r) => r.kvm_ext_idx !== 'KVM_RISCV_SBI_EXT_MAX' && r.default_disabled === 'false')
      .map((r) => r.kvm_ext_idx.replace('KVM_RISCV_SBI_EXT_', ''));
    assert.deepEqual([...sbi].sort(), defaults.sort());
    const list = vcpu.getRegList();
    const want = expectedRegList(abi, exts, sbi);
    assert.deepEqual(list, want, diff(list, want, abi));
    readWriteBack(vcpu, list, abi);
  });

  for (const row of isaRows(abi)) {
    const name = extName(row);
    if (!HOST.has(name)) continue;
    test(`get-reg-list ${abi}: config ${name} (KVM id ${row.kvm_id})`, () => {
      const vcpu = baseVcpu();
      const before = vcpuExtsOf(vcpu, abi);
      if (!enableOk(row)) {
        // not enable-allowed (H never; Sscofpmf without host Ssaia): the host has it, the vCPU does not get it,
        // and enabling is refused
        assert.equal(before.has(name), false);
        assertErrno(() => vcpu.setOneReg(ID.isa(row.kvm_id), 1n), 'EINVAL', `enable ${row.kvm_name}`);
        assert.equal(vcpu.getOneReg(ID.isa(row.kvm_id)), 0n);
        assert.deepEqual(vcpu.getRegList(), expectedRegList(abi, before, new Set()));
      } else if (disableAllowed(row)) {
        assert.equal(before.has(name), false);
        vcpu.setOneReg(ID.isa(row.kvm_id), 1n);
        assert.equal(vcpu.getOneReg(ID.isa(row.kvm_id)), 1n);
        const list = vcpu.getRegList();
        const want = expectedRegList(abi, new Set([...before, name]), new Set());
        assert.deepEqual(list, want, diff(list, want, abi));
        readWriteBack(vcpu, list, abi);
        vcpu.setOneReg(ID.isa(row.kvm_id), 0n);
        assert.equal(vcpu.getOneReg(ID.isa(row.kvm_id)), 0n);
      } else {
        // the selftest's rejects_set: Linux refuses to take it away (Zcmop, KVM id 60, among them)
        assert.equal(before.has(name), true);
        assertErrno(() => vcpu.setOneReg(ID.isa(row.kvm_id), 0n), 'EINVAL', `disable ${row.kvm_name}`);
        assert.equal(vcpu.getOneReg(ID.isa(row.kvm_id)), 1n);
        assert.deepEqual(vcpu.getRegList(), expectedRegList(abi, before, new Set()));
      }
    });
  }

  test(`get-reg-list ${abi}: E2BIG protocol`, () => {
    const { vcpu } = makeVm({ abi });
    const n = vcpu.getRegList().length;
    assert.throws(() => vcpu.getRegList(n - 1), (e: unknown) => (e as { errnoName: string; needed: number }).errnoName === 'E2BIG' && (e as { needed: number }).needed === n);
    assert.throws(() => vcpu.getRegList(0), (e: unknown) => (e as { errno: number }).errno === 7);
    assert.equal(vcpu.getRegList(n).length, n);
  });
}

test('get-reg-list: Zcmop can be disabled only with allowDisableAny, and then leaves the list of ISA regs unchanged', () => {
  const strict = makeVm({}).vcpu;
  assertErrno(() => strict.setOneReg(ID.isa(60), 0n), 'EINVAL', 'disable Zcmop under Linux rules');
  const { vcpu } = makeVm({ allowDisableAny: true });
  const list = vcpu.getRegList();
  vcpu.setOneReg(ID.isa(60), 0n);
  assert.equal(vcpu.getOneReg(ID.isa(60)), 0n);
  assert.deepEqual(vcpu.getRegList(), list, 'the ISA_EXT register still exists, it reads 0');
  assert.equal(vcpu.hartIsa().has('zcmop'), false);
  assert.equal(vcpu.hartIsa().has('zca'), true);
});
