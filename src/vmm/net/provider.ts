// The host side of the user-mode network: what the stack needs from the machine it runs on to reach real
// sockets. The stack (browser-safe) terminates the guest's TCP and UDP itself and talks to the host only in
// streams and datagrams through this interface; src/cli implements it with Node's net/dgram, and a page has
// none (outbound off). Streams are flow-controlled both ways: the stack pauses a stream when the guest cannot
// take more, and reads `buffered` to advertise only the window the host side has room for.

export interface HostAddress {
  host: string;
  port: number;
}

/** Events of one host TCP stream, called by the provider. After `close` none follow. */
export interface TcpStreamEvents {
  /** An outbound connection is established. */
  connect(): void;
  data(bytes: Uint8Array): void;
  /** The host peer half-closed (no more data). */
  end(): void;
  /** Everything written so far has left the process. */
  drain(): void;
  /** The stream is gone: `error` says why when it failed (refused, reset, timed out), null on an orderly close. */
  close(error: string | null): void;
}

export interface TcpStream {
  write(bytes: Uint8Array): void;
  /** Bytes written and not yet handed to the host's kernel. */
  readonly buffered: number;
  /** Half-close: send FIN after what was written. */
  end(): void;
  /** Abort (RST): no more events except close. */
  destroy(): void;
  pause(): void;
  resume(): void;
}

/** A connection a host forwarder accepted; the stack attaches its events (the stream stays paused until then). */
export interface AcceptedTcp {
  readonly remote: HostAddress;
  attach(events: TcpStreamEvents): TcpStream;
}

export interface UdpSocket {
  /** false when the datagram was dropped (too many sends outstanding). */
  send(bytes: Uint8Array, to: HostAddress): boolean;
  close(): void;
}

export interface HostListener {
  close(): void;
}

export interface SocketProvider {
  /** Where DNS queries to the guest's resolver address go; null: none (queries are dropped). */
  readonly dnsServer: HostAddress | null;
  connectTcp(to: HostAddress, events: TcpStreamEvents): TcpStream;
  /** A UDP socket on an ephemeral port (one per guest flow), usable at once. */
  openUdp(onMessage: (bytes: Uint8Array, from: HostAddress) => void): UdpSocket;
  /** A UDP socket bound for a host forwarder; rejects with a one-line reason when it cannot bind. */
  bindUdp(at: HostAddress, onMessage: (bytes: Uint8Array, from: HostAddress) => void): Promise<UdpSocket>;
  /** A TCP listener for a host forwarder; rejects with a one-line reason when it cannot bind. */
  listenTcp(at: HostAddress, onAccept: (conn: AcceptedTcp) => void): Promise<HostListener>;
}
