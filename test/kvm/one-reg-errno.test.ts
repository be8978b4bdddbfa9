// Every ONE_REG errno path of kvm-isa-ext-rules.md sections 3-6, table-driven, plus the value semantics
// that go with them (CONFIG isa's silent correction, MULTI registers, read-only CONFIG values).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KvmError, type ErrnoName, type KvmAbi, type KvmHostOptions, type Vcpu, type Vm } from '../../src/kvm/index.js';
import { IMPLEMENTED_EXTENSIONS } from '../../src/isa/index.js';
import { ID, makeVm, runOnce } from './helpers.js';

const U16 = 1, U32 = 2, U64 = 3, U128 = 4;
const ALL = 0xffff_ffff_ffff_ffffn;
const withHost = (...extra: string[]): KvmHostOptions => ({ extensions: [...IMPLEMENTED_EXTENSIONS, ...extra], allowUnimplemented: true });
const without = (...gone: string[]): KvmHostOptions => ({ extensions: [...IMPLEMENTED_EXTENSIONS].filter((n) => !gone.includes(n)) });
/** a host without Smstateen (the hart has it), with extra (unimplemented) extensions */
const noStateen = (...extra: string[]): KvmHostOptions =>
  ({ extensions: [...IMPLEMENTED_EXTENSIONS].filter((n) => n !== 'smstateen' && n !== 'ssstateen').concat(extra), allowUnimplemented: true });

interface Row {
  what: string;
  abi: KvmAbi | 'both';
  host?: KvmHostOptions;
  allowDisableAny?: boolean;
  setup?: (vcpu: Vcpu, vm: Vm) => void;
  ran?: boolean;
  op: 'get' | 'set';
  id: bigint;
  value?: bigint;
  /** null = succeeds */
  errno: ErrnoName | null;
  /** for successful gets: the value; for sets: what a get returns afterwards */
  expect?: bigint;
}

