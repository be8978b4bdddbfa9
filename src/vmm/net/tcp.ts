// One TCP connection of the user-mode network, terminated here: the guest talks real TCP (RFC 793/9293) to
// this end, and the bytes flow to and from a host stream (SocketProvider). Like slirp, the stack is the
// guest's peer, not a packet rewriter, so host and guest each get their own flow control:
// - guest -> host: the window advertised to the guest is what the host stream has room for (rcvBuf minus its
//   unflushed bytes), so a guest can never make the host buffer more than rcvBuf per connection;
// - host -> guest: host data waits in sendQ until the guest acknowledges it; past sndBuf the host stream is
//   paused, and it resumes when the guest has taken half of it.
// Retransmission is go-back-N from the oldest unacknowledged byte on a doubling timeout or on three duplicate
// ACKs (frames to the guest are lost only when its receive ring is full). Window scaling (RFC 7323) is offered,
// so more than 64 KiB can be in flight each way; SACK is not, and out-of-order segments are dropped and
// re-acknowledged (the link never reorders). Segments to the guest are as large as the host says it takes
// (maxSegment: 64 KiB ones when the guest's NIC does TSO, each then one frame standing for several MSS). State is a few flags rather than RFC 793's eleven names: each
// direction is open, finished by a FIN, or acknowledged, and the connection is gone when both are.
import type { TcpStream, TcpStreamEvents } from './provider.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, seqAdd, seqDiff, type Ip4, type TcpSegment } from './wire.js';

export interface TcpLimits {
  /** host -> guest bytes held per connection before the host stream is paused (at most; see sendLimit) */
  sndBuf: number;
  /** host -> guest bytes held by all connections together: each gets sndBuf or an equal share of this */
  sndBudget: number;
  /**
   * guest -> host bytes the host stream may hold unflushed per connection: the advertised window is this minus
   * what it holds (at most 64 KiB, unscaled), so twice that keeps the window open while the host flushes
   */
  rcvBuf: number;
  /** MSS the stack offers and the most it sends per segment (MTU 1500 - 40) */
  mss: number;
  initialRtoMs: number;
  maxRtoMs: number;
  /** retransmissions of the same data before the connection is reset */
  maxRetries: number;
  /** a guest SYN whose host connection has not completed by then is refused */
  connectTimeoutMs: number;
  /** an established connection with no traffic either way for this long is reset */
  idleTimeoutMs: number;
  /** a connection with a FIN outstanding either way and no traffic for this long is reset */
  closingTimeoutMs: number;
}

export const DEFAULT_TCP_LIMITS: TcpLimits = {
  sndBuf: 1024 * 1024, sndBudget: 16 * 1024 * 1024, rcvBuf: 128 * 1024, mss: 1460,
  initialRtoMs: 1000, maxRtoMs: 30_000, maxRetries: 8,
  connectTimeoutMs: 30_000, idleTimeoutMs: 2 * 3600_000, closingTimeoutMs: 120_000,
};

/** A segment from the guest, already checksum-verified. */
export interface GuestSegment {
  seq: number;
  ack: number;
  flags: number;
  window: number;
  mss: number | undefined;
  /** window scale option (SYN only) */
  wscale?: number | undefined;
  payload: Uint8Array;
}

/** What a connection needs from the stack. */
export interface TcpHost {
  now(): number;
  readonly limits: TcpLimits;
  /** Builds and delivers a segment to the guest; `fill` writes the payload; `mss` is the connection's segment size. */
  emit(seg: TcpSegment, payloadLen: number, fill: ((frame: Uint8Array, at: number) => void) | null, mss?: number): void;
  /** The largest payload one segment to the guest may carry, for a connection of this MSS (default: the MSS). */
  maxSegment?(mss: number): number;
  /**
   * Calls conn.flushAck() soon, once the guest has stopped running for now (the stack's delayed ACK); without it
   * every segment is acknowledged at once.
   */
  ackSoon?(conn: TcpConnection): void;
  /** Connections in the table (for each one's share of sndBudget). */
  connections(): number;
  /** The connection is finished; drop it from the table. */
  removed(conn: TcpConnection, reason: string): void;
}

export type TcpState = 'connecting' | 'syn-rcvd' | 'syn-sent' | 'established' | 'closed';

