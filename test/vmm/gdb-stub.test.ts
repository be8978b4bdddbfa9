// The GDB stub: its packet layer against hand-computed frames, then each command against a real Machine (KVM
// layer + software hart) running a tiny guest Image whose instructions are hand-encoded below.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GdbStub, PacketReader, checksum, decodeBody, encodePacket, GDB_PACKET_SIZE, GDB_DECODED_SIZE, type GdbTransport } from '../../src/vmm/gdb-stub.js';
import { Machine } from '../../src/vmm/machine.js';

const enc = (s: string): Uint8Array => new Uint8Array([...s].map((c) => c.charCodeAt(0)));
const dec = (b: Uint8Array): string => String.fromCharCode(...b);

test('checksum is the byte sum modulo 256', () => {
  assert.equal(checksum(enc('')), 0);
  assert.equal(checksum(enc('OK')), 0x4f + 0x4b);
  assert.equal(checksum(enc('qSupported')), 0x37); // as GDB itself sends it: $qSupported#37
  assert.equal(checksum(new Uint8Array([0xff, 0x02])), 0x01);
});

test('encodePacket escapes } # $ * as } + byte^0x20 and checksums the escaped body', () => {
  assert.equal(dec(encodePacket('OK')), '$OK#9a');
  const framed = encodePacket(new Uint8Array([0x7d, 0x23, 0x24, 0x2a, 0x41]));
  const body = [0x7d, 0x5d, 0x7d, 0x03, 0x7d, 0x04, 0x7d, 0x0a, 0x41];
  const sum = body.reduce((a, b) => (a + b) & 0xff, 0);
  assert.deepEqual([...framed], [0x24, ...body, 0x23, ...enc(sum.toString(16).padStart(2, '0'))]);
});

test('PacketReader: packets, acks, nacks, Ctrl-C, bad checksums, split across chunks', () => {
  const r = new PacketReader();
  const out = [...r.push(enc('+$qC#b4-')), ...r.push(new Uint8Array([0x03])), ...r.push(enc('$m0,4#00')), ...r.push(enc('$g#')), ...r.push(enc('67'))];
  assert.deepEqual(out.map((x) => x.kind), ['ack', 'packet', 'nack', 'interrupt', 'bad-checksum', 'packet']);
  assert.equal(dec((out[1] as { payload: Uint8Array }).payload), 'qC');
  assert.equal(dec((out[5] as { payload: Uint8Array }).payload), 'g');
});

test('decodeBody undoes escapes and expands run-length encoding', () => {
  assert.equal(dec(decodeBody(enc('0* '))!), '0'.repeat(4)); // ' ' = 32: 3 more repeats
  assert.equal(dec(decodeBody(enc('a}]b'))!), 'a}b');
  assert.deepEqual([...decodeBody(new Uint8Array([0x7d, 0x03]))!], [0x23]);
});

test('PacketReader: a packet that never ends is dropped once, in bounded memory; the next packet still parses', () => {
  const r = new PacketReader();
  const kinds: string[] = [];
  kinds.push(...r.push(enc('$')).map((x) => x.kind));
  const chunk = new Uint8Array(1 << 20).fill(0x61); // 64 MiB of 'a' in 1 MiB pieces, never a '#'
  for (let i = 0; i < 64; i++) kinds.push(...r.push(chunk).map((x) => x.kind));
  assert.deepEqual(kinds, ['too-long']);
  const after = r.push(encodePacket('qC'));
  assert.deepEqual(after.map((x) => x.kind), ['packet']);
  assert.equal(dec((after[0] as { payload: Uint8Array }).payload), 'qC');
  // exactly PacketSize is accepted; one more byte is not; the dropped one's checksum is skipped
  const full = 'a'.repeat(GDB_PACKET_SIZE);
  assert.deepEqual(r.push(encodePacket(full)).map((x) => x.kind), ['packet']);
  assert.deepEqual(r.push(encodePacket(full + 'a')).map((x) => x.kind), ['too-long']);
  assert.deepEqual(r.push(enc('+')).map((x) => x.kind), ['ack']);
  // run-length encoding cannot expand a short packet past the decoded bound
  const bomb = 'a' + '*~'.repeat(Math.ceil(GDB_DECODED_SIZE / 97) + 1);
  const raw = enc(bomb); // '*' is escaped by encodePacket, so frame the RLE body by hand
  const framed = enc(`$${bomb}#${checksum(raw).toString(16).padStart(2, '0')}`);
  assert.deepEqual(r.push(framed).map((x) => x.kind), ['too-long']);
  assert.equal(decodeBody(raw), null);
});

