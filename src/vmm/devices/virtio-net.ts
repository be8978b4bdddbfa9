// virtio-net (device id 1, virtio 1.x section 5.1): queue 0 receives, queue 1 transmits. Every
// frame is preceded by the 12-byte virtio_net_hdr_v1 (VERSION_1 makes num_buffers always present).
// A backend that terminates TCP itself (the user-mode stack) gets the offloads of a real NIC: the guest sends TCP
// segments of up to 64 KiB with a partial checksum (CSUM, HOST_TSO4), and takes 64 KiB ones marked as already
// checked (GUEST_CSUM, GUEST_TSO4, into the big receive buffers Linux then posts), so a software hart spends its
// instructions per 64 KiB instead of per 1460 bytes, and on no checksums at all.
import { VmmError } from '../errors.js';
import type { VirtioDeviceModel, VirtioQueues } from './virtio-mmio.js';
import { Virtqueue } from './virtqueue.js';

import type { StateObject } from '../../kvm/index.js';
import type { StateReader } from '../snapshot/value.js';
export const VIRTIO_ID_NET = 1;
export const VIRTIO_NET_F_CSUM = 0n;
export const VIRTIO_NET_F_GUEST_CSUM = 1n;
export const VIRTIO_NET_F_GUEST_TSO4 = 7n;
export const VIRTIO_NET_F_HOST_TSO4 = 11n;
const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
const VIRTIO_NET_HDR_GSO_NONE = 0;
const VIRTIO_NET_HDR_GSO_TCPV4 = 1;
const VIRTIO_NET_HDR_GSO_ECN = 0x80;
export const VIRTIO_NET_F_MAC = 5n;
const VIRTIO_NET_HDR_F_DATA_VALID = 2;
export const VIRTIO_NET_F_STATUS = 16n;
export const VIRTIO_NET_S_LINK_UP = 1;
export const VIRTIO_NET_HDR_SIZE = 12;
/** Largest frame without a VLAN tag or FCS: 14-byte Ethernet header + 1500-byte payload. */
export const MAX_FRAME = 1514;
/** Largest TCP segment frame with TSO: Ethernet header + the largest IPv4 packet. */
export const MAX_GSO_FRAME = 14 + 65535;
const RX_QUEUE = 0;
const TX_QUEUE = 1;
const QUEUE_SIZE = 256;
/** Frames held while the guest has posted no receive buffers; older ones are dropped beyond this. */
const RX_BACKLOG = 256;

/** What the device tells a backend about the driver's side of the link. */
export interface NetLink {
  /** the driver takes TCP segments larger than the MTU (GUEST_TSO4): deliver's gsoSize may be given */
  readonly guestTso: boolean;
}

/** Where the guest's Ethernet frames go and where frames for it come from. */
export interface NetBackend {
  /**
   * Called once by the device: frames for the guest are passed to `deliver`; a TCP segment frame larger than the
   * MTU (only while link.guestTso) carries the MSS it stands for as gsoSize.
   */
  attach(deliver: (frame: Uint8Array, gsoSize?: number) => void, link: NetLink): void;
  /**
   * A frame the guest transmitted (without the virtio header). `csumPartial`: its TCP/UDP checksum field holds
   * only the pseudo-header's sum (checksum offload), so it must not be verified.
   */
  send(frame: Uint8Array, csumPartial?: boolean): void;
  /**
   * Every frame this backend delivers has correct IP/TCP/UDP checksums (it built them): the device then offers
   * VIRTIO_NET_F_GUEST_CSUM and marks received frames DATA_VALID, so the guest skips verifying each byte again.
   */
  readonly checksummed?: boolean;
  /**
   * The backend terminates TCP (it is the guest's peer, not a wire): it takes TCP segments of any size with
   * partial checksums, so the device offers CSUM and HOST_TSO4, and GUEST_TSO4 when `checksummed` too.
   */
  readonly segmentOffload?: boolean;
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
  /** frames that were TCP segments larger than the MTU (TSO), each way */
  txTso: number;
  rxTso: number;
}

export class VirtioNet implements VirtioDeviceModel {
  readonly deviceId = VIRTIO_ID_NET;
  readonly features: bigint;
  readonly queueMaxSizes = [QUEUE_SIZE, QUEUE_SIZE];
  readonly config = new Uint8Array(12);
  readonly stats: VirtioNetStats = { txFrames: 0, rxFrames: 0, rxDropped: 0, txDropped: 0, txTso: 0, rxTso: 0 };
  private queues!: VirtioQueues;
  /** frames for the guest, each with its gsoSize (0: an ordinary frame) */
  private backlog: { frame: Uint8Array; gso: number }[] = [];

