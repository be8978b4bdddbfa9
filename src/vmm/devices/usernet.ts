// A user-mode network backend with nothing behind it but a gateway: it answers ARP for the
// gateway's IPv4 address and ICMP echo requests sent to it, so a guest can `ping` the gateway.
import { VmmError } from '../errors.js';
import { parseMac, type NetBackend } from './virtio-net.js';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const IP_PROTO_ICMP = 1;
const ICMP_ECHO_REQUEST = 8;
const ICMP_ECHO_REPLY = 0;

export function parseIpv4(ip: string): Uint8Array {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new VmmError(`bad IPv4 address '${ip}'`);
  return Uint8Array.from(parts.map(Number));
}

/** The Internet checksum (RFC 1071) of `data`. */
export function internetChecksum(data: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < data.length; i += 2) sum += (data[i] << 8) | data[i + 1];
  if (data.length & 1) sum += data[data.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

export interface UserNetOptions {
  /** Default 10.0.2.2 (QEMU's user-mode gateway address). */
  gatewayIp?: string;
  /** Default 52:55:0a:00:02:02. */
  gatewayMac?: string;
}

export interface UserNetStats {
  arpReplies: number;
  echoReplies: number;
  ignored: number;
}

export class UserNetBackend implements NetBackend {
  readonly gatewayIp: Uint8Array;
  readonly gatewayMac: Uint8Array;
  readonly stats: UserNetStats = { arpReplies: 0, echoReplies: 0, ignored: 0 };
  private deliver: ((frame: Uint8Array) => void) | undefined;

  constructor(opts: UserNetOptions = {}) {
    this.gatewayIp = parseIpv4(opts.gatewayIp ?? '10.0.2.2');
    this.gatewayMac = parseMac(opts.gatewayMac ?? '52:55:0a:00:02:02');
  }

  attach(deliver: (frame: Uint8Array) => void): void {
    this.deliver = deliver;
  }

  send(frame: Uint8Array): void {
    const reply = this.answer(frame);
    if (reply) this.deliver?.(reply);
    else this.stats.ignored++;
  }

  private answer(frame: Uint8Array): Uint8Array | null {
    if (frame.length < 14) return null;
    const eth = new DataView(frame.buffer, frame.byteOffset, frame.length);
    const type = eth.getUint16(12);
    if (type === ETHERTYPE_ARP) return this.arp(frame, eth);
    if (type === ETHERTYPE_IPV4) return this.ipv4(frame, eth);
    return null;
  }

  private arp(frame: Uint8Array, v: DataView): Uint8Array | null {
    // Ethernet/IPv4 ARP request asking for the gateway
    if (frame.length < 42 || v.getUint16(14) !== 1 || v.getUint16(16) !== ETHERTYPE_IPV4 || frame[18] !== 6 || frame[19] !== 4) return null;
    if (v.getUint16(20) !== 1 || !equal(frame.subarray(38, 42), this.gatewayIp)) return null;
    const senderMac = frame.slice(22, 28);
    const senderIp = frame.slice(28, 32);
    const out = new Uint8Array(42);
    const o = new DataView(out.buffer);
    out.set(senderMac, 0);
    out.set(this.gatewayMac, 6);
    o.setUint16(12, ETHERTYPE_ARP);
    o.setUint16(14, 1); // hardware: Ethernet
    o.setUint16(16, ETHERTYPE_IPV4);
    out[18] = 6;
    out[19] = 4;
    o.setUint16(20, 2); // reply
    out.set(this.gatewayMac, 22);
    out.set(this.gatewayIp, 28);
    out.set(senderMac, 32);
    out.set(senderIp, 38);
    this.stats.arpReplies++;
    return out;
  }

  private ipv4(frame: Uint8Array, v: DataView): Uint8Array | null {
    if (frame.length < 34 || frame[14] >> 4 !== 4) return null;
    const ihl = (frame[14] & 0xf) * 4;
    const totalLength = v.getUint16(16);
    if (ihl < 20 || totalLength < ihl + 8 || 14 + totalLength > frame.length) return null;
    if (frame[23] !== IP_PROTO_ICMP || !equal(frame.subarray(30, 34), this.gatewayIp)) return null;
    if (v.getUint16(20) & 0x3fff) return null; // fragments are not reassembled
    const ip = frame.subarray(14, 14 + ihl);
    if (internetChecksum(ip) !== 0) return null;
    const icmp = frame.subarray(14 + ihl, 14 + totalLength);
    if (icmp[0] !== ICMP_ECHO_REQUEST || internetChecksum(icmp) !== 0) return null;

    const out = frame.slice(0, 14 + totalLength);
    const o = new DataView(out.buffer);
    out.set(frame.subarray(6, 12), 0); // to the sender
    out.set(this.gatewayMac, 6);
    out.set(frame.subarray(30, 34), 26); // src = gateway
    out.set(frame.subarray(26, 30), 30); // dst = guest
    out[22] = 64; // TTL
    o.setUint16(24, 0);
    o.setUint16(24, internetChecksum(out.subarray(14, 14 + ihl)));
    const reply = out.subarray(14 + ihl);
    reply[0] = ICMP_ECHO_REPLY;
    o.setUint16(14 + ihl + 2, 0);
    o.setUint16(14 + ihl + 2, internetChecksum(reply));
    this.stats.echoReplies++;
    return out;
  }
}
