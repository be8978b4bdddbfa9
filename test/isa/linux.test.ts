// Linux's own resolution of a device tree's ISA: lenient parsing, dropped dependencies, cpuinfo line, hwprobe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CATALOGUE,
  LINUX_VERSIONS,
  linuxFromDeviceTree,
  linuxFromExtensionList,
  linuxFromIsaString,
  linuxIsaStringNames,
} from '../../src/isa/index.js';
import { reference } from './reference.js';

const linuxRef = reference('linux-isa-extensions.json');
const hwprobeRef = reference('hwprobe.json');

/** IMA_EXT_0 from the reference masks, by bit name. */
function mask(version: string, ...names: string[]): bigint {
  const key = (hwprobeRef[`v${version}`].keys as Array<Record<string, any>>).find((k) => k.value === 4)!;
  let v = 0n;
  for (const n of names) {
    const bit = (key.bits as Array<Record<string, any>>).find((b) => b.name === `RISCV_HWPROBE_${n}`);
    assert.ok(bit, `no hwprobe bit ${n}`);
    v |= BigInt(bit.mask);
  }
  return v;
}

test('zcmop without zca is dropped, not an error; zimop stays', () => {
  const view = linuxFromExtensionList(['i', 'm', 'a', 'zimop', 'zcmop']);
  assert.equal(view.cpuinfoLine, 'isa\t\t: rv64ima_zimop');
  assert.deepEqual(view.dropped.map((d) => d.name), ['zcmop']);
  assert.match(view.dropped[0]!.reason, /zca/);
  assert.equal(view.hwprobeImaExt0, mask('6.12.107', 'EXT_ZIMOP'));
});

test('c implies zca and zcd (zcf dropped on a 64-bit kernel); zcmop then resolves', () => {
  const view = linuxFromExtensionList(['i', 'm', 'a', 'f', 'd', 'c', 'zicsr', 'zifencei', 'zimop', 'zcmop']);
  assert.equal(view.isa, 'rv64imafdc_zicsr_zifencei_zimop_zca_zcd_zcmop');
  assert.deepEqual(view.dropped, [{ name: 'zcf', reason: 'RV32-only on a 64-bit kernel' }]);
  assert.equal(
    view.hwprobeImaExt0,
    mask('6.12.107', 'IMA_FD', 'IMA_C', 'EXT_ZIMOP', 'EXT_ZCA', 'EXT_ZCD', 'EXT_ZCMOP'),
  );
  assert.equal(view.hwprobeImaExt0, 0xac0000000003n);
  assert.equal(view.hwprobeImaExt1, null, '6.12 has no IMA_EXT_1 key');
});

test('riscv,isa string path: lenient names, forced zicsr/zifencei/zicntr/zihpm, unknown names ignored', () => {
  const view = linuxFromIsaString('rv64imafdcsu_zimop_zcmop_xfoo_zbogus2p0_Zba');
  assert.equal(view.isa, 'rv64imafdc_zicntr_zicsr_zifencei_zihpm_zimop_zca_zcd_zcmop_zba');
  assert.deepEqual(view.ignored, ['zbogus']);
  assert.deepEqual(linuxIsaStringNames('rv64i2p1m_zicsr2p0'), ['i', 'm', 'zicsr']);
  // "g" and "b" set nothing in Linux.
  assert.equal(linuxFromIsaString('rv64gcb').isa, 'rv64c_zicntr_zicsr_zifencei_zihpm_zca');
});

test('riscv,isa-extensions is preferred; an empty result falls back to riscv,isa', () => {
  assert.equal(linuxFromDeviceTree({ isa: 'rv64imac', isaExtensions: ['i', 'm'] }).isa, 'rv64im');
  assert.equal(linuxFromDeviceTree({ isa: 'rv64imac', isaExtensions: ['Zicsr'] }).isa, 'rv64imac_zicntr_zicsr_zifencei_zihpm_zca');
});

test('validate callbacks: zicbo* need a block size, zcd needs d, svade beats svadu (7.3), f needs d (7.3)', () => {
  assert.deepEqual(linuxFromExtensionList(['i', 'zicbom', 'zicboz']).enabled, ['i']);
  assert.deepEqual(linuxFromExtensionList(['i', 'zicbom', 'zicboz'], { blockSizes: { cbom: 64, cboz: 64 } }).enabled, ['i', 'zicbom', 'zicboz']);
  assert.deepEqual(linuxFromExtensionList(['i', 'zicbom'], { blockSizes: { cbom: 48 } }).enabled, ['i']);
  assert.deepEqual(linuxFromExtensionList(['i', 'c']).enabled, ['i', 'c', 'zca']);
  const v73 = { version: '7.3-rc7' as const };
  assert.deepEqual(linuxFromExtensionList(['i', 'svade', 'svadu'], v73).enabled, ['i', 'svade']);
  assert.deepEqual(linuxFromExtensionList(['i', 'svadu'], v73).enabled, ['i', 'svadu']);
  assert.deepEqual(linuxFromExtensionList(['i', 'f'], v73).enabled, ['i']);
  assert.deepEqual(linuxFromExtensionList(['i', 'f']).enabled, ['i', 'f'], '6.12 keeps F without D');
  assert.deepEqual(linuxFromExtensionList(['i', 'svadu']).enabled, ['i'], 'svadu unknown to 6.12');
  assert.deepEqual(linuxFromExtensionList(['i', 'svadu']).ignored, ['svadu']);
});