const ROWS: Row[] = [
  // ---- 3. ISA_EXT
  { what: 'ISA_EXT wrong size (u32)', abi: 'both', op: 'get', id: ID.isa(60, U32), errno: 'EINVAL' },
  { what: 'ISA_EXT set wrong size', abi: 'both', op: 'set', id: ID.isa(60, U128), value: 1n, errno: 'EINVAL' },
  { what: 'ISA_EXT unknown subtype', abi: 'both', op: 'get', id: 0x8030000007030000n, errno: 'ENOENT' },
  { what: 'ISA_EXT SINGLE id >= MAX (6.12: 62)', abi: '6.12', op: 'get', id: ID.isa(62), errno: 'ENOENT' },
  { what: 'ISA_EXT SINGLE id >= MAX (7.3: 80)', abi: '7.3', op: 'get', id: ID.isa(80), errno: 'ENOENT' },
  { what: 'ISA_EXT SINGLE host lacks Zcmop: get', abi: 'both', host: without('zcmop'), op: 'get', id: ID.isa(60), errno: 'ENOENT' },
  { what: 'ISA_EXT SINGLE host lacks Zcmop: set', abi: 'both', host: without('zcmop'), op: 'set', id: ID.isa(60), value: 1n, errno: 'ENOENT' },
  { what: 'ISA_EXT SINGLE host lacks H', abi: 'both', host: without('h'), op: 'get', id: ID.isa(4), errno: 'ENOENT' },
  { what: 'ISA_EXT H reads 0 (the host has H; KVM never enables it)', abi: 'both', op: 'get', id: ID.isa(4), errno: null, expect: 0n },
  { what: 'ISA_EXT enable H (never enable-allowed)', abi: 'both', op: 'set', id: ID.isa(4), value: 1n, errno: 'EINVAL', expect: 0n },
  { what: 'ISA_EXT Zcmop reads 1', abi: 'both', op: 'get', id: ID.isa(60), errno: null, expect: 1n },
  { what: 'ISA_EXT disable Zcmop (not disable-allowed)', abi: 'both', op: 'set', id: ID.isa(60), value: 0n, errno: 'EINVAL', expect: 1n },
  { what: 'ISA_EXT disable Zimop (not disable-allowed)', abi: 'both', op: 'set', id: ID.isa(55), value: 0n, errno: 'EINVAL', expect: 1n },
  { what: 'ISA_EXT disable Zcmop with allowDisableAny', abi: 'both', allowDisableAny: true, op: 'set', id: ID.isa(60), value: 0n, errno: null, expect: 0n },
  { what: 'ISA_EXT value 2', abi: 'both', op: 'set', id: ID.isa(2), value: 2n, errno: 'EINVAL', expect: 1n },
  { what: 'ISA_EXT writing the current value after run', abi: 'both', ran: true, op: 'set', id: ID.isa(2), value: 1n, errno: null, expect: 1n },
  { what: 'ISA_EXT change after run', abi: 'both', ran: true, op: 'set', id: ID.isa(2), value: 0n, errno: 'EBUSY', expect: 1n },
  { what: 'ISA_EXT disable D before run', abi: 'both', op: 'set', id: ID.isa(2), value: 0n, errno: null, expect: 0n },
  { what: 'ISA_EXT enable H (never enable-allowed)', abi: 'both', host: withHost('h'), op: 'set', id: ID.isa(4), value: 1n, errno: 'EINVAL', expect: 0n },
  { what: 'ISA_EXT disable H is allowed (and a no-op: never on)', abi: 'both', host: withHost('h'), op: 'set', id: ID.isa(4), value: 0n, errno: null, expect: 0n },
  { what: 'ISA_EXT Sscofpmf enable needs host Ssaia', abi: 'both', host: withHost('sscofpmf'), setup: (v) => assert.equal(v.getOneReg(ID.isa(54)), 0n), op: 'set', id: ID.isa(54), value: 1n, errno: 'EINVAL' },
  { what: 'ISA_EXT Sscofpmf with host Ssaia: on from creation, never disable-allowed', abi: 'both', host: withHost('sscofpmf', 'ssaia'), op: 'set', id: ID.isa(54), value: 0n, errno: 'EINVAL', expect: 1n },
  { what: 'ISA_EXT Ssaia disable needs host Smstateen', abi: 'both', host: noStateen('ssaia'), op: 'set', id: ID.isa(14), value: 0n, errno: 'EINVAL', expect: 1n },
  { what: 'ISA_EXT Ssaia disable with host Smstateen', abi: 'both', host: withHost('ssaia', 'smstateen'), op: 'set', id: ID.isa(14), value: 0n, errno: null, expect: 0n },
  { what: 'ISA_EXT V enable needs host V (user vector)', abi: 'both', host: withHost('v'), setup: (v) => v.setOneReg(ID.isa(15), 0n), op: 'set', id: ID.isa(15), value: 1n, errno: null, expect: 1n },
  { what: 'ISA_EXT Svade disable with host Svadu (7.3)', abi: '7.3', host: withHost('svade'), op: 'set', id: ID.isa(64), value: 0n, errno: null, expect: 0n },
  { what: 'ISA_EXT Svade disable without host Svadu (7.3)', abi: '7.3', host: { extensions: [...IMPLEMENTED_EXTENSIONS].filter((n) => n !== 'svadu').concat('svade'), allowUnimplemented: true }, op: 'set', id: ID.isa(64), value: 0n, errno: 'EINVAL', expect: 1n },
  { what: 'ISA_EXT MULTI reg > last (6.12: 0)', abi: '6.12', op: 'get', id: ID.isaMulti(1, 1), errno: 'ENOENT' },
  { what: 'ISA_EXT MULTI reg > last (7.3: 1)', abi: '7.3', op: 'get', id: ID.isaMulti(1, 2), errno: 'ENOENT' },
  { what: 'ISA_EXT MULTI_DIS is the complement of MULTI_EN', abi: 'both', setup: (v) => assert.equal(v.getOneReg(ID.isaMulti(2, 0)), ~v.getOneReg(ID.isaMulti(1, 0)) & ALL), op: 'get', id: ID.isaMulti(1, 0), errno: null },
  // ---- 4. CONFIG
  { what: 'CONFIG wrong size', abi: 'both', op: 'get', id: ID.config(0, U32), errno: 'EINVAL' },
  { what: 'CONFIG unknown index (6.12: 7)', abi: '6.12', op: 'get', id: ID.config(7), errno: 'ENOENT' },
  { what: 'CONFIG unknown index (7.3: 8)', abi: '7.3', op: 'get', id: ID.config(8), errno: 'ENOENT' },
  { what: 'CONFIG zicbop_block_size (7.3)', abi: '7.3', op: 'get', id: ID.config(7), errno: null, expect: 64n },
  { what: 'CONFIG isa bit 25 (z) rejected', abi: 'both', op: 'set', id: ID.config(0), value: 1n << 25n, errno: 'EINVAL' },
  { what: 'CONFIG isa bit 31 rejected (fls on 32 bits)', abi: 'both', op: 'set', id: ID.config(0), value: 1n << 31n, errno: 'EINVAL' },
  { what: 'CONFIG isa same value after run', abi: 'both', ran: true, op: 'set', id: ID.config(0), value: 0b1_0001_0010_1101n | (1n << 21n), errno: null },
  { what: 'CONFIG isa different value after run', abi: 'both', ran: true, op: 'set', id: ID.config(0), value: 0b1_0001_0000_0101n, errno: 'EBUSY' },
  { what: 'CONFIG isa reads the single letters imafdcv', abi: 'both', op: 'get', id: ID.config(0), errno: null, expect: (1n << 0n) | (1n << 2n) | (1n << 3n) | (1n << 5n) | (1n << 8n) | (1n << 12n) | (1n << 21n) },
  { what: 'CONFIG isa: clearing D and F works, A C I M silently stay', abi: 'both', op: 'set', id: ID.config(0), value: 0n, errno: null, expect: (1n << 0n) | (1n << 2n) | (1n << 8n) | (1n << 12n) },
  { what: 'CONFIG isa: H (bit 7) and unknown letters are dropped', abi: 'both', host: withHost('h'), op: 'set', id: ID.config(0), value: 0x112dn | (1n << 7n) | (1n << 1n), errno: null, expect: 0x112dn },
  { what: 'CONFIG isa: bits 32..63 are not rejected but dropped', abi: 'both', op: 'set', id: ID.config(0), value: (1n << 40n) | 0x112dn, errno: null, expect: 0x112dn },
  { what: 'CONFIG zicbom_block_size 6.12: vCPU lacks Zicbom', abi: '6.12', setup: (v) => v.setOneReg(ID.isa(11), 0n), op: 'get', id: ID.config(1), errno: 'ENOENT' },
  { what: 'CONFIG zicbom_block_size 7.3: host lacks Zicbom reads 0', abi: '7.3', host: without('zicbom'), op: 'get', id: ID.config(1), errno: null, expect: 0n },
  { what: 'CONFIG zicboz_block_size reads 64', abi: 'both', op: 'get', id: ID.config(5), errno: null, expect: 64n },
  { what: 'CONFIG zicboz_block_size write other size', abi: 'both', op: 'set', id: ID.config(5), value: 32n, errno: 'EINVAL' },
  { what: 'CONFIG zicboz_block_size write 0 (6.12 rejects)', abi: '6.12', op: 'set', id: ID.config(5), value: 0n, errno: 'EINVAL' },
  { what: 'CONFIG zicboz_block_size write 0 (7.3 accepts)', abi: '7.3', op: 'set', id: ID.config(5), value: 0n, errno: null, expect: 64n },
  { what: 'CONFIG mvendorid change before run', abi: 'both', op: 'set', id: ID.config(2), value: 0x489n, errno: null, expect: 0x489n },
  { what: 'CONFIG mvendorid change after run', abi: 'both', ran: true, op: 'set', id: ID.config(2), value: 0x489n, errno: 'EBUSY', expect: 0n },
  { what: 'CONFIG marchid same value after run', abi: 'both', ran: true, op: 'set', id: ID.config(3), value: 0n, errno: null },
  { what: 'CONFIG satp_mode reads Sv57 (10)', abi: 'both', op: 'get', id: ID.config(6), errno: null, expect: 10n },
  { what: 'CONFIG satp_mode is read-only', abi: 'both', op: 'set', id: ID.config(6), value: 8n, errno: 'EINVAL' },
  // ---- 5. CORE, CSR, TIMER, FP, VECTOR, SBI
  { what: 'CORE wrong size', abi: 'both', op: 'get', id: ID.core(1, U32), errno: 'EINVAL' },
  { what: 'CORE index 33', abi: 'both', op: 'get', id: ID.core(33), errno: 'ENOENT' },
  { what: 'CORE subtype bits are part of the index', abi: 'both', op: 'get', id: 0x8030000002010000n, errno: 'ENOENT' },
  { what: 'CORE mode reads S', abi: 'both', op: 'get', id: ID.core(32), errno: null, expect: 1n },
  { what: 'CORE a0 write/read', abi: 'both', op: 'set', id: ID.core(10), value: 0x1234_5678_9abc_def0n, errno: null, expect: 0x1234_5678_9abc_def0n },
  { what: 'CSR wrong size', abi: 'both', op: 'get', id: ID.csr(0, 0, U32), errno: 'EINVAL' },
  { what: 'CSR GENERAL index 11', abi: 'both', op: 'get', id: ID.csr(0, 11), errno: 'ENOENT' },
  { what: 'CSR GENERAL stvec write/read', abi: 'both', op: 'set', id: ID.csr(0, 2), value: 0x8000_1000n, errno: null, expect: 0x8000_1000n },
  { what: 'CSR AIA 7.3: vCPU lacks Ssaia', abi: '7.3', op: 'get', id: ID.csr(1, 0), errno: 'ENOENT' },
  { what: 'CSR AIA 6.12: host without AIA reads 0', abi: '6.12', op: 'get', id: ID.csr(1, 0), errno: null, expect: 0n },
  { what: 'CSR AIA index 7', abi: 'both', host: withHost('ssaia'), op: 'get', id: ID.csr(1, 7), errno: 'ENOENT' },
  { what: 'CSR SMSTATEEN 6.12: host lacks Smstateen -> EINVAL', abi: '6.12', host: noStateen(), op: 'get', id: ID.csr(2, 0), errno: 'EINVAL' },
  { what: 'CSR SMSTATEEN 7.3: vCPU lacks Smstateen -> ENOENT', abi: '7.3', host: noStateen(), op: 'get', id: ID.csr(2, 0), errno: 'ENOENT' },
  { what: 'CSR SMSTATEEN index 1 (6.12)', abi: '6.12', host: withHost('smstateen'), op: 'get', id: ID.csr(2, 1), errno: 'EINVAL' },
  { what: 'CSR SMSTATEEN index 1 (7.3)', abi: '7.3', host: withHost('smstateen'), op: 'get', id: ID.csr(2, 1), errno: 'ENOENT' },
  { what: 'CSR ZICFISS 7.3: vCPU lacks Zicfiss', abi: '7.3', op: 'get', id: ID.csr(3, 0), errno: 'ENOENT' },
  { what: 'CSR subtype 3 unknown in 6.12', abi: '6.12', op: 'get', id: ID.csr(3, 0), errno: 'ENOENT' },
  { what: 'CSR unknown subtype 9', abi: 'both', op: 'get', id: ID.csr(9, 0), errno: 'ENOENT' },
  { what: 'TIMER wrong size', abi: 'both', op: 'get', id: ID.timer(0, U32), errno: 'EINVAL' },
  { what: 'TIMER index 4', abi: 'both', op: 'get', id: ID.timer(4), errno: 'ENOENT' },
  { what: 'TIMER frequency = 10 MHz timebase', abi: 'both', op: 'get', id: ID.timer(0), errno: null, expect: 10_000_000n },
  { what: 'TIMER frequency other value', abi: 'both', op: 'set', id: ID.timer(0), value: 1_000_000n, errno: 'EINVAL' },
  { what: 'TIMER state off after creation', abi: 'both', op: 'get', id: ID.timer(3), errno: null, expect: 0n },
  { what: 'FP_F vCPU lacks F', abi: 'both', setup: (v) => { v.setOneReg(ID.isa(3), 0n); v.setOneReg(ID.isa(2), 0n); }, op: 'get', id: ID.fpF(0), errno: 'ENOENT' },
  { what: 'FP_F wrong size', abi: 'both', op: 'get', id: ID.fpF(0, U64), errno: 'EINVAL' },
  { what: 'FP_F index 33', abi: 'both', op: 'get', id: ID.fpF(33), errno: 'ENOENT' },
  { what: 'FP_F f[3] write/read (low 32 bits)', abi: 'both', op: 'set', id: ID.fpF(3), value: 0x3f80_0000n, errno: null, expect: 0x3f80_0000n },
  { what: 'FP_D f[0] as u32', abi: 'both', op: 'get', id: ID.fpD(0, U32), errno: 'EINVAL' },
  { what: 'FP_D fcsr as u64', abi: 'both', op: 'get', id: ID.fpD(32, U64), errno: 'EINVAL' },
  { what: 'FP_D index 33', abi: 'both', op: 'get', id: ID.fpD(33), errno: 'ENOENT' },
  { what: 'FP_D fcsr write/read', abi: 'both', op: 'set', id: ID.fpD(32, U32), value: 0x81n, errno: null, expect: 0x81n },
  { what: 'FP_D vCPU lacks D', abi: 'both', setup: (v) => v.setOneReg(ID.isa(2), 0n), op: 'get', id: ID.fpD(1), errno: 'ENOENT' },
  { what: 'VECTOR vCPU lacks V', abi: 'both', setup: (v) => v.setOneReg(ID.isa(15), 0n), op: 'get', id: ID.vector(4), errno: 'ENOENT' },
  { what: 'VECTOR vlenb reads VLEN/8 of the hart', abi: 'both', op: 'get', id: ID.vector(4), errno: null, expect: 16n },
  { what: 'VECTOR vl write/read', abi: 'both', op: 'set', id: ID.vector(1), value: 7n, errno: null, expect: 7n },
  { what: 'VECTOR datap never accessible', abi: 'both', host: withHost('v'), op: 'get', id: ID.vector(5), errno: 'ENOENT' },
  { what: 'VECTOR vlenb read-only', abi: 'both', host: withHost('v'), op: 'set', id: ID.vector(4), value: 32n, errno: 'EINVAL' },
  { what: 'VECTOR v0 with wrong size', abi: 'both', host: withHost('v'), op: 'get', id: ID.vector(6, U64), errno: 'EINVAL' },
  { what: 'VECTOR v31 (u128 = vlenb 16)', abi: 'both', host: withHost('v'), op: 'set', id: ID.vector(37, U128), value: 1n << 100n, errno: null, expect: 1n << 100n },
  { what: 'VECTOR index 38', abi: 'both', host: withHost('v'), op: 'get', id: ID.vector(38, U128), errno: 'ENOENT' },
  { what: 'SBI_EXT wrong size', abi: 'both', op: 'get', id: ID.sbi(1, U32), errno: 'EINVAL' },
  { what: 'SBI_EXT id >= MAX (6.12: 11)', abi: '6.12', op: 'get', id: ID.sbi(11), errno: 'ENOENT' },
  { what: 'SBI_EXT id >= MAX (7.3: 14)', abi: '7.3', op: 'get', id: ID.sbi(14), errno: 'ENOENT' },
  { what: 'SBI_EXT PMU available (the hart has hpm counters)', abi: 'both', op: 'get', id: ID.sbi(6), errno: null, expect: 1n },
  { what: 'SBI_EXT PMU unavailable without Zihpm', abi: 'both', host: without('zihpm'), op: 'get', id: ID.sbi(6), errno: 'ENOENT' },
  { what: 'SBI_EXT DBCN disabled by default', abi: 'both', op: 'get', id: ID.sbi(9), errno: null, expect: 0n },
  { what: 'SBI_EXT enable DBCN', abi: 'both', op: 'set', id: ID.sbi(9), value: 1n, errno: null, expect: 1n },
  { what: 'SBI_EXT value 2', abi: 'both', op: 'set', id: ID.sbi(9), value: 2n, errno: 'EINVAL' },
  { what: 'SBI_EXT value 2 beats unknown id (EINVAL before ENOENT)', abi: 'both', op: 'set', id: ID.sbi(40), value: 2n, errno: 'EINVAL' },
  { what: 'SBI_EXT set after run (even the current value)', abi: 'both', ran: true, op: 'set', id: ID.sbi(1), value: 1n, errno: 'EBUSY' },
  { what: 'SBI_EXT MULTI after run', abi: 'both', ran: true, op: 'set', id: ID.sbiMulti(1, 0), value: 0n, errno: 'EBUSY' },
  { what: 'SBI_EXT MULTI reg 1 > last', abi: 'both', op: 'get', id: ID.sbiMulti(1, 1), errno: 'ENOENT' },
  { what: 'SBI_EXT unknown subtype before run', abi: 'both', op: 'set', id: 0x8030000008050000n, value: 0n, errno: 'ENOENT' },
  { what: 'SBI_EXT unknown subtype after run: EBUSY first', abi: 'both', ran: true, op: 'set', id: 0x8030000008050000n, value: 0n, errno: 'EBUSY' },
  { what: 'SBI_STATE STA shmem_lo reads INVALID_GPA', abi: 'both', op: 'get', id: ID.sbiState(0, 0), errno: null, expect: ALL },
  { what: 'SBI_STATE STA index 2 (6.12: EINVAL)', abi: '6.12', op: 'get', id: ID.sbiState(0, 2), errno: 'EINVAL' },
  { what: 'SBI_STATE STA index 2 (7.3: ENOENT)', abi: '7.3', op: 'get', id: ID.sbiState(0, 2), errno: 'ENOENT' },
  { what: 'SBI_STATE STA wrong size u32', abi: 'both', op: 'get', id: ID.sbiState(0, 0, U32), errno: 'EINVAL' },
  { what: 'SBI_STATE size u16 (7.3 passes the size check, STA wants ulong)', abi: '7.3', op: 'get', id: ID.sbiState(0, 0, U16), errno: 'EINVAL' },
  { what: 'SBI_STATE size u128', abi: 'both', op: 'get', id: ID.sbiState(0, 0, U128), errno: 'EINVAL' },
  { what: 'SBI_STATE STA shmem_hi != 0', abi: 'both', op: 'set', id: ID.sbiState(0, 1), value: 1n, errno: 'EINVAL' },
  { what: 'SBI_STATE STA shmem_lo misaligned (7.3)', abi: '7.3', op: 'set', id: ID.sbiState(0, 0), value: 0x8000_0010n, errno: 'EINVAL' },
  { what: 'SBI_STATE STA shmem_lo aligned', abi: 'both', op: 'set', id: ID.sbiState(0, 0), value: 0x8000_0040n, errno: null, expect: 0x8000_0040n },
  { what: 'SBI_STATE STA with STA disabled (7.3)', abi: '7.3', setup: (v) => v.setOneReg(ID.sbi(10), 0n), op: 'get', id: ID.sbiState(0, 0), errno: 'EINVAL' },
  { what: 'SBI_STATE STA with STA disabled (6.12 does not check)', abi: '6.12', setup: (v) => v.setOneReg(ID.sbi(10), 0n), op: 'get', id: ID.sbiState(0, 0), errno: null, expect: ALL },
  { what: 'SBI_STATE FWFT subtype in 6.12', abi: '6.12', op: 'get', id: ID.sbiState(1, 0), errno: 'EINVAL' },
  { what: 'SBI_STATE FWFT misaligned_deleg not offered', abi: '7.3', op: 'get', id: ID.sbiState(1, 0), errno: 'ENOENT' },
  { what: 'SBI_STATE FWFT pte_ad_hw_updating.enable', abi: '7.3', op: 'get', id: ID.sbiState(1, 6), errno: null, expect: 0n },
  { what: 'SBI_STATE FWFT with FWFT disabled', abi: '7.3', setup: (v) => v.setOneReg(ID.sbi(12), 0n), op: 'get', id: ID.sbiState(1, 6), errno: 'EINVAL' },
  { what: 'SBI_STATE unknown subtype', abi: 'both', op: 'get', id: ID.sbiState(5, 0), errno: 'EINVAL' },
  { what: 'unknown register type 11', abi: 'both', op: 'get', id: 0x803000000B000000n, errno: 'ENOENT' },
  { what: 'unknown register type 0', abi: 'both', op: 'get', id: 0x8030000000000000n, errno: 'ENOENT' },
];

