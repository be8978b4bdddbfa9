// Strict ISA-string and device-tree parsing, every error kind with its position, and the formatter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CATALOGUE,
  IsaError,
  formatDeviceTreeBase,
  formatDeviceTreeExtensions,
  formatIsaString,
  parseDeviceTreeIsa,
  parseIsaString,
  type IsaSpec,
} from '../../src/isa/index.js';
import { reference } from './reference.js';

const G = ['i', 'm', 'a', 'f', 'd', 'zicsr', 'zifencei'];

const VALID: Array<{ input: string; xlen: 32 | 64; base?: 'i' | 'e'; extensions: string[]; explicit: string[] }> = [
  { input: 'rv64imafdc_zicsr_zifencei_zimop_zcmop', xlen: 64, extensions: [...G, 'c', 'zca', 'zcd', 'zimop', 'zcmop'], explicit: ['i', 'm', 'a', 'f', 'd', 'c', 'zicsr', 'zifencei', 'zimop', 'zcmop'] },
  { input: 'rv64gc_zcmop', xlen: 64, extensions: [...G, 'c', 'zca', 'zcd', 'zcmop'], explicit: ['g', 'c', 'zcmop'] },
  { input: 'RV64GC_Zimop_Zcmop', xlen: 64, extensions: [...G, 'c', 'zca', 'zcd', 'zimop', 'zcmop'], explicit: ['g', 'c', 'zimop', 'zcmop'] },
  { input: 'rv64i2p1_m2p0_a2p1_zicsr2p0', xlen: 64, extensions: ['i', 'm', 'a', 'zicsr'], explicit: ['i', 'm', 'a', 'zicsr'] },
  { input: 'rv64i2p1m2p0a', xlen: 64, extensions: ['i', 'm', 'a'], explicit: ['i', 'm', 'a'] },
  { input: 'rv64imac', xlen: 64, extensions: ['i', 'm', 'a', 'c', 'zca'], explicit: ['i', 'm', 'a', 'c'] },
  { input: 'rv64i_zca_zcb_zcmop', xlen: 64, extensions: ['i', 'zca', 'zcb', 'zcmop'], explicit: ['i', 'zca', 'zcb', 'zcmop'] },
  { input: 'rv64ib', xlen: 64, extensions: ['i', 'zba', 'zbb', 'zbs'], explicit: ['i', 'b'] },
  { input: 'rv32ec', xlen: 32, base: 'e', extensions: ['c', 'zca'], explicit: ['c'] },
  { input: 'rv32i_zilsd_zca_zclsd', xlen: 32, extensions: ['i', 'zilsd', 'zca', 'zclsd'], explicit: ['i', 'zilsd', 'zca', 'zclsd'] },
  { input: 'rv64i_zk', xlen: 64, extensions: ['i', 'zbkb', 'zbkc', 'zbkx', 'zknd', 'zkne', 'zknh', 'zkr', 'zkt'], explicit: ['i', 'zk'] },
];

test('valid ISA strings expand to the expected set', () => {
  for (const v of VALID) {
    const spec = parseIsaString(v.input);
    assert.equal(spec.xlen, v.xlen, v.input);
    assert.equal(spec.base, v.base ?? 'i', v.input);
    assert.deepEqual(new Set(spec.extensions), new Set(v.extensions), v.input);
    assert.deepEqual(spec.explicit, v.explicit, v.input);
  }
});

test('c on rv32 with f adds zcf; on rv64 with d adds zcd but never zcf', () => {
  assert.deepEqual(new Set(parseIsaString('rv32imafc_zicsr').extensions), new Set(['i', 'm', 'a', 'f', 'c', 'zicsr', 'zca', 'zcf']));
  assert.deepEqual(new Set(parseIsaString('rv32gc').extensions), new Set([...G, 'c', 'zca', 'zcf', 'zcd']));
  assert.deepEqual(new Set(parseIsaString('rv64gc').extensions), new Set([...G, 'c', 'zca', 'zcd']));
  assert.deepEqual(new Set(parseIsaString('rv64imac').extensions), new Set(['i', 'm', 'a', 'c', 'zca']));
});

