import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceTree, parseFdt, FdtNode } from '../../src/vmm/fdt.js';
import { VmmError } from '../../src/vmm/errors.js';
import { dtcCompile, dtcDecompile, hasTool, run, withTempDir } from './helpers.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// The same tree twice: once through our builder, once as DTS source for dtc (the reference writer).
function buildSample(): DeviceTree {
  const dt = new DeviceTree();
  dt.addMemReserve(0x80000000, 0x1000);
  dt.addMemReserve(0x1_2345_6000n, 0x2000);
  const root = dt.root;
  root.u32('#address-cells', 2).u32('#size-cells', 2).string('compatible', 'test,board');
  const intc = root.addChild('intc');
  intc.empty('interrupt-controller').u32('#interrupt-cells', 1);
  const ph = dt.phandle(intc);
  const dev = root.addChild('dev@10000000');
  dev.strings('compatible', ['vendor,a', 'vendor,b']).u64('reg', 0x10000000, 0x100).u32('interrupts', 10);
  dev.u32('interrupt-parent', ph).bytes('blob', new Uint8Array([1, 2, 3])).u32('cells', 1, 0xffffffff, 0);
  dev.addChild('child').string('compatible', 'vendor,a');
  root.addChild('empty');
  return dt;
}

const SAMPLE_DTS = `/dts-v1/;
/memreserve/ 0x80000000 0x1000;
/memreserve/ 0x123456000 0x2000;
/ {
  #address-cells = <2>; #size-cells = <2>; compatible = "test,board";
  intc { interrupt-controller; #interrupt-cells = <1>; phandle = <1>; };
  dev@10000000 {
    compatible = "vendor,a", "vendor,b"; reg = <0x0 0x10000000 0x0 0x100>; interrupts = <10>;
    interrupt-parent = <1>; blob = [01 02 03]; cells = <1 0xffffffff 0>;
    child { compatible = "vendor,a"; };
  };
  empty { };
};
`;

test('fdt: dtc decompiles our blob to the same source as its own compilation of the same tree', () => {
  const ours = buildSample().toBlob();
  assert.equal(dtcDecompile(ours), dtcDecompile(dtcCompile(SAMPLE_DTS)));
});

test('fdt: header is version 17, sizes and offsets are consistent, strings are deduplicated', () => {
  const blob = buildSample().toBlob();
  const v = new DataView(blob.buffer);
  const h = (i: number) => v.getUint32(i * 4);
  assert.equal(h(0), 0xd00dfeed);
  assert.equal(h(1), blob.length);
  assert.equal(h(5), 17);
  assert.equal(h(6), 16);
  assert.equal(h(4) % 8, 0, 'memory reservation map 8-byte aligned');
  assert.equal(h(2) % 4, 0, 'structure block 4-byte aligned');
  assert.equal(h(2) + h(9), h(3), 'strings follow the structure block');
  assert.equal(h(3) + h(8), blob.length);
  // unique property names, each once with its NUL
  const names = ['#address-cells', '#size-cells', 'compatible', 'interrupt-controller', '#interrupt-cells', 'phandle',
    'reg', 'interrupts', 'interrupt-parent', 'blob', 'cells'];
  assert.equal(h(8), names.reduce((n, s) => n + s.length + 1, 0));
  // 2 entries + terminator
  assert.equal(h(2) - h(4), 3 * 16);
});

function sameTree(a: FdtNode, b: FdtNode, path = '/'): void {
  assert.deepEqual(a.props.map((p) => [p.name, Array.from(p.value)]), b.props.map((p) => [p.name, Array.from(p.value)]), path);
  assert.deepEqual(a.children.map((c) => c.name), b.children.map((c) => c.name), path);
  a.children.forEach((c, i) => sameTree(c, b.children[i], path + c.name + '/'));
}

test('fdt: the reader parses our blob and dtc\'s blob back to the built tree', () => {
  const built = buildSample();
  for (const blob of [built.toBlob(), dtcCompile(SAMPLE_DTS)]) {
    const { tree, version } = parseFdt(blob);
    assert.equal(version, 17);
    sameTree(tree.root, built.root);
    assert.deepEqual(tree.memReserve, [{ address: 0x80000000n, size: 0x1000n }, { address: 0x123456000n, size: 0x2000n }]);
    const dev = tree.root.find('/dev@10000000')!;
    assert.deepEqual(dev.getStrings('compatible'), ['vendor,a', 'vendor,b']);
    assert.deepEqual(dev.getU32s('cells'), [1, 0xffffffff, 0]);
    assert.equal(tree.root.find('/dev@10000000/child')!.getString('compatible'), 'vendor,a');
  }
});