/** Bytes in arrival order; reads at an offset copy straight into a frame. */
class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0;
  length = 0;
  push(b: Uint8Array): void {
    if (b.length === 0) return;
    this.chunks.push(b);
    this.length += b.length;
  }
  copyOut(offset: number, n: number, dst: Uint8Array, at: number): void {
    let i = 0;
    let pos = this.head;
    while (offset > 0) {
      const left = this.chunks[i]!.length - pos;
      if (offset < left) { pos += offset; break; }
      offset -= left;
      i++;
      pos = 0;
    }
    while (n > 0) {
      const c = this.chunks[i]!;
      const take = Math.min(n, c.length - pos);
      dst.set(c.subarray(pos, pos + take), at);
      at += take;
      n -= take;
      i++;
      pos = 0;
    }
  }
  drop(n: number): void {
    this.length -= n;
    while (n > 0) {
      const left = this.chunks[0]!.length - this.head;
      if (n < left) { this.head += n; return; }
      n -= left;
      this.chunks.shift();
      this.head = 0;
    }
  }
}

let issCounter = 0x1000;

/** The window shift this end offers: the smallest that lets the window field say rcvBuf. */
function ourShift(rcvBuf: number): number {
  let s = 0;
  while (s < 14 && rcvBuf / 2 ** s > 0xffff) s++;
  return s;
}

export class TcpConnection {
  state: TcpState;
  stream: TcpStream | null = null;
  // send side (stack -> guest)
  private readonly iss: number;
  private sndUna: number;
  private sndNxt: number;
  private sndWnd = 0;
  private mss: number;
  /** window shifts (RFC 7323): the guest's, applied to the windows it sends; ours, to the ones we send. 0 unless both SYNs had the option */
  private sndShift = 0;
  private rcvShift = 0;
  /** the guest's SYN offered window scaling (so our SYN-ACK answers with it) */
  private guestScales = false;
  private readonly sendQ = new ByteQueue();
  private hostEof = false;
  private finSent = false;
  private finAcked = false;
  private hostPaused = false;
  private hostClosed = false;
  // receive side (guest -> stack)
  private rcvNxt = 0;
  private guestFin = false;
  private lastAdvWnd = 0;
  /** guest bytes taken since our last ACK (a delayed ACK is owed while non-zero) */
  private unacked = 0;
  // timers
  private rtoAt = 0;
  private rto: number;
  private retries = 0;
  private dupAcks = 0;
  private lastActivity: number;
  private readonly created: number;

  constructor(
    private readonly host: TcpHost,
    readonly key: string,
    readonly guestIp: Ip4, readonly guestPort: number,
    /** the far end as the guest sees it */
    readonly remoteIp: Ip4, readonly remotePort: number,
    opened: 'by-guest' | 'by-host',
    syn?: GuestSegment,
  ) {
    const l = host.limits;
    this.iss = (issCounter = (issCounter + 0x10000 + Math.floor(host.now() * 250)) >>> 0);
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.mss = l.mss;
    this.rto = l.initialRtoMs;
    this.created = this.lastActivity = host.now();
    if (opened === 'by-guest') {
      this.state = 'connecting';
      this.rcvNxt = seqAdd(syn!.seq, 1);
      this.sndWnd = syn!.window;
      this.mss = Math.min(l.mss, syn!.mss ?? 536);
      if (syn!.wscale !== undefined) { this.guestScales = true; this.sndShift = Math.min(14, syn!.wscale); this.rcvShift = ourShift(l.rcvBuf); }
    } else {
      this.state = 'syn-sent';
      this.sendSyn();
    }
  }

  /** Events for the host stream of this connection. */
  events(): TcpStreamEvents {
    return {
      connect: () => this.hostConnected(),
      data: (b) => this.hostData(b),
      end: () => this.hostEnd(),
      drain: () => this.hostDrain(),
      close: (err) => this.hostClose(err),
    };
  }

  get stats(): { sendQueued: number; inFlight: number; window: number } {
    return { sendQueued: this.sendQ.length, inFlight: seqDiff(this.sndNxt, this.sndUna), window: this.sndWnd };
  }

  // --- the guest's segments ---

