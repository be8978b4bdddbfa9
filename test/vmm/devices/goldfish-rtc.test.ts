// The goldfish RTC's registers as Linux's rtc-goldfish driver uses them, with a time source the test moves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoldfishRtc } from '../../../src/vmm/devices/goldfish-rtc.js';
import { buildDeviceTree } from '../../../src/vmm/devicetree.js';
import { parseFdt } from '../../../src/vmm/fdt.js';

const TIME_LOW = 0x00, TIME_HIGH = 0x04, ALARM_LOW = 0x08, ALARM_HIGH = 0x0c, IRQ_ENABLED = 0x10, CLEAR_ALARM = 0x14,
  ALARM_STATUS = 0x18, CLEAR_INTERRUPT = 0x1c;

function setup(start: bigint) {
  let now = start;
  const irq: boolean[] = [];
  const rtc = new GoldfishRtc({ base: 0x101000, nowNs: () => now, irq: { set: (l) => irq.push(l) } });
  const read64 = (): bigint => { const lo = rtc.read(TIME_LOW, 4); return (BigInt(rtc.read(TIME_HIGH, 4)) << 32n) | BigInt(lo); };
  const line = (): boolean => irq.at(-1) ?? false;
  return { rtc, read64, line, advance: (ns: bigint) => { now += ns; } };
}

test('goldfish rtc: reads the source in ns, TIME_LOW latches the high half', () => {
  const t0 = 1_796_178_619_123_456_789n;
  const { rtc, read64, advance } = setup(t0);
  assert.equal(read64(), t0);
  const lo = rtc.read(TIME_LOW, 4);
  advance(1n << 33n); // the high half moves, but the latch keeps the one that goes with lo
  assert.equal((BigInt(rtc.read(TIME_HIGH, 4)) << 32n) | BigInt(lo), t0);
  assert.equal(read64(), t0 + (1n << 33n));
});

test('goldfish rtc: TIME_HIGH then TIME_LOW sets the clock, which then runs on from there', () => {
  const { rtc, read64, advance } = setup(5_000_000_000n);
  const set = 1_700_000_000_000_000_000n;
  rtc.write(TIME_HIGH, 4, Number(set >> 32n));
  rtc.write(TIME_LOW, 4, Number(set & 0xffffffffn));
  assert.equal(read64(), set);
  advance(1_000_000_000n);
  assert.equal(read64(), set + 1_000_000_000n);
});

test('goldfish rtc: the alarm raises the interrupt when its time comes, if enabled, until cleared', () => {
  const { rtc, line, advance } = setup(10_000n);
  const at = 50_000n;
  rtc.write(ALARM_HIGH, 4, 0);
  rtc.write(ALARM_LOW, 4, Number(at));
  rtc.write(IRQ_ENABLED, 4, 1);
  assert.equal(rtc.read(ALARM_STATUS, 4), 1);
  assert.equal(rtc.read(ALARM_LOW, 4), Number(at));
  rtc.poll();
  assert.equal(line(), false, 'not yet');
  advance(40_000n);
  rtc.poll();
  assert.equal(line(), true);
  assert.equal(rtc.read(ALARM_STATUS, 4), 0, 'a fired alarm is no longer running');
  rtc.poll();
  assert.equal(line(), true, 'held until the guest clears it');
  rtc.write(CLEAR_INTERRUPT, 4, 1);
  assert.equal(line(), false);
});

test('goldfish rtc: a disabled interrupt stays low; CLEAR_ALARM disarms', () => {
  const { rtc, line, advance } = setup(0n);
  rtc.write(ALARM_HIGH, 4, 0);
  rtc.write(ALARM_LOW, 4, 100);
  rtc.write(CLEAR_ALARM, 4, 1);
  advance(1000n);
  rtc.poll();
  rtc.write(IRQ_ENABLED, 4, 1);
  assert.equal(line(), false, 'disarmed alarm never fired');
  rtc.write(IRQ_ENABLED, 4, 0);
  rtc.write(ALARM_LOW, 4, 500); // already past: fires at once, but the interrupt is masked
  assert.equal(line(), false);
  rtc.write(IRQ_ENABLED, 4, 1);
  assert.equal(line(), true, 'pending interrupt shows once enabled');
});

test('device tree: the rtc node as QEMU virt has it (google,goldfish-rtc, reg, PLIC interrupt)', () => {
  const dtb = buildDeviceTree({
    harts: [{ hartId: 0, isaBase: 'rv64i', isaString: 'rv64imac', isaExtensions: ['i', 'm', 'a', 'c'], mmuType: 'riscv,sv39' }],
    timebaseHz: 10_000_000, memory: { base: 0x80000000, size: 64 << 20 }, bootargs: '',
    plic: { base: 0x0c000000, size: 0x4000000, ndev: 31 }, uart: { base: 0x10000000, irq: 10, clockHz: 3686400 }, virtio: [],
    rtc: { base: 0x101000, size: 0x1000, irq: 11 },
  });
  const rtc = parseFdt(dtb).tree.root.child('soc')!.child('rtc@101000');
  assert.ok(rtc, 'rtc@101000 under /soc');
  const prop = (n: string) => rtc.props.find((p) => p.name === n)!.value;
  assert.equal(new TextDecoder().decode(prop('compatible')), 'google,goldfish-rtc\0');
  assert.deepEqual([...prop('reg')], [0, 0, 0, 0, 0, 0x10, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x10, 0]);
  assert.deepEqual([...prop('interrupts')], [0, 0, 0, 11]);
});
