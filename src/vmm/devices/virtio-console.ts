// virtio-console (device id 3, virtio 1.x section 5.3): the guest's hvc0, and optionally more ports that carry
// bytes between a guest program and the host (/dev/vport0pN in the guest).
// Port 0 is the console (queues 0/1: receive/transmit). The device offers MULTIPORT even with one port:
// queues 2/3 are then the control receive/transmit queues and port N >= 1 uses queues 2N+2 / 2N+3. Over the
// control queues the device announces each port (DEVICE_ADD) once the driver says DEVICE_READY, and answers
// PORT_READY with CONSOLE_PORT (port 0, which Linux makes hvc0) or PORT_NAME, then PORT_OPEN (the host end is
// connected); the driver says PORT_OPEN when the port is ready for data (the console: once hvc0 exists).
// Input for a port waits in a host-side queue until then, and until the guest posts receive buffers: Linux
// throws away what reaches a port before that (the first bytes of piped input, otherwise). The caller bounds
// how much it queues (pending). A driver that does not take MULTIPORT gets port 0 alone, open at once.
import { ByteQueue } from '../bytequeue.js';
import type { VirtioDeviceModel, VirtioQueues } from './virtio-mmio.js';
import { Virtqueue } from './virtqueue.js';
import { VmmError } from '../errors.js';
import type { StateObject } from '../../kvm/index.js';
import type { StateReader } from '../snapshot/value.js';

export const VIRTIO_ID_CONSOLE = 3;
export const VIRTIO_CONSOLE_F_MULTIPORT = 1n;
const QUEUE_SIZE = 64;
const CTRL_RX = 2;
const CTRL_TX = 3;
/** Control events (virtio 1.x 5.3.6.2). */
export const CTRL = {
  DEVICE_READY: 0, DEVICE_ADD: 1, DEVICE_REMOVE: 2, PORT_READY: 3, CONSOLE_PORT: 4, RESIZE: 5, PORT_OPEN: 6, PORT_NAME: 7,
} as const;
/** Control messages for the guest held at most (the driver keeps buffers posted, so few ever wait). */
const CTRL_BACKLOG = 256;

export interface ConsolePort {
  /** The port's name for the guest (/sys/class/virtio-ports/vport0pN/name); port 0, the console, has none. */
  name?: string;
  /** A console port as well (QEMU's virtconsole): Linux makes it an hvc terminal (hvc1, ...). Port 0 always is. */
  console?: boolean;
  /** Every byte the guest writes to this port. */
  output: (bytes: Uint8Array) => void;
}

export class VirtioConsole implements VirtioDeviceModel {
  readonly deviceId = VIRTIO_ID_CONSOLE;
  readonly features: bigint;
  readonly queueMaxSizes: readonly number[];
  /** cols (u16), rows (u16), max_nr_ports (u32), emerg_wr (u32) */
  readonly config = new Uint8Array(12);
  private queues!: VirtioQueues;
  private readonly input: ByteQueue[];
  private ctrlOut: Uint8Array[] = [];
  /** Whether the guest has each port open (PORT_OPEN from the driver). */
  readonly guestOpen: boolean[];

  constructor(private readonly ports: readonly ConsolePort[]) {
    if (ports.length < 1 || ports.length > 31) throw new RangeError(`virtio-console: ${ports.length} ports (1..31)`);
    this.features = 1n << VIRTIO_CONSOLE_F_MULTIPORT;
    this.queueMaxSizes = Array.from({ length: 2 * ports.length + 2 }, () => QUEUE_SIZE);
    new DataView(this.config.buffer).setUint32(4, ports.length, true);
    this.input = ports.map(() => new ByteQueue());
    this.guestOpen = ports.map(() => false);
  }

  attach(queues: VirtioQueues): void {
    this.queues = queues;
  }

  reset(): void {
    this.ctrlOut = [];
    this.guestOpen.fill(false);
  }

  /** Host input not yet taken per port, control messages not yet sent, which ports the guest has open (snapshots). */
  saveState(): StateObject {
    return { input: this.input.map((q) => q.toBytes()), ctrlOut: this.ctrlOut.map((m) => m.slice()), guestOpen: [...this.guestOpen] };
  }

  loadState(r: StateReader): void {
    const input = r.list('input'), open = r.list('guestOpen'), ctrl = r.list('ctrlOut');
    if (input.length !== this.ports.length || open.length !== this.ports.length) throw new VmmError(`virtio-console state: ${input.length} ports saved, this device has ${this.ports.length}`);
    if (!input.every((b) => b instanceof Uint8Array) || !ctrl.every((b) => b instanceof Uint8Array)) throw new VmmError('virtio-console state: damaged queues');
    input.forEach((b, i) => { this.input[i]!.clear(); this.input[i]!.push(b as Uint8Array); });
    this.ctrlOut = ctrl.map((b) => (b as Uint8Array).slice());
    open.forEach((o, i) => { this.guestOpen[i] = o === true; });
  }