const ERRORS: Array<{ input: string; kind: IsaError['kind']; token: string; position: number; message?: RegExp }> = [
  { input: 'rv64i_zcmop', kind: 'dependency', token: 'zcmop', position: 6, message: /^zcmop requires zca \(or c\)/ },
  { input: 'rv64i_zcb', kind: 'dependency', token: 'zcb', position: 6, message: /zcb requires zca \(or c\)/ },
  { input: 'rv64ic_zcd', kind: 'dependency', token: 'zcd', position: 7, message: /zcd requires d/ },
  { input: 'rv64i_zacas', kind: 'dependency', token: 'zacas', position: 6, message: /zaamo or a/ },
  { input: 'rv32imafc', kind: 'dependency', token: 'f', position: 7, message: /f requires zicsr/ },
  { input: 'rv64imav', kind: 'dependency', token: 'v', position: 7 },
  { input: 'rv64i_zfoo', kind: 'unknown', token: 'zfoo', position: 6 },
  { input: 'rv64iy', kind: 'unknown', token: 'y', position: 5 },
  { input: 'rv64i_xtheadba', kind: 'unknown', token: 'xtheadba', position: 6 },
  { input: 'rv64imafdcsu', kind: 'unknown', token: 'su', position: 10 },
  { input: 'rv64imafdc_zicsr_zicsr', kind: 'duplicate', token: 'zicsr', position: 17 },
  { input: 'rv64imm', kind: 'duplicate', token: 'm', position: 6 },
  { input: 'rv64gcm', kind: 'duplicate', token: 'm', position: 6 },
  { input: 'rv64gi', kind: 'duplicate', token: 'i', position: 5 },
  { input: 'rv64iam', kind: 'order', token: 'm', position: 6 },
  { input: 'rv64icm', kind: 'order', token: 'm', position: 6 },
  { input: 'rv64i_zicsr_m', kind: 'order', token: 'm', position: 12 },
  { input: 'rv64i_zicsr2p0_m2p0', kind: 'order', token: 'm2p0', position: 15 },
  { input: 'rv64', kind: 'base', token: '', position: 4 },
  { input: 'rv64mafd', kind: 'base', token: 'm', position: 4 },
  { input: 'rv128i', kind: 'base', token: '128', position: 2 },
  { input: 'rvi', kind: 'base', token: '', position: 2 },
  { input: 'imafd', kind: 'base', token: 'imaf', position: 0 },
  { input: '', kind: 'base', token: '', position: 0 },
  { input: 'rv64ig', kind: 'base', token: 'g', position: 5 },
  { input: 'rv64ima_zcf', kind: 'rv32-only', token: 'zcf', position: 8 },
  { input: 'rv64i_zilsd', kind: 'rv32-only', token: 'zilsd', position: 6 },
  { input: 'rv64i_zca_zclsd', kind: 'rv32-only', token: 'zclsd', position: 10 },
  { input: 'rv64i__m', kind: 'syntax', token: '_', position: 5 },
  { input: 'rv64i_', kind: 'syntax', token: '_', position: 5 },
  { input: 'rv64i-m', kind: 'syntax', token: '-', position: 5 },
  { input: 'rv64i_zic-sr', kind: 'syntax', token: '-', position: 9 },
];

test('every error kind carries the offending token and its position', () => {
  for (const e of ERRORS) {
    assert.throws(
      () => parseIsaString(e.input),
      (err: unknown) => {
        assert.ok(err instanceof IsaError, `${e.input}: not an IsaError`);
        assert.equal(err.kind, e.kind, `${e.input}: ${err.message}`);
        assert.equal(err.token, e.token, `${e.input} token`);
        assert.equal(err.position, e.position, `${e.input} position`);
        if (e.message) assert.match(err.message, e.message, e.input);
        assert.match(err.message, new RegExp(`position ${e.position}`));
        return true;
      },
      e.input,
    );
  }
});

test('the caret points at the token', () => {
  try {
    parseIsaString('rv64i_zcmop');
    assert.fail('no error');
  } catch (err) {
    assert.equal((err as IsaError).caret(), 'rv64i_zcmop\n      ^^^^^');
  }
});

test('device-tree forms', () => {
  const spec = parseDeviceTreeIsa('rv64i', ['i', 'm', 'a', 'c', 'zimop', 'zcmop']);
  assert.deepEqual(new Set(spec.extensions), new Set(['i', 'm', 'a', 'c', 'zca', 'zimop', 'zcmop']));
  assert.equal(spec.xlen, 64);
  // Order is free in a string list.
  assert.deepEqual(new Set(parseDeviceTreeIsa('rv64i', ['zcmop', 'zca', 'i']).extensions), new Set(['i', 'zca', 'zcmop']));

  const DT_ERRORS: Array<{ base: string; list: string[]; kind: IsaError['kind']; token: string; position: number }> = [
    { base: 'rv64i', list: ['i', 'zcmop'], kind: 'dependency', token: 'zcmop', position: 2 },
    { base: 'rv64i', list: ['i', 'm', 'Zicsr'], kind: 'unknown', token: 'Zicsr', position: 4 },
    { base: 'rv64i', list: ['i', 'g'], kind: 'unknown', token: 'g', position: 2 },
    { base: 'rv64i', list: ['i', 'm', 'm'], kind: 'duplicate', token: 'm', position: 4 },
    { base: 'rv64i', list: ['i', 'zcf'], kind: 'rv32-only', token: 'zcf', position: 2 },
    { base: 'rv64i', list: ['m', 'a'], kind: 'base', token: '', position: 3 },
    { base: 'rv64imac', list: ['i'], kind: 'base', token: 'rv64imac', position: 0 },
    { base: 'RV64I', list: ['i'], kind: 'base', token: 'RV64I', position: 0 },
    { base: 'rv64i', list: ['i', ''], kind: 'syntax', token: '', position: 2 },
  ];
  for (const e of DT_ERRORS) {
    assert.throws(
      () => parseDeviceTreeIsa(e.base, e.list),
      (err: unknown) => err instanceof IsaError && err.kind === e.kind && err.token === e.token && err.position === e.position,
      `${e.base} ${JSON.stringify(e.list)}`,
    );
  }
});

