// SBI calls from real guest code (test/guest/kvm/*.S) running in S-mode on the vCPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KVM_ABIS, KVM_EXIT, SbiEid, type SystemEventExit } from '../../src/kvm/index.js';
import { loadRef, REF_VERSION } from './reference.js';
import { ID } from './helpers.js';
import { IMPLEMENTED_EXTENSIONS } from '../../src/isa/index.js';
import { loadGuest, runToSystemEvent, toSigned } from './guest.js';

const sbiRef = loadRef('sbi.json');
const err = (name: string): bigint => BigInt((sbiRef.errors as { name: string; value: number }[]).find((e) => e.name === name)!.value);
const hsm = (name: string): bigint => BigInt((sbiRef.hsm_states as [string, string][]).find((s) => s[1] === name)![0]);

for (const abi of KVM_ABIS) {
  test(`SBI BASE from a guest (${abi})`, () => {
    const g = loadGuest('sbi-base', { vm: { abi }, setup: (v) => v.setOneReg(ID.config(2), 0x5b7n) });
    const forwarded: bigint[][] = [];
    const exits = runToSystemEvent(g, {
      sbi: (e) => {
        forwarded.push([e.sbi.extensionId, e.sbi.functionId, e.sbi.args[0]!]);
        e.sbi.ret = [0n, 7n];
      },
    });
    const [major, minor] = (sbiRef[`kvm_${REF_VERSION[abi]}`].spec_version_reported as string).split('.').map(BigInt);
    assert.equal(g.results(0), 0n);
    assert.equal(g.results(1), (major! << 24n) | minor!);
    assert.equal(g.results(2), 0n);
    assert.equal(g.results(3), BigInt(sbiRef[`kvm_${REF_VERSION[abi]}`].KVM_SBI_IMPID));
    const [maj, min, sub] = abi === '6.12' ? [6n, 12n, 107n] : [7n, 3n, 0n];
    assert.equal(g.results(4), (maj << 16n) | (min << 8n) | sub, 'LINUX_VERSION_CODE');
    assert.equal(g.results(5), 1n, 'TIME is there');
    assert.equal(g.results(6), 0n, 'DBCN is disabled by default');
    assert.equal(g.results(7), 0n, 'unknown extension');
    assert.equal(g.results(8), 1n, 'PMU available');
    assert.equal(g.results(9), 0x5b7n, 'mvendorid from CONFIG');
    assert.equal(toSigned(g.results(10)), err('SBI_ERR_NOT_SUPPORTED'));
    assert.equal(toSigned(g.results(11)), err('SBI_ERR_NOT_SUPPORTED'));
    assert.equal(g.results(12), 0n);
    assert.equal(toSigned(g.results(13)), err('SBI_ERR_NOT_SUPPORTED'), 'V01 without CONFIG_RISCV_SBI_V01');
    assert.deepEqual(forwarded, [[BigInt(SbiEid.BASE), 3n, 0x08000001n]], 'the experimental probe went to user space');
    assert.deepEqual([g.results(14), g.results(15)], [0n, 7n], 'user space answer reached the guest');
    assert.equal(toSigned(g.results(16)), err('SBI_ERR_INVALID_PARAM'));
    const last = exits.at(-1) as SystemEventExit;
    assert.equal(last.code, KVM_EXIT.SYSTEM_EVENT);
    assert.equal(last.type, 1);
    assert.deepEqual(last.data, [0x77n]);
    assert.equal(g.vcpus[0]!.powerState, 'off');
  });
}

for (const abi of KVM_ABIS) {
  test(`SBI PMU from a guest: a counter for instructions retired, read with csrr, stopped and released (${abi})`, () => {
    const g = loadGuest('sbi-pmu', { vm: { abi } });
    runToSystemEvent(g);
    assert.equal(g.results(0), 1n, 'PMU probes as available');
    assert.equal(g.results(1), 32n, 'num_counters');
    assert.equal(g.results(2), 0xc03n | (63n << 12n), 'counter 3: hpmcounter3, 64 bits, hardware');
    assert.equal(g.results(3), 0n, 'config_matching succeeds');
    assert.equal(g.results(4), 3n, 'the first programmable counter');
    assert.equal(g.results(5), 0n, 'counter_start succeeds');
    assert.equal(g.results(6), 101n, 'S-mode instructions counted exactly: the first csrr and the 100 adds');
    assert.equal(g.results(7), 0n, 'counter_stop with RESET');
    assert.equal(toSigned(g.results(8)), err('SBI_ERR_INVALID_PARAM'), 'a released counter');
    assert.equal(toSigned(g.results(9)), err('SBI_ERR_NOT_SUPPORTED'), 'an event the hart does not count');
  });
}

