// A user-mode network stack behind virtio-net, in the manner of QEMU's slirp and kvmtool's uip: the guest
// sees a 10.0.2.0/24 network with a gateway at 10.0.2.2 (which is also the host: connections to it go to the
// host's 127.0.0.1), a DNS resolver at 10.0.2.3 (queries forwarded to a host resolver) and a DHCP server that
// leases 10.0.2.15. The guest's TCP connections are terminated here (net/tcp.ts) and its UDP flows NATed; both
// reach the outside through a SocketProvider, which the browser does not have (outbound off) and src/cli
// implements with Node sockets. Host forwarders accept on the host and open connections into the guest.
// Every table is bounded (connections, UDP flows, DHCP leases) and every buffer too (net/tcp.ts), so a guest
// that floods gets refusals and drops, never unbounded host memory.
import { VmmError } from '../errors.js';
import { parseMac, type NetBackend, type NetLink } from './virtio-net.js';
import { DhcpServer, DHCP_CLIENT_PORT, DHCP_SERVER_PORT } from '../net/dhcp.js';
import { DEFAULT_TCP_LIMITS, TcpConnection, type GuestSegment, type TcpHost, type TcpLimits } from '../net/tcp.js';
import type { AcceptedTcp, HostAddress, HostListener, SocketProvider, UdpSocket } from '../net/provider.js';
import {
  ETH_HLEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, IP_PROTO_ICMP, IP_PROTO_TCP, IP_PROTO_UDP, TCP_ACK, TCP_RST, TCP_SYN, TCP_FIN,
  UDP_HLEN, TCP_HLEN, internetChecksum, ip4, ip4String, parseIpv4, l4Checksum, parseIpv4Frame, tcpFrame, udpFrame, seqAdd,
  type Ip4, type Ipv4View, type TcpSegment,
} from '../net/wire.js';

export { internetChecksum, parseIpv4 } from '../net/wire.js';

const ICMP_ECHO_REQUEST = 8;
const ICMP_ECHO_REPLY = 0;
const LOOPBACK = '127.0.0.1';

/** A host forwarder: connections to hostAddr:hostPort on the host are opened to guestAddr:guestPort. */
export interface HostForward {
  proto: 'tcp' | 'udp';
  hostAddr: string;
  hostPort: number;
  /** default: the guest's DHCP address (10.0.2.15) */
  guestAddr?: string;
  guestPort: number;
}

export interface UserNetLimits extends TcpLimits {
  /** TCP connections at once (guest- and host-opened); more SYNs are refused with an RST */
  maxTcp: number;
  /** UDP flows at once; the least recently used outbound flow makes room for a new one */
  maxUdp: number;
  udpIdleMs: number;
}

export const DEFAULT_LIMITS: UserNetLimits = { ...DEFAULT_TCP_LIMITS, maxTcp: 256, maxUdp: 64, udpIdleMs: 60_000 };

export interface UserNetOptions {
  /** Default 10.0.2.2 (QEMU's user-mode gateway address). */
  gatewayIp?: string;
  /** Default 52:55:0a:00:02:02. */
  gatewayMac?: string;
  /** How to reach host sockets; none (a browser): the guest gets DHCP, ARP and ping, nothing goes out. */
  provider?: SocketProvider | null;
  /** QEMU's restrict=on: nothing the guest opens leaves the stack (host forwarders still work). */
  restrict?: boolean;
  hostForwards?: readonly HostForward[];
  limits?: Partial<UserNetLimits>;
  /** Milliseconds clock (default performance.now). */
  now?: () => number;
  /** Run the stack's own 100 ms timer (default true); tests call tick() instead. */
  timers?: boolean;
}

export interface UserNetStats {
  arpReplies: number;
  echoReplies: number;
  dhcpReplies: number;
  dnsQueries: number;
  tcpOpened: number;
  tcpRefused: number;
  tcpResets: number;
  udpSent: number;
  udpDropped: number;
  ignored: number;
}

interface UdpFlow {
  key: string;
  guestIp: Ip4;
  guestPort: number;
  remoteIp: Ip4;
  remotePort: number;
  toHost(bytes: Uint8Array): boolean;
  close(): void;
  lastUsed: number;
  /** opened by a host forwarder (never evicted for an outbound one) */
  forwarded: boolean;
}

const flowKey = (gip: Ip4, gport: number, rip: Ip4, rport: number): string => `${gip}:${gport}>${rip}:${rport}`;