for (const row of ROWS) {
  for (const abi of row.abi === 'both' ? (['6.12', '7.3'] as const) : [row.abi]) {
    test(`ONE_REG ${abi}: ${row.what}`, () => {
      const { vm, vcpu } = makeVm({ abi, allowDisableAny: row.allowDisableAny ?? false }, row.host ?? {});
      row.setup?.(vcpu, vm);
      if (row.ran) runOnce(vm, vcpu);
      const act = (): bigint | void => (row.op === 'get' ? vcpu.getOneReg(row.id) : vcpu.setOneReg(row.id, row.value!));
      if (row.errno !== null) {
        assert.throws(act, (e: unknown) => e instanceof KvmError && e.errnoName === row.errno, row.what);
      } else {
        const got = act();
        if (row.op === 'get' && row.expect !== undefined) assert.equal(got, row.expect);
      }
      // a set row's expect is what reading the register back gives (after a failed write: unchanged)
      if (row.expect !== undefined && row.op === 'set') assert.equal(vcpu.getOneReg(row.id), row.expect);
    });
  }
}

test('ISA_EXT MULTI_DIS with D and Zcmop: D goes, Zcmop stays, ioctl succeeds', () => {
  const { vcpu } = makeVm();
  vcpu.setOneReg(ID.isaMulti(2, 0), (1n << 60n) | (1n << 2n));
  assert.equal(vcpu.getOneReg(ID.isa(2)), 0n);
  assert.equal(vcpu.getOneReg(ID.isa(60)), 1n);
});