test('icount clock: WFI fast-forwards guest time to the timer deadline (no VMM sleep)', () => {
  const g = loadGuest('sbi-timer', { vm: { clock: 'icount' } });
  const exits = runToSystemEvent(g);
  assert.equal(g.results(3), (1n << 63n) | 5n);
  assert.ok(g.results(4) >= g.results(1));
  assert.ok(!exits.some((e) => e.reason === 'intr'), 'never idle');
});

for (const sstc of [true, false]) {
  test(`SBI set_timer + S-mode timer interrupt (${sstc ? 'Sstc' : 'KVM software timer, Sstc disabled'})`, () => {
    // Sstc is not disable-allowed under Linux rules: the software-timer case uses a host without it
    const g = loadGuest('sbi-timer', sstc ? {} : { host: { extensions: [...IMPLEMENTED_EXTENSIONS].filter((n) => n !== 'sstc') } });
    assert.equal(g.vcpus[0]!.hartIsa().has('sstc'), sstc);
    const exits = runToSystemEvent(g);
    assert.equal(g.results(2), 0n, 'set_timer succeeded');
    assert.equal(g.results(3), (1n << 63n) | 5n, 'scause = supervisor timer interrupt');
    assert.ok(g.results(4) >= g.results(1), `interrupt at ${g.results(4)} not before the deadline ${g.results(1)}`);
    assert.equal(g.results(5) & (1n << 5n), 0n, 'set_timer(-1) cleared STIP');
    assert.ok(exits.some((e) => e.reason === 'intr' && e.idle?.reason === 'wfi' && e.idle.sleepNs !== null), 'the VMM was told how long it may sleep');
    assert.equal((exits.at(-1) as SystemEventExit).data[0], 0x55n);
  });
}

test('SBI HSM start/status/stop and IPI across two vCPUs (runAll)', () => {
  const g = loadGuest('sbi-hsm', { vcpus: 2 });
  assert.equal(g.vcpus[1]!.powerState, 'off', 'secondary vCPUs start powered off');
  runToSystemEvent(g);
  assert.deepEqual([g.results(0), g.results(1)], [0n, hsm('STOPPED')]);
  assert.equal(g.results(2), 0n);
  assert.equal(toSigned(g.results(3)), err('SBI_ERR_ALREADY_AVAILABLE'));
  assert.equal(toSigned(g.results(4)), err('SBI_ERR_INVALID_PARAM'));
  assert.equal(g.results(5), 0n, 'IPI to hart 1');
  assert.equal(toSigned(g.results(6)), err('SBI_ERR_INVALID_PARAM'), 'IPI to a missing hart');
  assert.equal(g.results(7), hsm('STOPPED'));
  assert.deepEqual([g.results(8), g.results(9), g.results(10)], [1n, 0x5a5an, 0n], 'a0 = hartid, a1 = opaque, satp = 0');
  assert.equal(g.results(11), (1n << 63n) | 1n, 'supervisor software interrupt');
});