// ---------------------------------------------------------------- a real vCPU

/** A RISC-V Linux Image (header v0.2) whose code0 jumps over the header to `code`. */
function tinyImage(code: number[][]): Uint8Array {
  const bytes: number[] = [];
  for (const [word, len] of code) for (let i = 0; i < len!; i++) bytes.push((word! >>> (8 * i)) & 0xff);
  const img = new Uint8Array(64 + bytes.length);
  const dv = new DataView(img.buffer);
  dv.setUint32(0, 0x0400006f, true); // jal x0, +64
  dv.setBigUint64(8, 0x200000n, true); // text_offset
  dv.setBigUint64(16, BigInt(img.length), true); // image_size
  dv.setUint32(32, 2, true); // version 0.2
  img.set(enc('RISCV\0\0\0'), 48);
  img.set(enc('RSC\x05'), 56);
  img.set(bytes, 64);
  return img;
}

const PROGRAM = [
  [0x00500513, 4], // +64: addi a0, zero, 5
  [0x0505, 2], //     +68: c.addi a0, 1
  [0x00700593, 4], // +70: addi a1, zero, 7
  [0x0000006f, 4], // +74: j . (spin)
];

class PipeTransport implements GdbTransport {
  private dataCb: ((b: Uint8Array) => void) | null = null;
  private closeCb: (() => void) | null = null;
  private readonly reader = new PacketReader();
  readonly replies: string[] = [];
  private waiters: (() => void)[] = [];
  closed = false;
  send(bytes: Uint8Array): void {
    for (const x of this.reader.push(bytes)) if (x.kind === 'packet') this.replies.push(dec(x.payload));
    for (const w of this.waiters.splice(0)) w();
  }
  onData(cb: (b: Uint8Array) => void): void { this.dataCb = cb; }
  onClose(cb: () => void): void { this.closeCb = cb; }
  close(): void { this.closed = true; this.closeCb?.(); }
  raw(bytes: Uint8Array): void { this.dataCb!(bytes); }
  /** Sends a packet and waits for the next reply packet. */
  async ask(payload: string): Promise<string> {
    const n = this.replies.length;
    this.raw(encodePacket(payload));
    return this.next(n);
  }
  async next(n = this.replies.length): Promise<string> {
    const deadline = Date.now() + 5000;
    while (this.replies.length <= n) {
      if (Date.now() > deadline) throw new Error('no reply from the stub within 5 s');
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, 20); });
    }
    return this.replies[n]!;
  }
}

const le64 = (s: string): bigint => BigInt('0x' + (s.match(/../g) ?? []).reverse().join(''));
const hex64 = (v: bigint): string => [...Array(8)].map((_, i) => Number((v >> BigInt(8 * i)) & 0xffn).toString(16).padStart(2, '0')).join('');

function setup(smp = 1) {
  const machine = new Machine({ kernel: tinyImage(PROGRAM), memBytes: 16 << 20, smp, rng: false, clock: 'icount', console: () => {} });
  const stub = new GdbStub(machine, { waitForAttach: true });
  const pipe = new PipeTransport();
  assert.equal(stub.attach(pipe), true);
  const abort = new AbortController();
  const done = machine.runUntilDone({ debugger: stub, signal: abort.signal, timeoutMs: 60_000 });
  const entry = BigInt(machine.kernelEntry);
  return { machine, stub, pipe, entry, finish: async () => { abort.abort(); await done; } };
}