export class UserNetBackend implements NetBackend {
  /** every frame for the guest is built here with its checksums */
  readonly checksummed = true;
  /** the guest's TCP ends here, so its segments may be of any size and carry partial checksums (TSO) */
  readonly segmentOffload = true;
  readonly gatewayIp: Uint8Array;
  readonly gatewayMac: Uint8Array;
  readonly stats: UserNetStats = {
    arpReplies: 0, echoReplies: 0, dhcpReplies: 0, dnsQueries: 0, tcpOpened: 0, tcpRefused: 0, tcpResets: 0,
    udpSent: 0, udpDropped: 0, ignored: 0,
  };
  readonly limits: UserNetLimits;
  readonly gateway: Ip4;
  readonly dns: Ip4;
  readonly guestDefault: Ip4;
  private readonly netmask = 0xffffff00;
  private readonly network: Ip4;
  private readonly provider: SocketProvider | null;
  private readonly restrict: boolean;
  private readonly forwards: readonly HostForward[];
  private readonly dhcp: DhcpServer;
  private readonly tcp = new Map<string, TcpConnection>();
  private readonly udp = new Map<string, UdpFlow>();
  private readonly listeners: (HostListener | UdpSocket)[] = [];
  private readonly now: () => number;
  private readonly tcpHost: TcpHost;
  private deliver: ((frame: Uint8Array, gsoSize?: number) => void) | undefined;
  private link: NetLink | null = null;
  private guestMac: Uint8Array | null = null;
  private ipId = 0;
  private nextPort = 49152;
  private timer: unknown = null;
  private readonly acksOwed = new Set<TcpConnection>();
  private ackTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(opts: UserNetOptions = {}) {
    this.gatewayIp = parseIpv4(opts.gatewayIp ?? '10.0.2.2');
    this.gatewayMac = parseMac(opts.gatewayMac ?? '52:55:0a:00:02:02');
    this.gateway = ip4(opts.gatewayIp ?? '10.0.2.2');
    this.network = (this.gateway & this.netmask) >>> 0;
    this.dns = (this.network | 3) >>> 0;
    this.guestDefault = (this.network | 15) >>> 0;
    this.provider = opts.provider ?? null;
    this.restrict = opts.restrict ?? false;
    this.forwards = opts.hostForwards ?? [];
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.now = opts.now ?? (() => performance.now());
    this.dhcp = new DhcpServer({
      server: this.gateway, dns: this.dns, netmask: this.netmask, poolStart: this.guestDefault, poolSize: 16, leaseSeconds: 86400,
    });
    const self = this;
    this.tcpHost = {
      now: () => self.now(),
      limits: this.limits,
      emit: (seg, len, fill, mss) => self.emitTcp(seg, len, fill, mss),
      maxSegment: (mss) => (self.link?.guestTso ? MAX_TSO_PAYLOAD : mss),
      // a stack driven by tick() (tests) acknowledges at once: nothing else would run the delayed ACK's timer
      ...(opts.timers ?? true ? { ackSoon: (conn: TcpConnection) => self.ackSoon(conn) } : {}),
      connections: () => self.tcp.size,
      removed: (conn, reason) => {
        if (self.tcp.get(conn.key) === conn) self.tcp.delete(conn.key);
        if (reason !== 'closed') self.stats.tcpResets++;
      },
    };
    for (const f of this.forwards) {
      if (f.guestAddr !== undefined) ip4(f.guestAddr);
      if (f.proto !== 'tcp' && f.proto !== 'udp') throw new VmmError(`hostfwd protocol '${String(f.proto)}': expected tcp or udp`);
    }
    if (this.forwards.length > 0 && !this.provider) throw new VmmError('hostfwd needs host sockets, which this machine does not have');
    if (opts.timers ?? true) {
      const t = setInterval(() => this.tick(this.now()), 100);
      (t as { unref?: () => void }).unref?.();
      this.timer = t;
    }
  }

