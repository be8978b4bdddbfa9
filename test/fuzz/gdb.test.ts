// Fuzz: random and mutated GDB remote-protocol traffic at a stub attached to a real Machine: well-formed
// commands with random arguments, corrupted frames, unterminated and oversized packets, run-length bombs,
// stray bytes. The stub must answer or drop each one; it must never throw out of its transport callback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GdbStub, encodePacket, checksum, PacketReader, type GdbTransport } from '../../src/vmm/gdb-stub.js';
import { Machine } from '../../src/vmm/machine.js';
import { rng, tinyImage } from './harness.js';

const COMMANDS = ['?', 'g', 'G', 'p', 'P', 'm', 'M', 'X', 'Z0,', 'z0,', 'Z1,', 'H', 'Hg', 'Hc', 'T', 'qC', 'qSupported:',
  'qXfer:features:read:target.xml:', 'qXfer:features:read:x:', 'qfThreadInfo', 'qsThreadInfo', 'qAttached', 'qOffsets',
  'vCont?', 'vCont;', 'vMustReplyEmpty', 'QStartNoAckMode', 'qRcmd,', 'qL', 'x', 'Q', 'v', '!', '', 'c', 's', 'k', 'D'];
const HEX = '0123456789abcdefABCDEF';

class Collect implements GdbTransport {
  private data: ((b: Uint8Array) => void) | null = null;
  private closeCb: (() => void) | null = null;
  private readonly reader = new PacketReader();
  replies = 0;
  closed = false;
  send(bytes: Uint8Array): void { for (const x of this.reader.push(bytes)) if (x.kind === 'packet') this.replies++; }
  onData(cb: (b: Uint8Array) => void): void { this.data = cb; }
  onClose(cb: () => void): void { this.closeCb = cb; }
  close(): void { if (!this.closed) { this.closed = true; this.closeCb?.(); } }
  feed(bytes: Uint8Array): void { this.data!(bytes); }
}

function arg(next: (n: number) => number): string {
  const kinds = [
    () => Array.from({ length: 1 + next(20) }, () => HEX[next(HEX.length)]).join(''),
    () => `${(0x80000000 + next(0x400000)).toString(16)},${next(0x20000).toString(16)}`,
    () => `ffffffffffffffff,${next(16).toString(16)}`,
    () => `${next(0x10000).toString(16)}=${'0'.repeat(next(40))}`,
    () => String.fromCharCode(...Array.from({ length: next(12) }, () => next(256))),
    () => `${next(2000).toString(16)}:${'a5'.repeat(next(9))}`,
  ];
  return kinds[next(kinds.length)]!();
}

test('fuzz: 3000 random GDB packets and byte streams: answered or dropped, never an exception', { timeout: 30_000 }, () => {
  const machine = new Machine({ kernel: tinyImage([0x00000013, 0x0000006f]), memBytes: 16 << 20, rng: false, clock: 'icount', console: () => {} });
  const logs: string[] = [];
  let kills = 0;
  const stub = new GdbStub(machine, { waitForAttach: true, log: (m) => { if (logs.length < 100) logs.push(m); }, onKill: () => { kills++; } });
  const next = rng(0x6db);
  let t = new Collect();
  assert.equal(stub.attach(t), true);
  const t0 = performance.now();
  for (let i = 0; i < 3000; i++) {
    if (t.closed) { t = new Collect(); stub.attach(t); } // D (detach) or k closed the last one
    const cmd = COMMANDS[next(COMMANDS.length)]! + arg(next);
    let bytes: Uint8Array;
    switch (next(8)) {
      case 0: { // a corrupted frame
        bytes = encodePacket(cmd);
        bytes[next(bytes.length)] = next(256);
        break;
      }
      case 1: bytes = new TextEncoder().encode(`$${cmd}${'x'.repeat(next(3) === 0 ? 20000 : next(100))}`); break; // unterminated
      case 2: { // run-length encoding by hand, possibly huge
        const body = new TextEncoder().encode(`m0*${String.fromCharCode(29 + next(200))}*~*~*~`);
        bytes = new TextEncoder().encode(`$${new TextDecoder().decode(body)}#${checksum(body).toString(16).padStart(2, '0')}`);
        break;
      }
      case 3: bytes = Uint8Array.from({ length: next(64) }, () => next(256)); break; // stray bytes, acks, Ctrl-C
      default: bytes = encodePacket(cmd);
    }
    try {
      t.feed(bytes);
    } catch (e) {
      assert.fail(`gdb case ${i} (${JSON.stringify(cmd.slice(0, 60))}): the stub threw ${(e as Error).stack}`);
    }
  }
  assert.ok(performance.now() - t0 < 20_000, 'bounded');
  // after all that, a fresh connection still gets proper answers
  t.close();
  const fresh = new Collect();
  assert.equal(stub.attach(fresh), true);
  fresh.feed(encodePacket('qAttached'));
  fresh.feed(encodePacket('m' + machine.kernelEntry.toString(16) + ',4'));
  assert.ok(fresh.replies >= 2, `replies ${fresh.replies}`);
  assert.ok(kills >= 0);
});
