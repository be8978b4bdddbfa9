import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtioMmio } from '../../../src/vmm/devices/virtio-mmio.js';
import { VirtioNet, PacketNetBackend, parseMac, type NetBackend, type NetLink } from '../../../src/vmm/devices/virtio-net.js';
import { UserNetBackend, internetChecksum, parseIpv4 } from '../../../src/vmm/devices/usernet.js';
import { VmmError } from '../../../src/vmm/errors.js';
import { Driver, FakeRam, R, F_VERSION_1, type Queue } from './virtio-driver.js';

const HDR = 12; // virtio_net_hdr_v1
const bit = (n: number) => 1n << BigInt(n);
const GUEST_MAC = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
const GW_MAC = [0x52, 0x55, 0x0a, 0x00, 0x02, 0x02];
const GUEST_IP = [10, 0, 2, 15];
const GW_IP = [10, 0, 2, 2];

function netSetup(backend: PacketNetBackend | UserNetBackend, ready = true) {
  const ram = new FakeRam(0x80000000, 1 << 20);
  const net = new VirtioNet(backend);
  const levels: boolean[] = [];
  const dev = new VirtioMmio({ base: 0x10003000, ram, device: net, irq: { set: (l) => levels.push(l) } });
  const drv = new Driver(dev, ram);
  let rx!: Queue, tx!: Queue;
  if (ready) {
    assert.equal(drv.negotiate(bit(F_VERSION_1) | bit(5) | bit(16)) & 8, 8);
    rx = drv.setupQueue(0, 16);
    tx = drv.setupQueue(1, 16);
    drv.driverOk();
  }
  return { ram, net, dev, drv, rx, tx, levels };
}

function postRx(drv: Driver, rx: Queue, size = HDR + 1514): number {
  const a = drv.alloc(size);
  rx.add([{ addr: a, len: size, write: true }]);
  return a;
}

function sendTx(drv: Driver, tx: Queue, frame: Uint8Array): void {
  const a = drv.alloc(HDR + frame.length);
  drv.ram.ram(a + HDR, frame.length).set(frame);
  // header and frame in separate descriptors, as Linux does
  tx.add([{ addr: a, len: HDR, write: false }, { addr: a + HDR, len: frame.length, write: false }]);
  drv.w(R.QueueNotify, 1);
}

test('virtio-net: config has the MAC and link up; two queues', () => {
  const { drv, dev } = netSetup(new PacketNetBackend(() => {}), false);
  assert.equal(drv.r(R.DeviceID), 1);
  assert.deepEqual(Array.from({ length: 6 }, (_, i) => dev.read(0x100 + i, 1)), GUEST_MAC);
  assert.equal(dev.read(0x106, 2), 1, 'VIRTIO_NET_S_LINK_UP');
  const f = drv.deviceFeatures();
  assert.ok(f & bit(5) && f & bit(16));
  for (const [q, max] of [[0, 256], [1, 256], [2, 0]]) {
    drv.w(R.QueueSel, q);
    assert.equal(drv.r(R.QueueNumMax), max);
  }
});

test('virtio-net: transmit strips the header; receive prepends one with num_buffers = 1', () => {
  const sent: Uint8Array[] = [];
  const backend = new PacketNetBackend((f) => sent.push(f.slice()));
  const { drv, rx, tx, ram, net } = netSetup(backend);
  const frame = Uint8Array.from({ length: 60 }, (_, i) => i);
  sendTx(drv, tx, frame);
  assert.deepEqual(sent, [frame]);
  assert.equal(tx.takeUsed().length, 1);

  const buf = postRx(drv, rx);
  drv.w(R.QueueNotify, 0);
  const incoming = Uint8Array.from({ length: 100 }, (_, i) => 255 - i);
  backend.inject(incoming);
  const used = rx.takeUsed();
  assert.equal(used.length, 1);
  assert.equal(used[0][1], HDR + 100);
  const hdr = ram.view(buf, HDR);
  assert.equal(hdr.getUint8(0), 0, 'no checksum flags');
  assert.equal(hdr.getUint8(1), 0, 'GSO none');
  assert.equal(hdr.getUint16(10, true), 1, 'num_buffers');
  assert.deepEqual(ram.ram(buf + HDR, 100), incoming);
  assert.deepEqual(net.stats, { txFrames: 1, rxFrames: 1, rxDropped: 0, txDropped: 0, txTso: 0, rxTso: 0 });
});

