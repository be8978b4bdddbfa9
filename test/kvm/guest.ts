// Loads the S-mode guest programs of test/guest/kvm (built by `make -C test/guest`) into a VM and runs them.
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseElf } from '../../src/vmm/elf.js';
import { KvmHost, type KvmHostOptions, type VmOptions, type Vm, type Vcpu, type VcpuExit, type SbiExit, type MmioExit } from '../../src/kvm/index.js';
import { ID, RAM_BASE } from './helpers.js';

const BUILD = new URL('../../../build/guest/kvm/', import.meta.url);

export interface Guest { host: KvmHost; vm: Vm; vcpus: Vcpu[]; results: (i: number) => bigint; symbol: (name: string) => number }

export function loadGuest(name: string, opts: { vm?: VmOptions; host?: KvmHostOptions; vcpus?: number; setup?: (vcpu: Vcpu) => void } = {}): Guest {
  const file = fileURLToPath(new URL(`${name}.elf`, BUILD));
  assert.ok(existsSync(file), `${file} is missing: run make -C test/guest`);
  const elf = parseElf(new Uint8Array(readFileSync(file)), file);
  const host = new KvmHost(opts.host ?? {});
  const vm = host.createVm(opts.vm ?? {});
  const ram = vm.setUserMemoryRegion({ slot: 0, guestPhysAddr: RAM_BASE, memorySize: 4 << 20 });
  for (const seg of elf.segments) ram.set(seg.data, Number(seg.paddr) - RAM_BASE);
  const symbol = (n: string): number => {
    const s = elf.symbols.get(n);
    assert.ok(s, `${name}.elf has no symbol ${n}`);
    return Number(s.value);
  };
  const vcpus: Vcpu[] = [];
  for (let i = 0; i < (opts.vcpus ?? 1); i++) {
    const v = vm.createVcpu(i);
    opts.setup?.(v);
    vcpus.push(v);
  }
  vcpus[0]!.setOneReg(ID.core(0), BigInt(symbol('kvm_start')));
  const resultsAt = symbol('results');
  const results = (i: number): bigint => {
    const b = vm.ram(resultsAt + 8 * i, 8);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  };
  return { host, vm, vcpus, results, symbol };
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * The VMM side: runs every vCPU until a system event, answering forwarded SBI calls and MMIO with the
 * callbacks and sleeping while all vCPUs are idle (as a VMM would). Returns the exits it saw.
 */
export function runToSystemEvent(g: Guest, handlers: { sbi?: (e: SbiExit) => void; mmio?: (e: MmioExit) => void } = {}, limitMs = 5000): VcpuExit[] {
  const seen: VcpuExit[] = [];
  const start = performance.now();
  for (;;) {
    assert.ok(performance.now() - start < limitMs, `guest did not finish in ${limitMs} ms; exits: ${seen.map((e) => e.reason).join(',')}`);
    const { exit } = g.vm.runAll({ sliceInstructions: 20_000, maxInstructions: 2_000_000 });
    if (exit.reason !== 'intr' || exit.idle) seen.push(exit);
    switch (exit.reason) {
      case 'system_event': return seen;
      case 'riscv_sbi': assert.ok(handlers.sbi, `unexpected SBI forward ${exit.sbi.extensionId.toString(16)}`); handlers.sbi(exit); break;
      case 'mmio': assert.ok(handlers.mmio, `unexpected MMIO at ${exit.mmio.physAddr.toString(16)}`); handlers.mmio(exit); break;
      case 'internal_error': assert.fail(`internal error: trap cause ${exit.trap.cause} at 0x${exit.trap.pc.toString(16)}`); break;
      case 'intr':
        if (exit.idle) {
          assert.ok(exit.idle.reason === 'wfi', 'every vCPU stopped without a system event');
          if (exit.idle.sleepNs !== null) Atomics.wait(sleeper, 0, 0, Math.max(1, exit.idle.sleepNs / 1e6));
          else assert.fail('all vCPUs wait in WFI with no timer armed: nothing can wake them');
        }
        break;
    }
  }
}

export const toSigned = (v: bigint): bigint => BigInt.asIntN(64, v);
