import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Uart16550 } from '../../../src/vmm/devices/uart16550.js';

// Register offsets and bits from the 16550A datasheet (independent of the device's own constants).
const RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;

function setup() {
  const out: number[] = [];
  const irq: boolean[] = [];
  const uart = new Uart16550({ base: 0x10000000, output: (b) => out.push(...b), irq: { set: (l) => irq.push(l) } });
  const r = (off: number) => uart.read(off, 1);
  const w = (off: number, v: number) => uart.write(off, 1, v);
  const line = () => (irq.length ? irq[irq.length - 1] : false);
  return { uart, out, r, w, line };
}

test('uart: reset state: no interrupt, transmitter empty, connected modem lines', () => {
  const { r } = setup();
  assert.equal(r(IIR), 0x01);
  assert.equal(r(LSR), 0x60);
  assert.equal(r(IER), 0);
  assert.equal(r(MSR) & 0xb0, 0xb0);
});

test('uart: THR bytes reach the output callback; scratch register holds a value', () => {
  const { r, w, out } = setup();
  for (const c of 'hi\n') w(THR, c.charCodeAt(0));
  assert.equal(String.fromCharCode(...out), 'hi\n');
  w(SCR, 0xa5);
  assert.equal(r(SCR), 0xa5);
});

test('uart: DLAB switches offsets 0/1 to the divisor latch', () => {
  const { uart, r, w, out } = setup();
  w(IER, 0x05);
  w(LCR, 0x83); // DLAB + 8N1
  w(DLL, 0x01);
  w(DLM, 0x02);
  assert.equal(r(DLL), 0x01);
  assert.equal(r(DLM), 0x02);
  assert.equal(uart.divisorLatch, 0x0201);
  assert.equal(out.length, 0, 'divisor writes are not transmitted');
  w(LCR, 0x03);
  assert.equal(r(IER), 0x05, 'IER unchanged by divisor writes');
  assert.equal(r(LCR), 0x03);
});

test('uart: THRE interrupt fires when enabled, clears on IIR read, re-arms after a THR write', () => {
  const { r, w, line } = setup();
  w(IER, 0x02);
  assert.equal(line(), true);
  assert.equal(r(IIR) & 0x0f, 0x02);
  assert.equal(line(), false);
  assert.equal(r(IIR) & 0x0f, 0x01, 'acknowledged');
  w(THR, 0x41);
  assert.equal(line(), true);
  w(IER, 0);
  assert.equal(line(), false, 'masked');
});

test('uart: RX FIFO: 16 bytes deep, trigger levels, timeout id below the trigger, backlog refills', () => {
  const { uart, r, w, line } = setup();
  w(FCR, 0xc7); // enable + clear + trigger 14
  w(IER, 0x01);
  assert.equal(line(), false);
  uart.push(new TextEncoder().encode('abc'));
  assert.equal(line(), true);
  assert.equal(r(IIR), 0xc0 | 0x0c, 'FIFO enabled, character timeout (below the trigger level)');
  assert.equal(r(LSR) & 0x01, 1);
  const twenty = new Uint8Array(20).map((_, i) => 0x61 + i);
  uart.push(twenty);
  assert.equal(r(IIR), 0xc0 | 0x04, 'at or above trigger level: received data available');
  const got: number[] = [];
  while (r(LSR) & 1) got.push(r(RBR));
  assert.equal(String.fromCharCode(...got), 'abc' + String.fromCharCode(...twenty));
  assert.equal(line(), false);
  assert.equal(uart.pendingInput, 0);
  assert.equal(r(IIR), 0xc1);
});

test('uart: without the FIFO one byte is held at a time; FCR clears the receiver', () => {
  const { uart, r, w } = setup();
  w(MCR, 0x02); // RTS: a polled driver asks for data
  uart.push(Uint8Array.of(1, 2, 3));
  assert.equal(r(IIR) & 0xc0, 0, 'FIFO off');
  assert.equal(uart.pendingInput, 3);
  assert.equal(r(RBR), 1);
  assert.equal(r(RBR), 2);
  w(FCR, 0x01);
  w(FCR, 0x03);
  assert.equal(r(LSR) & 1, 0, 'receiver cleared');
  assert.equal(uart.pendingInput, 0);
});