test('version differences: a splits into zaamo/zalrsc in 7.3; zk lacks zknh in 6.12', () => {
  assert.deepEqual(linuxFromExtensionList(['i', 'a'], { version: '7.3-rc7' }).enabled, ['i', 'a', 'zaamo', 'zalrsc']);
  assert.deepEqual(linuxFromExtensionList(['i', 'a']).enabled, ['i', 'a']);
  assert.ok(!linuxFromExtensionList(['i', 'zk']).enabled.includes('zknh'));
  assert.ok(linuxFromExtensionList(['i', 'zk'], { version: '7.3-rc7' }).enabled.includes('zknh'));
});

test('cpuinfo line order is the reference order, for everything a version knows', () => {
  for (const v of LINUX_VERSIONS) {
    const names = (linuxRef[`v${v}`].riscv_isa_ext_table as Array<{ name: string }>).map((e) => e.name).reverse();
    const view = linuxFromExtensionList(names, { version: v, blockSizes: { cbom: 64, cboz: 64, cbop: 64 } });
    const order: string[] = linuxRef[`v${v}`].cpuinfo_isa_order;
    assert.deepEqual(view.enabled, order.filter((n) => view.enabled.includes(n)), `v${v}`);
    const letters = view.enabled.filter((n) => n.length === 1).join('');
    const multi = view.enabled.filter((n) => n.length > 1);
    assert.equal(view.cpuinfoLine, `isa\t\t: rv64${letters}_${multi.join('_')}`);
    // On rv64 only the RV32-only names and Svadu (with Svade present) are refused.
    const refused = new Set(view.dropped.map((d) => d.name));
    const expectRefused = CATALOGUE.filter((r) => r.rv32Only && r.linux[v]).map((r) => r.name);
    if (v === '7.3-rc7') expectRefused.push('svadu');
    assert.deepEqual(refused, new Set(expectRefused), `v${v} dropped`);
  }
});

test('hwprobe: fpu- and vector-gated bits follow the version rules', () => {
  // 6.12: zfh needs has_fpu(); 7.3 reports it whenever the hart has it.
  const noFpu = { kernel: { fpu: false } };
  assert.equal(linuxFromExtensionList(['i', 'f', 'zfh'], noFpu).hwprobeImaExt0, 0n);
  assert.equal(linuxFromExtensionList(['i', 'f', 'zfh']).hwprobeImaExt0, mask('6.12.107', 'IMA_FD', 'EXT_ZFH'));
  assert.equal(linuxFromExtensionList(['i', 'zba', 'zbb', 'zbs']).hwprobeImaExt0, mask('6.12.107', 'EXT_ZBA', 'EXT_ZBB', 'EXT_ZBS'));
  // v implies zve* (has_vector() then holds) in 6.12.
  const v = linuxFromExtensionList(['i', 'f', 'd', 'v']);
  assert.equal(v.hwprobeImaExt0, mask('6.12.107', 'IMA_FD', 'IMA_V', 'EXT_ZVE32X', 'EXT_ZVE32F', 'EXT_ZVE64X', 'EXT_ZVE64F', 'EXT_ZVE64D'));
  const v73 = linuxFromExtensionList(['i', 'zicntr', 'zihpm', 'ziccrse'], { version: '7.3-rc7' });
  assert.equal(v73.hwprobeImaExt0, mask('7.3-rc7', 'EXT_ZICNTR', 'EXT_ZIHPM'));
  assert.equal(v73.hwprobeImaExt1, 1n << 4n);
});

test('harts Linux 6.12 would not bring up are reported', () => {
  assert.equal(linuxFromDeviceTree({ isaBase: 'rv64i', isaExtensions: ['i', 'm', 'a', 'c'] }).hartRejected, undefined);
  assert.match(linuxFromDeviceTree({ isaBase: 'rv64i', isaExtensions: ['i', 'zca', 'zcmop'] }).hartRejected!, /lacks m, a/);
  assert.match(linuxFromDeviceTree({ isaBase: 'rv32i', isaExtensions: ['i', 'm', 'a'] }).hartRejected!, /rv64i/);
  assert.equal(linuxFromDeviceTree({ isa: 'RV64IMAC' }).hartRejected, undefined);
  assert.match(linuxFromDeviceTree({ isa: 'rv64imc' }).hartRejected!, /rv64ima/);
});