test('stub: queries, registers, stepping with instruction lengths, breakpoints, Ctrl-C, memory', async () => {
  const { pipe, entry, finish, machine } = setup();
  try {
    assert.match(await pipe.ask('qSupported:multiprocess+;swbreak+'), /qXfer:features:read\+/);
    assert.equal(await pipe.ask('?'), 'T05thread:1;');
    assert.equal(await pipe.ask('qAttached'), '1');
    assert.equal(await pipe.ask('qC'), 'QC1');
    assert.equal(await pipe.ask('qfThreadInfo'), 'm1');
    assert.equal(await pipe.ask('qsThreadInfo'), 'l');
    assert.equal(await pipe.ask('Hg1'), 'OK');
    assert.equal(await pipe.ask('T1'), 'OK');
    assert.match(await pipe.ask('T5'), /^E/);
    // registers: g holds x0..x31 + pc (33 x 8 bytes), p 0x20 is pc
    const g = await pipe.ask('g');
    assert.equal(g.length, 33 * 16);
    assert.equal(le64(g.slice(32 * 16)), entry);
    assert.equal(le64(await pipe.ask('p20')), entry);
    assert.equal(le64(await pipe.ask('pb')), BigInt(machine.vcpus[0]!.getOneReg(0x8030_0000_0200_000bn))); // a1 = DTB address
    assert.equal(le64(await pipe.ask('p1c1')), 0n, 'satp (CSR 0x180 -> regnum 0x1c1) is 0: MMU off');
    assert.equal(await pipe.ask('P1c1'), 'E16', 'a short value is refused');
    assert.match(await pipe.ask('p2000'), /^E/, 'unknown register');
    // target description: cpu, fpu (D enabled), csr with satp at its regnum
    const xml = (await pipe.ask('qXfer:features:read:target.xml:0,ffff')).slice(1);
    for (const f of ['org.gnu.gdb.riscv.cpu', 'org.gnu.gdb.riscv.fpu', 'org.gnu.gdb.riscv.csr']) assert.ok(xml.includes(f), f);
    assert.match(xml, /<reg name="satp" bitsize="64" type="int" regnum="449"/);
    assert.match(xml, /<reg name="ft0" bitsize="64" type="ieee_double" regnum="33"/);
    // stepping: jal (4) to +64, addi (4), c.addi (2)
    const pcs: bigint[] = [];
    for (let i = 0; i < 3; i++) {
      assert.equal(await pipe.ask('s'), 'T05thread:1;');
      pcs.push(le64(await pipe.ask('p20')));
    }
    assert.deepEqual(pcs, [entry + 64n, entry + 68n, entry + 70n]);
    assert.equal(le64(await pipe.ask('pa')), 6n, 'a0 = 5 + 1');
    // breakpoint at the spin loop: stops before it; memory there is not modified
    const loopAddr = (entry + 74n).toString(16);
    const before = await pipe.ask(`m${loopAddr},4`);
    assert.equal(before, '6f000000');
    assert.equal(await pipe.ask(`Z0,${loopAddr},4`), 'OK');
    assert.equal(await pipe.ask(`m${loopAddr},4`), before);
    assert.equal(await pipe.ask('vCont;c'), 'T05thread:1;');
    assert.equal(le64(await pipe.ask('p20')), entry + 74n);
    assert.equal(le64(await pipe.ask('pb')), 7n, 'a1 written by the instruction before the breakpoint');
    // the loop jumps to itself: continuing hits the same breakpoint again after one instruction
    const retired = machine.instructions;
    assert.equal(await pipe.ask('c'), 'T05thread:1;');
    assert.equal(machine.instructions - retired, 1);
    assert.equal(await pipe.ask(`z0,${loopAddr},4`), 'OK');
    // continue, then Ctrl-C
    const n = pipe.replies.length;
    pipe.raw(encodePacket('c'));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(pipe.replies.length, n, 'no stop reply while the guest runs');
    pipe.raw(new Uint8Array([0x03]));
    assert.equal(await pipe.next(n), 'T02thread:1;');
    assert.ok(machine.instructions - retired > 100, 'the guest ran while continued');
    // memory: write with M and X (binary, escaped bytes), read back; unmapped -> E
    const scratch = (entry + 0x1000n).toString(16);
    assert.equal(await pipe.ask(`M${scratch},4:deadbeef`), 'OK');
    assert.equal(await pipe.ask(`m${scratch},4`), 'deadbeef');
    const xPkt = new Uint8Array([...enc(`X${scratch},3:`), 0x7d, 0x23, 0x2a]);
    const k = pipe.replies.length;
    pipe.raw(encodePacket(xPkt));
    assert.equal(await pipe.next(k), 'OK');
    assert.equal(await pipe.ask(`m${scratch},4`), '7d232aef');
    assert.match(await pipe.ask('m0,4'), /^E/);
    assert.match(await pipe.ask('m10000000,4'), /^E/, 'MMIO is not memory for the debugger');
    assert.equal(await pipe.ask(`M0,1:00`), 'E0e');
    // registers can be written
    assert.equal(await pipe.ask(`Pc=${hex64(0x1234n)}`), 'OK');
    assert.equal(le64(await pipe.ask('pc')), 0x1234n);
    assert.equal(await pipe.ask('vMustReplyEmpty'), '');
  } finally {
    await finish();
  }
});

