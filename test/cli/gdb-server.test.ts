// The GDB TCP transport bounds what it queues: a peer that sends requests but never reads the replies is
// disconnected once GDB_MAX_PENDING_BYTES are waiting, instead of growing the host's memory without end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startGdbServer, GDB_MAX_PENDING_BYTES } from '../../src/cli/gdb-server.js';
import { GdbStub, encodePacket } from '../../src/vmm/gdb-stub.js';
import { Machine } from '../../src/vmm/machine.js';

/** A RISC-V Linux Image (header v0.2) that spins at its entry. */
function spinImage(): Uint8Array {
  const img = new Uint8Array(128);
  const dv = new DataView(img.buffer);
  dv.setUint32(0, 0x0000006f, true); // j .
  dv.setBigUint64(8, 0x200000n, true);
  dv.setBigUint64(16, BigInt(img.length), true);
  dv.setUint32(32, 2, true);
  img.set(new TextEncoder().encode('RISCV\0\0\0RSC\x05'), 48);
  return img;
}

test('a GDB peer that never reads its replies is disconnected, with a log line', { timeout: 60_000 }, async () => {
  const machine = new Machine({ kernel: spinImage(), memBytes: 16 << 20, rng: false, clock: 'icount', console: () => {} });
  const logs: string[] = [];
  const log = (m: string): void => { logs.push(m); };
  const stub = new GdbStub(machine, { waitForAttach: true, log });
  const server = await startGdbServer(stub, { host: '127.0.0.1', port: 0 }, log);
  const abort = new AbortController();
  const done = machine.runUntilDone({ debugger: stub, signal: abort.signal, timeoutMs: 60_000 });
  try {
    const sock = connect(server.port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.pause(); // never read: every reply stays queued on the server side
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    sock.on('error', () => {});
    const req = encodePacket(`m${machine.kernelEntry.toString(16)},10000`); // 64 KiB of RAM: 128 KiB of hex per reply
    const total = Math.ceil((4 * GDB_MAX_PENDING_BYTES) / 0x20000);
    for (let i = 0; i < total && !sock.destroyed; i++) {
      sock.write(req);
      if (i % 16 === 15) await new Promise((r) => setTimeout(r, 5));
    }
    await closed;
    assert.ok(logs.some((l) => /gdb: dropping the connection: it left \d+ bytes of replies unread/.test(l)), logs.join('\n'));
  } finally {
    await server.close();
    abort.abort();
    await done;
  }
});
