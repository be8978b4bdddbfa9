import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDeviceTree, MachineDescription, plicContextForHart, uartNodePath } from '../../src/vmm/devicetree.js';
import { parseFdt } from '../../src/vmm/fdt.js';
import { VmmError } from '../../src/vmm/errors.js';
import { dtcCompile, dtcDecompile, withTempDir } from './helpers.js';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const EXTS = ['i', 'm', 'a', 'f', 'd', 'c', 'zicsr', 'zifencei', 'zimop', 'zca', 'zcd', 'zcmop'];
const ISA = 'rv64imafdc_zicsr_zifencei_zimop_zca_zcd_zcmop';

const machine: MachineDescription = {
  harts: [0, 1].map((hartId) => ({ hartId, isaBase: 'rv64i' as const, isaExtensions: EXTS, isaString: ISA,
    mmuType: 'riscv,sv48' as const, cbomBlockSize: 64, cbozBlockSize: 64 })),
  timebaseHz: 10_000_000,
  memory: { base: 0x80000000, size: 0x20000000 },
  bootargs: 'console=ttyS0 earlycon',
  initrd: { start: 0x88000000, end: 0x88123456 },
  plic: { base: 0x0c000000, size: 0x4000000, ndev: 31 },
  uart: { base: 0x10000000, irq: 10, clockHz: 3686400 },
  virtio: [{ base: 0x10001000, size: 0x1000, irq: 1 }, { base: 0x10002000, size: 0x1000, irq: 2 }],
  rngSeed: new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
};

// Written by hand from the device tree bindings (riscv/cpus.yaml, sifive,plic-1.0.0.yaml, 8250.yaml,
// virtio/mmio.yaml) and kvmtool's layout; dtc compiles it, and our output must decompile identically.
const EXPECTED_DTS = `/dts-v1/;
/ {
  #address-cells = <2>; #size-cells = <2>; compatible = "linux,dummy-virt"; model = "rvkvm";
  chosen {
    bootargs = "console=ttyS0 earlycon"; stdout-path = "/soc/serial@10000000";
    linux,initrd-start = <0x0 0x88000000>; linux,initrd-end = <0x0 0x88123456>; rng-seed = [de ad be ef];
  };
  memory@80000000 { device_type = "memory"; reg = <0x0 0x80000000 0x0 0x20000000>; };
  cpus {
    #address-cells = <1>; #size-cells = <0>; timebase-frequency = <10000000>;
    cpu@0 {
      device_type = "cpu"; reg = <0>; status = "okay"; compatible = "riscv";
      riscv,isa = "${ISA}"; riscv,isa-base = "rv64i";
      riscv,isa-extensions = ${EXTS.map((e) => `"${e}"`).join(', ')};
      mmu-type = "riscv,sv48"; riscv,cbom-block-size = <64>; riscv,cboz-block-size = <64>;
      interrupt-controller { #address-cells = <0>; #interrupt-cells = <1>; interrupt-controller; compatible = "riscv,cpu-intc"; phandle = <1>; };
    };
    cpu@1 {
      device_type = "cpu"; reg = <1>; status = "okay"; compatible = "riscv";
      riscv,isa = "${ISA}"; riscv,isa-base = "rv64i";
      riscv,isa-extensions = ${EXTS.map((e) => `"${e}"`).join(', ')};
      mmu-type = "riscv,sv48"; riscv,cbom-block-size = <64>; riscv,cboz-block-size = <64>;
      interrupt-controller { #address-cells = <0>; #interrupt-cells = <1>; interrupt-controller; compatible = "riscv,cpu-intc"; phandle = <2>; };
    };
  };
  soc {
    #address-cells = <2>; #size-cells = <2>; compatible = "simple-bus"; ranges;
    plic@c000000 {
      compatible = "sifive,plic-1.0.0", "riscv,plic0"; #address-cells = <0>; #interrupt-cells = <1>;
      interrupt-controller; reg = <0x0 0xc000000 0x0 0x4000000>; riscv,ndev = <31>;
      interrupts-extended = <1 9 2 9>; phandle = <3>;
    };
    serial@10000000 {
      compatible = "ns16550a"; reg = <0x0 0x10000000 0x0 0x100>; clock-frequency = <3686400>;
      interrupts = <10>; interrupt-parent = <3>;
    };
    virtio_mmio@10001000 { compatible = "virtio,mmio"; reg = <0x0 0x10001000 0x0 0x1000>; dma-coherent; interrupts = <1>; interrupt-parent = <3>; };
    virtio_mmio@10002000 { compatible = "virtio,mmio"; reg = <0x0 0x10002000 0x0 0x1000>; dma-coherent; interrupts = <2>; interrupt-parent = <3>; };
  };
};
`;

