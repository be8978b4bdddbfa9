// Wire formats of the user-mode network: Ethernet, IPv4, UDP and TCP headers, as offsets into one frame
// buffer. Frames from the guest are read in place through a DataView; frames for the guest are built in a
// single allocation (header and payload together) because virtio-net copies each one into a guest buffer.
import { VmmError } from '../errors.js';

export const ETH_HLEN = 14;
export const IP_HLEN = 20;
export const UDP_HLEN = 8;
export const TCP_HLEN = 20;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const IP_PROTO_ICMP = 1;
export const IP_PROTO_TCP = 6;
export const IP_PROTO_UDP = 17;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** An IPv4 address as an unsigned 32-bit number (network order value), cheaper to key and compare than bytes. */
export type Ip4 = number;

export function parseIpv4(ip: string): Uint8Array {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new VmmError(`bad IPv4 address '${ip}'`);
  return Uint8Array.from(parts.map(Number));
}

export const ip4 = (s: string): Ip4 => {
  const b = parseIpv4(s);
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
};
export const ip4String = (a: Ip4): string => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;

/** Sums 16-bit big-endian words of data[start, end) onto `sum` (not folded). */
function sum16(data: Uint8Array, start: number, end: number, sum: number): number {
  let i = start;
  for (; i + 1 < end; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
  if (i < end) sum += data[i]! << 8;
  return sum;
}

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** The Internet checksum (RFC 1071) of `data`. */
export function internetChecksum(data: Uint8Array): number {
  return ~fold(sum16(data, 0, data.length, 0)) & 0xffff;
}

/**
 * The TCP/UDP checksum over the IPv4 pseudo-header and frame[l4, l4+len); the IP addresses are read from the
 * IPv4 header at `ip`. Zero when a received segment's checksum is right.
 */
export function l4Checksum(frame: Uint8Array, ip: number, l4: number, len: number, proto: number): number {
  let sum = sum16(frame, ip + 12, ip + 20, 0) + proto + len;
  sum = sum16(frame, l4, l4 + len, sum);
  return ~fold(sum) & 0xffff;
}

/** A parsed IPv4 packet inside an Ethernet frame (offsets into the frame). */
export interface Ipv4View {
  src: Ip4;
  dst: Ip4;
  proto: number;
  /** offset of the transport header */
  l4: number;
  /** bytes from l4 to the end of the IP payload */
  l4Len: number;
}

/** Validates the IPv4 header of an Ethernet frame; null for anything malformed, fragmented or mis-summed. */
export function parseIpv4Frame(frame: Uint8Array, v: DataView): Ipv4View | null {
  if (frame.length < ETH_HLEN + IP_HLEN || frame[ETH_HLEN]! >> 4 !== 4) return null;
  const ihl = (frame[ETH_HLEN]! & 0xf) * 4;
  const total = v.getUint16(ETH_HLEN + 2);
  if (ihl < IP_HLEN || total < ihl || ETH_HLEN + total > frame.length) return null;
  // fragments are not reassembled (the guest's path MTU is the link's, so it sends none)
  if (v.getUint16(ETH_HLEN + 6) & 0x3fff) return null;
  if (internetChecksum(frame.subarray(ETH_HLEN, ETH_HLEN + ihl)) !== 0) return null;
  return {
    src: v.getUint32(ETH_HLEN + 12), dst: v.getUint32(ETH_HLEN + 16), proto: frame[ETH_HLEN + 9]!,
    l4: ETH_HLEN + ihl, l4Len: total - ihl,
  };
}

/** Ethernet + IPv4 header with a payload of `l4Len` bytes to fill in from offset 34; checksummed IP header. */
export function ipv4Frame(dstMac: Uint8Array, srcMac: Uint8Array, src: Ip4, dst: Ip4, proto: number, l4Len: number, id: number): { frame: Uint8Array; v: DataView } {
  const frame = new Uint8Array(ETH_HLEN + IP_HLEN + l4Len);
  const v = new DataView(frame.buffer);
  frame.set(dstMac, 0);
  frame.set(srcMac, 6);
  v.setUint16(12, ETHERTYPE_IPV4);
  frame[14] = 0x45;
  v.setUint16(16, IP_HLEN + l4Len);
  v.setUint16(18, id & 0xffff);
  v.setUint16(20, 0x4000); // DF: the stack never fragments
  frame[22] = 64;
  frame[23] = proto;
  v.setUint32(26, src);
  v.setUint32(30, dst);
  v.setUint16(24, internetChecksum(frame.subarray(ETH_HLEN, ETH_HLEN + IP_HLEN)));
  return { frame, v };
}

export const L4 = ETH_HLEN + IP_HLEN;

/** A UDP datagram frame. */
export function udpFrame(dstMac: Uint8Array, srcMac: Uint8Array, src: Ip4, sport: number, dst: Ip4, dport: number, payload: Uint8Array, id: number): Uint8Array {
  const len = UDP_HLEN + payload.length;
  const { frame, v } = ipv4Frame(dstMac, srcMac, src, dst, IP_PROTO_UDP, len, id);
  v.setUint16(L4, sport);
  v.setUint16(L4 + 2, dport);
  v.setUint16(L4 + 4, len);
  frame.set(payload, L4 + UDP_HLEN);
  const c = l4Checksum(frame, ETH_HLEN, L4, len, IP_PROTO_UDP);
  v.setUint16(L4 + 6, c === 0 ? 0xffff : c);
  return frame;
}

export interface TcpSegment {
  src: Ip4;
  sport: number;
  dst: Ip4;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** MSS option (SYN segments only) */
  mss?: number;
  /** window scale option, the shift (SYN segments only; RFC 7323) */
  wscale?: number;
}

/** A TCP segment frame; `fill` writes `payloadLen` bytes at the given offset of the frame. */
export function tcpFrame(dstMac: Uint8Array, srcMac: Uint8Array, s: TcpSegment, payloadLen: number, fill: ((frame: Uint8Array, at: number) => void) | null, id: number): Uint8Array {
  const optLen = (s.mss !== undefined ? 4 : 0) + (s.wscale !== undefined ? 4 : 0);
  const hlen = TCP_HLEN + optLen;
  const len = hlen + payloadLen;
  const { frame, v } = ipv4Frame(dstMac, srcMac, s.src, s.dst, IP_PROTO_TCP, len, id);
  v.setUint16(L4, s.sport);
  v.setUint16(L4 + 2, s.dport);
  v.setUint32(L4 + 4, s.seq >>> 0);
  v.setUint32(L4 + 8, s.ack >>> 0);
  frame[L4 + 12] = (hlen / 4) << 4;
  frame[L4 + 13] = s.flags;
  v.setUint16(L4 + 14, s.window);
  let opt = L4 + TCP_HLEN;
  if (s.mss !== undefined) {
    frame[opt] = 2;
    frame[opt + 1] = 4;
    v.setUint16(opt + 2, s.mss);
    opt += 4;
  }
  if (s.wscale !== undefined) {
    frame[opt] = 1; // NOP, so the option ends on a 32-bit boundary
    frame[opt + 1] = 3;
    frame[opt + 2] = 3;
    frame[opt + 3] = s.wscale;
  }
  if (fill && payloadLen > 0) fill(frame, L4 + hlen);
  v.setUint16(L4 + 16, l4Checksum(frame, ETH_HLEN, L4, len, IP_PROTO_TCP));
  return frame;
}

/** Signed distance a - b in 32-bit sequence space. */
export const seqDiff = (a: number, b: number): number => (a - b) | 0;
export const seqAdd = (a: number, n: number): number => (a + n) >>> 0;