test('fdt: builder rejects bad names and values', () => {
  const dt = new DeviceTree();
  assert.throws(() => dt.root.addChild('a/b'), VmmError);
  dt.root.addChild('x');
  assert.throws(() => dt.root.addChild('x'), /already exists/);
  assert.throws(() => dt.root.u32('p', 2 ** 32), /not a u32/);
  assert.throws(() => dt.root.u32('p', -1), /not a u32/);
  assert.throws(() => dt.root.u64('p', -1n), /not a u64/);
  assert.throws(() => dt.root.string('p', 'a\0b'), /NUL/);
});

// Corruptions of a valid blob, each with the message and offset the reader must report.
function corrupt(edit: (b: Uint8Array, v: DataView) => Uint8Array | void): Uint8Array {
  const b = buildSample().toBlob();
  return edit(b, new DataView(b.buffer)) ?? b;
}
const off = (b: Uint8Array, i: number) => new DataView(b.buffer, b.byteOffset).getUint32(i * 4);

test('fdt: malformed blobs give clear errors with offsets', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(0), /truncated header \(0 bytes.*offset 0x0/],
    ['bad magic', corrupt((b) => { b[0] = 0xde; }), /bad magic 0xde0dfeed.*offset 0x0/],
    ['truncated', corrupt((b) => b.slice(0, b.length - 10)), /exceeds the \d+ bytes given \(truncated\) at offset 0x4/],
    ['struct offset out of range', corrupt((b, v) => { v.setUint32(8, 0x100000); }), /structure block .* outside totalsize.*offset 0x8/],
    ['strings size out of range', corrupt((b, v) => { v.setUint32(32, 0x100000); }), /strings block .* outside totalsize.*offset 0xc/],
    ['old version', corrupt((b, v) => { v.setUint32(20, 15); }), /version 15 not supported/],
    ['unterminated string', corrupt((b, v) => { b[b.length - 1] = 0x41; }), /unterminated string in the strings block at offset 0x/],
    ['name offset past strings', corrupt((b, v) => { v.setUint32(off(b, 2) + 8 + 8, 0x7fff); }), /property name offset 32767 outside the strings block/],
    ['unknown token', corrupt((b, v) => { v.setUint32(off(b, 2), 7); }), /unknown token 0x7 at offset 0x/],
    ['no FDT_END', corrupt((b, v) => { v.setUint32(off(b, 2) + off(b, 9) - 4, 4); }), /ends without FDT_END/],
    ['unterminated node name', corrupt((b, v) => {
      const s = off(b, 2);
      const end = s + off(b, 9);
      for (let i = s + 4; i < end; i++) b[i] = 0x61; // the root name runs to the end of the block
    }), /unterminated node name at offset 0x/],
  ];
  for (const [what, blob, re] of cases) {
    assert.throws(() => parseFdt(blob), (e: unknown) => e instanceof VmmError && re.test(e.message), what);
  }
});

/** A blob from raw structure-block words (big-endian u32s; strings given as such, NUL-padded to 4) and strings. */
function rawBlob(struct: (number | string)[], strings: string, patch?: (v: DataView) => void): Uint8Array {
  const words: number[] = [];
  for (const t of struct) {
    if (typeof t === 'number') { words.push(t); continue; }
    const bytes = new TextEncoder().encode(t + '\0');
    const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
    padded.set(bytes);
    for (let i = 0; i < padded.length; i += 4) words.push(new DataView(padded.buffer).getUint32(i));
  }
  const str = new TextEncoder().encode(strings);
  const structOff = 40 + 16, stringsOff = structOff + words.length * 4, total = stringsOff + str.length;
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  [0xd00dfeed, total, structOff, stringsOff, 40, 17, 16, 0, str.length, words.length * 4].forEach((x, i) => v.setUint32(i * 4, x));
  words.forEach((w, i) => v.setUint32(structOff + 4 * i, w));
  b.set(str, stringsOff);
  patch?.(v);
  return b;
}
const BEGIN = 1, END_NODE = 2, PROP = 3, END = 9;

