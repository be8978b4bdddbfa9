// Smoke test with the real guest: Debian's Linux 6.12 kernel on two vCPUs of the KVM layer, console over SBI
// DBCN (forwarded to this "VMM"), secondary CPU brought up with SBI HSM. Stops once both CPUs are up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { KvmHost, SbiEid, type KvmAbi } from '../../src/kvm/index.js';
import { formatDeviceTreeExtensions } from '../../src/isa/index.js';
import { ID } from './helpers.js';
import { cells, empty, str, writeFdt, type DtNode } from './fdt-writer.js';

const IMAGE = new URL('../../../../shared/guest/linux-6.12.107-riscv64.Image', import.meta.url);
const RAM = 0x8000_0000, RAM_SIZE = 256 << 20, KERNEL = RAM + 0x20_0000, DTB = RAM + RAM_SIZE - 0x10_0000;

// 7.3: all the way to SMP bring-up; 6.12: only to the early SBI probing (keeps the suite fast)
const CASES: [KvmAbi, string][] = [['7.3', 'smp: Brought up 1 node, 2 CPUs'], ['6.12', 'riscv-timer: Timer interrupt in S-mode']];
for (const [abi, until] of CASES) {
  test(`Linux 6.12 boots on 2 vCPUs until "${until}" (KVM ABI ${abi})`, { skip: !existsSync(IMAGE) && 'guest kernel missing', timeout: 120_000 }, () => {
    const vm = new KvmHost().createVm({ abi });
    const ram = vm.setUserMemoryRegion({ slot: 0, guestPhysAddr: RAM, memorySize: RAM_SIZE });
    ram.set(readFileSync(IMAGE), KERNEL - RAM);
    const vcpus = [vm.createVcpu(0), vm.createVcpu(1)];
    for (const v of vcpus) v.setOneReg(ID.sbi(9), 1n); // DBCN for earlycon=sbi / hvc0
    const isa = formatDeviceTreeExtensions({ extensions: vcpus[0]!.hartIsa() });
    const cpu = (i: number): DtNode => ({ name: `cpu@${i}`, props: [
      ['device_type', str('cpu')], ['reg', cells(i)], ['compatible', str('riscv')], ['status', str('okay')],
      ['mmu-type', str('riscv,sv57')], ['riscv,isa-base', str('rv64i')], ['riscv,isa-extensions', str(...isa)],
      ['riscv,cbom-block-size', cells(64)], ['riscv,cboz-block-size', cells(64)]],
      children: [{ name: 'interrupt-controller', props: [['#interrupt-cells', cells(1)], ['interrupt-controller', empty()], ['compatible', str('riscv,cpu-intc')]], children: [] }] });
    const dtb = writeFdt({ name: '', props: [['#address-cells', cells(2)], ['#size-cells', cells(2)], ['compatible', str('riscv-virtio')], ['model', str('rvkvm-kvm-test')]], children: [
      { name: 'chosen', props: [['bootargs', str('earlycon=sbi console=hvc0 panic=-1')]], children: [] },
      { name: 'cpus', props: [['#address-cells', cells(1)], ['#size-cells', cells(0)], ['timebase-frequency', cells(10_000_000)]], children: [cpu(0), cpu(1)] },
      { name: 'memory@80000000', props: [['device_type', str('memory')], ['reg', cells(0, RAM, 0, RAM_SIZE)]], children: [] },
    ] });
    ram.set(dtb, DTB - RAM);
    vcpus[0]!.setOneReg(ID.core(0), BigInt(KERNEL));
    vcpus[0]!.setOneReg(ID.core(10), 0n);
    vcpus[0]!.setOneReg(ID.core(11), BigInt(DTB));
    let console = '';
    const start = performance.now();
    while (!console.includes(until)) {
      assert.ok(performance.now() - start < 100_000, `boot did not get there in time; console tail:\n${console.slice(-2000)}`);
      const { exit } = vm.runAll({ maxInstructions: 2_000_000 });
      if (exit.reason === 'riscv_sbi' && exit.sbi.extensionId === BigInt(SbiEid.DBCN)) {
        const s = exit.sbi;
        if (s.functionId === 0n) { console += new TextDecoder().decode(vm.ram(Number(s.args[1]), Number(s.args[0]))); s.ret = [0n, s.args[0]!]; }
        else if (s.functionId === 2n) { console += String.fromCharCode(Number(s.args[0])); s.ret = [0n, 0n]; }
      } else if (exit.reason === 'intr') {
        assert.ok(!(exit.idle && exit.idle.sleepNs === null && exit.idle.reason === 'stopped'), 'all vCPUs stopped');
      } else {
        assert.fail(`unexpected exit ${exit.reason}; console tail:\n${console.slice(-2000)}`);
      }
    }
    const spec = abi === '7.3' ? 'v3.0' : 'v2.0';
    assert.match(console, new RegExp(`SBI specification ${spec.replace('.', '\\.')} detected`));
    assert.match(console, /SBI implementation ID=0x3 /);
    assert.match(console, /SBI HSM extension detected/);
    assert.match(console, /riscv-timer: Timer interrupt in S-mode is available via sstc extension/);
    if (until.startsWith('smp')) assert.equal(vcpus[1]!.powerState, 'on', 'vCPU 1 was started with HSM');
  });
}