test('ISA_EXT MULTI_EN after run fails silently per extension', () => {
  const { vm, vcpu } = makeVm();
  vcpu.setOneReg(ID.isa(2), 0n);
  runOnce(vm, vcpu);
  vcpu.setOneReg(ID.isaMulti(1, 0), 1n << 2n);
  assert.equal(vcpu.getOneReg(ID.isa(2)), 0n);
});

test('changing the ISA resets sstatus.FS: Initial with F or D, Off without', () => {
  const { vcpu } = makeVm();
  const fs = (): bigint => (vcpu.getOneReg(ID.csr(0, 0)) >> 13n) & 3n;
  assert.equal(fs(), 1n);
  vcpu.setOneReg(ID.isa(2), 0n);
  vcpu.setOneReg(ID.isa(3), 0n);
  assert.equal(fs(), 0n);
  vcpu.setOneReg(ID.isa(3), 1n);
  assert.equal(fs(), 1n);
});

test('byte-buffer ONE_REG honours the size field; a short buffer is EFAULT', () => {
  const { vcpu } = makeVm();
  const buf = new Uint8Array(8);
  vcpu.setOneRegBytes(ID.core(10), Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
  assert.equal(vcpu.getOneReg(ID.core(10)), 0x0807060504030201n);
  vcpu.getOneRegBytes(ID.fpD(32, U32), buf.subarray(0, 4));
  assert.throws(() => vcpu.getOneRegBytes(ID.core(10), new Uint8Array(4)), (e: unknown) => e instanceof KvmError && e.errnoName === 'EFAULT');
  assert.throws(() => vcpu.setOneRegBytes(ID.fpF(0), new Uint8Array(2)), (e: unknown) => e instanceof KvmError && e.errno === 14);
  assert.throws(() => vcpu.setOneReg(ID.fpF(0), 1n << 32n), (e: unknown) => e instanceof KvmError && e.errnoName === 'EINVAL');
});

test('TIMER time is settable and advances from there', () => {
  const { vcpu } = makeVm();
  vcpu.setOneReg(ID.timer(1), 5_000_000_000n);
  const t = vcpu.getOneReg(ID.timer(1));
  assert.ok(t >= 5_000_000_000n && t < 5_100_000_000n, `time ${t}`);
});

test('TIMER state ON arms at compare (7.3) or at the written value 1 (6.12)', () => {
  for (const abi of ['6.12', '7.3'] as const) {
    const { vcpu } = makeVm({ abi });
    vcpu.setOneReg(ID.isa(8), 1n);
    vcpu.setOneReg(ID.timer(2), 123_456_789_000n);
    vcpu.setOneReg(ID.timer(3), 1n);
    assert.equal(vcpu.getOneReg(ID.timer(3)), 1n);
    assert.equal(vcpu.getOneReg(ID.timer(2)), abi === '7.3' ? 123_456_789_000n : 1n, abi);
    vcpu.setOneReg(ID.timer(3), 0n);
    assert.equal(vcpu.getOneReg(ID.timer(3)), 0n);
  }
});

test('vCPUs: duplicate id EEXIST, bad id EINVAL; memory slots: alignment EINVAL, overlap EEXIST', () => {
  const { vm } = makeVm();
  assert.throws(() => vm.createVcpu(0), (e: unknown) => e instanceof KvmError && e.errnoName === 'EEXIST');
  assert.throws(() => vm.createVcpu(-1), (e: unknown) => e instanceof KvmError && e.errnoName === 'EINVAL');
  assert.throws(() => vm.setUserMemoryRegion({ slot: 1, guestPhysAddr: 0x1001, memorySize: 4096 }), (e: unknown) => e instanceof KvmError && e.errnoName === 'EINVAL');
  assert.throws(() => vm.setUserMemoryRegion({ slot: 1, guestPhysAddr: 0x8008_0000, memorySize: 1 << 20 }), (e: unknown) => e instanceof KvmError && e.errnoName === 'EEXIST');
  assert.throws(() => vm.setUserMemoryRegion({ slot: 0, guestPhysAddr: 0x9000_0000, memorySize: 4096 }), (e: unknown) => e instanceof KvmError && e.errnoName === 'EINVAL');
  assert.equal(vm.setUserMemoryRegion({ slot: 1, guestPhysAddr: 0x9000_0000, memorySize: 8192 }).length, 8192);
});

test('an ABI-only host (allowUnimplemented) cannot run a vCPU that has an extension the hart lacks', () => {
  const { vm, vcpu } = makeVm({}, withHost('ssaia'));
  assert.throws(() => runOnce(vm, vcpu), (e: unknown) => e instanceof KvmError && e.errnoName === 'EOPNOTSUPP' && /\bssaia\b/.test(e.message));
  vcpu.setOneReg(ID.isa(14), 0n); // Ssaia: disable-allowed with host Smstateen
  runOnce(vm, vcpu);
});

test('7.3: a host with Ssnpm but not Smnpm runs a vCPU with Smnpm (KVM offers it on host Ssnpm, and the hart executes it)', () => {
  const host = { extensions: [...IMPLEMENTED_EXTENSIONS].filter((n) => n !== 'smnpm') };
  const { vm, vcpu } = makeVm({ abi: '7.3' }, host);
  assert.equal(vcpu.getOneReg(ID.isa(62)), 1n, 'Smnpm on');
  runOnce(vm, vcpu);
  const { vm: vm2, vcpu: vcpu2 } = makeVm({ abi: '7.3' }, { extensions: host.extensions.filter((n) => n !== 'ssnpm' && n !== 'supm') });
  assert.throws(() => vcpu2.getOneReg(ID.isa(62)), (e: unknown) => e instanceof KvmError && e.errnoName === 'ENOENT', 'no Smnpm register without host Ssnpm');
  runOnce(vm2, vcpu2);
});