test('virtio-net: frames wait for receive buffers; undersized buffers and oversized frames are dropped', () => {
  const backend = new PacketNetBackend(() => {});
  const { drv, rx, net, levels } = netSetup(backend);
  backend.inject(new Uint8Array(60).fill(1));
  backend.inject(new Uint8Array(60).fill(2));
  assert.equal(rx.usedIdx, 0, 'no buffers yet');
  backend.inject(new Uint8Array(2000)); // larger than an Ethernet frame
  const a = postRx(drv, rx);
  const b = postRx(drv, rx, HDR + 10); // too small for a 60-byte frame
  drv.w(R.QueueNotify, 0);
  assert.deepEqual(rx.takeUsed().map(([, len]) => len), [HDR + 60, 0]);
  assert.equal(drv.ram.ram(a + HDR, 1)[0], 1);
  assert.equal(net.stats.rxDropped, 2);
  assert.equal(levels[levels.length - 1], true);
  void b;
});

test('usernet: internet checksum matches RFC 1071\'s worked example', () => {
  // RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2 (one's complement 0x220d)
  assert.equal(internetChecksum(Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7)), 0x220d);
});

function arpRequest(targetIp: number[]): Uint8Array {
  return Uint8Array.from([
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, ...GUEST_MAC, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01, ...GUEST_MAC, ...GUEST_IP, 0, 0, 0, 0, 0, 0, ...targetIp,
  ]);
}

/** An ICMP echo request as `ping` sends it (id 0x1234, seq 1, 16 bytes of payload). */
function echoRequest(dstIp: number[], corruptChecksum = false): Uint8Array {
  const icmp = Uint8Array.from([8, 0, 0, 0, 0x12, 0x34, 0x00, 0x01, ...Array.from({ length: 16 }, (_, i) => 0x30 + i)]);
  const c = internetChecksum(icmp) ^ (corruptChecksum ? 1 : 0);
  icmp[2] = c >> 8; icmp[3] = c & 0xff;
  const ip = Uint8Array.from([0x45, 0, 0, 20 + icmp.length, 0xab, 0xcd, 0x40, 0, 64, 1, 0, 0, ...GUEST_IP, ...dstIp]);
  const ic = internetChecksum(ip);
  ip[10] = ic >> 8; ip[11] = ic & 0xff;
  return Uint8Array.from([...GW_MAC, ...GUEST_MAC, 0x08, 0x00, ...ip, ...icmp]);
}

test('usernet: ARP for the gateway and the resolver is answered; other ARP is not', () => {
  const user = new UserNetBackend({ timers: false });
  const got: Uint8Array[] = [];
  user.attach((f) => got.push(f));
  user.send(arpRequest(GW_IP));
  user.send(arpRequest([10, 0, 2, 99]));
  user.send(arpRequest([10, 0, 2, 3]));
  assert.equal(got.length, 2);
  assert.deepEqual(Array.from(got[0]), [
    ...GUEST_MAC, ...GW_MAC, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x02,
    ...GW_MAC, ...GW_IP, ...GUEST_MAC, ...GUEST_IP,
  ]);
  assert.deepEqual(Array.from(got[1]!.subarray(28, 32)), [10, 0, 2, 3], 'the resolver address has the gateway\'s MAC');
  assert.equal(user.stats.arpReplies, 2);
  assert.equal(user.stats.ignored, 1);
});