  constructor(private readonly backend: NetBackend, mac = '52:54:00:12:34:56') {
    const offload = backend.segmentOffload === true;
    this.features = (1n << VIRTIO_NET_F_MAC) | (1n << VIRTIO_NET_F_STATUS) | (backend.checksummed ? 1n << VIRTIO_NET_F_GUEST_CSUM : 0n) |
      (offload ? (1n << VIRTIO_NET_F_CSUM) | (1n << VIRTIO_NET_F_HOST_TSO4) : 0n) |
      (offload && backend.checksummed ? 1n << VIRTIO_NET_F_GUEST_TSO4 : 0n);
    const m = parseMac(mac);
    if (m[0] & 1) throw new VmmError(`MAC address ${mac} is a multicast address`);
    this.config.set(m, 0);
    new DataView(this.config.buffer).setUint16(6, VIRTIO_NET_S_LINK_UP, true);
    new DataView(this.config.buffer).setUint16(8, 1, true); // max_virtqueue_pairs
    const self = this;
    backend.attach((frame, gso) => this.receive(frame, gso ?? 0), { get guestTso() { return self.driverHas(VIRTIO_NET_F_GUEST_TSO4); } });
  }

  private driverHas(bit: bigint): boolean {
    return this.queues !== undefined && this.queues.driverReady && ((this.queues.driverFeatures >> bit) & 1n) === 1n;
  }

  attach(queues: VirtioQueues): void {
    this.queues = queues;
  }

  reset(): void {
    this.backlog = [];
  }

  /** Frames waiting for receive buffers and the counters; the backend's own state (user-net connections) is not here. */
  saveState(): StateObject {
    return { backlog: this.backlog.map((f) => ({ frame: f.frame.slice(), gso: f.gso })), stats: { ...this.stats } };
  }

  loadState(r: StateReader): void {
    this.backlog = r.list('backlog').map((held) => {
      const f = held !== null && typeof held === 'object' && !Array.isArray(held) && !(held instanceof Uint8Array) ? held['frame'] : undefined;
      const gso = f !== undefined ? (held as StateObject)['gso'] : undefined;
      if (!(f instanceof Uint8Array) || typeof gso !== 'number' || f.length < 14 || f.length > (gso !== VIRTIO_NET_HDR_GSO_NONE ? MAX_GSO_FRAME : MAX_FRAME)) {
        throw new VmmError('virtio-net state: a held frame is damaged');
      }
      return { frame: f, gso };
    }).slice(-RX_BACKLOG);
    const st = r.sub('stats');
    this.stats.txFrames = st.num('txFrames'); this.stats.rxFrames = st.num('rxFrames');
    this.stats.rxDropped = st.num('rxDropped'); this.stats.txDropped = st.num('txDropped');
    this.stats.txTso = st.num('txTso'); this.stats.rxTso = st.num('rxTso');
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
      const gso = bytes.length >= VIRTIO_NET_HDR_SIZE ? bytes[1]! & ~VIRTIO_NET_HDR_GSO_ECN : VIRTIO_NET_HDR_GSO_NONE;
      const max = gso === VIRTIO_NET_HDR_GSO_TCPV4 ? MAX_GSO_FRAME : MAX_FRAME;
      // a GSO type never offered (UDP, IPv6) or a frame larger than its type allows is the driver's error
      if (bytes.length < VIRTIO_NET_HDR_SIZE + 14 || bytes.length > VIRTIO_NET_HDR_SIZE + max ||
        (gso !== VIRTIO_NET_HDR_GSO_NONE && !(gso === VIRTIO_NET_HDR_GSO_TCPV4 && this.driverHas(VIRTIO_NET_F_HOST_TSO4)))) {
        this.stats.txDropped++;
        continue;
      }
      this.stats.txFrames++;
      if (gso !== VIRTIO_NET_HDR_GSO_NONE) this.stats.txTso++;
      this.backend.send(bytes.subarray(VIRTIO_NET_HDR_SIZE), (bytes[0]! & VIRTIO_NET_HDR_F_NEEDS_CSUM) !== 0 && this.driverHas(VIRTIO_NET_F_CSUM));
    }
    this.queues.notifyUsed(TX_QUEUE);
  }

  /** A frame for the guest; held back while it has no receive buffers posted. */
  private receive(frame: Uint8Array, gso: number): void {
    const big = gso > 0 && this.driverHas(VIRTIO_NET_F_GUEST_TSO4);
    if (frame.length < 14 || frame.length > (big ? MAX_GSO_FRAME : MAX_FRAME)) {
      this.stats.rxDropped++;
      return;
    }
    if (this.backlog.length >= RX_BACKLOG) {
      this.backlog.shift();
      this.stats.rxDropped++;
    }
    this.backlog.push({ frame: frame.slice(), gso: big && frame.length > MAX_FRAME ? gso : 0 });
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
      const { frame, gso } = this.backlog.shift()!;
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
      const hv = new DataView(hdr.buffer);
      if (gso > 0) {
        // one TCP segment standing for several of gsoSize (as GRO would have merged them): header length, MSS
        hdr[1] = VIRTIO_NET_HDR_GSO_TCPV4;
        hv.setUint16(2, 14 + (frame[14]! & 0xf) * 4 + (frame[14 + (frame[14]! & 0xf) * 4 + 12]! >> 4) * 4, true);
        hv.setUint16(4, gso, true);
        this.stats.rxTso++;
      }
      hv.setUint16(10, 1, true); // num_buffers = 1
      vq.write(chain, hdr);
      vq.write(chain, frame, VIRTIO_NET_HDR_SIZE);
      vq.push(chain, VIRTIO_NET_HDR_SIZE + frame.length);
      this.stats.rxFrames++;
      delivered = true;
    }
    if (delivered) this.queues.notifyUsed(RX_QUEUE);
  }
}