test('fdt: nesting, names and header block placement are checked, with offsets', () => {
  const ok = rawBlob([BEGIN, '', PROP, 4, 0, 7, BEGIN, 'a', END_NODE, END_NODE, END], 'p\0');
  assert.equal(parseFdt(ok).tree.root.child('a')?.name, 'a');
  const deep = (n: number) => rawBlob([...Array.from({ length: n }, (_, i) => [BEGIN, i === 0 ? '' : 'n']).flat(), ...Array(n).fill(END_NODE), END], '');
  assert.doesNotThrow(() => parseFdt(deep(64)));
  const cases: [string, Uint8Array, RegExp][] = [
    ['too deep', deep(65), /nodes nested deeper than 64 at offset 0x/],
    ['unnamed child', rawBlob([BEGIN, '', BEGIN, '', END_NODE, END_NODE, END], ''), /node without a name at offset 0x40/],
    ['slash in a name', rawBlob([BEGIN, '', BEGIN, 'a/b', END_NODE, END_NODE, END], ''), /node name 'a\/b' contains '\/' at offset 0x40/],
    ['empty property name', rawBlob([BEGIN, '', PROP, 0, 0, END_NODE, END], '\0'), /property with an empty name at offset 0x40/],
    ['unclosed node', rawBlob([BEGIN, '', END], ''), /FDT_END with 1 node\(s\) still open at offset 0x40/],
    ['END_NODE outside', rawBlob([END_NODE, END], ''), /FDT_END_NODE without a node at offset 0x38/],
    ['property outside', rawBlob([PROP, 0, 0, END], 'p\0'), /property outside any node at offset 0x38/],
    ['value past the block', rawBlob([BEGIN, '', PROP, 100, 0, END_NODE, END], 'p\0'), /property value of 100 bytes runs past the structure block at offset 0x40/],
    ['second root', rawBlob([BEGIN, '', END_NODE, BEGIN, '', END_NODE, END], ''), /second root node at offset 0x44/],
    ['struct inside the header', rawBlob([BEGIN, '', END_NODE, END], '', (v) => v.setUint32(8, 8)), /structure block offset 0x8 inside the header at offset 0x8/],
    ['strings inside the header', rawBlob([BEGIN, '', END_NODE, END], '', (v) => v.setUint32(12, 0)), /strings block offset 0x0 inside the header at offset 0xc/],
    ['last_comp newer than version', rawBlob([BEGIN, '', END_NODE, END], '', (v) => { v.setUint32(20, 16); v.setUint32(24, 17); }), /last_comp_version 17 is newer than the version 16 at offset 0x18/],
    ['no reservation terminator', rawBlob([BEGIN, '', END_NODE, END], '', (v) => v.setUint32(16, v.getUint32(4) - 8)), /memory reservation map runs past the end/],
  ];
  for (const [what, blob, re] of cases) {
    assert.throws(() => parseFdt(blob), (e: unknown) => e instanceof VmmError && re.test(e.message), `${what}`);
  }
});

test('fdt: reader reports the exact offset of a bad token', () => {
  const b = buildSample().toBlob();
  const at = off(b, 2);
  new DataView(b.buffer).setUint32(at, 0x55);
  assert.throws(() => parseFdt(b), new RegExp(`unknown token 0x55 at offset 0x${at.toString(16)}$`));
});

test('fdt: QEMU virt\'s own device tree parses and re-serialises to the same source', { skip: hasTool('qemu-system-riscv64') ? false : 'qemu-system-riscv64 not installed' }, () => {
  const qemuDtb = withTempDir((dir) => {
    const f = join(dir, 'virt.dtb');
    run('qemu-system-riscv64', ['-M', `virt,dumpdtb=${f}`, '-smp', '2', '-m', '256M', '-nographic']);
    return new Uint8Array(readFileSync(f));
  });
  const { tree } = parseFdt(qemuDtb);
  assert.ok(tree.root.find('/soc')!.children.some((c) => c.name.startsWith('plic@')));
  assert.equal(dtcDecompile(tree.toBlob()), dtcDecompile(qemuDtb));
});