  segment(s: GuestSegment): void {
    if (this.state === 'closed') return;
    this.lastActivity = this.host.now();
    if (s.flags & TCP_RST) {
      if (this.state === 'syn-sent' && !((s.flags & TCP_ACK) && s.ack === this.sndNxt)) return;
      this.finish('reset by the guest', false);
      return;
    }
    switch (this.state) {
      case 'connecting':
        return; // the guest retransmits its SYN while the host connects: the SYN-ACK follows the connect
      case 'syn-sent':
        if ((s.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK) && s.ack === this.sndNxt) {
          this.rcvNxt = seqAdd(s.seq, 1);
          this.sndUna = s.ack;
          this.sndWnd = s.window;
          this.mss = Math.min(this.host.limits.mss, s.mss ?? 536);
          if (s.wscale !== undefined) { this.sndShift = Math.min(14, s.wscale); this.rcvShift = ourShift(this.host.limits.rcvBuf); }
          this.established();
          this.sendAck();
          this.trySend();
        } else if (s.flags & TCP_ACK) {
          this.rst(s.ack);
        }
        return;
      case 'syn-rcvd':
        if ((s.flags & TCP_SYN) && !(s.flags & TCP_ACK)) { this.sendSynAck(); return; }
        if (!(s.flags & TCP_ACK)) return;
        if (s.ack !== seqAdd(this.iss, 1)) { this.rst(s.ack); return; }
        this.sndUna = s.ack;
        this.established();
        break;
      default:
        break;
    }
    if (s.flags & TCP_SYN) { this.sendAck(); return; } // a duplicate SYN: tell the guest where we are
    if (!(s.flags & TCP_ACK)) return;
    this.processAck(s);
    let needAck = false;
    let took = 0;
    const len = s.payload.length;
    if (len > 0 || (s.flags & TCP_FIN)) {
      const d = seqDiff(s.seq, this.rcvNxt);
      needAck = true;
      if (d <= 0 && -d <= len) {
        const off = -d;
        let n = len - off;
        const window = this.rcvWindow();
        let fin = (s.flags & TCP_FIN) !== 0;
        if (n > window) { n = window; fin = false; }
        if (n > 0) {
          if (this.guestFin || this.hostClosed || !this.stream) {
            this.finish('the host side is closed and the guest sent more data', true);
            return;
          }
          this.stream.write(s.payload.subarray(off, off + n));
          this.rcvNxt = seqAdd(this.rcvNxt, n);
          this.unacked += n;
          took = n;
        }
        if (fin && !this.guestFin) {
          this.rcvNxt = seqAdd(this.rcvNxt, 1);
          this.guestFin = true;
          if (!this.hostClosed) this.stream?.end();
        }
      }
      // else: out of order (the link dropped something) or wholly old: re-acknowledge rcvNxt
    }
    const sent = this.trySend();
    if (needAck && !sent) {
      // In-order data is acknowledged late, as a receiving TCP may (RFC 9293 3.8.6.3): when the guest stops
      // running or half the window is owed. A guest writing a little at a time then has data in flight, so its
      // Nagle and autocorking gather the writes into full (TSO) segments instead of one frame per write; an ACK
      // for each write, at once, made the guest pay its whole transmit path per kilobyte.
      if (took > 0 && !this.guestFin && this.host.ackSoon && this.unacked < Math.max(2 * this.mss, this.lastAdvWnd / 2)) this.host.ackSoon(this);
      else this.sendAck();
    }
    this.checkDone();
  }

  /** The delayed ACK, if one is still owed (host.ackSoon's callback). */
  flushAck(): void {
    if (this.state === 'established' && this.unacked > 0) this.sendAck();
  }

  private processAck(s: GuestSegment): void {
    const acked = seqDiff(s.ack, this.sndUna);
    const outstanding = seqDiff(this.sndNxt, this.sndUna);
    if (acked > 0 && acked <= outstanding) {
      let data = acked;
      if (this.finSent && s.ack === this.sndNxt) { this.finAcked = true; data -= 1; }
      this.sendQ.drop(data);
      this.sndUna = s.ack;
      this.retries = 0;
      this.dupAcks = 0;
      this.rto = this.host.limits.initialRtoMs;
      this.rtoAt = this.sndNxt !== this.sndUna ? this.host.now() + this.rto : 0;
      if (this.hostPaused && this.sendQ.length <= this.sendLimit() / 2) {
        this.hostPaused = false;
        this.stream?.resume();
      }
    } else if (acked === 0 && outstanding > 0 && s.payload.length === 0 && !(s.flags & TCP_FIN) && s.window * 2 ** this.sndShift === this.sndWnd) {
      if (++this.dupAcks === 3) this.rewind(); // fast retransmit
    }
    this.sndWnd = s.window * 2 ** this.sndShift;
  }