test('formatter: shortest canonical strings', () => {
  const CASES: Array<[string, string]> = [
    ['rv64imafdc_zicsr_zifencei_zimop_zcmop', 'rv64gc_zimop_zcmop'],
    ['rv64gc_zcmop', 'rv64gc_zcmop'],
    ['rv64i_zicsr_zifencei_zca', 'rv64i_zicsr_zifencei_zca'],
    ['rv64imafd_zicsr_zifencei_zca_zcd', 'rv64g_zca_zcd'],
    ['rv64i_zba_zbb_zbs', 'rv64ib'],
    ['rv64imac', 'rv64imac'],
    ['rv64imafd_zicsr', 'rv64imafd_zicsr'],
    ['RV64I2P1_M2P0', 'rv64im'],
    ['rv64i_zbkb_zbkc_zbkx_zknd_zkne_zknh_zkr_zkt', 'rv64i_zk'],
    ['rv32ec', 'rv32ec'],
  ];
  for (const [input, expected] of CASES) {
    assert.equal(formatIsaString(parseIsaString(input)), expected, input);
  }
  const spec = parseIsaString('rv64gc_zimop_zcmop');
  assert.equal(formatDeviceTreeBase(spec), 'rv64i');
  // Linux print order, fully expanded.
  assert.deepEqual(formatDeviceTreeExtensions(spec), ['i', 'm', 'a', 'f', 'd', 'c', 'zicsr', 'zifencei', 'zimop', 'zca', 'zcd', 'zcmop']);
});

test('DT extension list follows the reference cpuinfo order', () => {
  const order: string[] = reference('linux-isa-extensions.json')['v7.3-rc7'].cpuinfo_isa_order;
  const spec = parseIsaString('rv64gcb_zicond_zimop_zcmop_zcb_zacas_zawrs_zfa_svpbmt_sstc_zicbom_zicboz_zihintpause');
  const list = formatDeviceTreeExtensions(spec);
  assert.deepEqual(list, order.filter((n) => spec.extensions.has(n)));
});

// Deterministic pseudo-random generator, so failures reproduce.
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function sameSpec(a: IsaSpec, b: IsaSpec, what: string): void {
  assert.equal(a.xlen, b.xlen, what);
  assert.equal(a.base, b.base, what);
  assert.deepEqual([...a.extensions], [...b.extensions], what);
}

test('round trip: parse(format(x)) == x, as ISA string and as device tree, 600 random sets', () => {
  const rand = lcg(12345);
  const pool = CATALOGUE.filter((r) => r.name !== 'g'); // g can only be the base letter
  let checked = 0;
  for (let i = 0; i < 600; i++) {
    const xlen: 32 | 64 = rand() < 0.25 ? 32 : 64;
    const picks = new Set<string>(['i']);
    const n = 1 + Math.floor(rand() * 8);
    for (let k = 0; k < n; k++) picks.add(pool[Math.floor(rand() * pool.length)]!.name);
    // Satisfy requirements with their first alternative until stable.
    for (let changed = true; changed; ) {
      changed = false;
      for (const name of [...picks]) {
        for (const group of CATALOGUE.find((r) => r.name === name)!.requires) {
          if (!group.some((g) => picks.has(g))) {
            picks.add(group[0]!);
            changed = true;
          }
        }
      }
    }
    const list = [...picks];
    if (xlen === 64 && list.some((p) => CATALOGUE.find((r) => r.name === p)!.rv32Only)) continue;
    // Shorthands have no devicetree name of their own: write them through the ISA-string parser.
    const letters = CATALOGUE.filter((r) => r.singleLetter && picks.has(r.name) && r.name !== 'i').map((r) => r.name).join('');
    const multi = CATALOGUE.filter((r) => !r.singleLetter && picks.has(r.name)).map((r) => r.name);
    const written = `rv${xlen}i${letters}${multi.length ? '_' + multi.join('_') : ''}`;
    let spec: IsaSpec;
    try {
      spec = parseIsaString(written);
    } catch (err) {
      // Only a dependency pulled in through an implication may be unmet here (e.g. v -> zve64d -> d).
      assert.ok(err instanceof IsaError && err.kind === 'dependency', `${written}: ${(err as Error).message}`);
      continue;
    }
    const text = formatIsaString(spec);
    sameSpec(parseIsaString(text), spec, `${written} -> ${text}`);
    sameSpec(parseDeviceTreeIsa(formatDeviceTreeBase(spec), formatDeviceTreeExtensions(spec)), spec, `${written} as DT`);
    assert.ok(text.length <= written.length, `${text} is longer than ${written}`);
    checked++;
  }
  assert.ok(checked > 300, `only ${checked} random sets were valid`);
});
