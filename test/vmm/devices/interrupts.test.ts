// UART -> PLIC -> hart context, wired as the VMM wires them, driven through the MMIO bus the way
// Linux's 8250 and PLIC drivers do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MmioBus } from '../../../src/vmm/device.js';
import { Plic } from '../../../src/vmm/devices/plic.js';
import { Uart16550 } from '../../../src/vmm/devices/uart16550.js';

test('interrupts: UART receive interrupt reaches hart 1\'s context through the PLIC and is claimed', () => {
  const seip: boolean[][] = [[], []];
  const bus = new MmioBus();
  const plic = new Plic({ base: 0xc000000, ndev: 31, contexts: 2, onContextChange: (c, l) => seip[c].push(l) });
  const uart = new Uart16550({ base: 0x10000000, irq: plic.irqLine(10), output: () => {} });
  bus.add(plic);
  bus.add(uart);
  bus.write(0xc000000 + 4 * 10, 4, 1); // priority of source 10
  bus.write(0xc000000 + 0x2000 + 0x80 * 1, 4, 1 << 10); // enable for context 1 (hart 1, S-mode)
  bus.write(0x10000000 + 2, 1, 0x01); // FIFO on
  bus.write(0x10000000 + 1, 1, 0x01); // IER: received data
  uart.push(new TextEncoder().encode('x'));
  assert.deepEqual(seip, [[], [true]]);
  const claimed = bus.read(0xc000000 + 0x200000 + 0x1000 + 4, 4);
  assert.equal(claimed, 10);
  assert.deepEqual(seip[1], [true, false]);
  assert.equal(bus.read(0x10000000, 1), 0x78); // the handler reads the byte: the UART line drops
  bus.write(0xc000000 + 0x200000 + 0x1000 + 4, 4, 10); // complete
  assert.deepEqual(seip[1], [true, false], 'line low at completion: no new interrupt');
  uart.push(new TextEncoder().encode('y'));
  bus.write(0xc000000 + 0x200000 + 0x1000 + 4, 4, 10); // a stray completion changes nothing
  assert.deepEqual(seip[1], [true, false, true]);
});
