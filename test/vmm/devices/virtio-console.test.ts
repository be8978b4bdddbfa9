// virtio-console's ports and control protocol (virtio 1.x 5.3), driven by the test driver from the spec:
// port announcement, the console port, names, and input held until the guest opens a port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtioMmio } from '../../../src/vmm/devices/virtio-mmio.js';
import { VirtioConsole, CTRL } from '../../../src/vmm/devices/virtio-console.js';
import { Driver, FakeRam, R, F_VERSION_1, type Queue } from './virtio-driver.js';

const MULTIPORT = 1;

function ctrl(id: number, event: number, value: number): Uint8Array {
  const m = new Uint8Array(8);
  const v = new DataView(m.buffer);
  v.setUint32(0, id, true); v.setUint16(4, event, true); v.setUint16(6, value, true);
  return m;
}

function setup(multiport: boolean) {
  const ram = new FakeRam(0x80000000, 1 << 20);
  const out: string[][] = [[], []];
  const dev = new VirtioConsole([
    { output: (b) => out[0]!.push(new TextDecoder().decode(b)) },
    { name: 'org.test.chan', output: (b) => out[1]!.push(new TextDecoder().decode(b)) },
  ]);
  const mmio = new VirtioMmio({ base: 0x10001000, ram, device: dev });
  const drv = new Driver(mmio, ram);
  assert.equal(drv.r(R.DeviceID), 3);
  assert.ok(drv.deviceFeatures() & (1n << BigInt(MULTIPORT)), 'MULTIPORT offered');
  drv.negotiate((1n << BigInt(F_VERSION_1)) | (multiport ? 1n << BigInt(MULTIPORT) : 0n));
  const n = multiport ? 6 : 2;
  const qs: Queue[] = [];
  for (let i = 0; i < n; i++) qs.push(drv.setupQueue(i, 8));
  drv.driverOk();
  const send = (q: number, bytes: Uint8Array): void => {
    const a = drv.alloc(bytes.length);
    ram.ram(a, bytes.length).set(bytes);
    qs[q]!.add([{ addr: a, len: bytes.length, write: false }]);
    drv.w(R.QueueNotify, q);
  };
  const post = (q: number, len = 64): number => {
    const a = drv.alloc(len);
    qs[q]!.add([{ addr: a, len, write: true }]);
    drv.w(R.QueueNotify, q);
    return a;
  };
  return { ram, dev, drv, qs, out, send, post };
}

test('virtio-console: config says two ports; control messages announce them, port 0 is the console, port 1 has its name', () => {
  const { ram, drv, qs, send, post } = setup(true);
  assert.equal(drv.r(R.Config + 4), 2, 'max_nr_ports');
  const bufs = Array.from({ length: 8 }, () => post(2));
  send(3, ctrl(0, CTRL.DEVICE_READY, 1));
  send(3, ctrl(0, CTRL.PORT_READY, 1));
  send(3, ctrl(1, CTRL.PORT_READY, 1));
  const used = qs[2]!.takeUsed();
  const msgs = used.map(([head, len], i) => {
    const b = ram.ram(bufs[i]!, len);
    const v = new DataView(b.buffer, b.byteOffset, len);
    return [v.getUint32(0, true), v.getUint16(4, true), v.getUint16(6, true), new TextDecoder().decode(b.subarray(8)), head] as const;
  });
  assert.deepEqual(msgs.map(([id, ev, val, extra]) => [id, ev, val, extra]), [
    [0, CTRL.DEVICE_ADD, 1, ''], [1, CTRL.DEVICE_ADD, 1, ''],
    [0, CTRL.CONSOLE_PORT, 1, ''], [0, CTRL.PORT_OPEN, 1, ''],
    [1, CTRL.PORT_NAME, 1, 'org.test.chan'], [1, CTRL.PORT_OPEN, 1, ''],
  ]);
});

test('virtio-console: input for a port waits until the guest opens it and posts buffers; output reaches the host', () => {
  const { ram, dev, qs, out, send, post } = setup(true);
  dev.push(0, new TextEncoder().encode('typed early'));
  dev.push(1, new TextEncoder().encode('for the channel'));
  const rx0 = post(0);
  const rx1 = post(4);
  assert.deepEqual(qs[0]!.takeUsed(), [], 'console input held before PORT_OPEN');
  assert.deepEqual(qs[4]!.takeUsed(), []);
  assert.equal(dev.pending(0), 11);
  send(3, ctrl(0, CTRL.PORT_OPEN, 1)); // hvc0 is attached
  const [[, n0]] = qs[0]!.takeUsed() as [[number, number]];
  assert.equal(new TextDecoder().decode(ram.ram(rx0, n0)), 'typed early');
  assert.deepEqual(qs[4]!.takeUsed(), [], 'port 1 still closed');
  send(3, ctrl(1, CTRL.PORT_OPEN, 1));
  const [[, n1]] = qs[4]!.takeUsed() as [[number, number]];
  assert.equal(new TextDecoder().decode(ram.ram(rx1, n1)), 'for the channel');
  send(1, new TextEncoder().encode('hello console'));
  send(5, new TextEncoder().encode('hello channel'));
  assert.deepEqual(out, [['hello console'], ['hello channel']]);
});

test('virtio-console: a driver without MULTIPORT gets port 0 alone, open at once', () => {
  const { ram, dev, qs, out, send, post } = setup(false);
  dev.push(0, new TextEncoder().encode('abc'));
  const rx = post(0);
  const [[, n]] = qs[0]!.takeUsed() as [[number, number]];
  assert.equal(new TextDecoder().decode(ram.ram(rx, n)), 'abc');
  send(1, new TextEncoder().encode('out'));
  assert.deepEqual(out[0], ['out']);
});
