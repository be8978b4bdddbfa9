// The page's ISA toggles and device-tree text, checked in Node against shared/reference and dtc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CATALOGUE, IMPLEMENTED_EXTENSIONS, splitImplemented } from '../../src/isa/index.js';
import { ISA_GROUPS, isaToggles, isaWrites, disableRuleText } from '../../web/src/isa-panel.js';
import { dtbToDts, formatPropertyValue } from '../../web/src/dts.js';
import { DeviceTree } from '../../src/vmm/fdt.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
interface KvmRuleRow { kvm_id: number; kvm_name: string; enable: string; disable: string }
const rules = JSON.parse(readFileSync(resolve(root, '../shared/reference/kvm-isa-ext-rules.json'), 'utf8')) as
  Record<string, { table: KvmRuleRow[] }>;
const newest = rules['v7.3-rc7']!.table;

test('one toggle per implemented extension, each in exactly one known group', () => {
  const toggles = isaToggles();
  const host = splitImplemented(IMPLEMENTED_EXTENSIONS).implemented; // the default host: Zvfh only with Zfhmin
  const withRegister = CATALOGUE.filter((r) => !r.shorthand && host.has(r.name) && r.kvm !== null && r.guarantee === null);
  assert.deepEqual(toggles.map((t) => t.name).sort(), withRegister.map((r) => r.name).sort());
  assert.ok(toggles.some((t) => t.name === 'v') && !toggles.some((t) => t.name === 'zve64d' || t.name === 'svade'));
  const groupIds = new Set(ISA_GROUPS.map((g) => g.id));
  for (const t of toggles) assert.ok(groupIds.has(t.group), `${t.name} in unknown group ${t.group}`);
  // Group lists name only implemented extensions, each once (a stale or doubled name would be a page bug).
  const listed = ISA_GROUPS.flatMap((g) => g.names);
  assert.equal(new Set(listed).size, listed.length);
  for (const n of listed) assert.ok(IMPLEMENTED_EXTENSIONS.has(n), `group lists '${n}', which the hart does not implement`);
  // Zcmop and Zimop are shown together as the MOPs.
  assert.deepEqual(toggles.filter((t) => t.group === 'mops').map((t) => t.name).sort(), ['zcmop', 'zimop']);
  assert.deepEqual(toggles.filter((t) => t.group === 'virtualization').map((t) => t.name), ['h']);
});

test('every toggle states KVM v7.3-rc7\'s disable rule and id (all rows of the reference table)', () => {
  for (const t of isaToggles()) {
    const row = newest.find((r) => r.kvm_name === `KVM_RISCV_ISA_EXT_${t.name.toUpperCase()}`);
    assert.ok(row, `${t.name}: no KVM_RISCV_ISA_EXT row in the reference`);
    assert.equal(t.kvmId, row.kvm_id, t.name);
    // H: never enable-allowed; the page says so and names rvkvm's nested opt-in instead of the disable rule
    assert.equal(t.nestedOptIn, row.enable === 'false', t.name);
    if (t.nestedOptIn) { assert.match(t.ruleText, /never enabled under KVM rules; on = rvkvm's nested opt-in/, t.name); continue; }
    const expected = row.disable === 'false' ? 'cannot be disabled under KVM rules'
      : row.disable === 'true' ? 'may be disabled under KVM rules' : null;
    if (expected) assert.equal(t.ruleText, expected, t.name);
    else assert.match(t.ruleText, /^may be disabled under KVM rules only if the host has /, t.name);
    assert.equal(t.kvmMayDisable, row.disable === 'true', t.name);
  }
  assert.equal(disableRuleText(null), 'no KVM ISA_EXT register: fixed for the vCPU');
});

test('toggles become exactly the Machine\'s enable/disable lists', () => {
  const defaults = new Set(['i', 'm', 'a', 'c', 'zca', 'zimop', 'zcmop']);
  const cases: { wanted: [string, boolean][]; enable: string[]; disable: string[] }[] = [
    { wanted: [['i', true], ['zcmop', true]], enable: [], disable: [] },
    { wanted: [['zcmop', false]], enable: [], disable: ['zcmop'] },
    { wanted: [['zimop', false], ['zcmop', false], ['m', true]], enable: [], disable: ['zimop', 'zcmop'] },
    { wanted: [['zbb', true], ['zcmop', false]], enable: ['zbb'], disable: ['zcmop'] },
    { wanted: [['zbb', false]], enable: [], disable: [] },
  ];
  for (const c of cases) {
    assert.deepEqual(isaWrites(defaults, new Map(c.wanted)), { enable: c.enable, disable: c.disable }, JSON.stringify(c.wanted));
  }
});

test('property values print as strings, cells or bytes', () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  const cases: [Uint8Array, string][] = [
    [enc('ns16550a\0'), '"ns16550a"'],
    [enc('sifive,plic-1.0.0\0riscv,plic0\0'), '"sifive,plic-1.0.0", "riscv,plic0"'],
    [new Uint8Array([0x00, 0x38, 0x40, 0x00]), '<0x384000>'],
    [new Uint8Array([0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]), '<0x1 0xffffffff>'],
    [new Uint8Array([1, 2, 0xab]), '[01 02 ab]'],
    [enc('a"b\\\0'), '"a\\"b\\\\"'],
    [enc('x\0\0'), '[78 00 00]'],
  ];
  for (const [v, text] of cases) assert.equal(formatPropertyValue(v), text);
});

test('dtbToDts text compiles with dtc back to the same tree', { skip: spawnSync('dtc', ['--version']).status === 0 ? false : 'dtc not installed' }, () => {
  const dt = new DeviceTree();
  dt.addMemReserve(0x8000_0000, 0x1000);
  const cpus = dt.root.u32('#address-cells', 2).string('model', 'rvkvm').addChild('cpus');
  cpus.u32('timebase-frequency', 10_000_000).addChild('cpu@0').strings('riscv,isa-extensions', ['i', 'zcmop']).empty('interrupt-controller');
  dt.root.addChild('chosen').string('bootargs', 'console=ttyS0').u64('linux,initrd-start', 0x9f316000).bytes('odd', new Uint8Array([1, 2, 3]));
  const blob = dt.toBlob();
  const dir = mkdtempSync(join(tmpdir(), 'rvkvm-dts-'));
  try {
    writeFileSync(join(dir, 'a.dtb'), blob);
    const mine = dtbToDts(blob);
    // Round trip through dtc: compiling our text must give the very same blob.
    writeFileSync(join(dir, 'a.dts'), mine);
    const r = spawnSync('dtc', ['-I', 'dts', '-O', 'dtb', '-o', join(dir, 'b.dtb'), join(dir, 'a.dts')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(dir, 'b.dtb')));
    const theirs = dtbToDts(new Uint8Array(readFileSync(join(dir, 'b.dtb'))));
    assert.equal(theirs, mine);
    assert.match(mine, /\/memreserve\/ 0x80000000 0x1000;/);
    assert.match(mine, /riscv,isa-extensions = "i", "zcmop";/);
    assert.match(mine, /linux,initrd-start = <0x0 0x9f316000>;/);
    assert.match(mine, /\t\t\tinterrupt-controller;/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