for (const enabled of [true, false]) {
  test(`SBI DBCN ${enabled ? 'enabled: forwarded to user space' : 'disabled: NOT_SUPPORTED'}; MMIO exits`, () => {
    const g = loadGuest('sbi-dbcn', { setup: (v) => v.setOneReg(ID.sbi(9), enabled ? 1n : 0n) });
    g.vm.addMmioWindow(0x1000_0000, 0x1000);
    const forwarded: bigint[][] = [];
    const mmio: [number, number, boolean, bigint][] = [];
    runToSystemEvent(g, {
      sbi: (e) => {
        forwarded.push([e.sbi.extensionId, e.sbi.functionId, e.sbi.args[0]!]);
        assert.deepEqual(e.sbi.ret, [-2n, 0n], 'KVM pre-sets NOT_SUPPORTED');
        e.sbi.ret = [0n, 1n];
      },
      mmio: (e) => {
        const dv = new DataView(e.mmio.data.buffer, e.mmio.data.byteOffset, 8);
        mmio.push([e.mmio.physAddr, e.mmio.len, e.mmio.isWrite, dv.getBigUint64(0, true)]);
        if (!e.mmio.isWrite) dv.setUint32(0, 0xcafe_f00d, true);
      },
    });
    assert.equal(g.results(0), enabled ? 1n : 0n, 'probe');
    if (enabled) {
      assert.deepEqual(forwarded, [[BigInt(SbiEid.DBCN), 2n, BigInt('K'.charCodeAt(0))]]);
      assert.deepEqual([g.results(1), g.results(2)], [0n, 1n]);
    } else {
      assert.deepEqual(forwarded, []);
      assert.equal(toSigned(g.results(1)), err('SBI_ERR_NOT_SUPPORTED'));
    }
    assert.equal(mmio.length, 2);
    assert.deepEqual(mmio[0], [0x1000_0008, 8, true, 0x1122334455667788n]);
    assert.deepEqual(mmio[1]!.slice(0, 3), [0x1000_0010, 4, false]);
    assert.equal(g.results(3), 0xffff_ffff_cafe_f00dn, 'lw sign-extends the value the VMM supplied');
  });
}

test('Zcmop/Zimop enabled (Linux default): c.mop.1 and mop.r.0 execute', () => {
  const g = loadGuest('mop');
  assert.equal(g.vcpus[0]!.hartIsa().has('zcmop'), true);
  runToSystemEvent(g);
  assert.equal(g.results(0), 0x1234n);
  assert.equal(g.results(1), 0n, 'mop.r.0 wrote 0 to rd');
  assert.equal(g.results(2), 0n, 'no trap');
});

test('rvkvm opt-in: Zcmop and Zimop disabled through ONE_REG -> the guest traps them', () => {
  const g = loadGuest('mop', { vm: { allowDisableAny: true }, setup: (v) => { v.setOneReg(ID.isa(60), 0n); v.setOneReg(ID.isa(55), 0n); } });
  runToSystemEvent(g);
  assert.equal(g.results(0), 0x1234n);
  assert.deepEqual([g.results(2), g.results(3)], [2n, 0x6081n], 'c.mop.1: illegal instruction, stval = its bits');
  assert.deepEqual([g.results(4), g.results(5)], [2n, 0x81c342f3n], 'mop.r.0: illegal instruction');
  assert.equal(g.results(1), 99n, 'rd untouched');
});

test('first KVM_RUN freezes the ISA: ISA_EXT writes are EBUSY afterwards', () => {
  const g = loadGuest('mop');
  runToSystemEvent(g);
  assert.throws(() => g.vcpus[0]!.setOneReg(ID.isa(2), 0n), (e: unknown) => (e as { errnoName?: string }).errnoName === 'EBUSY');
});

