// Node TCP transport for the GDB stub (src/vmm/gdb-stub.ts): `--gdb=[HOST:]PORT`, 127.0.0.1 unless a host is given.
import { createServer, type Server, type Socket } from 'node:net';
import type { GdbStub, GdbTransport } from '../vmm/gdb-stub.js';
import { UsageError } from './errors.js';

export const DEFAULT_GDB_HOST = '127.0.0.1';

/** Parses `PORT` or `HOST:PORT` (IPv6 hosts in brackets: `[::1]:1234`). */
export function parseGdbAddress(spec: string): { host: string; port: number } {
  const m = /^(?:(\[[0-9a-fA-F:]+\]|[^:]*):)?(\d+)$/.exec(spec.trim());
  if (!m) throw new UsageError(`--gdb '${spec}': expected PORT or HOST:PORT, e.g. --gdb=1234 or --gdb=127.0.0.1:1234`);
  const port = Number(m[2]);
  if (port < 0 || port > 65535) throw new UsageError(`--gdb '${spec}': port ${port} is not in 0..65535`);
  const host = m[1] ? m[1].replace(/^\[|\]$/g, '') : DEFAULT_GDB_HOST;
  return { host, port };
}

/** Replies queued for a GDB that does not read them: past this the connection is dropped, not the host's memory. */
export const GDB_MAX_PENDING_BYTES = 16 << 20;

function socketTransport(socket: Socket, log: (msg: string) => void): GdbTransport {
  return {
    send: (bytes) => {
      if (socket.destroyed) return;
      if (socket.writableLength + bytes.length > GDB_MAX_PENDING_BYTES) {
        log(`gdb: dropping the connection: it left ${socket.writableLength} bytes of replies unread`);
        socket.destroy();
        return;
      }
      socket.write(bytes);
    },
    onData: (cb) => { socket.on('data', (chunk: Buffer) => cb(new Uint8Array(chunk))); },
    onClose: (cb) => { socket.on('close', cb); },
    close: () => { socket.end(); },
  };
}

export interface GdbServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Listens for GDB; one connection at a time (a second one is closed right away). */
export async function startGdbServer(stub: GdbStub, addr: { host: string; port: number }, log: (msg: string) => void): Promise<GdbServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', (e) => log(`gdb connection: ${e.message}`));
    if (!stub.attach(socketTransport(socket, log))) {
      log('gdb: refusing a second connection while one is attached');
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new UsageError(`--gdb ${addr.host}:${addr.port}: ${e.message}`)));
    server.listen(addr.port, addr.host, () => resolve());
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : addr.port;
  return {
    host: addr.host,
    port,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
