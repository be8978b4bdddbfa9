// DHCP server (RFC 2131/2132) of the user-mode network, as slirp's bootp.c serves it: the guest gets the
// first address of a small pool (10.0.2.15 for the first MAC, QEMU's choice), the gateway as router and server
// identifier, the stack's DNS address, and a lease time. Leases are kept per MAC in a bounded pool; a REQUEST
// for an address that is not the client's lease gets a NAK so the client starts over.

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
const MAGIC = 0x63825363;
const BOOTP_MIN = 236 + 4; // fixed part + magic cookie

export const DHCPDISCOVER = 1;
export const DHCPOFFER = 2;
export const DHCPREQUEST = 3;
export const DHCPDECLINE = 4;
export const DHCPACK = 5;
export const DHCPNAK = 6;
export const DHCPRELEASE = 7;
export const DHCPINFORM = 8;

const OPT_SUBNET = 1;
const OPT_ROUTER = 3;
const OPT_DNS = 6;
const OPT_BROADCAST = 28;
const OPT_REQUESTED_IP = 50;
const OPT_LEASE = 51;
const OPT_MSG_TYPE = 53;
const OPT_SERVER_ID = 54;
const OPT_T1 = 58;
const OPT_T2 = 59;
const OPT_END = 255;
const OPT_PAD = 0;

export interface DhcpConfig {
  server: number;
  dns: number;
  netmask: number;
  /** first address handed out; the pool is `poolSize` consecutive addresses */
  poolStart: number;
  poolSize: number;
  leaseSeconds: number;
}

export interface DhcpReply {
  /** the BOOTP payload (UDP from server port 67 to client port 68) */
  payload: Uint8Array;
  /** IP destination: the offered address, or broadcast when the client asked for it or has none yet */
  broadcast: boolean;
  yiaddr: number;
  type: number;
}

export class DhcpServer {
  private readonly leases = new Map<string, number>();
  constructor(private readonly cfg: DhcpConfig) {}

  /** The address leased to `mac` (hex key), if any. */
  leaseOf(mac: string): number | undefined {
    return this.leases.get(mac);
  }

  /** Answers one BOOTREQUEST; null when it is not one or needs no answer (RELEASE, DECLINE, malformed). */
  handle(msg: Uint8Array): DhcpReply | null {
    if (msg.length < BOOTP_MIN || msg[0] !== 1 || msg[1] !== 1 || msg[2] !== 6) return null;
    const v = new DataView(msg.buffer, msg.byteOffset, msg.length);
    if (v.getUint32(236) !== MAGIC) return null;
    const opts = parseOptions(msg, 240);
    if (!opts) return null;
    const type = opts.get(OPT_MSG_TYPE)?.[0];
    const mac = Array.from(msg.subarray(28, 34), (b) => b.toString(16).padStart(2, '0')).join(':');
    const ciaddr = v.getUint32(12);
    const wantsBroadcast = (v.getUint16(10) & 0x8000) !== 0;
    switch (type) {
      case DHCPDISCOVER: {
        const ip = this.allocate(mac);
        if (ip === null) return null; // pool exhausted: stay silent as slirp does
        return this.reply(msg, DHCPOFFER, ip, true); // the client has no address yet
      }
      case DHCPREQUEST: {
        const req = opts.get(OPT_REQUESTED_IP);
        const wanted = req && req.length === 4 ? new DataView(req.buffer, req.byteOffset, 4).getUint32(0) : ciaddr;
        const server = opts.get(OPT_SERVER_ID);
        // a REQUEST naming another server is for that server
        if (server && server.length === 4 && new DataView(server.buffer, server.byteOffset, 4).getUint32(0) !== this.cfg.server) return null;
        const ip = this.leases.get(mac) ?? (wanted ? this.allocate(mac, wanted) : this.allocate(mac));
        if (ip === null || (wanted !== 0 && wanted !== ip)) return this.reply(msg, DHCPNAK, 0, true);
        return this.reply(msg, DHCPACK, ip, wantsBroadcast || ciaddr === 0);
      }
      case DHCPINFORM:
        return this.reply(msg, DHCPACK, 0, false, ciaddr);
      case DHCPRELEASE:
        this.leases.delete(mac);
        return null;
      default:
        return null;
    }
  }

  private allocate(mac: string, wanted?: number): number | null {
    const have = this.leases.get(mac);
    if (have !== undefined) return have;
    const used = new Set(this.leases.values());
    const { poolStart, poolSize } = this.cfg;
    if (wanted !== undefined && wanted >= poolStart && wanted < poolStart + poolSize && !used.has(wanted)) {
      this.leases.set(mac, wanted);
      return wanted;
    }
    for (let i = 0; i < poolSize; i++) {
      const ip = (poolStart + i) >>> 0;
      if (!used.has(ip)) {
        this.leases.set(mac, ip);
        return ip;
      }
    }
    return null;
  }

  private reply(req: Uint8Array, type: number, yiaddr: number, broadcast: boolean, ciaddr = 0): DhcpReply {
    const c = this.cfg;
    const opts: [number, number[]][] = [[OPT_MSG_TYPE, [type]], [OPT_SERVER_ID, be32(c.server)]];
    if (type !== DHCPNAK) {
      if (type !== DHCPACK || yiaddr !== 0) {
        opts.push([OPT_LEASE, be32(c.leaseSeconds)], [OPT_T1, be32(c.leaseSeconds >>> 1)], [OPT_T2, be32(Math.floor(c.leaseSeconds * 7 / 8))]);
      }
      opts.push([OPT_SUBNET, be32(c.netmask)], [OPT_ROUTER, be32(c.server)], [OPT_DNS, be32(c.dns)],
        [OPT_BROADCAST, be32(((c.server & c.netmask) | ~c.netmask) >>> 0)]);
    }
    const optBytes = opts.reduce((n, [, d]) => n + 2 + d.length, 0) + 1;
    const out = new Uint8Array(Math.max(300, 240 + optBytes));
    const v = new DataView(out.buffer);
    out[0] = 2; // BOOTREPLY
    out[1] = 1;
    out[2] = 6;
    out.set(req.subarray(4, 8), 4); // xid
    out.set(req.subarray(10, 12), 10); // flags
    v.setUint32(12, ciaddr);
    v.setUint32(16, yiaddr);
    v.setUint32(20, type === DHCPNAK ? 0 : c.server); // siaddr
    out.set(req.subarray(24, 44), 24); // giaddr, chaddr
    v.setUint32(236, MAGIC);
    let at = 240;
    for (const [code, data] of opts) {
      out[at++] = code;
      out[at++] = data.length;
      out.set(data, at);
      at += data.length;
    }
    out[at] = OPT_END;
    return { payload: out, broadcast, yiaddr, type };
  }
}

const be32 = (x: number): number[] => [(x >>> 24) & 255, (x >>> 16) & 255, (x >>> 8) & 255, x & 255];

/** DHCP options from `at` to END; null when one runs past the message. */
function parseOptions(msg: Uint8Array, at: number): Map<number, Uint8Array> | null {
  const out = new Map<number, Uint8Array>();
  while (at < msg.length) {
    const code = msg[at++]!;
    if (code === OPT_PAD) continue;
    if (code === OPT_END) return out;
    if (at >= msg.length) return null;
    const len = msg[at++]!;
    if (at + len > msg.length) return null;
    out.set(code, msg.subarray(at, at + len));
    at += len;
  }
  return out;
}