test('usernet: ICMP echo to the gateway gets a reply with valid checksums and the same payload', () => {
  const user = new UserNetBackend();
  const got: Uint8Array[] = [];
  user.attach((f) => got.push(f));
  const req = echoRequest(GW_IP);
  user.send(req);
  user.send(echoRequest([8, 8, 8, 8])); // not the gateway
  user.send(echoRequest(GW_IP, true)); // bad ICMP checksum
  assert.equal(got.length, 1);
  const r = got[0];
  assert.deepEqual(Array.from(r.subarray(0, 12)), [...GUEST_MAC, ...GW_MAC]);
  assert.deepEqual(Array.from(r.subarray(26, 34)), [...GW_IP, ...GUEST_IP]);
  assert.equal(r[23], 1, 'ICMP');
  assert.equal(internetChecksum(r.subarray(14, 34)), 0, 'IP header checksum');
  assert.equal(r[34], 0, 'echo reply');
  assert.equal(internetChecksum(r.subarray(34)), 0, 'ICMP checksum');
  assert.deepEqual(r.subarray(38), req.subarray(38), 'id, sequence and payload echoed');
  assert.equal(r.length, req.length);
});

test('usernet behind virtio-net: the guest\'s ARP and ping reach the gateway and come back', () => {
  const user = new UserNetBackend();
  const { drv, rx, tx, ram } = netSetup(user);
  const bufs = [postRx(drv, rx), postRx(drv, rx)];
  drv.w(R.QueueNotify, 0);
  sendTx(drv, tx, arpRequest(GW_IP));
  sendTx(drv, tx, echoRequest(GW_IP));
  const used = rx.takeUsed();
  assert.equal(used.length, 2);
  assert.equal(ram.view(bufs[0] + HDR + 20, 2).getUint16(0), 2, 'ARP reply');
  assert.equal(ram.ram(bufs[1] + HDR + 34, 1)[0], 0, 'echo reply');
  assert.equal(drv.ack() & 1, 1);
});

test('net: bad addresses are rejected', () => {
  assert.throws(() => parseMac('52:54:00:12:34'), VmmError);
  assert.throws(() => parseIpv4('10.0.2.256'), /bad IPv4/);
  assert.throws(() => new VirtioNet(new PacketNetBackend(() => {}), '01:00:00:00:00:00'), /multicast/);
  assert.throws(() => new PacketNetBackend(() => {}).inject(new Uint8Array(60)), /not attached/);
});

test('virtio-net: GUEST_CSUM is offered only for a backend that builds its checksums, and then frames come DATA_VALID', () => {
  assert.equal(netSetup(new PacketNetBackend(() => {}), false).drv.deviceFeatures() & bit(1), 0n, 'a bridge\'s frames are not vouched for');
  const user = new UserNetBackend({ timers: false });
  const { drv, ram } = netSetup(user, false);
  assert.equal(drv.deviceFeatures() & bit(1), bit(1));
  drv.negotiate(bit(F_VERSION_1) | bit(1) | bit(5) | bit(16));
  const rx = drv.setupQueue(0, 16);
  const tx = drv.setupQueue(1, 16);
  drv.driverOk();
  const buf = postRx(drv, rx);
  drv.w(R.QueueNotify, 0);
  sendTx(drv, tx, echoRequest(GW_IP));
  assert.equal(rx.takeUsed().length, 1);
  assert.equal(ram.view(buf, HDR).getUint8(0), 2, 'VIRTIO_NET_HDR_F_DATA_VALID');
});

/** A backend that terminates TCP (as the user-mode stack does): the device offers it the segmentation offloads. */
class OffloadBackend implements NetBackend {
  readonly checksummed = true;
  readonly segmentOffload = true;
  sent: { frame: Uint8Array; csumPartial: boolean }[] = [];
  deliver!: (frame: Uint8Array, gso?: number) => void;
  link!: NetLink;
  attach(deliver: (frame: Uint8Array, gso?: number) => void, link: NetLink): void { this.deliver = deliver; this.link = link; }
  send(frame: Uint8Array, csumPartial = false): void { this.sent.push({ frame: frame.slice(), csumPartial }); }
}