  // --- the host stream's events ---

  private hostConnected(): void {
    if (this.state !== 'connecting') return;
    this.state = 'syn-rcvd';
    this.lastActivity = this.host.now();
    this.sendSynAck();
  }

  private hostData(b: Uint8Array): void {
    if (this.state === 'closed') return;
    this.lastActivity = this.host.now();
    this.sendQ.push(b);
    if (!this.hostPaused && this.sendQ.length >= this.sendLimit()) {
      this.hostPaused = true;
      this.stream?.pause();
    }
    this.trySend();
  }

  private hostEnd(): void {
    if (this.state === 'closed') return;
    this.hostEof = true;
    this.trySend();
  }

  private hostDrain(): void {
    if (this.state !== 'established') return;
    // a window update once it has grown by a segment or half the buffer (RFC 1122's silly-window rule)
    if (this.rcvWindow() - this.lastAdvWnd >= Math.min(this.mss, this.host.limits.rcvBuf / 2)) this.sendAck();
  }

  private hostClose(err: string | null): void {
    if (this.state === 'closed') return;
    this.hostClosed = true;
    this.stream = null;
    if (err !== null || this.state === 'connecting' || this.state === 'syn-sent' || this.state === 'syn-rcvd') {
      this.finish(err ?? 'the host closed the connection', true);
      return;
    }
    // an orderly close the host may not have announced with an end
    this.hostEnd();
    this.checkDone();
  }

  // --- sending ---

  private trySend(): boolean {
    if (this.state !== 'established') return false;
    let sent = false;
    const limitWnd = this.sndWnd;
    for (;;) {
      const inFlight = seqDiff(this.sndNxt, this.sndUna) - (this.finSent ? 1 : 0);
      const unsent = this.sendQ.length - inFlight;
      if (unsent <= 0 || this.finSent) break;
      const room = limitWnd - inFlight;
      if (room <= 0) break;
      const n = Math.min(unsent, room, this.host.maxSegment?.(this.mss) ?? this.mss);
      const q = this.sendQ;
      this.emit(TCP_ACK | (n === unsent ? TCP_PSH : 0), this.sndNxt, n, (frame, at) => q.copyOut(inFlight, n, frame, at));
      this.sndNxt = seqAdd(this.sndNxt, n);
      sent = true;
    }
    const allSent = seqDiff(this.sndNxt, this.sndUna) - (this.finSent ? 1 : 0) === this.sendQ.length;
    if (this.hostEof && !this.finSent && allSent) {
      this.emit(TCP_FIN | TCP_ACK, this.sndNxt, 0, null);
      this.sndNxt = seqAdd(this.sndNxt, 1);
      this.finSent = true;
      sent = true;
    }
    // armed for retransmission, or as the persist timer when the guest's window is shut on pending data
    if (this.rtoAt === 0 && (sent || (!allSent && limitWnd === 0))) this.rtoAt = this.host.now() + this.rto;
    return sent;
  }

  /** Go back to the oldest unacknowledged byte (and resend the FIN if it is unacknowledged). */
  private rewind(): void {
    this.sndNxt = this.sndUna;
    if (this.finSent && !this.finAcked) this.finSent = false;
    this.trySend();
  }

  /**
   * Host data this connection may hold: sndBuf while few connections are busy, an equal share of sndBudget when
   * many are (a guest opening hundreds of downloads cannot make the host hold hundreds of sndBufs), never less
   * than a full guest window.
   */
  private sendLimit(): number {
    const l = this.host.limits;
    return Math.min(l.sndBuf, Math.max(0x10000, Math.floor(l.sndBudget / Math.max(1, this.host.connections()))));
  }

  /** the receive window in bytes (what the host stream has room for), as the window field can say it */
  private rcvWindow(): number {
    const w = this.host.limits.rcvBuf - (this.stream?.buffered ?? 0);
    return Math.max(0, Math.min(0xffff * 2 ** this.rcvShift, w));
  }