test('uart: loopback sends THR to the receiver, overruns a full FIFO, mirrors MCR in MSR', () => {
  const { r, w, out, line } = setup();
  w(FCR, 0x01);
  w(MCR, 0x10 | 0x0b); // loop + DTR + RTS + OUT2
  assert.equal(r(MSR) & 0xf0, 0x20 | 0x10 | 0x80, 'DSR, CTS, DCD');
  w(IER, 0x04); // line status interrupts
  for (let i = 0; i < 17; i++) w(THR, i);
  assert.equal(out.length, 0, 'nothing leaves in loopback');
  assert.equal(line(), true);
  assert.equal(r(IIR) & 0x0f, 0x06, 'receiver line status');
  assert.equal(r(LSR) & 0x03, 0x03, 'data ready + overrun');
  assert.equal(r(LSR) & 0x02, 0, 'overrun clears on read');
  const got: number[] = [];
  while (r(LSR) & 1) got.push(r(RBR));
  assert.deepEqual(got, Array.from({ length: 16 }, (_, i) => i));
});

test('uart: host input waits until the guest is ready; probe-time FIFO resets and RBR reads lose none of it', () => {
  const { uart, r, w, line } = setup();
  const text = 'cat /proc/cpuinfo; poweroff -f\n';
  uart.push(new TextEncoder().encode(text));
  // What Linux's 8250 driver does before it opens the port: FIFO on, clear, off, read RBR and LSR.
  w(FCR, 0x01); w(FCR, 0x81); w(MCR, 0x01 /* DTR only */);
  assert.equal(r(LSR) & 0x01, 0, 'nothing offered before the guest is ready');
  w(FCR, 0x07); w(FCR, 0x00);
  r(RBR); r(LSR); r(RBR);
  assert.equal(uart.pendingInput, text.length);
  assert.equal(line(), false);
  w(FCR, 0x81);
  w(IER, 0x05); // the port is open: RDA + RLS interrupts
  assert.equal(line(), true);
  const got: number[] = [];
  while (r(LSR) & 1) got.push(r(RBR));
  assert.equal(String.fromCharCode(...got), text);
});

test('uart: bytes in the FIFO when the guest stops reading go back to the host on a FIFO reset', () => {
  const { uart, r, w } = setup();
  w(FCR, 0x01);
  w(IER, 0x01);
  uart.push(new TextEncoder().encode('0123456789abcdefXYZ'));
  assert.equal(r(RBR), 0x30);
  w(IER, 0x00); // port closed (Linux: IER off, then the FIFO is cleared)
  w(FCR, 0x07);
  assert.equal(r(LSR) & 1, 0, 'the FIFO is empty after the reset');
  assert.equal(uart.pendingInput, 18);
  w(FCR, 0x01);
  w(IER, 0x01); // reopened
  const got: number[] = [];
  while (r(LSR) & 1) got.push(r(RBR));
  assert.equal(String.fromCharCode(...got), '123456789abcdefXYZ');
});

test('uart: a polled guest gets input once it asserts RTS; loopback keeps host input out', () => {
  const { uart, r, w } = setup();
  uart.push(Uint8Array.of(0x41, 0x42));
  w(MCR, 0x10 | 0x02); // loopback + RTS: the line is disconnected from the host
  assert.equal(r(LSR) & 1, 0);
  w(MCR, 0x03); // DTR + RTS, no loopback
  assert.equal(r(LSR) & 1, 1);
  assert.equal(r(RBR), 0x41);
  assert.equal(r(RBR), 0x42);
  assert.equal(r(LSR) & 1, 0);
});