  /** The driver took MULTIPORT (and so the control queues); without it there is port 0 only. */
  private get multiport(): boolean {
    return (this.queues.driverFeatures & (1n << VIRTIO_CONSOLE_F_MULTIPORT)) !== 0n;
  }

  private isOpen(port: number): boolean {
    return this.multiport ? this.guestOpen[port] === true : port === 0;
  }

  /** Host bytes for port `port` (0 = the console). */
  push(port: number, bytes: Uint8Array): void {
    this.input[port]!.push(bytes);
    this.fillReceive(port);
  }

  /** Bytes queued for a port that the guest has not taken yet. */
  pending(port: number): number {
    return this.input[port]!.length;
  }

  private rxQueue(port: number): number {
    return port === 0 ? 0 : 2 * port + 2;
  }

  private portOfQueue(index: number): { port: number; tx: boolean } | null {
    if (index < 2) return { port: 0, tx: index === 1 };
    if (!this.multiport || index < 4) return null;
    return { port: (index - 2) >> 1, tx: (index & 1) === 1 };
  }

  queueNotify(index: number): void {
    if (this.multiport && index === CTRL_TX) return this.controlFromGuest();
    if (this.multiport && index === CTRL_RX) return this.flushControl();
    const q = this.portOfQueue(index);
    if (!q || q.port >= this.ports.length) return;
    if (q.tx) this.transmit(q.port, index);
    else this.fillReceive(q.port);
  }

  private transmit(port: number, index: number): void {
    const vq = this.queues.queue(index);
    if (!vq) return;
    for (let chain = vq.pop(); chain; chain = vq.pop()) {
      const bytes = vq.read(chain);
      vq.push(chain, 0);
      if (bytes.length > 0) this.ports[port]!.output(bytes);
    }
    this.queues.notifyUsed(index);
  }

  private fillReceive(port: number): void {
    if (!this.queues?.driverReady || !this.isOpen(port)) return;
    const index = this.rxQueue(port);
    const vq = this.queues.queue(index);
    const pending = this.input[port]!;
    if (!vq || pending.length === 0) return;
    let used = false;
    while (pending.length > 0) {
      const chain = vq.pop();
      if (!chain) break;
      const room = Virtqueue.writableLength(chain);
      const bytes = new Uint8Array(Math.min(room, pending.length));
      pending.take(bytes);
      vq.push(chain, vq.write(chain, bytes));
      used = true;
    }
    if (used) this.queues.notifyUsed(index);
  }

  private control(id: number, event: number, value: number, extra?: Uint8Array): void {
    if (this.ctrlOut.length >= CTRL_BACKLOG) return; // a driver that never reads its control queue
    const msg = new Uint8Array(8 + (extra?.length ?? 0));
    const v = new DataView(msg.buffer);
    v.setUint32(0, id, true);
    v.setUint16(4, event, true);
    v.setUint16(6, value, true);
    if (extra) msg.set(extra, 8);
    this.ctrlOut.push(msg);
  }

  private controlFromGuest(): void {
    const vq = this.queues.queue(CTRL_TX);
    if (!vq) return;
    for (let chain = vq.pop(); chain; chain = vq.pop()) {
      const msg = vq.read(chain);
      vq.push(chain, 0);
      if (msg.length < 8) continue;
      const v = new DataView(msg.buffer, msg.byteOffset, msg.length);
      const id = v.getUint32(0, true);
      const event = v.getUint16(4, true);
      const value = v.getUint16(6, true);
      if (event === CTRL.DEVICE_READY && value === 1) {
        for (let p = 0; p < this.ports.length; p++) this.control(p, CTRL.DEVICE_ADD, 1);
      } else if (event === CTRL.PORT_READY && value === 1 && id < this.ports.length) {
        const name = this.ports[id]!.name;
        if (id === 0 || this.ports[id]!.console === true) this.control(id, CTRL.CONSOLE_PORT, 1);
        if (id !== 0 && name !== undefined) this.control(id, CTRL.PORT_NAME, 1, new TextEncoder().encode(name));
        this.control(id, CTRL.PORT_OPEN, 1); // the host end is always connected
      } else if (event === CTRL.PORT_OPEN && id < this.ports.length) {
        this.guestOpen[id] = value === 1;
        if (value === 1) this.fillReceive(id);
      }
    }
    this.queues.notifyUsed(CTRL_TX);
    this.flushControl();
  }

  private flushControl(): void {
    const vq = this.queues.queue(CTRL_RX);
    if (!vq || !this.queues.driverReady) return;
    let used = false;
    while (this.ctrlOut.length > 0) {
      const chain = vq.pop();
      if (!chain) break;
      const msg = this.ctrlOut.shift()!;
      vq.push(chain, vq.write(chain, msg));
      used = true;
    }
    if (used) this.queues.notifyUsed(CTRL_RX);
  }
}
