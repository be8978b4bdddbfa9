// virtio-net (device id 1, virtio 1.x section 5.1): queue 0 receives, queue 1 transmits. Every
// frame is preceded by the 12-byte virtio_net_hdr_v1 (VERSION_1 makes num_buffers always present).
import { VmmError } from '../errors.js';
import type { VirtioDeviceModel, VirtioQueues } from './virtio-mmio.js';
import { Virtqueue } from './virtqueue.js';

import type { StateObject } from '../../kvm/index.js';
import type { StateReader } from '../snapshot/value.js';
export const VIRTIO_ID_NET = 1;
export const VIRTIO_NET_F_GUEST_CSUM = 1n;
export const VIRTIO_NET_F_MAC = 5n;
const VIRTIO_NET_HDR_F_DATA_VALID = 2;
export const VIRTIO_NET_F_STATUS = 16n;
export const VIRTIO_NET_S_LINK_UP = 1;
export const VIRTIO_NET_HDR_SIZE = 12;
/** Largest frame without a VLAN tag or FCS: 14-byte Ethernet header + 1500-byte payload. */
export const MAX_FRAME = 1514;
const RX_QUEUE = 0;
const TX_QUEUE = 1;
const QUEUE_SIZE = 256;
/** Frames held while the guest has posted no receive buffers; older ones are dropped beyond this. */
const RX_BACKLOG = 256;

/** Where the guest's Ethernet frames go and where frames for it come from. */
export interface NetBackend {
  /** Called once by the device: frames for the guest are passed to `deliver`. */
  attach(deliver: (frame: Uint8Array) => void): void;
  /** A frame the guest transmitted (without the virtio header). */
  send(frame: Uint8Array): void;
  /**
   * Every frame this backend delivers has correct IP/TCP/UDP checksums (it built them): the device then offers
   * VIRTIO_NET_F_GUEST_CSUM and marks received frames DATA_VALID, so the guest skips verifying each byte again.
   */
  readonly checksummed?: boolean;
}

/** A backend that hands transmitted frames to a callback and injects frames on request (tests, bridges). */
export class PacketNetBackend implements NetBackend {
  private deliver: ((frame: Uint8Array) => void) | undefined;
  constructor(private readonly onFrame: (frame: Uint8Array) => void) {}
  attach(deliver: (frame: Uint8Array) => void): void {
    this.deliver = deliver;
  }
  send(frame: Uint8Array): void {
    this.onFrame(frame);
  }
  /** Delivers a frame to the guest. */
  inject(frame: Uint8Array): void {
    if (!this.deliver) throw new VmmError('network backend is not attached to a device');
    this.deliver(frame);
  }
}

export function parseMac(mac: string): Uint8Array {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new VmmError(`bad MAC address '${mac}' (want xx:xx:xx:xx:xx:xx)`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export interface VirtioNetStats {
  txFrames: number;
  rxFrames: number;
  rxDropped: number;
  txDropped: number;
}

export class VirtioNet implements VirtioDeviceModel {
  readonly deviceId = VIRTIO_ID_NET;
  readonly features: bigint;
  readonly queueMaxSizes = [QUEUE_SIZE, QUEUE_SIZE];
  readonly config = new Uint8Array(12);
  readonly stats: VirtioNetStats = { txFrames: 0, rxFrames: 0, rxDropped: 0, txDropped: 0 };
  private queues!: VirtioQueues;
  private backlog: Uint8Array[] = [];

  constructor(private readonly backend: NetBackend, mac = '52:54:00:12:34:56') {
    this.features = (1n << VIRTIO_NET_F_MAC) | (1n << VIRTIO_NET_F_STATUS) | (backend.checksummed ? 1n << VIRTIO_NET_F_GUEST_CSUM : 0n);
    const m = parseMac(mac);
    if (m[0] & 1) throw new VmmError(`MAC address ${mac} is a multicast address`);
    this.config.set(m, 0);
    new DataView(this.config.buffer).setUint16(6, VIRTIO_NET_S_LINK_UP, true);
    new DataView(this.config.buffer).setUint16(8, 1, true); // max_virtqueue_pairs
    backend.attach((frame) => this.receive(frame));
  }

  attach(queues: VirtioQueues): void {
    this.queues = queues;
  }

  reset(): void {
    this.backlog = [];
  }

  /** Frames waiting for receive buffers and the counters; the backend's own state (user-net connections) is not here. */
  saveState(): StateObject {
    return { backlog: this.backlog.map((f) => f.slice()), stats: { ...this.stats } };
  }

  loadState(r: StateReader): void {
    this.backlog = r.list('backlog').map((f) => {
      if (!(f instanceof Uint8Array) || f.length < 14 || f.length > MAX_FRAME) throw new VmmError('virtio-net state: a held frame is damaged');
      return f;
    }).slice(-RX_BACKLOG);
    const st = r.sub('stats');
    this.stats.txFrames = st.num('txFrames'); this.stats.rxFrames = st.num('rxFrames');
    this.stats.rxDropped = st.num('rxDropped'); this.stats.txDropped = st.num('txDropped');
  }

  queueNotify(index: number): void {
    if (index === TX_QUEUE) this.transmit();
    else if (index === RX_QUEUE) this.drainBacklog();
  }

  private transmit(): void {
    const vq = this.queues.queue(TX_QUEUE);
    if (!vq) return;
    for (let chain = vq.pop(); chain; chain = vq.pop()) {
      const bytes = vq.read(chain);
      vq.push(chain, 0);
      if (bytes.length < VIRTIO_NET_HDR_SIZE + 14) {
        this.stats.txDropped++;
        continue;
      }
      this.stats.txFrames++;
      this.backend.send(bytes.subarray(VIRTIO_NET_HDR_SIZE));
    }
    this.queues.notifyUsed(TX_QUEUE);
  }

  /** A frame for the guest; held back while it has no receive buffers posted. */
  private receive(frame: Uint8Array): void {
    if (frame.length < 14 || frame.length > MAX_FRAME) {
      this.stats.rxDropped++;
      return;
    }
    if (this.backlog.length >= RX_BACKLOG) {
      this.backlog.shift();
      this.stats.rxDropped++;
    }
    this.backlog.push(frame.slice());
    this.drainBacklog();
  }

  private drainBacklog(): void {
    if (!this.queues?.driverReady) return;
    const vq = this.queues.queue(RX_QUEUE);
    if (!vq) return;
    let delivered = false;
    const valid = (this.queues.driverFeatures >> VIRTIO_NET_F_GUEST_CSUM) & 1n ? VIRTIO_NET_HDR_F_DATA_VALID : 0;
    while (this.backlog.length > 0) {
      const chain = vq.pop();
      if (!chain) break;
      const frame = this.backlog.shift()!;
      const room = Virtqueue.writableLength(chain);
      if (room < VIRTIO_NET_HDR_SIZE + frame.length) {
        // Buffers this small break the driver's contract (it posts at least a full frame); drop.
        vq.push(chain, 0);
        this.stats.rxDropped++;
        delivered = true;
        continue;
      }
      const hdr = new Uint8Array(VIRTIO_NET_HDR_SIZE);
      hdr[0] = valid;
      new DataView(hdr.buffer).setUint16(10, 1, true); // num_buffers = 1; no GSO
      vq.write(chain, hdr);
      vq.write(chain, frame, VIRTIO_NET_HDR_SIZE);
      vq.push(chain, VIRTIO_NET_HDR_SIZE + frame.length);
      this.stats.rxFrames++;
      delivered = true;
    }
    if (delivered) this.queues.notifyUsed(RX_QUEUE);
  }
}
