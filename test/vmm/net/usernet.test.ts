// The user-mode network stack driven with crafted frames, as a guest would send them, and a scripted host
// side: every host stream and datagram socket is an in-memory object the test controls (connect, data, end,
// errors, how much it holds unflushed), and time is the test's clock, so handshakes, retransmission,
// backpressure, resets, DHCP and the table limits are checked exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserNetBackend, type UserNetOptions } from '../../../src/vmm/devices/usernet.js';
import type { AcceptedTcp, HostAddress, SocketProvider, TcpStream, TcpStreamEvents, UdpSocket } from '../../../src/vmm/net/provider.js';
import {
  TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, internetChecksum, ip4, l4Checksum, tcpFrame, udpFrame, seqAdd,
} from '../../../src/vmm/net/wire.js';

const GUEST_MAC = Uint8Array.from([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
const GW_MAC = Uint8Array.from([0x52, 0x55, 0x0a, 0x00, 0x02, 0x02]);
const GUEST = ip4('10.0.2.15');
const GW = ip4('10.0.2.2');
const DNS = ip4('10.0.2.3');

class HostStream implements TcpStream {
  written: Uint8Array[] = [];
  buffered = 0;
  ended = false;
  destroyed = false;
  paused = false;
  constructor(readonly to: HostAddress | null, readonly ev: TcpStreamEvents) {}
  write(b: Uint8Array): void { this.written.push(b.slice()); }
  end(): void { this.ended = true; }
  destroy(): void { this.destroyed = true; }
  pause(): void { this.paused = true; }
  resume(): void { this.paused = false; }
  text(): string { return Buffer.concat(this.written).toString(); }
}

class HostUdp implements UdpSocket {
  sent: { bytes: Uint8Array; to: HostAddress }[] = [];
  closed = false;
  constructor(readonly onMessage: (b: Uint8Array, from: HostAddress) => void, readonly bound?: HostAddress) {}
  send(bytes: Uint8Array, to: HostAddress): boolean { this.sent.push({ bytes: bytes.slice(), to }); return true; }
  close(): void { this.closed = true; }
}

class Host implements SocketProvider {
  streams: HostStream[] = [];
  udps: HostUdp[] = [];
  listeners = new Map<string, (c: AcceptedTcp) => void>();
  constructor(readonly dnsServer: HostAddress | null = { host: '127.0.0.1', port: 5353 }) {}
  connectTcp(to: HostAddress, ev: TcpStreamEvents): TcpStream {
    const s = new HostStream(to, ev);
    this.streams.push(s);
    return s;
  }
  openUdp(onMessage: (b: Uint8Array, from: HostAddress) => void): UdpSocket {
    const u = new HostUdp(onMessage);
    this.udps.push(u);
    return u;
  }
  async bindUdp(at: HostAddress, onMessage: (b: Uint8Array, from: HostAddress) => void): Promise<UdpSocket> {
    const u = new HostUdp(onMessage, at);
    this.udps.push(u);
    return u;
  }
  async listenTcp(at: HostAddress, onAccept: (c: AcceptedTcp) => void): Promise<{ close(): void }> {
    this.listeners.set(`${at.host}:${at.port}`, onAccept);
    return { close: () => this.listeners.delete(`${at.host}:${at.port}`) };
  }
  /** A host client connects to a forwarder; returns its stream. */
  accept(at: string): HostStream {
    let s!: HostStream;
    this.listeners.get(at)!({ remote: { host: '127.0.0.1', port: 40000 }, attach: (ev) => (s = new HostStream(null, ev)) });
    return s;
  }
}

interface Seg { sport: number; dport: number; src: number; dst: number; seq: number; ack: number; flags: number; window: number; mss?: number; payload: Uint8Array }

function parseTcp(f: Uint8Array): Seg | null {
  const v = new DataView(f.buffer, f.byteOffset, f.length);
  if (v.getUint16(12) !== 0x0800 || f[23] !== 6) return null;
  assert.equal(internetChecksum(f.subarray(14, 34)), 0, 'IPv4 header checksum');
  const total = v.getUint16(16);
  assert.equal(l4Checksum(f, 14, 34, total - 20, 6), 0, 'TCP checksum');
  const hlen = (f[46]! >> 4) * 4;
  let mss: number | undefined;
  if (hlen >= 24 && f[54] === 2 && f[55] === 4) mss = v.getUint16(56);
  return {
    src: v.getUint32(26), dst: v.getUint32(30), sport: v.getUint16(34), dport: v.getUint16(36), seq: v.getUint32(38), ack: v.getUint32(42),
    flags: f[47]!, window: v.getUint16(48), ...(mss !== undefined ? { mss } : {}), payload: f.slice(34 + hlen, 14 + total),
  };
}

function setup(opts: UserNetOptions = {}) {
  let now = 0;
  const host = opts.provider === null ? null : new Host();
  const net = new UserNetBackend({ provider: host, timers: false, now: () => now, ...opts });
  const frames: Uint8Array[] = [];
  net.attach((f) => frames.push(f));
  return {
    net, host: host!, frames,
    advance(ms: number) { now += ms; net.tick(now); },
    /** frames to the guest since the last call, parsed as TCP */
    tcpOut(): Seg[] { return frames.splice(0).map(parseTcp).filter((s): s is Seg => s !== null); },
  };
}

/** A guest-side TCP endpoint talking to `dst:dport` from 10.0.2.15:sport. */
function guestTcp(net: UserNetBackend, sport: number, dst: number, dport: number, isn = 1000) {
  const c = {
    seq: isn, ack: 0,
    send(flags: number, payload: Uint8Array = new Uint8Array(0), extra: { seq?: number; window?: number; mss?: number; ack?: number; wscale?: number; csumPartial?: boolean } = {}) {
      const seg = { src: GUEST, sport, dst, dport, seq: extra.seq ?? c.seq, ack: extra.ack ?? c.ack, flags, window: extra.window ?? 65535,
        ...(extra.mss ? { mss: extra.mss } : {}), ...(extra.wscale !== undefined ? { wscale: extra.wscale } : {}) };
      const frame = tcpFrame(GW_MAC, GUEST_MAC, seg, payload.length, (f, at) => f.set(payload, at), 1);
      if (extra.csumPartial) frame[50] ^= 0xff; // the checksum field holds something else: offload leaves it to the device
      net.send(frame, extra.csumPartial === true);
      if (extra.seq === undefined) c.seq = seqAdd(c.seq, payload.length + (flags & (TCP_SYN | TCP_FIN) ? 1 : 0));
    },
  };
  return c;
}

/** Guest SYN to 10.0.2.2:80, the host connects, SYN-ACK, guest ACK: an established connection. */
function established(t: ReturnType<typeof setup>, guestMss = 1460, sport = 33000) {
  const g = guestTcp(t.net, sport, GW, 80);
  g.send(TCP_SYN, undefined, { mss: guestMss });
  const stream = t.host.streams.at(-1)!;
  stream.ev.connect();
  const [synAck] = t.tcpOut();
  g.ack = seqAdd(synAck!.seq, 1);
  g.send(TCP_ACK);
  return { g, stream, iss: synAck!.seq };
}

test('tcp: the handshake waits for the host connection, the SYN-ACK carries MSS and acknowledges the SYN', () => {
  const t = setup();
  const g = guestTcp(t.net, 33000, GW, 8080, 0xfffffff0);
  g.send(TCP_SYN, undefined, { mss: 1400 });
  assert.equal(t.host.streams.length, 1);
  assert.deepEqual(t.host.streams[0]!.to, { host: '127.0.0.1', port: 8080 }, 'the gateway is the host loopback');
  assert.equal(t.tcpOut().length, 0, 'no SYN-ACK before the host connection is up');
  t.host.streams[0]!.ev.connect();
  const [sa] = t.tcpOut();
  assert.equal(sa!.flags, TCP_SYN | TCP_ACK);
  assert.equal(sa!.ack, 0xfffffff1, 'acknowledges the SYN across the sequence wrap');
  assert.equal(sa!.mss, 1460);
  assert.equal(sa!.src, GW);
  assert.equal(sa!.dst, GUEST);
  g.ack = seqAdd(sa!.seq, 1);
  g.send(TCP_ACK);
  g.send(TCP_ACK | TCP_PSH, new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n'));
  assert.equal(t.host.streams[0]!.text(), 'GET / HTTP/1.0\r\n\r\n');
  const [ack] = t.tcpOut();
  assert.equal(ack!.flags, TCP_ACK);
  assert.equal(ack!.ack, g.seq);
  assert.equal(t.net.connections.tcp, 1);
});

test('tcp: host data goes out in segments of the guest\'s MSS, within its window; ACKs open the window again', () => {
  const t = setup();
  const { g, stream, iss } = established(t, 1000);
  t.tcpOut();
  stream.ev.data(new Uint8Array(10_000).fill(7));
  let segs = t.tcpOut();
  assert.equal(segs.length, 10);
  assert.ok(segs.every((s) => s.payload.length === 1000));
  assert.equal(segs[0]!.seq, seqAdd(iss, 1));
  // a 3000-byte window admits three segments
  g.send(TCP_ACK, undefined, { ack: seqAdd(iss, 1 + 10_000), window: 3000 });
  stream.ev.data(new Uint8Array(5000).fill(8));
  segs = t.tcpOut();
  assert.deepEqual(segs.map((s) => s.payload.length), [1000, 1000, 1000], 'window full: no more');
  g.send(TCP_ACK, undefined, { ack: seqAdd(iss, 1 + 12_000), window: 3000 });
  segs = t.tcpOut();
  assert.deepEqual(segs.map((s) => s.payload.length), [1000, 1000], 'two more fit after 2000 bytes were acknowledged');
  assert.equal(segs.at(-1)!.flags & TCP_PSH, TCP_PSH, 'the last segment of what is queued pushes');
});

test('tcp: a segment the guest does not acknowledge is retransmitted with a doubling timeout, then the connection is reset', () => {
  const t = setup({ limits: { initialRtoMs: 1000, maxRetries: 3 } });
  const { stream, iss } = established(t);
  t.tcpOut();
  stream.ev.data(new TextEncoder().encode('hello'));
  assert.equal(t.tcpOut().length, 1);
  t.advance(999);
  assert.equal(t.tcpOut().length, 0, 'not before the timeout');
  t.advance(1);
  let [r] = t.tcpOut();
  assert.equal(r!.seq, seqAdd(iss, 1));
  assert.equal(new TextDecoder().decode(r!.payload), 'hello');
  t.advance(1999);
  assert.equal(t.tcpOut().length, 0, 'the timeout doubled');
  t.advance(1);
  [r] = t.tcpOut();
  assert.equal(new TextDecoder().decode(r!.payload), 'hello');
  t.advance(4000);
  t.tcpOut();
  t.advance(8000);
  const [rst] = t.tcpOut();
  assert.equal(rst!.flags & TCP_RST, TCP_RST, 'reset after maxRetries');
  assert.ok(stream.destroyed);
  assert.equal(t.net.connections.tcp, 0);
});

test('tcp: three duplicate ACKs retransmit at once from the first unacknowledged byte', () => {
  const t = setup();
  const { g, stream, iss } = established(t, 1000);
  t.tcpOut();
  stream.ev.data(new Uint8Array(4000));
  assert.equal(t.tcpOut().length, 4);
  const ack = seqAdd(iss, 1 + 1000); // the second segment was lost
  g.send(TCP_ACK, undefined, { ack });
  g.send(TCP_ACK, undefined, { ack });
  g.send(TCP_ACK, undefined, { ack });
  assert.equal(t.tcpOut().length, 0, 'two duplicates are not yet a loss');
  g.send(TCP_ACK, undefined, { ack });
  const segs = t.tcpOut();
  assert.equal(segs[0]!.seq, ack);
  assert.equal(segs.length, 3, 'go-back-N from the hole');
});

test('tcp: backpressure both ways: the host stream pauses past sndBuf, the advertised window is what the host holds', () => {
  const t = setup({ limits: { sndBuf: 8192, rcvBuf: 16384 } });
  const { g, stream, iss } = established(t, 1000);
  t.tcpOut();
  // host -> guest: the guest's window is shut, the host keeps sending
  g.send(TCP_ACK, undefined, { ack: seqAdd(iss, 1), window: 0 });
  stream.ev.data(new Uint8Array(4096));
  assert.equal(stream.paused, false);
  stream.ev.data(new Uint8Array(4096));
  assert.equal(stream.paused, true, 'paused at sndBuf');
  assert.equal(t.tcpOut().length, 0, 'nothing into a zero window');
  t.advance(1000);
  const [probe] = t.tcpOut();
  assert.equal(probe!.payload.length, 0);
  assert.equal(probe!.seq, seqAdd(iss, 0), 'a zero-window probe asks the guest for its window');
  g.send(TCP_ACK, undefined, { ack: seqAdd(iss, 1), window: 65535 });
  assert.equal(t.tcpOut().reduce((n, s) => n + s.payload.length, 0), 8192);
  g.send(TCP_ACK, undefined, { ack: seqAdd(iss, 1 + 8192) });
  assert.equal(stream.paused, false, 'resumed once the guest took the data');
  // guest -> host: the host holds 12 KiB unflushed, so the window is 4 KiB and more is cut off
  stream.buffered = 12288;
  g.send(TCP_ACK, new Uint8Array(100));
  let [a] = t.tcpOut();
  assert.equal(a!.window, 16384 - 12288);
  const before = g.seq;
  g.send(TCP_ACK, new Uint8Array(6000).fill(1));
  [a] = t.tcpOut();
  assert.equal(a!.ack, seqAdd(before, 16384 - 12288), 'bytes beyond the window are not accepted');
  assert.equal(stream.written.reduce((n, b) => n + b.length, 0), 100 + 4096);
  stream.buffered = 0;
  stream.ev.drain();
  [a] = t.tcpOut();
  assert.equal(a!.window, 16384, 'a window update once the host drained');
});

test('tcp: many busy connections share one send budget, so the host holds a bounded total', () => {
  const t = setup({ limits: { sndBuf: 1 << 20, sndBudget: 1 << 20 } });
  const conns = Array.from({ length: 8 }, (_, i) => established(t, 1460, 36000 + i));
  t.tcpOut();
  for (const c of conns) for (let k = 0; k < 200 && !c.stream.paused; k++) c.stream.ev.data(new Uint8Array(4096));
  // each of the 8 was paused at its share, 128 KiB (the guests acknowledged nothing)
  for (const c of conns) assert.ok(c.stream.paused);
  assert.equal(t.net.connections.tcp, 8);
  const queued = t.net.queuedToGuest();
  assert.ok(queued <= (1 << 20) + 8 * 4096, `the host holds ${queued} bytes`);
  assert.ok(queued >= (1 << 20) - 8 * 4096);
});

test('tcp: FIN both ways closes the connection; the guest\'s RST aborts the host stream; a host error resets the guest', () => {
  const t = setup();
  let { g, stream, iss } = established(t);
  t.tcpOut();
  g.send(TCP_FIN | TCP_ACK);
  assert.ok(stream.ended, 'the guest\'s FIN half-closes the host stream');
  let [a] = t.tcpOut();
  assert.equal(a!.ack, g.seq);
  stream.ev.data(new TextEncoder().encode('bye'));
  stream.ev.end();
  const segs = t.tcpOut();
  assert.equal(new TextDecoder().decode(segs[0]!.payload), 'bye');
  assert.equal(segs.at(-1)!.flags & TCP_FIN, TCP_FIN);
  g.send(TCP_ACK, undefined, { ack: seqAdd(iss, 1 + 3 + 1) });
  assert.equal(t.net.connections.tcp, 0, 'both FINs acknowledged: gone');
  assert.equal(stream.destroyed, false, 'an orderly close does not abort the host side');

  ({ g, stream } = established(t, 1460, 33001));
  t.tcpOut();
  g.send(TCP_RST | TCP_ACK);
  assert.ok(stream.destroyed);
  assert.equal(t.net.connections.tcp, 0);

  ({ g, stream } = established(t, 1460, 33002));
  t.tcpOut();
  stream.ev.close('read ECONNRESET');
  [a] = t.tcpOut();
  assert.equal(a!.flags & TCP_RST, TCP_RST);
  assert.equal(t.net.connections.tcp, 0);
});

test('tcp: a refused host connection and a segment for no connection get RSTs', () => {
  const t = setup();
  const g = guestTcp(t.net, 34000, GW, 1, 5000);
  g.send(TCP_SYN);
  t.host.streams[0]!.ev.close('connect ECONNREFUSED 127.0.0.1:1');
  let [r] = t.tcpOut();
  assert.equal(r!.flags, TCP_RST | TCP_ACK);
  assert.equal(r!.ack, 5001);
  assert.equal(t.net.connections.tcp, 0);
  const h = guestTcp(t.net, 34001, GW, 80, 7000);
  h.send(TCP_ACK, new Uint8Array(10), { ack: 12345 });
  [r] = t.tcpOut();
  assert.equal(r!.flags, TCP_RST);
  assert.equal(r!.seq, 12345);
});

test('tcp: the connection table is bounded; a SYN flood gets RSTs and the table stays at its limit', () => {
  const t = setup({ limits: { maxTcp: 8 } });
  for (let p = 1; p <= 1000; p++) guestTcp(t.net, 40000 + p, ip4('192.0.2.1'), 80).send(TCP_SYN);
  assert.equal(t.net.connections.tcp, 8);
  assert.equal(t.host.streams.length, 8);
  assert.equal(t.net.stats.tcpRefused, 992);
  assert.equal(t.tcpOut().filter((s) => s.flags & TCP_RST).length, 992);
  t.advance(30_000); // none of the host connections completed
  assert.equal(t.net.connections.tcp, 0, 'half-open connections time out');
  assert.ok(t.host.streams.every((s) => s.destroyed));
});

test('tcp: established connections with no traffic time out', () => {
  const t = setup({ limits: { idleTimeoutMs: 60_000 } });
  const { stream } = established(t);
  t.advance(59_000);
  assert.equal(t.net.connections.tcp, 1);
  t.advance(1000);
  assert.equal(t.net.connections.tcp, 0);
  assert.ok(stream.destroyed);
});

test('tcp host forwarder: an accepted host connection opens one into the guest; the host side stays paused until it is up', async () => {
  const t = setup({ hostForwards: [{ proto: 'tcp', hostAddr: '127.0.0.1', hostPort: 2222, guestPort: 22 }] });
  await t.net.start();
  guestTcp(t.net, 1, GW, 9).send(TCP_RST); // the guest has been on the link (its MAC is known)
  t.frames.length = 0;
  const hs = t.host.accept('127.0.0.1:2222');
  assert.ok(hs.paused);
  const [syn] = t.tcpOut();
  assert.equal(syn!.flags, TCP_SYN);
  assert.equal(syn!.dport, 22);
  assert.equal(syn!.dst, GUEST);
  assert.equal(syn!.src, GW);
  assert.ok(syn!.sport >= 49152);
  const g = guestTcp(t.net, 22, GW, syn!.sport, 9000);
  g.ack = seqAdd(syn!.seq, 1);
  g.send(TCP_SYN | TCP_ACK, undefined, { mss: 1460 });
  const [ack] = t.tcpOut();
  assert.equal(ack!.flags, TCP_ACK);
  assert.equal(ack!.ack, 9001);
  assert.equal(hs.paused, false);
  hs.ev.data(new TextEncoder().encode('SSH-2.0-test\r\n'));
  assert.equal(new TextDecoder().decode(t.tcpOut()[0]!.payload), 'SSH-2.0-test\r\n');
  g.send(TCP_ACK | TCP_PSH, new TextEncoder().encode('SSH-2.0-guest\r\n'));
  assert.equal(hs.text(), 'SSH-2.0-guest\r\n');
  t.net.close();
  assert.ok(hs.destroyed);
});

function dhcpMessage(type: number, extra: number[] = [], xid = 0x11223344): Uint8Array {
  const m = new Uint8Array(300);
  const v = new DataView(m.buffer);
  m[0] = 1; m[1] = 1; m[2] = 6;
  v.setUint32(4, xid);
  m.set(GUEST_MAC, 28);
  v.setUint32(236, 0x63825363);
  m.set([53, 1, type, ...extra, 255], 240);
  return m;
}

function dhcpReply(f: Uint8Array): { type: number; yiaddr: number; opts: Map<number, number[]>; dst: number; dport: number } {
  const v = new DataView(f.buffer, f.byteOffset, f.length);
  assert.equal(f[23], 17);
  const p = f.subarray(42);
  const opts = new Map<number, number[]>();
  for (let at = 240; p[at] !== 255;) { opts.set(p[at]!, [...p.subarray(at + 2, at + 2 + p[at + 1]!)]); at += 2 + p[at + 1]!; }
  return { type: opts.get(53)![0]!, yiaddr: v.getUint32(42 + 16), opts, dst: v.getUint32(30), dport: v.getUint16(36) };
}

test('dhcp: DISCOVER gets an OFFER of 10.0.2.15 with router, DNS, mask and lease; REQUEST an ACK; a wrong address a NAK', () => {
  const t = setup({ provider: null });
  const send = (m: Uint8Array): void => t.net.send(udpFrame(Uint8Array.from([255, 255, 255, 255, 255, 255]), GUEST_MAC, 0, 68, 0xffffffff, 67, m, 1));
  send(dhcpMessage(1));
  const offer = dhcpReply(t.frames.shift()!);
  assert.equal(offer.type, 2);
  assert.equal(offer.yiaddr, GUEST);
  assert.deepEqual(offer.opts.get(3), [10, 0, 2, 2]);
  assert.deepEqual(offer.opts.get(6), [10, 0, 2, 3]);
  assert.deepEqual(offer.opts.get(1), [255, 255, 255, 0]);
  assert.deepEqual(offer.opts.get(54), [10, 0, 2, 2]);
  assert.deepEqual(offer.opts.get(51), [0, 1, 0x51, 0x80], 'a lease of 86400 s');
  assert.equal(offer.dport, 68);
  send(dhcpMessage(3, [50, 4, 10, 0, 2, 15, 54, 4, 10, 0, 2, 2]));
  const ack = dhcpReply(t.frames.shift()!);
  assert.equal(ack.type, 5);
  assert.equal(ack.yiaddr, GUEST);
  send(dhcpMessage(3, [50, 4, 10, 0, 2, 99]));
  assert.equal(dhcpReply(t.frames.shift()!).type, 6, 'NAK for an address that is not the lease');
  send(dhcpMessage(3, [50, 4, 10, 0, 2, 15, 54, 4, 10, 9, 9, 9]));
  assert.equal(t.frames.length, 0, 'a REQUEST to another server is not answered');
});

test('dns and udp: queries to 10.0.2.3 go to the provider\'s resolver and only its answers come back; flows are bounded', () => {
  const t = setup({ limits: { maxUdp: 4, udpIdleMs: 10_000 } });
  t.net.send(udpFrame(GW_MAC, GUEST_MAC, GUEST, 40000, DNS, 53, Uint8Array.of(1, 2, 3), 1));
  const u = t.host.udps[0]!;
  assert.deepEqual(u.sent[0]!.to, { host: '127.0.0.1', port: 5353 });
  u.onMessage(Uint8Array.of(9, 9), { host: '127.0.0.1', port: 5353 });
  u.onMessage(Uint8Array.of(6, 6), { host: '127.0.0.1', port: 9999 }); // not the resolver: dropped
  assert.equal(t.frames.length, 1);
  const f = t.frames.shift()!;
  const v = new DataView(f.buffer);
  assert.equal(v.getUint32(26), DNS);
  assert.equal(v.getUint16(34), 53);
  assert.equal(v.getUint16(36), 40000);
  assert.equal(l4Checksum(f, 14, 34, f.length - 34, 17), 0);
  for (let p = 1; p <= 20; p++) t.net.send(udpFrame(GW_MAC, GUEST_MAC, GUEST, 41000 + p, ip4('192.0.2.7'), 7, Uint8Array.of(p), 1));
  assert.equal(t.net.connections.udp, 4);
  assert.equal(t.host.udps.filter((x) => !x.closed).length, 4, 'evicted flows close their host sockets');
  t.advance(10_000);
  assert.equal(t.net.connections.udp, 0, 'idle flows expire');
});

test('restrict=on and no provider: nothing leaves, but DHCP, ARP and ping still answer', () => {
  for (const opts of [{ restrict: true }, { provider: null }] as UserNetOptions[]) {
    const t = setup(opts);
    guestTcp(t.net, 35000, GW, 80).send(TCP_SYN);
    const [r] = t.tcpOut();
    assert.equal(r!.flags & TCP_RST, TCP_RST);
    t.net.send(udpFrame(GW_MAC, GUEST_MAC, GUEST, 40000, DNS, 53, Uint8Array.of(1), 1));
    t.net.send(udpFrame(GW_MAC, GUEST_MAC, GUEST, 40001, ip4('192.0.2.1'), 53, Uint8Array.of(1), 1));
    if (t.host) {
      assert.equal(t.host.streams.length, 0);
      assert.equal(t.host.udps.length, 0);
    }
    assert.equal(t.net.stats.udpDropped, 2);
    t.net.send(udpFrame(Uint8Array.from([255, 255, 255, 255, 255, 255]), GUEST_MAC, 0, 68, 0xffffffff, 67, dhcpMessage(1), 1));
    assert.equal(dhcpReply(t.frames.shift()!).type, 2);
  }
});

test('checksums: corrupted TCP segments are ignored', () => {
  const t = setup();
  const f = tcpFrame(GW_MAC, GUEST_MAC, { src: GUEST, sport: 1, dst: GW, dport: 80, seq: 1, ack: 0, flags: TCP_SYN, window: 100 }, 0, null, 1);
  f[40] ^= 1;
  t.net.send(f);
  assert.equal(t.host.streams.length, 0);
  assert.equal(t.net.stats.ignored, 1);
});

test('udp host forwarder: a host datagram reaches the guest port from a gateway port, and the guest\'s answer goes back to its sender', async () => {
  const t = setup({ hostForwards: [{ proto: 'udp', hostAddr: '127.0.0.1', hostPort: 5555, guestPort: 53 }] });
  await t.net.start();
  const fwd = t.host.udps.find((u) => u.bound?.port === 5555)!;
  t.net.send(udpFrame(GW_MAC, GUEST_MAC, GUEST, 1, GW, 9, Uint8Array.of(0), 1)); // the guest is on the link
  t.frames.length = 0;
  fwd.onMessage(new TextEncoder().encode('query'), { host: '127.0.0.1', port: 41000 });
  const f = t.frames.shift()!;
  const v = new DataView(f.buffer);
  assert.equal(v.getUint32(26), GW);
  assert.equal(v.getUint32(30), GUEST);
  assert.equal(v.getUint16(36), 53);
  const gwPort = v.getUint16(34);
  assert.equal(new TextDecoder().decode(f.subarray(42)), 'query');
  t.net.send(udpFrame(GW_MAC, GUEST_MAC, GUEST, 53, GW, gwPort, new TextEncoder().encode('answer'), 1));
  assert.deepEqual(fwd.sent.map((s) => [new TextDecoder().decode(s.bytes), s.to]), [['answer', { host: '127.0.0.1', port: 41000 }]]);
  // a second host client gets its own gateway port
  fwd.onMessage(Uint8Array.of(1), { host: '127.0.0.1', port: 41001 });
  assert.notEqual(new DataView(t.frames.shift()!.buffer).getUint16(34), gwPort);
});

/** The window scale option in a SYN frame's TCP options, if any. */
function wscaleOption(f: Uint8Array): number | undefined {
  const end = 34 + (f[46]! >> 4) * 4;
  for (let at = 54; at < end;) {
    if (f[at] === 0) return undefined;
    if (f[at] === 1) { at++; continue; }
    if (f[at] === 3) return f[at + 2];
    at += f[at + 1]!;
  }
  return undefined;
}

test('tcp: window scaling (RFC 7323) when the guest offers it: both shifts apply after the SYNs, not before; none without it', () => {
  const t = setup();
  const g = guestTcp(t.net, 33000, GW, 80);
  g.send(TCP_SYN, undefined, { mss: 1460, wscale: 7 });
  t.host.streams[0]!.ev.connect();
  const synAckFrame = t.frames[0]!;
  const [sa] = t.tcpOut();
  assert.equal(wscaleOption(synAckFrame), 2, 'the smallest shift that says the 128 KiB receive buffer');
  assert.equal(sa!.window, 65535, 'a SYN\'s window is never scaled');
  g.ack = seqAdd(sa!.seq, 1);
  g.send(TCP_ACK, undefined, { window: 100 }); // 100 << 7 = 12800 bytes
  g.send(TCP_ACK | TCP_PSH, new Uint8Array(10).fill(1), { window: 100 });
  const [ack] = t.tcpOut();
  assert.equal(ack!.window, (128 * 1024) >> 2, 'our window, scaled by our shift');
  t.host.streams[0]!.ev.data(new Uint8Array(20000).fill(3));
  const segs = t.tcpOut();
  assert.equal(segs.reduce((n, x) => n + x.payload.length, 0), 12800, 'the guest\'s window, scaled by its shift');
  // a guest that does not offer it: no option in the SYN-ACK and unscaled windows
  const t2 = setup();
  const g2 = guestTcp(t2.net, 33001, GW, 80);
  g2.send(TCP_SYN, undefined, { mss: 1460 });
  t2.host.streams[0]!.ev.connect();
  assert.equal(wscaleOption(t2.frames[0]!), undefined);
  const [sa2] = t2.tcpOut();
  g2.ack = seqAdd(sa2!.seq, 1);
  g2.send(TCP_ACK | TCP_PSH, new Uint8Array(10), { window: 3000 });
  assert.equal(t2.tcpOut()[0]!.window, 65535);
  t2.host.streams[0]!.ev.data(new Uint8Array(20000));
  assert.equal(t2.tcpOut().reduce((n, x) => n + x.payload.length, 0), 3000);
});

test('tcp: to a guest that takes TSO, host data goes out in segments of up to 64 KiB, each marked with the MSS it stands for', () => {
  const t = setup();
  const gso: (number | undefined)[] = [];
  t.net.attach((f, size) => { t.frames.push(f); gso.push(size); }, { guestTso: true });
  const g = guestTcp(t.net, 33000, GW, 80);
  g.send(TCP_SYN, undefined, { mss: 1460, wscale: 7 });
  const stream = t.host.streams[0]!;
  stream.ev.connect();
  const [sa] = t.tcpOut();
  g.ack = seqAdd(sa!.seq, 1);
  g.send(TCP_ACK, undefined, { window: 4096 }); // 512 KiB
  gso.length = 0;
  stream.ev.data(new Uint8Array(200_000).fill(9));
  const segs = t.tcpOut();
  assert.deepEqual(segs.map((x) => x.payload.length), [65455, 65455, 65455, 3635]);
  assert.deepEqual(gso, [1460, 1460, 1460, 1460]);
  assert.ok(segs.every((x) => x.payload.every((b) => b === 9)));
});

test('tcp: the guest\'s data is acknowledged late: once the event loop runs, or at once when half the window is owed or on FIN', async () => {
  const t = setup({ timers: true });
  try {
    const { g, stream } = established(t);
    t.tcpOut();
    for (let i = 0; i < 3; i++) g.send(TCP_ACK | TCP_PSH, new Uint8Array(1000).fill(i));
    assert.equal(stream.written.length, 3, 'the data went to the host at once');
    assert.equal(t.tcpOut().length, 0, 'the ACK waits');
    await new Promise((r) => setTimeout(r, 5));
    const acks = t.tcpOut();
    assert.equal(acks.length, 1, 'one ACK for the three segments');
    assert.equal(acks[0]!.ack, g.seq);
    // half of the 64 KiB window owed: acknowledged without waiting
    for (let i = 0; i < 40; i++) g.send(TCP_ACK, new Uint8Array(1000));
    const early = t.tcpOut();
    assert.ok(early.length >= 1 && early.length <= 2, `${early.length} ACKs for 40 KB`);
    assert.ok(seqAdd(early[0]!.ack, 0) !== acks[0]!.ack);
    await new Promise((r) => setTimeout(r, 5));
    t.tcpOut();
    g.send(TCP_ACK | TCP_FIN, new Uint8Array(10));
    const [finAck] = t.tcpOut();
    assert.equal(finAck!.ack, g.seq, 'a FIN is acknowledged at once');
  } finally { t.net.close(); }
});

test('checksum offload: a segment the device marks as a partial checksum is taken unverified; the same bytes unmarked are dropped', () => {
  const t = setup();
  const { g, stream } = established(t);
  g.send(TCP_ACK | TCP_PSH, new TextEncoder().encode('partial'), { csumPartial: true });
  assert.equal(stream.text(), 'partial');
  const before = g.seq;
  g.send(TCP_ACK | TCP_PSH, new TextEncoder().encode('corrupt'), { seq: before });
  // the same corruption without the device's mark: a bad checksum
  const frame = tcpFrame(GW_MAC, GUEST_MAC, { src: GUEST, sport: 33000, dst: GW, dport: 80, seq: before, ack: g.ack, flags: TCP_ACK | TCP_PSH, window: 65535 }, 3, (f, at) => f.set([1, 2, 3], at), 1);
  frame[50] ^= 0xff;
  t.net.send(frame);
  assert.equal(stream.text(), 'partialcorrupt', 'only the well-formed segment was taken');
});