test('stub: writing code through the debugger reaches the hart (decoded code is dropped)', async () => {
  const { pipe, entry, finish } = setup();
  try {
    assert.equal(await pipe.ask('s'), 'T05thread:1;'); // to +64
    assert.equal(await pipe.ask('s'), 'T05thread:1;'); // +68
    // replace addi a1, zero, 7 at +70 with addi a1, zero, 9 (0x00900593) after its page was decoded
    assert.equal(await pipe.ask(`M${(entry + 70n).toString(16)},4:93059000`), 'OK');
    assert.equal(await pipe.ask('s'), 'T05thread:1;');
    assert.equal(await pipe.ask('s'), 'T05thread:1;');
    assert.equal(le64(await pipe.ask('pb')), 9n);
  } finally {
    await finish();
  }
});

test('stub: one thread per vCPU, QStartNoAckMode, detach resumes the guest, a second connection is refused', async () => {
  const { pipe, stub, finish, machine } = setup(2);
  try {
    assert.equal(await pipe.ask('qfThreadInfo'), 'm1,2');
    assert.equal(await pipe.ask('Hg2'), 'OK');
    assert.equal(await pipe.ask('qC'), 'QC2');
    assert.equal(stub.attach(new PipeTransport()), false);
    assert.equal(await pipe.ask('QStartNoAckMode'), 'OK');
    const sent: Uint8Array[] = [];
    const origSend = pipe.send.bind(pipe);
    pipe.send = (b) => { sent.push(b); origSend(b); };
    assert.equal(await pipe.ask('Hg1'), 'OK');
    assert.ok(sent.every((b) => b[0] !== 0x2b), 'no "+" acks after QStartNoAckMode');
    const before = machine.instructions;
    assert.equal(await pipe.ask('D'), 'OK');
    assert.equal(pipe.closed, true);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(machine.instructions > before, 'the guest runs after detach');
  } finally {
    await finish();
  }
});

test('stub: PacketSize is advertised; an unterminated packet is dropped with a log line and the stub still answers', async () => {
  const machine = new Machine({ kernel: tinyImage(PROGRAM), memBytes: 16 << 20, rng: false, clock: 'icount', console: () => {} });
  const logs: string[] = [];
  const stub = new GdbStub(machine, { waitForAttach: true, log: (m) => logs.push(m) });
  const pipe = new PipeTransport();
  stub.attach(pipe);
  const abort = new AbortController();
  const done = machine.runUntilDone({ debugger: stub, signal: abort.signal, timeoutMs: 60_000 });
  try {
    assert.match(await pipe.ask('qSupported:swbreak+'), new RegExp(`(^|;)PacketSize=${GDB_PACKET_SIZE.toString(16)}(;|$)`));
    pipe.raw(enc('$m80000000,4'));
    for (let i = 0; i < 32; i++) pipe.raw(new Uint8Array(1 << 20).fill(0x30)); // 32 MiB, no '#'
    assert.deepEqual(logs.filter((l) => /dropped a packet longer than 16384 bytes/.test(l)).length, 1, logs.join('\n'));
    assert.equal(await pipe.ask('?'), 'T05thread:1;');
  } finally {
    abort.abort();
    await done;
  }
});
