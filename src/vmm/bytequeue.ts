// A FIFO of bytes from the host (console input, host channels) waiting for the guest to take them. Chunks are
// kept as they arrive and consumed from a head offset, so a large paste or piped file costs O(bytes) rather than
// the O(bytes^2) of shifting one array element at a time.
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0; // offset into chunks[0]
  private count = 0;

  get length(): number {
    return this.count;
  }

  /** Appends a copy of `bytes` (the caller may reuse its buffer). */
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes.slice());
    this.count += bytes.length;
  }

  /** Puts bytes back in front of everything queued. */
  unshift(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.head > 0) {
      this.chunks[0] = this.chunks[0]!.subarray(this.head);
      this.head = 0;
    }
    this.chunks.unshift(bytes.slice());
    this.count += bytes.length;
  }

  /** The next byte, or -1 when empty. */
  shift(): number {
    const c = this.chunks[0];
    if (c === undefined) return -1;
    const b = c[this.head++]!;
    this.count--;
    if (this.head === c.length) { this.chunks.shift(); this.head = 0; }
    return b;
  }

  /** Moves up to `max` bytes into `dst` from its start; returns how many. */
  take(dst: Uint8Array, max = dst.length): number {
    let n = 0;
    while (n < max) {
      const c = this.chunks[0];
      if (c === undefined) break;
      const k = Math.min(max - n, c.length - this.head);
      dst.set(c.subarray(this.head, this.head + k), n);
      n += k;
      this.head += k;
      if (this.head === c.length) { this.chunks.shift(); this.head = 0; }
    }
    this.count -= n;
    return n;
  }

  /** A copy of everything queued, in order (for snapshots; the queue is unchanged). */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.count);
    let n = 0;
    this.chunks.forEach((c, i) => { const part = i === 0 ? c.subarray(this.head) : c; out.set(part, n); n += part.length; });
    return out;
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.count = 0;
  }
}
