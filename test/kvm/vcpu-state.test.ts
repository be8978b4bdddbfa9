// vCPU state for snapshots: every field of the software hart is either saved or named as not state (so a field
// added later cannot be forgotten), and a vCPU restored into a fresh VM equals the saved one in every register
// KVM_GET_REG_LIST lists and in every saved field, H and V state included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HART_NOT_STATE, HART_STATE_FIELDS } from '../../src/hart/index.js';
import { KvmHost, type StateObject } from '../../src/kvm/index.js';
import { encodeState } from '../../src/vmm/snapshot/value.js';
import { ID, RAM_BASE, RAM_SIZE } from './helpers.js';

function nestedVm(): { vm: ReturnType<KvmHost['createVm']>; vcpu: ReturnType<ReturnType<KvmHost['createVm']>['createVcpu']> } {
  const vm = new KvmHost({}).createVm({ nested: true, clock: 'icount' });
  vm.setUserMemoryRegion({ slot: 0, guestPhysAddr: RAM_BASE, memorySize: RAM_SIZE });
  const vcpu = vm.createVcpu(0);
  vcpu.setOneReg(ID.core(0), BigInt(RAM_BASE));
  return { vm, vcpu };
}

test('every own field of Hart is saved or named as not state', () => {
  const { vcpu } = nestedVm();
  const hart = (vcpu as unknown as { hart: object }).hart;
  const saved = new Set<string>(HART_STATE_FIELDS);
  const unclassified = Object.keys(hart).filter((k) => !saved.has(k) && !(k in HART_NOT_STATE));
  assert.deepEqual(unclassified, [], 'add these to HART_STATE_FIELDS or HART_NOT_STATE in src/hart/snapshot.ts');
  for (const k of HART_STATE_FIELDS) {
    const v = (hart as Record<string, unknown>)[k];
    assert.ok(typeof v === 'number' || typeof v === 'boolean', `${k} is a ${typeof v}: save it in its own form`);
  }
});

test('a vCPU that ran (H, V, FP, timers, an LR reservation) restores into a fresh VM register for register', () => {
  const a = nestedVm();
  // lui t0, 0x80000; addiw t0, t0, 0x100; slli t0, t0, 32; srli t0, t0, 32; lr.d t1, (t0); fmv.d.x f3, t0; j .
  const prog = [0x800002b7, 0x1002829b, 0x02029293, 0x0202d293, 0x1002b32f, 0xf20281d3, 0x0000006f];
  const ram = a.vm.ram(RAM_BASE, 64);
  const dv = new DataView(ram.buffer, ram.byteOffset, 64);
  prog.forEach((w, i) => dv.setUint32(4 * i, w >>> 0, true));
  a.vcpu.setOneReg(ID.core(11), 0x1234_5678_9abc_def0n);
  a.vcpu.run({ maxInstructions: 1000 });
  const hart = (a.vcpu as unknown as { hart: { setCsr(c: number, v: bigint): void; reservation: number; getF(i: number): bigint } }).hart;
  hart.setCsr(0x600, 0x2_0000_0000n | 0x100n); // hstatus
  hart.setCsr(0x280, 0x8000_0000_0000_1000n); // vsatp
  hart.setCsr(0x24d, 0x55n); // vstimecmp
  assert.ok(hart.reservation >= 0, 'the program holds an LR reservation');
  assert.notEqual(hart.getF(3), 0n);
  const saved = a.vm.saveState();

  const b = nestedVm();
  b.vm.ram(RAM_BASE, RAM_SIZE).set(a.vm.ram(RAM_BASE, RAM_SIZE)); // RAM is the VMM's to restore
  b.vm.loadState(saved);
  const ids = a.vcpu.getRegList();
  assert.ok(ids.length > 100);
  for (const id of ids) {
    let va: bigint | Uint8Array | string, vb: bigint | Uint8Array | string;
    try { va = a.vcpu.getOneReg(id); } catch (e) { va = (e as Error).message; }
    try { vb = b.vcpu.getOneReg(id); } catch (e) { vb = (e as Error).message; }
    assert.deepEqual(vb, va, `register 0x${id.toString(16)}`);
  }
  const again = b.vm.saveState();
  const fields = (s: StateObject): Float64Array => new Float64Array((((s['vcpus'] as StateObject[])[0]!['hart'] as StateObject)['values'] as Uint8Array).slice().buffer);
  const before = fields(saved), after = fields(again);
  HART_STATE_FIELDS.forEach((name, i) => assert.ok(Object.is(after[i], before[i]), `hart field ${name}: ${after[i]} restored, ${before[i]} saved`));
  const strip = (s: StateObject): Uint8Array => encodeState({ ...s, guestClock: null });
  assert.deepEqual(strip(again), strip(saved), 'every saved field equal');
  // both go on the same way: the reservation survived (the SC of a restored hart can succeed)
  assert.equal((b.vcpu as unknown as { hart: { reservation: number } }).hart.reservation, hart.reservation);
  a.vcpu.run({ maxInstructions: 500 }); b.vcpu.run({ maxInstructions: 500 });
  assert.equal(b.vcpu.instructionsRetired, a.vcpu.instructionsRetired);
  assert.equal(b.vcpu.getOneReg(ID.core(0)), a.vcpu.getOneReg(ID.core(0)));
});

test('a vCPU record for another VM shape is refused before anything changes', () => {
  const a = nestedVm();
  const saved = a.vm.saveState();
  const wall = new KvmHost({}).createVm({ nested: true });
  wall.setUserMemoryRegion({ slot: 0, guestPhysAddr: RAM_BASE, memorySize: RAM_SIZE });
  wall.createVcpu(0);
  assert.throws(() => wall.loadState(saved), /saved with --clock icount, this VM has wall/);
  const two = nestedVm();
  two.vm.createVcpu(1);
  assert.throws(() => two.vm.loadState(saved), /1 vCPUs saved, this VM has 2/);
});