test('devicetree: the guest DTB decompiles exactly like the hand-written expected tree', () => {
  assert.equal(dtcDecompile(buildDeviceTree(machine)), dtcDecompile(dtcCompile(EXPECTED_DTS)));
});

test('devicetree: dtc finds nothing to warn about', () => {
  withTempDir((dir) => {
    writeFileSync(join(dir, 'g.dtb'), buildDeviceTree(machine));
    const r = spawnSync('dtc', ['-I', 'dtb', '-O', 'dts', '-o', '/dev/null', join(dir, 'g.dtb')], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.equal(r.stderr, '');
  });
});

test('devicetree: PLIC contexts are one S-mode external interrupt per hart, in hart order', () => {
  const { tree } = parseFdt(buildDeviceTree(machine));
  const plic = tree.root.find('/soc/plic@c000000')!;
  const cells = plic.getU32s('interrupts-extended');
  machine.harts.forEach((h, i) => {
    const intc = tree.root.find(`/cpus/cpu@${h.hartId}/interrupt-controller`)!;
    const ctx = plicContextForHart(i);
    assert.equal(cells[ctx * 2], intc.getU32('phandle'));
    assert.equal(cells[ctx * 2 + 1], 9);
  });
  assert.equal(tree.root.find('/chosen')!.getString('stdout-path'), uartNodePath(machine));
  assert.ok(tree.root.find(uartNodePath(machine)));
});

test('devicetree: optional parts are left out when not given', () => {
  const { tree } = parseFdt(buildDeviceTree({ ...machine, initrd: undefined, rngSeed: undefined, virtio: [],
    harts: [{ ...machine.harts[0], cbomBlockSize: undefined, cbozBlockSize: undefined }] }));
  const chosen = tree.root.find('/chosen')!;
  assert.equal(chosen.prop('linux,initrd-start'), undefined);
  assert.equal(chosen.prop('rng-seed'), undefined);
  assert.equal(tree.root.find('/cpus/cpu@0')!.prop('riscv,cbom-block-size'), undefined);
  assert.equal(tree.root.find('/soc')!.children.length, 2);
});

test('devicetree: bad machine descriptions are rejected with the reason', () => {
  const cases: [Partial<MachineDescription>, RegExp][] = [
    [{ harts: [] }, /no harts/],
    [{ harts: [machine.harts[0], machine.harts[0]] }, /hart id 0 appears twice/],
    [{ uart: { ...machine.uart, irq: 32 } }, /irq 32 outside PLIC sources 1..31/],
    [{ virtio: [{ base: 0x10001000, size: 0x1000, irq: 10 }] }, /share an irq/],
    [{ initrd: { start: 2, end: 1 } }, /initrd/],
    [{ harts: [{ ...machine.harts[0], isaString: 'rv32i' }] }, /does not start with rv64/],
  ];
  for (const [patch, re] of cases) {
    assert.throws(() => buildDeviceTree({ ...machine, ...patch }), (e: unknown) => e instanceof VmmError && re.test(e.message));
  }
});