for (const abi of KVM_ABIS) {
  test(`SBI RFENCE, FWFT, STA, SUSP probe, then KVM_INTERRUPT wakes the guest (${abi})`, () => {
    const g = loadGuest('sbi-misc', { vm: { abi } });
    let raised = 0;
    const vcpu = g.vcpus[0]!;
    const start = performance.now();
    let exit = vcpu.run();
    while (exit.reason !== 'system_event') {
      assert.ok(performance.now() - start < 5000, `stuck: ${exit.reason}`);
      if (exit.reason === 'intr' && exit.idle?.reason === 'wfi') {
        assert.equal(exit.idle.sleepNs, null, 'no timer armed: only an external event can wake it');
        // idle 1: the retentive suspend; like WFI it may return on any wake-up, here simply the next run().
        // idle 2: the final WFI with SEIE on: raise the external interrupt line (KVM_INTERRUPT).
        if (raised === 1) vcpu.interrupt(true);
        raised++;
      }
      exit = vcpu.run();
    }
    const fwft = abi === '7.3';
    assert.deepEqual([g.results(0), g.results(1)], [0n, 0n]);
    assert.equal(toSigned(g.results(2)), err('SBI_ERR_NOT_SUPPORTED'));
    if (fwft) {
      assert.deepEqual([g.results(3), g.results(4)], [0n, 1n], 'Svadu: hardware A/D updating starts on (menvcfg.ADUE)');
      assert.equal(g.results(5), 0n);
      assert.equal(toSigned(g.results(6)), err('SBI_ERR_DENIED_LOCKED'));
      assert.equal(toSigned(g.results(7)), err('SBI_ERR_NOT_SUPPORTED'));
      assert.equal(toSigned(g.results(8)), err('SBI_ERR_DENIED'));
      assert.equal(vcpu.getOneReg(ID.sbiState(1, 7)), 1n, 'FWFT flags register shows the lock');
    } else {
      for (const i of [3, 5, 6, 7, 8]) assert.equal(toSigned(g.results(i)), err('SBI_ERR_NOT_SUPPORTED'), `FWFT absent in 6.12 (result ${i})`);
    }
    assert.equal(toSigned(g.results(9)), err('SBI_ERR_INVALID_PARAM'));
    assert.equal(toSigned(g.results(10)), err('SBI_ERR_INVALID_PARAM'));
    assert.equal(toSigned(g.results(11)), err('SBI_ERR_INVALID_ADDRESS'));
    assert.equal(toSigned(g.results(12)), err('SBI_ERR_INVALID_ADDRESS'));
    assert.equal(g.results(13), 0n);
    assert.equal(vcpu.getOneReg(ID.sbiState(0, 0)), BigInt(g.symbol('sta_area')), 'STA shmem_lo register');
    const seq = new DataView(g.vm.ram(g.symbol('sta_area'), 64).buffer, g.vm.ram(g.symbol('sta_area'), 64).byteOffset, 64).getUint32(0, true);
    assert.ok(seq > 0 && seq % 2 === 0, `STA sequence ${seq} advanced and is even`);
    assert.equal(g.results(14), 0n, 'SUSP disabled by default (absent in 6.12)');
    assert.equal(toSigned(g.results(16)), err('SBI_ERR_NOT_SUPPORTED'));
    assert.equal(toSigned(g.results(17)), err('SBI_ERR_INVALID_PARAM'));
    assert.equal(g.results(18), 0n);
    assert.equal(raised, 2, 'idle once in the retentive suspend, once in the final WFI');
    assert.equal(g.results(15), (1n << 63n) | 9n, 'supervisor external interrupt');
  });
}

test('kick() stops a running vCPU with an INTR exit', () => {
  const g = loadGuest('sbi-misc');
  const vcpu = g.vcpus[0]!;
  vcpu.kick();
  const exit = vcpu.run({ maxInstructions: 1_000_000 });
  assert.deepEqual(exit, { reason: 'intr', code: KVM_EXIT.INTR });
  assert.ok(vcpu.instructionsRetired < 1000, `kick took effect early (${vcpu.instructionsRetired} instructions)`);
});

for (const enabled of [true, false]) {
  test(`SBI SUSP system_suspend ${enabled ? 'enabled: forwarded, then resumed at the resume address' : 'disabled by default: NOT_SUPPORTED'} (7.3)`, () => {
    const g = loadGuest('sbi-susp', { setup: (v) => { if (enabled) v.setOneReg(ID.sbi(11), 1n); } });
    const forwarded: bigint[] = [];
    const exits = runToSystemEvent(g, { sbi: (e) => { forwarded.push(e.sbi.extensionId); e.sbi.ret = [0n, 0n]; } });
    const reason = (exits.at(-1) as SystemEventExit).data[0];
    if (enabled) {
      assert.equal(toSigned(g.results(0)), err('SBI_ERR_INVALID_PARAM'));
      assert.equal(toSigned(g.results(1)), err('SBI_ERR_INVALID_ADDRESS'));
      assert.deepEqual(forwarded, [BigInt(SbiEid.SUSP)]);
      assert.deepEqual([g.results(3), g.results(4)], [0n, 0xabcn], 'a0 = hart id, a1 = opaque');
      assert.equal(reason, 0x22n);
    } else {
      for (const i of [0, 1, 2]) assert.equal(toSigned(g.results(i)), err('SBI_ERR_NOT_SUPPORTED'));
      assert.deepEqual(forwarded, []);
      assert.equal(reason, 0x11n);
    }
  });
}