test('virtio-net offloads (a TCP-terminating backend): CSUM and TSO both ways are offered; GSO frames cross with their header', () => {
  assert.equal(new VirtioNet(new PacketNetBackend(() => {})).features & (bit(0) | bit(7) | bit(11)), 0n, 'a wire-like backend gets none');
  const backend = new OffloadBackend();
  const ram = new FakeRam(0x80000000, 1 << 20);
  const net = new VirtioNet(backend);
  assert.equal(net.features & (bit(0) | bit(1) | bit(7) | bit(11)), bit(0) | bit(1) | bit(7) | bit(11));
  const dev = new VirtioMmio({ base: 0x10003000, ram, device: net });
  const drv = new Driver(dev, ram);
  assert.equal(backend.link.guestTso, false, 'nothing negotiated yet');
  drv.negotiate(bit(F_VERSION_1) | bit(0) | bit(1) | bit(5) | bit(7) | bit(11));
  const rx = drv.setupQueue(0, 16);
  const tx = drv.setupQueue(1, 16);
  drv.driverOk();
  assert.equal(backend.link.guestTso, true);
  // transmit: a 20000-byte TCPv4 GSO frame with a partial checksum; a UDP GSO frame is refused
  const gsoTx = (gsoType: number, len: number, flags: number): void => {
    const a = drv.alloc(HDR + len);
    ram.ram(a, 2).set([flags, gsoType]);
    ram.ram(a + HDR, len).fill(0x42);
    tx.add([{ addr: a, len: HDR + len, write: false }]);
    drv.w(R.QueueNotify, 1);
  };
  gsoTx(1, 20000, 1);
  gsoTx(3, 3000, 1);
  gsoTx(0, 20000, 0); // no GSO: larger than a frame may be
  assert.deepEqual(backend.sent.map((s) => [s.frame.length, s.csumPartial]), [[20000, true]]);
  assert.equal(net.stats.txTso, 1);
  assert.equal(net.stats.txDropped, 2);
  // receive: a 30000-byte TCP segment for the guest, standing for MSS-1460 ones, into a big buffer
  const frame = new Uint8Array(30000);
  frame[14] = 0x45; // IHL 5
  frame[14 + 20 + 12] = 0x80; // TCP data offset 8 (32 bytes: options)
  const big = drv.alloc(HDR + 65550);
  rx.add([{ addr: big, len: HDR + 65550, write: true }]);
  drv.w(R.QueueNotify, 0);
  backend.deliver(frame, 1460);
  const [[, len]] = rx.takeUsed() as [number, number][];
  assert.equal(len, HDR + 30000);
  const h = ram.view(big, HDR);
  assert.equal(h.getUint8(0), 2, 'DATA_VALID');
  assert.equal(h.getUint8(1), 1, 'GSO TCPv4');
  assert.equal(h.getUint16(2, true), 14 + 20 + 32, 'hdr_len: Ethernet, IP and TCP headers');
  assert.equal(h.getUint16(4, true), 1460, 'gso_size');
  assert.equal(net.stats.rxTso, 1);
});

test('virtio-net offloads: a guest that did not take GUEST_TSO4 never gets a frame larger than the MTU', () => {
  const backend = new OffloadBackend();
  const ram = new FakeRam(0x80000000, 1 << 20);
  const net = new VirtioNet(backend);
  const drv = new Driver(new VirtioMmio({ base: 0x10003000, ram, device: net }), ram);
  drv.negotiate(bit(F_VERSION_1) | bit(1) | bit(5));
  const rx = drv.setupQueue(0, 16);
  drv.setupQueue(1, 16);
  drv.driverOk();
  assert.equal(backend.link.guestTso, false);
  const big = drv.alloc(HDR + 65550);
  rx.add([{ addr: big, len: HDR + 65550, write: true }]);
  drv.w(R.QueueNotify, 0);
  backend.deliver(new Uint8Array(30000), 1460);
  assert.equal(rx.takeUsed().length, 0);
  assert.equal(net.stats.rxDropped, 1);
});