  /** Binds the host forwarders; rejects with a one-line reason (e.g. the port is taken). */
  async start(): Promise<void> {
    const p = this.provider;
    if (!p) return;
    for (const f of this.forwards) {
      const at = { host: f.hostAddr, port: f.hostPort };
      const guestIp = f.guestAddr !== undefined ? ip4(f.guestAddr) : this.guestDefault;
      try {
        if (f.proto === 'tcp') this.listeners.push(await p.listenTcp(at, (conn) => this.acceptTcp(conn, guestIp, f.guestPort)));
        else {
          const flows = new Map<string, UdpFlow>();
          const sock: UdpSocket = await p.bindUdp(at, (bytes, from) => this.forwardedUdp(sock, flows, from, guestIp, f.guestPort, bytes));
          this.listeners.push(sock);
        }
      } catch (e) {
        throw new VmmError(`hostfwd=${f.proto}:${f.hostAddr}:${f.hostPort}-:${f.guestPort}: ${(e as Error).message}`);
      }
    }
  }

  /** Closes every host socket and listener; the stack drops everything afterwards. */
  close(): void {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer as ReturnType<typeof setInterval>);
    this.timer = null;
    if (this.ackTimer !== null) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    this.acksOwed.clear();
    for (const c of [...this.tcp.values()]) c.finish('the network was shut down', true);
    for (const f of this.udp.values()) f.close();
    this.udp.clear();
    for (const l of this.listeners) l.close();
    this.listeners.length = 0;
  }

  get connections(): { tcp: number; udp: number } {
    return { tcp: this.tcp.size, udp: this.udp.size };
  }

  /** Host bytes all TCP connections hold for the guest (sent and unacknowledged, or not yet sent). */
  queuedToGuest(): number {
    let n = 0;
    for (const c of this.tcp.values()) n += c.stats.sendQueued;
    return n;
  }

  attach(deliver: (frame: Uint8Array, gsoSize?: number) => void, link?: NetLink): void {
    this.deliver = deliver;
    this.link = link ?? null;
  }

  /** A frame from the guest; `csumPartial`: its TCP/UDP checksum is the pseudo-header's only (not verified). */
  send(frame: Uint8Array, csumPartial = false): void {
    if (this.closed || frame.length < ETH_HLEN) return;
    const v = new DataView(frame.buffer, frame.byteOffset, frame.length);
    if (!(frame[6]! & 1)) this.guestMac = frame.slice(6, 12);
    const type = v.getUint16(12);
    let handled = false;
    if (type === ETHERTYPE_ARP) handled = this.arp(frame, v);
    else if (type === ETHERTYPE_IPV4) {
      const ip = parseIpv4Frame(frame, v);
      if (ip) {
        if (ip.proto === IP_PROTO_ICMP) handled = this.icmp(frame, ip);
        else if (ip.proto === IP_PROTO_UDP) handled = this.udpIn(frame, v, ip, csumPartial);
        else if (ip.proto === IP_PROTO_TCP) handled = this.tcpIn(frame, v, ip, csumPartial);
      }
    }
    if (!handled) this.stats.ignored++;
  }

  /** Runs timers: retransmissions, handshake and idle timeouts, idle UDP flows. */
  tick(now: number): void {
    for (const c of [...this.tcp.values()]) c.tick(now);
    for (const [k, f] of this.udp) {
      if (now - f.lastUsed >= this.limits.udpIdleMs) {
        f.close();
        this.udp.delete(k);
      }
    }
  }

  private out(frame: Uint8Array): void {
    this.deliver?.(frame);
  }

  private isOurs(ip: Ip4): boolean {
    return ip === this.gateway || ip === this.dns;
  }

  // --- ARP and ICMP ---

  private arp(frame: Uint8Array, v: DataView): boolean {
    // Ethernet/IPv4 ARP requests for the gateway's or the resolver's address
    if (frame.length < 42 || v.getUint16(14) !== 1 || v.getUint16(16) !== ETHERTYPE_IPV4 || frame[18] !== 6 || frame[19] !== 4) return false;
    if (v.getUint16(20) !== 1 || !this.isOurs(v.getUint32(38))) return false;
    const senderMac = frame.slice(22, 28);
    const out = new Uint8Array(42);
    const o = new DataView(out.buffer);
    out.set(senderMac, 0);
    out.set(this.gatewayMac, 6);
    o.setUint16(12, ETHERTYPE_ARP);
    o.setUint16(14, 1);
    o.setUint16(16, ETHERTYPE_IPV4);
    out[18] = 6;
    out[19] = 4;
    o.setUint16(20, 2); // reply
    out.set(this.gatewayMac, 22);
    out.set(frame.subarray(38, 42), 28);
    out.set(senderMac, 32);
    out.set(frame.subarray(28, 32), 38);
    this.stats.arpReplies++;
    this.out(out);
    return true;
  }

  private icmp(frame: Uint8Array, ip: Ipv4View): boolean {
    if (!this.isOurs(ip.dst) || ip.l4Len < 8) return false;
    const icmp = frame.subarray(ip.l4, ip.l4 + ip.l4Len);
    if (icmp[0] !== ICMP_ECHO_REQUEST || internetChecksum(icmp) !== 0) return false;
    const out = frame.slice(0, ip.l4 + ip.l4Len);
    const o = new DataView(out.buffer);
    out.set(frame.subarray(6, 12), 0);
    out.set(this.gatewayMac, 6);
    o.setUint32(26, ip.dst);
    o.setUint32(30, ip.src);
    out[22] = 64;
    o.setUint16(24, 0);
    o.setUint16(24, internetChecksum(out.subarray(ETH_HLEN, ip.l4)));
    const reply = out.subarray(ip.l4);
    reply[0] = ICMP_ECHO_REPLY;
    o.setUint16(ip.l4 + 2, 0);
    o.setUint16(ip.l4 + 2, internetChecksum(reply));
    this.stats.echoReplies++;
    this.out(out);
    return true;
  }

  // --- UDP ---

  private udpIn(frame: Uint8Array, v: DataView, ip: Ipv4View, csumPartial: boolean): boolean {
    if (ip.l4Len < UDP_HLEN) return false;
    const ulen = v.getUint16(ip.l4 + 4);
    if (ulen < UDP_HLEN || ulen > ip.l4Len) return false;
    if (!csumPartial && v.getUint16(ip.l4 + 6) !== 0 && l4Checksum(frame, ETH_HLEN, ip.l4, ulen, IP_PROTO_UDP) !== 0) return false;
    const sport = v.getUint16(ip.l4);
    const dport = v.getUint16(ip.l4 + 2);
    const payload = frame.subarray(ip.l4 + UDP_HLEN, ip.l4 + ulen);
    if (dport === DHCP_SERVER_PORT && (ip.dst === 0xffffffff || ip.dst === this.gateway)) return this.dhcpIn(payload);
    const key = flowKey(ip.src, sport, ip.dst, dport);
    let flow = this.udp.get(key);
    if (!flow) {
      const target = this.outboundTarget(ip.dst, dport);
      if (!target) { this.stats.udpDropped++; return true; }
      if (ip.dst === this.dns) this.stats.dnsQueries++;
      flow = this.openUdpFlow(key, ip.src, sport, ip.dst, dport, target);
    }
    flow.lastUsed = this.now();
    if (flow.toHost(payload.slice())) this.stats.udpSent++;
    else this.stats.udpDropped++;
    return true;
  }

  /** Where a guest's packet to dst:port goes on the host; null when it may not leave. */
  private outboundTarget(dst: Ip4, port: number): HostAddress | null {
    if (!this.provider || this.restrict) return null;
    if (dst === this.dns) return port === 53 ? this.provider.dnsServer : null;
    if (dst === this.gateway) return { host: LOOPBACK, port };
    if ((dst & this.netmask) >>> 0 === this.network) return null; // nobody else lives on the virtual network
    if (dst === 0xffffffff || (dst >>> 28) >= 14 || (dst >>> 24) === 0 || (dst >>> 24) === 127) return null;
    return { host: ip4String(dst), port };
  }

  private openUdpFlow(key: string, gip: Ip4, gport: number, rip: Ip4, rport: number, target: HostAddress): UdpFlow {
    this.makeUdpRoom();
    const flow: UdpFlow = {
      key, guestIp: gip, guestPort: gport, remoteIp: rip, remotePort: rport, lastUsed: this.now(), forwarded: false,
      toHost: (b) => sock.send(b, target),
      close: () => sock.close(),
    };
    const sock = this.provider!.openUdp((bytes, from) => {
      // only the flow's own peer may answer (a NAT, not an open relay)
      if (from.port !== target.port || !sameHost(from.host, target.host)) return;
      if (this.udp.get(key) !== flow) return;
      flow.lastUsed = this.now();
      this.udpToGuest(flow, bytes);
    });
    this.udp.set(key, flow);
    return flow;
  }

  private makeUdpRoom(): void {
    if (this.udp.size < this.limits.maxUdp) return;
    let oldest: UdpFlow | null = null;
    for (const f of this.udp.values()) if (!oldest || f.lastUsed < oldest.lastUsed) oldest = f;
    if (oldest) {
      oldest.close();
      this.udp.delete(oldest.key);
    }
  }

  private forwardedUdp(sock: UdpSocket, flows: Map<string, UdpFlow>, from: HostAddress, guestIp: Ip4, guestPort: number, bytes: Uint8Array): void {
    if (this.closed) return;
    const fk = `${from.host}|${from.port}`;
    let flow = flows.get(fk);
    if (!flow || this.udp.get(flow.key) !== flow) {
      this.makeUdpRoom();
      const port = this.allocPort();
      const key = flowKey(guestIp, guestPort, this.gateway, port);
      const f: UdpFlow = {
        key, guestIp, guestPort, remoteIp: this.gateway, remotePort: port, lastUsed: this.now(), forwarded: true,
        toHost: (b) => sock.send(b, from),
        close: () => { flows.delete(fk); },
      };
      flows.set(fk, f);
      this.udp.set(key, f);
      flow = f;
    }
    flow.lastUsed = this.now();
    this.udpToGuest(flow, bytes);
  }

  private udpToGuest(flow: UdpFlow, bytes: Uint8Array): void {
    if (!this.guestMac || bytes.length > 1500 - 28) { this.stats.udpDropped++; return; }
    this.out(udpFrame(this.guestMac, this.gatewayMac, flow.remoteIp, flow.remotePort, flow.guestIp, flow.guestPort, bytes, this.ipId++));
  }

  private dhcpIn(payload: Uint8Array): boolean {
    const r = this.dhcp.handle(payload);
    if (!r) return true;
    const mac = payload.slice(28, 34);
    const dst = r.broadcast || r.yiaddr === 0 ? 0xffffffff : r.yiaddr;
    this.stats.dhcpReplies++;
    this.out(udpFrame(mac, this.gatewayMac, this.gateway, DHCP_SERVER_PORT, dst, DHCP_CLIENT_PORT, r.payload, this.ipId++));
    return true;
  }

  // --- TCP ---

  private tcpIn(frame: Uint8Array, v: DataView, ip: Ipv4View, csumPartial: boolean): boolean {
    if (ip.l4Len < TCP_HLEN) return false;
    const hlen = (frame[ip.l4 + 12]! >> 4) * 4;
    if (hlen < TCP_HLEN || hlen > ip.l4Len) return false;
    if (!csumPartial && l4Checksum(frame, ETH_HLEN, ip.l4, ip.l4Len, IP_PROTO_TCP) !== 0) return false;
    const flags = frame[ip.l4 + 13]! & 0x3f;
    const seg: GuestSegment = {
      seq: v.getUint32(ip.l4 + 4), ack: v.getUint32(ip.l4 + 8), flags, window: v.getUint16(ip.l4 + 14),
      mss: flags & TCP_SYN ? tcpOption(frame, ip.l4 + TCP_HLEN, ip.l4 + hlen, TCP_OPT_MSS) : undefined,
      wscale: flags & TCP_SYN ? tcpOption(frame, ip.l4 + TCP_HLEN, ip.l4 + hlen, TCP_OPT_WSCALE) : undefined,
      payload: frame.subarray(ip.l4 + hlen, ip.l4 + ip.l4Len),
    };
    const sport = v.getUint16(ip.l4);
    const dport = v.getUint16(ip.l4 + 2);
    const key = flowKey(ip.src, sport, ip.dst, dport);
    const conn = this.tcp.get(key);
    if (conn) { conn.segment(seg); return true; }
    if ((seg.flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN) {
      const target = ip.dst === this.dns && dport === 53 && this.provider && !this.restrict ? this.provider.dnsServer : this.outboundTarget(ip.dst, dport);
      if (!target || this.tcp.size >= this.limits.maxTcp) {
        this.stats.tcpRefused++;
        this.resetFor(ip, sport, dport, seg);
        return true;
      }
      const c = new TcpConnection(this.tcpHost, key, ip.src, sport, ip.dst, dport, 'by-guest', seg);
      this.tcp.set(key, c);
      this.stats.tcpOpened++;
      c.stream = this.provider!.connectTcp(target, c.events());
      return true;
    }
    if (!(seg.flags & TCP_RST)) this.resetFor(ip, sport, dport, seg);
    return true;
  }

  /** RFC 793's answer to a segment for no connection. */
  private resetFor(ip: Ipv4View, sport: number, dport: number, seg: GuestSegment): void {
    const len = seg.payload.length + (seg.flags & TCP_SYN ? 1 : 0) + (seg.flags & TCP_FIN ? 1 : 0);
    const s: TcpSegment = seg.flags & TCP_ACK
      ? { src: ip.dst, sport: dport, dst: ip.src, dport: sport, seq: seg.ack, ack: 0, flags: TCP_RST, window: 0 }
      : { src: ip.dst, sport: dport, dst: ip.src, dport: sport, seq: 0, ack: seqAdd(seg.seq, len), flags: TCP_RST | TCP_ACK, window: 0 };
    this.emitTcp(s, 0, null);
  }

  /**
   * Delayed ACKs: owed ones go out from a zero-delay timer, which runs once the vCPU slice that received the data
   * has returned to the event loop (the guest went idle or used its slice).
   */
  private ackSoon(conn: TcpConnection): void {
    this.acksOwed.add(conn);
    if (this.ackTimer !== null) return;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = null;
      const owed = [...this.acksOwed];
      this.acksOwed.clear();
      for (const c of owed) c.flushAck();
    }, 0);
  }

  /** `mss`: the connection's segment size; a longer payload goes to the guest as one TSO frame standing for several. */
  private emitTcp(seg: TcpSegment, len: number, fill: ((frame: Uint8Array, at: number) => void) | null, mss = Infinity): void {
    if (!this.guestMac) return;
    this.deliver?.(tcpFrame(this.guestMac, this.gatewayMac, seg, len, fill, this.ipId++), len > mss ? mss : undefined);
  }

  private acceptTcp(accepted: AcceptedTcp, guestIp: Ip4, guestPort: number): void {
    if (this.closed || !this.guestMac || this.tcp.size >= this.limits.maxTcp) {
      // no guest on the link yet, or the table is full: the host client sees its connection closed
      this.stats.tcpRefused++;
      const s = accepted.attach({ connect() {}, data() {}, end() {}, drain() {}, close() {} });
      s.destroy();
      return;
    }
    const port = this.allocPort();
    const key = flowKey(guestIp, guestPort, this.gateway, port);
    const c = new TcpConnection(this.tcpHost, key, guestIp, guestPort, this.gateway, port, 'by-host');
    this.tcp.set(key, c);
    this.stats.tcpOpened++;
    const s = accepted.attach(c.events());
    s.pause(); // until the guest completes the handshake
    c.stream = s;
  }

  /** A gateway port for a host-opened flow that no current flow uses. */
  private allocPort(): number {
    for (let i = 0; i < 16384; i++) {
      const p = this.nextPort;
      this.nextPort = p >= 65535 ? 49152 : p + 1;
      const used = [...this.tcp.values()].some((c) => c.remotePort === p && c.remoteIp === this.gateway)
        || [...this.udp.values()].some((f) => f.remotePort === p && f.remoteIp === this.gateway);
      if (!used) return p;
    }
    throw new VmmError('internal error: no free gateway port for a host forwarder');
  }
}

function sameHost(a: string, b: string): boolean {
  const strip = (h: string): string => (h.startsWith('::ffff:') ? h.slice(7) : h);
  return strip(a) === strip(b) || (b === 'localhost' && (a === '127.0.0.1' || a === '::1'));
}

const TCP_OPT_MSS = 2;
const TCP_OPT_WSCALE = 3;
/** The most payload one TSO frame to the guest carries: the largest IPv4 packet less IP and TCP headers with options. */
const MAX_TSO_PAYLOAD = 65535 - 20 - 60;

/** A TCP header option's value (MSS: 16 bits; window scale: 8), if present. */
function tcpOption(frame: Uint8Array, at: number, end: number, want: number): number | undefined {
  while (at < end) {
    const kind = frame[at]!;
    if (kind === 0) return undefined;
    if (kind === 1) { at++; continue; }
    if (at + 1 >= end) return undefined;
    const len = frame[at + 1]!;
    if (len < 2 || at + len > end) return undefined;
    if (kind === want && want === TCP_OPT_MSS && len === 4) return (frame[at + 2]! << 8) | frame[at + 3]!;
    if (kind === want && want === TCP_OPT_WSCALE && len === 3) return frame[at + 2]!;
    at += len;
  }
  return undefined;
}
