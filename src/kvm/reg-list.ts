// KVM_GET_REG_LIST: every register id of a vCPU, in Linux's order, filtered as Linux filters it
// (kvm-isa-ext-rules.md section 6).
import { CORE_FIELDS, TIMER_FIELDS, STA_FIELDS } from './abi.js';
import { hostHasKvmExt, kvmIsaTable } from './isa-rules.js';
import { regId, RegSize, RegType, ULONG, IsaSubtype, SbiExtSubtype } from './reg-id.js';
import { SbiStatus } from './sbi.js';
import type { Vcpu } from './vcpu.js';

export function buildRegList(vcpu: Vcpu): bigint[] {
  const p = vcpu.profile;
  const ids: bigint[] = [];
  // 1. CONFIG
  p.configFields.forEach((name, i) => {
    if (p.regListFiltersCboConfig && name === 'zicbom_block_size' && !vcpu.hasExt('zicbom')) return;
    if (p.regListFiltersCboConfig && name === 'zicboz_block_size' && !vcpu.hasExt('zicboz')) return;
    ids.push(regId(RegType.CONFIG, 0, i));
  });
  // 2. CORE
  for (let i = 0; i < CORE_FIELDS.length; i++) ids.push(regId(RegType.CORE, 0, i));
  // 3. CSR: general, then subtypes tied to an extension of the vCPU
  for (const sub of p.csrSubtypes) {
    if (sub.listedWith !== null && !vcpu.hasExt(sub.listedWith)) continue;
    for (let i = 0; i < sub.fields.length; i++) ids.push(regId(RegType.CSR, sub.subtype, i));
  }
  // 4. TIMER (always u64)
  for (let i = 0; i < TIMER_FIELDS.length; i++) ids.push(regId(RegType.TIMER, 0, i, RegSize.U64));
  // 5. FP_F: f0..f31 and fcsr, u32
  if (vcpu.hasExt('f')) for (let i = 0; i <= 32; i++) ids.push(regId(RegType.FP_F, 0, i, RegSize.U32));
  // 6. FP_D: f0..f31 u64, fcsr u32
  if (vcpu.hasExt('d')) {
    for (let i = 0; i < 32; i++) ids.push(regId(RegType.FP_D, 0, i, RegSize.U64));
    ids.push(regId(RegType.FP_D, 0, 32, RegSize.U32));
  }
  // 7. VECTOR: vstart..vlenb, then v0..v31 sized vlenb
  if (vcpu.hasExt('v')) {
    for (let i = 0; i < 5; i++) ids.push(regId(RegType.VECTOR, 0, i));
    const vlenb = vcpu.hart.vlen / 8;
    for (let i = 0; i < 32; i++) ids.push(regId(RegType.VECTOR, 0, 6 + i, Math.log2(vlenb)));
  }
  // 8. ISA_EXT SINGLE: every id the host has, enabled or not
  for (const ext of kvmIsaTable(vcpu.vm.abi)) {
    if (ext && hostHasKvmExt(ext, vcpu.vm.host)) ids.push(regId(RegType.ISA_EXT, IsaSubtype.SINGLE, ext.kvmId));
  }
  // 9. SBI_EXT SINGLE: every implemented, available id
  for (let sid = 0; sid < p.sbiExtMax; sid++) {
    const st = vcpu.sbiStatus[sid];
    if (st !== undefined && st !== SbiStatus.Unavailable) ids.push(regId(RegType.SBI_EXT, SbiExtSubtype.SINGLE, sid));
  }
  // 10. SBI_STATE of enabled extensions, in SBI table order
  for (const row of p.sbiExtensions) {
    if (row.stateSubtype === null || !vcpu.sbiEnabled(row.name)) continue;
    if (row.handler === 'sta') {
      for (let i = 0; i < STA_FIELDS.length; i++) ids.push(regId(RegType.SBI_STATE, row.stateSubtype, i));
    } else if (row.handler === 'fwft') {
      p.fwftFeatures.forEach((_, slot) => {
        if (!vcpu.fwftSupported(slot)) return;
        for (let k = 0; k < 3; k++) ids.push(regId(RegType.SBI_STATE, row.stateSubtype!, slot * 3 + k, ULONG));
      });
    }
  }
  return ids;
}
