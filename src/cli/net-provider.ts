// The user-mode network's host side in Node: the SocketProvider of src/vmm/net/provider.ts over node:net and
// node:dgram, and the default DNS resolver (the host's, from /etc/resolv.conf). Streams are half-open capable
// (a guest's FIN half-closes the host socket, as slirp does) and forwarders' accepted sockets start paused so
// nothing is read before the guest has completed its side of the handshake.
import { createConnection, createServer, isIPv6, type Socket } from 'node:net';
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import type { AcceptedTcp, HostAddress, HostListener, SocketProvider, TcpStream, TcpStreamEvents, UdpSocket } from '../vmm/net/provider.js';

/** Datagrams handed to the kernel and not yet confirmed per UDP socket; more are dropped (a flooding guest). */
const MAX_UDP_PENDING = 64;

/** The first nameserver of /etc/resolv.conf (port 53), or null. */
export function hostResolver(path = '/etc/resolv.conf'): HostAddress | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m) return { host: m[1]!.replace(/%.*$/, ''), port: 53 };
  }
  return null;
}

const oneLine = (e: Error): string => e.message.split('\n')[0]!;
/** Why a bind failed, without repeating the address: "EADDRINUSE: address already in use". */
const bindReason = (e: Error): string => {
  const code = (e as { code?: string }).code;
  return code === 'EADDRINUSE' ? 'EADDRINUSE: address already in use' : code === 'EACCES' ? 'EACCES: permission denied' : oneLine(e);
};

function stream(s: Socket, ev: TcpStreamEvents): TcpStream {
  let err: string | null = null;
  s.setNoDelay(true);
  s.on('connect', () => ev.connect());
  s.on('data', (b: Buffer) => ev.data(new Uint8Array(b.buffer, b.byteOffset, b.length)));
  s.on('end', () => ev.end());
  s.on('drain', () => ev.drain());
  s.on('error', (e) => { err = oneLine(e); });
  s.on('close', () => ev.close(err));
  return {
    write: (b) => { if (!s.destroyed) s.write(b); },
    get buffered() { return s.writableLength; },
    end: () => { if (!s.destroyed) s.end(); },
    destroy: () => { s.destroy(); },
    pause: () => { s.pause(); },
    resume: () => { s.resume(); },
  };
}

function udp(onMessage: (bytes: Uint8Array, from: HostAddress) => void): { sock: (v6: boolean) => DgramSocket; send: UdpSocket['send']; close: () => void } {
  let sock: DgramSocket | null = null;
  let pending = 0;
  const open = (v6: boolean): DgramSocket => {
    if (sock) return sock;
    const s = createSocket(v6 ? 'udp6' : 'udp4');
    s.on('message', (b, rinfo) => onMessage(new Uint8Array(b.buffer, b.byteOffset, b.length), { host: rinfo.address, port: rinfo.port }));
    s.on('error', () => {}); // a datagram socket's errors (ICMP unreachable) are not the stack's to handle
    s.unref();
    return (sock = s);
  };
  return {
    sock: open,
    send: (bytes, to) => {
      if (pending >= MAX_UDP_PENDING) return false;
      pending++;
      open(isIPv6(to.host)).send(bytes, to.port, to.host, () => { pending--; });
      return true;
    },
    close: () => { try { sock?.close(); } catch { /* already closed */ } },
  };
}

export class NodeSocketProvider implements SocketProvider {
  constructor(readonly dnsServer: HostAddress | null) {}

  connectTcp(to: HostAddress, events: TcpStreamEvents): TcpStream {
    return stream(createConnection({ host: to.host, port: to.port, allowHalfOpen: true }), events);
  }

  openUdp(onMessage: (bytes: Uint8Array, from: HostAddress) => void): UdpSocket {
    const u = udp(onMessage);
    return { send: u.send, close: u.close };
  }

  bindUdp(at: HostAddress, onMessage: (bytes: Uint8Array, from: HostAddress) => void): Promise<UdpSocket> {
    const u = udp(onMessage);
    const s = u.sock(isIPv6(at.host));
    return new Promise((resolve, reject) => {
      const fail = (e: Error): void => { u.close(); reject(new Error(`cannot bind ${at.host}:${at.port} (${bindReason(e)})`)); };
      s.once('error', fail);
      s.bind(at.port, at.host, () => {
        s.off('error', fail);
        resolve({ send: u.send, close: u.close });
      });
    });
  }

  listenTcp(at: HostAddress, onAccept: (conn: AcceptedTcp) => void): Promise<HostListener> {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (sock) => {
      onAccept({
        remote: { host: sock.remoteAddress ?? '', port: sock.remotePort ?? 0 },
        attach: (ev) => stream(sock, ev),
      });
    });
    server.unref();
    return new Promise((resolve, reject) => {
      server.once('error', (e) => reject(new Error(`cannot listen on ${at.host}:${at.port} (${bindReason(e)})`)));
      server.listen(at.port, at.host, () => resolve({ close: () => { server.close(); } }));
    });
  }
}
