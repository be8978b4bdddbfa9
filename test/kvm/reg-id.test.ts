import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRegId, regId, regSizeBytes, RegType, RegSize, hexId } from '../../src/kvm/reg-id.js';
import { regIdName } from '../../src/kvm/names.js';
import { KvmError } from '../../src/kvm/errors.js';
import { loadRef } from './reference.js';

const uapi = loadRef('kvm-riscv-uapi.json');
const enc = uapi.one_reg_id_encoding;

test('encoding constants match the uapi', () => {
  assert.equal(enc.KVM_REG_RISCV, '0x8000000000000000');
  for (const [name, s] of Object.entries(enc.sizes) as [string, { value: string; size_field: number; bytes: number }][]) {
    const key = name.replace('KVM_REG_SIZE_', '') as keyof typeof RegSize;
    assert.equal(RegSize[key], s.size_field, name);
    const id = regId(RegType.CORE, 0, 0, s.size_field);
    assert.equal(regSizeBytes(id), s.bytes, name);
    assert.equal(BigInt(s.value) | 0x8000000002000000n, id, name);
  }
  for (const t of enc.types as { name: string; type: number; subtypes?: { name: string; subtype: number }[] }[]) {
    const key = t.name.replace('KVM_REG_RISCV_', '') as keyof typeof RegType;
    assert.equal(RegType[key], t.type, t.name);
  }
});

// "what" strings of the reference examples -> (type, subtype, index, size) written independently here
const EXAMPLES: Record<string, [number, number, number, number]> = {
  'CONFIG isa (rv64)': [1, 0, 0, 3],
  'CORE regs.pc (rv64)': [2, 0, 0, 3],
  'CORE mode (rv64), index 32': [2, 0, 32, 3],
  'CSR GENERAL satp (rv64), index 8': [3, 0, 8, 3],
  'TIMER frequency (always U64)': [4, 0, 0, 3],
  'FP_F f[0] (U32)': [5, 0, 0, 2],
  'FP_F fcsr (U32, index 32)': [5, 0, 32, 2],
  'FP_D f[0] (U64)': [6, 0, 0, 3],
  'FP_D fcsr (U32, index 32)': [6, 0, 32, 2],
  'ISA_EXT SINGLE ZCMOP=60 (rv64)': [7, 0, 60, 3],
  'ISA_EXT SINGLE ZIMOP=55 (rv64)': [7, 0, 55, 3],
  'ISA_EXT MULTI_EN reg 0 (rv64)': [7, 1, 0, 3],
  'ISA_EXT MULTI_DIS reg 1 (rv64)': [7, 2, 1, 3],
  'SBI_EXT SINGLE V01 (rv64)': [8, 0, 0, 3],
  'SBI_STATE STA shmem_lo (rv64)': [10, 0, 0, 3],
  'VECTOR vlenb (rv64), index 4': [9, 0, 4, 3],
};

test('every example id of kvm-riscv-uapi.json encodes and decodes', () => {
  const examples = enc.examples_rv64_derived as { what: string; id: string }[];
  assert.equal(examples.length, Object.keys(EXAMPLES).length);
  for (const ex of examples) {
    const want = EXAMPLES[ex.what];
    assert.ok(want, `no expectation for example '${ex.what}'`);
    const [type, subtype, index, size] = want;
    assert.equal(hexId(regId(type, subtype, index, size)), '0x' + ex.id.slice(2).toLowerCase(), ex.what);
    const d = decodeRegId(BigInt(ex.id));
    assert.deepEqual([d.type, d.subtype, d.index, d.sizeField], want, ex.what);
  }
});

test('symbolic names in get-reg-list style', () => {
  const cases: [bigint, string][] = [
    [0x803000000700003Cn, 'KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_SINGLE | KVM_RISCV_ISA_EXT_ZCMOP'],
    [0x8030000007000037n, 'KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_SINGLE | KVM_RISCV_ISA_EXT_ZIMOP'],
    [0x8030000001000000n, 'KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CONFIG | KVM_REG_RISCV_CONFIG_REG(isa)'],
    [0x8030000002000020n, 'KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE | KVM_REG_RISCV_CORE_REG(mode)'],
    [0x8030000003000008n, 'KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_GENERAL | KVM_REG_RISCV_CSR_REG(satp)'],
    [0x8020000006000020n, 'KVM_REG_RISCV | KVM_REG_SIZE_U32 | KVM_REG_RISCV_FP_D | KVM_REG_RISCV_FP_D_REG(fcsr)'],
    [0x8030000008000000n, 'KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_SBI_EXT | KVM_REG_RISCV_SBI_SINGLE | KVM_RISCV_SBI_EXT_V01'],
    [0x803000000A000000n, 'KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_SBI_STATE | KVM_REG_RISCV_SBI_STA | KVM_REG_RISCV_SBI_STA_REG(shmem_lo)'],
    [0x8030000007020001n, 'KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_MULTI_DIS | 1'],
    [0x8030000009000004n, 'KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_VECTOR | KVM_REG_RISCV_VECTOR_CSR_REG(vlenb)'],
  ];
  for (const [id, name] of cases) assert.equal(regIdName(id), name);
  // ids past the 6.12 ABI's MAX print as numbers there, as names in 7.3
  assert.match(regIdName(regId(7, 0, 79), '6.12'), /ISA_SINGLE \| 79$/);
  assert.match(regIdName(regId(7, 0, 79), '7.3'), /KVM_RISCV_ISA_EXT_ZICFISS$/);
});

test('non-RISC-V and malformed ids are rejected with EINVAL', () => {
  for (const bad of [0n, 0x6030000001000000n, -1n, 1n << 64n]) {
    assert.throws(() => decodeRegId(bad), (e: unknown) => e instanceof KvmError && e.errnoName === 'EINVAL' && e.errno === 22);
  }
});