  /** `syn`: a SYN's options (its window is never scaled) */
  private emit(flags: number, seq: number, len: number, fill: ((frame: Uint8Array, at: number) => void) | null, syn?: { mss: number; wscale?: number }): void {
    const bytes = syn ? Math.min(0xffff, this.rcvWindow()) : this.rcvWindow();
    const field = syn ? bytes : Math.floor(bytes / 2 ** this.rcvShift);
    this.lastAdvWnd = syn ? bytes : field * 2 ** this.rcvShift;
    if (flags & TCP_ACK) this.unacked = 0;
    this.host.emit({
      src: this.remoteIp, sport: this.remotePort, dst: this.guestIp, dport: this.guestPort,
      seq, ack: flags & TCP_ACK ? this.rcvNxt : 0, flags, window: field, ...(syn ?? {}),
    }, len, fill, this.mss);
  }

  private sendAck(): void {
    this.emit(TCP_ACK, this.sndNxt, 0, null);
  }

  private sendSyn(): void {
    // our SYN offers window scaling; it is used only if the guest's SYN-ACK offers it back
    this.emit(TCP_SYN, this.iss, 0, null, { mss: this.host.limits.mss, wscale: ourShift(this.host.limits.rcvBuf) });
    this.sndNxt = seqAdd(this.iss, 1);
    this.rtoAt = this.host.now() + this.rto;
  }

  private sendSynAck(): void {
    this.emit(TCP_SYN | TCP_ACK, this.iss, 0, null, { mss: this.host.limits.mss, ...(this.guestScales ? { wscale: this.rcvShift } : {}) });
    this.sndNxt = seqAdd(this.iss, 1);
    this.rtoAt = this.host.now() + this.rto;
  }

  private rst(seq: number): void {
    this.host.emit({ src: this.remoteIp, sport: this.remotePort, dst: this.guestIp, dport: this.guestPort, seq, ack: 0, flags: TCP_RST, window: 0 }, 0, null);
  }

  private established(): void {
    this.state = 'established';
    this.retries = 0;
    this.rto = this.host.limits.initialRtoMs;
    this.rtoAt = 0;
    this.stream?.resume();
  }

  /** Both directions are finished and acknowledged: the connection is gone (the host stream closes itself). */
  private checkDone(): void {
    if (this.guestFin && this.finAcked) this.finish('closed', false);
  }

  /** Ends the connection: with `reset`, the guest gets an RST and the host stream is destroyed. */
  finish(reason: string, reset: boolean): void {
    if (this.state === 'closed') return;
    if (reset) {
      if (this.state === 'connecting') this.emit(TCP_RST | TCP_ACK, 0, 0, null);
      else this.emit(TCP_RST | TCP_ACK, this.sndNxt, 0, null);
    }
    const s = this.stream;
    this.state = 'closed';
    this.stream = null;
    if (s && (reset || !this.guestFin)) s.destroy();
    this.host.removed(this, reason);
  }

  // --- time ---

  tick(now: number): void {
    if (this.state === 'closed') return;
    const l = this.host.limits;
    if (this.state === 'connecting') {
      if (now - this.created >= l.connectTimeoutMs) this.finish('the host connection timed out', true);
      return;
    }
    const closing = this.guestFin || this.finSent || this.hostEof;
    if (now - this.lastActivity >= (closing ? l.closingTimeoutMs : l.idleTimeoutMs)) {
      this.finish(closing ? 'closing timed out' : 'idle timeout', true);
      return;
    }
    if (this.rtoAt === 0 || now < this.rtoAt) return;
    const outstanding = seqDiff(this.sndNxt, this.sndUna);
    const probe = this.state === 'established' && outstanding === 0;
    if (!probe && ++this.retries > l.maxRetries) {
      this.finish('the guest stopped acknowledging', true);
      return;
    }
    this.rto = Math.min(this.rto * 2, l.maxRtoMs);
    this.rtoAt = now + this.rto;
    if (this.state === 'syn-rcvd') this.sendSynAck();
    else if (this.state === 'syn-sent') this.sendSyn();
    else if (probe) {
      if (this.sendQ.length === 0 || this.sndWnd > 0) { this.rtoAt = 0; this.trySend(); return; }
      // zero-window probe: an old sequence number makes the guest answer with its current window
      this.emit(TCP_ACK, seqAdd(this.sndUna, -1), 0, null);
    } else this.rewind();
    if (this.state === 'syn-rcvd' || this.state === 'syn-sent') this.rtoAt = now + this.rto;
  }
}
